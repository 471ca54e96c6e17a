#!/usr/bin/env bash
# The one check script, the same locally and in CI: formatting, lints (native and wasm32),
# docs, the release build of the web explorer (scripts/build-web.sh → dist/), native tests (including the
# browser end-to-end test in headless Chromium, which serves dist/), and the wasm32 tests in
# Node (the core's golden probe; the explorer's summaries equal the native ones). Stops at the
# first failing step. Run scripts/setup.sh first (or scripts/test.sh).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

export PATH="$HOME/.cargo/bin:$PWD/node_modules/.bin:$PATH"
export XDG_RUNTIME_DIR="${XDG_RUNTIME_DIR:-/tmp}" # silences Mesa's warning (wgpu on llvmpipe)
WASM=wasm32-unknown-unknown

TOTAL_START=$SECONDS
SUMMARY=()

# Prints a header, runs the command, prints its duration.
step() {
    local name=$1
    shift
    printf '\n==> %s\n    $ %s\n' "$name" "$*"
    local start=$SECONDS
    "$@"
    local took=$((SECONDS - start))
    printf '    (%s: %d s)\n' "$name" "$took"
    SUMMARY+=("$(printf '%5d s  %s' "$took" "$name")")
}

step "format" cargo fmt --all --check
step "clippy (native)" cargo clippy --workspace --all-targets -- -D warnings
step "clippy (wasm32)" cargo clippy --target "$WASM" \
    -p pecsched-core -p pecsched-web --lib --bins --test cross_target --test wire_v1 --test wire_v2 \
    --test same_numbers --bench speed -- -D warnings
step "format (python/)" cargo fmt --manifest-path python/Cargo.toml --check
step "clippy (python/)" cargo clippy --manifest-path python/Cargo.toml -- -D warnings
step "docs (core, gpu)" env RUSTDOCFLAGS="-D warnings" cargo doc --no-deps -p pecsched-core -p pecsched-gpu
# Before the tests: tests/tests/browser/ opens this build of the page in Chromium.
step "build (explorer: scripts/build-web.sh)" bash scripts/build-web.sh
step "tests (native)" cargo test --workspace --no-fail-fast
# Runs a wasm32 test binary in Node and fails if test $3 did not actually run (a runner or
# harness misconfiguration can report success with zero tests).
wasm_test() {
    local package=$1 binary=$2 name=$3 log
    log=$(mktemp)
    echo "    (cargo test --target $WASM -p $package --test $binary, then a check that $name ran)"
    cargo test --target "$WASM" -p "$package" --test "$binary" 2>&1 | tee "$log"
    if ! grep -q "^test $name \.\.\. ok\$" "$log"; then
        echo "error: the wasm32 test $name did not run" >&2
        rm -f "$log"
        return 1
    fi
    rm -f "$log"
}
step "tests (Python package: wheel, pytest, Ray)" bash scripts/python-test.sh
step "tests (core, wasm32 in Node)" wasm_test pecsched-core cross_target probe_matches_golden
step "tests (v1 links and files, wasm32 in Node)" \
    wasm_test pecsched-core wire_v1 every_v1_link_decodes_to_its_v1_file
step "tests (v2 links and files, wasm32 in Node)" \
    wasm_test pecsched-core wire_v2 every_v2_link_decodes_to_its_v2_file
step "tests (explorer = native, wasm32 in Node)" \
    wasm_test pecsched-web same_numbers summaries_match_the_golden_file

# A few seconds of every fuzz target (the long campaign is in docs/reliability.md).
fuzz_smoke() {
    if cargo +nightly fuzz --version >/dev/null 2>&1; then
        bash scripts/fuzz-smoke.sh
    else
        echo "    SKIPPED: no nightly toolchain with cargo-fuzz here (scripts/setup.sh installs them)"
    fi
}
step "fuzz (smoke, 5 s per target)" fuzz_smoke

printf '\n==> all checks passed in %d s\n' "$((SECONDS - TOTAL_START))"
printf '%s\n' "${SUMMARY[@]}"
