#!/usr/bin/env python3
"""Create the golden archives of a NEW format version (tests/golden/README.md).

    tools/make_golden.py VERSION

Reads tests/golden/vVERSION/manifest.tsv and, for every line whose archive
does not exist yet, compresses originals/ORIGINAL with build/llama-zip and the
line's model and options. Existing archives are never touched: the golden
archives of a version are made once, by the build that introduced that
version, and then only read (a change that would alter them is a new format
version). Refuses to run when the build writes another format version.
"""
import os
import re
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PROG = os.path.join(ROOT, "build", "llama-zip")
GOLDEN = os.path.join(ROOT, "tests", "golden")
MODELS = {
    "default": os.path.join(ROOT, "models", "gemma-3-270m-q4_k_m.gguf"),
    "tiny-spm": os.path.join(GOLDEN, "models", "tiny-spm.gguf"),
    "tiny-bpe": os.path.join(GOLDEN, "models", "tiny-bpe.gguf"),
}


def build_format_version():
    text = open(os.path.join(ROOT, "src", "format", "container.h")).read()
    return int(re.search(r"#define LZ_ARCHIVE_VERSION (\d+)", text).group(1))


def manifest(version):
    path = os.path.join(GOLDEN, "v%d" % version, "manifest.tsv")
    for line in open(path):
        line = line.rstrip("\n")
        if not line or line.startswith("#"):
            continue
        archive, original, model, frames, options = line.split("\t")
        yield archive, original, model, frames, options.split()


def main():
    if len(sys.argv) != 2 or not sys.argv[1].isdigit():
        sys.exit(__doc__)
    version = int(sys.argv[1])
    if build_format_version() != version:
        sys.exit("make_golden: this build writes format version %d, not %d: golden archives of an old version "
                 "are never regenerated" % (build_format_version(), version))
    d = os.path.join(GOLDEN, "v%d" % version)
    for archive, original, model, _, options in manifest(version):
        out = os.path.join(d, archive)
        if os.path.exists(out):
            print("kept     %s" % archive)
            continue
        with open(os.path.join(d, "originals", original), "rb") as f:
            data = f.read()
        p = subprocess.run([PROG, MODELS[model], "-q", *options, "-c"], input=data, stdout=subprocess.PIPE,
                           check=True)
        with open(out, "wb") as f:
            f.write(p.stdout)
        print("created  %s (%d -> %d bytes)" % (archive, len(data), len(p.stdout)))


if __name__ == "__main__":
    main()
