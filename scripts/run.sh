#!/usr/bin/env bash
# The main job: installs what is missing (scripts/setup.sh), then simulates the default
# embedded scenario with the command line and prints its results:
#
#   cargo run --release -p pecsched-worker -- simulate [ARGS...]
#
# Extra arguments are passed on to `simulate`, e.g. `bash scripts/run.sh --help`.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

bash scripts/setup.sh

printf '\n==> simulating the default scenario\n'
exec cargo run --release -p pecsched-worker -- simulate "$@"
