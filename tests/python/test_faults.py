"""Fault injection on the llama-zip program (issue 17, "Faults"):

- memory limits (RLIMIT_AS, as ulimit -v) swept across the whole range
  where the program starts but cannot finish: every run either succeeds
  with the right output or exits 2 with one "out of memory" line, never a
  crash and never a different archive;
- the model file truncated while it is mapped (SIGBUS on the mapping):
  exit 2 with a clear line and no output; rewritten in place while in use:
  the library notices ("changed while in use"), exit 2, no output;
- a write that fails half way through several --files outputs: the
  finished ones stay, the failed one leaves nothing, exit 2 with the cause
  (single-file full disk, /dev/full and the tmpfs cases are in
  test_cli_robustness.py);
- the CLI round trip and an error path run clean under valgrind (memcheck,
  definite leaks included), when valgrind is installed.

Uses the committed tiny model (fast); the memory sweep also runs a few
limits with the default model.
"""
import os
import random
import resource
import shutil
import signal
import subprocess
import time

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
PROG = os.path.join(ROOT, "build", "llama-zip")
TINY = os.path.join(ROOT, "tests", "golden", "models", "tiny-spm.gguf")
GEMMA = os.path.join(ROOT, "models", "gemma-3-270m-q4_k_m.gguf")
ORIGINALS = os.path.join(ROOT, "tests", "golden", "v1", "originals")
MIXED = open(os.path.join(ORIGINALS, "mixed_long.bin"), "rb").read()  # MODEL, RAW, ZSTD frames
TEXT = open(os.path.join(ORIGINALS, "long.txt"), "rb").read()

pytestmark = pytest.mark.skipif(not os.path.exists(PROG), reason="needs build/llama-zip (make all)")


def run(args, data=b"", model=TINY, preexec_fn=None, timeout=120):
    return subprocess.run([PROG, model, "-q", *args], input=data, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                          preexec_fn=preexec_fn, timeout=timeout)


def limit_address_space(kib):
    def apply():
        resource.setrlimit(resource.RLIMIT_AS, (kib * 1024, kib * 1024))
    return apply


def check_limited_run(p, kib, what):
    """Success, or exit 2 with one 'out of memory' line; a loader failure below libc's own needs is not ours."""
    err = p.stderr.decode(errors="replace")
    if p.returncode == 127 and "error while loading shared libraries" in err:
        return "loader"
    assert p.returncode >= 0, f"{what} at {kib} KiB: killed by signal {-p.returncode}: {err}"
    if p.returncode == 0:
        return "ok"
    assert p.returncode == 2, (what, kib, p.returncode, err)
    assert err.startswith("llama-zip: ") and err.count("\n") == 1 and "out of memory" in err, (what, kib, err)
    return err.strip()


def sweep(model, data, limits_kib, reference_arc):
    outcomes = {}
    for kib in limits_kib:
        p = run(["-c"], data, model, limit_address_space(kib))
        kind = check_limited_run(p, kib, "compress")
        if kind == "ok":
            assert p.stdout == reference_arc, f"compress at {kib} KiB made another archive"
        outcomes[kind] = outcomes.get(kind, 0) + 1
        p = run(["-d"], reference_arc, model, limit_address_space(kib))
        kind = check_limited_run(p, kib, "decompress")
        if kind == "ok":
            assert p.stdout == data, f"decompress at {kib} KiB gave other bytes"
        outcomes[kind] = outcomes.get(kind, 0) + 1
    for kind, n in sorted(outcomes.items(), key=lambda kv: -kv[1]):
        print(f"  {n:4d} x {kind}")
    return outcomes


def test_memory_limits_tiny_model():
    """Every 192 KiB from 6 MiB (libc loads) to 18 MiB (everything fits), compress and decompress."""
    arc = run(["-c"], MIXED).stdout
    outcomes = sweep(TINY, MIXED, range(6 * 1024, 18 * 1024, 192), arc)
    assert outcomes.get("ok", 0) > 0 and len(outcomes) > 2, outcomes  # the sweep crossed the failure region


def test_memory_limits_default_model():
    if not os.path.exists(GEMMA):
        pytest.skip("needs the default model (make model)")
    data = TEXT[:200]
    arc = run(["--n-ctx", "256", "-c"], data, GEMMA).stdout
    outcomes = {}
    for kib in (64 * 1024, 320 * 1024, 480 * 1024, 2048 * 1024):
        for args, inp in ((["--n-ctx", "256", "-c"], data), (["-d"], arc)):
            p = run(args, inp, GEMMA, limit_address_space(kib))
            kind = check_limited_run(p, kib, args[-1])
            if kind == "ok":
                assert p.stdout == (arc if args[-1] == "-c" else data)
            outcomes[kind] = outcomes.get(kind, 0) + 1
    print(outcomes)
    assert "ok" in outcomes and len(outcomes) > 1, outcomes


