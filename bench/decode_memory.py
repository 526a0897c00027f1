#!/usr/bin/env python3
"""Peak memory of decompression does not grow with the input (make bench-memory).

    bench/decode_memory.py [--copies 1,10,100] [--model tests/golden/models/tiny-spm.gguf]
                           [--out doc/results/decode_memory]

A chunk of 1 MiB of text is compressed once with the tiny test model, as two
concatenated archives: 64 KiB of the text the golden archives use
(tests/golden/v1/originals/long.txt, repeated) with --segment-size 300 (short
segments, which the tiny model, random weights and all, codes better than
zstd: MODEL frames, decoded many at a time), then corpus text (calgary book1,
book2, news, paper1, paper2 and dce/data.txt, in turn) with the defaults
(64 KiB segments, which zstd codes better than the tiny model: ZSTD frames). N copies of that archive,
concatenated, are one archive of N MiB of text (concatenated archives decode
to the concatenated inputs, doc/format.md); each is decompressed with -v and
its peak RSS read from wait4(). The output goes to a file (-o; to standard
output the CLI holds back up to 16 MiB more, so that a damaged archive of a
smaller output writes nothing) and is checked (sha256), then deleted.

The bound of doc/format.md: model file + K x (KV cache + scratch) + 64 MiB,
whatever the input size. The script reports peak RSS for each N beside the
model size and the streams K the decoder used, and fails if RSS exceeds
model + 64 MiB + K x (per-stream allowance, measured as RSS(1 copy) - RSS of
an empty archive's decode, which holds one set of K streams) or grows by
more than 8 MiB from the smallest N to the largest.
"""
import argparse
import hashlib
import json
import os
import re
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CORPUS = os.path.join(os.path.dirname(ROOT), "shared", "corpus")
BUILD = os.environ.get("BUILD", "build")
SOURCES = ["calgary/book1", "calgary/book2", "calgary/news", "calgary/paper1", "calgary/paper2", "dce/data.txt"]


def chunk_text(size):
    parts, n = [], 0
    while n < size:
        for name in SOURCES:
            data = open(os.path.join(CORPUS, name), "rb").read()
            parts.append(data)
            n += len(data)
    return b"".join(parts)[:size]


def run_rss(argv, stdin_path, out_path=None):
    """(output sha256, output bytes, stderr, wall s, peak RSS MiB); the output
    is standard output, or the file out_path (-o) when given."""
    with open(stdin_path, "rb") as fin, tempfile.TemporaryFile() as ferr:
        t0 = time.monotonic()
        if out_path:
            argv = argv + ["-o", out_path]
        p = subprocess.Popen(argv, stdin=fin, stdout=subprocess.PIPE, stderr=ferr)
        h, n = hashlib.sha256(), 0
        for block in iter(lambda: p.stdout.read(1 << 20), b""):
            h.update(block)
            n += len(block)
        _, status, ru = os.wait4(p.pid, 0)
        if out_path and os.path.exists(out_path):
            with open(out_path, "rb") as fout:
                for block in iter(lambda: fout.read(1 << 20), b""):
                    h.update(block)
                    n += len(block)
            os.unlink(out_path)
        wall = time.monotonic() - t0
        ferr.seek(0)
        err = ferr.read().decode(errors="replace")
    if os.waitstatus_to_exitcode(status) != 0:
        raise RuntimeError(f"{argv} failed: {err}")
    return h.hexdigest(), n, err, wall, ru.ru_maxrss / 1024.0


