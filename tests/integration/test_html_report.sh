#!/usr/bin/env bash
# --html against the real Kafka, checked from outside in a real browser
# (headless Chromium): the page renders with no console message, a
# screenshot shows the charts (not a blank page), every figure of the page
# equals the NDJSON summary, and the file refers to nothing outside itself.
# KENGINE_REPORT_PNG=docs/report.png also keeps a small copy of the
# screenshot (the README's).
source "$(dirname "$0")/lib.sh"
need_kafka
command -v chromium >/dev/null || fail "chromium is not installed (scripts/deps.sh test)"
PY=
for p in /usr/bin/python3 python3; do
  if "$p" -c 'import PIL' 2>/dev/null; then PY=$p; break; fi
done
[ -n "$PY" ] || fail "python3 with PIL is missing (python3-pil, scripts/deps.sh test)"

cat >"$TMP/report.lua" <<L
return {
  topic = "$(fresh_topic html)", csv = "$ROOT/sample.csv", batch_size = 500, top_words = 5,
  name = "phased <run> & \"co\"",
  phases = {
    { name = "warmup", records = 1500, rate = 1500 },
    { name = "steady", records = 3000, rate = 3000 },
    { name = "burst", records = 4000, rate = 6000 },
  },
  thresholds = { lost = "== 0", ["latency_ms.p99"] = "< 100000", ["steady.msgs_per_sec"] = "> 1" },
}
L
"$KENGINE" "$TMP/report.lua" -b "$BROKERS" --json "$TMP/run.ndjson" --html "$TMP/report.html" -q ||
  fail "run failed"
[ -s "$TMP/report.html" ] || fail "no HTML written"

# nothing outside the file: no URL, no protocol-relative reference, no
# src=, no @import, no url(), no script
if grep -Eino 'https?:|//|src=|@import|url\(|<script|<link' "$TMP/report.html"; then
  fail "the report refers outside itself (above)"
fi
ok "no external reference"

chrome=(chromium --headless --no-sandbox --disable-gpu --hide-scrollbars
        --user-data-dir="$TMP/chrome" --enable-logging=stderr --v=0)
timeout 120 "${chrome[@]}" --dump-dom "file://$TMP/report.html" >"$TMP/dom.html" 2>"$TMP/dom.log" ||
  fail "chromium --dump-dom failed: $(tail -5 "$TMP/dom.log")"
timeout 120 "${chrome[@]}" --window-size=960,2300 --screenshot="$TMP/shot.png" \
  "file://$TMP/report.html" >/dev/null 2>"$TMP/shot.log" ||
  fail "chromium --screenshot failed: $(tail -5 "$TMP/shot.log")"
if grep -h "CONSOLE" "$TMP/dom.log" "$TMP/shot.log"; then
  fail "console messages while rendering (above)"
fi
ok "rendered by $(chromium --version 2>/dev/null | head -n 1) with no console message"

"$PY" - "$TMP/dom.html" "$TMP/run.ndjson" "$TMP/shot.png" "${KENGINE_REPORT_PNG:-}" <<'PY' ||
import json, re, sys
from html.parser import HTMLParser
from PIL import Image

dom_path, ndjson_path, png_path, keep = sys.argv[1:5]
events = [json.loads(l) for l in open(ndjson_path)]
summ = [e for e in events if e["type"] == "summary"][-1]
run = [e for e in events if e["type"] == "run"][-1]

class Page(HTMLParser):
    def __init__(self):
        super().__init__()
        self.figures, self.info, self.cur, self.text = {}, {}, None, ""
        self.svgs = self.lines = 0
        self.tags = []
    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        self.tags.append(tag)
        if tag == "svg": self.svgs += 1
        if tag == "polyline": self.lines += 1
        if "data-figure" in a: self.cur, self.text = ("f", a["data-figure"]), ""
        if "data-info" in a: self.cur, self.text = ("i", a["data-info"]), ""
    def handle_data(self, d):
        if self.cur: self.text += d
    def handle_endtag(self, tag):
        if self.cur and tag == "td":
            kind, key = self.cur
            (self.figures if kind == "f" else self.info)[key] = self.text
            self.cur = None

