#!/usr/bin/env python3
"""check_grafana: every query of a Grafana dashboard names series kengine
exports. Reads the exported families from `kengine help metrics
--markdown` (name, type, labels) and the dashboard's queries (each panel target's expr and each
templating query); in each, every metric name (an identifier not called as
a function, outside label matchers, strings and grouping clauses) must be a
family, or a histogram family with _bucket, _sum or _count, and every label
a matcher or grouping names must be one the series carry (or le, job,
instance). Prints one line per problem, naming the panel; exit 1 if any.

    check_grafana.py KENGINE DASHBOARD.json
"""
import json
import re
import subprocess
import sys

KEYWORDS = {"by", "without", "on", "ignoring", "group_left", "group_right", "bool", "offset",
            "and", "or", "unless", "inf", "nan"}
SCRAPE_LABELS = {"le", "job", "instance"}


def families(kengine):
    out = subprocess.run([kengine, "help", "metrics", "--markdown"], check=True,
                         capture_output=True, text=True).stdout
    fams, labels = {}, set(SCRAPE_LABELS)
    for line in out.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        m = re.match(r"^`(kengine_[a-z0-9_]+)`$", cells[0]) if len(cells) >= 3 else None
        if m and cells[1] in ("counter", "gauge", "histogram"):
            fams[m.group(1)] = cells[1]
            labels.update(l.strip() for l in cells[2].split(","))
    if not fams:
        sys.exit("check_grafana: no series in `kengine help metrics`")
    return fams, labels


def names(fams):
    ok = set(fams)
    for f, t in fams.items():
        if t == "histogram":
            ok.update(f + s for s in ("_bucket", "_sum", "_count"))
    return ok


def queries(dash):
    """(where, expr) for every query of the dashboard."""
    def walk(panels):
        for p in panels:
            for t in p.get("targets", []):
                if t.get("expr"):
                    yield "panel '%s' (%s)" % (p.get("title"), t.get("refId")), t["expr"]
            yield from walk(p.get("panels", []))
    yield from walk(dash.get("panels", []))
    for v in dash.get("templating", {}).get("list", []):
        q = v.get("query")
        q = q.get("query") if isinstance(q, dict) else q
        if v.get("type") == "query" and q:
            yield "variable '%s'" % v.get("name"), q


def check(expr, metric_names, label_names):
    """The problems of one query."""
    problems = []
    e = re.sub(r'"(\\.|[^"\\])*"', '""', expr)              # strings
    e = re.sub(r"\[[^\]]*\]", "", e)                         # ranges [5m]
    for m in re.finditer(r"\{([^}]*)\}", e):                 # matchers {a="x", b=~""}
        for lab in re.findall(r"([a-zA-Z_][a-zA-Z0-9_]*)\s*(?:=~|!~|!=|=)", m.group(1)):
            if lab not in label_names:
                problems.append("label '%s' is not one kengine's series carry" % lab)
    e = re.sub(r"\{[^}]*\}", "", e)
    for m in re.finditer(r"\b(?:by|without|on|ignoring|group_left|group_right)\s*\(([^)]*)\)", e):
        for lab in re.findall(r"[a-zA-Z_][a-zA-Z0-9_]*", m.group(1)):
            if lab not in label_names:
                problems.append("label '%s' is not one kengine's series carry" % lab)
    e = re.sub(r"\b(?:by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)", "", e)
    # label_values(metric, label): the label is an argument, not a series
    lv = re.match(r"^\s*label_values\(\s*([^,()]*?)\s*,\s*([a-zA-Z_][a-zA-Z0-9_]*)\s*\)\s*$", e)
    if lv:
        e = lv.group(1)
        if lv.group(2) not in label_names:
            problems.append("label '%s' is not one kengine's series carry" % lv.group(2))
    e = re.sub(r"\$__[a-z_]+|\$\{?[a-zA-Z_]+\}?", "", e)      # Grafana's variables
    found = 0
    for m in re.finditer(r"[a-zA-Z_:][a-zA-Z0-9_:]*", e):
        word = m.group(0)
        after = e[m.end():].lstrip()
        if word.lower() in KEYWORDS or after.startswith("("):
            continue                                         # a keyword or a function
        if re.match(r"^[0-9.e+-]+$", word):
            continue
        found += 1
        if word not in metric_names:
            problems.append("'%s' is not a series kengine exports" % word)
    if not found:
        problems.append("names no series at all")
    return problems


def main():
    kengine, path = sys.argv[1], sys.argv[2]
    fams, labels = families(kengine)
    metric_names = names(fams)
    dash = json.load(open(path))
    bad = n = 0
    for where, expr in queries(dash):
        n += 1
        for p in check(expr, metric_names, labels):
            print("%s: %s: %s" % (path, where, p))
            bad += 1
    if n == 0:
        print("%s: no queries" % path)
        return 1
    print("%s: %d queries, %d problems" % (path, n, bad))
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
