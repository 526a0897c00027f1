"""tools/llamacpp_ref.py: llama.cpp models are built with extra buffer types
off (no AMX path, llama.cpp issue #20824), and a crash of the reference is a
failed check, not the end of the test run.

The crash tests simulate what llama.cpp's AMX matmul does on some Xeons: the
reference process dies with SIGSEGV (LZ_LLAMACPP_FAULT makes load_llama kill
its own process). Were the comparison run in pytest's process, pytest itself
would die and these tests could not pass.
"""
import ctypes
import os
import platform
import re
import subprocess
import sys
import types

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "tools"))
import llamacpp_ref as R  # noqa: E402

MODEL = os.environ.get("LLAMAZIP_MODEL", os.path.join(ROOT, "models", "gemma-3-270m-q4_k_m.gguf"))
TINY_DIR = os.environ.get("LZ_TINY_DIR", os.path.join(ROOT, "build", "tiny"))
EVAL_DUMP = os.path.join(ROOT, os.environ.get("BUILD", "build"), "tests", "tools", "eval_dump")
TOKENIZE_DUMP = os.path.join(ROOT, "build", "tests", "tools", "tokenize_dump")
CORPUS = os.environ.get("LLAMAZIP_CORPUS", os.path.join(os.path.dirname(ROOT), "shared", "corpus"))
LIVE, LIVE_WHY = R.probe()
needs_llamacpp = pytest.mark.skipif(not LIVE, reason=f"llama.cpp cannot run here ({LIVE_WHY})")


class ParamsWithField(ctypes.Structure):
    _fields_ = [("vocab_only", ctypes.c_bool), ("use_extra_bufts", ctypes.c_bool)]


class ParamsWithoutField(ctypes.Structure):
    """A llama_model_params from a llama-cpp-python without the field."""
    _fields_ = [("vocab_only", ctypes.c_bool), ("check_tensors", ctypes.c_bool)]


def test_disable_extra_buffer_types_clears_the_field():
    p = ParamsWithField(vocab_only=True, use_extra_bufts=True)
    assert R.disable_extra_buffer_types(p) is p
    assert p.use_extra_bufts is False
    assert p.vocab_only is True


def test_missing_field_fails_clearly():
    with pytest.raises(RuntimeError, match="no use_extra_bufts field"):
        R.disable_extra_buffer_types(ParamsWithoutField())


def _fake_llama_cpp(monkeypatch, starts_from_defaults):
    """Stand-in llama_cpp package whose Llama() builds its model parameters
    the way llama-cpp-python 0.3.36 does (from llama_model_default_params())
    or, like a hypothetical later version, some other way."""
    lib = types.ModuleType("llama_cpp.llama_cpp")
    lib.llama_model_default_params = lambda: ParamsWithField(use_extra_bufts=True)

    class Llama:
        def __init__(self, model_path, verbose=True, **kwargs):
            self.model_params = (lib.llama_model_default_params() if starts_from_defaults
                                 else ParamsWithField(use_extra_bufts=True))

    pkg = types.ModuleType("llama_cpp")
    pkg.__version__, pkg.Llama, pkg.llama_cpp = "fake", Llama, lib
    monkeypatch.setitem(sys.modules, "llama_cpp", pkg)
    monkeypatch.setitem(sys.modules, "llama_cpp.llama_cpp", lib)
    return lib


def test_load_llama_sets_the_field_on_the_params_llama_loads_with(monkeypatch):
    lib = _fake_llama_cpp(monkeypatch, starts_from_defaults=True)
    original = lib.llama_model_default_params
    llm = R.load_llama("model.gguf", n_ctx=8)
    assert llm.model_params.use_extra_bufts is False
    assert lib.llama_model_default_params is original   # the library is left as it was


def test_load_llama_fails_clearly_when_llama_builds_params_otherwise(monkeypatch):
    _fake_llama_cpp(monkeypatch, starts_from_defaults=False)
    with pytest.raises(RuntimeError, match="extra buffer types could not be turned off"):
        R.load_llama("model.gguf")


# ---------------------------------------------------------------- the field reaches llama.cpp

LOAD_SCRIPT = """
import os, sys
os.dup2(1, 2)   # llama.cpp's load log (stderr) with the answer (stdout)
sys.path.insert(0, sys.argv[1])
import llamacpp_ref, llama_cpp
if sys.argv[3] == "helper":
    llm = llamacpp_ref.load_llama(sys.argv[2], n_ctx=64, verbose=True)
else:
    llm = llama_cpp.Llama(model_path=sys.argv[2], n_ctx=64, verbose=True)
print("use_extra_bufts", llm.model_params.use_extra_bufts)
"""


