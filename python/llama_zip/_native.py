"""ctypes binding of libllamazip's public API (include/llamazip.h).

The shared library is looked up, in order:
  1. $LLAMAZIP_LIB (a path to libllamazip.so; an error if it does not load),
  2. next to this file (the copy `pip install .` bundles),
  3. the source tree's build/libllamazip.so (running from a checkout).
The llama-zip program is found the same way ($LLAMAZIP_PROG, the bundled
copy, build/llama-zip).

Foreign calls go through ctypes.CDLL, which releases the GIL for their whole
duration: long compress/decompress calls let other Python threads run.
"""
import ctypes
import os
import sys
import threading

from .errors import LibraryError

LIB_NAME = "libllamazip.so"
PROG_NAME = "llama-zip"

_HERE = os.path.dirname(os.path.abspath(__file__))
_SOURCE_BUILD = os.path.normpath(os.path.join(_HERE, "..", "..", "build"))

c_uint32 = ctypes.c_uint32
c_uint64 = ctypes.c_uint64


class ModelParams(ctypes.Structure):
    _fields_ = [("n_threads", ctypes.c_int),
                ("use_mlock", ctypes.c_int),
                ("n_gpu_layers", ctypes.c_int)]


class Progress(ctypes.Structure):
    _fields_ = [("decompressing", ctypes.c_int),
                ("bytes_done", c_uint64),
                ("bytes_total", c_uint64),
                ("tokens_done", c_uint64),
                ("coded_bytes", c_uint64),
                ("seconds", ctypes.c_double)]


PROGRESS_FN = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.c_void_p, ctypes.POINTER(Progress))


SEGMENT_NONE = (1 << 64) - 1   # LLAMAZIP_SEGMENT_NONE: one segment


class CtxParams(ctypes.Structure):
    _fields_ = [("n_ctx", c_uint32),
                ("window_overlap", c_uint32),
                ("window_overlap_percent", c_uint32),
                ("n_batch", c_uint32),
                ("segment_size", c_uint64),
                ("n_streams", c_uint32),
                ("n_threads", ctypes.c_int),
                ("progress", PROGRESS_FN),
                ("progress_user", ctypes.c_void_p),
                ("cpu_level", ctypes.c_int)]


class Stats(ctypes.Structure):
    _fields_ = [("input_bytes", c_uint64),
                ("output_bytes", c_uint64),
                ("n_tokens", c_uint64),
                ("ideal_bits", ctypes.c_double),
                ("coded_bits", ctypes.c_double),
                ("seconds", ctypes.c_double),
                ("streams", c_uint32)]


# The library's ABI these mirrors follow (LLAMAZIP_ABI_VERSION in llamazip.h)
# and the struct each llamazip_struct_id names: checked against the loaded
# library before any other call, so a library built from another version of
# the header is refused instead of being handed structs of the wrong layout.
ABI_VERSION = 1
STRUCTS = {1: ModelParams, 2: CtxParams, 3: Progress, 4: Stats}


def check_abi(lib, path):
    """Raise LibraryError unless the library's ABI and struct sizes are these mirrors'."""
    try:
        abi = lib.llamazip_abi_version
        size = lib.llamazip_struct_size
    except AttributeError:
        raise LibraryError(f"{path} has no llamazip_abi_version: it is older than this package "
                           f"(ABI {ABI_VERSION}); rebuild it with 'make' or reinstall the package") from None
    abi.restype, abi.argtypes = ctypes.c_uint, []
    size.restype, size.argtypes = ctypes.c_size_t, [ctypes.c_int]
    if abi() != ABI_VERSION:
        raise LibraryError(f"{path} has ABI version {abi()}, this package expects {ABI_VERSION}: "
                           "the library and the package come from different versions")
    for which, struct in STRUCTS.items():
        if size(which) != ctypes.sizeof(struct):
            raise LibraryError(f"{path}: sizeof({struct.__name__}) is {size(which)} in the library but "
                               f"{ctypes.sizeof(struct)} in the package: they come from different versions")


