#!/usr/bin/env python3
"""How much could secondary models add to the LLM? An offline study
(issue 14; make mixing-study).

    bench/mixing_study.py [--files paper1,progc,trans,book2:65536,bib,progl] [--dump-dir DIR]
                          [--out doc/results/mixing_study]

For each file, bench/dump_predictions (build/bench/) records the model's
frequencies for every token: the coded token's, the 8 largest, and the
exact -log2 p of the token at five softmax temperatures. From that dump,
in seconds instead of model-minutes, this script measures:

  1. the prototype mixer: a match model (hash of the last 4 tokens, the
     verified longest match, as in lpaq), order 1-3 token "last follower"
     models, a logistic mixer over stretch(p) inputs with weights chosen
     by match length and LLM confidence, and an APM (SSE) stage; they code
     up to three candidate tokens as binary flags before the token itself
     (the exact binary decomposition: a hit costs -log2 q, a miss
     -log2(1-q) and the token then costs its LLM probability renormalised
     without the candidates). Float arithmetic: an upper estimate of what
     an integer version (the format's rules) would reach;
  2. the ceiling: the LLM bits spent on tokens some predictor got right,
     what a perfect mixer could save at most;
  3. calibration: for the match model's candidates, hit rate against the
     LLM's own probability, by match length: a mixer gains only where
     the two differ;
  4. temperature: the size with each temperature, the best one chosen
     with hindsight per file (an upper bound for a learned per-document
     temperature).

Segments: as the codec's default (64 KiB pieces, fresh context each).
A candidate outside the dumped top-8 that is not the coded token gets half
the 8th frequency (its true value is smaller than the 8th; the effect on
the miss cost is below 0.01 %).
"""
import argparse
import math
import os
import subprocess
import sys
from collections import defaultdict

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CORPUS = os.path.join(os.path.dirname(ROOT), "shared", "corpus")
TOPK = 8
TEMPS = [0.9, 0.95, 1.0, 1.05, 1.1]
MINLEN = 4
REC = 4 + 2 * TOPK + len(TEMPS)


def load(path):
    import array
    import struct
    a = array.array("I")
    with open(path, "rb") as f:
        a.frombytes(f.read())
    if sys.byteorder != "little":
        a.byteswap()
    rows = []
    for i in range(0, len(a), REC):
        r = a[i:i + REC]
        temps = struct.unpack("<%df" % len(TEMPS), struct.pack("<%dI" % len(TEMPS), *r[4 + 2 * TOPK:]))
        rows.append((r[0], r[1], r[2], r[3], [(r[4 + 2 * j], r[5 + 2 * j]) for j in range(TOPK)], temps))
    return rows


def stretch(p):
    p = min(max(p, 1e-6), 1 - 1e-6)
    return math.log(p / (1 - p))


def squash(x):
    return 1 / (1 + math.exp(-max(-30.0, min(30.0, x))))


class MatchModel:
    """The verified longest match of the last MINLEN tokens in the segment so far."""

    def __init__(self):
        self.hist, self.table, self.ptr, self.len = [], {}, 0, 0

    def predicted(self):
        return self.hist[self.ptr] if self.len >= MINLEN else None

    def update(self, y):
        h = self.hist
        h.append(y)
        if self.len > 0:
            if h[self.ptr] == y:
                self.len, self.ptr = self.len + 1, self.ptr + 1
            else:
                self.len = 0
        if len(h) >= MINLEN:
            key = tuple(h[-MINLEN:])
            if self.len == 0 and key in self.table:
                p, n = self.table[key], 0
                while n < 64 and p - 1 - n >= 0 and h[p - 1 - n] == h[-1 - n]:
                    n += 1
                self.len, self.ptr = n, p
            self.table[key] = len(h)


class Followers:
    """Order-o token contexts -> the last token seen after them, with a run count."""

    def __init__(self, order):
        self.o, self.t = order, {}

    def get(self, hist):
        return self.t.get(tuple(hist[-self.o:])) if len(hist) >= self.o else None

    def update(self, hist_before, y):
        if len(hist_before) < self.o:
            return
        key = tuple(hist_before[-self.o:])
        e = self.t.get(key)
        if e is None or (e[0] != y and e[1] <= 1):
            self.t[key] = [y, 1]
        elif e[0] == y:
            e[1] += 1
        else:
            e[1] //= 2


class Mixer:
    def __init__(self, n_in, n_ctx, lr):
        self.w = [[1.0] + [0.0] * (n_in - 1) for _ in range(n_ctx)]
        self.lr = lr

    def p(self, ctx, x):
        self.ctx, self.x = ctx, x
        self.pr = squash(sum(a * b for a, b in zip(self.w[ctx], x)))
        return self.pr

    def update(self, bit):
        err = bit - self.pr
        w = self.w[self.ctx]
        for i, xi in enumerate(self.x):
            w[i] += self.lr * err * xi


