#!/usr/bin/env python3
"""Small inputs: every line of calgary/paper1 compressed on its own, the
total archive bytes, beside the original llama-zip (Python, llama.cpp).

    bench/small_inputs.py [--original PATH/TO/llama_zip.py] [--out doc/results/small_inputs]

Ours: the Python package over build/libllamazip.so, one model load, one
archive per line (the line without its newline; empty lines included).
The original: AlexBuz/llama-zip's llama_zip.py (git clone
https://github.com/AlexBuz/llama-zip; it needs llama-cpp-python, numpy,
more-itertools and tqdm), given by path and imported from there: its
LlamaZip(model).compress(line) on the same GGUF model, with llama.cpp's
extra buffer types off (tools/llamacpp_ref.py). Its archives carry no
header: no model check, no checksum, and they decode only on the machine
that made them. Writes OUT.md and OUT.json.
"""
import argparse
import importlib.util
import json
import os
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "python"))
sys.path.insert(0, os.path.join(ROOT, "tools"))


def ours(model, lines):
    from llama_zip import LlamaZip
    lz = LlamaZip(model)
    t0 = time.monotonic()
    sizes = []
    for line in lines:
        arc = lz.compress(line)
        assert lz.decompress(arc) == line
        sizes.append(len(arc))
    return sizes, time.monotonic() - t0


def original(path, model, lines):
    import llamacpp_ref
    import llama_cpp.llama_cpp as lib
    spec = importlib.util.spec_from_file_location("original_llama_zip", path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    with llamacpp_ref._default_params_without_extra_bufts(lib):
        lz = mod.LlamaZip(model)
    t0 = time.monotonic()
    sizes = [len(lz.compress(line)) for line in lines]
    return sizes, time.monotonic() - t0


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--model", default=os.path.join(ROOT, "models", "gemma-3-270m-q4_k_m.gguf"))
    ap.add_argument("--file", default=os.path.join(os.path.dirname(ROOT), "shared", "corpus", "calgary", "paper1"))
    ap.add_argument("--original", help="path to the original llama-zip's llama_zip.py")
    ap.add_argument("--out", default=os.path.join(ROOT, "doc", "results", "small_inputs"))
    a = ap.parse_args()
    lines = open(a.file, "rb").read().split(b"\n")
    if lines and lines[-1] == b"":
        lines.pop()
    total = sum(len(x) for x in lines)
    res = {"file": os.path.basename(a.file), "lines": len(lines), "bytes": total}
    s, t = ours(a.model, lines)
    res["ours"] = {"archive_bytes": sum(s), "seconds": t, "empty_line_bytes": min(s)}
    print(f"ours: {len(lines)} lines, {total} bytes -> {sum(s)} bytes ({t:.0f} s)", flush=True)
    if a.original:
        so, to = original(a.original, a.model, lines)
        res["original"] = {"archive_bytes": sum(so), "seconds": to}
        print(f"original llama-zip: -> {sum(so)} bytes ({to:.0f} s)", flush=True)
    fox = b"The quick brown fox jumps over the lazy dog."
    res["fox"] = ours(a.model, [fox])[0][0]
    res["empty"] = ours(a.model, [b""])[0][0]
    lines_md = ["# Small inputs: one archive per line",
                "",
                f"`bench/small_inputs.py`: every line of calgary/{res['file']} ({res['lines']} lines, {total} bytes, "
                "without their newlines) compressed on its own with the default model (Gemma 3 270M Q4_K_M).",
                "",
                "| | total archive bytes | per line | ratio |",
                "|---|---|---|---|",
                f"| llama-zip (format 2) | {res['ours']['archive_bytes']} | {res['ours']['archive_bytes'] / len(lines):.1f} | "
                f"{total / res['ours']['archive_bytes']:.3f} |"]
    if "original" in res:
        o = res["original"]["archive_bytes"]
        lines_md.append(f"| original llama-zip (no header, no checksum) | {o} | {o / len(lines):.1f} | {total / o:.3f} |")
    lines_md += ["", f"`The quick brown fox jumps over the lazy dog.`: {res['fox']} bytes; an empty input: "
                 f"{res['empty']} bytes."]
    text = "\n".join(lines_md) + "\n"
    print(text)
    os.makedirs(os.path.dirname(a.out), exist_ok=True)
    open(a.out + ".md", "w").write(text)
    json.dump(res, open(a.out + ".json", "w"), indent=1)


if __name__ == "__main__":
    main()
