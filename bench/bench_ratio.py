#!/usr/bin/env python3
"""Compression ratio and speed of llama-zip beside classic compressors, in one run.

    python3 bench/bench_ratio.py [--models NAME...] [--max-bytes N] [--runs R] [--files ...] [--out DIR]

For every file: llama-zip with each model of --models (known names, see
`llama-zip --list-models`; default: the default model), compress,
decompress and check the round trip, the models one after the other on the
same file; then gzip -9, bzip2 -9, xz -9e, zstd --ultra -22, brotli -q 11,
zpaq -m5 (Debian packages), all measured in the same run. Ratio = original
bytes / compressed bytes (higher is better). Speeds are medians of --runs
runs for the peers; llama-zip runs once per file and model (it is slow:
minutes per 100 KB on 2 cores), so its speed is a single measurement: KiB/s
of original data and tokens/s (the token count from -v), wall clock, and
the CPU seconds the process used (less disturbed by other work on a shared
machine). Writes a Markdown table (ratio.md), the raw figures (ratio.json)
and a chart (ratio.png) to --out.

--max-bytes N benchmarks only the first N bytes of each file (0 = whole files);
the table says which.
"""
import argparse
import json
import os
import re
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CORPUS = os.path.join(os.path.dirname(ROOT), "shared", "corpus")
TEXT_FILES = ["calgary/" + f for f in
              ["bib", "book1", "book2", "news", "paper1", "paper2", "progc", "progl", "progp", "trans"]]
TEXT_FILES.append("dce/data.txt")

# name -> (compress argv, decompress argv); both read stdin and write stdout
PEERS = {
    "gzip -9": (["gzip", "-9", "-c"], ["gzip", "-d", "-c"]),
    "bzip2 -9": (["bzip2", "-9", "-c"], ["bzip2", "-d", "-c"]),
    "xz -9e": (["xz", "-9e", "-c"], ["xz", "-d", "-c"]),
    "zstd -22": (["zstd", "--ultra", "-22", "-c", "-q"], ["zstd", "-d", "-c", "-q"]),
    "brotli -q11": (["brotli", "-q", "11", "-c"], ["brotli", "-d", "-c"]),
}


def run(argv, data):
    t0 = time.perf_counter()
    p = subprocess.run(argv, input=data, stdout=subprocess.PIPE, stderr=subprocess.PIPE, check=True)
    return p.stdout, time.perf_counter() - t0


def bench_pipe(comp, decomp, data, runs):
    ct, dt = [], []
    out = None
    for _ in range(runs):
        out, t = run(comp, data)
        ct.append(t)
        back, t = run(decomp, out)
        dt.append(t)
        if back != data:
            raise RuntimeError(f"{comp[0]} round trip failed")
    return len(out), statistics.median(ct), statistics.median(dt)


def bench_zpaq(data, runs):
    ct, dt = [], []
    size = 0
    for _ in range(runs):
        with tempfile.TemporaryDirectory() as d:
            src = os.path.join(d, "f")
            arc = os.path.join(d, "f.zpaq")
            with open(src, "wb") as f:
                f.write(data)
            t0 = time.perf_counter()
            subprocess.run(["zpaq", "a", arc, "f", "-m5"], cwd=d, check=True, stdout=subprocess.DEVNULL,
                           stderr=subprocess.DEVNULL)
            ct.append(time.perf_counter() - t0)
            size = os.path.getsize(arc)
            os.unlink(src)
            t0 = time.perf_counter()
            subprocess.run(["zpaq", "x", arc, "-to", "out"], cwd=d, check=True, stdout=subprocess.DEVNULL,
                           stderr=subprocess.DEVNULL)
            dt.append(time.perf_counter() - t0)
            with open(os.path.join(d, "out", "f"), "rb") as f:
                if f.read() != data:
                    raise RuntimeError("zpaq round trip failed")
    return size, statistics.median(ct), statistics.median(dt)


def child_cpu():
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


def run_llamazip(argv, data):
    """(stdout, wall seconds, CPU seconds, tokens from the -v summary)."""
    cpu0 = child_cpu()
    t0 = time.perf_counter()
    p = subprocess.run(argv, input=data, stdout=subprocess.PIPE, stderr=subprocess.PIPE, check=True)
    wall = time.perf_counter() - t0
    m = re.search(rb"(\d+) tokens", p.stderr)
    return p.stdout, wall, child_cpu() - cpu0, int(m.group(1)) if m else 0


