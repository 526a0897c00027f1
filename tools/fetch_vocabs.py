#!/usr/bin/env python3
"""fetch_vocabs.py - vocabulary-only GGUF files for the tokenizer tests.

llama.cpp's test vocabularies (models/ggml-vocab-*.gguf) ship inside the
llama-cpp-python source distribution. This downloads that sdist with pip
(unless a copy is already cached) and extracts the chosen vocabularies into
models/vocab/ (git-ignored). Idempotent: files already present are kept.

Usage: python3 tools/fetch_vocabs.py [--cache DIR] [--dest DIR] [NAME ...]
NAME is e.g. llama-bpe (default: the set the tests use).
"""
import argparse
import glob
import os
import subprocess
import sys
import tarfile

VERSION = "0.3.36"
SDIST = "llama_cpp_python-%s.tar.gz" % VERSION
DEFAULT_NAMES = ["llama-spm", "phi-3", "llama-bpe", "qwen2", "gpt-2", "refact", "starcoder", "falcon",
                 "command-r", "deepseek-coder", "gpt-neox", "mpt"]

ROOT = os.path.abspath(os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))


def find_sdist(cache):
    """A cached sdist: the cache dir, then /tmp/sd (where the project keeps one)."""
    for d in (cache, "/tmp/sd"):
        p = os.path.join(d, SDIST)
        if os.path.isfile(p):
            return p
    return None


def download_sdist(cache):
    os.makedirs(cache, exist_ok=True)
    # --no-binary for this package only: its build requirements (cmake...) may be wheels,
    # where ":all:" would build them from source too (an hour on a fresh machine)
    cmd = [sys.executable, "-m", "pip", "download", "--no-deps", "--no-binary", "llama-cpp-python",
           "llama-cpp-python==%s" % VERSION, "-d", cache]
    print("fetch_vocabs: " + " ".join(cmd))
    subprocess.run(cmd, check=True)
    p = os.path.join(cache, SDIST)
    if not os.path.isfile(p):
        found = glob.glob(os.path.join(cache, "llama_cpp_python-%s*" % VERSION))
        raise SystemExit("fetch_vocabs: pip did not produce %s (found %s)" % (SDIST, found))
    return p


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--cache", default=os.path.join(ROOT, "models", "cache"))
    ap.add_argument("--dest", default=os.path.join(ROOT, "models", "vocab"))
    ap.add_argument("names", nargs="*")
    args = ap.parse_args()
    names = args.names or DEFAULT_NAMES

    wanted = {"ggml-vocab-%s.gguf" % n for n in names}
    missing = [w for w in sorted(wanted) if not os.path.isfile(os.path.join(args.dest, w))]
    if not missing:
        print("fetch_vocabs: %d vocabularies already in %s" % (len(wanted), args.dest))
        return 0

    sdist = find_sdist(args.cache) or download_sdist(args.cache)
    os.makedirs(args.dest, exist_ok=True)
    prefix = "llama_cpp_python-%s/vendor/llama.cpp/models/" % VERSION
    got = set()
    with tarfile.open(sdist, "r:gz") as tar:
        for m in tar:
            if not m.isfile() or not m.name.startswith(prefix):
                continue
            base = m.name[len(prefix):]
            if base not in missing:
                continue
            src = tar.extractfile(m)
            tmp = os.path.join(args.dest, base + ".part")
            with open(tmp, "wb") as out:
                while True:
                    chunk = src.read(1 << 20)
                    if not chunk:
                        break
                    out.write(chunk)
            os.replace(tmp, os.path.join(args.dest, base))
            got.add(base)
            print("fetch_vocabs: %s (%d bytes)" % (base, m.size))
    absent = sorted(set(missing) - got)
    if absent:
        print("fetch_vocabs: not in %s: %s" % (SDIST, ", ".join(absent)), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
