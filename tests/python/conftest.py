"""Paths shared by the Python tests, and fixtures for them.

The test files import the constants (`from conftest import PROG, MODEL`:
pytest puts this directory on sys.path, and module-level skip marks need
them at import time); the fixtures of the same names in lower case serve
tests that take them as arguments.

BUILD ($BUILD, default "build") is make's build directory, relative to the
repository root; LLAMAZIP_CORPUS overrides the corpus directory.

At the end of every run it says whether the llama.cpp comparisons ran live
or the golden fixtures stood in (tools/llamacpp_ref.py probes llama_cpp in a
child process).
"""
import os
import sys

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BUILD = os.environ.get("BUILD", "build")
BUILD_DIR = os.path.join(ROOT, BUILD)
PROG = os.path.join(BUILD_DIR, "llama-zip")                  # the program
TOOLS_DIR = os.path.join(BUILD_DIR, "tests", "tools")        # eval_dump, tokenize_dump, dequant_dump
TINY_DIR = os.path.join(ROOT, "build", "tiny")               # make tiny-models
MODEL_NAME = "gemma-3-270m-q4_k_m.gguf"
MODEL = os.path.join(ROOT, "models", MODEL_NAME)             # the default model (make model)
SMOLLM2_NAME = "smollm2-135m-instruct-q4_1.gguf"
SMOLLM2 = os.path.join(ROOT, "models", SMOLLM2_NAME)         # make model MODEL=smollm2-135m
CORPUS = os.environ.get("LLAMAZIP_CORPUS", os.path.join(os.path.dirname(ROOT), "shared", "corpus"))

needs_prog_and_model = pytest.mark.skipif(not (os.path.exists(PROG) and os.path.exists(MODEL)),
                                          reason="needs build/llama-zip and the default model (make all model)")


@pytest.fixture(scope="session")
def root():
    return ROOT


@pytest.fixture(scope="session")
def prog():
    if not os.access(PROG, os.X_OK):
        pytest.skip(f"{PROG} not built (make)")
    return PROG


@pytest.fixture(scope="session")
def model():
    if not os.path.exists(MODEL):
        pytest.skip("default model absent (make model)")
    return MODEL


@pytest.fixture(scope="session")
def tiny_dir():
    if not os.path.isdir(TINY_DIR) or not os.listdir(TINY_DIR):
        pytest.skip("tiny models absent (make tiny-models)")
    return TINY_DIR


sys.path.insert(0, os.path.join(ROOT, "tools"))
import llamacpp_ref  # noqa: E402


def pytest_terminal_summary(terminalreporter):
    live, why = llamacpp_ref.probe()
    if live:
        line = (f"llama.cpp reference: live ({why}, extra buffer types off, in child processes) "
                f"on {llamacpp_ref.cpu_description()}")
    else:
        line = (f"llama.cpp reference: cannot run here ({why}); the engine is compared with the golden "
                "fixtures only, the tokenizer comparisons are skipped")
    terminalreporter.write_line(line)
