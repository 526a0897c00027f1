#!/usr/bin/env python3
"""Decompression speed with segments, beside one segment and compression
(doc/format.md "Segments"; make bench-streams).

    bench/decode_streams.py [--input FILE...] [--bytes N] [--one-segment-bytes N] [--runs R]
                            [--threads T] [--out doc/results/decode_streams]

Default input: the first 1 MiB of calgary/book1 followed by book2 (with
the default 96 KiB segments, 11 segments: 256 KiB would give only 3);
several --input files are concatenated before the first --bytes are taken. Measured in one run, each
figure the median of --runs runs (alternating, so load drifts hit all alike):
  1. compress with the default segment size (-v: tokens, time);
  2. decompress that archive (-v: tokens, time, the streams K it used);
  3. the same text coded as one segment (--segment-size 0), decompressed.
     A single stream decodes ~50 tokens/s here, so by default only the first
     --one-segment-bytes (128 KiB, ~36k tokens) of the input are coded and
     decoded this way: one whole context window of the default 32768 tokens
     and the start of the next, so its positions cover the range the whole
     input's do in one segment (which restarts its window every 32768
     tokens) with a little more weight on the cheap early ones. Per token,
     the whole input as one segment is therefore no faster than this
     prefix, and the ratio reported is a lower bound.
Peak RSS of every child is read from wait4(). Tokens/s are tokens over wall
seconds of the whole command (model load included). Writes OUT.md, OUT.json.
"""
import argparse
import json
import os
import platform
import re
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CORPUS = os.path.join(os.path.dirname(ROOT), "shared", "corpus")
BUILD = os.environ.get("BUILD", "build")


def cpu():
    model, flags = "", set()
    try:
        for line in open("/proc/cpuinfo"):
            k, _, v = line.partition(":")
            if k.strip() == "model name" and not model:
                model = v.strip()
            if k.strip() == "flags" and not flags:
                flags = set(v.split())
    except OSError:
        pass
    isa = "avx512" if "avx512f" in flags and "avx512bw" in flags else "avx2" if "avx2" in flags else "scalar"
    return f"{model or platform.machine()}, {os.cpu_count()} CPUs", isa


def timed(argv, data):
    """(stdout, stderr, wall seconds, peak RSS MiB) of one child."""
    with tempfile.TemporaryFile() as fin, tempfile.TemporaryFile() as fout, tempfile.TemporaryFile() as ferr:
        fin.write(data)
        fin.seek(0)
        t0 = time.monotonic()
        p = subprocess.Popen(argv, stdin=fin, stdout=fout, stderr=ferr)
        _, status, ru = os.wait4(p.pid, 0)
        wall = time.monotonic() - t0
        p.returncode = os.waitstatus_to_exitcode(status)
        fout.seek(0)
        ferr.seek(0)
        out, err = fout.read(), ferr.read().decode(errors="replace")
    if p.returncode != 0:
        raise RuntimeError(f"{argv} failed ({p.returncode}): {err}")
    return out, err, wall, ru.ru_maxrss / 1024.0


def tokens_of(stderr):
    m = re.search(r", (\d+) tokens,", stderr)
    return int(m.group(1)) if m else 0


