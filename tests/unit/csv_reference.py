#!/usr/bin/env python3
"""Reference messages for cross-checking kengine's csvsrc + encode output.

Prints the first N replicated messages (rows cycle back to the first data row
after the last) exactly as the seed's Python produced them:

  rows  csv.DictReader(open(FILE, newline='', encoding='utf-8-sig'))
  json  json.dumps(row, ensure_ascii=False, separators=(',', ':'))
  csv   csv.writer QUOTE_MINIMAL, record without its line terminator
  dict  str(row)

One message per line, or NUL-terminated with -0 (use -0 when values may
contain newlines). Output is UTF-8.

Note: Python 3.11's csv.writer only quotes CR/LF when they occur in
lineterminator, so the record is written with the default '\\r\\n' and that
terminator is stripped (lineterminator='' would leave newlines unquoted).

Usage: csv_reference.py FILE.csv --format json|csv|dict --records N [-0]
"""
import argparse
import csv
import io
import json
import sys


def encode(row, fmt):
    if fmt == "json":
        return json.dumps(row, ensure_ascii=False, separators=(",", ":"))
    if fmt == "dict":
        return str(row)
    s = io.StringIO()
    csv.writer(s, quoting=csv.QUOTE_MINIMAL, lineterminator="\r\n").writerow(
        list(row.values()))
    return s.getvalue()[:-2]


def main():
    ap = argparse.ArgumentParser(description="reference messages for a CSV file")
    ap.add_argument("file")
    ap.add_argument("--format", choices=["json", "csv", "dict"], default="json")
    ap.add_argument("--records", type=int, default=10)
    ap.add_argument("-0", dest="nul", action="store_true",
                    help="terminate messages with NUL instead of newline")
    a = ap.parse_args()

    with open(a.file, newline="", encoding="utf-8-sig") as f:
        rows = list(csv.DictReader(f))
    if not rows:
        sys.exit("%s: no data rows" % a.file)
    out = sys.stdout.buffer
    end = b"\0" if a.nul else b"\n"
    msgs = [encode(r, a.format).encode("utf-8") for r in rows]
    for i in range(a.records):
        out.write(msgs[i % len(msgs)])
        out.write(end)


if __name__ == "__main__":
    main()
