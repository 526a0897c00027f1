"""Model and LlamaZip: the Python face of libllamazip.

Threads
-------
A Model (the mapped GGUF weights) is read-only once loaded and may be used
by any number of threads. A LlamaZip owns one library context (KV cache and
scratch memory) and a lock: calls on the same LlamaZip object run one at a
time, calls on different objects run in parallel, with the GIL released.
To compress in several threads at once, give each thread its own LlamaZip
sharing one Model::

    a = LlamaZip(n_ctx=512, n_threads=2)
    b = LlamaZip.from_model(a)          # same weights, its own context
"""
import collections
import ctypes
import numbers
import os
import re
import signal
import sys
import threading
import time

from . import _defaults, _native
from .errors import (ModelNotFoundError, Status, UsageError, error_for_status,
                     model_load_error)

MAX_N_CTX = 1 << 24
_ERRBUF_SIZE = 1024

Stats = collections.namedtuple("Stats", "input_bytes output_bytes n_tokens ideal_bits coded_bits seconds")
Stats.__doc__ = "Statistics of the last compress/decompress call (llamazip_stats)."
Progress = collections.namedtuple("Progress", "decompressing bytes_done bytes_total tokens_done coded_bytes seconds")
Progress.__doc__ = "Progress report passed to a progress callback (llamazip_progress)."

def default_model_path():
    """The default model file, or None if none is found: $LLAMAZIP_MODEL, the
    source tree's models/, $XDG_DATA_HOME/llama-zip/models,
    sys.prefix/share/llama-zip/models, then $XDG_DATA_DIRS (the llama-zip
    program's order; README.md, "Where the default model is found")."""
    return _defaults.default_model_path()


def version():
    """The library's version string, e.g. '0.1.0'."""
    return _native.lib().llamazip_version_string().decode()


def _check_int(name, value, lo, hi):
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{name} must be an int, not {type(value).__name__}")
    value = int(value)
    if not lo <= value <= hi:
        raise UsageError(f"{name} must be between {lo} and {hi}, got {value}", Status.USAGE)
    return value


class Model:
    """A loaded GGUF model. Read-only and shareable by threads and by
    several LlamaZip objects; freed when the last reference goes."""

    def __init__(self, model_path=None, n_gpu_layers=-1, use_mlock=False, n_threads=0):
        lib = _native.lib()
        self._ptr = None
        self._lib = lib
        if model_path is None:
            model_path = default_model_path()
            if model_path is None:
                raise ModelNotFoundError("no model given and the default model was not found: give a GGUF "
                                         "path or a model name, set LLAMAZIP_MODEL, or run 'make model' "
                                         "(searched: " + ", ".join(_defaults.model_dirs()) + ")", Status.IO, None)
        elif _defaults.is_known_name(model_path):
            name = model_path
            model_path = _defaults.resolve_model(name)
            if model_path is None:
                raise ModelNotFoundError(f"model '{name}' is not installed: run 'make model MODEL={name}' "
                                         "(searched: " + ", ".join(_defaults.model_dirs()) + ")", Status.IO, None)
        self.path = os.fspath(model_path)
        if isinstance(self.path, bytes):
            self.path = os.fsdecode(self.path)
        n_threads = _check_int("n_threads", n_threads, 0, 1024)
        params = _native.ModelParams()
        lib.llamazip_model_params_default(ctypes.byref(params))
        params.n_threads = n_threads
        params.use_mlock = 1 if use_mlock else 0
        params.n_gpu_layers = _check_int("n_gpu_layers", n_gpu_layers, -(1 << 31), (1 << 31) - 1)
        out = ctypes.c_void_p()
        err = ctypes.create_string_buffer(_ERRBUF_SIZE)
        status = lib.llamazip_model_load(os.fsencode(self.path), ctypes.byref(params), ctypes.byref(out), err,
                                         _ERRBUF_SIZE)
        if status != Status.OK or not out.value:
            raise model_load_error(status or Status.INTERNAL, err.value.decode("utf-8", "replace"), self.path)
        self._ptr = out.value
        self.n_threads = n_threads

    @property
    def context_length(self):
        """The model's trained context length (the n_ctx used when n_ctx=0)."""
        return int(self._lib.llamazip_model_context_length(self._ptr))

    def describe(self):
        """Human-readable summary: architecture, hyperparameters, tokenizer, tensor types."""
        need = self._lib.llamazip_model_describe(self._ptr, None, 0) + 1
        buf = ctypes.create_string_buffer(need)
        self._lib.llamazip_model_describe(self._ptr, buf, need)
        return buf.value.decode("utf-8", "replace")

    def __repr__(self):
        return f"<llama_zip.Model {self.path!r}>"

    def __del__(self):
        ptr, self._ptr = getattr(self, "_ptr", None), None
        if ptr:
            try:
                self._lib.llamazip_model_free(ptr)
            except Exception:  # interpreter shutdown
                pass


