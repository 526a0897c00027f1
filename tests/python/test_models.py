"""The named models: the tables agree, names resolve, --list-models, a real
round trip with SmolLM2-135M, and archives decoded with the other model.

The known models live in three tables (tools/fetch_model.py, which fetches
them; programs/model_names.c, the program's; python/llama_zip/_defaults.py)
that must say the same; the program's also records each model's
fingerprints, checked here against --info of the installed file.
"""
import os
import re
import shutil
import subprocess
import sys

import pytest

from conftest import CORPUS, MODEL, PROG, ROOT, SMOLLM2  # noqa: E402

sys.path.insert(0, os.path.join(ROOT, "tools"))
sys.path.insert(0, os.path.join(ROOT, "python"))
import fetch_model  # noqa: E402
from llama_zip import _defaults  # noqa: E402

FILES = {"gemma-3-270m": MODEL, "smollm2-135m": SMOLLM2}

needs_prog = pytest.mark.skipif(not os.access(PROG, os.X_OK), reason="llama-zip not built (make)")
needs_both = pytest.mark.skipif(not (os.access(PROG, os.X_OK) and os.path.exists(MODEL) and os.path.exists(SMOLLM2)),
                                reason="needs llama-zip and both models (make model model-smollm2)")
needs_smollm2 = pytest.mark.skipif(not (os.access(PROG, os.X_OK) and os.path.exists(SMOLLM2)),
                                   reason="needs llama-zip and SmolLM2-135M (make model MODEL=smollm2-135m)")


def lz(*args, data=None, env=None, prog=PROG, check=None):
    p = subprocess.run([prog, *args], input=data, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env,
                       timeout=600)
    if check is not None:
        assert p.returncode == check, (args, p.returncode, p.stderr.decode(errors="replace"))
    return p


def bare_env(tmp_path):
    """An environment in which the program's directory search finds nothing."""
    env = {k: v for k, v in os.environ.items() if k not in ("LLAMAZIP_MODEL", "XDG_DATA_HOME")}
    env.update(HOME=str(tmp_path / "home"), XDG_DATA_DIRS=str(tmp_path / "none"))
    return env


def lone_program(tmp_path):
    """A copy of the program with no models/ beside it."""
    prog = tmp_path / "bin" / "llama-zip"
    os.makedirs(prog.parent)
    shutil.copy2(PROG, prog)
    return str(prog)


# ---------------------------------------------------------------- the tables

def listed_models(prog=PROG, env=None):
    """--list-models as {name: (size MiB text, licence, installed column)}."""
    out = lz("--list-models", prog=prog, env=env, check=0).stdout.decode()
    rows = {}
    for line in out.splitlines()[1:]:
        m = re.match(r"^(\S+) +([\d.]+) MiB  (.+?)  +(\S.*)$", line)
        if m:
            rows[m.group(1)] = (m.group(2), m.group(3), m.group(4))
    return rows


def test_tables_agree():
    assert list(fetch_model.MODELS) == list(_defaults.KNOWN_MODELS)
    assert fetch_model.DEFAULT == _defaults.DEFAULT_MODEL == next(iter(_defaults.KNOWN_MODELS))
    for name, m in fetch_model.MODELS.items():
        assert _defaults.KNOWN_MODELS[name] == (m["file"], m["size"], m["licence"]), name
        assert re.fullmatch(r"[0-9a-f]{64}", m["sha256"]), name
    assert _defaults.DEFAULT_MODEL_NAME == os.path.basename(MODEL)
    assert os.path.basename(SMOLLM2) == fetch_model.MODELS["smollm2-135m"]["file"]


@needs_prog
def test_program_table_agrees():
    rows = listed_models()
    assert list(rows) == list(fetch_model.MODELS)
    for name, m in fetch_model.MODELS.items():
        size, licence, _ = rows[name]
        assert size == f"{m['size'] / 1048576:.1f}" and licence == m["licence"], (name, rows[name])
    src = open(os.path.join(ROOT, "programs", "model_names.c")).read()
    for name, m in fetch_model.MODELS.items():
        assert re.search(r'"%s", "%s", %d, "%s"' % (re.escape(name), re.escape(m["file"]), m["size"],
                                                    re.escape(m["licence"])), src), name


