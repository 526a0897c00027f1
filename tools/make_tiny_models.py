#!/usr/bin/env python3
"""Tiny random-weight GGUF models for the engine tests.

Writes one small model per (architecture, tensor-type mix) into --out, with
a fixed seed so the files are identical on every run. Each model is small
(n_embd 256, 2-6 layers, vocabulary ~700) but exercises one architecture's
particular pieces (gemma3 sliding/global layers and q/k norms, llama NORM
RoPE with rope_freqs and biases, qwen2 biases, phi3 fused tensors with
partial rotary and longrope factors) and one family of weight types.

The tokenizer is a small SentencePiece-style ("llama") vocabulary: <unk>,
<s>, </s>, the 256 byte tokens <0x00>..<0xFF>, printable ASCII and common
English/C words with all their prefixes, so that llama.cpp loads and
tokenizes any text with them.

Weights are quantized with gguf.quants where it can (Q4_0, Q4_1, Q5_0, Q5_1,
Q8_0); K-quants (Q4_K, Q5_K, Q6_K) use the simple encoders below (any valid
encoding will do: llama.cpp and the engine decode the same bits).

    make_tiny_models.py --out build/tiny [--only NAME ...] [--list]
"""
import argparse
import os
import sys

import numpy as np

import gguf
from gguf import GGMLQuantizationType as T
from gguf.quants import quantize as gguf_quantize

SEED = 20240601

WORDS = """the of and to a in is that for it as with be on by this are not we or which an from at can
data compression text model file code int char if return else while void struct static include define
printf null size bits bytes number each one two new time used using system program language
information coding input output string table tree node list buffer length value pointer error
when there their more than has have been will would all also only other some these into may
such between first its two was were but so out use could most then they our any type function
example case where how what word words symbol symbols probability arithmetic encoding method
""".split()


# ---------------------------------------------------------------- vocabulary

def build_vocab():
    """tokens, scores, types of a small SPM vocabulary (ids 0,1,2 = unk, bos, eos)."""
    toks = ["<unk>", "<s>", "</s>"]
    types = [2, 3, 3]
    scores = [0.0, 0.0, 0.0]
    for b in range(256):
        toks.append("<0x%02X>" % b)
        types.append(6)
        scores.append(0.0)
    pieces = set()
    for c in range(0x21, 0x7F):
        pieces.add(chr(c))
    pieces.add("\u2581")
    for w in WORDS:
        for i in range(1, len(w) + 1):
            pieces.add("\u2581" + w[:i])
            pieces.add(w[:i])
    for p in sorted(pieces, key=lambda s: (len(s), s)):
        toks.append(p)
        types.append(1)
        scores.append(float(len(p)) - 1e-3 * len(toks))  # longer pieces merge first
    return toks, scores, types


# ---------------------------------------------------------------- K-quant encoders

def _f16(x):
    return np.asarray(x, dtype=np.float16)


def _pack_scales_k4(sc, m):
    """12 bytes of 6-bit scales/mins for Q4_K / Q5_K (sc, m: [nb, 8] ints 0..63)."""
    nb = sc.shape[0]
    b = np.zeros((nb, 12), dtype=np.uint8)
    for j in range(4):
        b[:, j] = (sc[:, j] & 63) | ((sc[:, j + 4] >> 4) << 6)
        b[:, j + 4] = (m[:, j] & 63) | ((m[:, j + 4] >> 4) << 6)
        b[:, j + 8] = (sc[:, j + 4] & 15) | ((m[:, j + 4] & 15) << 4)
    return b


