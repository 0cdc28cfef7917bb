#!/usr/bin/env bash
# test_kubernetes.sh: the manifests of deploy/kubernetes agree with each
# other and with kengine: the workers Job is Indexed with parallelism =
# completions = the workers= it passes; both Jobs run the same image with
# the same brokers, name only environment variables kengine reads, and the
# report Job reports the run id the workers get (their Job's name); the
# workload a worker runs exists; failed pods are not retried (a retried
# worker would claim its index twice). No cluster needed.
source "$(dirname "$0")/lib.sh"
python3 - deploy/kubernetes/workers-job.yaml deploy/kubernetes/report-job.yaml src/cli/run.c src/cli/report.c <<'PY'
import re, sys, os
import yaml

def fail(msg):
    print("FAIL: " + msg, file=sys.stderr)
    sys.exit(1)

def ok(msg):
    print("ok: " + msg)

workers, report = (yaml.safe_load(open(p)) for p in sys.argv[1:3])
main_c = "".join(open(p).read() for p in sys.argv[3:])  # where kengine reads its environment

for doc, name in ((workers, "workers"), (report, "report")):
    if doc.get("kind") != "Job" or doc.get("apiVersion") != "batch/v1":
        fail(f"{name}: not a batch/v1 Job")
    spec = doc["spec"]
    if spec.get("backoffLimit") != 0 or spec["template"]["spec"].get("restartPolicy") != "Never":
        fail(f"{name}: failed pods must not be retried (backoffLimit 0, restartPolicy Never)")
ok("both are batch/v1 Jobs, never retried")

ws = workers["spec"]
if ws.get("completionMode") != "Indexed":
    fail("workers: completionMode is not Indexed")
n = ws.get("completions")
if not isinstance(n, int) or n < 1 or ws.get("parallelism") != n:
    fail(f"workers: parallelism {ws.get('parallelism')} != completions {n}")
wc, = ws["template"]["spec"]["containers"]
rc, = report["spec"]["template"]["spec"]["containers"]
args = wc["args"]
wargs = [a for a in args if a.startswith("workers=")]
if wargs != [f"workers={n}"]:
    fail(f"workers: args {args} do not pass workers={n}")
ok(f"Indexed Job of {n} pods passing workers={n}")
if not os.path.exists(args[0]):
    fail(f"workers: workload {args[0]} is not in the repo")
if wc["image"] != rc["image"]:
    fail(f"images differ: {wc['image']} / {rc['image']}")
ok(f"one image: {wc['image']}")

def env(c):
    return {e["name"]: e for e in c.get("env", [])}
we, re_ = env(wc), env(rc)
# kengine reads these (main.c, report_cmd.c); JOB_COMPLETION_INDEX comes
# from Kubernetes itself
for name in list(we) + list(re_):
    if f'getenv("{name}")' not in main_c:
        fail(f"env {name} is not read by kengine")
    if not re.fullmatch(r"KENGINE_[A-Z_]+", name):
        fail(f"env {name}: not a kengine variable")
if "JOB_COMPLETION_INDEX" not in main_c:
    fail("kengine does not read JOB_COMPLETION_INDEX")
if we["KENGINE_BROKERS"].get("value") != re_["KENGINE_BROKERS"].get("value"):
    fail("the two Jobs name different brokers")
ok("same brokers, env names kengine reads")
rid = we["KENGINE_RUN_ID"]["valueFrom"]["fieldRef"]["fieldPath"]
if rid != "metadata.labels['job-name']":
    fail(f"workers: run id from {rid}, not the Job's name")
rargs = rc["args"]
if rargs[0] != "report" or rargs[1] != workers["metadata"]["name"]:
    fail(f"report: args {rargs} do not report run {workers['metadata']['name']}")
if "--wait" not in rargs:
    fail("report: no --wait for the workers to finish")
ok(f"report Job reports run {rargs[1]}, the workers Job's name")
PY
