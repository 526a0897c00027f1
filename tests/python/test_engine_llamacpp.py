"""The engine's next-token distributions against llama.cpp's.

Live (when llama_cpp imports): llama.cpp (llama-cpp-python, its defaults:
f16 KV cache, flash attention off; extra buffer types off, see
tools/llamacpp_ref.py) tokenizes the text (BOS first) and gives logits for
every position; the engine (through build/tests/tools/eval_dump) evaluates
the same token ids. llama.cpp runs in a child process
(tools/oracle_llamacpp.py), so a crash there is a failed check naming the
signal, not the end of the test run. Where llama.cpp cannot run at all, the
committed top-k fixtures of tests/fixtures/engine/
(tools/make_engine_fixtures.py) stand in for it (they always run too).

Figures per text and model: mean KL(llama.cpp || ours) per position, top-1
agreement (all positions, and the "decisive" positions where llama.cpp's
first choice leads its second by >= 0.5 nats), cross-entropy of the actual
next tokens under both.

Bounds (doc/engine.md, "Agreement with llama.cpp" explains them):
  - quantized models: KL <= 0.01 nats, CE within 1 %, decisive top-1 >= 98 %,
    top-1 >= 90 %. The plain top-1 bound sits below the 98 % one might want
    because with quantized weights the activations are re-quantized to 8 bits
    before every product: a one-ulp difference anywhere flips some of those
    roundings and moves near-tied logits. llama.cpp against itself (flash
    attention on vs off) agrees on 94.6 % of top-1 choices on paper1 with the
    default model, llama.cpp one token per call against its own batches of
    512 on 94.4 % (paper1) and 95.8 % (progc), our engine against itself with
    one rmsnorm scale nudged by one ulp on 95.7 %. So the live tests of the
    quantized models also measure llama.cpp one token per call, and llama.cpp
    with flash attention, against the reference, and ask that our top-1
    agreement be within 1.5 points of the lower of those two and our KL
    within 1.5 times the larger.
  - float-weight tiny models (F32/F16/BF16, activations stay float): KL <=
    1e-4, top-1 >= 99 %.
"""
import os
import subprocess
import sys
import tempfile

import numpy as np
import pytest

import conftest  # noqa: E402
from conftest import CORPUS, ROOT, TOOLS_DIR  # noqa: E402

sys.path.insert(0, os.path.join(ROOT, "tools"))
import llamacpp_ref as R  # noqa: E402
import oracle_llamacpp as O  # noqa: E402

EVAL_DUMP = os.path.join(TOOLS_DIR, "eval_dump")
TINY_DIR = os.environ.get("LZ_TINY_DIR", conftest.TINY_DIR)
MODEL = os.environ.get("LLAMAZIP_MODEL", conftest.MODEL)
# The real models: fixture name -> file. SmolLM2-135M (llama architecture,
# byte-level BPE, Q4_1 with a Q8_0 output matrix) is checked as the default is.
REAL_MODELS = {"default": MODEL, "smollm2-135m": conftest.SMOLLM2}
FIXTURES = os.path.join(ROOT, "tests", "fixtures", "engine")

TEXTS = ("paper1", "progc")
N_DEFAULT = 1024      # tokens of each text for the real models (BOS included)
N_TINY = 384          # for each tiny model
THREADS = 2

LIVE, LIVE_WHY = R.probe()
needs_llamacpp = pytest.mark.skipif(
    not LIVE, reason=f"llama.cpp cannot run here ({LIVE_WHY}): the golden fixtures (test_against_fixture) stand in")

TINY_MODELS = [
    "gemma3-f32", "gemma3-f16", "gemma3-q8_0", "gemma3-q5_0", "gemma3-q4_k", "gemma3-pattern-bf16",
    "llama-f16-bias", "llama-q4_0-ropefreqs", "llama-q4_k", "qwen2-q8_0", "phi3-f16-longrope", "phi3-q8_0",
]
FLOAT_MODELS = {"gemma3-f32", "gemma3-f16", "gemma3-pattern-bf16", "llama-f16-bias", "phi3-f16-longrope"}

needs_tool = pytest.mark.skipif(not os.path.exists(EVAL_DUMP), reason="eval_dump not built (make eval-dump)")


def text_path(name):
    return os.path.join(CORPUS, "calgary", name)


def tiny_text(model_name):
    """Each tiny model reads one of the texts (alternating), to keep the run short."""
    return TEXTS[TINY_MODELS.index(model_name) % 2]


