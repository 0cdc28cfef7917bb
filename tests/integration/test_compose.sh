#!/usr/bin/env bash
# test_compose.sh: static checks of docker-compose.yaml and Dockerfile.
# Docker can't run where the tests run, so this checks what can be checked
# without it: the compose file parses as YAML; it has a `kafka` service on
# the official apache/kafka image configured as one combined KRaft
# broker+controller that other containers reach at kafka:9092, and a
# `kengine` service built from a Dockerfile that exists; everything the
# Dockerfile COPYs and the script it runs (lua/seed.lua, and the CSV that
# script reads) exist in the repo and are not excluded by .dockerignore.
# Runs `docker compose config -q` too when the compose plugin is present.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

echo "checking docker-compose.yaml and Dockerfile in $ROOT"

# PyYAML comes with the test packages (scripts/deps.sh test: python3-yaml).
PY=python3
"$PY" -c 'import yaml' 2>/dev/null ||
  fail "python3 has no PyYAML (scripts/deps.sh test installs python3-yaml)"

if command -v docker >/dev/null 2>&1 && docker compose version >/dev/null 2>&1; then
  echo "checking: docker compose config -q"
  docker compose -f docker-compose.yaml config -q || fail "docker compose config"
  ok "docker compose config accepts the file"
fi

"$PY" - <<'PY'
import base64, fnmatch, glob, json, os, re, sys
import yaml

failed = 0
passed = 0


def check(cond, what):
    global failed, passed
    if cond:
        passed += 1
        print("ok: " + what)
    else:
        failed += 1
        print("FAIL: " + what)
    return cond


def env_of(svc):
    """A service's environment as a dict, from either compose form."""
    env = svc.get("environment") or {}
    if isinstance(env, list):
        out = {}
        for item in env:
            k, _, v = str(item).partition("=")
            out[k] = v
        return out
    return {str(k): "" if v is None else str(v) for k, v in env.items()}


# --- docker-compose.yaml ---------------------------------------------------
try:
    with open("docker-compose.yaml") as f:
        doc = yaml.safe_load(f)
    check(True, "docker-compose.yaml parses as YAML")
except Exception as e:  # noqa: BLE001 - report any parse problem
    check(False, "docker-compose.yaml parses as YAML (%s)" % e)
    sys.exit(1)

services = (doc or {}).get("services") or {}
check(isinstance(services, dict) and services, "top-level `services` mapping")
kafka = services.get("kafka") or {}
keng = services.get("kengine") or {}
check(bool(kafka), "service `kafka` exists")
check(bool(keng), "service `kengine` exists")

# kafka: official image, combined KRaft node, reachable at kafka:9092.
image = str(kafka.get("image", ""))
check(re.fullmatch(r"apache/kafka:\S+", image) is not None,
      "kafka image is apache/kafka:<tag> (%s)" % image)
env = env_of(kafka)
roles = {r.strip() for r in env.get("KAFKA_PROCESS_ROLES", "").split(",")}
check({"broker", "controller"} <= roles,
      "KAFKA_PROCESS_ROLES has broker and controller (%s)"
      % env.get("KAFKA_PROCESS_ROLES"))
for key in ("KAFKA_NODE_ID", "KAFKA_LISTENERS", "KAFKA_ADVERTISED_LISTENERS",
            "KAFKA_CONTROLLER_LISTENER_NAMES", "KAFKA_CONTROLLER_QUORUM_VOTERS"):
    check(env.get(key, "") != "", "kafka env sets " + key)


def listener_names(spec):
    return [l.split("://", 1)[0].strip() for l in spec.split(",") if "://" in l]


listeners = env.get("KAFKA_LISTENERS", "")
names = listener_names(listeners)
ctl = env.get("KAFKA_CONTROLLER_LISTENER_NAMES", "").split(",")[0].strip()
check(ctl in names, "controller listener %r is among KAFKA_LISTENERS %s" % (ctl, names))
advertised = env.get("KAFKA_ADVERTISED_LISTENERS", "")
check(re.search(r"://kafka:9092(,|$)", advertised) is not None,
      "advertised listeners include kafka:9092 (%s)" % advertised)
check(ctl not in listener_names(advertised),
      "controller listener is not advertised to clients")
check(re.search(r"://[^,]*:9092(,|$)", listeners) is not None,
      "a listener binds port 9092 (%s)" % listeners)
pmap = env.get("KAFKA_LISTENER_SECURITY_PROTOCOL_MAP")
if pmap:
    mapped = {p.split(":")[0].strip() for p in pmap.split(",")}
    check(set(names) <= mapped, "every listener has a security protocol mapping")
voters = env.get("KAFKA_CONTROLLER_QUORUM_VOTERS", "")
node = env.get("KAFKA_NODE_ID", "")
check(re.search(r"(^|,)%s@[^,:]+:\d+" % re.escape(node), voters) is not None,
      "node %s is a controller quorum voter (%s)" % (node, voters))
for key in ("KAFKA_OFFSETS_TOPIC_REPLICATION_FACTOR",
            "KAFKA_TRANSACTION_STATE_LOG_REPLICATION_FACTOR",
            "KAFKA_TRANSACTION_STATE_LOG_MIN_ISR"):
    check(env.get(key) == "1", "%s=1 for a single node" % key)
