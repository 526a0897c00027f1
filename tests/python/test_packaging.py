"""Packaging: the default-model search of the program and of the Python
package, the status list shared by C and Python, the ABI check of the ctypes
layer, the original's constructor signature, the man page and the bash
completion against --help, and make install / uninstall with pkg-config.

The manylinux wheel and the fresh Debian chroot are checked by
`make check-install` (tools/check_install.sh; slow, not part of make test).
"""
import ctypes
import inspect
import os
import re
import shutil
import subprocess
import sys

import pytest

from conftest import BUILD_DIR, MODEL_NAME, PROG, ROOT, TINY_DIR

sys.path.insert(0, os.path.join(ROOT, "python"))
sys.path.insert(0, os.path.join(ROOT, "tools"))
import gen_status  # noqa: E402
import llama_zip  # noqa: E402
from llama_zip import LibraryError, _defaults, _native, errors  # noqa: E402
from llama_zip._status import EXCEPTION_NAMES, MESSAGES, Status  # noqa: E402

LIB = os.path.join(BUILD_DIR, "libllamazip.so")
TINY = os.path.join(TINY_DIR, "llama-q4_0-ropefreqs.gguf")  # the smallest tiny model (make tiny-models)
needs_build = pytest.mark.skipif(not (os.access(PROG, os.X_OK) and os.path.exists(LIB)), reason="make first")
needs_tiny = pytest.mark.skipif(not os.path.exists(TINY), reason="make tiny-models")


def help_long_options():
    out = subprocess.run([PROG, "--help"], stdout=subprocess.PIPE, check=True).stdout.decode()
    opts = set(re.findall(r"(?<![\w-])--[a-z][a-z0-9-]+", out))
    assert len(opts) >= 15, opts
    return opts


# ---------------------------------------------------------------- one list of status codes