class LlamaZip:
    """Lossless compressor using a language model.

    LlamaZip(model_path=None, n_ctx=0, n_gpu_layers=-1, use_mlock=False, verbose=False, *,
             n_threads=0, model=None, n_batch=0)

    The positional parameters are the original llama-zip's, in its order.
    model_path: a GGUF file or a known model name ("gemma-3-270m", the
           default, or "smollm2-135m": llama_zip.KNOWN_MODELS); None means
           the default model.
    n_ctx: context window in tokens; 0 means the model's trained length.
    n_gpu_layers: accepted for compatibility (the library runs on the CPU).
    use_mlock: lock the mapped weights in RAM.
    verbose: a "Loading model..." line while the model loads and a progress
             line while compressing or decompressing, on stderr (as the original).
    n_threads: (keyword) threads per call; 0 means all CPUs.
    model: (keyword) a Model or LlamaZip whose loaded model to share instead
           of loading model_path; see LlamaZip.from_model.
    n_batch: (keyword) tokens evaluated per batch when compressing; 0 = default.
             Does not change the archive.
    """

    def __init__(self, model_path=None, n_ctx=0, n_gpu_layers=-1, use_mlock=False, verbose=False, *,
                 n_threads=0, model=None, n_batch=0):
        self._ctx = None
        self._lock = threading.Lock()
        self.verbose = bool(verbose)
        self._n_ctx = _check_int("n_ctx", n_ctx, 0, MAX_N_CTX)
        self._n_threads = _check_int("n_threads", n_threads, 0, 1024)
        self._n_batch = _check_int("n_batch", n_batch, 0, 4096)
        if model is not None:
            if model_path is not None:
                raise UsageError("give model_path or model, not both", Status.USAGE)
            if isinstance(model, LlamaZip):
                model = model.model
            if not isinstance(model, Model):
                raise TypeError(f"model must be a Model or a LlamaZip, not {type(model).__name__}")
        else:
            with _loading_message(self.verbose):
                model = Model(model_path, n_gpu_layers=n_gpu_layers, use_mlock=use_mlock, n_threads=self._n_threads)
        self._model = model
        self._lib = model._lib
        self._ctx_key = None
        self._progress_slot = [None, None, False]  # [callback, exception it raised, interrupted]
        self._progress_fn = None
        self._stats = None
        self._closed = False
        if self.n_ctx < 2:
            raise UsageError(f"n_ctx must be at least 2, got {self.n_ctx}", Status.USAGE)
        self._ensure_ctx(0, False)  # report context errors (memory, n_ctx) now

    @classmethod
    def from_model(cls, other, n_ctx=None, n_threads=None, n_batch=None):
        """A new LlamaZip sharing `other`'s loaded model (a LlamaZip or a
        Model), with its own context: the way to compress in several threads
        at once. n_ctx, n_threads and n_batch default to `other`'s."""
        if isinstance(other, LlamaZip):
            n_ctx = other._n_ctx if n_ctx is None else n_ctx
            n_threads = other._n_threads if n_threads is None else n_threads
            n_batch = other._n_batch if n_batch is None else n_batch
        return cls(n_ctx=n_ctx or 0, n_threads=n_threads or 0, model=other, n_batch=n_batch or 0)

    # ------------------------------------------------------------ properties

    @property
    def model(self):
        """The shared Model."""
        return self._model

    @property
    def n_ctx(self):
        """The effective context window in tokens."""
        return self._n_ctx or self._model.context_length

    @property
    def stats(self):
        """Stats of the last successful call on this object (None before one)."""
        return self._stats

    # ------------------------------------------------------------ context

    def _ensure_ctx(self, overlap, with_progress, segment_size=0):
        """The context for this overlap and segment size; a new one when they
        change (the library fixes them at context creation; creation is cheap)."""
        key = (overlap, with_progress, segment_size)
        if self._ctx is not None and self._ctx_key == key:
            return self._ctx
        lib = self._lib
        params = _native.CtxParams()
        lib.llamazip_ctx_params_default(ctypes.byref(params))
        params.n_ctx = self._n_ctx
        params.window_overlap = overlap
        params.window_overlap_percent = 0
        params.n_batch = self._n_batch
        params.segment_size = segment_size
        params.n_threads = self._n_threads
        params.cpu_level = _defaults.cpu_level()
        fn = None
        if with_progress:
            fn = self._progress_fn or _make_progress_trampoline(self._progress_slot)
            params.progress = fn
        err = ctypes.create_string_buffer(_ERRBUF_SIZE)
        out = ctypes.c_void_p()
        status = lib.llamazip_ctx_create(self._model._ptr, ctypes.byref(params), ctypes.byref(out), err,
                                         _ERRBUF_SIZE)
        if status != Status.OK or not out.value:
            raise error_for_status(status or Status.INTERNAL, err.value.decode("utf-8", "replace"))
        ctx = out.value
        if self._ctx is not None:
            lib.llamazip_ctx_free(self._ctx)
        self._ctx = ctx
        self._ctx_key = key
        if fn is not None:
            self._progress_fn = fn
        return ctx

    def window_overlap_tokens(self, window_overlap):
        """Overlap in tokens for a window_overlap argument, with the CLI's
        rules: a count N (0 <= N < n_ctx), a negative count (n_ctx + N), or a
        percentage string "P%" of n_ctx - 1; at most n_ctx - 2."""
        n_ctx = self.n_ctx
        if isinstance(window_overlap, str):
            s = window_overlap.strip()
            if s.endswith("%"):
                if not re.fullmatch(r"[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?", s[:-1]):
                    raise UsageError(f"invalid window overlap {window_overlap!r}", Status.USAGE)
                p = float(s[:-1])
                if not 0 <= p <= 100:
                    raise UsageError("window overlap must be in the range [0%, 100%]", Status.USAGE)
                tokens = int(p / 100.0 * (n_ctx - 1))
                return min(tokens, n_ctx - 2)
            if not re.fullmatch(r"[+-]?\d+", s):
                raise UsageError(f"window overlap must be a token count or a percentage, not {window_overlap!r}",
                                 Status.USAGE)
            v = int(s)
        elif isinstance(window_overlap, numbers.Integral) and not isinstance(window_overlap, bool):
            v = int(window_overlap)
        else:
            raise TypeError(f"window_overlap must be an int or a string like '25%', "
                            f"not {type(window_overlap).__name__}")
        if v < 0:
            v += n_ctx
        if not 0 <= v < n_ctx:
            raise UsageError(f"window overlap must be in the range [-{n_ctx}, {n_ctx - 1}]", Status.USAGE)
        return min(v, n_ctx - 2)

    # ------------------------------------------------------------ coding

    def compress(self, data, window_overlap=0, segment_size=None, *, progress=None):
        """Compress bytes (or any contiguous buffer; str is encoded as UTF-8)
        into an archive (bytes).

        window_overlap: tokens kept when the context window slides: a count,
        a negative count meaning n_ctx + N, or a string "25%" (of n_ctx).
        segment_size: text is cut into segments of about this many bytes,
        each coded with a fresh context, which decompression decodes many at
        a time; None = the default (96 KiB), 0 = one segment.
        progress: optional callable(Progress) called every few tokens; a
        true return value cancels the call (CancelledError).

        Called from the main thread, Ctrl+C stops the call (KeyboardInterrupt)
        within a few tokens.
        """
        overlap = self.window_overlap_tokens(window_overlap)
        if segment_size is None:
            seg = 0
        elif isinstance(segment_size, numbers.Integral) and not isinstance(segment_size, bool) and segment_size >= 0:
            seg = _native.SEGMENT_NONE if segment_size == 0 else int(segment_size)
        else:
            raise UsageError(f"segment_size must be None or a byte count >= 0, not {segment_size!r}", Status.USAGE)
        return self._code(self._lib.llamazip_compress, data, overlap, progress, seg)

    def decompress(self, data, window_overlap=None, *, progress=None):
        """Decompress an archive (bytes or any contiguous buffer) to bytes.
        window_overlap is accepted for compatibility and ignored: the archive
        records n_ctx and the overlap."""
        return self._code(self._lib.llamazip_decompress, data, None, progress)

    def _code(self, fn, data, overlap, progress, segment_size=0):
        if progress is not None and not callable(progress):
            raise TypeError("progress must be callable")
        if progress is None and self.verbose:
            progress = _ProgressLine()
        lib = self._lib
        # In the main thread, a callback lets Ctrl+C cancel a long call: the
        # SIGINT handler only sets a flag that the callback turns into a
        # cancellation (an exception raised inside a ctypes callback is lost).
        in_main = threading.current_thread() is threading.main_thread()
        with _native.InputBuffer(data) as (src, n), self._lock:
            if self._closed:
                raise UsageError("this LlamaZip is closed", Status.USAGE)
            if overlap is None:  # decompressing: any context will do
                overlap = self._ctx_key[0] if self._ctx_key else 0
                segment_size = self._ctx_key[2] if self._ctx_key else 0
            ctx = self._ensure_ctx(overlap, progress is not None or in_main, segment_size)
            slot = self._progress_slot
            slot[0], slot[1], slot[2] = progress, None, False
            old_handler = None
            if in_main and signal.getsignal(signal.SIGINT) is signal.default_int_handler:
                old_handler = signal.signal(signal.SIGINT, lambda *_: slot.__setitem__(2, True))
            dst = ctypes.c_void_p()
            dst_size = ctypes.c_size_t()
            try:
                status = fn(ctx, src, n, ctypes.byref(dst), ctypes.byref(dst_size))
            finally:
                if isinstance(progress, _ProgressLine):
                    progress.clear()
                if old_handler is not None:
                    signal.signal(signal.SIGINT, old_handler)
                raised, interrupted = slot[1], slot[2]
                slot[0], slot[1], slot[2] = None, None, False
            try:
                if interrupted:
                    raise KeyboardInterrupt()
                if status != Status.OK:
                    if raised is not None:
                        raise raised
                    raise error_for_status(status, lib.llamazip_ctx_error(ctx).decode("utf-8", "replace"))
                out = ctypes.string_at(dst.value, dst_size.value) if dst_size.value else b""
                st = _native.Stats()
                lib.llamazip_ctx_stats(ctx, ctypes.byref(st))
                self._stats = Stats(st.input_bytes, st.output_bytes, st.n_tokens, st.ideal_bits, st.coded_bits,
                                    st.seconds)
                return out
            finally:
                if dst.value:
                    lib.llamazip_free_buffer(dst.value)

    # ------------------------------------------------------------ lifetime

    def close(self):
        """Free the context now and drop the model reference (the model is
        freed when no LlamaZip uses it). Further calls raise UsageError."""
        with self._lock:
            self._closed = True
            ctx, self._ctx = self._ctx, None
            if ctx:
                self._lib.llamazip_ctx_free(ctx)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
        return False

    def __repr__(self):
        return f"<llama_zip.LlamaZip model={self._model.path!r} n_ctx={self.n_ctx}>"

    def __del__(self):
        ctx = getattr(self, "_ctx", None)
        if ctx:
            self._ctx = None
            try:
                self._lib.llamazip_ctx_free(ctx)
            except Exception:  # interpreter shutdown
                pass


