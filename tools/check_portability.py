#!/usr/bin/env python3
"""check_portability.py - the same inputs through every build of llama-zip:
archives compared byte for byte, and every archive decoded by every variant.

Variants (make check-portability):
  x86-64   {gcc, clang} x {-O0, -O3} builds, each run at the kernel levels
           {scalar, avx2, avx512} (LLAMAZIP_CPU; a level the CPU lacks is
           skipped, not lowered) and with {1, 2, 3} threads;
  aarch64  {gcc, clang} -O3 static builds under qemu-aarch64, at {scalar,
           neon}, 2 threads (with --arm-o0 also gcc -O0).
On an AArch64 machine the native builds are {gcc, clang} x {-O0, -O3} at
{scalar, neon} x {1, 2, 3} threads, and nothing runs under qemu.
Inputs: every tiny model of build/tiny (several architectures and weight
types; n_ctx 32 so that the window slides, and segments of 256 bytes so that
several streams are decoded at once): one per architecture and weight type
(TINY_MODELS), and a few hundred bytes of text with the default model (n_ctx
64: it slides too). Under qemu and at -O0 without SIMD the default model is
slow (minutes a run), so its input goes through a subset both ways
(DEFAULT_COMPRESSORS, DEFAULT_DECODERS below); the tiny models go through
every variant both ways.

Prints, for every input, the archive hash (first 12 hex digits of SHA-256)
of every variant, and fails (exit 1) unless all are equal and every variant
decodes every distinct archive to the input. --quick: a subset for make test
(the native gcc -O2 build, or --prog, at every level with 1 and 3 threads;
aarch64 gcc at scalar and neon; three tiny models). --md FILE writes the matrix as Markdown.
"""
import argparse
import hashlib
import os
import platform
import shutil
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TINY_DIR = os.path.join(ROOT, "build", "tiny")
MODEL = os.path.join(ROOT, "models", "gemma-3-270m-q4_k_m.gguf")
PORT_DIR = os.path.join("build", "portability")   # relative: the make BUILD= of each variant

TEXT_TINY = (b"Portable archives: any machine decodes them, bit for bit. The window slides over this text "
             b"many times (a context of 32 tokens); segments of 128 bytes are decoded several at a time. "
             b"\xce\xbb-calculus, caf\xc3\xa9, \xe6\x97\xa5\xe6\x9c\xac, tabs\tand newlines\n, digits 0123456789 !?;:.\n")
TEXT_DEFAULT = (b"An archive made on one machine must decompress on any other: x86 with or without AVX2 or "
                b"AVX-512, ARM with NEON, gcc or clang, -O0 or -O3, one thread or several. The decoder "
                b"rebuilds the coder's frequencies from its own evaluation of the model, so every bit of "
                b"every logit must match.\n")


# one per architecture and weight type: gemma3 (bf16 with a sliding-window pattern, f32, q4_k,
# q5_0), llama (f16 with biases, q4_0 with rope freqs), phi3 (f16, longrope), qwen2 (q8_0)
TINY_MODELS = ["gemma3-pattern-bf16", "gemma3-f32", "gemma3-q4_k", "gemma3-q5_0", "llama-f16-bias",
               "llama-q4_0-ropefreqs", "phi3-f16-longrope", "qwen2-q8_0"]
TINY_QUICK = ["gemma3-q4_k", "llama-q4_0-ropefreqs", "qwen2-q8_0"]


def DEFAULT_COMPRESSORS(v):
    """Variants that compress the default model's input: every native -O3 one, native -O0 at the
    best level with 1 and 3 threads, and under qemu gcc NEON only (a run of the default model takes
    minutes at -O0 without SIMD and under qemu)."""
    if not v.runner:
        return v.opt != "-O0" or (v.level == NATIVE_BEST and v.threads in (1, 3))
    return v.cc == "gcc" and v.level == "neon"


def DEFAULT_DECODERS(v):
    """Variants that decode the default model's archives: native gcc -O3 at every level (2
    threads), clang -O0 at the best level, and under qemu gcc NEON."""
    if not v.runner:
        return (v.cc, v.opt, v.threads) == ("gcc", "-O3", 2) or \
            (v.cc, v.opt, v.level, v.threads) == ("clang", "-O0", NATIVE_BEST, 1)
    return v.cc == "gcc" and v.level == "neon"


