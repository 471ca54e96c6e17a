#!/usr/bin/env bash
# Builds the web explorer into dist/ with cargo, wasm-bindgen and wasm-opt only (no Trunk, so a
# fresh machine compiles no build tool but wasm-bindgen-cli). What it writes is what Trunk
# writes for index.html (`trunk build --release`, still available for `trunk serve` while
# developing): the page (`pecsched-web.js` + `_bg.wasm`, ES module) and the simulation Web
# Worker (`sim-worker.js` + `_bg.wasm`, no-modules, loaded by gloo-worker's
# `importScripts(...); wasm_bindgen(...)`), the stylesheet, and index.html.
#
#   bash scripts/build-web.sh          # → dist/  (DIST=folder for another one)
# Needs: the wasm32 target, wasm-bindgen (= the crate's version) and wasm-opt on PATH
# (scripts/setup.sh --serve installs them).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
export PATH="$HOME/.cargo/bin:$PWD/node_modules/.bin:$PATH"

TARGET="${CARGO_TARGET_DIR:-$PWD/target}"
WASM=wasm32-unknown-unknown
# One profile for both binaries, so their dependencies compile once (opt-level 3, LTO); the
# page is then shrunk with wasm-opt -Oz, the worker optimised for speed with -O3.
PROFILE=wasm-worker
OUT="${DIST:-dist}"
STAGE="$TARGET/web-stage"

cargo build --target "$WASM" --profile "$PROFILE" -p pecsched-web --bins
rm -rf "$STAGE" && mkdir -p "$STAGE"
BIN="$TARGET/$WASM/$PROFILE"
wasm-bindgen --target web --no-typescript --out-dir "$STAGE" --out-name pecsched-web \
    "$BIN/pecsched-web.wasm"
wasm-bindgen --target no-modules --no-typescript --out-dir "$STAGE" --out-name sim-worker \
    "$BIN/sim-worker.wasm"
# The features rustc enables by default for wasm32 (bulk memory, sign extension, …).
FEATURES=(--enable-bulk-memory --enable-nontrapping-float-to-int --enable-sign-ext
    --enable-mutable-globals --enable-reference-types --enable-multivalue)
wasm-opt "${FEATURES[@]}" -Oz "$STAGE/pecsched-web_bg.wasm" -o "$STAGE/pecsched-web_bg.wasm"
wasm-opt "${FEATURES[@]}" -O3 "$STAGE/sim-worker_bg.wasm" -o "$STAGE/sim-worker_bg.wasm"
cp web/style.css "$STAGE/style.css"
cat > "$STAGE/index.html" <<'HTML'
<!doctype html>
<html lang="en">
  <head>
    <meta charset="utf-8" />
    <meta name="viewport" content="width=device-width, initial-scale=1" />
    <title>PecSched explorer</title>
    <meta name="description" content="Compare LLM-inference cluster schedulers (FIFO, Reservation, Priority, PecSched) on your scenario, in the browser." />
    <link rel="icon" href="data:," />
    <link rel="stylesheet" href="./style.css" />
    <link rel="modulepreload" href="./pecsched-web.js" />
    <link rel="preload" href="./pecsched-web_bg.wasm" as="fetch" type="application/wasm" crossorigin="anonymous" />
    <script type="module">
      import init from './pecsched-web.js';
      await init({ module_or_path: './pecsched-web_bg.wasm' });
    </script>
  </head>
  <body>
    <noscript>The PecSched explorer needs JavaScript and WebAssembly.</noscript>
  </body>
</html>
HTML
# Replace dist/ only once everything is built: a failed build leaves the last good one.
rm -rf "$OUT.new" && cp -r "$STAGE" "$OUT.new" && rm -rf "$OUT" && mv "$OUT.new" "$OUT"
echo "built $OUT/: $(ls "$OUT" | tr '\n' ' ')"
