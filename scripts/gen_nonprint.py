#!/usr/bin/env python3
"""Generates the `nonprint` table of src/text/encode.c: the code points >= 0x80
that Python considers non-printable (not chr(cp).isprintable()), as sorted
inclusive ranges. The `dict` message format escapes them as Python's
str.__repr__ does. The table in encode.c was made with Python 3.11
(Unicode 14.0.0); another Unicode version gives another table.

  scripts/gen_nonprint.py            print the table's C initializer
  scripts/gen_nonprint.py --check    compare with src/text/encode.c (exit 1 if it differs)
"""
import os
import re
import sys
import unicodedata

UNICODE = "14.0.0"


def ranges():
    out, start = [], None
    for cp in range(0x80, 0x110000):
        bad = not chr(cp).isprintable()
        if bad and start is None:
            start = cp
        elif not bad and start is not None:
            out.append((start, cp - 1))
            start = None
    if start is not None:
        out.append((start, 0x10FFFF))
    return out


def c_table(rs, width=88, per_line=5):
    """The C initializer: up to `per_line` pairs a line, within `width` columns."""
    lines, line, n = [], "   ", 0
    for r in rs:
        item = " {0x%X, 0x%X}," % r
        if n == per_line or len(line) + len(item) > width:
            lines.append(line)
            line, n = "   ", 0
        line += item
        n += 1
    lines.append(line)
    return "static const uint32_t nonprint[][2] = {\n" + "\n".join(lines) + "\n};\n"


def pairs(text):
    return [(int(a, 16), int(b, 16)) for a, b in re.findall(r"\{(0x[0-9A-Fa-f]+), (0x[0-9A-Fa-f]+)\}", text)]


def main():
    if unicodedata.unidata_version != UNICODE:
        sys.exit("gen_nonprint.py: this Python has Unicode %s; the table is Unicode %s "
                 "(Python 3.11)" % (unicodedata.unidata_version, UNICODE))
    rs = ranges()
    table = c_table(rs)
    if sys.argv[1:] == ["--check"]:
        root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
        src = open(os.path.join(root, "src", "text", "encode.c"), encoding="utf-8").read()
        m = re.search(r"static const uint32_t nonprint\[\]\[2\] = \{\n.*?\n\};\n", src, re.S)
        if not m or pairs(m.group(0)) != rs:
            sys.exit("gen_nonprint.py: src/text/encode.c's nonprint table differs from "
                     "Python's (regenerate it with scripts/gen_nonprint.py)")
        print("ok: src/text/encode.c's nonprint table is Python %s's" % UNICODE)
    elif sys.argv[1:]:
        sys.exit(__doc__)
    else:
        sys.stdout.write(table)


if __name__ == "__main__":
    main()