def _k4_common(x, qmax):
    """Per sub-block of 32: affine scale/min -> (d, dmin, sc, m, q) with q in 0..qmax."""
    nb = x.shape[0]
    xs = x.reshape(nb, 8, 32)
    mn = np.minimum(xs.min(axis=2), 0.0)
    mx = xs.max(axis=2)
    scale = (mx - mn) / qmax
    mins = -mn
    d = _f16(scale.max(axis=1) / 63.0).astype(np.float32)
    dmin = _f16(mins.max(axis=1) / 63.0).astype(np.float32)
    sc = np.where(d[:, None] > 0, np.rint(scale / np.where(d[:, None] > 0, d[:, None], 1)), 0).clip(0, 63).astype(np.int64)
    m = np.where(dmin[:, None] > 0, np.rint(mins / np.where(dmin[:, None] > 0, dmin[:, None], 1)), 0).clip(0, 63).astype(np.int64)
    step = d[:, None] * sc
    q = np.where(step[:, :, None] > 0,
                 np.rint((xs + (dmin[:, None] * m)[:, :, None]) / np.where(step[:, :, None] > 0, step[:, :, None], 1)), 0)
    q = q.clip(0, qmax).astype(np.uint8).reshape(nb, 256)
    return d, dmin, sc, m, q


def encode_q4_k(x):
    nb = x.shape[0]
    d, dmin, sc, m, q = _k4_common(x, 15)
    qs = np.zeros((nb, 128), dtype=np.uint8)
    for c in range(4):
        qs[:, 32 * c:32 * c + 32] = q[:, 64 * c:64 * c + 32] | (q[:, 64 * c + 32:64 * c + 64] << 4)
    return np.concatenate([_f16(d).view(np.uint8).reshape(nb, 2), _f16(dmin).view(np.uint8).reshape(nb, 2),
                           _pack_scales_k4(sc, m), qs], axis=1)


def encode_q5_k(x):
    nb = x.shape[0]
    d, dmin, sc, m, q = _k4_common(x, 31)
    qs = np.zeros((nb, 128), dtype=np.uint8)
    qh = np.zeros((nb, 32), dtype=np.uint8)
    for c in range(4):
        lo, hi = q[:, 64 * c:64 * c + 32], q[:, 64 * c + 32:64 * c + 64]
        qs[:, 32 * c:32 * c + 32] = (lo & 15) | ((hi & 15) << 4)
        qh |= ((lo >> 4) << (2 * c)).astype(np.uint8) | ((hi >> 4) << (2 * c + 1)).astype(np.uint8)
    return np.concatenate([_f16(d).view(np.uint8).reshape(nb, 2), _f16(dmin).view(np.uint8).reshape(nb, 2),
                           _pack_scales_k4(sc, m), qh, qs], axis=1)


def encode_q6_k(x):
    nb = x.shape[0]
    xs = x.reshape(nb, 16, 16)
    scale = np.abs(xs).max(axis=2) / 31.0
    d = _f16(scale.max(axis=1) / 127.0).astype(np.float32)
    sc = np.where(d[:, None] > 0, np.rint(scale / np.where(d[:, None] > 0, d[:, None], 1)), 0).clip(0, 127).astype(np.int64)
    step = d[:, None] * sc
    q = np.where(step[:, :, None] > 0, np.rint(xs / np.where(step[:, :, None] > 0, step[:, :, None], 1)), 0)
    q = (q.clip(-32, 31) + 32).astype(np.uint8).reshape(nb, 256)
    ql = np.zeros((nb, 128), dtype=np.uint8)
    qh = np.zeros((nb, 64), dtype=np.uint8)
    for h in range(2):
        b = 128 * h
        q0, q1, q2, q3 = q[:, b:b + 32], q[:, b + 32:b + 64], q[:, b + 64:b + 96], q[:, b + 96:b + 128]
        ql[:, 64 * h:64 * h + 32] = (q0 & 15) | ((q2 & 15) << 4)
        ql[:, 64 * h + 32:64 * h + 64] = (q1 & 15) | ((q3 & 15) << 4)
        qh[:, 32 * h:32 * h + 32] = (q0 >> 4) | ((q1 >> 4) << 2) | ((q2 >> 4) << 4) | ((q3 >> 4) << 6)
    return np.concatenate([ql, qh, sc.astype(np.int8).view(np.uint8), _f16(d).view(np.uint8).reshape(nb, 2)], axis=1)


