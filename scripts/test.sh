#!/usr/bin/env bash
# Runs every test: installs what is missing (scripts/setup.sh), then runs the one check
# script (scripts/check.sh).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

bash scripts/setup.sh
bash scripts/check.sh