class APM:
    def __init__(self, n_ctx, rate=0.02):
        self.t = [[squash((j - 16) / 2.0) for j in range(33)] for _ in range(n_ctx)]
        self.rate = rate

    def p(self, ctx, pr):
        s = max(-7.999, min(7.999, stretch(pr))) * 2 + 16
        lo = int(s)
        self.idx = (ctx, lo, s - lo)
        t = self.t[ctx]
        return t[lo] * (1 - (s - lo)) + t[lo + 1] * (s - lo)

    def update(self, bit):
        ctx, lo, wt = self.idx
        t = self.t[ctx]
        t[lo] += self.rate * (1 - wt) * (bit - t[lo])
        t[lo + 1] += self.rate * wt * (bit - t[lo + 1])


def mixed_bits(rows, match=True, ngram=True, apm=True, lr=0.005):
    """(LLM-only bits, mixed bits) of the rows."""
    llm = mixed = 0.0
    seg = None
    for s, y, total, fy, top, _ in rows:
        if s != seg:
            seg, mm = s, MatchModel()
            fol = [Followers(o) for o in (3, 2, 1)]
            mixer, sse = Mixer(6, 64, lr), APM(64)
            mhits = [[1, 2] for _ in range(16)]
        llm += math.log2(total / fy)
        topd, fmin = dict(top), top[-1][1]
        hist = mm.hist
        cands = []
        mp = mm.predicted() if match else None
        if mp is not None:
            cands.append(mp)
        ents = [f.get(hist) for f in fol] if ngram else [None] * 3
        for e in ents:
            if e is not None and e[0] not in cands:
                cands.append(e[0])
        excl, bits, hit = 0, 0.0, False
        for c in cands[:3]:
            fc = fy if c == y else topd.get(c, max(1, fmin // 2))
            pc = fc / (total - excl)
            x = [stretch(pc), 0.0, 0.0, 0.0, 0.0, 0.3]
            lb = min(mm.len, 15) if c == mp else 0
            if lb:
                x[1] = stretch(mhits[lb][0] / mhits[lb][1])
            for i, e in enumerate(ents):
                if e is not None and e[0] == c:
                    x[2 + i] = min(e[1], 8) / 4.0
            conf = 0 if pc < 0.3 else 1 if pc < 0.7 else 2 if pc < 0.95 else 3
            q = mixer.p(lb * 4 + conf, x)
            if apm:
                q = (q + 3 * sse.p(lb * 4 + (x[2] != 0) * 2 + (x[3] != 0), q)) / 4
            q = min(max(q, 1 / 65536), 1 - 1 / 65536)
            bit = int(c == y)
            bits -= math.log2(q if bit else 1 - q)
            mixer.update(bit)
            if apm:
                sse.update(bit)
            if lb:
                mhits[lb][0] += bit
                mhits[lb][1] += 1
            if bit:
                hit = True
                break
            excl += fc
        if not hit:
            bits += math.log2((total - excl) / fy)
        mixed += bits
        before = list(hist[-3:])
        mm.update(y)
        for f in fol:
            f.update(before, y)
    return llm, mixed


def ceiling(rows):
    """LLM bits on tokens each predictor got right (match, order 1-3 followers, any)."""
    llm, saved, seg = 0.0, defaultdict(float), None
    for s, y, total, fy, _, _ in rows:
        if s != seg:
            seg, mm, fol = s, MatchModel(), [Followers(o) for o in (1, 2, 3)]
        b = math.log2(total / fy)
        llm += b
        right = False
        if mm.predicted() == y:
            saved["match"] += b
            right = True
        for f in fol:
            e = f.get(mm.hist)
            if e is not None and e[0] == y:
                saved[f"order {f.o}"] += b
                right = True
        if right:
            saved["any"] += b
        before = list(mm.hist[-3:])
        mm.update(y)
        for f in fol:
            f.update(before, y)
    return llm, saved


def calibration(rows):
    """(match length bucket, LLM p bucket) -> [n, hits, sum of LLM p] for the match candidates."""
    out, seg = defaultdict(lambda: [0, 0, 0.0]), None
    for s, y, total, fy, top, _ in rows:
        if s != seg:
            seg, mm = s, MatchModel()
        c = mm.predicted()
        if c is not None:
            topd = dict(top)
            p = (fy if c == y else topd.get(c, max(1, top[-1][1] // 2))) / total
            lb = "4-7" if mm.len < 8 else "8-15" if mm.len < 16 else "16+"
            pb = "<0.1" if p < 0.1 else "0.1-0.5" if p < 0.5 else "0.5-0.9" if p < 0.9 else ">=0.9"
            b = out[(lb, pb)]
            b[0] += 1
            b[1] += int(c == y)
            b[2] += p
        mm.update(y)
    return out


def dump(name, spec, dump_dir, prog, model):
    """Dump file `spec` (calgary name, optionally :BYTES) once; returns the dump's path."""
    base, _, nbytes = spec.partition(":")
    path = os.path.join(CORPUS, "calgary", base)
    if not os.path.exists(path):
        path = os.path.join(CORPUS, base)
    data = open(path, "rb").read()
    if nbytes:
        data = data[:int(nbytes)]
    text = os.path.join(dump_dir, name + ".txt")
    out = os.path.join(dump_dir, name + ".dump")
    if not os.path.exists(out):
        open(text, "wb").write(data)
        subprocess.run([prog, model, text, out], check=True, stdout=subprocess.DEVNULL)
    return out, len(data)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--files", default="paper1,progc,trans,book2:65536,bib,progl")
    ap.add_argument("--dump-dir", default="/tmp/llamazip-mixing-study")
    ap.add_argument("--prog", default=os.path.join(ROOT, os.environ.get("BUILD", "build"), "bench", "dump_predictions"))
    ap.add_argument("--model", default=os.path.join(ROOT, "models", "gemma-3-270m-q4_k_m.gguf"))
    ap.add_argument("--out", default=os.path.join(ROOT, "doc", "results", "mixing_study"))
    a = ap.parse_args()
    os.makedirs(a.dump_dir, exist_ok=True)
    lines = ["# Mixing the LLM with match and n-gram models: what it could gain (bench/mixing_study.py)", "",
             "Default model (Gemma 3 270M Q4_K_M), 64 KiB segments. Sizes in bytes of ideal code length "
             "(-log2 p summed); the LLM's coded size is within 0.01 % of it.", "",
             "## Prototype mixer and ablation (float arithmetic)", "",
             "| file | bytes | LLM only | + match | + n-gram | + both | + both + SSE | change |",
             "|---|---:|---:|---:|---:|---:|---:|---:|"]
    ceil_lines = ["", "## Ceiling: LLM bits on tokens each predictor got right", "",
                  "| file | LLM bits | match | order 1 | order 2 | order 3 | any |", "|---|---:|---:|---:|---:|---:|---:|"]
    temp_lines = ["", "## Temperature (exact softmax of logits / T; the best T chosen with hindsight)", "",
                  "| file | " + " | ".join(f"T={t}" for t in TEMPS) + " | best change |",
                  "|---|" + "---:|" * (len(TEMPS) + 1)]
    calib = defaultdict(lambda: [0, 0, 0.0])
    tot = defaultdict(float)
    for spec in a.files.split(","):
        name = spec.replace(":", "_")
        path, nbytes = dump(name, spec, a.dump_dir, a.prog, a.model)
        rows = load(path)
        res = {}
        for key, kw in [("llm", None), ("match", dict(ngram=False, apm=False)), ("ngram", dict(match=False, apm=False)),
                        ("both", dict(apm=False)), ("all", dict())]:
            if kw is None:
                continue
            l, m = mixed_bits(rows, **kw)
            res["llm"], res[key] = l, m
        for k, v in res.items():
            tot[k] += v
        lines.append(f"| {name} | {nbytes} | {res['llm'] / 8:.0f} | {res['match'] / 8:.0f} | {res['ngram'] / 8:.0f} | "
                     f"{res['both'] / 8:.0f} | {res['all'] / 8:.0f} | {100 * (res['all'] / res['llm'] - 1):+.2f} % |")
        l, saved = ceiling(rows)
        ceil_lines.append(f"| {name} | {l:.0f} | " + " | ".join(
            f"{100 * saved[k] / l:.2f} %" for k in ("match", "order 1", "order 2", "order 3", "any")) + " |")
        tb = [sum(r[5][i] for r in rows) for i in range(len(TEMPS))]
        base = tb[TEMPS.index(1.0)]
        temp_lines.append(f"| {name} | " + " | ".join(f"{b / 8:.0f}" for b in tb) +
                          f" | {100 * (min(tb) / base - 1):+.2f} % |")
        for k, v in calibration(rows).items():
            for i in range(3):
                calib[k][i] += v[i]
        print(f"{name}: LLM {res['llm'] / 8:.0f} B, mixed {res['all'] / 8:.0f} B", flush=True)
    lines.append(f"| **total** | | {tot['llm'] / 8:.0f} | {tot['match'] / 8:.0f} | {tot['ngram'] / 8:.0f} | "
                 f"{tot['both'] / 8:.0f} | {tot['all'] / 8:.0f} | {100 * (tot['all'] / tot['llm'] - 1):+.2f} % |")
    cal_lines = ["", "## Calibration of the match model's candidates (all files)", "",
                 "| match length | LLM p of the candidate | candidates | hit rate | LLM's mean p |", "|---|---|---:|---:|---:|"]
    order = {"4-7": 0, "8-15": 1, "16+": 2, "<0.1": 0, "0.1-0.5": 1, "0.5-0.9": 2, ">=0.9": 3}
    for k in sorted(calib, key=lambda k: (order[k[0]], order[k[1]])):
        n, h, sp = calib[k]
        cal_lines.append(f"| {k[0]} | {k[1]} | {n} | {h / n:.3f} | {sp / n:.3f} |")
    text = "\n".join(lines + ceil_lines + cal_lines + temp_lines) + "\n"
    print(text)
    open(a.out + ".md", "w").write(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