def sh(cmd, **kw):
    return subprocess.run(cmd, cwd=ROOT, check=True, **kw)


def build(name, make_args, target="llama-zip"):
    """make BUILD=build/portability/NAME ... (incremental); returns the program's path."""
    bdir = os.path.join(PORT_DIR, name)
    t0 = time.time()
    sh(["make", "-s", f"-j{os.cpu_count() or 2}", f"BUILD={bdir}"] + make_args + [f"{bdir}/{target}"],
       stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    print(f"  built {name:<18} ({time.time() - t0:.0f} s)", flush=True)
    return os.path.join(ROOT, bdir, target)


NATIVE_BEST = "scalar"   # the best kernel level this CPU runs natively (set by variants())


def cpu_has(level):
    if level == "scalar":
        return True
    flags = open("/proc/cpuinfo").read() if os.path.exists("/proc/cpuinfo") else ""
    if level == "avx2":
        return " avx2" in flags and " fma" in flags and " f16c" in flags
    if level == "avx512":
        return all(f" {f}" in flags for f in ("avx512f", "avx512bw", "avx512vl", "avx512dq"))
    return False


class Variant:
    def __init__(self, arch, cc, opt, prog, level, threads, runner=()):
        self.arch, self.cc, self.opt, self.prog, self.level, self.threads, self.runner = \
            arch, cc, opt, prog, level, threads, runner
        self.name = f"{arch} {cc} {opt} {level} t{threads}" + (" (qemu)" if runner else "")

    def run(self, model, args, data):
        cmd = list(self.runner) + [self.prog, model, "-q", "-t", str(self.threads)] + args
        env = dict(os.environ, LLAMAZIP_CPU=self.level)
        t0 = time.time()
        p = subprocess.run(cmd, input=data, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env, timeout=3600)
        if p.returncode != 0:
            raise RuntimeError(f"{self.name}: {' '.join(cmd)}: exit {p.returncode}: {p.stderr.decode()[-500:]}")
        return p.stdout, time.time() - t0


def variants(args):
    out = []
    x86 = platform.machine() in ("x86_64", "AMD64")
    levels = [lv for lv in ("scalar", "avx2", "avx512") if cpu_has(lv)] if x86 else ["scalar", "neon"]
    global NATIVE_BEST
    NATIVE_BEST = levels[-1]
    if args.quick:
        prog = args.prog or build("gcc-O2", ["CC=gcc", "OPT=-O2"])
        for lv in levels:
            for t in (1, 3):
                out.append(Variant("x86" if x86 else "aarch64", "gcc", "-O2", prog, lv, t))
    else:
        for cc in ("gcc", "clang"):
            if not shutil.which(cc):
                print(f"  {cc} not found: its variants are left out", flush=True)
                continue
            for opt in ("-O0", "-O3"):
                prog = build(f"{cc}{opt}", [f"CC={cc}", f"OPT={opt}"])
                for lv in levels:
                    for t in (1, 2, 3):
                        out.append(Variant("x86" if x86 else "aarch64", cc, opt, prog, lv, t))
    if x86 and not args.no_arm:
        qemu = shutil.which("qemu-aarch64")
        if not qemu or not shutil.which("aarch64-linux-gnu-gcc"):
            msg = "qemu-aarch64 / aarch64-linux-gnu-gcc missing (sh tools/deps.sh install-arm)"
            if args.require_arm:
                sys.exit("check-portability: " + msg)
            print("  aarch64 variants left out: " + msg, flush=True)
            return out
        cross = ["AR=aarch64-linux-gnu-ar", "LD=aarch64-linux-gnu-ld", "OBJCOPY=aarch64-linux-gnu-objcopy", "STATIC=1"]
        arm_builds = [("gcc", "aarch64-linux-gnu-gcc", "-O3")]
        if not args.quick:
            if shutil.which("clang"):
                arm_builds.append(("clang", "clang --target=aarch64-linux-gnu", "-O3"))
            if args.arm_o0:
                arm_builds.append(("gcc", "aarch64-linux-gnu-gcc", "-O0"))
        for cname, cc, opt in arm_builds:
            prog = build(f"aarch64-{cname}{opt}", [f"CC={cc}", f"OPT={opt}"] + cross)
            for lv in ("scalar", "neon"):
                out.append(Variant("aarch64", cname, opt, prog, lv, 2, runner=(qemu,)))
    return out


def inputs(args):
    """(name, model, options, text, compressors, decoders): the last two filter the variants."""
    out = []
    every = lambda v: True  # noqa: E731
    if not args.quick and not args.no_default_model:
        if os.path.exists(MODEL):
            out.append(("default model", MODEL, ["--n-ctx", "64", "-w", "25%"], TEXT_DEFAULT,
                        DEFAULT_COMPRESSORS, DEFAULT_DECODERS))
        else:
            print("  the default model is missing (make model): its input is left out", flush=True)
    for name in (args.tiny.split(",") if args.tiny else TINY_QUICK if args.quick else TINY_MODELS):
        if name == "none":
            continue
        path = os.path.join(TINY_DIR, name + ".gguf")
        if not os.path.exists(path):
            print(f"  {path} missing (make tiny-models): left out", flush=True)
            continue
        out.append((name, path, ["--n-ctx", "32", "-w", "25%", "--segment-size", "128"], TEXT_TINY, every, every))
    return out


def matrix(vs, ins, hashes, picked):
    """The Markdown table (a row per variant, a column per input) and the named cross-ISA decodings
    (the default model's, else the first input's)."""
    cols = [i[0] for i in ins]
    lines = ["| variant | " + " | ".join(cols) + " |", "|---|" + "---|" * len(cols)]
    for v in vs:
        lines.append(f"| {v.name} | " + " | ".join(f"`{hashes[(c, v.name)]}`" if (c, v.name) in hashes else "-"
                                                    for c in cols) + " |")
    named = [p for k, p in sorted(picked.items()) if k[0] == "default model"]
    named = named or [p for k, p in sorted(picked.items()) if k[0] == cols[0]]
    return lines, named


def write_md(path, vs, ins, hashes, picked, fails, times, total, partial):
    lines, named = matrix(vs, ins, hashes, picked)
    done = len({k[0] for k in hashes})
    with open(path, "w") as f:
        f.write("\n".join(lines) + "\n")
        for iname, h, src, dst in named:
            f.write(f"\ncross-ISA: {iname}: archive `{h}` made by **{src}** decoded by **{dst}**: "
                    f"identical to the input\n")
        state = "FAILED: " + "; ".join(fails) if fails else "all archives identical, every decoding exact"
        f.write(f"\n{len(vs)} variants, {done} of {len(ins)} inputs{' so far' if partial else ''}: "
                f"{total:.0f} s wall; {state}.\n")
        f.write("\nSeconds per variant (compress + decompress, all inputs so far):\n\n")
        for v in vs:
            f.write(f"- {v.name}: {times.get(v.name, 0):.1f}\n")


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true", help="the subset run by make test")
    ap.add_argument("--no-arm", action="store_true", help="x86 variants only")
    ap.add_argument("--require-arm", action="store_true", help="fail when the AArch64 tools are missing")
    ap.add_argument("--arm-o0", action="store_true", help="also an AArch64 gcc -O0 build (slow under qemu)")
    ap.add_argument("--md", help="write the matrix as Markdown to this file")
    ap.add_argument("--prog", help="--quick: the native program to use (default: a gcc -O2 build)")
    ap.add_argument("--tiny", help="comma-separated tiny models (default: TINY_MODELS); 'none' for none")
    ap.add_argument("--no-default-model", action="store_true", help="leave out the default model's input")
    args = ap.parse_args()
    t_start = time.time()
    print("check-portability: building the variants", flush=True)
    vs = variants(args)
    ins = inputs(args)
    if not vs or not ins:
        sys.exit("check-portability: nothing to compare")
    print(f"check-portability: {len(vs)} variants x {len(ins)} inputs", flush=True)
    hashes = {}        # (input, variant) -> hash
    fails = []
    picked = {}        # (input, made on aarch64?) -> the first decoding by the other ISA
    times = {}
    for iname, model, extra, data, compressors, decoders in ins:
        t_in = time.time()
        archives = {}
        made_on = {}   # arch -> (archive, variant): the first archive each ISA made
        for v in filter(compressors, vs):
            try:
                arc, dt = v.run(model, extra + ["-c"], data)
            except (RuntimeError, subprocess.TimeoutExpired) as e:
                fails.append(f"{iname}: compression failed: {e}")
                continue
            made_on.setdefault(v.arch, (arc, v.name))
            h = hashlib.sha256(arc).hexdigest()[:12]
            hashes[(iname, v.name)] = h
            archives.setdefault(h, (arc, v.name))
            times[v.name] = times.get(v.name, 0.0) + dt
        if len(archives) != 1:
            fails.append(f"{iname}: {len(archives)} different archives: " +
                         ", ".join(f"{h} (first from {src})" for h, (_, src) in archives.items()))
        # every variant decodes every distinct archive
        n_dec = 0
        for h, (arc, src) in archives.items():
            for v in filter(decoders, vs):
                try:
                    out, dt = v.run(model, ["-d"], arc)
                except (RuntimeError, subprocess.TimeoutExpired) as e:
                    fails.append(f"{iname}: archive {h} (made by {src}): decompression failed: {e}")
                    continue
                times[v.name] = times.get(v.name, 0.0) + dt
                n_dec += 1
                if out != data:
                    fails.append(f"{iname}: archive {h} (made by {src}) decoded by {v.name}: wrong output")
                elif src.startswith("aarch64") != v.name.startswith("aarch64"):
                    picked.setdefault((iname, src.startswith("aarch64")), (iname, h, src, v.name))
        # The archives above are decoded once per distinct content, named after the first variant
        # that made it (an x86 one): the bytes an AArch64 variant made also go, as such, to an x86
        # decoder (and the other way round when an AArch64 variant came first).
        for arch, other in (("aarch64", "x86"), ("x86", "aarch64")):
            if arch not in made_on or (iname, arch == "aarch64") in picked:
                continue
            arc, src = made_on[arch]
            dec = next((v for v in filter(decoders, vs) if v.arch == other), None)
            if dec is None:
                continue
            try:
                out, dt = dec.run(model, ["-d"], arc)
            except (RuntimeError, subprocess.TimeoutExpired) as e:
                fails.append(f"{iname}: archive made by {src}: decompression by {dec.name} failed: {e}")
                continue
            n_dec += 1
            h = hashlib.sha256(arc).hexdigest()[:12]
            if out != data:
                fails.append(f"{iname}: archive {h} (made by {src}) decoded by {dec.name}: wrong output")
            else:
                picked[(iname, arch == "aarch64")] = (iname, h, src, dec.name)
        size = len(next(iter(archives.values()))[0]) if archives else 0
        print(f"  {iname:<26} {len(data):5d} bytes -> {size:5d}: "
              f"{len(archives)} distinct archive(s) from {len(list(filter(compressors, vs)))} variants, "
              f"{n_dec} decodings ({time.time() - t_in:.0f} s)", flush=True)
        if args.md:
            write_md(args.md, vs, ins, hashes, picked, fails, times, time.time() - t_start, partial=True)
    total = time.time() - t_start
    lines, named = matrix(vs, ins, hashes, picked)
    print("\n".join(lines))
    for iname, h, src, dst in named:
        print(f"cross-ISA: {iname}: archive {h} made by [{src}] decoded by [{dst}]: identical to the input")
    print(f"check-portability: {len(vs)} variants, {len(ins)} inputs, {total:.0f} s "
          f"({'FAILED' if fails else 'all archives identical, every decoding exact'})")
    if args.md:
        write_md(args.md, vs, ins, hashes, picked, fails, times, total, partial=False)
    for f in fails:
        print("FAILED: " + f)
    return 1 if fails else 0


if __name__ == "__main__":
    sys.exit(main())
