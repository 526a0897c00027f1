#!/usr/bin/env python3
"""The engine beside llama.cpp, measured in one run on this machine
(make bench-engine): ours (bench/bench_engine.c) and llama.cpp
(tools/bench_llamacpp.py, llama-cpp-python built by pip for this CPU) on the
same model, the same token ids and the same thread counts.

    bench/bench_engine.py [--model PATH] [--threads 1,2] [--positions 0,8192,16384] [--runs 3]
                          [--out doc/results/engine]

Measured, each the median of --runs runs, alternating ours and llama.cpp:
  - batched: 1024 tokens in batches of 512, the logits of every position
    (what compression does);
  - single-token steps (64, after those 1024), all logits (what
    decompression of one segment does);
  - positions: a batch of 512 tokens (and 16 single steps) starting at each
    listed position, after the context is filled up to it;
  - 1 and 2 threads, peak RSS, and the engine's share of the int8 peak
    (bench_kernels) at the batched speed.
Writes OUT.json and OUT.md (a table with the CPU, its ISA and the ratios).
"""
import argparse
import json
import os
import platform
import statistics
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BUILD = os.environ.get("BUILD", os.path.join(ROOT, "build"))


def cpu():
    model, flags = "", set()
    try:
        for line in open("/proc/cpuinfo"):
            k, _, v = line.partition(":")
            if k.strip() == "model name" and not model:
                model = v.strip()
            if k.strip() == "flags":
                flags = set(v.split())
                break
    except OSError:
        pass
    isa = ("AMX " if "amx_int8" in flags else "") + ("AVX-512 VNNI" if "avx512_vnni" in flags else
                                                     "AVX-512" if "avx512f" in flags else
                                                     "AVX2" if "avx2" in flags else "no AVX2")
    return model or platform.processor(), isa, os.cpu_count()


def run_json(cmd):
    r = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    if r.returncode != 0:
        raise SystemExit(f"{' '.join(cmd)} failed: {r.stderr.decode(errors='replace')[-2000:]}")
    return json.loads(r.stdout.decode().strip().splitlines()[-1] if not r.stdout.decode().strip().startswith("{")
                      else r.stdout.decode())


def ours(model, threads, extra):
    return run_json([os.path.join(BUILD, "bench", "bench_engine"), model, "--threads", str(threads), "--json", *extra])


def llamacpp(model, threads, extra):
    return run_json([sys.executable, os.path.join(ROOT, "tools", "bench_llamacpp.py"), model, "--threads",
                     str(threads), "--json", *extra])


