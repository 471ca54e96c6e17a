#!/usr/bin/env bash
# Runs every test: installs what is missing (scripts/setup.sh), then runs the one check
# script (scripts/check.sh).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

bash scripts/setup.sh --web # check.sh builds the web explorer with trunk
bash scripts/check.sh