@needs_prog
@pytest.mark.parametrize("name", list(FILES))
def test_program_fingerprints_are_the_models(name):
    """The fingerprints model_names.c records are those --info computes from the file."""
    if not os.path.exists(FILES[name]):
        pytest.skip(f"{name} not installed")
    info = lz(FILES[name], "--info", check=0).stdout.decode()
    fp2, fp1 = re.search(r"^fingerprint: +([0-9a-f]{16}) \(format 2 archives\), ([0-9a-f]{16})", info, re.M).groups()
    src = open(os.path.join(ROOT, "programs", "model_names.c")).read()
    entry = src[src.index(f'"{name}"'):]
    entry = entry[:entry.index("}")]
    assert f"0x{fp2}ULL, 0x{fp1}ULL" in entry, (name, fp2, fp1)


# ---------------------------------------------------------------- names on the command line

@needs_prog
def test_list_models_installed_or_not(tmp_path):
    env = bare_env(tmp_path)
    rows = listed_models(lone_program(tmp_path), env)
    assert set(rows) == set(fetch_model.MODELS)
    for name, (_, _, where) in rows.items():
        assert where == f"no (make model MODEL={name})", rows
    # installed in $XDG_DATA_HOME: the path is shown
    d = tmp_path / "xdg" / "llama-zip" / "models"
    os.makedirs(d)
    (d / fetch_model.MODELS["smollm2-135m"]["file"]).write_bytes(b"not read by --list-models")
    env["XDG_DATA_HOME"] = str(tmp_path / "xdg")
    rows = listed_models(lone_program(tmp_path / "2"), env)
    assert rows["smollm2-135m"][2] == str(d / fetch_model.MODELS["smollm2-135m"]["file"])
    assert rows["gemma-3-270m"][2].startswith("no ")
    assert "Apache-2.0" in rows["smollm2-135m"][1] and "Gemma Terms of Use" in rows["gemma-3-270m"][1]
    lz("--list-models", "x", check=1)


@needs_prog
def test_name_not_installed_is_a_usage_error(tmp_path):
    prog, env = lone_program(tmp_path), bare_env(tmp_path)
    for args, extra in ((["--model", "smollm2-135m", "-c", "x"], {}), (["-m", "smollm2-135m", "-c", "x"], {}),
                        (["smollm2-135m", "-c", "x"], {}), (["-c", "x"], {"LLAMAZIP_MODEL": "smollm2-135m"})):
        p = lz(*args, prog=prog, env=dict(env, **extra), check=1)
        assert b"model 'smollm2-135m' is not installed; run 'make model MODEL=smollm2-135m'" in p.stderr, args
    lz("--model", "a.gguf", "--model", "b.gguf", "-c", "x", check=1)
    lz("--model", "a.gguf", "b.gguf", "-c", "x", check=1)


@needs_prog
def test_name_resolves_in_the_directories(tmp_path):
    """A name is the model's file in the directories (here $XDG_DATA_HOME), --info shows which."""
    d = tmp_path / "xdg" / "llama-zip" / "models"
    os.makedirs(d)
    tiny = os.path.join(ROOT, "tests", "golden", "models", "tiny-bpe.gguf")
    if not os.path.exists(tiny):
        pytest.skip("tests/golden/models/tiny-bpe.gguf absent")
    target = d / fetch_model.MODELS["smollm2-135m"]["file"]
    shutil.copyfile(tiny, target)
    env = dict(bare_env(tmp_path), XDG_DATA_HOME=str(tmp_path / "xdg"))
    prog = lone_program(tmp_path)
    for args, extra in ((["--model", "smollm2-135m"], {}), (["--model=smollm2-135m"], {}), (["-msmollm2-135m"], {}),
                        (["smollm2-135m"], {}), ([], {"LLAMAZIP_MODEL": "smollm2-135m"})):
        out = lz(*args, "--info", prog=prog, env=dict(env, **extra), check=0).stdout.decode()
        assert re.search(r"^file: +(.*)$", out, re.M).group(1) == str(target), args
    # a file named like a model wins over the name
    (tmp_path / "smollm2-135m").write_bytes(b"GGUF" + b"\0" * 20)
    p = subprocess.run([prog, "smollm2-135m", "--info"], cwd=tmp_path, env=env, stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE)
    assert p.returncode == 2 and b"smollm2-135m" in p.stderr, p.stderr


# ---------------------------------------------------------------- the real model

TEXT = ("SmolLM2 is a family of compact language models. "
        "Ünïcödé, 日本語, emoji \U0001f600, tabs\tand\r\nCRLF.\n").encode()