def med(results, path):
    vals = []
    for r in results:
        v = r
        for k in path:
            v = v[k]
        vals.append(v)
    return statistics.median(vals)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--model", default=os.path.join(ROOT, "models", "gemma-3-270m-q4_k_m.gguf"))
    ap.add_argument("--threads", default="1,2")
    ap.add_argument("--positions", default="0,8192,16384")
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--out", default=os.path.join(ROOT, "doc", "results", "engine"))
    a = ap.parse_args()
    threads = [int(t) for t in a.threads.split(",")]
    name, isa, ncpu = cpu()
    print(f"machine: {name}, {isa}, {ncpu} CPUs", flush=True)
    kjson = os.path.join(os.path.dirname(a.out), "kernels.json")
    subprocess.run([os.path.join(BUILD, "bench", "bench_kernels"), "--json", kjson, "16", "Q8_0", "Q5_0", "Q4_K",
                    "Q6_K"], check=True)
    kern = json.load(open(kjson))
    peak = max(kern["int8_peak_gmacs"].values())
    basic = ["--tokens", "1024", "--batch", "512", "--steps", "64"]
    res = {"machine": {"cpu": name, "isa": isa, "cpus": ncpu}, "int8_peak_gmacs": kern["int8_peak_gmacs"],
           "read_bandwidth_gbs": kern["read_bandwidth_gbs"], "runs": a.runs, "by_threads": {}}
    for t in threads:
        o, l = [], []
        for _ in range(a.runs):   # alternating, so that a noisy moment hits both
            o.append(ours(a.model, t, basic))
            l.append(llamacpp(a.model, t, basic))
            print(f"  {t} threads: ours {o[-1]['batched']['tok_s']:.1f} tok/s, {o[-1]['steps']['ms_per_token']:.1f} "
                  f"ms/step; llama.cpp {l[-1]['batched']['tok_s']:.1f} tok/s, {l[-1]['steps']['ms_per_token']:.1f} "
                  f"ms/step", flush=True)
        res["by_threads"][t] = {
            "ours": {"batched_tok_s": med(o, ["batched", "tok_s"]), "step_ms": med(o, ["steps", "ms_per_token"]),
                     "peak_rss_mib": med(o, ["peak_rss_mib"]), "isa": o[0]["isa"]},
            "llamacpp": {"batched_tok_s": med(l, ["batched", "tok_s"]), "step_ms": med(l, ["steps", "ms_per_token"]),
                         "peak_rss_mib": med(l, ["peak_rss_mib"])},
            "macs_per_token": o[0]["macs_per_token"]}
    tp = max(threads)
    pos_args = ["--tokens", "0", "--positions", a.positions, "--span", "512", "--pos-steps", "16"]
    po = ours(a.model, tp, pos_args)
    pl = llamacpp(a.model, tp, pos_args)
    res["positions"] = {"threads": tp, "ours": po["positions"], "llamacpp": pl["positions"]}

    lines = [f"# Engine speed: llama-zip beside llama.cpp",
             "",
             f"`make bench-engine` (bench/bench_engine.py), {name} ({isa}), {ncpu} CPUs, default model "
             f"(Gemma 3 270M Q4_K_M). llama.cpp: llama-cpp-python {pl.get('version', '?')} built by pip for this "
             "CPU, extra buffer types off (its AMX path crashes: llama.cpp #20824; so on AMX machines it runs its "
             "AVX-512 kernels), f16 KV cache, flash attention off. Median of "
             f"{a.runs} alternating runs. Machine int8 peak (bench_kernels): "
             + ", ".join(f"{k} {v:.0f} GMAC/s/core" for k, v in kern["int8_peak_gmacs"].items())
             + f"; read bandwidth {kern['read_bandwidth_gbs']:.1f} GB/s (one core).",
             "",
             "| threads | work | llama-zip | llama.cpp | ratio |",
             "|---|---|---|---|---|"]
    for t in threads:
        b = res["by_threads"][t]
        o, l = b["ours"], b["llamacpp"]
        lines.append(f"| {t} | batched, all logits (512-token batches) | {o['batched_tok_s']:.1f} tok/s | "
                     f"{l['batched_tok_s']:.1f} tok/s | {o['batched_tok_s'] / l['batched_tok_s']:.2f}x |")
        lines.append(f"| {t} | single-token steps, all logits | {o['step_ms']:.1f} ms | {l['step_ms']:.1f} ms | "
                     f"{l['step_ms'] / o['step_ms']:.2f}x |")
        lines.append(f"| {t} | peak RSS | {o['peak_rss_mib']:.0f} MiB | {l['peak_rss_mib']:.0f} MiB | |")
        share = b["macs_per_token"] * o["batched_tok_s"] / (peak * 1e9 * t)
        b["ours"]["share_of_int8_peak"] = share
        lines.append(f"| {t} | share of the int8 peak (matrix products, batched) | {100 * share:.0f} % | | |")
    for po_, pl_ in zip(res["positions"]["ours"], res["positions"]["llamacpp"]):
        lines.append(f"| {tp} | batch of 512 at position {po_['pos']} | {po_['tok_s']:.1f} tok/s | "
                     f"{pl_['tok_s']:.1f} tok/s | {po_['tok_s'] / pl_['tok_s']:.2f}x |")
        lines.append(f"| {tp} | single steps at position {po_['pos'] + 512} | {po_['step_ms']:.1f} ms | "
                     f"{pl_['step_ms']:.1f} ms | {pl_['step_ms'] / po_['step_ms']:.2f}x |")
    if len(threads) > 1:
        t1, t2 = threads[0], threads[-1]
        s = res["by_threads"][t2]["ours"]["batched_tok_s"] / res["by_threads"][t1]["ours"]["batched_tok_s"]
        sl = res["by_threads"][t2]["llamacpp"]["batched_tok_s"] / res["by_threads"][t1]["llamacpp"]["batched_tok_s"]
        res["thread_scaling"] = {"ours": s, "llamacpp": sl}
        lines.append(f"| {t2} vs {t1} | batched speed-up | {s:.2f}x | {sl:.2f}x | |")
    lines.append("")
    lines.append(f"Our kernels: {res['by_threads'][threads[-1]]['ours']['isa']} level. Ratio: llama-zip over "
                 "llama.cpp (speed), llama.cpp over llama-zip (time).")
    text = "\n".join(lines) + "\n"
    print(text)
    os.makedirs(os.path.dirname(a.out), exist_ok=True)
    json.dump(res, open(a.out + ".json", "w"), indent=1)
    open(a.out + ".md", "w").write(text)


if __name__ == "__main__":
    main()
