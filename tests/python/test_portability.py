"""Portability of archives: the same input gives byte-identical archives from
differently built and configured programs, and each decodes the others'.

  - the default build (gcc -O2, AVX2 kernels where the CPU has them)
  - the same program forced to the scalar kernels (LLAMAZIP_CPU=scalar)
  - with 1 thread and batch 3
  - a clang -O0 build without any SIMD code (LZ_NO_SIMD=1), if clang is installed
  - make check-portability's quick subset (tools/check_portability.py --quick): tiny models
    through this build and an AArch64 build under qemu-aarch64, when the tools are installed
"""
import os
import shutil
import subprocess
import sys

import pytest

from conftest import MODEL, PROG, ROOT, needs_prog_and_model  # noqa: F401

ALT_BUILD = os.path.join(ROOT, "build", "portability-clang-O0")
TEXT = b"Portable archives: any machine decodes them, bit for bit.\n"

pytestmark = needs_prog_and_model


def run(prog, args, data, env=None):
    p = subprocess.run([prog, MODEL, "--n-ctx", "32", "-w", "25%"] + args, input=data, stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, env=dict(os.environ, **(env or {})), timeout=600)
    assert p.returncode == 0, p.stderr.decode()
    return p.stdout


def variants():
    v = [("gcc -O2 best ISA", PROG, [], None),
         ("scalar kernels", PROG, [], {"LLAMAZIP_CPU": "scalar"}),
         ("1 thread, batch 3", PROG, ["-t", "1", "--batch", "3"], None)]
    if shutil.which("clang"):
        subprocess.run(["make", "-s", "CC=clang", "OPT=-O0", f"BUILD={ALT_BUILD}", "LZ_NO_SIMD=1",
                        f"{ALT_BUILD}/llama-zip"], cwd=ROOT, check=True, stdout=subprocess.DEVNULL,
                       stderr=subprocess.DEVNULL)
        v.append(("clang -O0, no SIMD", os.path.join(ALT_BUILD, "llama-zip"), [], None))
    return v


def test_archives_identical_across_builds():
    archives = {}
    vs = variants()
    for name, prog, extra, env in vs:
        archives[name] = run(prog, extra + ["-c"], TEXT, env)
    ref = archives[vs[0][0]]
    for name, arc in archives.items():
        print(f"{name}: {len(arc)} bytes, {'identical' if arc == ref else 'DIFFERENT'}")
        assert arc == ref, name
    # cross decoding: the last variant decodes the first's archive and vice versa
    first, last = vs[0], vs[-1]
    assert run(last[1], last[2] + ["-d"], ref, last[3]) == TEXT
    assert run(first[1], ["-d"], archives[last[0]], first[3]) == TEXT


def test_portability_quick_with_aarch64():
    """make check-portability's quick subset: the tiny models through this build at every kernel
    level (1 and 3 threads) and an AArch64 build under qemu at scalar and NEON; byte-identical
    archives, each decoded by every variant. Skipped without the AArch64 tools
    (sh tools/deps.sh install-arm)."""
    if not (shutil.which("qemu-aarch64") and shutil.which("aarch64-linux-gnu-gcc")):
        pytest.skip("needs qemu-aarch64 and aarch64-linux-gnu-gcc (sh tools/deps.sh install-arm)")
    if not os.path.isdir(os.path.join(ROOT, "build", "tiny")):
        pytest.skip("needs the tiny models (make tiny-models)")
    p = subprocess.run([sys.executable, os.path.join(ROOT, "tools", "check_portability.py"), "--quick",
                        "--require-arm", "--prog", PROG, "--tiny", "llama-q4_0-ropefreqs,qwen2-q8_0"],
                       cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=3600)
    out = p.stdout.decode()
    print(out)
    assert p.returncode == 0, out[-3000:]
    assert "all archives identical, every decoding exact" in out
    assert "(qemu)" in out
