#!/usr/bin/env bash
# Runs every test: installs what is missing (scripts/setup.sh), then runs the one check
# script (scripts/check.sh).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

bash scripts/setup.sh # test tools and what scripts/build-web.sh needs (no trunk)
bash scripts/check.sh
