#!/usr/bin/env python3
"""Golden fixtures for tests/python/test_engine_llamacpp.py, from llama.cpp.

For each real model (the default model, SmolLM2-135M) and each text
(calgary paper1, progc): llama.cpp's top-32 log-probabilities and the next
token's log-probability for the first 256 positions (BOS + text tokens). For each tiny model (build/tiny, made by
tools/make_tiny_models.py): top-16 for 128 positions of one text. Each file
records the model's SHA-256, so a test skips a fixture whose model differs.

    python3 tools/make_tiny_models.py --out build/tiny
    python3 tools/make_engine_fixtures.py            # writes tests/fixtures/engine/*.npz
    python3 tools/make_engine_fixtures.py --only smollm2-135m   # the fixtures of one model

Needs llama-cpp-python, the real models (make model, make model
MODEL=smollm2-135m) and the corpus (../shared/corpus or $LLAMAZIP_CORPUS).
"""
import argparse
import os
import sys

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "tools"))
sys.path.insert(0, os.path.join(ROOT, "tests", "python"))
import oracle_llamacpp as O  # noqa: E402
import test_engine_llamacpp as T  # noqa: E402


def write(out_dir, case, model, model_name, text, n_pos, k):
    with open(T.text_path(text), "rb") as f:
        data = f.read()
    llm = O.load_llama(model, max(n_pos, 256), 512, T.THREADS)
    tokens = O.tokenize(llm, data, n_pos)
    lp = O.log_softmax(O.logits_for(llm, tokens))
    del llm
    fix = O.topk_fixture(lp, tokens, k)
    fix["model"] = np.array(model_name)
    fix["model_sha256"] = np.array(O.file_sha256(model))
    path = os.path.join(out_dir, case + ".npz")
    np.savez_compressed(path, **fix)
    print(f"{path}: {os.path.getsize(path)} bytes", file=sys.stderr)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", default=T.FIXTURES)
    ap.add_argument("--only", nargs="+", help="these models only (default, smollm2-135m, tiny model names)")
    a = ap.parse_args()
    os.makedirs(a.out, exist_ok=True)
    for name, model in T.REAL_MODELS.items():
        for text in T.TEXTS:
            if not a.only or name in a.only:
                write(a.out, f"{name}__{text}", model, name, text, 256, 32)
    for name in T.TINY_MODELS:
        if not a.only or name in a.only:
            write(a.out, f"{name}__{T.tiny_text(name)}", os.path.join(T.TINY_DIR, name + ".gguf"), name,
                  T.tiny_text(name), 128, 16)


if __name__ == "__main__":
    main()
