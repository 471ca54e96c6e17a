//! # pecsched-tests
//!
//! Cross-crate tests of PecSched (not published): end-to-end checks that span the core, the
//! CLI and the explorer (the bad-input table), and browser tests. Tests live in
//! `tests/tests/`; this library holds the helpers they share.
//!
//! Single-crate tests stay with their crate: unit tests inline, the core's native-vs-wasm32
//! harness in `core/tests/cross_target.rs`, the CLI's in `native-worker/tests/cli/`.

use std::path::{Path, PathBuf};

/// The workspace root (the folder of the virtual `Cargo.toml`).
pub fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("the tests package lives one level below the workspace root")
        .to_path_buf()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn workspace_root_holds_the_virtual_manifest() {
        let manifest = std::fs::read_to_string(workspace_root().join("Cargo.toml")).unwrap();
        assert!(manifest.contains("[workspace]"));
    }
}