page = Page()
page.feed(open(dom_path).read())

def flat(obj, prefix=""):
    for k, v in obj.items():
        if isinstance(v, dict): yield from flat(v, prefix + k + ".")
        elif isinstance(v, (int, float)) and not isinstance(v, bool): yield prefix + k, v

want = dict(flat({k: v for k, v in summ.items() if k not in ("phases", "thresholds")}))
assert "consume_msgs_per_sec" in want and "latency_ms.p99" in want
assert set(page.figures) == set(want), (set(page.figures) ^ set(want))
for k, v in want.items():
    got = float(page.figures[k])
    assert abs(got - v) <= 1e-5 * max(1.0, abs(v)), (k, got, v)
print(f"ok: {len(want)} figures in the page equal the NDJSON summary")
for k in ("name", "brokers", "kafka", "kengine", "librdkafka", "date", "machine"):
    assert page.info.get(k) == str(run[k]), (k, page.info.get(k), run[k])
assert page.info["name"] == 'phased <run> & "co"'
print("ok: the run's identity (name escaped and shown as written, versions, machine)")
dom = open(dom_path).read()
assert "PASS" in dom and "steady.msgs_per_sec" in dom and "warmup" in dom and "burst" in dom
# 6 charts + top words; series: 2 throughput, 3 latency, a round trip per
# broker and the client queue, consumer lag, CPU, RSS
nb = len(summ["brokers"])
assert page.svgs == 7 and page.lines == 9 + nb, (page.svgs, page.lines, nb)
print(f"ok: verdict, thresholds, phases, 6 charts with {9 + nb} series and the top words")

img = Image.open(png_path).convert("RGB")
w, h = img.size
px = img.load()
step = 1
total = nonwhite = 0
colours = {}
for y in range(0, h, step):
    for x in range(0, w, step):
        p = px[x, y]
        total += 1
        if p != (255, 255, 255): nonwhite += 1
        colours[p] = colours.get(p, 0) + 1
def near(c, n=40):  # pixels close to a series colour
    return sum(k for p, k in colours.items() if sum(abs(a - b) for a, b in zip(p, c)) < n)
ink = nonwhite / total
assert 0.05 < ink < 0.9, ink
assert len(colours) > 50, len(colours)
blue, green = near((0x1f, 0x5f, 0xbf)), near((0x2e, 0x9d, 0x3a))
# the legend's swatches alone are 48 pixels each; the produce and consume
# lines may lie on each other, so their sum counts
assert blue > 48 and green > 48 and blue + green > 400, ("throughput lines", blue, green)
for name, c in (("max red", (0xc6, 0x28, 0x28)), ("phase band", (0xe3, 0xec, 0xf7))):
    assert near(c) > 150, (name, near(c))
print(f"ok: screenshot {w}x{h}, {ink:.0%} ink, {len(colours)} colours, series and phases drawn")
if keep:
    small = img.crop((0, 0, w, min(h, 1560))).resize((640, min(h, 1560) * 640 // w),
                                                      Image.LANCZOS)
    small.quantize(colors=128, method=Image.Quantize.FASTOCTREE).save(keep, optimize=True)
    print(f"ok: kept {keep}")
PY
  fail "the page does not show the run (above)"

# a path that cannot be written is bad usage, named, before anything runs
set +e
"$KENGINE" "$TMP/report.lua" -b "$BROKERS" --html "$TMP/no/such/dir/r.html" -q 2>"$TMP/bad.err"
rc=$?
set -e
expect_eq "$rc" 2 "an unwritable --html path: exit"
grep -q "^kengine: $TMP/no/such/dir/r.html: cannot open for writing: No such file or directory$" \
  "$TMP/bad.err" || fail "unwritable path: $(cat "$TMP/bad.err")"
