#!/usr/bin/env bash
# test_hygiene: the repository holds sources. No tracked file matches
# .gitignore (a virtualenv, a build tree, a cache committed by mistake),
# and what .gitignore keeps out of git stays out of the Docker build context.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
command -v git >/dev/null || fail "git is missing"
[ -d "$ROOT/.git" ] || [ -f "$ROOT/.git" ] || fail "$ROOT is not a git checkout"

ignored=$(git -C "$ROOT" ls-files -ci --exclude-standard)
if [ -n "$ignored" ]; then
  echo "$ignored" | head -n 20 >&2
  fail "$(echo "$ignored" | wc -l) tracked file(s) match .gitignore (git rm --cached them)"
fi
ok "no tracked file matches .gitignore"

# Every pattern of .gitignore that names a tree (build/, bench/.venv/, ...)
# is in .dockerignore too (without its trailing slash, or as **/NAME).
while IFS= read -r pat; do
  case $pat in '' | '#'*) continue ;; esac
  p=${pat%/}
  grep -qxF -e "$p" -e "$pat" -e "**/$p" "$ROOT/.dockerignore" ||
    fail ".gitignore's '$pat' is not in .dockerignore"
done <"$ROOT/.gitignore"
ok ".dockerignore keeps out what .gitignore does"

# Generated tables agree with their generators.
python3 "$ROOT/scripts/gen_nonprint.py" --check || fail "encode.c's nonprint table"
ok "encode.c's nonprint table is what scripts/gen_nonprint.py makes"

# The C sources are as scripts/format.sh (clang-format) leaves them.
bash "$ROOT/scripts/format.sh" --check || fail "C sources not formatted (run scripts/format.sh)"
ok "the C sources are formatted"
