"""llama_zip - lossless compression with a language model as the probability
model of a range coder (Python binding of libllamazip).

    from llama_zip import LlamaZip
    lz = LlamaZip()                      # the default model (Gemma 3 270M)
    fast = LlamaZip("smollm2-135m")      # a known model by name (KNOWN_MODELS)
    archive = lz.compress(b"some text")
    assert lz.decompress(archive) == b"some text"

See doc/python.md for threads, errors and the command line
(`python -m llama_zip ...` runs the bundled llama-zip program).
"""
import threading

from ._defaults import KNOWN_MODELS
from .core import LlamaZip, Model, Progress, Stats, default_model_path, version
from .errors import (CancelledError, CorruptArchiveError, LibraryError, LlamaZipError, ModelError,
                     ModelMismatchError, ModelNotFoundError, OutOfMemoryError, Status, UsageError)

__all__ = [
    "LlamaZip", "Model", "Progress", "Stats", "Status", "compress", "decompress", "default_model_path", "KNOWN_MODELS",
    "LlamaZipError", "LibraryError", "UsageError", "OutOfMemoryError", "ModelError", "ModelNotFoundError",
    "CorruptArchiveError", "ModelMismatchError", "CancelledError", "__version__",
]


def __getattr__(name):
    # __version__ comes from the library itself (llamazip_version_string),
    # loaded on first use so that `import llama_zip` stays cheap.
    if name == "__version__":
        return version()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


_default = None
_default_lock = threading.Lock()


def _default_instance():
    global _default
    with _default_lock:
        if _default is None:
            _default = LlamaZip()
        return _default


def compress(data, window_overlap=0):
    """Compress with a shared LlamaZip on the default model (created on first use)."""
    return _default_instance().compress(data, window_overlap)


def decompress(data, window_overlap=None):
    """Decompress with a shared LlamaZip on the default model (created on first use)."""
    return _default_instance().decompress(data)
