#!/usr/bin/env bash
# Installs what PecSched needs on a fresh Debian 12 machine, skipping what is already present
# at the right version. Safe to run again.
#
#   bash scripts/setup.sh --serve  # only what building and serving the explorer needs: the
#                                  # wasm32 target, wasm-bindgen-cli, wasm-opt (scripts/run.sh)
#   bash scripts/setup.sh          # also the test tools: Chromium, chromedriver, Mesa (Vulkan
#                                  # on the CPU), Node, the nightly toolchain and cargo-fuzz
#   bash scripts/setup.sh --web    # also trunk, for `trunk serve` while developing
#
# Versions: docs in /work/shared/docs/toolchain.md; they must match Cargo.toml and Trunk.toml.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

WASM_BINDGEN_VERSION=0.2.130 # = the `wasm-bindgen = "=…"` pin in Cargo.toml
TRUNK_VERSION=0.21.14        # trunk 0.22 needs a newer rustc
BINARYEN_VERSION=132         # = `wasm_opt = "version_…"` in Trunk.toml; Debian's 108 is too old
APT_PACKAGES=(chromium chromium-driver mesa-vulkan-drivers libvulkan1)

WEB=false
SERVE_ONLY=false
for arg in "$@"; do
    case "$arg" in
        --web) WEB=true ;;
        --serve) SERVE_ONLY=true ;;
        *) echo "usage: $0 [--serve | --web]" >&2; exit 2 ;;
    esac
done

export PATH="$HOME/.cargo/bin:$PWD/node_modules/.bin:$PATH"

say() { printf '\n==> %s\n' "$*"; }
ok() { printf '    ok: %s\n' "$*"; }

# Runs a command as root (directly, or through sudo when not root).
as_root() {
    if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi
}

say "Rust target wasm32-unknown-unknown"
if rustup target list --installed | grep -qx wasm32-unknown-unknown; then
    ok "installed"
else
    rustup target add wasm32-unknown-unknown
fi

say "wasm-bindgen-cli $WASM_BINDGEN_VERSION (wasm-bindgen, wasm-bindgen-test-runner)"
if command -v wasm-bindgen-test-runner >/dev/null &&
    [ "$(wasm-bindgen --version 2>/dev/null)" = "wasm-bindgen $WASM_BINDGEN_VERSION" ]; then
    ok "$(wasm-bindgen --version)"
else
    # Not --locked: its lockfile wants a webpki-roots version the registry here lacks.
    cargo install wasm-bindgen-cli --version "$WASM_BINDGEN_VERSION" --force
fi

say "wasm-opt $BINARYEN_VERSION (npm binaryen, into ./node_modules)"
if [ -x node_modules/.bin/wasm-opt ] &&
    node_modules/.bin/wasm-opt --version | grep -q "^wasm-opt version $BINARYEN_VERSION\b"; then
    ok "$(node_modules/.bin/wasm-opt --version)"
else
    npm install --no-save --no-package-lock --no-fund --no-audit "binaryen@$BINARYEN_VERSION.0.0"
fi

if [ "$SERVE_ONLY" = true ]; then
    say "setup done (serving only)"
    exit 0
fi

say "Debian packages: ${APT_PACKAGES[*]}"
missing=()
for pkg in "${APT_PACKAGES[@]}"; do
    if [ "$(dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null)" != "install ok installed" ]; then
        missing+=("$pkg")
    fi
done
# wasm-bindgen-test-runner runs the wasm32 tests in Node.
command -v node >/dev/null || missing+=(nodejs)
if [ ${#missing[@]} -eq 0 ]; then
    ok "all installed"
else
    echo "    missing: ${missing[*]}"
    apt_install() {
        as_root apt-get update &&
            as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "${missing[@]}"
    }
    # apt has failed once with a transient dpkg "cannot access archive" error: retry once.
    apt_install || { echo "    apt failed; retrying once in 5 s"; sleep 5; apt_install; }
fi

if [ "$WEB" = true ]; then
    say "trunk $TRUNK_VERSION"
    if command -v trunk >/dev/null && [ "$(trunk --version)" = "trunk $TRUNK_VERSION" ]; then
        ok "$(trunk --version)"
    else
        cargo install trunk --version "$TRUNK_VERSION" --locked --force
    fi

fi

# Fuzzing smoke (scripts/fuzz-smoke.sh): the nightly toolchain and cargo-fuzz.
say "nightly toolchain and cargo-fuzz (fuzz smoke)"
if ! rustup toolchain list | grep -q '^nightly'; then
    rustup toolchain install nightly --profile minimal ||
        echo "    warning: could not install nightly; check.sh will say the fuzz smoke was skipped" >&2
fi
if rustup toolchain list | grep -q '^nightly' && ! cargo +nightly fuzz --version >/dev/null 2>&1; then
    cargo install cargo-fuzz --locked || cargo install cargo-fuzz
fi
if cargo +nightly fuzz --version >/dev/null 2>&1; then
    ok "$(cargo +nightly fuzz --version)"
fi

say "setup done"
