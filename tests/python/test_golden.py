"""Golden archives (tests/golden/README.md): archives made once by the build of
their format version, committed with their originals.

For every archive of every version: llama-zip decodes it to its original,
byte for byte, and the archive holds the frames its manifest line says it
was made to cover (MODEL, RAW, ZSTD, a window that slides). For the version
this build writes, compressing the original again with the manifest's
options gives the same archive bytes. The tiny models are checked against
their recorded SHA-256 first, so a changed model file is reported as that,
not as a format change.
"""
import base64
import glob
import hashlib
import os
import re
import subprocess

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
PROG = os.path.join(ROOT, os.environ.get("BUILD", "build"), "llama-zip")
GOLDEN = os.path.join(ROOT, "tests", "golden")
DEFAULT_MODEL = os.path.join(ROOT, "models", "gemma-3-270m-q4_k_m.gguf")
MODELS = {
    "default": DEFAULT_MODEL,
    "tiny-spm": os.path.join(GOLDEN, "models", "tiny-spm.gguf"),
    "tiny-bpe": os.path.join(GOLDEN, "models", "tiny-bpe.gguf"),
}
FRAME_NAMES = {0: "END", 1: "MODEL", 2: "RAW", 3: "ZSTD"}
MODEL_CTX = {"default": 32768, "tiny-spm": 128, "tiny-bpe": 128}  # n_ctx when an archive records none

pytestmark = pytest.mark.skipif(not os.path.exists(PROG), reason="needs build/llama-zip (make all)")


def build_format_version():
    text = open(os.path.join(ROOT, "src", "format", "container.h")).read()
    return int(re.search(r"#define LZ_ARCHIVE_VERSION (\d+)", text).group(1))


def manifest_entries():
    out = []
    for path in sorted(glob.glob(os.path.join(GOLDEN, "v*", "manifest.tsv"))):
        version = int(os.path.basename(os.path.dirname(path))[1:])
        for line in open(path):
            line = line.rstrip("\n")
            if line and not line.startswith("#"):
                archive, original, model, frames, options = line.split("\t")
                out.append((version, archive, original, model, frames, options.split()))
    return out


ENTRIES = manifest_entries()


def read_varint(b, pos):
    v = shift = 0
    while True:
        c = b[pos]
        pos += 1
        v |= (c & 0x7F) << shift
        shift += 7
        if not c & 0x80:
            return v, pos


def parse_v1(b):
    """(version, n_ctx, overlap, original size, form, [(frame name, raw size, tokens)]) of a version-1 archive."""
    version = b[4]
    pos = 14
    n_ctx, pos = read_varint(b, pos)
    overlap, pos = read_varint(b, pos)
    size, pos = read_varint(b, pos)
    pos += 10  # content checksum, header check
    frames = []
    while True:
        tag = b[pos]
        pos += 1
        if tag == 0:
            break
        raw, pos = read_varint(b, pos)
        tokens = 0
        if tag == 1:
            tokens, pos = read_varint(b, pos)
        if tag == 2:
            payload = raw
        else:
            payload, pos = read_varint(b, pos)
        pos += payload
        frames.append((FRAME_NAMES[tag], raw, tokens))
    assert pos == len(b), "bytes after the END frame"
    return version, n_ctx, overlap, size, "v1", frames


def parse_v2(b, model_ctx):
    """The same for a version-2 archive (doc/format.md): form "compact" or "general"; without
    settings n_ctx is the model's (model_ctx) and the overlap 0; a compact archive's one MODEL
    frame has no token count (None)."""
    flags = b[0] & 0x0F
    general, settings = flags & 1, flags & 2
    assert not flags & 0x0C, "reserved flags set"
    pos = 1 + (8 if general else 2)
    n_ctx, overlap = model_ctx, 0
    if settings:
        n_ctx, pos = read_varint(b, pos)
        overlap, pos = read_varint(b, pos)
    size, pos = read_varint(b, pos)
    end = len(b) - (8 if general else 4)
    frames = []
    if not general:
        if size:
            payload, pos = read_varint(b, pos)
            pos += payload
            frames.append(("MODEL", size, None))
    else:
        covered = 0
        while covered < size:
            tag = b[pos]
            pos += 1
            raw, pos = read_varint(b, pos)
            tokens = 0
            if tag == 1:
                tokens, pos = read_varint(b, pos)
            payload = raw
            if tag != 2:
                payload, pos = read_varint(b, pos)
            pos += payload
            covered += raw
            frames.append((FRAME_NAMES[tag], raw, tokens))
        assert covered == size, "frames pass the original size"
    assert pos == end, "bytes between the body and the checksum"
    return 2, n_ctx, overlap, size, "general" if general else "compact", frames


