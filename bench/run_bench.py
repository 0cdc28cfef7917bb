#!/usr/bin/env python3
"""kengine benchmarks: every figure of BENCHMARKS.md in one run.

Run through scripts/bench.sh (which builds kengine, makes the venv with
confluent-kafka and calls this). Starts a standalone embedded broker
(`kengine broker`) and a real Kafka (scripts/kafka.sh, own state dir), runs
each section's tools round-robin (tool A run 1, tool B run 1, ..., then run 2
...), writes raw runs to bench/results/<date>.json, the medians table to
bench/results/<date>.md, the chart to bench/results/chart.svg and (full runs
only) the table into BENCHMARKS.md between its bench:begin/end markers.
"""
import argparse
import datetime
import json
import math
import os
import platform
import re
import shutil
import signal
import statistics
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BENCH = os.path.join(ROOT, "bench")
RATES = [10000, 50000, 100000]
# data that does not repeat: at most this many distinct rows, and the
# partitions of the topic they are consumed from
DISTINCT_MAX = 300000
# A consume batch takes 10-60 ms here; a fetch stall made one take 0.4-1 s
# (librdkafka 2.0.2 waits up to a second before it fetches again, see
# src/kafka/consumer.c). The slowest batch of any kengine consume run must
# stay under this, in the targets.
STALL_S = 0.25
DISTINCT_PARTITIONS = 128


def log(*a):
    print("bench:", *a, file=sys.stderr, flush=True)


def run(cmd, timeout=900, stdout_file=None, env=None):
    """Run cmd; return dict(rc, wall, out, err, rss_kb)."""
    tcmd = ["/usr/bin/time", "-f", "__RSS_KB__ %M"] + cmd
    load = loadavg()
    t0 = time.perf_counter()
    out = open(stdout_file, "wb") if stdout_file else subprocess.PIPE
    try:
        p = subprocess.Popen(tcmd, stdout=out, stderr=subprocess.PIPE, cwd=ROOT,
                             env=env, start_new_session=True)
        try:
            o, e = p.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            os.killpg(p.pid, signal.SIGKILL)
            o, e = p.communicate()
            e = (e or b"") + b"\nbench: TIMEOUT"
        rc = p.returncode
    finally:
        if stdout_file:
            out.close()
    wall = time.perf_counter() - t0
    e = (e or b"").decode("utf-8", "replace")
    m = re.search(r"__RSS_KB__ (\d+)", e)
    rss = int(m.group(1)) if m else None
    e = re.sub(r"__RSS_KB__ \d+\n?", "", e)
    return {"rc": rc, "wall": wall, "load1": load, "out": (o or b"").decode("utf-8", "replace")
            if not stdout_file else "", "err": e, "rss_kb": rss}


def warm_file(path):
    """Reads a file once, outside any timing. This VM's page cache loses
    pages even with 23 GiB free (of a 93 MB file read a minute before, 57 MB
    were still cached), and its disk gives 6-25 MB/s: without this the first
    tool of a section reads from disk and the ones after it from memory."""
    with open(path, "rb") as f:
        while f.read(1 << 20):
            pass


def slowest_batch(path):
    """The longest consume batch (seconds) in a kengine run's NDJSON: a fetch
    stall shows here even when the medians of whole runs hide it."""
    worst = None
    try:
        with open(path) as f:
            for line in f:
                if '"consume_batch"' not in line:
                    continue
                s = json.loads(line).get("seconds")
                if s is not None and (worst is None or s > worst):
                    worst = s
    except (OSError, ValueError):
        return None
    return worst


def loadavg():
    """1-minute load average before a command: others' work on the same
    cores shows up here (the machine is shared)."""
    try:
        with open("/proc/loadavg") as f:
            return float(f.read().split()[0])
    except (OSError, ValueError, IndexError):
        return None


def last_json(text, key="type", value="summary"):
    for line in reversed(text.splitlines()):
        line = line.strip()
        if line.startswith("{"):
            try:
                d = json.loads(line)
            except ValueError:
                continue
            if value is None or d.get(key) == value:
                return d
    return None


