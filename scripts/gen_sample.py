#!/usr/bin/env python3
"""Generate sample.csv: deterministic, English-like product reviews.

Header: id,user,rating,title,body. Rows: id 1..N, user names like user_4821,
rating 1-5, a 3-8 word title and a 25-60 word body. Words come from a
~5,000-word vocabulary (about 200 common English words, the rest
pronounceable pseudo-words built from syllables) drawn with a Zipf-like
distribution (s = 1.1). Bodies have commas and sentence punctuation; some
contain double quotes and a few contain newlines, so CSV quoting is
exercised. Written with Python's csv module (QUOTE_MINIMAL, '\\n' line ends).

Only the stdlib and only rng.random() are used (no random.choices /
randint), so the output is byte-identical across Python 3 versions for the
same --seed and --rows.

Usage: scripts/gen_sample.py [--out PATH] [--rows N] [--seed S]
"""
import argparse
import bisect
import csv
import os
import random

COMMON = """
the of and to a in is it you that he was for on are with as i his they be at
one have this from or had by not word but what some we can out other were all
there when up use your how said an each she which do their time if will way
about many then them write would like so these her long make thing see him two
has look more day could go come did number sound no most people my over know
water than call first who may down side been now find any new work part take
get place made live where after back little only round man year came show every
good me give our under name very through just form great think say help low
line differ turn cause much mean before move right boy old too same tell does
set three want air well also play small end put home read hand port large spell
add even land here must big high such follow act why ask men change went light
kind off need house picture try us again animal point mother world near build
self earth father it's don't i'm can't product quality price ship box love
""".split()

ONSETS = ["b", "c", "d", "f", "g", "h", "j", "k", "l", "m", "n", "p", "r", "s",
          "t", "v", "w", "z", "br", "ch", "cl", "dr", "fl", "gr", "pl", "pr",
          "sh", "st", "th", "tr", ""]
VOWELS = ["a", "e", "i", "o", "u", "ai", "ea", "oo", "ou", "y"]
CODAS = ["", "", "", "n", "r", "l", "s", "t", "m", "nd", "st", "ck", "ng"]

VOCAB_SIZE = 5000
ZIPF_S = 1.1


class Gen:
    def __init__(self, seed):
        self.rng = random.Random(seed)

    def below(self, n):
        """Uniform int in [0, n)."""
        return int(self.rng.random() * n)

    def between(self, lo, hi):
        """Uniform int in [lo, hi]."""
        return lo + self.below(hi - lo + 1)

    def chance(self, p):
        return self.rng.random() < p

    def pick(self, seq):
        return seq[self.below(len(seq))]


def build_vocab(g):
    words = list(dict.fromkeys(COMMON))
    seen = set(words)
    while len(words) < VOCAB_SIZE:
        nsyl = 1 + g.below(3)
        w = "".join(g.pick(ONSETS) + g.pick(VOWELS) + g.pick(CODAS)
                    for _ in range(nsyl))
        if 2 <= len(w) <= 11 and w not in seen:
            seen.add(w)
            words.append(w)
    # common words keep the top ranks; pseudo-words are shuffled below them
    tail = words[len(COMMON):]
    for i in range(len(tail) - 1, 0, -1):
        j = g.below(i + 1)
        tail[i], tail[j] = tail[j], tail[i]
    words = words[:len(COMMON)] + tail
    cum, total = [], 0.0
    for rank in range(1, len(words) + 1):
        total += 1.0 / rank ** ZIPF_S
        cum.append(total)
    return words, cum


def word(g, vocab):
    words, cum = vocab
    i = bisect.bisect_left(cum, g.rng.random() * cum[-1])
    return words[min(i, len(words) - 1)]


def cap(w):
    return w[:1].upper() + w[1:]


def title(g, vocab):
    ws = [word(g, vocab) for _ in range(g.between(3, 8))]
    t = " ".join(cap(w) if g.chance(0.6) or i == 0 else w
                 for i, w in enumerate(ws))
    if g.chance(0.15):
        t += g.pick(["!", "?", "..."])
    return t


def body(g, vocab):
    n = g.between(25, 60)
    words = [word(g, vocab) for _ in range(n)]
    quoted = g.chance(0.2)
    if quoted and n > 8:  # a quoted phrase of 1-4 words
        at = g.between(2, n - 6)
        ln = g.between(1, 4)
        words[at] = '"' + words[at]
        words[at + ln - 1] += '"'
    sentences, i = [], 0
    while i < n:
        ln = min(n - i, g.between(5, 16))
        s = words[i:i + ln]
        for k in range(len(s) - 2):
            if g.chance(0.09) and not s[k].endswith('"'):
                s[k] += ","
        s[0] = cap(s[0]) if not s[0].startswith('"') else '"' + cap(s[0][1:])
        end = "." if g.chance(0.8) else g.pick(["!", "?", "!!"])
        sentences.append(" ".join(s) + end)
        i += ln
    if g.chance(0.04) and len(sentences) > 1:
        cut = g.between(1, len(sentences) - 1)
        return " ".join(sentences[:cut]) + "\n" + " ".join(sentences[cut:])
    return " ".join(sentences)


def main():
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", default=os.path.join(root, "sample.csv"))
    ap.add_argument("--rows", type=int, default=1000)
    ap.add_argument("--seed", type=int, default=20240527)
    a = ap.parse_args()

    g = Gen(a.seed)
    vocab = build_vocab(g)
    ratings = [1, 2, 3, 3, 4, 4, 4, 5, 5, 5]
    with open(a.out, "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f, quoting=csv.QUOTE_MINIMAL, lineterminator="\n")
        w.writerow(["id", "user", "rating", "title", "body"])
        for i in range(1, a.rows + 1):
            w.writerow([str(i), "user_%04d" % g.between(1000, 9999),
                        str(g.pick(ratings)), title(g, vocab), body(g, vocab)])


if __name__ == "__main__":
    main()