def streams_of(stderr):
    m = re.search(r"(\d+) segments? at a time", stderr)
    return int(m.group(1)) if m else 1


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--input", nargs="+",
                    default=[os.path.join(CORPUS, "calgary", "book1"), os.path.join(CORPUS, "calgary", "book2")])
    ap.add_argument("--bytes", type=int, default=1024 * 1024)
    ap.add_argument("--one-segment-bytes", type=int, default=128 * 1024)
    ap.add_argument("--runs", type=int, default=1)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--prog", default=os.path.join(ROOT, BUILD, "llama-zip"))
    ap.add_argument("--model", default=os.path.join(ROOT, "models", "gemma-3-270m-q4_k_m.gguf"))
    ap.add_argument("--out", default=os.path.join(ROOT, "doc", "results", "decode_streams"))
    a = ap.parse_args()
    data = b"".join(open(f, "rb").read() for f in a.input)[:a.bytes]
    input_name = " + ".join(os.path.relpath(f, CORPUS) for f in a.input)
    one = data[:a.one_segment_bytes]
    base = [a.prog, a.model, "-v", "-q", "-t", str(a.threads)]
    cpu_name, isa = cpu()
    print(f"{cpu_name} ({isa}); input {input_name}, {len(data)} bytes; one segment: first {len(one)} bytes", flush=True)

    runs = {"compress": [], "decompress": [], "compress_one": [], "decompress_one": []}
    arc = arc_one = None
    for r in range(a.runs):
        arc, err, wall, rss = timed(base + ["-c"], data)
        runs["compress"].append((tokens_of(err), wall, rss, 1))
        out, err, wall, rss = timed(base + ["-d"], arc)
        assert out == data, "segmented round trip failed"
        runs["decompress"].append((tokens_of(err), wall, rss, streams_of(err)))
        arc_one, err, wall, rss = timed(base + ["--segment-size", "0", "-c"], one)
        runs["compress_one"].append((tokens_of(err), wall, rss, 1))
        out, err, wall, rss = timed(base + ["-d"], arc_one)
        assert out == one, "one-segment round trip failed"
        runs["decompress_one"].append((tokens_of(err), wall, rss, streams_of(err)))
        for k, v in runs.items():
            t, w, m, s = v[-1]
            print(f"run {r + 1} {k:15s}: {t} tokens in {w:.1f} s = {t / w:.1f} tokens/s, peak RSS {m:.0f} MiB, "
                  f"streams {s}", flush=True)

    def summary(key):
        v = runs[key]
        return {"tokens": v[0][0], "seconds": statistics.median(x[1] for x in v),
                "tokens_per_s": statistics.median(x[0] / x[1] for x in v),
                "peak_rss_mib": max(x[2] for x in v), "streams": v[0][3]}

    res = {k: summary(k) for k in runs}
    segs = subprocess.run([a.prog, "-lv", "-"], input=arc, stdout=subprocess.PIPE).stdout.decode()
    n_segments = sum(1 for line in segs.splitlines() if re.search(r"\bmodel\b", line) and "tokens" in line)
    seg_vs_one = res["decompress"]["tokens_per_s"] / res["decompress_one"]["tokens_per_s"]
    dec_vs_comp = res["decompress"]["tokens_per_s"] / res["compress"]["tokens_per_s"]
    doc = {"cpu": cpu_name, "isa": isa, "threads": a.threads, "input": input_name,
           "bytes": len(data), "one_segment_bytes": len(one), "archive_bytes": len(arc),
           "archive_one_segment_bytes": len(arc_one), "model_segments": n_segments, "runs": a.runs,
           "results": res, "segmented_vs_one_segment": seg_vs_one, "decompress_vs_compress": dec_vs_comp}
    rows = [("compress, default segments", "compress", len(data)),
            ("decompress, default segments", "decompress", len(data)),
            ("compress, one segment", "compress_one", len(one)),
            ("decompress, one segment", "decompress_one", len(one))]
    lines = ["# Decompression with segments (bench/decode_streams.py)", "",
             f"{cpu_name}, kernels {isa}, {a.threads} threads; default model (Gemma 3 270M Q4_K_M); "
             f"median of {a.runs} run(s); wall time of the whole command (model load included).", "",
             f"Input: first {len(data)} bytes of {doc['input']} ({n_segments} model segments, archive "
             f"{len(arc)} bytes); one segment: its first {len(one)} bytes (archive {len(arc_one)} bytes).", "",
             "| run | bytes | tokens | seconds | tokens/s | streams K | peak RSS |",
             "|---|---:|---:|---:|---:|---:|---:|"]
    for name, key, n in rows:
        s = res[key]
        lines.append(f"| {name} | {n} | {s['tokens']} | {s['seconds']:.1f} | {s['tokens_per_s']:.1f} | "
                     f"{s['streams']} | {s['peak_rss_mib']:.0f} MiB |")
    lines += ["", f"Decompression with segments: **{seg_vs_one:.2f}x** the tokens/s of one segment, "
              f"**{dec_vs_comp:.2f}x** those of compression."]
    text = "\n".join(lines) + "\n"
    print(text)
    os.makedirs(os.path.dirname(a.out), exist_ok=True)
    open(a.out + ".md", "w").write(text)
    json.dump(doc, open(a.out + ".json", "w"), indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