def our_logits(model, tokens, tmp, n_ctx=None):
    """The engine's logits for `tokens` (a read-only memory map)."""
    tok = os.path.join(tmp, "tokens.i32")
    out = os.path.join(tmp, "logits.f32")
    np.asarray(tokens, dtype="<i4").tofile(tok)
    cmd = [EVAL_DUMP, model, tok, out, "--threads", str(THREADS)]
    if n_ctx:
        cmd += ["--n-ctx", str(n_ctx)]
    r = subprocess.run(cmd, capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    nv = int(np.fromfile(out, dtype="<u4", count=4)[3])
    return np.memmap(out, dtype="<f4", mode="r", offset=16, shape=(len(tokens), nv))


def check(label, m, float_model=False):
    ce_ratio = m["ce_ours"] / m["ce_ref"]
    print(f"\n{label}: n={m['n']} KL={m['kl']:.2e} (max {m['kl_max']:.2e}) top1={m['top1']:.4f} "
          f"decisive top1={m['top1_decisive']:.4f} ({m['decisive_share']:.0%} of positions) "
          f"CE llama.cpp={m['ce_ref']:.4f} ours={m['ce_ours']:.4f} ratio={ce_ratio:.5f}")
    if float_model:
        assert m["kl"] <= 1e-4, label
        assert m["top1"] >= 0.99, label
    else:
        assert m["kl"] <= 0.01, label
        assert m["top1"] >= 0.90, label
    assert m["top1_decisive"] >= 0.98, label
    assert abs(ce_ratio - 1.0) <= 0.01, label


# ---------------------------------------------------------------- live, against llama.cpp

def reference_logits(model, tmp, name, label, n_tokens, text=None, tokens_file=None, n_batch=512,
                     flash_attn=False):
    """llama.cpp's token ids and logits (a read-only memory map) for the
    first n_tokens of a text file (BOS first) or of a file of int32 ids,
    written to tmp/name.*. Computed by tools/oracle_llamacpp.py in a child
    process: if llama.cpp crashes, fails or hangs there, the calling test
    fails with the reason."""
    prefix = os.path.join(tmp, name)
    argv = [R.tool("oracle_llamacpp.py"), model]
    argv += [text] if text else ["--tokens", tokens_file]
    argv += ["--n-tokens", str(n_tokens), "--n-ctx", str(n_tokens), "--n-batch", str(n_batch),
             "--threads", str(THREADS), "--logits", "--out", prefix]
    if flash_attn:
        argv.append("--flash-attn")
    try:
        R.run_child(argv, f"llama.cpp reference ({name}) for {label}")
    except R.LlamaCppFailed as e:
        pytest.fail(str(e), pytrace=False)
    return np.fromfile(prefix + ".tokens.i32", dtype="<i4"), np.load(prefix + ".logits.npy", mmap_mode="r")


def live_compare(model, text, n_tokens, label, float_model=False, against_self=False):
    """Ours against llama.cpp (batch 512, flash attention off). With
    against_self, also llama.cpp one token per call and llama.cpp with flash
    attention against that same reference (the reference's own spread,
    tools/reference_noise.py): ours must agree with llama.cpp about as well
    as llama.cpp agrees with itself."""
    with tempfile.TemporaryDirectory() as tmp:
        tokens, ref = reference_logits(model, tmp, "reference", label, n_tokens, text=text)
        m = O.compare(ref, our_logits(model, tokens, tmp), tokens)
        check(label, m, float_model)
        if not against_self:
            return
        spread = []
        for what, kw in (("batch 1", dict(n_batch=1)), ("flash attention", dict(flash_attn=True))):
            name = what.replace(" ", "_")
            _, other = reference_logits(model, tmp, name, label, n_tokens,
                                        tokens_file=os.path.join(tmp, "reference.tokens.i32"), **kw)
            s = O.compare(ref, other, tokens)
            del other
            os.remove(os.path.join(tmp, name + ".logits.npy"))
            print(f"{label}: llama.cpp {what} vs llama.cpp: KL={s['kl']:.2e} top1={s['top1']:.4f} "
                  f"decisive top1={s['top1_decisive']:.4f}")
            spread.append(s)
        del ref
    worst_top1 = min(s["top1"] for s in spread)
    worst_kl = max(s["kl"] for s in spread)
    print(f"{label}: ours vs llama.cpp: KL={m['kl']:.2e} top1={m['top1']:.4f} "
          f"(bounds: top1 >= {worst_top1 - 0.015:.4f}, KL <= {1.5 * worst_kl:.2e})")
    assert m["top1"] >= worst_top1 - 0.015, label
    assert m["kl"] <= 1.5 * worst_kl, label


@needs_tool
@needs_llamacpp
@pytest.mark.parametrize("name", list(REAL_MODELS))
@pytest.mark.parametrize("text", TEXTS)
def test_real_model_live(name, text):
    model = REAL_MODELS[name]
    if not os.path.exists(model):
        pytest.skip(f"{model} absent (make model{'' if name == 'default' else ' MODEL=' + name})")
    if not os.path.exists(text_path(text)):
        pytest.skip(f"corpus file {text} absent")
    live_compare(model, text_path(text), N_DEFAULT, f"{'default model' if name == 'default' else name}, {text}",
                 against_self=True)


@needs_tool
@needs_llamacpp
@pytest.mark.parametrize("name", TINY_MODELS)
def test_tiny_model_live(name):
    model = os.path.join(TINY_DIR, name + ".gguf")
    if not os.path.exists(model):
        pytest.skip("tiny models absent (make tiny-models)")
    text = tiny_text(name)
    if not os.path.exists(text_path(text)):
        pytest.skip(f"corpus file {text} absent")
    live_compare(model, text_path(text), N_TINY, f"{name}, {text}", name in FLOAT_MODELS,
                 against_self=name not in FLOAT_MODELS)


# ---------------------------------------------------------------- fixtures

def fixture_cases():
    if not os.path.isdir(FIXTURES):
        return []
    return sorted(f[:-4] for f in os.listdir(FIXTURES) if f.endswith(".npz"))


@needs_tool
@pytest.mark.parametrize("case", fixture_cases())
def test_against_fixture(case):
    fix = dict(np.load(os.path.join(FIXTURES, case + ".npz")))
    name = str(fix["model"])
    model = REAL_MODELS.get(name) or os.path.join(TINY_DIR, name + ".gguf")
    if not os.path.exists(model):
        pytest.skip(f"model {model} absent")
    if O.file_sha256(model) != str(fix["model_sha256"]):
        pytest.skip(f"{model} differs from the one the fixture was made with (regenerate the fixtures)")
    tokens = fix["tokens"]
    with tempfile.TemporaryDirectory() as tmp:
        ours = our_logits(model, tokens, tmp)
        m = O.compare_topk(fix, ours)
        del ours
    check(f"fixture {case}", m, name in FLOAT_MODELS)