def bench_llamazip(prog, model, data, extra):
    out, ct, ccpu, tokens = run_llamazip([prog, "-m", model, "-q", "-v"] + extra + ["-c"], data)
    back, dt, dcpu, d_tokens = run_llamazip([prog, "-m", model, "-q", "-v", "-d"], out)
    if back != data:
        raise RuntimeError(f"llama-zip round trip failed ({model})")
    # d_tokens: tokens the decoder ran the model on (0 when every frame is zstd or raw:
    # the compressor keeps those when the model-coded frame would be larger)
    return len(out), ct, dt, {"tokens": tokens, "d_tokens": d_tokens, "c_cpu": ccpu, "d_cpu": dcpu}


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--max-bytes", type=int, default=0)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--files", nargs="*", default=TEXT_FILES)
    ap.add_argument("--out", default=os.path.join(ROOT, "bench", "out"))
    ap.add_argument("--prog", default=os.path.join(ROOT, "build", "llama-zip"))
    ap.add_argument("--models", nargs="+", default=["gemma-3-270m"], help="model names (llama-zip --list-models)")
    ap.add_argument("--llamazip-args", default="", help="extra llama-zip options, e.g. '--n-ctx 4096 -w 25%%'")
    args = ap.parse_args()
    os.makedirs(args.out, exist_ok=True)
    models = {f"llama-zip {m}": m for m in args.models}
    tools = list(models) + [n for n, (c, _) in PEERS.items() if shutil.which(c[0])]
    if shutil.which("zpaq"):
        tools.append("zpaq -m5")
    results = {}
    for rel in args.files:
        path = rel if os.path.isabs(rel) else os.path.join(CORPUS, rel)
        with open(path, "rb") as f:
            data = f.read()
        if args.max_bytes:
            data = data[: args.max_bytes]
        row = {"bytes": len(data)}
        for name in tools:
            extra = {}
            if name in models:
                size, ct, dt, extra = bench_llamazip(args.prog, models[name], data, args.llamazip_args.split())
            elif name == "zpaq -m5":
                size, ct, dt = bench_zpaq(data, args.runs)
            else:
                c, d = PEERS[name]
                size, ct, dt = bench_pipe(c, d, data, args.runs)
            row[name] = dict({"size": size, "ratio": len(data) / size, "c_s": ct, "d_s": dt}, **extra)
            toks = f"  {extra['tokens']} tokens, c {extra['tokens'] / ct:.1f} d {extra['d_tokens'] / dt:.1f} tok/s" \
                if extra else ""
            print(f"{rel:16s} {name:24s} {size:9d} B  ratio {len(data) / size:6.3f}  "
                  f"c {len(data) / ct / 1024:9.1f} KiB/s  d {len(data) / dt / 1024:9.1f} KiB/s{toks}", flush=True)
        results[rel] = row
    write_reports(results, tools, models, args)


