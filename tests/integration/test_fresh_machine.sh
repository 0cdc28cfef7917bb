#!/usr/bin/env bash
# test_fresh_machine: the README's first command works on a fresh Debian 12
# machine. Builds a Debian 12 minbase root with debootstrap (from the mirror
# this machine's own apt sources name; the base is cached as a tarball in
# ~/.cache/kengine between runs), puts a clean clone of the commit under test
# in it, and runs `scripts/run.sh` with no arguments inside it with chroot:
# it must install its build packages, build, run the seed job and print a
# summary with every record delivered and consumed, nothing lost.
# Needs root (chroot, mount) and debootstrap (scripts/deps.sh test); it
# fails, never skips, without them.
#
# Environment: KENGINE_FRESH_CACHE (tarball dir, default ~/.cache/kengine),
# KENGINE_FRESH_MIRROR (override the mirror read from the apt sources).
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

[ "$(id -u)" -eq 0 ] || fail "needs root (chroot and mount /proc)"
command -v debootstrap >/dev/null || fail "debootstrap is missing (scripts/deps.sh test installs it)"
command -v git >/dev/null || fail "git is missing"
commit=$(git -C "$ROOT" rev-parse HEAD) || fail "$ROOT is not a git checkout"

# The Debian mirror this machine uses: the first URI of a source for its
# release's suite, from deb822 .sources files or one-line .list entries.
suite=$(. /etc/os-release && echo "${VERSION_CODENAME:-bookworm}")
mirror_of_host() {
  local f
  for f in /etc/apt/sources.list.d/*.sources; do
    [ -f "$f" ] || continue
    awk -v suite="$suite" '
      /^[ \t]*$/ { if (uri != "" && ok) { print uri; exit } uri = ""; ok = 0; next }
      /^URIs:/ { uri = $2 }
      /^Suites:/ { for (i = 2; i <= NF; i++) if ($i == suite) ok = 1 }
      END { if (uri != "" && ok) print uri }' "$f"
  done
  { cat /etc/apt/sources.list /etc/apt/sources.list.d/*.list 2>/dev/null || true; } |
    awk -v suite="$suite" '$1 == "deb" && $3 == suite { print $2 }'
}
mirror=${KENGINE_FRESH_MIRROR:-$(mirror_of_host | head -n 1 || true)}
[ -n "$mirror" ] || fail "no Debian mirror for $suite in /etc/apt/sources*"
ok "mirror $mirror ($suite)"

cache=${KENGINE_FRESH_CACHE:-${HOME:-/root}/.cache/kengine}
base=$cache/debian-$suite-minbase-$(dpkg --print-architecture).tar.gz
mkdir -p "$cache"

# The root lives on the same disk as the repo's temp dir, never in the repo.
# Unmount before removing, whatever happens.
chroot_dir=$TMP/root
cleanup() {
  if mountpoint -q "$chroot_dir/proc" 2>/dev/null; then umount -l "$chroot_dir/proc"; fi
  rm -rf "$TMP"
}
trap cleanup EXIT

t0=$SECONDS
if [ ! -s "$base" ]; then
  echo "building the $suite minbase root (cached in $base afterwards)"
  debootstrap --variant=minbase "$suite" "$chroot_dir" "$mirror" >"$TMP/debootstrap.log" 2>&1 ||
    { tail -n 30 "$TMP/debootstrap.log" >&2; fail "debootstrap $suite from $mirror"; }
  tar -C "$chroot_dir" -czf "$base.tmp.$$" . && mv "$base.tmp.$$" "$base"
else
  mkdir -p "$chroot_dir"
  tar -C "$chroot_dir" -xzf "$base" || fail "unpacking $base"
fi
ok "fresh $suite root in $((SECONDS - t0)) s"
# A fresh machine: none of kengine's packages, no cmocka, no build tools.
for p in cmake librdkafka-dev libcmocka-dev gcc; do
  if chroot "$chroot_dir" dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed"; then
    fail "the fresh root already has $p"
  fi
done

# A clean clone of the commit under test (nothing of this work tree's
# build trees, caches or uncommitted files).
git clone -q --no-hardlinks "$ROOT" "$chroot_dir/src/kengine" || fail "git clone"
git -C "$chroot_dir/src/kengine" -c advice.detachedHead=false checkout -q "$commit" || fail "checkout $commit"
cp /etc/resolv.conf "$chroot_dir/etc/resolv.conf"
mount -t proc proc "$chroot_dir/proc" || fail "mount /proc in the root"

t1=$SECONDS
rc=0
out=$TMP/run.out
env -i PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin HOME=/root \
    LANG=C.UTF-8 TERM=dumb \
  chroot "$chroot_dir" /bin/bash -c 'cd /src/kengine && scripts/run.sh' >"$out" 2>"$TMP/run.err" </dev/null ||
  rc=$?
if [ "$rc" -ne 0 ]; then
  tail -n 40 "$TMP/run.err" >&2
  fail "scripts/run.sh in the fresh root exited $rc"
fi
ok "scripts/run.sh installed, built and ran in $((SECONDS - t1)) s"

summary=$(grep '^summary ' "$out") || { tail -n 20 "$out" >&2; fail "no summary line"; }
echo "$summary"
expect_eq "$(sed -n 's/.*delivered \([0-9]*\),.*/\1/p' <<<"$summary")" 1000000 "delivered"
expect_eq "$(sed -n 's/.* consumed \([0-9]*\),.*/\1/p' <<<"$summary")" 1000000 "consumed"
expect_eq "$(sed -n 's/.* lost \([0-9]*\),.*/\1/p' <<<"$summary")" 0 "lost"
expect_eq "$(sed -n 's/.* duplicates \([0-9]*\),.*/\1/p' <<<"$summary")" 0 "duplicates"
expect_eq "$(grep -c '^consume batch ' "$out")" 100 "consume batch lines"
# Nothing from the test packages was installed to get there.
for p in libcmocka-dev valgrind kcat clang; do
  if chroot "$chroot_dir" dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed"; then
    fail "run.sh installed the test package $p"
  fi
done
ok "no test package installed"
