#!/usr/bin/env python3
"""How well llama.cpp agrees with itself, beside how well we agree with it.

The engine is compared with llama.cpp's logits from one setting (batches of
512, flash attention off: oracle_llamacpp.py). llama.cpp's own logits change
with its settings: the batch size picks different matrix kernels and
accumulation orders, flash attention rounds differently, and the changes are
amplified where activations are re-quantized to 8 bits. This script measures
that spread with the same figures the engine test uses (KL, top-1, decisive
top-1, cross-entropy), so the engine's figures can be read against the
reference's own noise floor.

    reference_noise.py [--model M] [--n-tokens 1024] [--texts paper1 progc]

Every llama.cpp here has extra buffer types off (tools/llamacpp_ref.py: no
AMX path, no repacked weights). Rows, each against llama.cpp with batch 512 /
flash attention off / 2 threads:
    llama.cpp batch 1     one token per call, as a decompressor must run
    llama.cpp batch 7
    llama.cpp flash attn
    llama.cpp 1 thread
    ours (any batch, any thread count: bit-identical)
"""
import argparse
import os
import subprocess
import sys
import tempfile

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, HERE)
import llamacpp_ref  # noqa: E402
import oracle_llamacpp as O  # noqa: E402


def llama_logits(model, tokens, n_batch=512, threads=2, flash_attn=False):
    llm = O.load_llama(model, len(tokens), n_batch, threads, flash_attn)
    logits = O.logits_for(llm, tokens)
    del llm
    return logits


def our_logits(model, tokens, tmp, threads=2, eval_dump=None):
    eval_dump = eval_dump or os.path.join(ROOT, "build", "tests", "tools", "eval_dump")
    tok = os.path.join(tmp, "tokens.i32")
    out = os.path.join(tmp, "logits.f32")
    np.asarray(tokens, dtype="<i4").tofile(tok)
    subprocess.run([eval_dump, model, tok, out, "--threads", str(threads)], check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    nv = int(np.fromfile(out, dtype="<u4", count=4)[3])
    return np.array(np.memmap(out, dtype="<f4", mode="r", offset=16, shape=(len(tokens), nv)))


VARIANTS = [
    ("llama.cpp batch 1", dict(n_batch=1)),
    ("llama.cpp batch 7", dict(n_batch=7)),
    ("llama.cpp flash attn", dict(flash_attn=True)),
    ("llama.cpp 1 thread", dict(threads=1)),
]


def measure(model, text_path, n_tokens, with_ours=True):
    """[(label, figures)] for one text."""
    with open(text_path, "rb") as f:
        data = f.read()
    vocab = llamacpp_ref.load_llama(model, vocab_only=True)
    tokens = O.tokenize(vocab, data, n_tokens)
    del vocab
    base = llama_logits(model, tokens)
    rows = []
    for label, kw in VARIANTS:
        other = llama_logits(model, tokens, **kw)
        m = O.compare(base, other, tokens)
        m["bit_identical"] = bool(np.array_equal(base, other))
        rows.append((label, m))
    if with_ours:
        with tempfile.TemporaryDirectory() as tmp:
            m = O.compare(base, our_logits(model, tokens, tmp), tokens)
            m["bit_identical"] = False
            rows.append(("ours", m))
    return rows


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model", default=os.path.join(ROOT, "models", "gemma-3-270m-q4_k_m.gguf"))
    ap.add_argument("--corpus", default=os.path.join(os.path.dirname(ROOT), "shared", "corpus", "calgary"))
    ap.add_argument("--texts", nargs="+", default=["paper1", "progc"])
    ap.add_argument("--n-tokens", type=int, default=1024)
    ap.add_argument("--no-ours", action="store_true")
    a = ap.parse_args()
    import platform
    import llama_cpp
    print("# llama.cpp against itself, and ours against llama.cpp\n")
    print(f"`make reference-noise` (tools/reference_noise.py); llama-cpp-python {llama_cpp.__version__} "
          f"(extra buffer types off), {llamacpp_ref.cpu_description()}, {platform.machine()}, "
          f"{os.cpu_count()} CPUs.\n")
    print(f"model {os.path.basename(a.model)}, first {a.n_tokens} tokens; each row against llama.cpp "
          "with batch 512, flash attention off, 2 threads\n")
    print("| text | evaluated by | mean KL | top-1 | decisive top-1 (share) | CE ref → this |")
    print("|---|---|---|---|---|---|")
    for text in a.texts:
        for label, m in measure(a.model, os.path.join(a.corpus, text), a.n_tokens, not a.no_ours):
            same = " (bit-identical)" if m["bit_identical"] else ""
            print(f"| {text} | {label}{same} | {m['kl']:.4f} | {m['top1']:.1%} | "
                  f"{m['top1_decisive']:.1%} ({m['decisive_share']:.0%}) | "
                  f"{m['ce_ref']:.4f} → {m['ce_ours']:.4f} |", flush=True)


if __name__ == "__main__":
    main()
