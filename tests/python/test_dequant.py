"""Dequantization and activation quantization against the gguf Python package.

The library's reference code (src/quant/quant_ref.c) is reached through the
small tool tests/tools/dequant_dump.c (the shared library hides internal
symbols). Every comparison is bit for bit: the reference uses the same float
operations in the same order as gguf.quants (doc/determinism.md), so no
tolerance is needed; a mismatch is reported with its largest ulp distance.
"""
import os
import struct
import subprocess

import numpy as np
import pytest

gguf = pytest.importorskip("gguf")
from gguf import GGMLQuantizationType as T  # noqa: E402
from gguf.quants import dequantize, quantize  # noqa: E402

from conftest import BUILD, MODEL, ROOT, TOOLS_DIR  # noqa: E402

TOOL = os.path.join(TOOLS_DIR, "dequant_dump")

# type -> (block elements, block bytes, byte offsets of its fp16 scale fields)
BLOCKS = {
    T.Q4_0: (32, 18, [0]),
    T.Q4_1: (32, 20, [0, 2]),
    T.Q5_0: (32, 22, [0]),
    T.Q5_1: (32, 24, [0, 2]),
    T.Q8_0: (32, 34, [0]),
    T.Q2_K: (256, 84, [80, 82]),
    T.Q3_K: (256, 110, [108]),
    T.Q4_K: (256, 144, [0, 2]),
    T.Q5_K: (256, 176, [0, 2]),
    T.Q6_K: (256, 210, [208]),
}


@pytest.fixture(scope="module", autouse=True)
def tool():
    subprocess.run(["make", "--no-print-directory", "-s", f"BUILD={BUILD}",
                    os.path.join(BUILD, "tests", "tools", "dequant_dump")], cwd=ROOT, check=True)
    return TOOL


def run_tool(cmd, qtype, data: bytes) -> bytes:
    r = subprocess.run([TOOL, cmd, qtype.name], input=data, capture_output=True, check=True)
    return r.stdout


def ours_dequant(qtype, raw: np.ndarray) -> np.ndarray:
    return np.frombuffer(run_tool("dequant", qtype, raw.tobytes()), dtype=np.float32)


def ulp_distance(a: np.ndarray, b: np.ndarray) -> int:
    """Largest distance in units in the last place (monotone integer map of floats)."""
    def ordered(x):
        i = x.view(np.int32).astype(np.int64)
        return np.where(i < 0, -(i & 0x7FFFFFFF), i)
    if a.size == 0:
        return 0
    return int(np.max(np.abs(ordered(a) - ordered(b))))


def assert_bit_equal(ours: np.ndarray, ref: np.ndarray, what: str) -> None:
    ref = np.ascontiguousarray(ref, dtype=np.float32).reshape(-1)
    assert ours.shape == ref.shape, what
    same = ours.view(np.uint32) == ref.view(np.uint32)
    if not same.all():
        bad = int((~same).sum())
        pytest.fail(f"{what}: {bad} of {ours.size} values differ, max {ulp_distance(ours, ref)} ulp")


def finite_f16(rng, n):
    """Random finite fp16 bit patterns, with zeros, subnormals and the largest value mixed in."""
    h = rng.integers(0, 1 << 16, size=n, dtype=np.uint32)
    h = np.where((h & 0x7C00) == 0x7C00, h ^ 0x4000, h)          # no inf / NaN
    special = np.array([0x0000, 0x8000, 0x0001, 0x03FF, 0x8001, 0x7BFF, 0xFBFF, 0x3C00], dtype=np.uint32)
    pick = rng.integers(0, 8, size=n)
    h = np.where(pick == 0, special[rng.integers(0, len(special), size=n)], h)
    return h.astype(np.uint16)


