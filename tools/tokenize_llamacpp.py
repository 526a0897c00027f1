#!/usr/bin/env python3
"""llama.cpp's tokenizer (llama-cpp-python, vocab_only) on files and strings.

    tokenize_llamacpp.py MODEL --out OUT.json [--file PATH ...] [--hex HEXFILE] [--pieces]

Tokenizes each --file's bytes, then each line of HEXFILE (one input per line,
hex-encoded bytes), without BOS and without special-token parsing, and writes
OUT.json:
    tokens        one list of token ids per input, files first
    space_prefix  whether llama.cpp's tokens of "x" decode to " x"
                  (SentencePiece's add_space_prefix)
    pieces        (--pieces) hex of what each token id decodes to on its own,
                  for every id of the vocabulary

tests/python/test_tokenizer_llamacpp.py runs this in a child process, so a
crash in llama.cpp is a failed check, not a dead test run.
"""
import argparse
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import llamacpp_ref  # noqa: E402


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("model")
    ap.add_argument("--out", required=True)
    ap.add_argument("--file", action="append", default=[])
    ap.add_argument("--hex")
    ap.add_argument("--pieces", action="store_true")
    a = ap.parse_args()
    inputs = []
    for path in a.file:
        with open(path, "rb") as f:
            inputs.append(f.read())
    if a.hex:
        with open(a.hex) as f:
            inputs += [bytes.fromhex(line.strip()) for line in f]
    llm = llamacpp_ref.load_llama(a.model, vocab_only=True)
    x_pieces = b"".join(llm.detokenize([t]) for t in llm.tokenize(b"x", add_bos=False, special=False))
    result = dict(tokens=[llm.tokenize(data, add_bos=False, special=False) for data in inputs],
                  space_prefix=x_pieces == b" x")
    if a.pieces:
        result["pieces"] = [llm.detokenize([t]).hex() for t in range(llm.n_vocab())]
    with open(a.out, "w") as f:
        json.dump(result, f)


if __name__ == "__main__":
    main()
