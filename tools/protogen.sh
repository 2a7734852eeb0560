#!/usr/bin/env bash
# Generates the Python protobuf/gRPC code (and mypy stubs) for protos/ into the shared library.
# Usage: tools/protogen.sh [OUT_DIR]   (default: libs/suara-kit). `make proto-check` generates into a
# temporary directory and fails when the committed copy differs: generated code is never edited by hand.
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
out=${1:-$repo/libs/suara-kit}
py=${PYTHON:-$repo/.venv/bin/python}
cd "$repo/protos"
mapfile -t files < <(find suara -name '*.proto' | sort)
"$py" -m grpc_tools.protoc -I. \
  --python_out="$out" --grpc_python_out="$out" \
  --mypy_out="$out" --mypy_grpc_out="$out" \
  --plugin=protoc-gen-mypy="$(dirname "$py")/protoc-gen-mypy" \
  --plugin=protoc-gen-mypy_grpc="$(dirname "$py")/protoc-gen-mypy_grpc" \
  "${files[@]}"
for d in $(cd "$out" && find suara -type d); do
  [ -f "$out/$d/__init__.py" ] || printf '"""Generated from protos/%s. Never edit by hand."""\n' "$d" > "$out/$d/__init__.py"
  touch "$out/$d/py.typed"
done
