#!/usr/bin/env python3
"""Archive size against the segment size (doc/format.md, "Segments").

    bench/segment_table.py [--sizes 16K,32K,64K,128K] [--per-file BYTES] [--jobs N]
                           [--baseline-bytes N] [--reuse FILE.json ...] [--out doc/results/segments]

Builds about 1 MiB of text from calgary/book1, book2, news, paper1 and
dce/data.txt (the first --per-file bytes of each, whole paper1), compresses
it with the default model once as one segment (--segment-size 0, the
baseline) and once per segment size, and prints the table: archive bytes,
their cost over the baseline, segments. Compression alone gives the sizes;
the model's coding is bit-exact, so the sizes do not depend on the machine.
--jobs N runs N compressions at once, each with 2/N threads (the sizes do
not depend on threads); --baseline-bytes N takes the one-segment size from
an earlier run of the same sample instead of compressing it again;
--reuse takes every row (baseline and sizes) of earlier runs' JSON files
(same sample and model, checked) instead of measuring them again, so that
runs done apart make one table. Writes OUT.md and OUT.json.
"""
import argparse
import concurrent.futures
import json
import os
import platform
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CORPUS = os.path.join(os.path.dirname(ROOT), "shared", "corpus")
SOURCES = ["calgary/book1", "calgary/book2", "calgary/news", "calgary/paper1", "dce/data.txt"]


def parse_size(s):
    s = s.strip().upper()
    mult = {"K": 1 << 10, "M": 1 << 20}.get(s[-1:], 1)
    return int(s[:-1] if s[-1:] in "KM" else s) * mult


def sample(per_file):
    parts = []
    for name in SOURCES:
        data = open(os.path.join(CORPUS, name), "rb").read()
        parts.append(data if name.endswith("paper1") else data[:per_file])
    return b"".join(parts)


def cpu_model():
    try:
        for line in open("/proc/cpuinfo"):
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def compress(prog, model, data, seg, threads=0):
    t0 = time.monotonic()
    t = ["-t", str(threads)] if threads else []
    r = subprocess.run([prog, model, "-q", *t, "--segment-size", seg, "-c"], input=data,
                       stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, check=True)
    return r.stdout, time.monotonic() - t0


def segments(prog, archive):
    with tempfile.NamedTemporaryFile(suffix=".llz") as f:
        f.write(archive)
        f.flush()
        out = subprocess.run([prog, "-lv", f.name], stdout=subprocess.PIPE, check=True).stdout.decode()
    return sum(1 for line in out.splitlines() if line.rstrip().endswith("tokens") and " model " in line)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--sizes", default="16K,32K,64K,128K")
    ap.add_argument("--per-file", type=int, default=240 * 1024)
    ap.add_argument("--prog", default=os.path.join(ROOT, "build", "llama-zip"))
    ap.add_argument("--model", default=os.path.join(ROOT, "models", "gemma-3-270m-q4_k_m.gguf"))
    ap.add_argument("--out", default=os.path.join(ROOT, "doc", "results", "segments"))
    ap.add_argument("--jobs", type=int, default=1)
    ap.add_argument("--baseline-bytes", type=int, default=0)
    ap.add_argument("--reuse", nargs="*", default=[])
    a = ap.parse_args()
    data = sample(a.per_file)
    print(f"sample: {len(data)} bytes from {', '.join(SOURCES)} (first {a.per_file} bytes of each; paper1 whole)")
    threads = max(1, (os.cpu_count() or 1) // a.jobs) if a.jobs > 1 else 0
    reused = {}
    for path in a.reuse:
        old = json.load(open(path))
        if old["sample_bytes"] != len(data):
            sys.exit(f"{path}: a sample of {old['sample_bytes']} bytes, this one has {len(data)}")
        for r in old["rows"]:
            reused.setdefault(r["segment_size"], r)
    if a.baseline_bytes:
        reused.setdefault(0, {"segment_size": 0, "bytes": a.baseline_bytes, "segments": 1, "seconds": None})
    todo = [s for s in ["0"] + a.sizes.split(",") if s and parse_size(s) not in reused]

    def one(seg):
        arc, secs = compress(a.prog, a.model, data, seg, threads)
        row = {"segment_size": parse_size(seg), "bytes": len(arc), "segments": max(1, segments(a.prog, arc)),
               "seconds": secs}
        print(f"{seg}: {len(arc)} bytes, {row['segments']} segments ({secs:.0f} s)", flush=True)
        return row

    with concurrent.futures.ThreadPoolExecutor(max_workers=a.jobs) as ex:
        rows = list(ex.map(one, todo))
    rows = sorted(rows + list(reused.values()), key=lambda r: r["segment_size"])
    lines = [f"# Archive size against the segment size",
             "",
             f"`bench/segment_table.py` on {len(data)} bytes of text (the first {a.per_file} bytes of "
             "calgary/book1, book2, news and dce/data.txt, and all of calgary/paper1), default model "
             f"(Gemma 3 270M Q4_K_M), n_ctx 32768, overlap 0; {cpu_model()}. Sizes do not depend on the machine.",
             "",
             "| segment size | archive bytes | cost over one segment | segments | seconds to compress |",
             "|---|---|---|---|---|"]
    for r in rows:
        cost = 100.0 * (r["bytes"] - rows[0]["bytes"]) / rows[0]["bytes"]
        name = "one segment" if r["segment_size"] == 0 else f"{r['segment_size'] // 1024} KiB"
        secs = f"{r['seconds']:.0f}" if r.get("seconds") else "-"
        lines.append(f"| {name} | {r['bytes']} | {cost:+.2f} % | {r['segments']} | {secs} |")
    ok = [r for r in rows[1:] if (r["bytes"] - rows[0]["bytes"]) <= 0.01 * rows[0]["bytes"]]
    pick = min(ok, key=lambda r: r["segment_size"]) if ok else None
    lines += ["", (f"Smallest size within 1 %: **{pick['segment_size'] // 1024} KiB**." if pick else
                   "No size tried is within 1 %.")]
    text = "\n".join(lines) + "\n"
    print(text)
    os.makedirs(os.path.dirname(a.out), exist_ok=True)
    open(a.out + ".md", "w").write(text)
    json.dump({"sample_bytes": len(data), "cpu": cpu_model(), "rows": rows,
               "pick": pick["segment_size"] if pick else None}, open(a.out + ".json", "w"), indent=1)


if __name__ == "__main__":
    sys.exit(main())
