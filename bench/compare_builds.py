#!/usr/bin/env python3
"""End-to-end compression speed of two builds on one file, and whether they
code it the same way (issue: engine throughput; doc/results/book1_e2e.md).

    bench/compare_builds.py --old OLD_PROG --new NEW_PROG [--input calgary/book1]
                            [--model PATH] [--threads 2] [--new-args "--segment-size 0"]
                            [--out doc/results/book1_e2e]

Runs `PROG MODEL -v -t T -c < INPUT` for the new build, then the old one
(once each: the whole of book1 takes many minutes), and reports wall time,
CPU time (user + sys of the child, from wait4: less sensitive to other load
on a shared machine), tokens/s and peak RSS. The archives are compared by
their MODEL frame payloads: a format-1 archive (old) and a format-2 archive
(new) differ in their headers, but with the same coding settings (one
segment: --segment-size 0; the same n_ctx and overlap) the model-coded bytes
must be identical.
"""
import argparse
import json
import os
import re
import shlex
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CORPUS = os.path.join(os.path.dirname(ROOT), "shared", "corpus")


def varint(b, pos):
    v = shift = 0
    while True:
        c = b[pos]
        pos += 1
        v |= (c & 0x7F) << shift
        shift += 7
        if not c & 0x80:
            return v, pos


def model_payloads(b):
    """The payloads of the MODEL frames of a format-1 or format-2 archive
    (doc/format.md), in order."""
    out = []
    if b[:4] == b"LZLM":   # format 1: magic, version, fingerprint, settings, frames until END
        pos = 14
        for _ in range(3):
            _, pos = varint(b, pos)
        pos += 10
        while b[pos] != 0:
            tag = b[pos]
            raw, pos = varint(b, pos + 1)
            if tag == 1:
                _, pos = varint(b, pos)
            size = raw if tag == 2 else None
            if size is None:
                size, pos = varint(b, pos)
            if tag == 1:
                out.append(b[pos:pos + size])
            pos += size
        return out
    flags = b[0] & 0x0F   # format 2
    general, settings = flags & 1, flags & 2
    pos = 1 + (8 if general else 2)
    if settings:
        _, pos = varint(b, pos)
        _, pos = varint(b, pos)
    size, pos = varint(b, pos)
    if not general:
        if size:
            n, pos = varint(b, pos)
            out.append(b[pos:pos + n])
        return out
    covered = 0
    while covered < size:
        tag = b[pos]
        raw, pos = varint(b, pos + 1)
        if tag == 1:
            _, pos = varint(b, pos)
        n = raw
        if tag != 2:
            n, pos = varint(b, pos)
        if tag == 1:
            out.append(b[pos:pos + n])
        pos += n
        covered += raw
    return out