def test_status_list_in_sync():
    """python/llama_zip/_status.py is what tools/gen_status.py makes from include/llamazip.h."""
    p = subprocess.run([sys.executable, os.path.join(ROOT, "tools", "gen_status.py"), "--check"],
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    assert p.returncode == 0, p.stdout.decode()
    header = open(os.path.join(ROOT, "include", "llamazip.h"), encoding="utf-8").read()
    committed = open(os.path.join(ROOT, "python", "llama_zip", "_status.py"), encoding="utf-8").read()
    assert gen_status.render(gen_status.read_list(header)) == committed
    # a code added to the header is a difference the check sees
    grown = header.replace('X(E_INTERNAL,     13, "internal error",                  LlamaZipError)',
                           'X(E_INTERNAL,     13, "internal error",                  LlamaZipError) \\\n'
                           '    X(E_NEW, 14, "a new code", LlamaZipError)')
    assert grown != header
    assert gen_status.render(gen_status.read_list(grown)) != committed
    with pytest.raises(SystemExit):  # values must run 0, 1, 2...
        gen_status.read_list(header.replace("X(E_CHECKSUM,     11,", "X(E_CHECKSUM,     12,"))


@needs_build
def test_status_messages_and_classes_match_the_library():
    lib = _native.lib()
    for status in Status:
        assert lib.llamazip_status_name(int(status)).decode() == MESSAGES[status]
        if status != Status.OK:
            e = errors.error_for_status(status, "")
            assert type(e).__name__ == EXCEPTION_NAMES[status]
            assert e.status == status and str(e) == MESSAGES[status]
    assert lib.llamazip_status_name(len(Status)).decode() == "unknown error"
    print(f"{len(Status)} codes: names, messages and exception classes agree with the library")


# ---------------------------------------------------------------- ABI check of the ctypes layer

class _FakeFn:
    def __init__(self, fn):
        self.fn = fn

    def __call__(self, *a):
        return self.fn(*a)


class _FakeLib:
    def __init__(self, abi, sizes):
        self.llamazip_abi_version = _FakeFn(lambda: abi)
        self.llamazip_struct_size = _FakeFn(lambda which: sizes.get(which, 0))


@needs_build
def test_abi_check():
    lib = ctypes.CDLL(LIB)
    _native.check_abi(lib, LIB)  # the library built from this tree passes
    good = {k: ctypes.sizeof(v) for k, v in _native.STRUCTS.items()}
    _native.check_abi(_FakeLib(_native.ABI_VERSION, good), "fake")
    with pytest.raises(LibraryError, match="ABI version 2"):
        _native.check_abi(_FakeLib(_native.ABI_VERSION + 1, good), "fake")
    grown = dict(good)
    grown[2] += 8  # llamazip_ctx_params with a field the package does not know
    with pytest.raises(LibraryError, match=f"sizeof.CtxParams. is {grown[2]} in the library but {good[2]}"):
        _native.check_abi(_FakeLib(_native.ABI_VERSION, grown), "fake")
    with pytest.raises(LibraryError, match="older than this package"):
        _native.check_abi(object(), "old")
    print(f"ABI {_native.ABI_VERSION}, struct sizes {good}: a mismatch is refused before any call")


# ---------------------------------------------------------------- the original's constructor

def test_constructor_signature_is_the_originals():
    params = list(inspect.signature(llama_zip.LlamaZip.__init__).parameters.values())[1:]
    positional = [p.name for p in params if p.kind == p.POSITIONAL_OR_KEYWORD]
    assert positional == ["model_path", "n_ctx", "n_gpu_layers", "use_mlock", "verbose"]
    defaults = {p.name: p.default for p in params}
    assert (defaults["n_ctx"], defaults["n_gpu_layers"], defaults["use_mlock"], defaults["verbose"]) == \
        (0, -1, False, False)
    keyword_only = [p.name for p in params if p.kind == p.KEYWORD_ONLY]
    assert keyword_only == ["n_threads", "model", "n_batch"]


@needs_build
@needs_tiny
def test_constructor_verbose(capfd):
    z = llama_zip.LlamaZip(TINY, verbose=False, n_threads=1, n_ctx=32)  # the original's keyword
    assert z.decompress(z.compress(b"quiet")) == b"quiet"
    assert capfd.readouterr().err == ""
    z = llama_zip.LlamaZip(TINY, 32, -1, False, True, n_threads=1)  # all five positionally
    text = b"verbose, as the original" * 4
    assert z.decompress(z.compress(text)) == text
    err = capfd.readouterr().err
    assert "Loading model..." in err and "Compressing:" in err and "Decompressing:" in err
    assert err.endswith("\r"), repr(err[-40:])  # the progress line is erased
    print(f"verbose=True: {len(err)} bytes of progress on stderr, erased at the end")


# ---------------------------------------------------------------- default model search

def _place(path, src=TINY):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    shutil.copyfile(src, path)
    return path


@needs_build
@needs_tiny
def test_cli_default_model_order(tmp_path):
    """The program's documented order, each place taken away in turn (programs/model_path.h)."""
    prefix = tmp_path / "prefix"
    prog = str(prefix / "bin" / "llama-zip")
    os.makedirs(os.path.dirname(prog))
    shutil.copy2(PROG, prog)
    home, xdg, d1, d2 = (tmp_path / n for n in ("home", "xdg", "sys1", "sys2"))
    places = [
        ("$LLAMAZIP_MODEL", str(tmp_path / "env.gguf")),
        ("program dir/../models", str(prefix / "models" / MODEL_NAME)),
        ("$XDG_DATA_HOME", str(xdg / "llama-zip" / "models" / MODEL_NAME)),
        ("$HOME/.local/share", str(home / ".local" / "share" / "llama-zip" / "models" / MODEL_NAME)),
        ("prefix share", str(prefix / "share" / "llama-zip" / "models" / MODEL_NAME)),
        ("$XDG_DATA_DIRS first", str(d1 / "llama-zip" / "models" / MODEL_NAME)),
        ("$XDG_DATA_DIRS second", str(d2 / "llama-zip" / "models" / MODEL_NAME)),
    ]
    for _, path in places:
        _place(path)
    base = {k: v for k, v in os.environ.items() if k not in ("LLAMAZIP_MODEL", "XDG_DATA_HOME")}
    base.update(HOME=str(home), XDG_DATA_DIRS=f"{d1}:{d2}")
    for i, (what, path) in enumerate(places):
        env = dict(base)
        if i == 0:
            env["LLAMAZIP_MODEL"] = path
        if i <= 2:
            env["XDG_DATA_HOME"] = str(xdg)
        p = subprocess.run([prog, "--info"], env=env, cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        assert p.returncode == 0, (what, p.stderr.decode())
        got = re.search(r"^file: +(.*)$", p.stdout.decode(), re.M).group(1)
        assert got == path, (what, got)
        print(f"{i + 1}. {what}: {got}")
        os.unlink(path)
    p = subprocess.run([prog, "--info"], env=base, cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert p.returncode == 1 and "default model was not found" in p.stderr.decode(), p.stderr.decode()
    # nothing of the build tree is compiled in: a lone copy of the program finds nothing
    assert f"{ROOT}/models".encode() not in open(PROG, "rb").read()


def test_python_default_model_order(tmp_path, monkeypatch):
    """The package's order: the program's, with its own tree for 2 and sys.prefix for 4."""
    pkg = tmp_path / "src" / "python" / "llama_zip"
    monkeypatch.setattr(_defaults, "_HERE", str(pkg))
    monkeypatch.setattr(_defaults.sys, "prefix", str(tmp_path / "venv"))
    home, xdg, d1 = tmp_path / "home", tmp_path / "xdg", tmp_path / "sys1"
    src = tmp_path / "model.bin"
    src.write_bytes(b"not read")
    places = [
        ("$LLAMAZIP_MODEL", str(tmp_path / "env.gguf")),
        ("source tree models/", str(tmp_path / "src" / "models" / MODEL_NAME)),
        ("$XDG_DATA_HOME", str(xdg / "llama-zip" / "models" / MODEL_NAME)),
        ("$HOME/.local/share", str(home / ".local" / "share" / "llama-zip" / "models" / MODEL_NAME)),
        ("sys.prefix share", str(tmp_path / "venv" / "share" / "llama-zip" / "models" / MODEL_NAME)),
        ("$XDG_DATA_DIRS", str(d1 / "llama-zip" / "models" / MODEL_NAME)),
    ]
    for _, path in places:
        _place(path, str(src))
    for i, (what, path) in enumerate(places):
        env = {"HOME": str(home), "XDG_DATA_DIRS": str(d1)}
        if i == 0:
            env["LLAMAZIP_MODEL"] = path
        if i <= 2:
            env["XDG_DATA_HOME"] = str(xdg)
        assert _defaults.default_model_path(env) == path, what
        os.unlink(path)
    assert _defaults.default_model_path({"HOME": str(home), "XDG_DATA_DIRS": str(d1)}) is None
    assert _defaults.default_model_path({"LLAMAZIP_MODEL": "/absent.gguf"}) == "/absent.gguf"


@needs_build
@needs_tiny
def test_python_main_hands_its_default_model_to_the_program(tmp_path):
    """`python -m llama_zip` without a model: the package's search (here sys.prefix of a
    venv, which the bundled program cannot see) decides, through $LLAMAZIP_MODEL."""
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(tmp_path / "venv")], check=True)
    model = _place(str(tmp_path / "venv" / "share" / "llama-zip" / "models" / MODEL_NAME))
    shutil.copytree(os.path.join(ROOT, "python", "llama_zip"), tmp_path / "pkg" / "llama_zip")
    prog = str(tmp_path / "bin" / "llama-zip")  # a copy: its own search finds nothing
    os.makedirs(os.path.dirname(prog))
    shutil.copy2(PROG, prog)
    env = {"PATH": os.environ.get("PATH", ""), "HOME": str(tmp_path / "home"), "XDG_DATA_DIRS": str(tmp_path),
           "PYTHONPATH": str(tmp_path / "pkg"), "LLAMAZIP_PROG": prog, "LLAMAZIP_LIB": LIB}
    p = subprocess.run([str(tmp_path / "venv" / "bin" / "python"), "-m", "llama_zip", "--info"], env=env,
                       cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert p.returncode == 0, p.stderr.decode()
    assert re.search(r"^file: +(.*)$", p.stdout.decode(), re.M).group(1) == model
    p = subprocess.run([prog, "--info"], env=env, cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert p.returncode == 1  # the program alone does not find it


@needs_build
@needs_tiny
def test_cli_cpu_level_from_environment():
    """$LLAMAZIP_CPU is the program's (the library reads no environment): every level gives
    the same archive; an unknown value warns and uses the best level."""
    archives = {}
    for level in ("", "scalar", "avx2", "avx512", "neon", "pentium"):
        env = dict(os.environ, LLAMAZIP_CPU=level)
        p = subprocess.run([PROG, TINY, "--n-ctx", "32", "-c", "the same archive at every level"], env=env,
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        assert p.returncode == 0, p.stderr.decode()
        archives[level] = p.stdout
        warned = "LLAMAZIP_CPU=pentium not understood" in p.stderr.decode()
        assert warned == (level == "pentium"), p.stderr.decode()
    assert len(set(archives.values())) == 1


def test_library_reads_no_environment():
    """No getenv in the library's sources: environment policy is the program's and the package's."""
    found = []
    for d, _, files in os.walk(os.path.join(ROOT, "src")):
        for f in files:
            if f.endswith((".c", ".h")):
                text = open(os.path.join(d, f), encoding="utf-8", errors="replace").read()
                if re.search(r"\b(secure_)?getenv\s*\(", text):
                    found.append(os.path.relpath(os.path.join(d, f), ROOT))
    assert not found, found


# ---------------------------------------------------------------- man page and completion

@needs_build
def test_man_page():
    if shutil.which("man") is None:
        pytest.skip("man not installed (Debian package man-db)")
    page = os.path.join(ROOT, "doc", "llama-zip.1")
    p = subprocess.run(["man", "--warnings", "-l", page], env=dict(os.environ, MANWIDTH="80", MANPAGER="cat"),
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert p.returncode == 0 and p.stderr == b"", p.stderr.decode()
    text = p.stdout.decode()
    for section in ("NAME", "SYNOPSIS", "DESCRIPTION", "OPTIONS", "DEFAULT MODEL", "EXIT STATUS", "ENVIRONMENT"):
        assert re.search(rf"^{section}$", text, re.M), section
    source = open(page, encoding="utf-8").read().replace("\\-", "-")
    missing = sorted(o for o in help_long_options() if o not in source)
    assert not missing, f"options of --help missing from doc/llama-zip.1: {missing}"
    header = open(os.path.join(ROOT, "include", "llamazip.h"), encoding="utf-8").read()
    version = re.search(r'LLAMAZIP_VERSION_STRING "([^"]+)"', header).group(1)
    assert f'"llama-zip {version}"' in source, "the .TH line names another version"
    print(f"man page: {len(text.splitlines())} lines, no warnings, every --help option")


@needs_build
def test_bash_completion():
    if shutil.which("bash") is None:
        pytest.skip("no bash")
    script = os.path.join(ROOT, "programs", "completion.bash")
    source = open(script, encoding="utf-8").read()
    missing = sorted(o for o in help_long_options() if not re.search(rf"(?<![\w-]){o}(?![\w-])", source))
    assert not missing, f"options of --help missing from programs/completion.bash: {missing}"

    def complete(*words):
        cmd = (f". '{script}'; COMP_WORDS=({' '.join(repr(w) for w in words)}); "
               f"COMP_CWORD={len(words) - 1}; _llama_zip; printf '%s\\n' \"${{COMPREPLY[@]}}\"")
        out = subprocess.run(["bash", "-c", cmd], cwd=ROOT, stdout=subprocess.PIPE, check=True).stdout.decode()
        return out.split()

    assert complete("llama-zip", "--comp") == ["--compress", "--compressed-format"]
    assert complete("llama-zip", "-f", "b") == ["binary", "base64"]
    assert complete("llama-zip", "--n-ctx", "") == []
    assert f"models/{MODEL_NAME}" in complete("llama-zip", "models/gem")


# ---------------------------------------------------------------- make install / uninstall

EXPECTED_FILES = ["bin/llama-zip", "include/llamazip.h", "lib/libllamazip.a", "lib/libllamazip.so",
                  "lib/libllamazip.so.0", "lib/pkgconfig/llamazip.pc",
                  "share/bash-completion/completions/llama-zip", "share/man/man1/llama-zip.1"]


def _tree(d):
    return sorted(os.path.relpath(os.path.join(r, f), d) for r, ds, fs in os.walk(d) for f in fs +
                  [x for x in ds if os.path.islink(os.path.join(r, x))])


def _make(*args):
    p = subprocess.run(["make", "--no-print-directory", "-s", *args], cwd=ROOT, stdout=subprocess.PIPE,
                       stderr=subprocess.STDOUT)
    assert p.returncode == 0, p.stdout.decode()


@needs_build
@needs_tiny
def test_install_pkg_config_uninstall(tmp_path):
    if shutil.which("pkg-config") is None:
        pytest.skip("pkg-config not installed")
    prefix = str(tmp_path / "x")
    _make("install", f"PREFIX={prefix}")
    header = open(os.path.join(ROOT, "include", "llamazip.h"), encoding="utf-8").read()
    version = re.search(r'LLAMAZIP_VERSION_STRING "([^"]+)"', header).group(1)
    assert _tree(prefix) == sorted(EXPECTED_FILES + [f"lib/libllamazip.so.{version}"])
    assert os.readlink(os.path.join(prefix, "lib", "libllamazip.so")) == "libllamazip.so.0"
    assert os.readlink(os.path.join(prefix, "lib", "libllamazip.so.0")) == f"libllamazip.so.{version}"
    soname = subprocess.run(["readelf", "-d", os.path.join(prefix, "lib", "libllamazip.so")],
                            stdout=subprocess.PIPE, check=True).stdout.decode()
    assert "Library soname: [libllamazip.so.0]" in soname
    out = subprocess.run([os.path.join(prefix, "bin", "llama-zip"), "--version"], stdout=subprocess.PIPE,
                         check=True).stdout.decode()
    assert version in out

    env = dict(os.environ, PKG_CONFIG_PATH=os.path.join(prefix, "lib", "pkgconfig"))

    def pkg_config(*args):
        return subprocess.run(["pkg-config", *args, "llamazip"], env=env, stdout=subprocess.PIPE,
                              check=True).stdout.decode().split()

    assert pkg_config("--modversion") == [version]
    assert pkg_config("--cflags") == [f"-I{prefix}/include"]
    assert pkg_config("--libs") == [f"-L{prefix}/lib", "-lllamazip"]
    assert pkg_config("--static", "--libs")[2:] == ["-lzstd", "-lxxhash", "-lm", "-pthread"]
    example = os.path.join(ROOT, "tests", "install", "example.c")
    shared, static = str(tmp_path / "shared"), str(tmp_path / "static")
    subprocess.run(["cc", "-o", shared, example, *pkg_config("--cflags", "--libs")], check=True)
    subprocess.run(["cc", "-static", "-o", static, example, *pkg_config("--static", "--cflags", "--libs")],
                   check=True)
    for exe, extra in ((shared, {"LD_LIBRARY_PATH": os.path.join(prefix, "lib")}), (static, {})):
        p = subprocess.run([exe, TINY], env=dict(os.environ, **extra), stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE)
        assert p.returncode == 0 and b"round trip OK" in p.stdout, p.stderr.decode()
        print(os.path.basename(exe), p.stdout.decode().strip())
    ldd = subprocess.run(["ldd", static], stdout=subprocess.PIPE, stderr=subprocess.STDOUT).stdout.decode()
    assert "not a dynamic executable" in ldd

    _make("uninstall", f"PREFIX={prefix}")
    assert os.listdir(prefix) == [], _tree(prefix)


@needs_build
def test_install_destdir_staging(tmp_path):
    """DESTDIR stages the files; the paths inside them are PREFIX's."""
    stage = str(tmp_path / "stage")
    _make("install", f"DESTDIR={stage}", "PREFIX=/usr")
    files = _tree(stage)
    assert "usr/bin/llama-zip" in files and "usr/lib/pkgconfig/llamazip.pc" in files, files
    pc = open(os.path.join(stage, "usr", "lib", "pkgconfig", "llamazip.pc"), encoding="utf-8").read()
    assert "prefix=/usr\n" in pc and stage not in pc
    _make("uninstall", f"DESTDIR={stage}", "PREFIX=/usr")
    assert _tree(stage) == [] and os.listdir(os.path.join(stage, "usr")) == []