def random_blocks(rng, qtype, n_blocks):
    _, size, f16_offsets = BLOCKS[qtype]
    raw = rng.integers(0, 256, size=(n_blocks, size), dtype=np.uint8)
    raw[: max(1, n_blocks // 16)] = 0                                 # all-zero blocks
    for off in f16_offsets:
        raw[:, off:off + 2] = finite_f16(rng, n_blocks).view(np.uint8).reshape(n_blocks, 2)
    return raw


@pytest.mark.parametrize("qtype", list(BLOCKS), ids=lambda t: t.name)
def test_dequant_random_blocks(qtype):
    rng = np.random.default_rng(1000 + int(qtype))
    n_blocks = 4096 if BLOCKS[qtype][0] == 32 else 1024
    raw = random_blocks(rng, qtype, n_blocks)
    ours = ours_dequant(qtype, raw)
    ref = dequantize(raw, qtype)
    assert_bit_equal(ours, ref, f"{qtype.name} random blocks")
    print(f"{qtype.name}: {ours.size} values from {n_blocks} random blocks bit-identical to gguf.quants")


def test_dequant_float_types():
    rng = np.random.default_rng(7)
    h = finite_f16(rng, 1 << 16)
    assert_bit_equal(ours_dequant(T.F16, h), dequantize(h, T.F16), "F16")
    b = rng.integers(0, 1 << 16, size=1 << 16, dtype=np.uint32)
    b = np.where((b & 0x7F80) == 0x7F80, b ^ 0x4000, b).astype(np.uint16)   # no inf / NaN
    assert_bit_equal(ours_dequant(T.BF16, b), dequantize(b.view(np.uint8), T.BF16), "BF16")
    f = rng.standard_normal(4096).astype(np.float32)
    assert_bit_equal(ours_dequant(T.F32, f), f, "F32")
    print("F16, BF16, F32: 65536 + 65536 + 4096 values bit-identical")


def activation_rows(rng, n):
    x = rng.standard_normal(n).astype(np.float32) * np.float32(3.0)
    x[:32] = 0.0                                                  # an all-zero block
    x[32:64] = np.float32(1e-30) * rng.standard_normal(32).astype(np.float32)
    x[64:96] = np.arange(32, dtype=np.float32) - np.float32(15.5)  # exact .5 ties after scaling
    x[256:512] *= np.float32(1e4)
    return x


def test_quantize_q8_0_matches_gguf():
    rng = np.random.default_rng(11)
    x = activation_rows(rng, 32 * 4096)
    ours = run_tool("quant", T.Q8_0, x.tobytes())
    ref = quantize(x.reshape(-1, 32), T.Q8_0).tobytes()
    diff = sum(a != b for a, b in zip(ours, ref))
    assert ours == ref, f"Q8_0 quantization differs from gguf.quants in {diff} bytes"
    print(f"Q8_0 activation quantization: {x.size} values, {len(ours)} bytes identical to gguf.quants")


def round_half_even(v):
    return np.rint(v)  # numpy rounds half to even


def test_quantize_q8_1_and_q8_k_match_transcription():
    """gguf.quants has no Q8_1 / Q8_K quantizer: compare with a numpy
    transcription of ggml's reference rules (doc/determinism.md)."""
    rng = np.random.default_rng(12)
    x = activation_rows(rng, 256 * 512)

    # Q8_1: Q8_0 plus s = f16(sum(q) * d) with the f32 d
    blocks = x.reshape(-1, 32)
    q8_0 = np.frombuffer(quantize(blocks, T.Q8_0).tobytes(), dtype=np.uint8).reshape(-1, 34)
    amax = np.abs(blocks).max(axis=1)
    d = (amax / np.float32(127)).astype(np.float32)
    qs = q8_0[:, 2:].view(np.int8)
    with np.errstate(over="ignore"):   # large blocks give s = inf, in both
        s = (qs.astype(np.int32).sum(axis=1).astype(np.float32) * d).astype(np.float16)
    want = np.concatenate([q8_0[:, :2], s.view(np.uint8).reshape(-1, 2), q8_0[:, 2:]], axis=1).tobytes()
    assert run_tool("quant", T.Q8_1, x.tobytes()) == want, "Q8_1 differs"

    # Q8_K
    blocks = x.reshape(-1, 256)
    idx = np.abs(blocks).argmax(axis=1)
    mx = blocks[np.arange(len(blocks)), idx]
    with np.errstate(divide="ignore"):
        iscale = np.where(mx == 0, np.float32(0), np.float32(-127) / mx).astype(np.float32)
    q = np.clip(round_half_even(blocks * iscale[:, None]), -127, 127).astype(np.int8)
    with np.errstate(divide="ignore"):
        dk = np.where(mx == 0, np.float32(0), np.float32(1) / iscale).astype(np.float32)
    bsums = q.astype(np.int16).reshape(-1, 16, 16).sum(axis=2).astype(np.int16)
    want = np.concatenate([dk.view(np.uint8).reshape(-1, 4), q.view(np.uint8),
                           bsums.view(np.uint8).reshape(-1, 32)], axis=1).tobytes()
    assert run_tool("quant", T.Q8_K, x.tobytes()) == want, "Q8_K differs"
    print(f"Q8_1: {x.size // 32} blocks, Q8_K: {x.size // 256} blocks identical to the numpy transcription")


# Values compared per tensor; LZ_FULL_DEQUANT=1 compares every row (about
# 20 s, mostly token_embd's 168M values).
MAX_VALUES = None if os.environ.get("LZ_FULL_DEQUANT") else 1 << 20


def gguf_tensors(path):
    """(name, type, ne, bytes as uint8 rows) of each tensor. A minimal reader:
    gguf.GGUFReader takes ~12 s on this model (it materialises the vocab)."""
    data = np.memmap(path, dtype=np.uint8, mode="r")
    buf = memoryview(data)
    pos = 0

    def take(fmt):
        nonlocal pos
        v = struct.unpack_from("<" + fmt, buf, pos)
        pos += struct.calcsize("<" + fmt)
        return v[0] if len(v) == 1 else v

    def string():
        nonlocal pos
        n = take("Q")
        pos += n
        return bytes(buf[pos - n: pos]).decode("utf-8", "replace")

    scalar = {0: "B", 1: "b", 2: "H", 3: "h", 4: "I", 5: "i", 6: "f", 7: "?", 10: "Q", 11: "q", 12: "d"}

    def skip_value(vt):
        nonlocal pos
        if vt == 8:
            string()
        elif vt == 9:
            et, count = take("I"), take("Q")
            if et in scalar:
                pos += count * struct.calcsize(scalar[et])
            else:
                for _ in range(count):
                    skip_value(et)
        else:
            pos += struct.calcsize(scalar[vt])

    magic, version, n_tensors, n_kv = take("4sIQQ")
    assert magic == b"GGUF" and version in (2, 3)
    alignment = 32
    for _ in range(n_kv):
        key = string()
        vt = take("I")
        if key == "general.alignment":
            alignment = take("I")
        else:
            skip_value(vt)
    infos = []
    for _ in range(n_tensors):
        name = string()
        ne = [take("Q") for _ in range(take("I"))]
        infos.append((name, take("I"), ne, take("Q")))
    start = (pos + alignment - 1) // alignment * alignment
    for name, ttype, ne, off in infos:
        block, size = gguf.GGML_QUANT_SIZES[T(ttype)]
        row_bytes = ne[0] // block * size
        rows = int(np.prod(ne[1:], dtype=np.int64)) if len(ne) > 1 else 1
        yield name, T(ttype), ne, data[start + off: start + off + rows * row_bytes].reshape(rows, row_bytes)


@pytest.mark.skipif(not os.path.exists(MODEL), reason="default model absent (make model)")
def test_dequant_default_model_tensors():
    counted = {}
    for name, qtype, ne, raw in gguf_tensors(MODEL):
        n_elements = int(np.prod(ne, dtype=np.int64))
        if MAX_VALUES and n_elements > MAX_VALUES:
            raw = raw[:: -(-n_elements // MAX_VALUES)]   # evenly spaced rows
        raw = np.ascontiguousarray(raw)
        ours = ours_dequant(qtype, raw)
        ref = dequantize(raw, qtype)
        assert_bit_equal(ours, ref, f"{name} ({qtype.name})")
        n, v = counted.get(qtype.name, (0, 0))
        counted[qtype.name] = (n + 1, v + ours.size)
    for name, (n, v) in sorted(counted.items()):
        print(f"model: {n} {name} tensors, {v} values bit-identical to gguf.quants")
    assert counted
