#!/usr/bin/env python3
"""llama.cpp's speed on the same work as bench/bench_engine.c, through
llama-cpp-python's low-level API (llama_decode on batches).

    bench_llamacpp.py MODEL [--threads N] [--tokens N] [--batch N] [--steps N]
                      [--positions P,P,...] [--span N] [--pos-steps N] [--json]

Batched: `tokens` pseudo-random ids (the same as bench_engine's) in batches
of `batch` with the logits of every position; single steps: `steps` more
tokens one per llama_decode, each with its logits; positions: a fresh
context filled up to each listed position (last logits only, not timed),
then one batch of `span` tokens with all logits and `pos_steps` single
steps, timed. Settings: llama.cpp's defaults (f16 KV cache, flash attention
off), CPU only, n_ubatch = n_batch, and extra buffer types off
(tools/llamacpp_ref.py: llama.cpp's AMX path crashes on Sapphire Rapids,
issue #20824; with them off it runs its AVX2/AVX-512 kernels everywhere).
The low-level API keeps llama-cpp-python from holding n_ctx rows of logits
(17 GiB at 16K positions for a 262K vocabulary).
"""
import argparse
import ctypes
import json
import os
import resource
import sys
import time

import llama_cpp
import llama_cpp.llama_cpp as lib

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import llamacpp_ref  # noqa: E402


class Engine:
    def __init__(self, path, threads):
        lib.llama_backend_init()
        mp = llamacpp_ref.disable_extra_buffer_types(lib.llama_model_default_params())
        mp.n_gpu_layers = 0
        self.model = lib.llama_model_load_from_file(path.encode(), mp)
        if not self.model:
            raise SystemExit(f"bench_llamacpp: cannot load {path}")
        self.n_vocab = lib.llama_vocab_n_tokens(lib.llama_model_get_vocab(self.model))
        self.threads = threads
        self.ctx = None

    def context(self, n_ctx, batch):
        if self.ctx:
            lib.llama_free(self.ctx)
        cp = lib.llama_context_default_params()
        cp.n_ctx = n_ctx
        cp.n_batch = batch
        cp.n_ubatch = batch
        cp.n_threads = self.threads
        cp.n_threads_batch = self.threads
        self.ctx = lib.llama_init_from_model(self.model, cp)
        if not self.ctx:
            raise SystemExit("bench_llamacpp: cannot create a context")
        self.batch = lib.llama_batch_init(batch, 0, 1)
        self.cap = batch

    def decode(self, toks, pos0, all_logits):
        b = self.batch
        for p in range(0, len(toks), self.cap):
            chunk = toks[p:p + self.cap]
            b.n_tokens = len(chunk)
            for i, t in enumerate(chunk):
                b.token[i] = t
                b.pos[i] = pos0 + p + i
                b.n_seq_id[i] = 1
                b.seq_id[i][0] = 0
                b.logits[i] = 1 if all_logits or (p + i == len(toks) - 1) else 0
            if lib.llama_decode(self.ctx, b) != 0:
                raise SystemExit("bench_llamacpp: llama_decode failed")


def tokens(n, n_vocab):
    x, out = 1, []
    for i in range(n):
        x = (x * 1664525 + 1013904223) & 0xFFFFFFFF
        out.append(2 if i == 0 else (x >> 8) % n_vocab)
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("model")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--tokens", type=int, default=1024)
    ap.add_argument("--batch", type=int, default=512)
    ap.add_argument("--steps", type=int, default=64)
    ap.add_argument("--positions", default="")
    ap.add_argument("--span", type=int, default=512)
    ap.add_argument("--pos-steps", type=int, default=16)
    ap.add_argument("--json", action="store_true")
    a = ap.parse_args()
    positions = [int(p) for p in a.positions.split(",") if p]
    e = Engine(a.model, a.threads)
    n_ctx = max([a.tokens + a.steps] + [p + a.span + a.pos_steps for p in positions])
    toks = tokens(n_ctx, e.n_vocab)
    res = {"engine": "llama.cpp", "version": llama_cpp.__version__, "threads": a.threads, "batch": a.batch,
           "extra_buffer_types": False}
    if a.tokens:
        e.context(a.tokens + a.steps, a.batch)
        t0 = time.perf_counter()
        e.decode(toks[:a.tokens], 0, True)
        tb = time.perf_counter() - t0
        t0 = time.perf_counter()
        for i in range(a.steps):
            e.decode([toks[a.tokens + i]], a.tokens + i, True)
        ts = time.perf_counter() - t0
        res["batched"] = {"tokens": a.tokens, "wall_s": tb, "tok_s": a.tokens / tb}
        res["steps"] = {"tokens": a.steps, "after": a.tokens, "wall_s": ts, "ms_per_token": 1e3 * ts / max(a.steps, 1)}
    res["positions"] = []
    if positions:
        e.context(n_ctx, max(a.batch, a.span))
        filled = 0
        for p in sorted(positions):
            if p > filled:
                e.decode(toks[filled:p], filled, False)
            t0 = time.perf_counter()
            e.decode(toks[p:p + a.span], p, True)
            tp = time.perf_counter() - t0
            t0 = time.perf_counter()
            for i in range(a.pos_steps):
                q = p + a.span + i
                e.decode([toks[q]], q, True)
            tq = time.perf_counter() - t0
            filled = p + a.span + a.pos_steps
            res["positions"].append({"pos": p, "span": a.span, "wall_s": tp, "tok_s": a.span / tp,
                                     "steps": a.pos_steps, "step_ms": 1e3 * tq / max(a.pos_steps, 1)})
    res["peak_rss_mib"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    if a.json:
        print(json.dumps(res))
        return
    print(f"llama.cpp via llama-cpp-python {llama_cpp.__version__} ({a.threads} threads, extra buffer types off)")
    if a.tokens:
        print(f"  batched     : {a.tokens} tokens in batches of {a.batch}, all logits: "
              f"{res['batched']['tok_s']:.1f} tokens/s")
        print(f"  single steps: {a.steps} tokens after {a.tokens}: {res['steps']['ms_per_token']:.1f} ms/token")
    for r in res["positions"]:
        print(f"  at {r['pos']:6d}   : {r['span']} tokens, all logits: {r['tok_s']:.1f} tokens/s; "
              f"{r['steps']} single steps: {r['step_ms']:.1f} ms/token")
    print(f"  peak RSS    : {res['peak_rss_mib']:.0f} MiB")


if __name__ == "__main__":
    main()
