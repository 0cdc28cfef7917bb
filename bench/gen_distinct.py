#!/usr/bin/env python3
"""gen_distinct.py: a CSV of rows that never repeat, for the benchmarks on
data that does not flatter us (no row, and so no message value, twice).

Row i is sample.csv's row i % n with the words of its title and body
shuffled (a generator seeded with i, so the file is the same every time)
and a unique token ("u" + i in hex) added to each, and id = i + 1. The
vocabulary stays sample.csv's; every message and every batch carries new
words (the tokens) besides it, as a user's own topic does.

usage: gen_distinct.py [--rows N] [--seed S] SAMPLE.csv OUT.csv
"""
import argparse
import csv
import random
import sys


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--rows", type=int, default=300000)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("sample")
    ap.add_argument("out")
    a = ap.parse_args()
    with open(a.sample, newline="", encoding="utf-8") as f:
        r = csv.reader(f)
        header = next(r)
        rows = [row for row in r if row]
    if not rows:
        sys.exit(f"{a.sample}: no rows")
    shuffled = [k for k, name in enumerate(header) if name in ("title", "body")]
    with open(a.out, "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(header)
        for i in range(a.rows):
            row = list(rows[i % len(rows)])
            rng = random.Random(a.seed * 1000003 + i)
            row[0] = str(i + 1)
            for k in shuffled:
                words = row[k].split()
                rng.shuffle(words)
                words.insert(rng.randrange(len(words) + 1), f"u{i:x}")
                row[k] = " ".join(words)
            w.writerow(row)


if __name__ == "__main__":
    main()