cid = env.get("CLUSTER_ID")
if cid is not None:
    try:
        ok = len(cid) == 22 and len(base64.urlsafe_b64decode(cid + "==")) == 16
    except ValueError:
        ok = False
    check(ok, "CLUSTER_ID is 16 bytes of unpadded URL-safe base64 (%s)" % cid)

# kengine: built from a Dockerfile in the repo, pointed at kafka:9092.
build = keng.get("build")
if isinstance(build, str):
    build = {"context": build}
build = build or {}
context = os.path.normpath(str(build.get("context", "")) or ".")
dockerfile = os.path.join(context, str(build.get("dockerfile", "Dockerfile")))
check(bool(keng.get("build")), "kengine has a build section")
check(os.path.isdir(context), "kengine build context %r exists" % context)
check(os.path.isfile(dockerfile), "kengine Dockerfile %r exists" % dockerfile)
deps = keng.get("depends_on") or []
check("kafka" in (list(deps) if isinstance(deps, (list, dict)) else []),
      "kengine depends_on kafka")
kenv = env_of(keng)
check(kenv.get("KENGINE_BROKERS") == "kafka:9092",
      "kengine env KENGINE_BROKERS=kafka:9092 (%s)" % kenv.get("KENGINE_BROKERS"))

# --- Dockerfile ------------------------------------------------------------
instrs = []
if os.path.isfile(dockerfile):
    text = open(dockerfile).read()
    text = re.sub(r"\\\n", " ", text)  # join continuation lines
    for line in text.splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            op, _, rest = line.partition(" ")
            instrs.append((op.upper(), rest.strip()))

ignore = []
di = os.path.join(context, ".dockerignore")
if os.path.isfile(di):
    for line in open(di):
        line = line.strip()
        if line and not line.startswith("#") and not line.startswith("!"):
            ignore.append(line.rstrip("/").lstrip("/"))


def ignored(rel):
    rel = os.path.normpath(rel)
    parts = rel.split(os.sep)
    for pat in ignore:
        for i in range(1, len(parts) + 1):
            prefix = os.path.join(*parts[:i])
            if fnmatch.fnmatch(prefix, pat) or fnmatch.fnmatch(
                    prefix, pat.replace("**/", "")):
                return True
    return False


def exec_form(rest):
    try:
        v = json.loads(rest)
        return v if isinstance(v, list) else None
    except ValueError:
        return None


froms = [r for op, r in instrs if op == "FROM"]
check(bool(froms), "Dockerfile has a FROM (%s)" % (froms[:1] or ["none"])[0])
workdir = None
copy_dest = None
copies = [(op, r) for op, r in instrs if op in ("COPY", "ADD")]
check(bool(copies), "Dockerfile COPYs the repo in")
for op, rest in instrs:
    if op == "WORKDIR":
        workdir = rest
    if op not in ("COPY", "ADD"):
        continue
    args = exec_form(rest) or rest.split()
    args = [a for a in args if not a.startswith("--")]
    if any(a.startswith("--from") for a in rest.split()) or len(args) < 2:
        continue
    srcs, dest = args[:-1], args[-1]
    copy_dest = dest
    for s in srcs:
        if re.match(r"https?://", s):
            continue
        path = os.path.normpath(os.path.join(context, s))
        check(bool(glob.glob(path)), "%s source %r exists in the build context" % (op, s))
        if s not in (".", "./"):
            check(not ignored(s), "%s source %r is not in .dockerignore" % (op, s))

entry = cmd = None
for op, rest in instrs:
    if op == "ENTRYPOINT":
        entry = exec_form(rest)
    if op == "CMD":
        cmd = exec_form(rest)
check(entry is not None, "ENTRYPOINT is in exec (JSON) form: %s" % entry)
check(cmd is not None, "CMD is in exec (JSON) form: %s" % cmd)
if entry and not entry[0].startswith("/"):
    # A relative entrypoint resolves against WORKDIR, where the repo is.
    check(workdir is not None and copy_dest in (".", "./", workdir, workdir + "/"),
          "relative ENTRYPOINT %r: the repo is COPYed to WORKDIR (%s, %s)"
          % (entry[0], copy_dest, workdir))

# The scripts the image runs: Dockerfile CMD and compose's command.
scripts = [a for a in (cmd or []) if a.endswith(".lua")]
command = keng.get("command")
if isinstance(command, str):
    command = command.split()
scripts += [a for a in (command or []) if str(a).endswith(".lua")]
check("lua/seed.lua" in scripts, "the image runs lua/seed.lua (%s)" % scripts)
for s in sorted(set(scripts)):
    check(os.path.isfile(os.path.join(context, s)), "script %s exists in the repo" % s)
    check(not ignored(s), "script %s is not in .dockerignore" % s)
    if os.path.isfile(os.path.join(context, s)):
        m = re.search(r'\bcsv\s*=\s*"([^"]+)"', open(os.path.join(context, s)).read())
        if m:
            csv = m.group(1)
            check(os.path.isfile(os.path.join(context, csv)),
                  "%s's csv %s exists in the repo" % (s, csv))
            check(not ignored(csv), "%s's csv %s is not in .dockerignore" % (s, csv))
for need in ("CMakeLists.txt", "src"):
    check(os.path.exists(os.path.join(context, need)) and not ignored(need),
          "%s is in the build context" % need)
check(ignored("build/CMakeCache.txt"),
      ".dockerignore keeps the host's build/ out of the image")

print("compose: %d checks passed, %d failed" % (passed, failed))
sys.exit(1 if failed else 0)
PY