class _loading_message:
    """verbose: "Loading model..." on stderr while the model loads, then erased."""
    TEXT = "Loading model..."

    def __init__(self, enabled):
        self.enabled = enabled

    def __enter__(self):
        if self.enabled:
            sys.stderr.write(self.TEXT)
            sys.stderr.flush()

    def __exit__(self, *exc):
        if self.enabled:
            sys.stderr.write("\r" + " " * len(self.TEXT) + "\r")
            sys.stderr.flush()
        return False


class _ProgressLine:
    """verbose: one progress line on stderr, redrawn at most 10 times a second."""

    def __init__(self):
        self.width = 0
        self.last = 0.0

    def __call__(self, p):
        now = time.monotonic()
        if now - self.last < 0.1 and p.bytes_done < p.bytes_total:
            return False
        self.last = now
        verb = "Decompressing" if p.decompressing else "Compressing"
        text = f"{verb}: {p.bytes_done}/{p.bytes_total} bytes, {p.tokens_done} tokens, {p.seconds:.1f} s"
        sys.stderr.write("\r" + text.ljust(self.width))
        sys.stderr.flush()
        self.width = max(self.width, len(text))
        return False

    def clear(self):
        if self.width:
            sys.stderr.write("\r" + " " * self.width + "\r")
            sys.stderr.flush()


def _make_progress_trampoline(slot):
    """A C progress callback dispatching to slot[0]; an exception raised by
    the Python callback cancels the call and is re-raised by
    compress/decompress; slot[2] (set on Ctrl+C) cancels too. Holds no
    reference to the LlamaZip."""

    def on_progress(_user, p):
        if slot[2]:  # Ctrl+C
            return 1
        cb = slot[0]
        if cb is None:
            return 0
        try:
            q = p.contents
            return 1 if cb(Progress(bool(q.decompressing), q.bytes_done, q.bytes_total, q.tokens_done,
                                    q.coded_bytes, q.seconds)) else 0
        except BaseException as e:  # noqa: B902 - any exception must not cross the C frames
            slot[1] = e
            return 1

    return _native.PROGRESS_FN(on_progress)
