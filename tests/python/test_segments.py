"""Segmented archives (format 2) and decoding many segments at once.

With the committed tiny models (tests/golden/models): round trips for
segment sizes from one token to more than the input, every stream count
1..8 (segment counts that K does not divide), MODEL/RAW/ZSTD frames mixed,
archives identical whatever the streams and threads; concatenated archives
(an empty one among them, format 1 too); a damaged segment in the middle
exits 2 and leaves no output file; --list on good, truncated and damaged
archives. With the default model: the compact form's sizes (doc/format.md).
"""
import os
import random
import re
import subprocess

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
PROG = os.path.join(ROOT, os.environ.get("BUILD", "build"), "llama-zip")
GOLDEN = os.path.join(ROOT, "tests", "golden")
SPM = os.path.join(GOLDEN, "models", "tiny-spm.gguf")
BPE = os.path.join(GOLDEN, "models", "tiny-bpe.gguf")
DEFAULT = os.path.join(ROOT, "models", "gemma-3-270m-q4_k_m.gguf")
LONG = open(os.path.join(GOLDEN, "v1", "originals", "long.txt"), "rb").read()   # text the tiny models code well

pytestmark = pytest.mark.skipif(not os.path.exists(PROG), reason="needs build/llama-zip (make)")


def run(model, *args, data=b"", check=True):
    cmd = [PROG] + ([model] if model else []) + list(args)
    p = subprocess.run(cmd, input=data, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    if check and p.returncode != 0:
        raise AssertionError(f"{cmd} failed ({p.returncode}): {p.stderr.decode(errors='replace')}")
    return p


def frames(archive, tmp_path):
    """The frame kinds of an archive, from --list -v."""
    path = tmp_path / "frames.llz"
    path.write_bytes(archive)
    out = run(None, "-lv", str(path)).stdout.decode()
    return re.findall(r"^ +\d+ .*?\d  (model|raw|zstd)\b", out, re.M)


def mixed_input():
    """Text, random bytes (RAW), text, control bytes (ZSTD), text, in whole
    4 KiB blocks (the classification's unit)."""
    rnd = random.Random(7)
    text = (LONG * 5)[:8192]
    noise = bytes(rnd.randrange(256) for _ in range(8192))
    controls = bytes([1, 2, 3, 4]) * 2048
    return text + noise + text + controls + text


@pytest.mark.parametrize("model", [SPM, BPE], ids=["spm", "bpe"])
@pytest.mark.parametrize("seg", ["1", "64", "300", "1K", "100K", "0"])
def test_segment_sizes_round_trip(model, seg, tmp_path):
    data = LONG   # (repeated, zstd would beat the tiny model)
    arc = run(model, "--segment-size", seg, "-c", data=data).stdout
    kinds = frames(arc, tmp_path)
    n_model = kinds.count("model")
    if seg in ("100K", "0"):
        assert n_model == 1
    else:
        assert n_model > 1, kinds
    if seg == "1":   # one token a segment (most go raw: one token alone codes badly)
        assert len(kinds) > len(data) // 8
    for streams in (1, 3, 8):
        out = run(model, "--streams", str(streams), "-d", data=arc).stdout
        assert out == data, f"segment size {seg}, {streams} streams"


def test_every_stream_count(tmp_path):
    """K = 1..8 over 11 segments (no K but 1 and 11 divides it)."""
    data = LONG[:1650]
    arc = run(SPM, "--segment-size", "150", "-c", data=data).stdout
    assert frames(arc, tmp_path).count("model") == 11
    for k in range(1, 9):
        p = run(SPM, "-v", "--streams", str(k), "-d", data=arc)
        assert p.stdout == data, f"{k} streams"
        if k > 1:
            assert f"{k} segments at a time" in p.stderr.decode(), p.stderr


def test_archives_do_not_depend_on_threads_or_batch():
    data = mixed_input()
    ref = run(SPM, "--segment-size", "500", "-c", data=data).stdout
    for opts in (["-t", "1"], ["-t", "3", "--batch", "7"], ["-t", "2", "--batch", "1"]):
        assert run(SPM, *opts, "--segment-size", "500", "-c", data=data).stdout == ref, opts


@pytest.mark.parametrize("model", [SPM, BPE], ids=["spm", "bpe"])
@pytest.mark.parametrize("settings", [[], ["--n-ctx", "24", "-w", "5"]], ids=["one-window", "windows-slide"])
def test_short_segments_share_batches(model, settings):
    """Compression packs short segments into shared batches (codec_encode.c);
    the archive is the one that coding them one at a time gives (--batch 1:
    a batch never holds two segments), for batches that cut windows anywhere."""
    data = LONG[:1200]
    for seg in ("1", "16", "64", "200"):
        ref = run(model, *settings, "--batch", "1", "--segment-size", seg, "-c", data=data).stdout
        for batch in ("5", "64", "512"):
            for threads in ("1", "2"):
                got = run(model, *settings, "--batch", batch, "-t", threads, "--segment-size", seg, "-c", data=data).stdout
                assert got == ref, (seg, batch, threads)
        assert run(model, "-d", data=ref).stdout == data, seg


@pytest.mark.parametrize("model", [SPM, BPE], ids=["spm", "bpe"])
def test_mixed_frames(model, tmp_path):
    data = mixed_input()
    arc = run(model, "--segment-size", "700", "-c", data=data).stdout
    kinds = frames(arc, tmp_path)
    assert {"model", "raw", "zstd"} <= set(kinds), kinds
    assert kinds.count("model") >= 4
    for streams in ("1", "2", "5"):
        assert run(model, "--streams", streams, "-d", data=arc).stdout == data


def test_concatenated_archives(tmp_path):
    parts = [LONG[:500], b"", mixed_input(), b"x", LONG]
    archives = [run(SPM, "--segment-size", "300", "-c", data=p).stdout for p in parts]
    assert len(archives[1]) == 8   # an empty input: the 8-byte compact form
    joined = b"".join(archives)
    assert run(SPM, "--streams", "4", "-d", data=joined).stdout == b"".join(parts)
    # a format-1 archive among them (a golden one)
    v1 = open(os.path.join(GOLDEN, "v1", "spm-long.llz"), "rb").read()
    assert run(SPM, "-d", data=archives[0] + v1 + archives[2]).stdout == parts[0] + LONG + parts[2]
    # --list sees each one
    path = tmp_path / "joined.llz"
    path.write_bytes(joined)
    out = run(None, "-l", str(path)).stdout.decode()
    assert "totals" in out and re.search(r"^\s+5\s", out.splitlines()[-1]), out
    # garbage after the last archive is refused
    p = run(SPM, "-d", data=joined + b"trailing", check=False)
    assert p.returncode == 2 and b"unexpected bytes" in p.stderr


def test_damaged_middle_segment(tmp_path):
    data = LONG * 3
    arc = bytearray(run(SPM, "--segment-size", "400", "-c", data=data).stdout)
    assert frames(bytes(arc), tmp_path).count("model") >= 5
    # flip bits in the middle of the archive (inside a middle segment's payload)
    for at in (len(arc) // 2, len(arc) // 2 + 7):
        bad = bytearray(arc)
        bad[at] ^= 0x24
        out = tmp_path / "out.txt"
        p = run(SPM, "--streams", "3", "-d", "-o", str(out), data=bytes(bad), check=False)
        assert p.returncode == 2, p.stderr
        assert not out.exists()
        assert [f for f in os.listdir(tmp_path) if f.startswith(".llz")] == []   # no temporary file left


def test_list(tmp_path):
    data = mixed_input()
    arc = run(SPM, "--segment-size", "600", "-c", data=data).stdout
    good = tmp_path / "good.llz"
    good.write_bytes(arc)
    out = run(None, "-lv", str(good)).stdout.decode()
    assert f"{len(data) / 1024:.1f} KiB" in out and "tokens" in out and "zstd" in out and "raw" in out
    trunc = tmp_path / "trunc.llz"
    trunc.write_bytes(arc[:len(arc) // 2])
    p = run(None, "-l", str(trunc), check=False)
    assert p.returncode == 2 and b"truncated" in p.stderr
    junk = tmp_path / "junk.llz"
    junk.write_bytes(b"not an archive at all")
    p = run(None, "-l", str(junk), check=False)
    assert p.returncode == 2 and b"not a llama-zip archive" in p.stderr
    bad = bytearray(arc)
    bad[0] |= 0x0C   # reserved flag bits
    badp = tmp_path / "bad.llz"
    badp.write_bytes(bytes(bad))
    p = run(None, "-l", str(badp), check=False)
    assert p.returncode == 2 and b"corrupt" in p.stderr
    # listing needs no model and decodes nothing: a model path before the mode is taken as a file
    assert run(None, str(good), "-l").returncode == 0


def test_segments_with_a_window_that_slides():
    """Segments of several windows (a small n_ctx), with an overlap."""
    data = LONG * 2
    arc = run(SPM, "--n-ctx", "40", "-w", "30%", "--segment-size", "900", "-c", data=data).stdout
    for streams in ("1", "4"):
        assert run(SPM, "--streams", streams, "-d", data=arc).stdout == data


@pytest.mark.skipif(not os.path.exists(DEFAULT), reason="needs the default model (make model)")
def test_small_archives_default_model():
    fox = b"The quick brown fox jumps over the lazy dog."
    arc = run(DEFAULT, "-c", data=fox).stdout
    assert len(arc) <= 14, len(arc)
    assert run(DEFAULT, "-d", data=arc).stdout == fox
    empty = run(DEFAULT, "-c", data=b"").stdout
    assert len(empty) <= 8
    assert run(DEFAULT, "-d", data=empty).stdout == b""
    # another model: refused by the model tag
    p = run(SPM, "-d", data=arc, check=False)
    assert p.returncode == 2 and b"another model" in p.stderr
