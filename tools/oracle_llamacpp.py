#!/usr/bin/env python3
"""llama.cpp as the reference for the engine (through llama-cpp-python).

Tokenizes a text with llama.cpp's own tokenizer (BOS first, no special-token
parsing), evaluates it with logits for every position, and writes the token
ids and next-token log-probabilities.

    oracle_llamacpp.py MODEL TEXT_FILE --n-tokens 1024 --out PREFIX
        PREFIX.tokens.i32   little-endian int32 token ids (BOS + text tokens)
        PREFIX.logprobs.npy float32 [n, n_vocab] log-softmax of llama.cpp's logits
    --topk K: instead write PREFIX.topk.npz (small fixtures): for each position
        the top-K token ids and log-probs, and the log-prob of the next token.
    --logits: instead write PREFIX.logits.npy, llama.cpp's raw logits (float32).
    --tokens FILE (instead of TEXT_FILE): evaluate these int32 token ids.

llama.cpp settings used (the defaults of llama-cpp-python 0.3.36, but for the
extra buffer types, off: tools/llamacpp_ref.py says why): f16 K and V cache,
flash attention off unless --flash-attn (so Q and the softmax output are
rounded to f16 for the two attention products), n_batch = n_ubatch as given
(default 512), everything on the CPU.
"""
import argparse
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import llamacpp_ref  # noqa: E402


def load_llama(model, n_ctx, n_batch=512, n_threads=2, flash_attn=False):
    """llama.cpp with the settings above, for logits at every position."""
    return llamacpp_ref.load_llama(model, n_ctx=n_ctx, n_batch=n_batch, n_ubatch=n_batch, n_threads=n_threads,
                                   n_threads_batch=n_threads, logits_all=True, flash_attn=flash_attn,
                                   n_gpu_layers=0)


def tokenize(llm, data, n_tokens=None):
    """BOS + llama.cpp's tokens of `data` (bytes), cut to n_tokens in total."""
    toks = llm.tokenize(data, add_bos=True, special=False)
    bos = llm.token_bos()
    if not toks or toks[0] != bos:
        toks = [bos] + toks
    return toks[:n_tokens] if n_tokens else toks


def logits_for(llm, tokens):
    """llama.cpp's logits (float32 [n, n_vocab]) after each token."""
    llm.reset()
    llm.eval(tokens)
    return np.array(llm.scores[:len(tokens)], dtype=np.float32)


def file_sha256(path):
    import hashlib
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def log_softmax(x):
    x = np.asarray(x, dtype=np.float64)
    m = x.max(axis=-1, keepdims=True)
    return x - m - np.log(np.exp(x - m).sum(axis=-1, keepdims=True))


DECISIVE_MARGIN = 0.5  # nats between the reference's first and second choices


def _log_softmax32(x):
    x = np.asarray(x, dtype=np.float32)
    x = x - x.max(axis=-1, keepdims=True)
    return x - np.log(np.exp(x).sum(axis=-1, keepdims=True, dtype=np.float64)).astype(np.float32)


def compare(ref_logits, our_logits, tokens, chunk=64):
    """Full-distribution comparison of two [n, n_vocab] logit arrays (any
    array-likes, read `chunk` rows at a time; float32 arithmetic with the
    normalizing sums in double): mean KL(ref || ours) per position, top-1
    agreement (all positions, and positions where the reference's top choice
    leads by >= DECISIVE_MARGIN nats), and the mean cross-entropy of the
    actual next tokens under each."""
    n = len(tokens)
    nxt = np.asarray(tokens[1:], dtype=np.int64)
    kl = np.zeros(n)
    agree = np.zeros(n, dtype=bool)
    decisive = np.zeros(n, dtype=bool)
    ce_ref = ce_ours = 0.0
    for a in range(0, n, chunk):
        b = min(n, a + chunk)
        r = _log_softmax32(ref_logits[a:b])
        o = _log_softmax32(our_logits[a:b])
        kl[a:b] = (np.exp(r) * (r - o)).sum(-1, dtype=np.float64)
        top = r.argmax(-1)
        agree[a:b] = top == o.argmax(-1)
        rows = np.arange(b - a)
        first = r[rows, top]
        r[rows, top] = -np.inf
        decisive[a:b] = (first - r.max(-1)) >= DECISIVE_MARGIN
        r[rows, top] = first
        cr = np.arange(a, min(b, n - 1))
        ce_ref -= r[cr - a, nxt[cr]].sum(dtype=np.float64)
        ce_ours -= o[cr - a, nxt[cr]].sum(dtype=np.float64)
    return dict(n=n, kl=float(kl.mean()), kl_max=float(kl.max()), top1=float(agree.mean()),
                top1_decisive=float(agree[decisive].mean()) if decisive.any() else 1.0,
                decisive_share=float(decisive.mean()), ce_ref=ce_ref / (n - 1), ce_ours=ce_ours / (n - 1))