def run(argv, data_path):
    with open(data_path, "rb") as fin, tempfile.TemporaryFile() as fout, tempfile.TemporaryFile() as ferr:
        t0 = time.monotonic()
        p = subprocess.Popen(argv, stdin=fin, stdout=fout, stderr=ferr)
        _, status, ru = os.wait4(p.pid, 0)
        wall = time.monotonic() - t0
        fout.seek(0)
        ferr.seek(0)
        out, err = fout.read(), ferr.read().decode(errors="replace")
    if os.waitstatus_to_exitcode(status) != 0:
        raise RuntimeError(f"{argv} failed: {err}")
    m = re.search(r", (\d+) tokens,", err)
    return {"archive_bytes": len(out), "tokens": int(m.group(1)) if m else 0, "wall_s": wall,
            "cpu_s": ru.ru_utime + ru.ru_stime, "peak_rss_mib": ru.ru_maxrss / 1024.0, "summary": err.strip()}, out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--old", required=True)
    ap.add_argument("--new", required=True)
    ap.add_argument("--input", default=os.path.join(CORPUS, "calgary", "book1"))
    ap.add_argument("--model", default=os.path.join(ROOT, "models", "gemma-3-270m-q4_k_m.gguf"))
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--new-args", default="--segment-size 0")
    ap.add_argument("--out", default=os.path.join(ROOT, "doc", "results", "book1_e2e"))
    ap.add_argument("--base-label", default="", help="what the old build is (a commit), for the report")
    a = ap.parse_args()
    common = [a.model, "-v", "-q", "-t", str(a.threads)]
    res = {}
    res["new"], arc_new = run([a.new] + common + shlex.split(a.new_args) + ["-c"], a.input)
    print("new:", res["new"]["summary"], f"| cpu {res['new']['cpu_s']:.0f} s", flush=True)
    res["old"], arc_old = run([a.old] + common + ["-c"], a.input)
    print("old:", res["old"]["summary"], f"| cpu {res['old']['cpu_s']:.0f} s", flush=True)
    p_new, p_old = model_payloads(arc_new), model_payloads(arc_old)
    same = p_new == p_old and len(p_new) > 0
    speed = {k: res["new"]["tokens"] / res["new"][k] / (res["old"]["tokens"] / res["old"][k])
             for k in ("wall_s", "cpu_s")}
    try:
        head = subprocess.run(["git", "-C", ROOT, "rev-parse", "--short", "HEAD"], capture_output=True,
                              text=True).stdout.strip()
    except OSError:
        head = ""
    cpu_name = ""
    for line in open("/proc/cpuinfo"):
        if line.startswith("model name"):
            cpu_name = line.split(":", 1)[1].strip()
            break
    lines = ["# End to end: compressing one whole file, two builds (bench/compare_builds.py)", "",
             f"{cpu_name}, {os.cpu_count()} CPUs, {a.threads} threads; input {os.path.relpath(a.input, CORPUS)} "
             f"({os.path.getsize(a.input)} bytes); default model. Old: `{a.old}`"
             + (f" ({a.base_label})" if a.base_label else "") + f"; new: `{a.new}`" + (f" ({head})" if head else "") + " with "
             f"`{a.new_args}`. One run each (new first).", "",
             "| build | archive bytes | tokens | wall s | tokens/s (wall) | CPU s | tokens per CPU s | peak RSS |",
             "|---|---:|---:|---:|---:|---:|---:|---:|"]
    for k in ("old", "new"):
        r = res[k]
        lines.append(f"| {k} | {r['archive_bytes']} | {r['tokens']} | {r['wall_s']:.0f} | "
                     f"{r['tokens'] / r['wall_s']:.1f} | {r['cpu_s']:.0f} | {r['tokens'] / r['cpu_s']:.1f} | "
                     f"{r['peak_rss_mib']:.0f} MiB |")
    lines += ["", f"New over old: **{speed['wall_s']:.2f}x** tokens/s (wall), **{speed['cpu_s']:.2f}x** tokens per "
              "CPU second.",
              f"MODEL payloads ({len(p_old)} old, {len(p_new)} new frames, "
              f"{sum(map(len, p_old))} and {sum(map(len, p_new))} bytes): "
              + ("**byte-identical**." if same else "**DIFFERENT**."),
              f"The archives differ only around the payloads: the old build writes format 1 "
              f"({res['old']['archive_bytes'] - sum(map(len, p_old))} bytes of headers), the new one format 2 "
              f"({res['new']['archive_bytes'] - sum(map(len, p_new))} bytes; issue 13's smaller header, doc/format.md), "
              "and the new build still decodes format-1 archives (golden archives in make test)."]
    text = "\n".join(lines) + "\n"
    print(text)
    os.makedirs(os.path.dirname(a.out), exist_ok=True)
    open(a.out + ".md", "w").write(text)
    json.dump({"cpu": cpu_name, "threads": a.threads, "input": a.input, "results": res, "speedup": speed,
               "payloads_identical": same}, open(a.out + ".json", "w"), indent=1)
    return 0 if same else 1


if __name__ == "__main__":
    sys.exit(main())
