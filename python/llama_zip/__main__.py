"""`python -m llama_zip ...` (and the `llama-zip` console script): run the
bundled llama-zip program with the same arguments, replacing this process,
so that behaviour, messages and exit statuses are exactly the CLI's.

The default model is the package's (llama_zip.default_model_path(): it knows
sys.prefix, which the bundled program cannot see), handed to the program as
$LLAMAZIP_MODEL (a model name there is resolved the same way); a model
on the command line still wins (a name there is looked for by the program
in its own directories)."""
import os
import subprocess
import sys

from ._defaults import default_model_path, is_known_name
from ._native import find_program


def main(argv=None):
    args = sys.argv[1:] if argv is None else list(argv)
    prog = find_program()
    if prog is None:
        sys.stderr.write("llama-zip: the llama-zip program is not installed with this package "
                         "(reinstall with 'pip install .', or set LLAMAZIP_PROG=/path/to/llama-zip)\n")
        return 2
    env_model = os.environ.get("LLAMAZIP_MODEL")
    if not env_model or is_known_name(env_model):
        found = default_model_path()
        if found:
            os.environ["LLAMAZIP_MODEL"] = found
    sys.stdout.flush()
    sys.stderr.flush()
    if os.name == "posix":
        try:
            os.execv(prog, [prog, *args])
        except OSError as e:
            sys.stderr.write(f"llama-zip: cannot run {prog}: {e}\n")
            return 2
    return subprocess.call([prog, *args])


if __name__ == "__main__":
    sys.exit(main())