def parse_archive(b, model_ctx):
    if b[:4] == b"LZLM":
        return parse_v1(b)
    assert b[0] >> 4 == 0xA, "not an archive"
    return parse_v2(b, model_ctx)


def window_slides(n_tokens, n_ctx):
    """Whether coding n_tokens with context n_ctx slides the window (doc/format.md):
    the first window codes up to n_ctx tokens (BOS + n_ctx - 1 appended)."""
    return n_tokens > n_ctx


def run(model, args, data):
    return subprocess.run([PROG, MODELS[model], "-q", *args], input=data, stdout=subprocess.PIPE,
                          stderr=subprocess.PIPE, timeout=600)


def test_manifests_cover_every_file():
    """Every archive in tests/golden/v*/ has a manifest line, and every line its files."""
    assert ENTRIES, "no golden archives"
    listed = {(v, a) for v, a, *_ in ENTRIES}
    for d in glob.glob(os.path.join(GOLDEN, "v*")):
        version = int(os.path.basename(d)[1:])
        for f in os.listdir(d):
            if f.endswith((".llz", ".b64")):
                assert (version, f) in listed, f"{d}/{f} is not in the manifest"
    for version, archive, original, model, _, _ in ENTRIES:
        d = os.path.join(GOLDEN, "v%d" % version)
        assert os.path.isfile(os.path.join(d, archive)), archive
        assert os.path.isfile(os.path.join(d, "originals", original)), original
        assert model in MODELS, model
    for version in {e[0] for e in ENTRIES}:
        kinds = {f for v, _, _, _, frames, _ in ENTRIES if v == version for f in frames.split(",")}
        assert {"MODEL", "RAW", "ZSTD", "S"} <= kinds, (version, kinds)
        if version >= 2:
            assert "C" in kinds, "no compact-form archive"


def test_tiny_models_unchanged():
    """The committed tiny models are byte for byte those the archives were made with."""
    sums = {}
    for line in open(os.path.join(GOLDEN, "models", "SHA256SUMS")):
        digest, name = line.split()
        sums[name] = digest
    assert set(sums) == {"tiny-spm.gguf", "tiny-bpe.gguf"}
    for name, digest in sums.items():
        got = hashlib.sha256(open(os.path.join(GOLDEN, "models", name), "rb").read()).hexdigest()
        assert got == digest, f"tests/golden/models/{name} changed: golden archives made with it no longer apply"


@pytest.mark.parametrize("version,archive,original,model,frames,options", ENTRIES,
                         ids=[f"v{e[0]}/{e[1]}" for e in ENTRIES])
def test_golden_archive(version, archive, original, model, frames, options):
    if not os.path.exists(MODELS[model]):
        pytest.skip(f"model {model} not available (make model)")
    d = os.path.join(GOLDEN, "v%d" % version)
    arc = open(os.path.join(d, archive), "rb").read()
    orig = open(os.path.join(d, "originals", original), "rb").read()
    is_b64 = archive.endswith(".b64")
    binary = base64.b64decode(arc, validate=True) if is_b64 else arc

    # the archive holds what the manifest says it covers
    arc_version, n_ctx, _, size, form, got_frames = parse_archive(binary, MODEL_CTX[model])
    assert arc_version == version and size == len(orig)
    marks = frames.split(",")
    want = [f for f in marks if f not in ("-", "S", "C")]
    assert [f[0] for f in got_frames] == want, got_frames
    assert ("C" in marks) == (form == "compact"), (form, marks)

    # it decodes to the original (-v: the summary counts the tokens decoded)
    p = run(model, ["-f", "base64" if is_b64 else "binary", "-d", "-v"], arc)
    assert p.returncode == 0, p.stderr.decode(errors="replace")
    assert p.stdout == orig, f"{archive}: decoded bytes differ from {original}"
    if "S" in marks:
        if form == "compact":  # no token count stored: the decoder's
            m = re.search(r", (\d+) tokens,", p.stderr.decode())
            got_frames = [("MODEL", size, int(m.group(1)))]
        assert any(name == "MODEL" and window_slides(tokens, n_ctx) for name, _, tokens in got_frames), \
            (n_ctx, got_frames)

    # the build of this version makes the same archive again
    if version == build_format_version():
        p = run(model, [*options, "-c"], orig)
        assert p.returncode == 0, p.stderr.decode(errors="replace")
        assert p.stdout == arc, (f"{archive}: compressing {original} with {options} no longer gives the golden "
                                 "archive: a change that alters archives needs a new format version")
    print(f"v{version}/{archive}: {len(orig)} -> {len(arc)} bytes, {form}, n_ctx {n_ctx}, frames "
          + " ".join(f"{n}({r} B{', %d tok' % t if t else ''})" for n, r, t in got_frames))