def _load_in_child(how):
    """(use_extra_bufts of the params llama.cpp loaded the default model
    with, the model buffer types llama.cpp logged: CPU_Mapped, CPU_REPACK,
    AMX...)."""
    out = R.run_child(["-c", LOAD_SCRIPT, os.path.join(ROOT, "tools"), MODEL, how], f"loading ({how})")
    log = out.decode(errors="replace")
    flag = re.search(r"^use_extra_bufts (\w+)$", log, re.M).group(1)
    return flag, set(re.findall(r"load_tensors:\s+(\S+) model buffer size", log))


@needs_llamacpp
@pytest.mark.skipif(not os.path.exists(MODEL), reason="default model absent (make model)")
def test_load_llama_loads_without_extra_buffer_types():
    """The params llama.cpp loads with have use_extra_bufts False, and
    llama.cpp then puts every weight in plain CPU buffers. Control (on x86
    with AVX2 but no AMX, where it is safe): the same load through Llama()
    alone repacks the Q4_K weights (CPU_REPACK)."""
    flag, buffers = _load_in_child("helper")
    print(f"\nload_llama: use_extra_bufts={flag}, model buffers {sorted(buffers)}")
    assert flag == "False"
    assert buffers and buffers <= {"CPU", "CPU_Mapped"}, buffers
    if any(f.startswith("amx") for f in R.cpu_flags()):
        return   # Llama() alone would use the AMX buffer type of llama.cpp issue #20824
    flag, plain = _load_in_child("plain")
    print(f"Llama() alone: use_extra_bufts={flag}, model buffers {sorted(plain)}")
    assert flag == "True"
    if platform.machine() in ("x86_64", "AMD64") and "avx2" in R.cpu_flags():
        assert plain - {"CPU", "CPU_Mapped"}, "control: llama.cpp was expected to repack Q4_K on this CPU"


# ---------------------------------------------------------------- a crashing reference

def test_crash_in_reference_is_reported(monkeypatch, tmp_path):
    """The reference dies with SIGSEGV: run_child says so (and names the
    CPU), and this process lives on."""
    monkeypatch.setenv(R.FAULT_ENV, "SIGSEGV")
    argv = [R.tool("oracle_llamacpp.py"), MODEL, os.path.join(ROOT, "README.md"), "--n-tokens", "8",
            "--logits", "--out", str(tmp_path / "ref")]
    with pytest.raises(R.LlamaCppFailed) as e:
        R.run_child(argv, "simulated crash")
    msg = str(e.value)
    print("\n" + msg)
    assert "died with SIGSEGV" in msg
    assert "Fatal Python error: Segmentation fault" in msg   # the child's stack, from faulthandler
    assert not (tmp_path / "ref.logits.npy").exists()


def test_error_exit_and_hang_are_reported(tmp_path):
    with pytest.raises(R.LlamaCppFailed, match=r"failed with exit status 3"):
        R.run_child(["-c", "import sys; sys.exit(3)"], "error exit")
    with pytest.raises(R.LlamaCppFailed, match=r"did not finish in 1 s"):
        R.run_child(["-c", "import time; time.sleep(30)"], "hang", timeout=1)


@needs_llamacpp
def test_suite_reports_a_crashing_reference(tmp_path):
    """End to end: with the reference segfaulting, a live engine comparison
    and a live tokenizer comparison each fail, naming SIGSEGV, and pytest
    finishes and summarizes (exit status 1, not death by signal)."""
    tiny = os.path.join(TINY_DIR, "gemma3-f32.gguf")
    needed = (tiny, EVAL_DUMP, TOKENIZE_DUMP, MODEL, os.path.join(CORPUS, "calgary", "paper1"))
    missing = [p for p in needed if not os.path.exists(p)]
    if missing:
        pytest.skip(f"absent: {missing}")
    nodes = ["tests/python/test_engine_llamacpp.py::test_tiny_model_live[gemma3-f32]",
             "tests/python/test_tokenizer_llamacpp.py::test_random_strings_match_llamacpp[gemma3 (default model)]"]
    env = dict(os.environ, **{R.FAULT_ENV: "SIGSEGV"})
    r = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "--basetemp",
                        str(tmp_path / "inner"), *nodes], cwd=ROOT, env=env, capture_output=True, text=True,
                       timeout=600)
    out = r.stdout + r.stderr
    print("\n" + "\n".join(out.splitlines()[-8:]))
    assert r.returncode == 1, f"inner pytest exit status {r.returncode}:\n{out[-3000:]}"
    assert re.search(r"\b2 failed\b", out), out[-3000:]
    assert out.count("llama.cpp died with SIGSEGV") >= 2, out[-3000:]
