#!/usr/bin/env python3
"""Round-trip every file of the shared corpus through llama-zip with the default
settings (all 14 Calgary files and dce/data.txt) and print each ratio and speed.

    python3 bench/check_corpus.py [--max-bytes N] [files...]

Exits non-zero if any file does not come back byte for byte.
"""
import argparse
import os
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CORPUS = os.path.join(os.path.dirname(ROOT), "shared", "corpus")
FILES = ["calgary/" + f for f in ["bib", "book1", "book2", "geo", "news", "obj1", "obj2", "paper1", "paper2",
                                  "pic", "progc", "progl", "progp", "trans"]] + ["dce/data.txt"]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--max-bytes", type=int, default=0, help="only the first N bytes of each file (0 = all)")
    ap.add_argument("--prog", default=os.path.join(ROOT, "build", "llama-zip"))
    ap.add_argument("files", nargs="*", default=FILES)
    args = ap.parse_args()
    failures = 0
    print(f"{'file':14s} {'bytes':>9s} {'archive':>9s} {'ratio':>7s} {'bpc':>6s} {'comp KiB/s':>10s} {'dec KiB/s':>10s}  ok")
    tot_in = tot_out = tot_c = tot_d = 0
    for rel in args.files:
        with open(os.path.join(CORPUS, rel), "rb") as f:
            data = f.read()
        if args.max_bytes:
            data = data[: args.max_bytes]
        t0 = time.perf_counter()
        arc = subprocess.run([args.prog, "-q", "-c"], input=data, stdout=subprocess.PIPE, check=True).stdout
        t1 = time.perf_counter()
        back = subprocess.run([args.prog, "-q", "-d"], input=arc, stdout=subprocess.PIPE, check=True).stdout
        t2 = time.perf_counter()
        ok = back == data
        failures += not ok
        tot_in += len(data); tot_out += len(arc); tot_c += t1 - t0; tot_d += t2 - t1
        print(f"{rel:14s} {len(data):9d} {len(arc):9d} {len(data) / max(len(arc), 1):7.3f} "
              f"{8 * len(arc) / max(len(data), 1):6.3f} {len(data) / (t1 - t0) / 1024:10.2f} "
              f"{len(data) / (t2 - t1) / 1024:10.2f}  {'yes' if ok else 'NO'}", flush=True)
    print(f"{'total':14s} {tot_in:9d} {tot_out:9d} {tot_in / max(tot_out, 1):7.3f} {8 * tot_out / max(tot_in, 1):6.3f} "
          f"{tot_in / tot_c / 1024:10.2f} {tot_in / tot_d / 1024:10.2f}")
    print(f"{len(args.files) - failures} passed, {failures} failed")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
