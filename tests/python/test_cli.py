"""End-to-end tests of the llama-zip program with the default model.

Round trips (empty, one byte, n_ctx-1 / n_ctx / n_ctx+1 tokens, overlaps,
invalid UTF-8, random bytes), archive size bounds, the bad-archive cases
(exit status 2, message, no output file), file handling (-o, --force,
--files) and interactive mode through a pseudo-terminal.
"""
import os
import pty
import random
import re
import select
import subprocess
import time

import pytest

from conftest import CORPUS, MODEL, PROG, ROOT, TINY_DIR, needs_prog_and_model  # noqa: F401

pytestmark = needs_prog_and_model

TEXT = (b"The quick brown fox jumps over the lazy dog. Compression with a language model "
        b"turns good predictions into few bits.\n")


def lz(*args, data=b"", check=True, env=None):
    p = subprocess.run([PROG, MODEL, *args], input=data, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       env=env)
    if check and p.returncode != 0:
        raise AssertionError(f"llama-zip {args} failed ({p.returncode}): {p.stderr.decode(errors='replace')}")
    return p


def round_trip(data, *opts):
    arc = lz(*opts, "-c", data=data).stdout
    back = lz("-d", data=arc).stdout
    assert back == data, f"round trip failed for {len(data)} bytes with {opts}"
    return arc


def n_tokens(data, *opts):
    err = lz("-v", *opts, "-c", data=data).stderr.decode()
    m = re.search(r"(\d+) tokens", err)
    assert m, err
    return int(m.group(1))


@pytest.mark.parametrize("data", [b"", b"a", b"\n", TEXT, "naïve café – ünïcödé ✓ 中文\n".encode()],
                         ids=["empty", "one-byte", "newline", "text", "unicode"])
def test_round_trip_small(data):
    arc = round_trip(data, "--n-ctx", "64")
    print(f"{len(data)} bytes -> {len(arc)} bytes")


