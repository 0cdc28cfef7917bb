#!/usr/bin/env bash
# A shared run seen per worker and as a whole (issue 19, part 5): a local
# `workers=2` run on the embedded broker writes one page (the launcher's
# merge) whose throughput chart, checked in headless Chromium, draws each
# worker's batches and the run's total per role, on a time axis that starts
# when the workers start together (the start barrier, not each worker's own
# start: the barrier's wait is no empty axis), the total's rate the sum of
# the workers' (read back from the lines' pixels, which are proportional to
# the values from the axis' baseline).
source "$(dirname "$0")/lib.sh"
command -v chromium >/dev/null || fail "chromium is not installed (scripts/deps.sh test)"

"$KENGINE" lua/seed.lua workers=2 records=40000 rate=20000 batch_size=2000 \
  --html "$TMP/run.html" >"$TMP/out" 2>"$TMP/err" ||
  { tail -5 "$TMP/err" >&2; fail "the shared run failed"; }
grep -q "workers 2, reported 2" "$TMP/out" || fail "not a merged run of 2 workers: $(cat "$TMP/out")"

chrome=(chromium --headless --no-sandbox --disable-gpu --hide-scrollbars
        --user-data-dir="$TMP/chrome" --enable-logging=stderr --v=0)
timeout 120 "${chrome[@]}" --dump-dom "file://$TMP/run.html" >"$TMP/dom.html" 2>"$TMP/dom.log" ||
  fail "chromium --dump-dom failed: $(tail -5 "$TMP/dom.log")"
if grep -h "CONSOLE" "$TMP/dom.log"; then fail "console messages while rendering (above)"; fi

python3 - "$TMP/dom.html" <<'PY' || fail "the page does not show the workers and the total (above)"
import re, sys
from html.parser import HTMLParser

class Page(HTMLParser):
    def __init__(self):
        super().__init__()
        self.charts, self.cur, self.text = {}, None, ""
    def handle_starttag(self, tag, a):
        a = dict(a)
        if tag == "svg" and "aria-label" in a:
            self.cur = {"series": {}, "yticks": [], "xticks": [], "axis": []}
            self.charts[a["aria-label"]] = self.cur
        if tag == "polyline" and self.cur is not None:
            pts = [tuple(map(float, p.split(","))) for p in a["points"].split()]
            self.cur["series"][a["data-series"]] = pts
        if tag == "text" and self.cur is not None:
            self.kind, self.text = a.get("class"), ""
        if tag == "rect" and a.get("class") == "plot" and self.cur is not None:
            self.cur["plot"] = (float(a["x"]), float(a["y"]), float(a["width"]),
                                float(a["height"]))
    def handle_data(self, d):
        self.text += d
    def handle_endtag(self, tag):
        if tag == "text" and self.cur is not None and self.kind in ("ytick", "xtick", "axis"):
            self.cur[self.kind + ("s" if self.kind != "axis" else "")].append(self.text)

page = Page()
page.feed(open(sys.argv[1]).read())
tp = page.charts["Throughput per batch"]
names = sorted(tp["series"])
want = sorted(["produce worker 0", "produce worker 1", "produce total",
               "consume worker 0", "consume worker 1", "consume total"])
assert names == want, names
assert "elapsed since the workers started together (s)" in tp["axis"], tp["axis"]
print("ok: throughput per worker and the run's total for each role:", ", ".join(names))
for title, what in (("Process CPU", "CPU %"), ("Resident memory", "RSS")):
    chart = [v for k, v in page.charts.items() if k.startswith(title)][0]
    assert sorted(chart["series"]) == [f"{what} worker 0", f"{what} worker 1"], chart["series"]
print("ok: CPU and RSS a line per worker (each its own process)")

def num(t): return float(t.replace("k", "e3").replace("M", "e6"))
x0, y0, w, h = tp["plot"]
ytop, xtop = max(map(num, tp["yticks"])), max(map(num, tp["xticks"]))
def val(pt):  # pixels back to (seconds, msgs/s): linear from the plot's corner
    return ((pt[0] - x0) / w * xtop, (y0 + h - pt[1]) / h * ytop)
S = {n: [val(p) for p in pts] for n, pts in tp["series"].items()}

first = min(S["produce total"])[0]
# the producers start at the barrier (each worker's own start is seconds earlier)
assert first < 1.0, f"the produce total starts at {first:.2f} s: the barrier's wait is on the axis"
print(f"ok: the axis starts at the barrier (produce total's first point at {first:.2f} s)")

def rate_at(series, t):  # a worker's rate at t: its batch whose interval holds t
    for x, y in series:
        if x >= t: return y
    return None
for role in ("produce", "consume"):
    ratios = []
    for t, total in S[f"{role} total"]:
        parts = [rate_at(S[f"{role} worker {i}"], t) for i in (0, 1)]
        if None in parts or sum(parts) <= 0: continue
        ratios.append(total / sum(parts))
    ratios.sort()
    med = ratios[len(ratios) // 2]
    assert len(ratios) >= 5 and abs(med - 1) < 0.1, (role, med, ratios)
    steady = sorted(y for _, y in S[f"{role} total"])[len(S[f"{role} total"]) // 2]
    print(f"ok: {role} total = worker 0 + worker 1 (median ratio {med:.3f} over {len(ratios)} "
          f"points); its median {steady:.0f} msgs/s")
PY
