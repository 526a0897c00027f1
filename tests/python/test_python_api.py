"""Tests of the llama_zip Python package (python/llama_zip) over libllamazip.

In-tree: python/ is put first on sys.path and the loader finds
build/libllamazip.so (or $LLAMAZIP_LIB). One test installs the package with
pip into a temporary directory and runs it from there, to prove that
`pip install .` builds and bundles the library and the program.

Covered: round trips (empty, unicode, random bytes, bytearray/memoryview
inputs, overlaps), archives byte-identical to the CLI's, window overlap
rules, each error class (missing model, non-GGUF model, not an archive,
unknown version, truncated, corrupted, another model, bad arguments), two
threads on two objects sharing one model (results equal to sequential ones,
GIL released), progress/cancel, `python -m llama_zip`.
"""
import hashlib
import os
import random
import shutil
import subprocess
import sys
import threading
import time

import pytest

from conftest import BUILD_DIR, MODEL, ROOT, TINY_DIR  # noqa: E402

sys.path.insert(0, os.path.join(ROOT, "python"))

import llama_zip  # noqa: E402
from llama_zip import (CorruptArchiveError, LlamaZip, LlamaZipError, Model, ModelError,  # noqa: E402
                       ModelMismatchError, ModelNotFoundError, Status, UsageError)

PROG = os.environ.get("LLAMAZIP_PROG") or os.path.join(BUILD_DIR, "llama-zip")
N_CTX = 32  # small: windows slide after ~30 tokens, so two copies of TEXT already span two

TEXT = (b"The quick brown fox jumps over the lazy dog. Compression with a language model "
        b"turns good predictions into few bits.\n")
UNICODE = "naïve café – ünïcödé ✓ 中文 Ωμέγα 😀\n".encode()


def _library_error():
    try:
        llama_zip._native.lib()
        return None
    except llama_zip.LibraryError as e:
        return str(e)


_LIB_ERR = _library_error()
pytestmark = pytest.mark.skipif(_LIB_ERR is not None, reason=f"libllamazip not loadable (run make): {_LIB_ERR}")
needs_model = pytest.mark.skipif(not os.path.exists(MODEL), reason="default model absent (make model)")
needs_prog = pytest.mark.skipif(not os.access(PROG, os.X_OK), reason="build/llama-zip not built (make)")


@pytest.fixture(scope="module")
def lz():
    if not os.path.exists(MODEL):
        pytest.skip("default model absent (make model)")
    z = LlamaZip(MODEL, n_ctx=N_CTX, n_threads=2)
    yield z
    z.close()


