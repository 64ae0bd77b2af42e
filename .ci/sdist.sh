#!/usr/bin/env bash
# The sdist is enough to run the tests: build it, unpack it in a temporary
# directory, install it with its test extra in a new venv, run the suite
# there (SQLite, lighter fuzzing).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
python3 -m venv "$tmp/venv"
"$tmp/venv/bin/python" -m pip install --quiet --upgrade pip build
"$tmp/venv/bin/python" -m build --sdist --outdir "$tmp/dist" "$root"
tar -xzf "$tmp"/dist/django_rememberme-*.tar.gz -C "$tmp"
src="$(echo "$tmp"/django_rememberme-*/)"
"$tmp/venv/bin/python" -m pip install --quiet "$src[test]"
cd "$src"
REMEMBERME_TEST_POSTGRES="" REMEMBERME_FUZZ_EXAMPLES=1000 REMEMBERME_FUZZ_MACHINES=15 \
    "$tmp/venv/bin/python" -m pytest -x -q -p no:cacheprovider
echo "sdist: the unpacked source release passes its own tests."
