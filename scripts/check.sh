#!/usr/bin/env bash
# The one check script, the same locally and in CI: formatting, lints (native and wasm32),
# docs, native tests, the core's wasm32 tests (in Node) and a release wasm32 build of the
# explorer. Stops at the first failing step. Run scripts/setup.sh first (or scripts/test.sh).
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
    -p pecsched-core -p pecsched-web --lib --bins --test cross_target -- -D warnings
step "docs (core)" env RUSTDOCFLAGS="-D warnings" cargo doc --no-deps -p pecsched-core
step "tests (native)" cargo test --workspace --no-fail-fast
# Runs the core's wasm32 tests and fails if the golden test did not actually run (a runner or
# harness misconfiguration can report success with zero tests).
wasm_tests() {
    local log
    log=$(mktemp)
    echo "    (cargo test --target $WASM -p pecsched-core --test cross_target, then a check that probe_matches_golden ran)"
    cargo test --target "$WASM" -p pecsched-core --test cross_target 2>&1 | tee "$log"
    if ! grep -q '^test probe_matches_golden \.\.\. ok$' "$log"; then
        echo "error: the wasm32 test probe_matches_golden did not run" >&2
        rm -f "$log"
        return 1
    fi
    rm -f "$log"
}
step "tests (core, wasm32 in Node)" wasm_tests
step "build (explorer, wasm32 release)" cargo build --target "$WASM" \
    -p pecsched-web --profile wasm-release

printf '\n==> all checks passed in %d s\n' "$((SECONDS - TOTAL_START))"
printf '%s\n' "${SUMMARY[@]}"
