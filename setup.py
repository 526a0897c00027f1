"""Build of the llama_zip Python package: `pip install .` from the
repository root runs `make lib build/llama-zip` (the Makefile's own flags,
so the library is the deterministic one the C tests check) and bundles
build/libllamazip.so and build/llama-zip inside the package.

The bundled copies are stripped of debug information (LLAMAZIP_STRIP=0
keeps it). `make wheel` then runs `auditwheel repair`, which copies libzstd
and libxxhash into the wheel and tags it manylinux.

Environment: MAKE (default "make"), LLAMAZIP_MAKE_BUILD (the Makefile's
BUILD directory, default "build"), LLAMAZIP_STRIP, MAKEFLAGS as usual.
"""
import os
import re
import shutil
import subprocess
import sys

from setuptools import Distribution, setup
from setuptools.command.build_py import build_py

ROOT = os.path.dirname(os.path.abspath(__file__))
PACKAGE = "llama_zip"
NATIVE = ("libllamazip.so", "llama-zip")  # copied from the make build directory into the package


def read_version():
    with open(os.path.join(ROOT, "include", "llamazip.h"), encoding="utf-8") as f:
        m = re.search(r'#define\s+LLAMAZIP_VERSION_STRING\s+"([^"]+)"', f.read())
    if not m:
        raise RuntimeError("LLAMAZIP_VERSION_STRING not found in include/llamazip.h")
    return m.group(1)


def make_native():
    """Run make; return the directory holding the built files."""
    build = os.environ.get("LLAMAZIP_MAKE_BUILD", "build")
    make = os.environ.get("MAKE", "make")
    cmd = [make, f"BUILD={build}", "lib", f"{build}/llama-zip"]
    if "-j" not in os.environ.get("MAKEFLAGS", ""):
        cmd.insert(1, f"-j{min(os.cpu_count() or 1, 8)}")
    print("llama_zip: " + " ".join(cmd), file=sys.stderr, flush=True)
    try:
        subprocess.run(cmd, cwd=ROOT, check=True)
    except FileNotFoundError:
        raise SystemExit(f"llama_zip: '{make}' not found: building libllamazip needs make and a C compiler")
    except subprocess.CalledProcessError as e:
        raise SystemExit(f"llama_zip: building libllamazip failed ({' '.join(cmd)} exited with {e.returncode})")
    return os.path.join(ROOT, build)


def strip(path):
    """Drop debug information and local symbols (the wheel ships no sources to debug with)."""
    if os.environ.get("LLAMAZIP_STRIP", "1") == "0":
        return
    tool = shutil.which(os.environ.get("STRIP", "strip"))
    if tool is None:
        print(f"llama_zip: 'strip' not found: {os.path.basename(path)} keeps its debug information",
              file=sys.stderr)
        return
    subprocess.run([tool, "--strip-unneeded", path], check=True)


class BuildPyWithNative(build_py):
    """build_py that also builds libllamazip and the llama-zip program and
    puts them in the package directory of the build."""

    def run(self):
        super().run()
        if self.dry_run:
            return
        src_dir = make_native()
        dst_dir = os.path.join(self.build_lib, PACKAGE)
        os.makedirs(dst_dir, exist_ok=True)
        for name in NATIVE:
            src = os.path.join(src_dir, name)
            if not os.path.isfile(src):
                raise SystemExit(f"llama_zip: make did not produce {src}")
            dst = os.path.join(dst_dir, name)
            shutil.copyfile(src, dst)  # follows build/libllamazip.so -> libllamazip.so.VERSION
            os.chmod(dst, 0o755)
            strip(dst)

    def get_outputs(self, include_bytecode=1):
        outs = super().get_outputs(include_bytecode)
        return outs + [os.path.join(self.build_lib, PACKAGE, n) for n in NATIVE]


try:  # setuptools >= 70.1 has its own bdist_wheel; older ones use the wheel package's
    from setuptools.command.bdist_wheel import bdist_wheel as _bdist_wheel
except ImportError:
    try:
        from wheel.bdist_wheel import bdist_wheel as _bdist_wheel
    except ImportError:
        _bdist_wheel = None

CMDCLASS = {"build_py": BuildPyWithNative}
if _bdist_wheel is not None:
    class BdistWheelPlatform(_bdist_wheel):
        """Platform wheel, for any Python 3: the library is loaded with ctypes,
        no extension module depends on the Python ABI."""

        def finalize_options(self):
            super().finalize_options()
            self.root_is_pure = False

        def get_tag(self):
            return ("py3", "none", super().get_tag()[2])

    CMDCLASS["bdist_wheel"] = BdistWheelPlatform


class BinaryDistribution(Distribution):
    """The package bundles a native library: the wheel is platform-specific."""

    def has_ext_modules(self):
        return True


setup(
    version=read_version(),
    packages=[PACKAGE],
    package_dir={PACKAGE: "python/llama_zip"},
    cmdclass=CMDCLASS,
    distclass=BinaryDistribution,
    zip_safe=False,
    # setuptools' own build tree under python/build/ (git-ignored), apart from make's build/
    options={"build": {"build_base": "python/build"}},
)
