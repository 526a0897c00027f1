"""The Python package's defaults that the library leaves to its callers:
the models known by name, where a model is found, and $LLAMAZIP_CPU.

The known names are the llama-zip program's (programs/model_names.c; the
same table as tools/fetch_model.py, tests/python/test_models.py checks).
A known name (unless a file of that name exists) is looked for in the
model directories below; any other text is a path.

The order is the llama-zip program's (programs/model_path.h, README.md):
  1. $LLAMAZIP_MODEL (a name, or a file: used even if missing, so the load says why)
  2. the source tree's models/, when the package runs from a checkout
     (python/llama_zip/../../models)
  3. $XDG_DATA_HOME/llama-zip/models (default ~/.local/share/llama-zip/models)
  4. sys.prefix/share/llama-zip/models: the prefix Python is installed in
     (a venv's own, or the system's)
  5. each DIR of $XDG_DATA_DIRS (default /usr/local/share:/usr/share): DIR/llama-zip/models
"""
import os
import sys

# name -> (file, size in bytes, licence); the first is the default
KNOWN_MODELS = {
    "gemma-3-270m": ("gemma-3-270m-q4_k_m.gguf", 253113024, "Gemma Terms of Use"),
    "smollm2-135m": ("smollm2-135m-instruct-q4_1.gguf", 98362432, "Apache-2.0"),
}
DEFAULT_MODEL = "gemma-3-270m"
DEFAULT_MODEL_NAME = KNOWN_MODELS[DEFAULT_MODEL][0]   # its file name
_DATA_SUBDIR = os.path.join("llama-zip", "models")
_HERE = os.path.dirname(os.path.abspath(__file__))

# llamazip_cpu_level (llamazip.h) for each $LLAMAZIP_CPU value
CPU_LEVELS = {"scalar": 1, "avx2": 2, "avx512": 3, "neon": 4}


def model_dirs(environ=None):
    """The directories searched for the default model, in order."""
    env = os.environ if environ is None else environ
    dirs = [os.path.normpath(os.path.join(_HERE, "..", "..", "models"))]
    home = env.get("HOME") or os.path.expanduser("~")
    xdg_home = env.get("XDG_DATA_HOME") or (os.path.join(home, ".local", "share") if home else "")
    if xdg_home:
        dirs.append(os.path.join(xdg_home, _DATA_SUBDIR))
    dirs.append(os.path.join(sys.prefix, "share", _DATA_SUBDIR))
    for d in (env.get("XDG_DATA_DIRS") or "/usr/local/share:/usr/share").split(":"):
        if d:
            dirs.append(os.path.join(d, _DATA_SUBDIR))
    return dirs


def find_model_file(file_name, environ=None):
    """FILE_NAME in the model directories (1..4 of the module's doc: not
    $LLAMAZIP_MODEL), or None."""
    for d in model_dirs(environ):
        candidate = os.path.join(d, file_name)
        if os.path.isfile(candidate):
            return os.path.realpath(candidate)
    return None


def is_known_name(arg):
    """ARG is taken as a model name: a known one, and no file of that name is there."""
    return isinstance(arg, str) and arg in KNOWN_MODELS and not os.path.exists(arg)


def resolve_model(arg, environ=None):
    """The file of a model name, the path itself for anything else; None for a
    known name that is installed in no model directory."""
    if is_known_name(arg):
        return find_model_file(KNOWN_MODELS[arg][0], environ)
    return arg


def default_model_path(environ=None):
    """The default model file, or None when none is found (see the module's doc)."""
    env = os.environ if environ is None else environ
    explicit = env.get("LLAMAZIP_MODEL")
    if explicit:
        return resolve_model(explicit, env)
    return find_model_file(DEFAULT_MODEL_NAME, env)


def cpu_level(environ=None):
    """llamazip_ctx_params.cpu_level for $LLAMAZIP_CPU (0, the best level, when unset or unknown)."""
    env = os.environ if environ is None else environ
    return CPU_LEVELS.get(env.get("LLAMAZIP_CPU", ""), 0)
