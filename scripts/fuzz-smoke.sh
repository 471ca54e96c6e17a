#!/usr/bin/env bash
# A short run of every fuzz target (CI smoke, not the campaign): builds the targets with
# cargo-fuzz on nightly, then runs each one for a few seconds from its checked-in seeds
# (fuzz/seeds/<target>/) in a scratch corpus, and fails on the first crash, panic, timeout or
# leak. The long campaign and its figures are in docs/reliability.md.
#
#   scripts/fuzz-smoke.sh            # 5 s per target
#   FUZZ_SECONDS=60 scripts/fuzz-smoke.sh
#   scripts/fuzz-smoke.sh trace_azure simulate   # only these targets
#
# Needs `rustup toolchain install nightly` and `cargo install cargo-fuzz`. A crash leaves its
# input in fuzz/artifacts/<target>/; reproduce with `cargo +nightly fuzz run <target> <file>`.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

export PATH="$HOME/.cargo/bin:$PATH"
SECONDS_PER_TARGET=${FUZZ_SECONDS:-5}
TARGETS=(scenario_link scenario_json trace_azure trace_mooncake trace_burstgpt trace_plain
    trace_detect calibration_json simulate)
if [ $# -gt 0 ]; then
    TARGETS=("$@")
fi

if ! cargo +nightly fuzz --version >/dev/null 2>&1; then
    echo "error: cargo-fuzz on nightly is needed: rustup toolchain install nightly && cargo install cargo-fuzz" >&2
    exit 1
fi

cd fuzz
cargo +nightly fuzz build 2>&1 | tail -n 1
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
for t in "${TARGETS[@]}"; do
    mkdir -p "$scratch/$t" "seeds/$t"
    log="$scratch/$t.log"
    # -timeout: no input may run for more than 10 s; -rss_limit_mb: nor use more than 2 GB.
    status=0
    cargo +nightly fuzz run "$t" "$scratch/$t" "seeds/$t" -- \
        -max_total_time="$SECONDS_PER_TARGET" -timeout=10 -rss_limit_mb=2048 \
        -print_final_stats=1 >"$log" 2>&1 || status=$?
    runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")
    final=$(grep -E '^#[0-9]+[[:space:]]+DONE' "$log" | tail -n 1 | sed -E 's/^.*DONE +//; s/ +lim:.*//')
    printf '%-17s %3d s %10s runs  %s\n' "$t" "$SECONDS_PER_TARGET" "${runs:-?}" "$final"
    if [ "$status" -ne 0 ]; then
        tail -n 40 "$log" >&2
        echo "error: fuzz target $t failed (exit $status); its input is in fuzz/artifacts/$t/" >&2
        exit "$status"
    fi
done
echo "every fuzz target ran ${SECONDS_PER_TARGET} s without a finding"