def model_speed_lines(results, models, scope):
    """Per file and model: tokens, tokens/s and KiB/s (compress, decompress);
    then each model against the first one over all files."""
    lines = ["", f"llama-zip speed per file ({scope}; wall clock of one run; CPU: the seconds the "
             "process used):", "",
             "| file | model | tokens | c tok/s | d tok/s | c KiB/s | d KiB/s | c CPU s | d CPU s |",
             "|---|---|---:|---:|---:|---:|---:|---:|---:|"]
    tot = {t: {"bytes": 0, "tokens": 0, "c_s": 0.0, "d_s": 0.0, "c_cpu": 0.0, "d_cpu": 0.0} for t in models}
    for rel, row in results.items():
        for t, name in models.items():
            r = row[t]
            kib = row["bytes"] / 1024
            d_tokens = r.get("d_tokens", r["tokens"])
            d_rate = f"{d_tokens / r['d_s']:.1f}" if d_tokens else "- (no model frame)"
            lines.append(f"| {os.path.basename(rel)} | {name} | {r['tokens']} | {r['tokens'] / r['c_s']:.1f} | "
                         f"{d_rate} | {kib / r['c_s']:.2f} | {kib / r['d_s']:.2f} | "
                         f"{r['c_cpu']:.1f} | {r['d_cpu']:.1f} |")
            for k in ("c_s", "d_s", "c_cpu", "d_cpu", "tokens"):
                tot[t][k] += r[k]
            tot[t]["bytes"] += row["bytes"]
    for t, name in models.items():
        a = tot[t]
        kib = a["bytes"] / 1024
        lines.append(f"| **all** | {name} | {a['tokens']} | {a['tokens'] / a['c_s']:.1f} | "
                     f"{a['tokens'] / a['d_s']:.1f} | {kib / a['c_s']:.2f} | {kib / a['d_s']:.2f} | "
                     f"{a['c_cpu']:.1f} | {a['d_cpu']:.1f} |")
    first = next(iter(models))
    for t, name in list(models.items())[1:]:
        a, b = tot[t], tot[first]
        lines += ["", f"{name} against {models[first]}, all files: compression "
                  f"{b['c_s'] / a['c_s']:.2f}x the KiB/s ({b['c_cpu'] / a['c_cpu']:.2f}x in CPU time), "
                  f"decompression {b['d_s'] / a['d_s']:.2f}x ({b['d_cpu'] / a['d_cpu']:.2f}x in CPU time); "
                  f"ratio {b['bytes'] / sum(r[first]['size'] for r in results.values()) :.3f} -> "
                  f"{a['bytes'] / sum(r[t]['size'] for r in results.values()):.3f}."]
    return lines


def write_reports(results, tools, models, args):
    scope = f"first {args.max_bytes} bytes of each file" if args.max_bytes else "whole files"
    lines = [f"Compression ratio (original / compressed; higher is better), {scope}, measured in one run.", "",
             "| file | bytes | " + " | ".join(tools) + " |",
             "|---|---:|" + "---:|" * len(tools)]
    tot = {t: 0 for t in tools}
    tot_bytes = 0
    for rel, row in results.items():
        best = max(row[t]["ratio"] for t in tools)
        cells = []
        for t in tools:
            r = row[t]["ratio"]
            cells.append(f"**{r:.3f}**" if r == best else f"{r:.3f}")
            tot[t] += row[t]["size"]
        tot_bytes += row["bytes"]
        lines.append(f"| {os.path.basename(rel)} | {row['bytes']} | " + " | ".join(cells) + " |")
    lines.append(f"| **total** | {tot_bytes} | " + " | ".join(f"{tot_bytes / tot[t]:.3f}" for t in tools) + " |")
    lines += ["", "Speed over all files (KiB/s of original data; peers: median of runs):", "",
              "| tool | compress | decompress |", "|---|---:|---:|"]
    for t in tools:
        cs = sum(r[t]["c_s"] for r in results.values())
        ds = sum(r[t]["d_s"] for r in results.values())
        lines.append(f"| {t} | {tot_bytes / cs / 1024:.1f} | {tot_bytes / ds / 1024:.1f} |")
    lines += model_speed_lines(results, models, scope)
    text = "\n".join(lines) + "\n"
    print(text)
    with open(os.path.join(args.out, "ratio.md"), "w") as f:
        f.write(text)
    with open(os.path.join(args.out, "ratio.json"), "w") as f:
        json.dump({"scope": scope, "models": list(models.values()), "results": results}, f, indent=1)
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        print("matplotlib not installed: no chart (pip install matplotlib)", file=sys.stderr)
        return
    names = [os.path.basename(r) for r in results]
    fig, ax = plt.subplots(figsize=(12, 5))
    width = 0.8 / len(tools)
    for k, t in enumerate(tools):
        xs = [i + k * width for i in range(len(names))]
        ax.bar(xs, [results[r][t]["ratio"] for r in results], width, label=t)
    ax.set_xticks([i + 0.4 - width / 2 for i in range(len(names))])
    ax.set_xticklabels(names)
    ax.set_ylabel("compression ratio")
    ax.set_title(f"llama-zip ({', '.join(models.values())}) vs classic compressors, {scope}")
    ax.legend(ncol=4, fontsize=8)
    fig.tight_layout()
    fig.savefig(os.path.join(args.out, "ratio.png"), dpi=100)
    print(f"chart: {os.path.join(args.out, 'ratio.png')}")


if __name__ == "__main__":
    main()