def test_window_boundaries():
    """Inputs of n_ctx-1, n_ctx and n_ctx+1 tokens, with overlap 0, 25% and a token count."""
    data = TEXT * 2
    n = n_tokens(data, "--n-ctx", "512")
    assert n > 20
    checked = 0
    for n_ctx in (n + 1, n, n - 1, n // 3):
        for overlap in ("0", "25%", "5"):
            round_trip(data, "--n-ctx", str(n_ctx), "-w", overlap)
            checked += 1
    print(f"{n} tokens: {checked} window/overlap combinations round-trip")


def test_overlap_recorded_in_archive():
    """Decompression needs no flags: n_ctx and overlap come from the archive."""
    data = TEXT * 3
    arc = lz("--n-ctx", "24", "-w", "30%", "-c", data=data).stdout
    back = lz("--n-ctx", "4096", "-d", data=arc).stdout
    assert back == data


def test_invalid_utf8_and_controls():
    data = b"valid text \xff\xfe broken \xc3( utf8 \xed\xa0\x80 surrogate \xc0\xaf overlong \x00 nul\r\n\tend"
    round_trip(data, "--n-ctx", "128")


def test_random_bytes_not_much_larger():
    rng = random.Random(1234)
    for size in (1, 100, 5000, 70000):
        data = bytes(rng.getrandbits(8) for _ in range(size))
        arc = round_trip(data, "--n-ctx", "128")
        overhead = len(arc) - len(data)
        print(f"random {size} bytes -> {len(arc)} (+{overhead})")
        assert overhead <= 64


def test_binary_corpus_file_small_overhead():
    path = os.path.join(CORPUS, "calgary", "obj1")
    if not os.path.exists(path):
        pytest.skip("corpus not available")
    data = open(path, "rb").read()
    arc = round_trip(data, "--n-ctx", "256")
    print(f"obj1: {len(data)} -> {len(arc)}")
    assert len(arc) <= len(data) + 64


def test_text_with_control_bytes_is_model_coded():
    """Text with a few percent of NUL / backspace bytes (a terminal log like
    Calgary's trans) still goes to the model and beats zstd -19 on it; data
    that is mostly control bytes goes to zstd."""
    rng = random.Random(7)
    words = TEXT.split()
    out = bytearray()
    while len(out) < 1500:
        out += rng.choice(words) + b" "
        if rng.random() < 0.25:
            out += b"\x00" if rng.random() < 0.7 else b"x\x08"
    data = bytes(out)
    bad = sum(1 for c in data if c in (0, 8)) / len(data)
    arc = round_trip(data, "--n-ctx", "512")
    assert n_tokens(data, "--n-ctx", "512") > 0, "not model-coded"
    zstd = subprocess.run(["zstd", "-19", "-c"], input=data, stdout=subprocess.PIPE, check=True).stdout
    print(f"{len(data)} bytes, {bad:.1%} control bytes: llama-zip {len(arc)}, zstd -19 {len(zstd)}")
    assert len(arc) < len(zstd)
    binary = bytes(rng.choice(b"\x00\x01\x02abc") for _ in range(1500))
    round_trip(binary, "--n-ctx", "512")
    assert n_tokens(binary, "--n-ctx", "512") == 0, "mostly-control data was model-coded"


def test_deterministic_archive():
    data = TEXT * 2
    a = lz("--n-ctx", "48", "-c", data=data).stdout
    b = lz("--n-ctx", "48", "-t", "1", "--batch", "7", "-c", data=data).stdout
    c = lz("--n-ctx", "48", "-t", "2", "--batch", "1", "-c", data=data).stdout
    assert a == b == c


def test_verbose_coding_overhead():
    """-v: the model-coded size is within 0.2% of the ideal -sum log2 p."""
    for name in ("paper1", "progc"):
        path = os.path.join(CORPUS, "calgary", name)
        if not os.path.exists(path):
            pytest.skip("corpus not available")
        data = open(path, "rb").read()[:6000]
        err = lz("-v", "--n-ctx", "2048", "-c", data=data).stderr.decode()
        m = re.search(r"model-coded (\d+) bits vs ideal (\d+) \(([-+][\d.]+)%\)", err)
        assert m, err
        print(f"{name} (first 6000 bytes): {err.strip()}")
        assert float(m.group(3)) <= 0.2


# ---------------------------------------------------------------- bad archives


@pytest.fixture
def archive():
    return lz("--n-ctx", "64", "-c", data=TEXT).stdout


def expect_failure(arc, tmp_path, needle, extra=()):
    out = tmp_path / "out.txt"
    p = lz(*extra, "-d", "-o", str(out), data=arc, check=False)
    msg = p.stderr.decode()
    assert p.returncode == 2, (p.returncode, msg)
    assert re.search(needle, msg), msg
    assert not out.exists()
    assert not any(tmp_path.iterdir()), list(tmp_path.iterdir())
    return msg


def test_not_an_archive(tmp_path):
    expect_failure(b"hello, not an archive", tmp_path, "not a llama-zip archive")


def test_unknown_version(tmp_path, archive):
    arc = bytearray(archive)
    arc[0] = 0xF0 | (arc[0] & 0x0F)   # format 2's version nibble: 0xF would be version 7
    expect_failure(bytes(arc), tmp_path, "unsupported archive version 7")
    v1 = open(os.path.join(ROOT, "tests", "golden", "v1", "gemma-short.llz"), "rb").read()
    arc = bytearray(v1)
    arc[4] = 7   # format 1's version byte
    expect_failure(bytes(arc), tmp_path, "unsupported archive version 7")


def test_truncated(tmp_path, archive):
    for cut in (len(archive) - 1, len(archive) // 2, 20, 5):
        expect_failure(archive[:cut], tmp_path, "truncated|corrupt")


def test_flipped_bits(tmp_path, archive):
    rng = random.Random(7)
    for _ in range(8):
        arc = bytearray(archive)
        i = rng.randrange(len(arc))
        arc[i] ^= 1 << rng.randrange(8)
        p = lz("-d", data=bytes(arc), check=False)
        if p.returncode == 0:  # a bit the decoder provably ignores (e.g. the coder's last byte's low bits)
            assert p.stdout == TEXT
            continue
        expect_failure(bytes(arc), tmp_path, "corrupt|checksum|truncated|another model|version|not a llama-zip")
    arc = bytearray(archive)
    arc[-3] ^= 0x20  # inside the coded payload
    expect_failure(bytes(arc), tmp_path, "corrupt|checksum|truncated")


def test_other_model(tmp_path, archive):
    tiny = sorted(f for f in os.listdir(TINY_DIR) if f.endswith(".gguf")) if os.path.isdir(TINY_DIR) else []
    if not tiny:
        pytest.skip("no tiny test model (made by the engine tests)")
    other = os.path.join(TINY_DIR, tiny[0])
    out = tmp_path / "o"
    p = subprocess.run([PROG, other, "-d", "-o", str(out)], input=archive, stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE)
    assert p.returncode == 2
    assert "another model" in p.stderr.decode()
    assert not out.exists()


# ---------------------------------------------------------------- files and usage


def test_files_and_force(tmp_path):
    src = tmp_path / "a.txt"
    src.write_bytes(TEXT)
    lz("--n-ctx", "64", "--files", "-c", str(src))
    arc = tmp_path / "a.txt.llz"
    assert arc.exists()
    before = arc.read_bytes()
    p = lz("--n-ctx", "64", "--files", "-c", str(src), check=False)
    assert p.returncode == 1 and "already exists" in p.stderr.decode()
    assert arc.read_bytes() == before
    lz("--n-ctx", "64", "--files", "--force", "-c", str(src))
    out = tmp_path / "back.txt"
    lz("--files", "-d", str(arc), "-o", str(out))
    assert out.read_bytes() == TEXT
    p = lz("--files", "-d", str(arc), "-o", str(arc), "--force", check=False)
    assert p.returncode == 1 and "input file" in p.stderr.decode()
    assert arc.read_bytes() == before or arc.read_bytes()  # input untouched
    leftovers = [f.name for f in tmp_path.iterdir() if ".llz-" in f.name or ".tmp-" in f.name]
    assert not leftovers


def test_usage_errors():
    assert lz("-x", check=False).returncode == 1
    assert lz(check=False).returncode == 1
    assert lz("-c", "-d", check=False).returncode == 1
    p = subprocess.run([PROG, "/nonexistent/model.gguf", "-c", "x"], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert p.returncode == 2 and b"model.gguf" in p.stderr
    p = subprocess.run([PROG, "--help"], stdout=subprocess.PIPE)
    assert p.returncode == 0 and b"Usage" in p.stdout
    p = subprocess.run([PROG, "--version"], stdout=subprocess.PIPE)
    assert p.returncode == 0 and p.stdout.startswith(b"llama-zip ")


def test_arguments_and_base64():
    arc = lz("--n-ctx", "64", "-f", "base64", "-c", "hello", "world").stdout
    assert re.fullmatch(rb"[A-Za-z0-9+/=]+", arc)
    back = lz("-f", "base64", "-d", arc.decode()).stdout
    assert back == b"hello world"


def test_compat_flags_accepted():
    p = lz("--n-gpu-layers", "-1", "--use-mlock", "--n-ctx", "32", "-f", "base64", "-c", "hi")
    assert "runs on the CPU" in p.stderr.decode()
    assert lz("-f", "base64", "-d", p.stdout.decode()).stdout == b"hi"


def test_default_model_via_env(tmp_path):
    env = dict(os.environ, LLAMAZIP_MODEL=MODEL)
    p = subprocess.run([PROG, "--n-ctx", "32", "-f", "base64", "-c", "hi"], env=env, stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE)
    assert p.returncode == 0, p.stderr


# ---------------------------------------------------------------- interactive


def read_until(fd, pattern, timeout=60.0):
    buf = b""
    end = time.time() + timeout
    while time.time() < end:
        r, _, _ = select.select([fd], [], [], 0.2)
        if r:
            try:
                chunk = os.read(fd, 4096)
            except OSError:
                break
            if not chunk:
                break
            buf += chunk
            if re.search(pattern, buf):
                return buf
    raise AssertionError(f"timed out waiting for {pattern!r}; got {buf!r}")


def wait_exit(pid, timeout=30.0):
    end = time.time() + timeout
    while time.time() < end:
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            return status
        time.sleep(0.1)
    raise AssertionError("llama-zip did not exit")


def test_interactive_pty():
    pid, fd = pty.fork()
    if pid == 0:
        os.execv(PROG, [PROG, MODEL, "--n-ctx", "64", "-i"])
    prompt = "≥≥≥ ".encode()
    try:
        read_until(fd, re.escape(prompt))
        os.write(fd, b"hello interactive world\n")
        out = read_until(fd, rb"([A-Za-z0-9+/=]{8,})\r?\n.*" + re.escape(prompt))
        b64 = re.search(rb"[\r\n]([A-Za-z0-9+/=]{8,})\r?\n", out).group(1)
        os.write(fd, b64 + b"\n")
        out = read_until(fd, rb"hello interactive world\r?\n.*" + re.escape(prompt))
        os.write(fd, b"\x04")  # EOF
        status = wait_exit(pid)
        assert os.WIFEXITED(status) and os.WEXITSTATUS(status) == 0
    finally:
        try:
            os.kill(pid, 9)
        except OSError:
            pass
        os.close(fd)


def test_interactive_ctrl_c_exits_cleanly():
    pid, fd = pty.fork()
    if pid == 0:
        os.execv(PROG, [PROG, MODEL, "--n-ctx", "64", "-i"])
    try:
        read_until(fd, re.escape("≥≥≥ ".encode()))
        os.write(fd, b"\x03")  # Ctrl+C at the prompt
        status = wait_exit(pid)
        assert os.WIFEXITED(status) and os.WEXITSTATUS(status) == 0
    finally:
        try:
            os.kill(pid, 9)
        except OSError:
            pass
        os.close(fd)