@needs_smollm2
def test_smollm2_round_trip(tmp_path):
    """A real round trip: the start of calgary/progc and paper1 and text in several scripts,
    with bytes the vocabulary lacks (0x04, 0xF5: no byte token) in a block of their own."""
    parts = [TEXT]
    for rel in ("calgary/progc", "calgary/paper1"):
        path = os.path.join(CORPUS, rel)
        if os.path.exists(path):
            parts.append(open(path, "rb").read()[:1500])
    parts.append(bytes([4, 0xF5]) * 2048)   # 4 KiB: a block that cannot be tokenized
    parts.append(b"and text after it.\n")
    data = b"".join(parts)
    arc = lz("--model", "smollm2-135m", "-c", "-t", "2", data=data, check=0).stdout
    assert len(arc) < len(data) / 2, (len(arc), len(data))
    assert lz("--model", "smollm2-135m", "-d", data=arc, check=0).stdout == data
    assert lz(SMOLLM2, "--test", data=arc, check=0).returncode == 0
    listed = lz("-lv", data=arc, check=0).stdout.decode()
    assert "smollm2-135m" in listed and re.search(r"\bzstd\b|\braw\b", listed), listed
    print(f"SmolLM2 round trip: {len(data)} -> {len(arc)} bytes")


@needs_both
@pytest.mark.parametrize("made_with,decoded_with", [("smollm2-135m", "gemma-3-270m"),
                                                    ("gemma-3-270m", "smollm2-135m")])
@pytest.mark.parametrize("form", ["compact", "general"])
def test_archive_of_the_other_model(made_with, decoded_with, form, tmp_path):
    """Exit 2, 'archive made with another model', both fingerprints (or tags) and both names;
    no output file left behind."""
    text = b"A sentence for the model to code." if form == "compact" else TEXT * 6
    args = ["-c"] if form == "compact" else ["-c", "--segment-size", "256"]   # several segments: general form
    arc = lz("--model", made_with, *args, data=text, check=0).stdout
    listed = lz("--list", data=arc, check=0).stdout.decode().splitlines()[1]
    assert made_with in listed and (("2c" in listed) == (form == "compact")), listed
    src = tmp_path / "a.llz"
    src.write_bytes(arc)
    p = lz("--model", decoded_with, "--files", "-d", str(src), "-o", str(tmp_path / "out"), check=2)
    err = p.stderr.decode()
    assert "archive made with another model" in err, err
    ids = re.search(r"\((?:fingerprint|model tag) ([0-9a-f]+), loaded model ([0-9a-f]+)\)", err)
    assert ids and ids.group(1) != ids.group(2), err
    assert f"the archive's model is {made_with}, the loaded one {decoded_with}" in err, err
    assert f"--model {made_with}" in err, err
    assert not os.path.exists(tmp_path / "out")
    # the right model decodes it
    assert lz("--model", made_with, "-d", data=arc, check=0).stdout == text


# ---------------------------------------------------------------- Python

@needs_smollm2
def test_python_by_name():
    from llama_zip import LlamaZip, ModelMismatchError
    lzs = LlamaZip("smollm2-135m", n_threads=2)
    arc = lzs.compress(TEXT)
    assert lzs.decompress(arc) == TEXT
    if os.path.exists(MODEL):
        with pytest.raises(ModelMismatchError):
            LlamaZip(n_threads=2).decompress(arc)


def test_python_name_not_installed(tmp_path, monkeypatch):
    from llama_zip import ModelNotFoundError, Model
    monkeypatch.setattr(_defaults, "_HERE", str(tmp_path / "src" / "python" / "llama_zip"))
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.delenv("XDG_DATA_HOME", raising=False)
    monkeypatch.setenv("XDG_DATA_DIRS", str(tmp_path / "none"))
    monkeypatch.setattr(_defaults.sys, "prefix", str(tmp_path / "venv"))
    try:
        with pytest.raises(ModelNotFoundError, match="smollm2-135m' is not installed"):
            Model("smollm2-135m")
    except OSError as e:   # no libllamazip to load here
        pytest.skip(str(e))
    assert _defaults.resolve_model("smollm2-135m") is None
    assert _defaults.default_model_path({"LLAMAZIP_MODEL": "smollm2-135m", "HOME": str(tmp_path)}) is None
    assert _defaults.resolve_model("/some/file.gguf") == "/some/file.gguf"


def test_fetch_model_list_and_unknown_name():
    tool = os.path.join(ROOT, "tools", "fetch_model.py")
    p = subprocess.run([sys.executable, tool, "--list"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    assert p.returncode == 0 and "smollm2-135m" in p.stdout and "Apache-2.0" in p.stdout, p
    p = subprocess.run([sys.executable, tool, "no-such-model"], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       text=True)
    assert p.returncode == 2 and "unknown name" in p.stderr, p
