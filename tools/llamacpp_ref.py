"""llama.cpp, the reference: the one place that builds llama.cpp models, and
the runner that keeps a llama.cpp crash out of the caller's process.

Every llama.cpp model (tools, tests, fixtures) is built by load_llama(), which
turns llama.cpp's extra buffer types off (llama_model_params.use_extra_bufts).
Why: with them on, llama.cpp repacks quantized weights into CPU-specific
layouts at load time, and on Intel Xeons with AMX (Sapphire Rapids and later)
it puts Q4_K weights in its AMX buffer type, whose matmul
(ggml_backend_amx_mul_mat) segfaults: ggml-org/llama.cpp issue #20824, not
fixed in the llama.cpp of llama-cpp-python 0.3.36. With them off the weights
stay in plain CPU buffers, so llama.cpp never takes its AMX path, nor its
repacked AVX2/AVX-512 paths, on any machine. llama-cpp-python's Llama() has
no keyword for the field, so load_llama sets it on the parameter block that
Llama() loads the model with, and checks that it did.

Tests never run llama.cpp in their own process: run_child() runs a tool in a
child Python and turns a death by signal, an error exit or a hang into
LlamaCppFailed with the reason, so pytest reports a failed check instead of
dying with the reference. probe() tells whether llama.cpp can run at all here
(llama_cpp imports in a child); where it cannot, the tests fall back to the
golden fixtures and say so.

LZ_LLAMACPP_FAULT=<signal name> (e.g. SIGSEGV): load_llama() kills its own
process with that signal, as llama.cpp's AMX matmul does on the machines of
issue #20824, so the tests can check that such a crash is reported cleanly.
"""
import contextlib
import os
import signal
import subprocess
import sys
import threading

HERE = os.path.dirname(os.path.abspath(__file__))
FAULT_ENV = "LZ_LLAMACPP_FAULT"
CHILD_TIMEOUT_S = 900   # a hung reference fails its check instead of hanging CI
STDERR_TAIL = 25        # lines of a failed child's stderr quoted in the failure

_params_lock = threading.Lock()


class LlamaCppFailed(Exception):
    """llama.cpp (in a child process) crashed, failed or hung."""


def disable_extra_buffer_types(params):
    """Set use_extra_bufts = False on a llama_model_params; a clear error
    where this llama-cpp-python's struct has no such field (assigning to an
    unknown name would silently create a Python attribute instead)."""
    if "use_extra_bufts" not in {name for name, *_ in type(params)._fields_}:
        raise RuntimeError(
            "this llama-cpp-python's llama_model_params has no use_extra_bufts field, so llama.cpp's "
            "AMX path cannot be turned off (llama.cpp issue #20824); use llama-cpp-python==0.3.36")
    params.use_extra_bufts = False
    return params


@contextlib.contextmanager
def _default_params_without_extra_bufts(lib):
    """While active, the default model parameters that Llama() starts from
    (lib.llama_model_default_params, looked up at call time) have extra
    buffer types off. Counts the calls, so load_llama can tell whether
    Llama() still builds its parameters that way."""
    original = lib.llama_model_default_params
    calls = []

    def defaults_without_extra_bufts():
        calls.append(1)
        return disable_extra_buffer_types(original())

    with _params_lock:
        lib.llama_model_default_params = defaults_without_extra_bufts
        try:
            yield calls
        finally:
            lib.llama_model_default_params = original


def _fault_if_asked():
    name = os.environ.get(FAULT_ENV)
    if name:
        os.kill(os.getpid(), getattr(signal, name))


def load_llama(model_path, **kwargs):
    """llama_cpp.Llama(model_path, **kwargs) with extra buffer types off
    (verbose=False unless given)."""
    _fault_if_asked()
    import llama_cpp
    import llama_cpp.llama_cpp as lib
    disable_extra_buffer_types(lib.llama_model_default_params())   # fails early on a version without it
    kwargs.setdefault("verbose", False)
    with _default_params_without_extra_bufts(lib) as calls:
        llm = llama_cpp.Llama(model_path=model_path, **kwargs)
    if not calls or llm.model_params.use_extra_bufts is not False:
        raise RuntimeError(f"llama-cpp-python {llama_cpp.__version__}: Llama() no longer starts from "
                           "llama_model_default_params(), so extra buffer types could not be turned off")
    return llm


# ---------------------------------------------------------------- child processes

def _cpuinfo():
    """(model name, set of flags) of the first CPU in /proc/cpuinfo; empty where there is none."""
    model, flags = "", set()
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                key, _, value = line.partition(":")
                key = key.strip()
                if key == "model name" and not model:
                    model = value.strip()
                elif key == "flags":
                    flags = set(value.split())
                    break
    except OSError:
        pass
    return model, flags


def cpu_flags():
    """The CPU's feature flags (Linux /proc/cpuinfo names: avx2, amx_int8...)."""
    return _cpuinfo()[1]


def cpu_description():
    """The CPU's model name and its AMX flags, for failure messages."""
    import platform
    model, flags = _cpuinfo()
    amx = sorted(f for f in flags if f.startswith("amx"))
    return f"{model or platform.machine()} ({' '.join(amx) if amx else 'no AMX'})"


def _signal_name(number):
    try:
        return signal.Signals(number).name
    except ValueError:
        return f"signal {number}"


def run_child(argv, what, timeout=CHILD_TIMEOUT_S, env=None):
    """Run `python3 -X faulthandler ARGV...` (a tools/ script and its
    arguments) and return its stdout; raise LlamaCppFailed naming `what`, the
    signal or exit status, the CPU and the tail of its stderr (a crash prints
    the Python stack there) when it does not exit 0 within `timeout` s."""
    cmd = [sys.executable, "-X", "faulthandler", *argv]
    try:
        r = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=timeout, env=env)
    except subprocess.TimeoutExpired as e:
        raise LlamaCppFailed(f"{what}: llama.cpp did not finish in {timeout} s on {cpu_description()}") from e
    if r.returncode == 0:
        return r.stdout
    if r.returncode < 0:
        how = f"died with {_signal_name(-r.returncode)}"
    else:
        how = f"failed with exit status {r.returncode}"
    tail = "\n".join(r.stderr.decode("utf-8", "replace").splitlines()[-STDERR_TAIL:])
    raise LlamaCppFailed(f"{what}: llama.cpp {how} on {cpu_description()}\n"
                         f"command: {' '.join(cmd)}\nlast lines of its stderr:\n{tail}")


def tool(name):
    """Path of a script in tools/."""
    return os.path.join(HERE, name)


_probe = None


def probe():
    """(True, 'llama-cpp-python VERSION') when llama_cpp imports in a child
    process, else (False, why). Cached."""
    global _probe
    if _probe is None:
        code = "import llama_cpp; print(llama_cpp.__version__)"
        try:
            r = subprocess.run([sys.executable, "-c", code], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                               timeout=120)
        except subprocess.TimeoutExpired:
            _probe = (False, "import llama_cpp did not finish in 120 s")
        else:
            if r.returncode == 0:
                _probe = (True, "llama-cpp-python " + r.stdout.decode().strip())
            elif r.returncode < 0:
                _probe = (False, f"import llama_cpp died with {_signal_name(-r.returncode)}")
            else:
                last = (r.stderr.decode("utf-8", "replace").strip().splitlines() or ["?"])[-1]
                _probe = (False, f"import llama_cpp failed: {last}")
    return _probe
