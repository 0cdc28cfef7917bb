#!/usr/bin/env bash
# test_layers: the layers of src/layers.txt are enforced. On a copy of the
# sources, each kind of crossing is made once and must fail: the checker
# (scripts/check_layers.py) names the file, line and header, and the build
# of kengine fails (the compiler for a quoted include of a higher layer, the
# check CMake runs before linking for a third-party header). The untouched
# copy must pass, so the failures are the crossings'.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

copy() { # copy DIR: the sources and build files, nothing built
  mkdir -p "$1"
  cp -r "$ROOT/src" "$ROOT/scripts" "$ROOT/tests" "$ROOT/CMakeLists.txt" "$1/"
}
check() { python3 "$1/scripts/check_layers.py" "$1/src"; }
build() { # build DIR [CMAKE ARGS]: configure and build kengine; 0 when it builds
  local dir=$1
  shift
  cmake -S "$dir" -B "$dir/b" "$@" >/dev/null 2>&1 &&
    cmake --build "$dir/b" -j"$(nproc)" --target kengine >"$dir/build.log" 2>&1
}

copy "$TMP/clean"
check "$TMP/clean" || fail "the untouched sources fail the layers check"
ok "the untouched sources pass the check"

# 1. text/ (layer 2) includes the engine's header (layer 8).
copy "$TMP/up"
sed -i '0,/^#include "keys.h"/s//#include "keys.h"\n#include "engine.h"/' "$TMP/up/src/text/keys.c"
grep -q '#include "engine.h"' "$TMP/up/src/text/keys.c" || fail "could not plant the upward include"
out=$(check "$TMP/up") && fail "the check passed an upward include"
echo "$out" | grep -q 'src/text/keys.c:[0-9]*: includes "engine.h" of layer engine, above text' ||
  fail "the check did not name the upward include: $out"
ok "check: $out"
# without the tests' check (BUILD_TESTING=OFF), the compiler refuses it:
# text/'s include path holds no higher layer's folder
build "$TMP/up" -DBUILD_TESTING=OFF && fail "kengine built with text/ including engine.h"
grep -q 'engine.h: No such file' "$TMP/up/build.log" ||
  fail "the build failed, not on engine.h: $(tail -5 "$TMP/up/build.log")"
ok "the compiler refuses it: $(grep -m1 'engine.h' "$TMP/up/build.log")"

# 2. the engine includes librdkafka, which only the kafka layer may.
copy "$TMP/dep"
sed -i '0,/^#include "engine.h"/s//#include "engine.h"\n#include <librdkafka\/rdkafka.h>/' "$TMP/dep/src/engine/engine.c"
out=$(check "$TMP/dep") && fail "the check passed librdkafka in the engine"
echo "$out" | grep -q 'src/engine/engine.c:[0-9]*: includes <librdkafka/rdkafka.h> outside its owner' ||
  fail "the check did not name the third-party include: $out"
ok "check: $out"
build "$TMP/dep" && fail "kengine built with the engine including librdkafka"
grep -q 'outside its owner' "$TMP/dep/build.log" || fail "the build did not fail on the check"
ok "the build fails on it"

# 3. ... or through a header of the kafka layer that includes it.
copy "$TMP/via"
sed -i '0,/^#include "engine.h"/s//#include "engine.h"\n#include "conf.h"/' "$TMP/via/src/engine/engine.c"
out=$(check "$TMP/via") && fail "the check passed librdkafka through conf.h"
echo "$out" | grep -q 'src/engine/engine.c:[0-9]*: includes "conf.h", which brings <librdkafka/rdkafka.h>' ||
  fail "the check did not name the indirect include: $out"
ok "check: $out"
