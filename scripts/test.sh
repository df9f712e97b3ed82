#!/usr/bin/env bash
# Install everything the tests need (Debian's Chromium included) and run them
# all: lint, format check, then pytest. Extra arguments go to pytest.
#
# Then, for each other Python from 3.11 to 3.13 this machine has (on PATH, or under
# pyenv's root), run the non-browser tests and `walkthrough check` again in
# its own venv (.venv-3.12, .venv-3.13, ...): the probe has one hook per version,
# and the tours point into the standard library, whose source differs by
# version. It says which it ran and which it skipped, and why.
# WALKTHROUGH_OTHER_PYTHONS=no skips them.
set -euo pipefail
cd "$(dirname "$0")/.."
# Chromium, and a Chinese font for the pages in Chinese (system fonts only).
missing=()
command -v chromium >/dev/null 2>&1 || missing+=(chromium)
fc-list :lang=zh family 2>/dev/null | grep -q . || missing+=(fonts-noto-cjk)
if [ "${#missing[@]}" -gt 0 ]; then
  as_root=""
  [ "$(id -u)" -eq 0 ] || as_root="sudo"
  $as_root apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $as_root apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi
bash scripts/install.sh test
.venv/bin/ruff check .
.venv/bin/ruff format --check .
main_version="$(.venv/bin/python -c 'import sys; print("%d.%d" % sys.version_info[:2])')"
echo "== Python $main_version (.venv): the whole suite"
.venv/bin/pytest "$@"

# Print the first interpreter for version $1 that really runs as that version.
find_python() {
  local version="$1" candidate
  local candidates=()
  if command -v "python$version" >/dev/null 2>&1; then
    candidates+=("$(command -v "python$version")")
  fi
  if command -v pyenv >/dev/null 2>&1; then
    for candidate in "$(pyenv root)"/versions/"$version".*/bin/python; do
      candidates+=("$candidate")
    done
  fi
  for candidate in "${candidates[@]}"; do
    # A pyenv shim exists for every version pyenv has, active or not: ask.
    if [ -x "$candidate" ] && [ "$("$candidate" -c 'import sys; print("%d.%d" % sys.version_info[:2])' 2>/dev/null)" = "$version" ]; then
      echo "$candidate"
      return 0
    fi
  done
  return 1
}

# Make .venv-$1 with interpreter $2 (once), run the tests and the check there;
# the other arguments go to pytest.
test_with() {
  local version="$1" python="$2" venv=".venv-$1"
  shift 2
  if [ ! -x "$venv/bin/python" ]; then
    "$python" -m venv "$venv"
  fi
  "$venv/bin/python" -m pip install --quiet -e ".[test]"
  echo "== Python $version ($python, $venv): the non-browser tests and walkthrough check"
  "$venv/bin/walkthrough" check
  "$venv/bin/pytest" --ignore=tests/e2e "$@"
}

ran=("$main_version (all tests)")
skipped=()
if [ "${WALKTHROUGH_OTHER_PYTHONS:-yes}" = "no" ]; then
  skipped+=("every other Python: WALKTHROUGH_OTHER_PYTHONS=no")
else
  for version in 3.11 3.12 3.13; do
    if [ "$version" = "$main_version" ]; then
      continue
    fi
    if python="$(find_python "$version")"; then
      test_with "$version" "$python" "$@"
      ran+=("$version (non-browser tests, check)")
    else
      skipped+=("$version: no python$version on PATH or under pyenv")
    fi
  done
fi
printf '== Ran Python %s\n' "${ran[@]}"
if [ "${#skipped[@]}" -gt 0 ]; then
  printf '== Skipped Python %s\n' "${skipped[@]}"
fi