def compress(prog, model, data, *opts):
    return subprocess.run([prog, model, "-q", *opts, "-c"], input=data, stdout=subprocess.PIPE,
                          stderr=subprocess.PIPE, check=True).stdout


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--copies", default="1,10,100")
    ap.add_argument("--chunk", type=int, default=1 << 20)
    ap.add_argument("--model-part", type=int, default=64 << 10)
    ap.add_argument("--prog", default=os.path.join(ROOT, BUILD, "llama-zip"))
    ap.add_argument("--model", default=os.path.join(ROOT, "tests", "golden", "models", "tiny-spm.gguf"))
    ap.add_argument("--out", default=os.path.join(ROOT, "doc", "results", "decode_memory"))
    a = ap.parse_args()
    long_txt = open(os.path.join(ROOT, "tests", "golden", "v1", "originals", "long.txt"), "rb").read()
    model_part = (long_txt * (a.model_part // len(long_txt) + 1))[:a.model_part]
    text = model_part + chunk_text(a.chunk - a.model_part)
    arc = (compress(a.prog, a.model, model_part, "--segment-size", "300") +
           compress(a.prog, a.model, text[a.model_part:]))
    listing = subprocess.run([a.prog, "-lv", "-"], input=arc, stdout=subprocess.PIPE, check=True).stdout.decode()
    kinds = re.findall(r"^ +\d+ .*?\d  (model|raw|zstd)\b", listing, re.M)
    model_mib = os.path.getsize(a.model) / 2**20
    print(f"chunk: {len(text)} bytes -> archive {len(arc)} bytes: {kinds.count('model')} model frames, "
          f"{kinds.count('zstd')} zstd, {kinds.count('raw')} raw; model {a.model} ({model_mib:.2f} MiB)", flush=True)
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        empty = os.path.join(tmp, "empty.llz")
        open(empty, "wb").write(compress(a.prog, a.model, b""))
        _, _, _, _, rss_empty = run_rss([a.prog, a.model, "-d"], empty)
        for n in [int(x) for x in a.copies.split(",")]:
            path = os.path.join(tmp, f"x{n}.llz")
            with open(path, "wb") as f:
                for _ in range(n):
                    f.write(arc)
            # hashed copy by copy: a child's ru_maxrss starts from its parent's
            # RSS at fork, so this process must not hold n copies of anything
            h = hashlib.sha256()
            for _ in range(n):
                h.update(text)
            want = h.hexdigest()
            # to a file: standard output would add the CLI's hold-back of up
            # to 16 MiB (a damaged archive of a smaller output writes nothing)
            got, size, err, wall, rss = run_rss([a.prog, a.model, "-v", "-d"], path, os.path.join(tmp, "out.txt"))
            assert got == want and size == len(text) * n, f"{n} copies: output differs"
            m = re.search(r"(\d+) segments? at a time", err)
            k = int(m.group(1)) if m else 1
            rows.append({"copies": n, "output_bytes": size, "archive_bytes": len(arc) * n, "streams": k,
                         "seconds": wall, "peak_rss_mib": rss})
            print(f"{n} copies: {size} bytes out of {len(arc) * n} in {wall:.1f} s, K = {k}, peak RSS {rss:.1f} MiB",
                  flush=True)
            os.unlink(path)
    per_stream = max(0.0, rows[0]["peak_rss_mib"] - rss_empty) / max(1, rows[0]["streams"])
    k_max = max(r["streams"] for r in rows)
    bound = model_mib + k_max * per_stream + 64
    growth = rows[-1]["peak_rss_mib"] - rows[0]["peak_rss_mib"]
    ok = all(r["peak_rss_mib"] <= bound for r in rows) and growth <= 8
    lines = ["# Peak memory of decompression against the input size (bench/decode_memory.py)", "",
             f"Tiny test model `{os.path.relpath(a.model, ROOT)}` ({model_mib:.2f} MiB). One chunk: {len(text)} "
             f"bytes of text, archive {len(arc)} bytes ({kinds.count('model')} MODEL frames of about 300 bytes "
             f"for its first {a.model_part} bytes, then {kinds.count('zstd')} ZSTD and {kinds.count('raw')} RAW "
             "frames); N copies of the archive concatenated make one input of N chunks. "
             f"Decoding an empty archive peaks at {rss_empty:.1f} MiB.", "",
             "| copies | output bytes | archive bytes | streams K | seconds | peak RSS |",
             "|---:|---:|---:|---:|---:|---:|"]
    for r in rows:
        lines.append(f"| {r['copies']} | {r['output_bytes']} | {r['archive_bytes']} | {r['streams']} | "
                     f"{r['seconds']:.1f} | {r['peak_rss_mib']:.1f} MiB |")
    lines += ["", f"Bound model + K x per-stream + 64 MiB = {model_mib:.2f} + {k_max} x {per_stream:.2f} + 64 = "
              f"{bound:.1f} MiB; growth from {rows[0]['copies']} to {rows[-1]['copies']} copies: {growth:+.1f} MiB. "
              + ("**Within the bound.**" if ok else "**NOT within the bound.**")]
    text_md = "\n".join(lines) + "\n"
    print(text_md)
    os.makedirs(os.path.dirname(a.out), exist_ok=True)
    open(a.out + ".md", "w").write(text_md)
    json.dump({"rows": rows, "rss_empty_mib": rss_empty, "model_mib": model_mib, "bound_mib": bound,
               "growth_mib": growth, "ok": ok}, open(a.out + ".json", "w"), indent=1)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
