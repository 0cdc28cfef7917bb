#!/usr/bin/env python3
"""Obviously-correct reference for `kengine words` (src/cli/words.c).

Reads newline-delimited messages (bytes; a trailing \\r stays in the
message) and prints, per batch of N messages, exactly the line that
`kengine words` prints without --json:

    batch 1: 10000 messages, 123456 words, 2345 unique words

using Python's bytes.split() (ASCII whitespace only) and set() semantics,
then a total line `total: M messages, W words, U unique words`; the C tool
appends ", S seconds, R words/s" to that line, so compare it after
stripping that suffix (e.g. sed 's/, [0-9.]* seconds.*//').

usage: words_reference.py [FILE|-] [--batch N]
"""
import argparse
import sys


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("file", nargs="?", default="-")
    ap.add_argument("--batch", type=int, default=10000)
    args = ap.parse_args()
    if args.batch < 1:
        ap.error("--batch must be >= 1")

    f = sys.stdin.buffer if args.file == "-" else open(args.file, "rb")
    out = sys.stdout
    batch_no = msgs = words = 0
    b_msgs = b_words = 0
    b_set, total = set(), set()

    def flush():
        nonlocal batch_no, msgs, words, b_msgs, b_words, b_set
        if b_msgs == 0:
            return
        batch_no += 1
        out.write(f"batch {batch_no}: {b_msgs} messages, {b_words} words, "
                  f"{len(b_set)} unique words\n")
        total.update(b_set)
        msgs += b_msgs
        words += b_words
        b_msgs = b_words = 0
        b_set = set()

    with f:
        for line in f:  # binary mode: splits on b"\n" only
            if line.endswith(b"\n"):
                line = line[:-1]
            ws = line.split()
            b_words += len(ws)
            b_set.update(ws)
            b_msgs += 1
            if b_msgs == args.batch:
                flush()
    flush()
    out.write(f"total: {msgs} messages, {words} words, "
              f"{len(total)} unique words\n")


if __name__ == "__main__":
    main()
