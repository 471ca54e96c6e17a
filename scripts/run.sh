#!/usr/bin/env bash
# The main job: installs only what serving needs (scripts/setup.sh --serve: the wasm32
# target, wasm-bindgen-cli, wasm-opt), builds the web explorer in release mode
# (scripts/build-web.sh → dist/) and serves it on 127.0.0.1, printing the URL.
#
#   bash scripts/run.sh              # http://127.0.0.1:8080/
#   PORT=9000 bash scripts/run.sh    # another port
#
# The page needs no network: every file is in dist/. Stop the server with Ctrl-C.
# The command line is separate: cargo run --release -p pecsched-worker -- simulate --help
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

PORT="${PORT:-8080}"

bash scripts/setup.sh --serve

export PATH="$HOME/.cargo/bin:$PWD/node_modules/.bin:$PATH"

printf '\n==> building the explorer (scripts/build-web.sh)\n'
bash scripts/build-web.sh

printf '\n==> PecSched explorer: http://127.0.0.1:%s/\n    (serving dist/ on 127.0.0.1 only; Ctrl-C stops)\n\n' "$PORT"
# Python's server knows application/wasm, which lets the browser compile while downloading.
exec python3 -m http.server "$PORT" --bind 127.0.0.1 --directory dist