def _declare(lib):
    P = ctypes.POINTER
    vp, sz, cp, i = ctypes.c_void_p, ctypes.c_size_t, ctypes.c_char_p, ctypes.c_int
    sigs = {
        "llamazip_version_number": (ctypes.c_uint, []),
        "llamazip_version_string": (cp, []),
        "llamazip_status_name": (cp, [i]),
        "llamazip_model_params_default": (None, [P(ModelParams)]),
        "llamazip_model_load": (i, [cp, P(ModelParams), P(vp), cp, sz]),
        "llamazip_model_free": (None, [vp]),
        "llamazip_model_describe": (sz, [vp, cp, sz]),
        "llamazip_model_context_length": (c_uint32, [vp]),
        "llamazip_ctx_params_default": (None, [P(CtxParams)]),
        "llamazip_ctx_create": (i, [vp, P(CtxParams), P(vp), cp, sz]),
        "llamazip_ctx_free": (None, [vp]),
        "llamazip_ctx_error": (cp, [vp]),
        "llamazip_free_buffer": (None, [vp]),
        "llamazip_compress": (i, [vp, vp, sz, P(vp), P(sz)]),
        "llamazip_decompress": (i, [vp, vp, sz, P(vp), P(sz)]),
        "llamazip_ctx_stats": (None, [vp, P(Stats)]),
    }
    for name, (restype, argtypes) in sigs.items():
        fn = getattr(lib, name)
        fn.restype = restype
        fn.argtypes = argtypes


def _candidates(env_var, name):
    explicit = os.environ.get(env_var)
    if explicit:
        return [explicit], True
    return [os.path.join(_HERE, name), os.path.join(_SOURCE_BUILD, name)], False


_lib = None
_lib_lock = threading.Lock()


def lib():
    """The loaded library (loaded on first use)."""
    global _lib
    if _lib is not None:
        return _lib
    with _lib_lock:
        if _lib is None:
            _lib = _load()
    return _lib


def _load():
    paths, explicit = _candidates("LLAMAZIP_LIB", LIB_NAME)
    errors = []
    for path in paths:
        if not explicit and not os.path.exists(path):
            continue
        try:
            handle = ctypes.CDLL(path)
            check_abi(handle, path)
            _declare(handle)
        except LibraryError as e:
            errors.append(str(e))
            continue
        except (OSError, AttributeError) as e:
            errors.append(f"{path}: {e}")
            continue
        handle.path = path
        return handle
    why = "; ".join(errors) if errors else "not found in " + ", ".join(paths)
    raise LibraryError(f"cannot load {LIB_NAME} ({why}). Install the package with 'pip install .' "
                       f"or build it with 'make' and set LLAMAZIP_LIB=/path/to/{LIB_NAME}")


def find_program():
    """Path of the llama-zip program, or None."""
    paths, _ = _candidates("LLAMAZIP_PROG", PROG_NAME)
    for path in paths:
        if os.path.isfile(path) and os.access(path, os.X_OK):
            return path
    return None


# ---------------------------------------------------------------- buffers

class _PyBuffer(ctypes.Structure):
    """Py_buffer (part of the stable ABI since Python 3.11, unchanged since 3.3)."""
    _fields_ = [("buf", ctypes.c_void_p),
                ("obj", ctypes.py_object),
                ("len", ctypes.c_ssize_t),
                ("itemsize", ctypes.c_ssize_t),
                ("readonly", ctypes.c_int),
                ("ndim", ctypes.c_int),
                ("format", ctypes.c_char_p),
                ("shape", ctypes.c_void_p),
                ("strides", ctypes.c_void_p),
                ("suboffsets", ctypes.c_void_p),
                ("internal", ctypes.c_void_p)]


_PyBUF_SIMPLE = 0
try:
    _get_buffer = ctypes.pythonapi.PyObject_GetBuffer
    _get_buffer.argtypes = [ctypes.py_object, ctypes.POINTER(_PyBuffer), ctypes.c_int]
    _get_buffer.restype = ctypes.c_int
    _release_buffer = ctypes.pythonapi.PyBuffer_Release
    _release_buffer.argtypes = [ctypes.POINTER(_PyBuffer)]
    _release_buffer.restype = None
except (AttributeError, OSError):  # not CPython: copy instead
    _get_buffer = None


class InputBuffer:
    """Context manager giving (address, length) of a bytes-like object
    without copying it. The export is held until exit, so the exporter
    (e.g. a bytearray) cannot be resized or freed while the library reads it."""

    def __init__(self, data):
        if isinstance(data, str):
            data = data.encode("utf-8")
        self._data = data
        self._view = None

    def __enter__(self):
        data = self._data
        if _get_buffer is None or sys.implementation.name != "cpython":
            self._keep = bytes(memoryview(data).cast("B")) if not isinstance(data, bytes) else data
            return ctypes.cast(ctypes.c_char_p(self._keep), ctypes.c_void_p).value, len(self._keep)
        try:
            memoryview(data)
        except TypeError:
            raise TypeError(f"a bytes-like object is required, not {type(data).__name__!r}") from None
        view = _PyBuffer()
        _get_buffer(data, ctypes.byref(view), _PyBUF_SIMPLE)  # raises BufferError if not contiguous
        self._view = view
        return view.buf, view.len

    def __exit__(self, *exc):
        if self._view is not None:
            _release_buffer(ctypes.byref(self._view))
            self._view = None
        self._keep = None
        return False
