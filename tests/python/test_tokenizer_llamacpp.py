"""Our tokenizer against llama.cpp's (llama-cpp-python, vocab_only, run by
tools/tokenize_llamacpp.py in a child process: a crash there fails the check
and names the signal instead of ending the test run):
token ids must be equal wherever llama.cpp's own tokens decode back to the
input; spans where they do not (llama.cpp normalises something) are
excluded and reported.

Inputs: the Calgary text files and dce/data.txt (all of them for the
default model, SmolLM2-135M, llama-bpe and qwen2; three for the other vocabularies unless
LZ_TOKENIZER_FULL=1), plus random strings
(fixed seed) of many scripts, whitespace, digits, punctuation and control
token texts. Vocabularies: the two real models (make model, make model
MODEL=smollm2-135m) and the
vocab-only GGUFs of `make vocabs` (models/vocab/); absent ones are skipped.

Our ids come from build/tests/tools/tokenize_dump (make tokenize-dump):
the shared library hides the tokenizer's symbols. A summary is written to
build/tests/tokenizer_llamacpp_report.txt.
"""
import difflib
import json
import os
import random
import subprocess
import sys

import pytest

from conftest import CORPUS, MODEL, ROOT, SMOLLM2, TOOLS_DIR  # noqa: E402

sys.path.insert(0, os.path.join(ROOT, "tools"))
import llamacpp_ref as R  # noqa: E402

DUMP = os.path.join(TOOLS_DIR, "tokenize_dump")
TEXT_FILES = ["calgary/" + f for f in
              ("bib", "book1", "book2", "news", "paper1", "paper2", "progc", "progl", "progp", "trans")] + \
             ["dce/data.txt"]
VOCABS = {
    "gemma3 (default model)": MODEL,
    "smollm2-135m": SMOLLM2,
}
for name in ("llama-bpe", "qwen2", "gpt-2", "refact", "starcoder", "command-r", "mpt", "gpt-neox", "falcon",
             "llama-spm", "phi-3"):
    VOCABS[name] = os.path.join(ROOT, "models", "vocab", "ggml-vocab-%s.gguf" % name)
REPORT = os.path.join(ROOT, "build", "tests", "tokenizer_llamacpp_report.txt")
# The two real models, llama3 and qwen2 see every text file; the other
# vocabularies a few small ones unless LZ_TOKENIZER_FULL=1 (time).
FULL_CORPUS = {"gemma3 (default model)", "smollm2-135m", "llama-bpe", "qwen2"}
SOME_FILES = ["calgary/paper1", "calgary/progc", "calgary/trans"]

LIVE, LIVE_WHY = R.probe()
pytestmark = pytest.mark.skipif(not LIVE, reason=f"llama.cpp cannot run here ({LIVE_WHY}): no tokenizer "
                                "comparison (tests/test_tokenizer.c's rules and round trips still run)")

_pieces = {}   # model -> what each token id decodes to (bytes), from llama.cpp


class Reference:
    """llama.cpp's tokens of some inputs, what each token decodes to, and
    whether it adds SentencePiece's space prefix."""

    def __init__(self, tokens, pieces, space_prefix):
        self.tokens, self.pieces, self.space_prefix = tokens, pieces, space_prefix


def _reference(model, tmp_path, files=(), inputs=()):
    """Reference for the files (paths) then the byte strings, tokenized by
    llama.cpp in a child process; a crash there fails the test with its
    signal."""
    out = tmp_path / "llamacpp_tokens.json"
    argv = [R.tool("tokenize_llamacpp.py"), model, "--out", str(out)]
    for path in files:
        argv += ["--file", path]
    if inputs:
        hexfile = tmp_path / "llamacpp_inputs.hex"
        hexfile.write_text("".join(b.hex() + "\n" for b in inputs))
        argv += ["--hex", str(hexfile)]
    if model not in _pieces:
        argv.append("--pieces")
    try:
        R.run_child(argv, "llama.cpp tokenizer on " + os.path.basename(model))
    except R.LlamaCppFailed as e:
        pytest.fail(str(e), pytrace=False)
    with open(out) as f:
        result = json.load(f)
    if model not in _pieces:
        _pieces[model] = [bytes.fromhex(p) for p in result["pieces"]]
    return Reference(result["tokens"], _pieces[model], result["space_prefix"])