def compare_topk(fix, our_logits):
    """The same figures against a top-k fixture (topk_fixture): KL over the
    reference's top-k ids plus one bucket for the rest (a lower bound of the
    full KL, close when the top-k hold most of the mass)."""
    ids, top = fix["top_ids"], fix["top_logprobs"].astype(np.float64)
    n = ids.shape[0]
    o = log_softmax(np.asarray(our_logits[:n]))
    oq = np.take_along_axis(o, ids, axis=-1)
    p = np.exp(top)
    p_rest = np.clip(1.0 - p.sum(-1), 1e-300, 1.0)
    q_rest = np.clip(1.0 - np.exp(oq).sum(-1), 1e-300, 1.0)
    kl = (p * (top - oq)).sum(-1) + p_rest * (np.log(p_rest) - np.log(q_rest))
    agree = o.argmax(-1) == ids[:, 0]
    decisive = (top[:, 0] - top[:, 1]) >= DECISIVE_MARGIN
    toks = fix["tokens"]
    m = min(n, len(toks) - 1)
    ce_ref = -fix["next_logprob"][:m].astype(np.float64).sum()
    ce_ours = -o[np.arange(m), toks[1:m + 1]].sum()
    return dict(n=n, kl=float(kl.mean()), kl_max=float(kl.max()), top1=float(agree.mean()),
                top1_decisive=float(agree[decisive].mean()) if decisive.any() else 1.0,
                decisive_share=float(decisive.mean()), ce_ref=ce_ref / m, ce_ours=ce_ours / m)


def topk_fixture(logprobs, tokens, k):
    """Top-k ids / log-probs per position and the log-prob of the next token."""
    n = len(tokens)
    idx = np.argsort(-logprobs, axis=-1, kind="stable")[:, :k]
    top = np.take_along_axis(logprobs, idx, axis=-1)
    nxt = np.full(n, np.nan)
    nxt[:-1] = logprobs[np.arange(n - 1), np.asarray(tokens[1:])]
    return dict(tokens=np.asarray(tokens, dtype=np.int32), top_ids=idx.astype(np.int32),
                top_logprobs=top.astype(np.float32), next_logprob=nxt.astype(np.float32))


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("model")
    ap.add_argument("text", nargs="?", help="text file to tokenize (or --tokens)")
    ap.add_argument("--tokens", help="int32 token ids to evaluate instead of a text")
    ap.add_argument("--n-tokens", type=int, default=1024)
    ap.add_argument("--n-ctx", type=int, default=0, help="default: n_tokens")
    ap.add_argument("--n-batch", type=int, default=512)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--flash-attn", action="store_true")
    out_kind = ap.add_mutually_exclusive_group()
    out_kind.add_argument("--topk", type=int, default=0)
    out_kind.add_argument("--logits", action="store_true")
    ap.add_argument("--out", required=True, help="output prefix")
    a = ap.parse_args()
    if (a.text is None) == (a.tokens is None):
        ap.error("give either TEXT or --tokens")
    llm = load_llama(a.model, a.n_ctx or a.n_tokens, a.n_batch, a.threads, a.flash_attn)
    if a.tokens:
        toks = np.fromfile(a.tokens, dtype="<i4")[:a.n_tokens].tolist()
    else:
        with open(a.text, "rb") as f:
            toks = tokenize(llm, f.read(), a.n_tokens)
    logits = logits_for(llm, toks)
    del llm
    os.makedirs(os.path.dirname(os.path.abspath(a.out)), exist_ok=True)
    np.asarray(toks, dtype="<i4").tofile(a.out + ".tokens.i32")
    if a.logits:
        np.save(a.out + ".logits.npy", logits)
    else:
        lp = log_softmax(logits).astype(np.float32)
        if a.topk:
            np.savez_compressed(a.out + ".topk.npz", **topk_fixture(lp, toks, a.topk))
        else:
            np.save(a.out + ".logprobs.npy", lp)
    print(f"{len(toks)} tokens, vocab {logits.shape[1]}", file=sys.stderr)


if __name__ == "__main__":
    main()