K_ENCODERS = {T.Q4_K: (encode_q4_k, 144), T.Q5_K: (encode_q5_k, 176), T.Q6_K: (encode_q6_k, 210)}


def encode(w, qtype):
    """w: float32 [n_out, n_in] -> (array, raw_dtype) for GGUFWriter.add_tensor."""
    w = np.ascontiguousarray(w, dtype=np.float32)
    if qtype == T.F32:
        return w, None
    if qtype == T.F16:
        return w.astype(np.float16), None
    if qtype in K_ENCODERS:
        fn, bb = K_ENCODERS[qtype]
        rows, n = w.shape
        blocks = fn(w.reshape(-1, 256))
        return blocks.reshape(rows, (n // 256) * bb), qtype
    return gguf_quantize(w, qtype), qtype


# ---------------------------------------------------------------- models

# Each entry: arch, sizes, a type for each kind of matrix (default: "mat"),
# and feature flags.
BASE = dict(n_embd=256, n_layer=2, n_head=4, n_head_kv=2, head_dim=64, n_ff=512, ctx=4096)

MODELS = {
    # gemma3: 6 layers so that layer 5 is global (il % 6 == 5) and 0-4 slide
    "gemma3-f32": dict(arch="gemma3", n_layer=6, n_head_kv=1, head_dim=128, n_swa=48, types=dict(mat=T.F32, embd=T.F32)),
    "gemma3-f16": dict(arch="gemma3", n_layer=6, n_head_kv=1, head_dim=128, n_swa=48, types=dict(mat=T.F16, embd=T.F16)),
    "gemma3-q8_0": dict(arch="gemma3", n_layer=6, n_head_kv=1, head_dim=128, n_swa=48, types=dict(mat=T.Q8_0, embd=T.Q8_0)),
    "gemma3-q5_0": dict(arch="gemma3", n_layer=6, n_head_kv=1, head_dim=128, n_swa=48,
                        types=dict(mat=T.Q5_0, attn_v=T.Q8_0, attn_output=T.Q4_0, ffn_down=T.Q5_1, ffn_up=T.Q4_1,
                                   embd=T.Q8_0)),
    "gemma3-q4_k": dict(arch="gemma3", n_layer=6, n_head_kv=1, head_dim=64, n_ff=768, n_swa=48,
                        types=dict(mat=T.Q4_K, attn_v=T.Q6_K, attn_output=T.Q5_K, ffn_down=T.Q6_K, embd=T.Q6_K)),
    # gemma3 with an explicit per-layer pattern and softcapping
    "gemma3-pattern-bf16": dict(arch="gemma3", n_layer=3, n_head_kv=2, head_dim=64, n_swa=40,
                                swa_pattern=[True, False, True], softcap=15.0, types=dict(mat=T.BF16, embd=T.F16)),
    # llama: untied output, all optional biases
    "llama-f16-bias": dict(arch="llama", biases=True, untied=True, types=dict(mat=T.F16, embd=T.F16, output=T.F16)),
    # llama: tied output, rope_freqs (Llama 3.1 style) and linear rope scaling
    "llama-q4_0-ropefreqs": dict(arch="llama", rope_freqs=True, rope_linear=2.0, n_layer=3,
                                 types=dict(mat=T.Q4_0, embd=T.Q8_0)),
    "llama-q4_k": dict(arch="llama", untied=True, n_ff=768, types=dict(mat=T.Q4_K, attn_v=T.Q6_K, ffn_down=T.Q5_K,
                                                                       embd=T.Q4_K, output=T.Q6_K)),
    # qwen2: q/k/v biases, untied output, output bias
    "qwen2-q8_0": dict(arch="qwen2", qkv_bias=True, untied=True, output_bias=True, rope_base=1e6,
                       types=dict(mat=T.Q8_0, embd=T.Q8_0, output=T.Q8_0)),
    # phi3: fused qkv / gate-up, partial rotary, longrope factors
    "phi3-f16-longrope": dict(arch="phi3", n_head_kv=4, n_rot=48, longrope=True, orig_ctx=512,
                              types=dict(mat=T.F16, embd=T.F16, output=T.F16), untied=True),
    "phi3-q8_0": dict(arch="phi3", n_head_kv=4, types=dict(mat=T.Q8_0, embd=T.Q8_0, output=T.Q8_0), untied=True),
}


def make_model(name, spec, out_dir, vocab):
    cfg = dict(BASE)
    cfg.update(spec)
    arch = cfg["arch"]
    rng = np.random.default_rng([SEED, sum(map(ord, name)), len(name)])
    ne, nl, nh, nkv, hd, nff = (cfg[k] for k in ("n_embd", "n_layer", "n_head", "n_head_kv", "head_dim", "n_ff"))
    toks, scores, types = vocab
    nv = len(toks)
    nq, nk = nh * hd, nkv * hd
    n_rot = cfg.get("n_rot", hd)
    ty = cfg["types"]

    def typ(kind):
        return ty.get(kind, ty["mat"])

    path = os.path.join(out_dir, name + ".gguf")
    w = gguf.GGUFWriter(path, arch)
    w.add_name("tiny test model")  # (a name containing "phi3" makes llama.cpp expect <|endoftext|>)
    w.add_context_length(cfg["ctx"])
    w.add_embedding_length(ne)
    w.add_block_count(nl)
    w.add_feed_forward_length(nff)
    w.add_head_count(nh)
    w.add_head_count_kv(nkv)
    w.add_key_length(hd)
    w.add_value_length(hd)
    w.add_layer_norm_rms_eps(1e-6 if arch == "gemma3" else 1e-5)
    w.add_rope_freq_base(cfg.get("rope_base", 1e6 if arch == "gemma3" else 10000.0))
    if n_rot != hd:
        w.add_rope_dimension_count(n_rot)
    if arch == "gemma3":
        w.add_sliding_window(cfg["n_swa"])
        if "swa_pattern" in cfg:
            w.add_array(f"{arch}.attention.sliding_window_pattern", cfg["swa_pattern"])
        if "softcap" in cfg:
            w.add_final_logit_softcapping(cfg["softcap"])
    if "rope_linear" in cfg:
        w.add_rope_scaling_type(gguf.RopeScalingType.LINEAR)
        w.add_rope_scaling_factor(cfg["rope_linear"])
    if cfg.get("longrope"):
        w.add_rope_scaling_type(gguf.RopeScalingType.LONGROPE)
        w.add_rope_scaling_orig_ctx_len(cfg["orig_ctx"])
        w.add_rope_scaling_attn_factors(1.1902380714238083)
    w.add_tokenizer_model("llama")
    w.add_tokenizer_pre("default")
    w.add_token_list(toks)
    w.add_token_scores(scores)
    w.add_token_types(types)
    w.add_unk_token_id(0)
    w.add_bos_token_id(1)
    w.add_eos_token_id(2)
    w.add_add_bos_token(True)
    w.add_add_eos_token(False)
    w.add_add_space_prefix(False)

    def mat(n_out, n_in, gain=1.0):
        return (rng.standard_normal((n_out, n_in)) * (gain / np.sqrt(n_in))).astype(np.float32)

    def vec(n, mean, spread=0.1):
        return (mean * (1.0 + spread * rng.standard_normal(n))).astype(np.float32)

    def put(tname, arr, qtype):
        data, raw = encode(arr, qtype)
        w.add_tensor(tname, data, raw_dtype=raw)

    tied = not cfg.get("untied")
    embd_std = 0.05 if arch == "gemma3" else 1.0
    put("token_embd.weight", (rng.standard_normal((nv, ne)) * embd_std).astype(np.float32), typ("embd"))
    if not tied:
        put("output.weight", mat(nv, ne, 4.5), typ("output"))
    # tied outputs reuse the embeddings: the final norm sets the logit scale
    out_norm = 1.6 if (tied and arch == "gemma3") else (0.06 if tied else 1.0)
    put("output_norm.weight", vec(ne, out_norm), T.F32)
    if cfg.get("output_bias"):
        put("output.bias", (0.5 * rng.standard_normal(nv)).astype(np.float32), T.F32)
    if cfg.get("rope_freqs"):
        put("rope_freqs.weight", np.linspace(1.0, 8.0, n_rot // 2).astype(np.float32), T.F32)
    if cfg.get("longrope"):
        put("rope_factors_long.weight", np.linspace(1.0, 16.0, n_rot // 2).astype(np.float32), T.F32)
        put("rope_factors_short.weight", np.linspace(1.0, 1.5, n_rot // 2).astype(np.float32), T.F32)

    for il in range(nl):
        p = f"blk.{il}."
        put(p + "attn_norm.weight", vec(ne, 1.0), T.F32)
        put(p + "ffn_norm.weight", vec(ne, 1.0), T.F32)
        if arch == "gemma3":
            put(p + "attn_q_norm.weight", vec(hd, 1.5), T.F32)
            put(p + "attn_k_norm.weight", vec(hd, 1.5), T.F32)
            put(p + "post_attention_norm.weight", vec(ne, 0.5), T.F32)
            put(p + "post_ffw_norm.weight", vec(ne, 0.5), T.F32)
        if arch == "phi3":
            put(p + "attn_qkv.weight", mat(nq + 2 * nk, ne, 2.0), typ("attn_qkv"))
            put(p + "ffn_up.weight", mat(2 * nff, ne), typ("ffn_up"))
        else:
            put(p + "attn_q.weight", mat(nq, ne, 2.0), typ("attn_q"))
            put(p + "attn_k.weight", mat(nk, ne, 2.0), typ("attn_k"))
            put(p + "attn_v.weight", mat(nk, ne), typ("attn_v"))
            put(p + "ffn_gate.weight", mat(nff, ne), typ("ffn_gate"))
            put(p + "ffn_up.weight", mat(nff, ne), typ("ffn_up"))
        put(p + "attn_output.weight", mat(ne, nq), typ("attn_output"))
        put(p + "ffn_down.weight", mat(ne, nff), typ("ffn_down"))
        if cfg.get("biases") or cfg.get("qkv_bias"):
            put(p + "attn_q.bias", (0.3 * rng.standard_normal(nq)).astype(np.float32), T.F32)
            put(p + "attn_k.bias", (0.3 * rng.standard_normal(nk)).astype(np.float32), T.F32)
            put(p + "attn_v.bias", (0.2 * rng.standard_normal(nk)).astype(np.float32), T.F32)
        if cfg.get("biases"):
            put(p + "attn_output.bias", (0.1 * rng.standard_normal(ne)).astype(np.float32), T.F32)
            put(p + "ffn_gate.bias", (0.1 * rng.standard_normal(nff)).astype(np.float32), T.F32)
            put(p + "ffn_up.bias", (0.1 * rng.standard_normal(nff)).astype(np.float32), T.F32)
            put(p + "ffn_down.bias", (0.1 * rng.standard_normal(ne)).astype(np.float32), T.F32)

    w.write_header_to_file()
    w.write_kv_data_to_file()
    w.write_tensors_to_file()
    w.close()
    return path


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", default="build/tiny")
    ap.add_argument("--only", nargs="*")
    ap.add_argument("--list", action="store_true")
    a = ap.parse_args()
    if a.list:
        print("\n".join(MODELS))
        return
    os.makedirs(a.out, exist_ok=True)
    vocab = build_vocab()
    for name, spec in MODELS.items():
        if a.only and name not in a.only:
            continue
        path = make_model(name, spec, a.out, vocab)
        print(f"{path}: {os.path.getsize(path)} bytes", file=sys.stderr)


if __name__ == "__main__":
    main()