def _report(line):
    os.makedirs(os.path.dirname(REPORT), exist_ok=True)
    with open(REPORT, "a", encoding="utf-8") as f:
        f.write(line + "\n")
    print(line)


def _need(path):
    if not os.path.isfile(DUMP):
        pytest.skip("%s not built (make tokenize-dump)" % DUMP)
    if not os.path.isfile(path):
        pytest.skip("%s not found (make model / make vocabs)" % path)


def _ours_file(model, path):
    r = subprocess.run([DUMP, model, path], capture_output=True)
    assert r.returncode == 0, "tokenize_dump %s: rc %d %s" % (path, r.returncode, r.stderr.decode()[:300])
    return [int(x) for x in r.stdout.split()]


def _ours_batch(model, inputs, tmp_path):
    hexfile = tmp_path / "inputs.hex"
    hexfile.write_text("".join(b.hex() + "\n" for b in inputs))
    r = subprocess.run([DUMP, model, "--hex", str(hexfile)], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr[:300]
    out = []
    for line in r.stdout.split("\n")[:len(inputs)]:
        assert "#" not in line, "our round trip failed"
        # "!message": refused (a byte the vocabulary cannot represent)
        out.append(line[1:] if line.startswith("!") else [int(x) for x in line.split()])
    return out


def _join(reference, toks):
    """What llama.cpp decodes toks to, token by token (so pieces concatenate)."""
    return b"".join(reference.pieces[t] for t in toks)


def compare(reference, data, ours, ref):
    """(mismatches, excluded spans) between our ids and llama.cpp's for data.
    A differing block counts as excluded when llama.cpp's tokens there do not
    decode to the bytes our tokens cover (ours always decode exactly)."""
    if ours == ref:
        return [], []
    expect = (b" " + data) if reference.space_prefix else data
    # true positions of our tokens in the decoded stream
    pos = [0]
    for t in ours:
        pos.append(pos[-1] + len(reference.pieces[t]))
    mismatches, excluded = [], []
    sm = difflib.SequenceMatcher(None, ours, ref, autojunk=False)
    for op, i1, i2, j1, j2 in sm.get_opcodes():
        if op == "equal":
            continue
        span = expect[pos[i1]:pos[i2]]
        if _join(reference, ref[j1:j2]) == span:
            mismatches.append((pos[i1], span[:60], ours[i1:i2][:8], ref[j1:j2][:8]))
        else:
            excluded.append((pos[i1], span[:60]))
    return mismatches, excluded


@pytest.mark.parametrize("vocab", list(VOCABS))
def test_corpus_matches_llamacpp(vocab, tmp_path):
    model = VOCABS[vocab]
    _need(model)
    total_ours = total_ref = 0
    lines, failures = [], []
    full = vocab in FULL_CORPUS or os.environ.get("LZ_TOKENIZER_FULL") == "1"
    rels = [rel for rel in (TEXT_FILES if full else SOME_FILES) if os.path.isfile(os.path.join(CORPUS, rel))]
    reference = _reference(model, tmp_path, files=[os.path.join(CORPUS, rel) for rel in rels]) if rels else None
    for i, rel in enumerate(rels):
        path = os.path.join(CORPUS, rel)
        data = open(path, "rb").read()
        ours = _ours_file(model, path)
        ref = reference.tokens[i]
        mism, excl = compare(reference, data, ours, ref)
        total_ours += len(ours)
        total_ref += len(ref)
        status = "match" if ours == ref else "%d mismatches, %d excluded spans" % (len(mism), len(excl))
        lines.append("  %-16s ours %7d tokens, llama.cpp %7d: %s" % (rel, len(ours), len(ref), status))
        for e in excl[:3]:
            lines.append("      excluded at byte %d: %r" % e)
        if mism:
            failures.append((rel, mism[:3]))
    if not lines:
        pytest.skip("corpus not found in %s" % CORPUS)
    _report("%s [%s]: %d files, ours %d tokens, llama.cpp %d" % (vocab, os.path.basename(model), len(lines),
                                                                  total_ours, total_ref))
    for line in lines:
        _report(line)
    assert not failures, "token ids differ from llama.cpp: %r" % failures


PIECES = [" ", "  ", "   ", "\t", "\n", "\r\n", "\r", "\n\n", " \n", "'s", "'S", "'ll", "'RE", "'", "0", "12",
          "1234567", "a", "The", "hello", "world", "\u00e9te", "\u00dcn\u00efc\u00f6d\u00e9", "\u00df",
          "\u0130", "\ufb01", "\u4e2d\u6587", "\u65e5\u672c\u8a9e", "\u304b\u306a", "\ud55c\uad6d\uc5b4",
          "\u0395\u03bb\u03bb\u03b7\u03bd\u03b9\u03ba\u03ac", "\u0440\u0443\u0441\u0441\u043a\u0438\u0439",
          "\u0639\u0631\u0628\u0649", "\u0661\u0662\u0663", "\u0939\u093f\u0928\u094d\u0926\u0940",
          "\u0e51\u0e52", "\u2177", "\u00bd", "\u00b2", ".", "...", ",", "!", "?", "$", "+", "=", "<", ">", "^",
          "~", "|", "`", "@", "#", "%", "&", "*", "(", ")", "[", "]", "{", "}", "-", "_", "/", "\\", '"', ":",
          ";", "\u00a0", "\u3000", "\u2028", "\u200b", "\u0085", "\u00ad", "\U0001f600", "\U0001f44d\U0001f3fd",
          "\u0301", "e\u0301", "\u20ac", "\u00a9", "\u2122", "\u00b0", "\u00d7", "\u00ab", "\u201c", "\u2019",
          "\u2014", "\u2026", "<table>", "</td>", "<s>", "</s>", "<unk>", "<|endoftext|>", "<start_of_image>",
          "[multimodal]", "\x00", "\x1f", "\x7f", "\x0b", "\x0c", "\x1c"]


def _random_inputs(n, seed):
    rnd = random.Random(seed)
    out = []
    for _ in range(n):
        parts = []
        for _ in range(rnd.randint(0, 12)):
            if rnd.random() < 0.8:
                parts.append(rnd.choice(PIECES))
            else:
                lo, hi = rnd.choice([(0x20, 0x2FF), (0x300, 0xD7FF), (0xE000, 0xFFFD), (0x10000, 0x10FFFF)])
                parts.append(chr(rnd.randint(lo, hi)))
        out.append("".join(parts).encode("utf-8"))
    return out


@pytest.mark.parametrize("vocab", list(VOCABS))
def test_random_strings_match_llamacpp(vocab, tmp_path):
    model = VOCABS[vocab]
    _need(model)
    inputs = _random_inputs(1500, 1234)
    ours_all = _ours_batch(model, inputs, tmp_path)
    reference = _reference(model, tmp_path, inputs=inputs)
    n_excluded, bad = 0, []
    for data, ours, ref in zip(inputs, ours_all, reference.tokens):
        decoded = _join(reference, ref)
        if decoded != data and not (reference.space_prefix and decoded == b" " + data):
            n_excluded += 1   # llama.cpp itself does not give this string back
            continue
        assert not isinstance(ours, str), "refused %r although llama.cpp round trips it: %s" % (data, ours)
        if ours != ref:
            bad.append((data, ours[:10], ref[:10]))
    _report("%s: %d random strings, %d excluded (llama.cpp not invertible), %d mismatches"
            % (vocab, len(inputs), n_excluded, len(bad)))
    assert not bad, bad[:5]