class Bench:
    def __init__(self, a):
        self.a = a
        self.kengine = os.path.join(ROOT, a.build, "kengine")
        self.py = os.path.join(BENCH, ".venv", "bin", "python")
        self.libs = a.kafka_libs
        self.results = []
        self.tmp = a.tmp
        os.makedirs(self.tmp, exist_ok=True)
        self.payload = os.path.join(self.tmp, "payload-%d.json" % a.records)
        # data that does not repeat: rows of their own (bench/gen_distinct.py)
        self.distinct_n = min(a.records, DISTINCT_MAX)
        self.distinct_csv = os.path.join(self.tmp, "distinct-%d.csv" % self.distinct_n)
        self.payload_distinct = os.path.join(self.tmp, "payload-distinct-%d.json" % self.distinct_n)
        self.mock_proc = None
        self.kafka_started = False
        self.brokers = {}
        self.groups_warm = {}  # broker -> a consumer group has read from it

    # ----------------------------------------------------------- brokers --
    def mock_partitions(self):
        # ~308 B a record, the mock keeps ~5 MiB a partition, and the
        # sticky partitioner fills partitions unevenly (some get 50x the
        # records of others): plan 1.5 MiB a partition.
        return max(4, math.ceil(self.a.records * 320 / (1.5 * (1 << 20))))

    def start_mock(self):
        P = self.mock_partitions()
        topics = ["cons:%d" % P, "dcons:%d" % DISTINCT_PARTITIONS]
        for r in range(1, self.a.runs + 1):
            topics += ["hook_off_r%d:%d" % (r, P), "hook_on_r%d:%d" % (r, P)]
            topics += ["lat%d_r%d:%d" % (rate, r, P) for rate in RATES]
        cmd = [self.kengine, "broker"]
        for t in topics:
            cmd += ["--topic", t]
        self.mock_err = open(os.path.join(self.tmp, "mock.err"), "wb")
        self.mock_proc = subprocess.Popen(cmd, stdout=subprocess.PIPE,
                                          stderr=self.mock_err, cwd=ROOT,
                                          start_new_session=True)
        addr = self.mock_proc.stdout.readline().decode().strip()
        if not re.match(r"^[\w.\-]+:\d+$", addr):
            raise SystemExit("kengine broker did not print an address")
        log("embedded broker at", addr, "(pid %d, %d topics)" % (self.mock_proc.pid, len(topics)))
        self.brokers["mock"] = addr

    def kafka_env(self):
        env = dict(os.environ)
        env["KENGINE_KAFKA_STATE"] = self.a.kafka_state
        if self.a.kafka_heap:
            env["KENGINE_KAFKA_HEAP"] = self.a.kafka_heap
        return env

    def start_kafka(self):
        p = subprocess.run([os.path.join(ROOT, "scripts", "kafka.sh"), "start"],
                           cwd=ROOT, env=self.kafka_env(), stdout=subprocess.PIPE)
        addr = p.stdout.decode().strip().splitlines()[-1] if p.returncode == 0 else ""
        if not addr:
            raise SystemExit("scripts/kafka.sh start failed")
        self.kafka_started = True
        log("real Kafka at", addr)
        self.brokers["kafka"] = addr

    def stop(self):
        if self.mock_proc and self.mock_proc.poll() is None:
            self.mock_proc.send_signal(signal.SIGTERM)
            try:
                self.mock_proc.wait(20)
            except subprocess.TimeoutExpired:
                self.mock_proc.kill()
        if self.kafka_started:
            subprocess.run([os.path.join(ROOT, "scripts", "kafka.sh"), "stop"],
                           cwd=ROOT, env=self.kafka_env())
            self.kafka_started = False

    # ----------------------------------------------------------- helpers --
    def record(self, section, tool, broker, run_no, res, **fig):
        d = {"section": section, "tool": tool, "broker": broker, "run": run_no,
             "rc": res["rc"], "wall_s": round(res["wall"], 4), "load1": res.get("load1"),
             "max_rss_mb": round(res["rss_kb"] / 1024, 2) if res["rss_kb"] else None}
        d.update(fig)
        if res["rc"] != 0:
            d["error"] = res["err"][-600:]
        self.results.append(d)
        log("%-8s %-6s %-22s run %d: %s" % (section, broker, tool, run_no,
            ", ".join("%s=%s" % (k, v) for k, v in fig.items() if not isinstance(v, dict))
            + ("" if res["rc"] == 0 else "  rc=%d %s" % (res["rc"], res["err"].strip()[-300:]))))
        return d

    def ke(self, broker, args, json_file, in_process=False):
        # in_process: kengine's own embedded broker (no -b), where the
        # producer may run at most 3 MiB ahead of the consumer: lossless.
        cmd = [self.kengine] + args + ([] if in_process else ["-b", self.brokers[broker]]) + [
            "-q", "--json", json_file]
        res = run(cmd, timeout=self.a.timeout)
        try:
            with open(json_file) as f:
                s = last_json(f.read())
        except OSError:
            s = None
        return res, s or {}

    def jf(self, name):
        return os.path.join(self.tmp, name + ".ndjson")

    def java(self, cls, args):
        return ["java", "-Xmx1g", "-cp", os.path.join(self.libs, "*"),
                "-Dlog4j2.configurationFile=" + os.path.join(self.tmp, "log4j2-warn.properties"),
                cls] + args

    # ---------------------------------------------------------- sections --
    def produce(self, broker, r):
        N, A = self.a.records, self.brokers[broker]
        # kengine
        t = "prod_kengine_r%d" % r
        res, s = self.ke(broker, ["lua/seed.lua", "consume=false", "topic=" + t,
                                  "records=%d" % N], self.jf("%s_%s" % (broker, t)))
        ps = s.get("produce_seconds") or 0
        self.record("produce", "kengine", broker, r, res, records=N,
                    tool_seconds=ps, tool_msgs_per_sec=round(s.get("delivered", 0) / ps, 1) if ps else None,
                    msgs_per_sec=round(s.get("delivered", 0) / res["wall"], 1),
                    delivered=s.get("delivered"), peak_rss_mb=s.get("peak_rss_mb"))
        # kcat
        t = "prod_kcat_r%d" % r
        res = run(["kcat", "-P", "-b", A, "-t", t, "-l", self.payload], timeout=self.a.timeout)
        self.record("produce", "kcat", broker, r, res, records=N,
                    msgs_per_sec=round(N / res["wall"], 1) if res["rc"] == 0 else None)
        # Kafka's ProducerPerformance (Java 4.x clients can't talk to the
        # 2.0.2 mock: it answers Metadata only up to v2, they need v4+)
        if broker == "kafka":
            t = "prod_perf_r%d" % r
            res = run(self.java("org.apache.kafka.tools.ProducerPerformance",
                                ["--topic", t, "--payload-file", self.payload,
                                 "--num-records", str(N), "--throughput", "-1",
                                 "--producer-props", "bootstrap.servers=" + A]),
                      timeout=self.a.timeout)
            m = re.findall(r"(\d+) records sent, ([\d.]+) records/sec", res["out"])
            tool = float(m[-1][1]) if m else None
            self.record("produce", "ProducerPerformance", broker, r, res, records=N,
                        tool_msgs_per_sec=tool,
                        msgs_per_sec=round(N / res["wall"], 1) if res["rc"] == 0 else None)
        # the seed producer, fixed
        t = "prod_seed_r%d" % r
        res = run([self.py, "bench/seed_producer.py", "-b", A, "-t", t,
                   "--records", str(N), "--format", "json", "-q"], timeout=self.a.timeout)
        s = last_json(res["out"], "tool", "seed_producer") or {}
        self.record("produce", "seed_producer.py", broker, r, res, records=N,
                    tool_seconds=s.get("produce_seconds"), tool_msgs_per_sec=s.get("msgs_per_sec"),
                    msgs_per_sec=round(s.get("delivered", 0) / res["wall"], 1))

    def fill_topic(self, broker, topic, n, args, what="records"):
        """Fills `topic` with n records by kengine (consume=false, ARGS added;
        not a measured run), then counts them once with kcat: every consumer
        of a section must find all n."""
        res, s = self.ke(broker, ["lua/seed.lua", "consume=false", "topic=" + topic,
                                  "records=%d" % n] + args,
                         self.jf("%s_%s_fill" % (broker, topic)))
        if res["rc"] != 0 or s.get("delivered") != n:
            raise SystemExit("could not fill topic %s on %s: %s" % (topic, broker, res["err"][-400:]))
        p = subprocess.run("kcat -C -b %s -t %s -o beginning -e -q -f '.' | wc -c"
                           % (self.brokers[broker], topic), shell=True, stdout=subprocess.PIPE)
        got = int(p.stdout.decode().strip() or 0)
        if got != n:
            raise SystemExit("topic %s on %s holds %d of %d records (dropped by the broker?)"
                             % (topic, broker, got, n))
        log("filled topic", topic, "on", broker, "with", n, what, "(counted)")
        # The first consumer group on a fresh Kafka creates __consumer_offsets:
        # start-up that would be charged to whichever tool uses a group first
        # (kengine, run 1). One group read before any measured run.
        if not self.groups_warm.get(broker):
            res, _ = self.ke(broker, ["lua/seed.lua", "produce=false", "consume=true",
                                      "topic=" + topic, "records=1", "group=kg_warmup"],
                             self.jf("%s_warmup" % broker))
            self.groups_warm[broker] = res["rc"] == 0

    def warm_topic(self, broker, topic):
        """Before each measured consume on Kafka: one read of the topic by
        kcat, not timed, so every tool finds the broker's log in its page
        cache (see warm_file: otherwise the first tool after a while reads
        it from disk, 16 s instead of 0.8 s for 97 MB once)."""
        if broker == "kafka":
            run(["kcat", "-C", "-b", self.brokers[broker], "-t", topic, "-o", "beginning",
                 "-e", "-q"], timeout=self.a.timeout, stdout_file="/dev/null")

    def consume_kengine(self, section, broker, r, topic, n, group, name):
        """One measured kengine consume-only run of n records with word
        metrics (a fresh group), recorded under `section`."""
        jf = self.jf(name)
        self.warm_topic(broker, topic)
        res, s = self.ke(broker, ["lua/seed.lua", "produce=false", "consume=true",
                                  "topic=" + topic, "records=%d" % n, "group=" + group], jf)
        cs = s.get("consume_seconds") or 0
        self.record(section, "kengine", broker, r, res, records=n,
                    slowest_batch_s=slowest_batch(jf),
                    consumed=s.get("consumed"), words=s.get("words"),
                    unique_words_total=s.get("unique_words_total"), tool_seconds=cs,
                    tool_msgs_per_sec=round(s.get("consumed", 0) / cs, 1) if cs else None,
                    msgs_per_sec=round((s.get("consumed") or 0) / res["wall"], 1),
                    cpu_percent=s.get("cpu_percent"), peak_rss_mb=s.get("peak_rss_mb"))

    def consume_kcat(self, section, broker, r, topic, n):
        """One measured `kcat -C` of the whole topic to /dev/null."""
        self.warm_topic(broker, topic)
        res = run(["kcat", "-C", "-b", self.brokers[broker], "-t", topic, "-o", "beginning",
                   "-e", "-q"], timeout=self.a.timeout, stdout_file="/dev/null")
        self.record(section, "kcat -C", broker, r, res, records=n,
                    msgs_per_sec=round(n / res["wall"], 1) if res["rc"] == 0 else None)

    def prepare_consume(self, broker):
        # even spread over the mock's partitions (it drops what exceeds
        # ~5 MiB in one)
        self.fill_topic(broker, "cons", self.a.records, ["partitions=1"]
                        + (["producer.sticky.partitioning.linger.ms=0"] if broker == "mock" else []))

    def consume(self, broker, r):
        N, A = self.a.records, self.brokers[broker]
        self.consume_kengine("consume", broker, r, "cons", N, "kg_%s_r%d" % (broker, r),
                             "%s_cons_kengine_r%d" % (broker, r))
        self.consume_kcat("consume", broker, r, "cons", N)
        if broker == "kafka":
            self.warm_topic(broker, "cons")
            res = run(self.java("org.apache.kafka.tools.ConsumerPerformance",
                                ["--bootstrap-server", A, "--topic", "cons",
                                 "--messages", str(N), "--group", "perf_r%d" % r]),
                      timeout=self.a.timeout)
            tool = None
            lines = [l for l in res["out"].splitlines() if l.count(",") >= 5]
            if len(lines) >= 2:
                hdr = [h.strip() for h in lines[0].split(",")]
                val = [v.strip() for v in lines[-1].split(",")]
                try:
                    tool = float(val[hdr.index("nMsg.sec")])
                    got = int(float(val[hdr.index("data.consumed.in.nMsg")]))
                except (ValueError, IndexError):
                    got = None
            else:
                got = None
            self.record("consume", "ConsumerPerformance", broker, r, res, records=N,
                        consumed=got, tool_msgs_per_sec=tool,
                        msgs_per_sec=round((got or 0) / res["wall"], 1))
        self.warm_topic(broker, "cons")
        res = run([self.py, "bench/seed_consumer.py", "-b", A, "-t", "cons",
                   "-g", "seed_%s_r%d" % (broker, r), "--records", str(N), "-q"],
                  timeout=self.a.timeout)
        s = last_json(res["out"], "tool", "seed_consumer") or {}
        self.record("consume", "seed_consumer.py", broker, r, res, records=N,
                    consumed=s.get("consumed"), words=s.get("words"),
                    tool_seconds=s.get("consume_seconds"), tool_msgs_per_sec=s.get("msgs_per_sec"),
                    msgs_per_sec=round((s.get("consumed") or 0) / res["wall"], 1),
                    cpu_percent=s.get("cpu_percent"))

    def prepare_consume_distinct(self, broker):
        """Topic `dcons`: DISTINCT_PARTITIONS partitions holding the distinct
        rows, spread evenly (sticky partitioning off)."""
        self.fill_topic(broker, "dcons", self.distinct_n,
                        ["csv=" + self.distinct_csv, "partitions=%d" % DISTINCT_PARTITIONS,
                         "producer.sticky.partitioning.linger.ms=0"], "distinct records")

    def consume_distinct(self, broker, r):
        """Consume with word metrics on data that never repeats (the memo
        stands aside, the run's distinct set grows with the records), many
        partitions; beside kcat -C on the same topic."""
        N = self.distinct_n
        self.consume_kengine("consume_distinct", broker, r, "dcons", N, "kgd_%s_r%d" % (broker, r),
                             "%s_dcons_kengine_r%d" % (broker, r))
        self.consume_kcat("consume_distinct", broker, r, "dcons", N)

    def words_distinct(self, r):
        self.words(r, self.payload_distinct, "words_distinct")

    def words(self, r, f=None, section="words"):
        f = f or self.payload
        mb = os.path.getsize(f) / 1e6
        warm_file(f)
        res = run([self.kengine, "words", "--batch", "10000", f], timeout=self.a.timeout)
        m = re.search(r"total: (\d+) messages, (\d+) words", res["out"])
        self.record(section, "kengine words", "-", r, res, messages=int(m.group(1)) if m else None,
                    words=int(m.group(2)) if m else None, mb_per_sec=round(mb / res["wall"], 1))
        warm_file(f)
        res = run([sys.executable, "tests/unit/words_reference.py", "--batch", "10000", f],
                  timeout=self.a.timeout)
        m = re.search(r"total: (\d+) messages, (\d+) words", res["out"])
        self.record(section, "python split/set", "-", r, res, messages=int(m.group(1)) if m else None,
                    words=int(m.group(2)) if m else None, mb_per_sec=round(mb / res["wall"], 1))
        warm_file(f)
        res = run(["wc", "-w", f], timeout=self.a.timeout)
        m = re.match(r"\s*(\d+)", res["out"])
        self.record(section, "wc -w", "-", r, res, words=int(m.group(1)) if m else None,
                    mb_per_sec=round(mb / res["wall"], 1))

    def latency(self, broker, r):
        for rate in RATES:
            n = rate * self.a.latency_seconds
            t = "lat%d_r%d" % (rate, r)
            res, s = self.ke(broker, ["lua/seed.lua", "topic=" + t, "rate=%d" % rate,
                                      "records=%d" % n, "group=g" + t],
                             self.jf("%s_%s" % (broker, t)))
            lat = s.get("latency_ms") or {}
            self.record("latency", "kengine rate=%dk" % (rate // 1000), broker, r, res,
                        rate=rate, records=n, consumed=s.get("consumed"), lost=s.get("lost"),
                        p50_ms=lat.get("p50"), p99_ms=lat.get("p99"), max_ms=lat.get("max"),
                        achieved_msgs_per_sec=round(s.get("delivered", 0) / s["produce_seconds"], 1)
                        if s.get("produce_seconds") else None)

    def rss(self, broker, r):
        for n in self.a.rss_records:
            t = "rss%d_r%d" % (n, r)
            res, s = self.ke(broker, ["lua/seed.lua", "consume=false", "topic=" + t,
                                      "records=%d" % n], self.jf("%s_%s" % (broker, t)))
            self.record("rss", "kengine %s" % human(n), broker, r, res, records=n,
                        delivered=s.get("delivered"), peak_rss_mb=s.get("peak_rss_mb"))

    def hook(self, broker, r):
        """The cost of an on_batch hook: the same consume-only run over the
        pre-filled `cons` topic (the consume section's), with and without a
        trivial hook, twice per run in alternating order, so that the only
        difference is the hook (200 calls per million records)."""
        N = self.a.records
        pair = [("without hook", "lua/seed.lua"), ("with on_batch hook", "bench/hook.lua")]
        for k in range(2):
            for name, script in (pair if (r + k) % 2 else pair[::-1]):
                g = "hook_%s_r%d_%d" % ("on" if "with " in name else "off", r, k)
                res, s = self.ke(broker, [script, "produce=false", "consume=true", "topic=cons",
                                          "records=%d" % N, "group=" + g],
                                 self.jf("%s_%s" % (broker, g)))
                cs = s.get("consume_seconds") or 0
                self.record("hook", "kengine " + name, broker, r, res, records=N,
                            consumed=s.get("consumed"), lost=s.get("lost"),
                            tool_msgs_per_sec=round(s.get("consumed", 0) / cs, 1) if cs else None,
                            msgs_per_sec=round((s.get("consumed") or 0) / res["wall"], 1))

    # -------------------------------------------------------------- main --
    def main(self):
        a = self.a
        with open(os.path.join(self.tmp, "log4j2-warn.properties"), "w") as f:
            f.write("status = warn\nappender.out.type = Console\nappender.out.name = E\n"
                    "appender.out.target = SYSTEM_ERR\nappender.out.layout.type = PatternLayout\n"
                    "appender.out.layout.pattern = %p %m (%c)%n\nrootLogger.level = warn\n"
                    "rootLogger.appenderRef.out.ref = E\n")
        if not os.path.exists(self.payload) or os.path.getsize(self.payload) == 0:
            log("generating", self.payload)
            with open(self.payload + ".tmp", "wb") as f:
                subprocess.run([sys.executable, "tests/unit/csv_reference.py", "sample.csv",
                                "--format", "json", "--records", str(a.records)],
                               cwd=ROOT, stdout=f, check=True)
            os.rename(self.payload + ".tmp", self.payload)
        distinct = {"consume_distinct", "words_distinct"} & set(a.sections)
        if distinct and not os.path.exists(self.distinct_csv):
            log("generating", self.distinct_csv)
            subprocess.run([sys.executable, "bench/gen_distinct.py", "--rows",
                            str(self.distinct_n), "sample.csv", self.distinct_csv + ".tmp"],
                           cwd=ROOT, check=True)
            os.rename(self.distinct_csv + ".tmp", self.distinct_csv)
        if distinct and not os.path.exists(self.payload_distinct):
            with open(self.payload_distinct + ".tmp", "wb") as f:
                subprocess.run([sys.executable, "tests/unit/csv_reference.py", self.distinct_csv,
                                "--format", "json", "--records", str(self.distinct_n)],
                               cwd=ROOT, stdout=f, check=True)
            os.rename(self.payload_distinct + ".tmp", self.payload_distinct)
        started = time.time()
        try:
            if "mock" in a.brokers:
                self.start_mock()
            if "kafka" in a.brokers:
                self.start_kafka()
            sections = a.sections
            if "consume" in sections:
                for b in a.brokers:
                    self.prepare_consume(b)
            if "consume_distinct" in sections:
                for b in a.brokers:
                    self.prepare_consume_distinct(b)
            for r in range(1, a.runs + 1):
                log("=== run %d of %d ===" % (r, a.runs))
                if "words" in sections:
                    self.words(r)
                if "words_distinct" in sections:
                    self.words_distinct(r)
                for b in a.brokers:
                    for sec in ("produce", "consume", "consume_distinct", "latency", "rss", "hook"):
                        if sec in sections:
                            getattr(self, sec)(b, r)
        finally:
            self.stop()
        self.elapsed = time.time() - started
        return self.write()

    # ----------------------------------------------------------- reports --
    def write(self):
        a = self.a
        os.makedirs(a.results_dir, exist_ok=True)
        stamp = datetime.datetime.now().strftime("%Y-%m-%dT%H%M")
        base = stamp + ("-quick" if a.quick else "")
        machine = machine_info(self)
        doc = {"date": stamp, "quick": a.quick, "runs": a.runs, "records": a.records,
               "elapsed_s": round(self.elapsed, 1), "brokers": self.brokers,
               "machine": machine, "args": vars(a), "results": self.results}
        jpath = os.path.join(a.results_dir, base + ".json")
        with open(jpath, "w") as f:
            json.dump(doc, f, indent=1)
        md = render_markdown(doc)
        mpath = os.path.join(a.results_dir, base + ".md")
        with open(mpath, "w") as f:
            f.write(md)
        svg = render_svg(doc)
        chart = "chart.svg" if not (a.quick or a.no_update_doc) else "chart-%s.svg" % base
        with open(os.path.join(a.results_dir, chart), "w") as f:
            f.write(svg)
        if not a.quick and not a.no_update_doc:
            update_doc(os.path.join(ROOT, "BENCHMARKS.md"), md, base)
        log("wrote", jpath, "and", mpath, "in %.0f s" % self.elapsed)
        print(md)
        return 0


def human(n):
    return ("%gM" % (n / 1e6)) if n >= 1e6 else ("%gk" % (n / 1e3))


def sh(cmd):
    try:
        return subprocess.run(cmd, shell=True, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                              cwd=ROOT, timeout=30).stdout.decode(errors="replace").strip()
    except Exception as e:  # noqa
        return "?"


def machine_info(b):
    cpu = "?"
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    mem = "?"
    try:
        with open("/proc/meminfo") as f:
            kb = int(f.readline().split()[1])
            mem = "%.1f GiB" % (kb / 1048576)
    except (OSError, ValueError):
        pass
    return {
        "nproc": os.cpu_count(), "cpu": cpu, "ram": mem, "kernel": platform.release(),
        "os": sh("grep PRETTY_NAME /etc/os-release | cut -d= -f2 | tr -d '\"'"),
        "kengine": sh("%s -V | tr '\\n' ' '" % b.kengine),
        "kengine_git": sh("git rev-parse --short HEAD") + (" (dirty)" if sh("git status --porcelain src CMakeLists.txt") else ""),
        "kcat": sh("kcat -V 2>&1 | grep -i -m2 'version' | tr '\\n' ' '"),
        "java": sh("java -version 2>&1 | head -1"),
        "kafka": "4.1.1 (scripts/kafka.sh, single KRaft node)",
        "python": sh("%s -V" % b.py),
        "confluent_kafka": sh("%s -c 'import confluent_kafka as c; print(c.version()[0], \"librdkafka\", c.libversion()[0])'" % b.py),
        "wc": sh("wc --version | head -1"),
    }


def med(vals):
    vals = [v for v in vals if isinstance(v, (int, float))]
    return statistics.median(vals) if vals else None


def fmt(v, d=0):
    if v is None:
        return "n/a"
    if isinstance(v, float) and d == 0:
        return "{:,.0f}".format(v)
    return "{:,.{d}f}".format(v, d=d)


def medians(doc):
    """{(section, broker, tool): {field: median}} with n ok runs."""
    groups = {}
    for r in doc["results"]:
        groups.setdefault((r["section"], r["broker"], r["tool"]), []).append(r)
    out = {}
    for k, rs in groups.items():
        ok = [r for r in rs if r["rc"] == 0]
        fields = {}
        for f in ("msgs_per_sec", "tool_msgs_per_sec", "wall_s", "tool_seconds", "mb_per_sec",
                  "p50_ms", "p99_ms", "max_ms", "peak_rss_mb", "max_rss_mb", "cpu_percent",
                  "achieved_msgs_per_sec"):
            fields[f] = med([r.get(f) for r in ok])
        fields["ok"] = len(ok)
        fields["n"] = len(rs)
        out[k] = fields
    return out


def ratio(a, b):
    return (a / b) if (a and b) else None


def targets(doc, M):
    """List of (broker, target, figure, met) rows."""
    rows = []
    for b in doc["brokers"]:
        g = lambda s, t, f="msgs_per_sec": (M.get((s, b, t)) or {}).get(f)  # noqa
        ke, kc, sp = g("produce", "kengine"), g("produce", "kcat"), g("produce", "seed_producer.py")
        r = ratio(ke, kc)
        rows.append((b, "produce ≥ 1.0x kcat -P (aim 1.3x), wall msgs/s", r, r is not None and r >= 1.0))
        r = ratio(ke, sp)
        rows.append((b, "produce ≥ 10x seed producer, wall msgs/s", r, r is not None and r >= 10))
        kc2, kk = g("consume", "kengine"), g("consume", "kcat -C")
        r = ratio(kc2, kk)
        rows.append((b, "consume with metrics ≥ 1.3x kcat -C (replicated rows), wall msgs/s", r,
                     r is not None and r >= 1.3))
        r = ratio(g("consume_distinct", "kengine"), g("consume_distinct", "kcat -C"))
        rows.append((b, "consume with metrics ≥ 1.0x kcat -C (distinct rows, %d partitions), wall msgs/s"
                     % DISTINCT_PARTITIONS, r, r is not None and r >= 1.0))
        sb = [x["slowest_batch_s"] for x in doc["results"]
              if x["broker"] == b and x["tool"] == "kengine" and x.get("slowest_batch_s") is not None
              and x["section"] in ("consume", "consume_distinct")]
        r = max(sb) if sb else None
        rows.append((b, "no consume stall: slowest batch of any kengine consume run ≤ %.2f s" % STALL_S,
                     r, r is not None and r <= STALL_S))
        small, big = sorted(doc["args"]["rss_records"])
        rs, rb = g("rss", "kengine %s" % human(small), "max_rss_mb"), g("rss", "kengine %s" % human(big), "max_rss_mb")
        r = ratio(rb, rs)
        rows.append((b, "RSS(%s) ≤ 1.25x RSS(%s)" % (human(big), human(small)), r, r is not None and r <= 1.25))
        hon, hoff = g("hook", "kengine with on_batch hook", "tool_msgs_per_sec"), g("hook", "kengine without hook", "tool_msgs_per_sec")
        r = (1 - hon / hoff) if (hon and hoff) else None
        rows.append((b, "on_batch hook cost < 2% (consume msgs/s)", r, r is not None and r < 0.02))
    w = lambda t: (M.get(("words", "-", t)) or {}).get("wall_s")  # noqa
    kw, pw, ww = w("kengine words"), w("python split/set"), w("wc -w")
    r = ratio(pw, kw)
    rows.append(("-", "kengine words ≥ 10x Python split/set", r, r is not None and r >= 10))
    r = ratio(ww, kw)
    rows.append(("-", "kengine words faster than wc -w", r, r is not None and r > 1))
    w = lambda t: (M.get(("words_distinct", "-", t)) or {}).get("wall_s")  # noqa
    kw, pw, ww = w("kengine words"), w("python split/set"), w("wc -w")
    r = ratio(pw, kw)
    rows.append(("-", "kengine words ≥ 8x Python split/set (distinct lines)", r, r is not None and r >= 8))
    r = ratio(ww, kw)
    rows.append(("-", "kengine words ≥ 2x wc -w (distinct lines)", r, r is not None and r >= 2))
    return rows


BROKER_NAME = {"mock": "embedded broker (kengine broker)", "kafka": "Kafka 4.1.1", "-": "no broker"}


def render_markdown(doc):
    M = medians(doc)
    L = []
    L.append("Run %s: %d run(s) per figure, %s records, medians; %s; took %.0f min.\n" % (
        doc["date"], doc["runs"], "{:,}".format(doc["records"]),
        "quick" if doc["quick"] else "full", doc["elapsed_s"] / 60))
    loads = [r["load1"] for r in doc["results"] if r.get("load1") is not None]
    ncpu = (doc.get("machine") or {}).get("nproc") or 1
    if loads and statistics.median(loads) > ncpu:
        L.append("**Warning:** the median 1-minute load average before a command was %.1f on %d "
                 "cores (max %.1f): other work shared the machine, figures are noisy.\n"
                 % (statistics.median(loads), ncpu, max(loads)))
    for b in doc["brokers"]:
        L.append("### %s\n" % BROKER_NAME[b])
        L.append("| section | tool | msgs/s (wall) | tool's own msgs/s | wall s | max RSS MB | ok/runs |")
        L.append("|---|---|--:|--:|--:|--:|--:|")
        for sec in ("produce", "consume", "consume_distinct", "hook"):
            for (s, bb, t), f in M.items():
                if s == sec and bb == b:
                    L.append("| %s | %s | %s | %s | %s | %s | %d/%d |" % (
                        sec, t, fmt(f["msgs_per_sec"]), fmt(f["tool_msgs_per_sec"]),
                        fmt(f["wall_s"], 2), fmt(f["max_rss_mb"], 1), f["ok"], f["n"]))
        L.append("")
        L.append("| latency | achieved msgs/s | p50 ms | p99 ms | max ms | ok/runs |")
        L.append("|---|--:|--:|--:|--:|--:|")
        for (s, bb, t), f in M.items():
            if s == "latency" and bb == b:
                L.append("| %s | %s | %s | %s | %s | %d/%d |" % (
                    t, fmt(f["achieved_msgs_per_sec"]), fmt(f["p50_ms"], 1), fmt(f["p99_ms"], 1),
                    fmt(f["max_ms"], 1), f["ok"], f["n"]))
        L.append("")
        L.append("| peak RSS | max RSS MB (time -v) | summary peak_rss_mb | ok/runs |")
        L.append("|---|--:|--:|--:|")
        for (s, bb, t), f in M.items():
            if s == "rss" and bb == b:
                L.append("| %s | %s | %s | %d/%d |" % (t, fmt(f["max_rss_mb"], 1),
                                                       fmt(f["peak_rss_mb"], 1), f["ok"], f["n"]))
        L.append("")
    for sec, what in (("words", "the payload file (replicated rows)"),
                      ("words_distinct", "the distinct payload (no line twice)")):
        L.append("### word metrics over %s (no broker)\n" % what)
        L.append("| tool | wall s | MB/s | ok/runs |")
        L.append("|---|--:|--:|--:|")
        for (s, bb, t), f in M.items():
            if s == sec:
                L.append("| %s | %s | %s | %d/%d |" % (t, fmt(f["wall_s"], 2),
                                                      fmt(f["mb_per_sec"], 1), f["ok"], f["n"]))
        L.append("")
    L.append("### targets\n")
    L.append("| broker | target | figure | met |")
    L.append("|---|---|--:|---|")
    for b, t, r, met in targets(doc, M):
        figure = ("n/a" if r is None else "%.1f%%" % (100 * r) if "cost" in t
                  else "%.3f s" % r if "stall" in t else "%.2fx" % r)
        L.append("| %s | %s | %s | %s |" % (b, t, figure, "yes" if met else "**no**"))
    L.append("")
    return "\n".join(L)


def render_svg(doc):
    """Horizontal bar chart, one panel per (section, broker), hand-written SVG."""
    M = medians(doc)
    panels = []
    for sec, field, unit in (("produce", "msgs_per_sec", "msgs/s"), ("consume", "msgs_per_sec", "msgs/s")):
        for b in doc["brokers"]:
            bars = [(t, f[field]) for (s, bb, t), f in M.items() if s == sec and bb == b and f[field]]
            if bars:
                panels.append(("%s 1M records — %s (wall-clock msgs/s, higher is better)" % (
                    sec, BROKER_NAME[b]), bars, unit))
    for sec, what in (("words", "the payload file"), ("words_distinct", "distinct lines")):
        bars = [(t, f["mb_per_sec"]) for (s, bb, t), f in M.items() if s == sec and f["mb_per_sec"]]
        if bars:
            panels.append(("word metrics over %s (MB/s, higher is better)" % what, bars, "MB/s"))
    W, label_w, bar_h, gap, title_h = 760, 170, 18, 6, 28
    y = 10
    body = []
    colors = {"kengine": "#d1495b", "kengine words": "#d1495b"}
    for title, bars, unit in panels:
        body.append('<text x="10" y="%d" font-weight="bold">%s</text>' % (y + 16, esc(title)))
        y += title_h
        top = max(v for _, v in bars)
        for t, v in bars:
            w = (W - label_w - 110) * v / top
            c = colors.get(t, "#00798c" if "kcat" in t or "wc" in t else "#8d96a0")
            body.append('<text x="%d" y="%d" text-anchor="end">%s</text>' % (label_w - 6, y + 13, esc(t)))
            body.append('<rect x="%d" y="%d" width="%.1f" height="%d" fill="%s"/>' % (label_w, y, w, bar_h, c))
            body.append('<text x="%.1f" y="%d">%s %s</text>' % (label_w + w + 5, y + 13, fmt(v), unit))
            y += bar_h + gap
        y += 12
    return ('<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" font-family="sans-serif" '
            'font-size="12">\n<rect width="100%%" height="100%%" fill="white"/>\n%s\n'
            '<text x="10" y="%d" fill="#666">kengine bench %s, medians of %d run(s), %s records</text>\n</svg>\n'
            % (W, y + 20, "\n".join(body), y + 10, doc["date"], doc["runs"], "{:,}".format(doc["records"])))


def esc(s):
    return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def update_doc(path, md, base):
    begin, end = "<!-- bench:begin -->", "<!-- bench:end -->"
    if not os.path.exists(path):
        return
    with open(path) as f:
        text = f.read()
    if begin not in text or end not in text:
        return
    pre, rest = text.split(begin, 1)
    _, post = rest.split(end, 1)
    block = "%s\n<!-- generated by scripts/bench.sh from bench/results/%s.json -->\n\n%s\n%s" % (
        begin, base, md, end)
    with open(path, "w") as f:
        f.write(pre + block + post)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--records", type=int, default=1000000)
    ap.add_argument("--quick", action="store_true",
                    help="2 runs, 200,000 records, 2 s per latency rate, RSS at 100k/1M")
    ap.add_argument("--brokers", default="mock,kafka", help="mock,kafka (default both)")
    ap.add_argument("--sections", default="produce,consume,consume_distinct,words,words_distinct,"
                    "latency,rss,hook")
    ap.add_argument("--latency-seconds", type=int, default=10)
    ap.add_argument("--rss-records", default="300000,3000000")
    ap.add_argument("--build", default=os.environ.get("KENGINE_BENCH_BUILD", "build-bench"))
    ap.add_argument("--timeout", type=int, default=900, help="seconds per command")
    ap.add_argument("--results-dir", default=os.path.join(BENCH, "results"))
    ap.add_argument("--tmp", default=os.environ.get("KENGINE_BENCH_TMP", "/tmp/kengine-bench"))
    ap.add_argument("--kafka-state", default=os.environ.get("KENGINE_KAFKA_STATE", "/tmp/kengine-bench/kafka-state"))
    ap.add_argument("--kafka-heap", default=os.environ.get("KENGINE_KAFKA_HEAP", "-Xms512m -Xmx1g"))
    ap.add_argument("--kafka-libs", default=os.path.expanduser("~/.cache/kengine/kafka-4.1.1/libs"))
    ap.add_argument("--no-update-doc", action="store_true")
    ap.add_argument("--render", metavar="JSON", help="only re-render reports from a results file")
    a = ap.parse_args()
    if a.render:
        with open(a.render) as f:
            doc = json.load(f)
        print(render_markdown(doc))
        with open(os.path.join(os.path.dirname(a.render), "chart.svg" if not doc["quick"] else "chart-quick.svg"), "w") as f:
            f.write(render_svg(doc))
        if not doc["quick"] and not a.no_update_doc:
            update_doc(os.path.join(ROOT, "BENCHMARKS.md"), render_markdown(doc), doc["date"])
        return 0
    if a.quick:
        if "--runs" not in sys.argv:
            a.runs = 2
        if "--records" not in sys.argv:
            a.records = 200000
        if "--latency-seconds" not in sys.argv:
            a.latency_seconds = 2
        if "--rss-records" not in sys.argv:
            a.rss_records = "100000,1000000"
    a.rss_records = [int(x) for x in a.rss_records.split(",")]
    a.brokers = [b for b in a.brokers.split(",") if b]
    a.sections = [s for s in a.sections.split(",") if s]
    b = Bench(a)

    def on_signal(sig, _frm):
        b.stop()
        sys.exit(128 + sig)
    signal.signal(signal.SIGTERM, on_signal)
    try:
        return b.main()
    except KeyboardInterrupt:
        b.stop()
        return 130


if __name__ == "__main__":
    sys.exit(main())
