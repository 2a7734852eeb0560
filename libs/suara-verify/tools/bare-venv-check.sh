#!/usr/bin/env bash
# Prove that suara-verify installs and runs in a bare virtual environment holding only it and `cryptography`, and
# walk through the auditor's steps of libs/suara-verify/README.md there: verify an export (exit 0), three documented
# tamperings (exit 1 naming the index or file), and an incremental export against the saved checkpoint.
#
#   libs/suara-verify/tools/bare-venv-check.sh            # cryptography from PyPI (or pip's cache)
#   WHEELHOUSE=/path/to/wheels libs/suara-verify/tools/bare-venv-check.sh   # fully offline
#
# The bundles are written by the test-only writer (tests/bundlewriter.py) with the shared venv's Python, because the
# bare environment must not hold rfc8785 or anything else from this repository.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
repo="$(cd "$here/../.." && pwd)"
shared_py="${SHARED_PY:-$repo/.venv/bin/python}"
base_py="${BASE_PY:-$(command -v python3.11 || command -v python3)}"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
fail() { echo "bare-venv-check: FAIL: $*" >&2; exit 1; }

echo "== build the wheel (shared venv's setuptools, no network)"
"$shared_py" -m pip wheel --quiet --no-deps --no-build-isolation -w "$work/dist" "$here" >"$work/build.log" 2>&1 \
  || { cat "$work/build.log"; fail "the wheel does not build"; }
wheel="$(ls "$work"/dist/suara_verify-*.whl)"

echo "== a fresh venv with only suara-verify and its dependency"
"$base_py" -m venv "$work/venv"
pip=("$work/venv/bin/pip" --quiet --disable-pip-version-check)
"${pip[@]}" install --no-index --no-deps "$wheel"
if [[ -n "${WHEELHOUSE:-}" ]]; then
  "${pip[@]}" install --no-index --find-links "$WHEELHOUSE" cryptography
else
  "${pip[@]}" install cryptography
fi
"$work/venv/bin/pip" check
installed="$("$work/venv/bin/pip" list --format=freeze --disable-pip-version-check | cut -d= -f1 | tr '\n' ' ')"
echo "   installed: $installed"
for extra in rfc8785 suara-kit suara-audit hypothesis pytest; do
  [[ " ${installed,,} " == *" $extra "* ]] && fail "$extra is installed in the bare venv"
done
cd "$work"  # nothing from the repository on sys.path
"$work/venv/bin/python" -c 'import suara_verify, sys; assert "/venv/" in suara_verify.__file__, suara_verify.__file__' \
  || fail "suara_verify is not imported from the bare venv"
"$work/venv/bin/python" -c 'import rfc8785' 2>/dev/null && fail "rfc8785 is importable in the bare venv"
verify=("$work/venv/bin/suara-verify")

echo "== export: two bundles from a 40-entry log, then 30 more (written by the test-only writer)"
"$shared_py" - "$here/tests" "$work" <<'EOF'
import sys
from pathlib import Path
sys.path.insert(0, sys.argv[1])
from bundlewriter import Key, Log
work = Path(sys.argv[2])
key = Key("kedirikota.go.id/suara/audit")
log = Log([key])
for _ in range(5):
    log.extend(8)
    log.sign_checkpoint()
log.export(work / "export-1")
log.extend(30)
log.export(work / "export-2", first_index=40, since=40)
(work / "suara.vkey").write_text(key.vkey + "\n")
EOF
vkey="$(cat "$work/suara.vkey")"

expect() {  # expect EXIT_CODE TEXT_IN_OUTPUT -- command...
  local want="$1" text="$2"; shift 3
  local out code=0
  out="$("$@" 2>&1)" || code=$?
  echo "$out" | sed 's/^/   | /' | head -4
  [[ "$code" == "$want" ]] || fail "expected exit $want, got $code: $*"
  [[ "$out" == *"$text"* ]] || fail "expected '$text' in the output of: $*"
}

echo "== 1. verify the first export: exit 0"
expect 0 "VALID" -- "${verify[@]}" "$work/export-1" --vkey "$vkey"
cp "$work/export-1/checkpoints/40.checkpoint" "$work/saved.checkpoint"

echo "== 2a. tamper: edit one entry's complaint id (entry 13): exit 1 naming the entries it sits in"
cp -r "$work/export-1" "$work/t1"
sed -i '14s/"complaint_id":"C-00004"/"complaint_id":"C-00099"/' "$work/t1/entries.jsonl"
expect 1 "entries.jsonl: indices 8..15" -- "${verify[@]}" "$work/t1" --vkey "$vkey"

echo "== 2b. tamper: delete entry 20: exit 1 naming index 20"
cp -r "$work/export-1" "$work/t2"
sed -i '21d' "$work/t2/entries.jsonl"
expect 1 "entries.jsonl: index 20" -- "${verify[@]}" "$work/t2" --vkey "$vkey"

echo "== 2c. tamper: drop the newest checkpoint and cut the tail: exit 1 naming the first missing index"
cp -r "$work/export-1" "$work/t3"
sed -i '33,40d' "$work/t3/entries.jsonl"
rm "$work/t3/checkpoints/40.checkpoint"
expect 1 "entries.jsonl: index 32" -- "${verify[@]}" "$work/t3" --vkey "$vkey"

echo "== 3. incremental export against the saved checkpoint: exit 0"
expect 0 "extends your trusted checkpoint of size 40" -- \
  "${verify[@]}" "$work/export-2" --vkey "$vkey" --trusted-checkpoint "$work/saved.checkpoint"

echo "== 4. malformed input: exit 2"
expect 2 "MALFORMED INPUT" -- "${verify[@]}" "$work/export-2" --vkey "not-a-key"

echo "bare-venv-check: OK (suara-verify $("${verify[@]}" --version | cut -d' ' -f2) with only: $installed)"
