#!/usr/bin/env python3
"""llama.cpp's speed on the same work as bench/bench_engine.c (llama-cpp-python).

    bench_llamacpp.py MODEL [--threads N] [--tokens N] [--batch N] [--steps N]

Batched: `tokens` pseudo-random ids in batches of `batch` with logits for
every position (logits_all); single steps: `steps` more tokens one at a time.
Settings: llama-cpp-python defaults (f16 KV cache, flash attention off), CPU
only, extra buffer types off (tools/llamacpp_ref.py: no AMX, no repacked
weights). Peak RSS of this process includes the Python interpreter (~30-60 MiB).
"""
import argparse
import os
import resource
import sys
import time

import llama_cpp

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import llamacpp_ref  # noqa: E402


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("model")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--tokens", type=int, default=1024)
    ap.add_argument("--batch", type=int, default=512)
    ap.add_argument("--steps", type=int, default=128)
    a = ap.parse_args()
    n_ctx = a.tokens + a.steps
    llm = llamacpp_ref.load_llama(a.model, n_ctx=n_ctx, n_batch=a.batch, n_ubatch=a.batch, n_threads=a.threads,
                                  n_threads_batch=a.threads, logits_all=True, n_gpu_layers=0)
    nv = llm.n_vocab()
    x, toks = 1, []
    for i in range(n_ctx):
        x = (x * 1664525 + 1013904223) & 0xFFFFFFFF
        toks.append(2 if i == 0 else (x >> 8) % nv)
    t0 = time.perf_counter()
    llm.eval(toks[:a.tokens])
    t_batch = time.perf_counter() - t0
    t0 = time.perf_counter()
    for i in range(a.steps):
        llm.eval([toks[a.tokens + i]])
    t_step = time.perf_counter() - t0
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"llama.cpp via llama-cpp-python {llama_cpp.__version__} ({a.threads} threads, extra buffer types off)")
    print(f"  batched     : {a.tokens} tokens in batches of {a.batch}, all logits: {t_batch:.2f} s = "
          f"{a.tokens / t_batch:.1f} tokens/s")
    print(f"  single steps: {a.steps} tokens after {a.tokens} of context: {t_step:.2f} s = "
          f"{a.steps / t_step:.1f} tokens/s ({1e3 * t_step / a.steps:.1f} ms/token)")
    print(f"  peak RSS    : {rss:.0f} MiB (logits_all buffer of {n_ctx} x {nv} floats included)")


if __name__ == "__main__":
    main()