def cli(*args, data=b"", env=None):
    p = subprocess.run([PROG, MODEL, *args], input=data, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
    assert p.returncode == 0, f"llama-zip {args} failed ({p.returncode}): {p.stderr.decode(errors='replace')}"
    return p.stdout


def random_bytes(n, seed):
    return random.Random(seed).randbytes(n)


# ---------------------------------------------------------------- basics


def test_version_from_library():
    header = open(os.path.join(ROOT, "include", "llamazip.h"), encoding="utf-8").read()
    assert f'#define LLAMAZIP_VERSION_STRING "{llama_zip.__version__}"' in header
    print(f"__version__ = {llama_zip.__version__} (library {llama_zip._native.lib().path})")


@needs_model
def test_default_model_path_and_model_info():
    env_model = os.environ.get("LLAMAZIP_MODEL")
    path = llama_zip.default_model_path()
    assert path is not None and os.path.exists(path), path
    if not env_model:
        assert os.path.samefile(path, MODEL)
    m = Model(MODEL)
    assert m.context_length >= 2048
    assert "gemma3" in m.describe().lower()
    print(f"default model {path}, trained context {m.context_length}")


@needs_model
@pytest.mark.parametrize("data", [b"", b"a", b"\n", TEXT, UNICODE, random_bytes(200, 1), TEXT * 2],
                         ids=["empty", "one-byte", "newline", "text", "unicode", "random200", "text-x2"])
def test_round_trip(lz, data):
    arc = lz.compress(data)
    assert isinstance(arc, bytes)
    assert lz.decompress(arc) == data
    st = lz.stats
    assert st.input_bytes == len(arc) and st.output_bytes == len(data)
    print(f"{len(data)} bytes -> {len(arc)} bytes")


@needs_model
def test_buffer_types_and_str(lz):
    short = b"Hello, buffer world!"
    ref = lz.compress(short)
    backing = bytearray(b"xx" + short + b"yy")
    inputs = {
        "bytearray": bytearray(short),
        "memoryview(bytes)": memoryview(short),
        "memoryview slice": memoryview(bytes(backing))[2:-2],
        "writable slice": memoryview(backing)[2:-2],
        "str": short.decode(),
    }
    for name, obj in inputs.items():
        assert lz.compress(obj) == ref, name
    assert lz.decompress(bytearray(ref)) == short
    assert lz.decompress(memoryview(ref)) == short
    # decompress accepts and ignores window_overlap (the archive records it)
    assert lz.decompress(ref, window_overlap=17) == short
    assert lz.decompress(ref, "25%") == short
    with pytest.raises(TypeError):
        lz.compress(12345)
    with pytest.raises(BufferError):
        lz.compress(memoryview(bytes(range(20)))[::2])  # not contiguous
    print(f"{len(inputs)} buffer types give the same {len(ref)}-byte archive")


@needs_model
def test_window_overlap_rules(lz):
    n = lz.n_ctx
    assert n == N_CTX
    expect = {0: 0, 5: 5, -10: n - 10, "7": 7, "-1": n - 2, "0%": 0, "25%": int(0.25 * (n - 1)),
              "100%": n - 2, "33.3%": int(33.3 / 100.0 * (n - 1)), n - 1: n - 2, -n: 0}
    for arg, tokens in expect.items():
        assert lz.window_overlap_tokens(arg) == tokens, arg
    for bad in ("101%", "-1%", "abc", "5 tokens", n, -n - 1, "%"):
        with pytest.raises(UsageError):
            lz.window_overlap_tokens(bad)
    for bad in (1.5, None, True):
        with pytest.raises(TypeError):
            lz.window_overlap_tokens(bad)
    data = TEXT * 2
    archives = {}
    for ov in (0, "25%", -10):
        arc = lz.compress(data, window_overlap=ov)
        assert lz.decompress(arc) == data
        archives[str(ov)] = len(arc)
    print(f"n_ctx {n}: overlap -> archive size {archives}")


@needs_model
@needs_prog
def test_same_archive_as_cli(lz):
    cases = [(TEXT, "0"), (TEXT * 2, "25%"), (TEXT * 2, "-10"), (TEXT * 2, "5"), (UNICODE, "0"),
             (random_bytes(100, 2), "0"), (b"", "0")]
    for data, ov in cases:
        ref = cli("--n-ctx", str(N_CTX), "-w", ov, "-c", data=data)
        py_ov = ov if ov.endswith("%") else int(ov)
        arc = lz.compress(data, window_overlap=py_ov)
        assert arc == ref, f"{len(data)} bytes, overlap {ov}: Python {len(arc)} B vs CLI {len(ref)} B"
    assert cli("-d", data=arc) == data  # and the CLI reads the Python archive
    print(f"{len(cases)} inputs: Python archives byte-identical to the CLI's")


def test_segment_size(lz):
    """compress(segment_size=): None is the default, 0 one segment, N bytes;
    each the CLI's archive for --segment-size; decompress needs no argument."""
    data = TEXT * 3
    for seg, flag in ((None, None), (0, "0"), (40, "40"), (1, "1")):
        ref = cli("--n-ctx", str(N_CTX), *(["--segment-size", flag] if flag else []), "-c", data=data)
        arc = lz.compress(data, segment_size=seg)
        assert arc == ref, seg
        assert lz.decompress(arc) == data
    assert lz.compress(data, segment_size=40) != lz.compress(data, segment_size=0)   # several segments
    for bad in (-1, 1.5, "64K", True):
        with pytest.raises(UsageError):
            lz.compress(data, segment_size=bad)


@needs_model
def test_module_level_convenience(monkeypatch):
    monkeypatch.setenv("LLAMAZIP_MODEL", MODEL)
    monkeypatch.setattr(llama_zip, "_default", LlamaZip(MODEL, n_ctx=N_CTX, n_threads=2))
    arc = llama_zip.compress(TEXT)
    assert llama_zip.decompress(arc) == TEXT


# ---------------------------------------------------------------- errors


def test_missing_model_path(tmp_path):
    missing = str(tmp_path / "no-such-model.gguf")
    with pytest.raises(ModelNotFoundError) as ei:
        LlamaZip(missing)
    e = ei.value
    assert isinstance(e, FileNotFoundError) and isinstance(e, ModelError) and isinstance(e, LlamaZipError)
    assert e.status == Status.IO and e.filename == missing
    assert "no-such-model.gguf" in str(e)
    print(f"missing model: {type(e).__name__}: {e}")


def test_missing_default_model(tmp_path, monkeypatch):
    monkeypatch.setenv("LLAMAZIP_MODEL", str(tmp_path / "absent.gguf"))
    with pytest.raises(FileNotFoundError):
        LlamaZip()


def test_non_gguf_model(tmp_path):
    bad = tmp_path / "not-a-model.gguf"
    bad.write_bytes(b"this is plain text, not a GGUF file\n" * 10)
    with pytest.raises(ModelError) as ei:
        LlamaZip(str(bad))
    e = ei.value
    assert not isinstance(e, FileNotFoundError)
    assert e.status == Status.GGUF, (e.status, str(e))
    assert str(e)
    empty = tmp_path / "empty.gguf"
    empty.write_bytes(b"")
    with pytest.raises(ModelError):
        LlamaZip(str(empty))
    print(f"non-GGUF model: {e.status.name}: {e}")


@needs_model
def test_bad_arguments(lz):
    with pytest.raises(UsageError):
        LlamaZip(model=lz, n_ctx=1)
    with pytest.raises(UsageError):
        LlamaZip(model=lz, n_ctx=(1 << 24) + 1)
    with pytest.raises(UsageError):
        LlamaZip(MODEL, model=lz)
    with pytest.raises(TypeError):
        LlamaZip(model="not a model")
    with pytest.raises(TypeError):
        LlamaZip(model=lz, n_ctx="64")
    z = LlamaZip.from_model(lz)
    z.close()
    with pytest.raises(UsageError):
        z.compress(b"x")


@pytest.fixture(scope="module")
def archive(lz):
    return lz.compress(TEXT)


def expect_corrupt(lz, arc, statuses):
    with pytest.raises(CorruptArchiveError) as ei:
        lz.decompress(arc)
    e = ei.value
    assert isinstance(e, ValueError)
    assert e.status in statuses, (e.status, str(e))
    assert str(e)
    return e


@needs_model
def test_not_an_archive(lz):
    e = expect_corrupt(lz, b"hello, not an archive", {Status.NOT_ARCHIVE})
    assert "not a llama-zip archive" in str(e)
    expect_corrupt(lz, b"", {Status.NOT_ARCHIVE, Status.TRUNCATED})


@needs_model
def test_unknown_version(lz, archive):
    arc = bytearray(archive)
    arc[0] = 0xB0 | (arc[0] & 0x0F)   # format 2's version nibble: 0xB would be version 3
    e = expect_corrupt(lz, bytes(arc), {Status.VERSION})
    assert "version" in str(e)


@needs_model
def test_truncated(lz, archive):
    seen = set()
    for cut in (len(archive) - 1, len(archive) // 2, 20, 5):
        seen.add(expect_corrupt(lz, archive[:cut], {Status.TRUNCATED, Status.CORRUPT}).status.name)
    print(f"truncations of a {len(archive)}-byte archive: {sorted(seen)}")


@needs_model
def test_flipped_bits(lz, archive):
    rng = random.Random(7)
    seen = {}
    for _ in range(8):
        arc = bytearray(archive)
        i = rng.randrange(len(arc))
        arc[i] ^= 1 << rng.randrange(8)
        # a flip either is refused, or leaves an archive of the same data (a
        # setting this short input never uses: the overlap of a window that
        # never slides); the checksum stands behind the output either way
        try:
            out = lz.decompress(bytes(arc))
        except (CorruptArchiveError, ModelMismatchError) as e:
            seen[e.status.name] = seen.get(e.status.name, 0) + 1
        else:
            assert out == TEXT, f"byte {i}"
            seen["same data"] = seen.get("same data", 0) + 1
    arc = bytearray(archive)
    arc[-3] ^= 0x20  # inside the coded payload
    expect_corrupt(lz, bytes(arc), {Status.CORRUPT, Status.CHECKSUM, Status.TRUNCATED})
    assert lz.decompress(archive) == TEXT  # the context is still usable
    print(f"8 random bit flips: {seen}")


def _gguf_largest_tensor(path):
    """(file offset, size) of the largest tensor's data, from the GGUF
    header (a minimal reader: the gguf package's takes ~20 s on this file)."""
    import struct
    fixed = {0: 1, 1: 1, 2: 2, 3: 2, 4: 4, 5: 4, 6: 4, 7: 1, 10: 8, 11: 8, 12: 8}
    with open(path, "rb") as f:
        def rd(fmt):
            return struct.unpack("<" + fmt, f.read(struct.calcsize(fmt)))[0]

        def string():
            return f.read(rd("Q"))

        def skip_value(t):
            if t in fixed:
                f.seek(fixed[t], 1)
            elif t == 8:
                f.seek(rd("Q"), 1)
            elif t == 9:
                et, n = rd("I"), rd("Q")
                if et in fixed:
                    f.seek(fixed[et] * n, 1)
                else:
                    for _ in range(n):
                        skip_value(et)
            else:
                raise ValueError(f"GGUF value type {t}")

        assert f.read(4) == b"GGUF" and rd("I") >= 2
        n_tensors, n_kv = rd("Q"), rd("Q")
        alignment = 32
        for _ in range(n_kv):
            key, t = string(), rd("I")
            if key == b"general.alignment" and t == 4:
                alignment = rd("I")
            else:
                skip_value(t)
        infos = []
        for _ in range(n_tensors):
            string()
            f.seek(8 * rd("I"), 1)
            f.seek(4, 1)  # type
            infos.append(rd("Q"))
        data = (f.tell() + alignment - 1) // alignment * alignment
        size = os.path.getsize(path)
    ends = sorted(infos) + [size - data]
    sizes = {off: nxt - off for off, nxt in zip(ends, ends[1:])}
    off = max(sizes, key=sizes.get)
    return data + off, sizes[off]


def _other_model(tmp_path_factory):
    """A model with another fingerprint: a tiny test model if the engine
    tests made one, else a copy of the default model with one weight bit
    flipped (the fingerprint covers the tensor data)."""
    if os.path.isdir(TINY_DIR):
        for f in sorted(os.listdir(TINY_DIR)):
            if f.endswith(".gguf"):
                try:
                    return Model(os.path.join(TINY_DIR, f))
                except LlamaZipError:
                    continue
    offset, size = _gguf_largest_tensor(MODEL)
    copy = tmp_path_factory.mktemp("other") / "flipped.gguf"
    shutil.copyfile(MODEL, copy)
    with open(copy, "r+b") as f:
        f.seek(offset + size // 2)
        b = f.read(1)[0]
        f.seek(offset + size // 2)
        f.write(bytes([b ^ 1]))
    return Model(str(copy))


@needs_model
def test_archive_from_another_model(lz, archive, tmp_path_factory):
    other = _other_model(tmp_path_factory)
    z = LlamaZip(model=other, n_ctx=N_CTX, n_threads=2)
    with pytest.raises(ModelMismatchError) as ei:
        z.decompress(archive)
    e = ei.value
    assert e.status == Status.MODEL_MISMATCH and "another model" in str(e)
    assert z.decompress(z.compress(TEXT)) == TEXT
    print(f"other model {os.path.basename(other.path)}: {e}")
    if os.path.basename(other.path) == "flipped.gguf":
        os.remove(other.path)  # 250 MB; the mapping stays valid until the model is freed


# ---------------------------------------------------------------- threads


@needs_model
def test_two_threads_sharing_one_model():
    a = LlamaZip(MODEL, n_ctx=N_CTX, n_threads=1)
    b = LlamaZip.from_model(a)
    assert b.model is a.model and b.n_ctx == a.n_ctx
    inputs = [TEXT * 2, UNICODE * 2]
    t0 = time.perf_counter()
    expected = [a.compress(inputs[0], "25%"), a.compress(inputs[1], "25%")]
    t_seq = time.perf_counter() - t0

    results = [None, None]
    errors = []
    barrier = threading.Barrier(3)

    def work(i, z):
        try:
            barrier.wait()
            arc = z.compress(inputs[i], "25%")
            results[i] = (arc, z.decompress(arc))
        except BaseException as e:  # reported below
            errors.append(e)

    # a third, pure-Python thread: it must keep running while both compress
    ticks = []
    stop = threading.Event()

    def spin():
        barrier.wait()
        while not stop.is_set():
            ticks.append(time.perf_counter())
            time.sleep(0)

    threads = [threading.Thread(target=work, args=(0, a)), threading.Thread(target=work, args=(1, b))]
    spinner = threading.Thread(target=spin)
    for t in threads + [spinner]:
        t.start()
    t0 = time.perf_counter()
    for t in threads:
        t.join()
    t_par = time.perf_counter() - t0
    stop.set()
    spinner.join()
    assert not errors, errors
    for i in range(2):
        assert results[i][0] == expected[i], f"thread {i}: archive differs from the sequential one"
        assert results[i][1] == inputs[i]
    gaps = [y - x for x, y in zip(ticks, ticks[1:])]
    max_gap = max(gaps) if gaps else t_par
    print(f"sequential compress x2 {t_seq:.2f} s; threads compress+decompress {t_par:.2f} s; "
          f"spinner thread ticked {len(ticks)} times, longest pause {max_gap * 1000:.1f} ms")
    assert len(ticks) > 100, "a Python thread could not run while compressing: the GIL is held"
    assert max_gap < max(0.25 * t_par, 0.05), "the GIL is held during the foreign calls"


@needs_model
def test_one_object_from_two_threads_is_serialized(lz):
    inputs = [TEXT, TEXT[::-1]]
    expected = [lz.compress(x) for x in inputs]
    out = [None] * 4
    threads = [threading.Thread(target=lambda k=k: out.__setitem__(k, lz.compress(inputs[k % 2]))) for k in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert out == expected * 2


# ---------------------------------------------------------------- progress


@needs_model
def test_progress_and_cancel(lz):
    data = TEXT * 2
    seen = []
    arc = lz.compress(data, progress=seen.append)
    assert seen and seen[-1].bytes_total == len(data) and not seen[-1].decompressing
    assert arc == lz.compress(data)  # a callback does not change the archive
    seen.clear()
    assert lz.decompress(arc, progress=seen.append) == data
    assert seen and seen[-1].decompressing
    with pytest.raises(llama_zip.CancelledError) as ei:
        lz.decompress(arc, progress=lambda p: True)
    assert ei.value.status == Status.CANCELLED

    class Boom(Exception):
        pass

    def boom(_):
        raise Boom()

    with pytest.raises(Boom):
        lz.compress(data, progress=boom)
    assert lz.decompress(arc) == data
    print(f"{len(seen)} progress reports while decompressing {len(data)} bytes")


@needs_model
def test_ctrl_c_stops_a_call_in_the_main_thread(lz):
    import signal
    if signal.getsignal(signal.SIGINT) is not signal.default_int_handler:
        pytest.skip("SIGINT has a custom handler here")
    data = TEXT * 2
    arc = lz.compress(data)
    reports = []

    def press_ctrl_c_once(p):  # deterministic: the signal arrives during the call
        reports.append(p.tokens_done)
        if len(reports) == 1:
            os.kill(os.getpid(), signal.SIGINT)

    with pytest.raises(KeyboardInterrupt):
        lz.decompress(arc, progress=press_ctrl_c_once)
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler
    assert lz.decompress(arc) == data
    print(f"Ctrl+C after {reports[0]} tokens stopped decompression at the next report ({reports[-1]} tokens)")


# ---------------------------------------------------------------- command line


@needs_model
@needs_prog
def test_python_m_llama_zip(lz):
    env = dict(os.environ, PYTHONPATH=os.path.join(ROOT, "python"))
    p = subprocess.run([sys.executable, "-m", "llama_zip", "--version"], stdout=subprocess.PIPE, env=env)
    assert p.returncode == 0 and p.stdout.decode().strip() == f"llama-zip {llama_zip.__version__}"
    p = subprocess.run([sys.executable, "-m", "llama_zip", MODEL, "--n-ctx", str(N_CTX), "-c"], input=TEXT,
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
    assert p.returncode == 0, p.stderr
    assert p.stdout == lz.compress(TEXT)
    p = subprocess.run([sys.executable, "-m", "llama_zip", MODEL, "-d"], input=b"junk", stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, env=env)
    assert p.returncode == 2 and b"not a llama-zip archive" in p.stderr
    p = subprocess.run([sys.executable, "-m", "llama_zip", "--bogus"], stderr=subprocess.PIPE, env=env)
    assert p.returncode == 1


# ---------------------------------------------------------------- pip install


def _pip_build_isolation_args():
    """Build offline with the installed setuptools when it can (needs
    setuptools >= 61 and wheel); else let pip fetch the build requirements."""
    try:
        import setuptools
        import wheel  # noqa: F401
        if int(setuptools.__version__.split(".")[0]) >= 61:
            return ["--no-build-isolation"]
    except ImportError:
        pass
    return []


@needs_model
def test_pip_install_bundles_library(tmp_path, lz):
    target = tmp_path / "site"
    cmd = [sys.executable, "-m", "pip", "install", "--no-deps", "--no-input", "--disable-pip-version-check",
           "--target", str(target), *_pip_build_isolation_args(), ROOT]
    t0 = time.perf_counter()
    p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, cwd=str(tmp_path))
    t_pip = time.perf_counter() - t0
    log = p.stdout.decode(errors="replace")
    offline = ("NewConnectionError", "Could not find a version", "No matching distribution", "Network is unreachable",
               "Max retries exceeded", "Temporary failure in name resolution")
    if p.returncode != 0 and any(s in log for s in offline):
        pytest.skip("pip could not fetch the build requirements (offline?)")
    assert p.returncode == 0, log[-4000:]
    pkg = target / "llama_zip"
    for name in ("libllamazip.so", "llama-zip", "__init__.py", "__main__.py"):
        assert (pkg / name).is_file(), name
    assert os.access(pkg / "llama-zip", os.X_OK)
    wheel_meta = next(target.glob("llama_zip-*.dist-info")) / "WHEEL"
    assert "Root-Is-Purelib: false" in wheel_meta.read_text()
    # run from the installed copy only: no in-tree paths, no overrides
    env = {k: v for k, v in os.environ.items() if k not in ("LLAMAZIP_LIB", "LLAMAZIP_PROG", "PYTHONPATH")}
    env["PYTHONPATH"] = str(target)
    script = (
        "import sys, llama_zip\n"
        "from llama_zip import LlamaZip, _native\n"
        "print(llama_zip.__file__); print(_native.lib().path)\n"
        f"z = LlamaZip({MODEL!r}, n_ctx={N_CTX}, n_threads=2)\n"
        f"a = z.compress({TEXT!r})\n"
        f"assert z.decompress(a) == {TEXT!r}\n"
        "sys.stdout.write(a.hex() + '\\n'); print(llama_zip.__version__)\n"
    )
    p = subprocess.run([sys.executable, "-c", script], stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env,
                       cwd=str(tmp_path))
    assert p.returncode == 0, p.stderr.decode(errors="replace")
    init_file, lib_path, arc_hex, version = p.stdout.decode().split()
    assert init_file.startswith(str(target)) and lib_path.startswith(str(target)), (init_file, lib_path)
    assert bytes.fromhex(arc_hex) == lz.compress(TEXT)
    assert version == llama_zip.__version__
    p = subprocess.run([sys.executable, "-m", "llama_zip", "--version"], stdout=subprocess.PIPE, env=env,
                       cwd=str(tmp_path))
    assert p.returncode == 0 and p.stdout.strip() == f"llama-zip {version}".encode()
    lib_sha = hashlib.sha256((pkg / "libllamazip.so").read_bytes()).hexdigest()[:12]
    print(f"pip install --target: {t_pip:.1f} s; bundled libllamazip.so sha256 {lib_sha}; installed copy "
          f"gives the same {len(arc_hex) // 2}-byte archive")


def test_sdist_carries_the_c_sources(tmp_path):
    """`setup.py sdist` (MANIFEST.in) ships what pip needs to build
    libllamazip from the archive: the Makefile and every tracked source."""
    import tarfile
    p = subprocess.run([sys.executable, "setup.py", "-q", "sdist", "-d", str(tmp_path)], cwd=ROOT,
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    assert p.returncode == 0, p.stdout.decode(errors="replace")[-3000:]
    shutil.rmtree(os.path.join(ROOT, "llama_zip.egg-info"), ignore_errors=True)
    shutil.rmtree(os.path.join(ROOT, "python", "llama_zip.egg-info"), ignore_errors=True)
    (sdist,) = tmp_path.glob("llama-zip-*.tar.gz")
    with tarfile.open(sdist) as tar:
        names = {n.split("/", 1)[1] for n in tar.getnames() if "/" in n}
    git = subprocess.run(["git", "ls-files", "src", "include", "programs", "Makefile"], cwd=ROOT,
                         stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    tracked = git.stdout.decode().split() if git.returncode == 0 else []
    if not tracked:
        pytest.skip("not a git checkout")
    needed = [f for f in tracked if f == "Makefile" or f.endswith((".c", ".h"))] + ["tools/deps.sh"]
    missing = [f for f in needed if f not in names]
    print(f"sdist: {len(names)} files, {len(needed)} sources needed, {len(missing)} missing")
    assert not missing, missing
    assert not any(n.startswith(("build/", "models/")) for n in names)