# ---------------------------------------------------------------- the model file changes under a running program


def long_job(tmp_path):
    """A private copy of the tiny model and an input that takes it several seconds (batch 1)."""
    model = tmp_path / "model.gguf"
    shutil.copyfile(TINY, model)
    words = TEXT.split()
    rng = random.Random(3)
    src = tmp_path / "big.txt"
    src.write_bytes(b" ".join(rng.choice(words) for _ in range(60000)))
    return model, src


def start(model, src, out):
    return subprocess.Popen([PROG, str(model), "-q", "--batch", "1", "--files", "-c", str(src), "-o", str(out)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)


def finish(proc):
    try:
        _, err = proc.communicate(timeout=120)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.communicate()
        pytest.fail("llama-zip did not finish")
    return proc.returncode, err.decode(errors="replace")


def test_model_truncated_while_mapped(tmp_path):
    model, src = long_job(tmp_path)
    out = tmp_path / "out.llz"
    proc = start(model, src, out)
    time.sleep(0.5)
    assert proc.poll() is None, "the job finished before the model was truncated"
    os.truncate(model, 4096)
    rc, err = finish(proc)
    print(f"  status {rc}: {err.strip()}")
    assert rc == 2, err
    assert "model file" in err and ("truncated" in err or "changed" in err), err
    assert sorted(os.listdir(tmp_path)) == ["big.txt", "model.gguf"]


def test_model_rewritten_while_in_use(tmp_path):
    model, src = long_job(tmp_path)
    out = tmp_path / "out.llz"
    proc = start(model, src, out)
    time.sleep(0.5)
    assert proc.poll() is None, "the job finished before the model was changed"
    size = os.path.getsize(model)
    with open(model, "r+b") as f:  # one weight byte near the end (output.weight), same size
        f.seek(size - 100)
        b = f.read(1)
        f.seek(size - 100)
        f.write(bytes([b[0] ^ 0x40]))
    rc, err = finish(proc)
    print(f"  status {rc}: {err.strip()}")
    assert rc == 2, err
    assert "changed while in use" in err, err
    assert sorted(os.listdir(tmp_path)) == ["big.txt", "model.gguf"]


# ---------------------------------------------------------------- write errors across several outputs


def test_write_error_on_the_second_file(tmp_path):
    small = tmp_path / "small.txt"
    small.write_bytes(TEXT[:300])  # an archive of a few hundred bytes: fits under the limit
    big = tmp_path / "big.bin"
    big.write_bytes(random.Random(4).randbytes(20000))  # incompressible: a 20 KB archive does not

    def limit_file_size():
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (8192, 8192))

    p = subprocess.run([PROG, TINY, "-q", "--files", "-c", str(small), str(big)], stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, preexec_fn=limit_file_size, timeout=120)
    err = p.stderr.decode(errors="replace")
    print(f"  status {p.returncode}: {err.strip()}")
    assert p.returncode == 2 and "File too large" in err and "big.bin.llz" in err, err
    assert sorted(os.listdir(tmp_path)) == ["big.bin", "small.txt", "small.txt.llz"]
    back = run(["-d"], (tmp_path / "small.txt.llz").read_bytes())
    assert back.stdout == TEXT[:300]


# ---------------------------------------------------------------- valgrind


def valgrind(args, data, tmp_path):
    log = tmp_path / "vg.log"
    p = subprocess.run(["valgrind", "--error-exitcode=99", "--leak-check=full", "--errors-for-leak-kinds=definite",
                        "--show-leak-kinds=definite", f"--log-file={log}", PROG, TINY, "-q", *args],
                       input=data, stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=600)
    summary = [line for line in log.read_text(errors="replace").splitlines() if "ERROR SUMMARY" in line]
    print(f"  {' '.join(args)}: status {p.returncode}; {summary[-1] if summary else log.read_text()[-2000:]}")
    assert p.returncode != 99, log.read_text(errors="replace")[-4000:]
    return p


@pytest.mark.skipif(shutil.which("valgrind") is None, reason="valgrind not installed")
def test_valgrind_round_trip(tmp_path):
    data = TEXT[:400] + bytes(range(256)) + TEXT[400:700]
    arc = valgrind(["--n-ctx", "48", "-w", "25%", "-c"], data, tmp_path).stdout
    assert run(["-d"], arc).stdout == data
    p = valgrind(["-d"], arc, tmp_path)
    assert p.returncode == 0 and p.stdout == data
    p = valgrind(["-d"], arc[:-5], tmp_path)  # an error path: a truncated archive
    assert p.returncode == 2
