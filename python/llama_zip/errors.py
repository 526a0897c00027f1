"""Exceptions raised by llama_zip.

Every failure of the library becomes a LlamaZipError (or a subclass) whose
message is the library's own and whose ``status`` is the library's status
code (a ``Status`` member). The subclasses also derive from the matching
built-in exception where one fits, so ``except ValueError`` or
``except FileNotFoundError`` work as one would expect.
"""
import errno

from ._status import EXCEPTION_NAMES, MESSAGES, Status  # generated from include/llamazip.h


def _status(code):
    try:
        return Status(code)
    except ValueError:  # a code newer than this binding: keep the number
        return code


class LlamaZipError(Exception):
    """Base class of every llama_zip error. ``status`` is the library's status code."""

    def __init__(self, message, status=Status.INTERNAL):
        super().__init__(message)
        self.message = message
        self.status = _status(status)

    def __str__(self):
        return self.message


class LibraryError(LlamaZipError, ImportError):
    """libllamazip could not be found or loaded."""

    def __init__(self, message):
        LlamaZipError.__init__(self, message, Status.INTERNAL)


class UsageError(LlamaZipError, ValueError):
    """An invalid argument (LLAMAZIP_E_USAGE)."""


class OutOfMemoryError(LlamaZipError, MemoryError):
    """The library could not allocate memory (LLAMAZIP_E_NOMEM)."""


class ModelError(LlamaZipError):
    """The model could not be loaded: unreadable, malformed GGUF, unsupported."""


class ModelNotFoundError(ModelError, FileNotFoundError):
    """The model file does not exist, or no default model was found."""

    def __init__(self, message, status=Status.IO, path=None):
        ModelError.__init__(self, message, status)
        self.errno = errno.ENOENT
        self.strerror = message
        self.filename = path


class CorruptArchiveError(LlamaZipError, ValueError):
    """The input is not a valid archive: not an archive, unknown version,
    damaged, truncated, or failing its checksum."""


class ModelMismatchError(LlamaZipError, ValueError):
    """The archive was made with another model (LLAMAZIP_E_MODEL_MISMATCH)."""


class CancelledError(LlamaZipError):
    """The progress callback asked to stop, or the call was interrupted."""


# From the status list's exception column (tools/gen_status.py).
_BY_STATUS = {status: globals()[name] for status, name in EXCEPTION_NAMES.items() if status != Status.OK}


def error_for_status(status, message):
    """The exception for a failed compress/decompress/context call."""
    if not message:
        message = MESSAGES.get(status, f"libllamazip error {int(status)}")
    return _BY_STATUS.get(status, LlamaZipError)(message, status)


def model_load_error(status, message, path):
    """The exception for a failed llamazip_model_load."""
    import os
    if not message:
        message = f"cannot load model {path!r} (status {int(status)})"
    if status == Status.IO and path is not None and not os.path.exists(path):
        return ModelNotFoundError(message, status, path)
    if status in (Status.USAGE, Status.NOMEM):
        return error_for_status(status, message)
    return ModelError(message, status)
