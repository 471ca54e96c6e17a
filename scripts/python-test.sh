#!/usr/bin/env bash
# Builds the Python package's wheel (maturin, through pip), installs it with pytest, pandas and
# Ray into a fresh virtual environment, and runs python/tests: the same numbers as the command
# line bit for bit, links, errors, predict, records, and a sweep run locally and on a local Ray
# instance giving identical tables. Called by scripts/check.sh.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

TARGET="${CARGO_TARGET_DIR:-$PWD/target}"
VENV="$TARGET/py-venv"
WHEELS="$TARGET/wheels"

rm -rf "$VENV" "$WHEELS"
python3 -m venv "$VENV"
"$VENV/bin/pip" install -q pytest pandas ray
# The wheel CI builds (maturin is fetched by pip's isolated build).
"$VENV/bin/pip" wheel -q --no-deps ./python -w "$WHEELS"
"$VENV/bin/pip" install -q "$WHEELS"/pecsched-*.whl
cargo build -q --release -p pecsched-worker
# Ray's token authentication and dashboard are not needed for a local test instance.
export RAY_AUTH_MODE=disabled
PECSCHED_WORKER="$TARGET/release/pecsched-worker" "$VENV/bin/python" -m pytest -q python/tests
