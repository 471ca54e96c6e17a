//! # pecsched-tests
//!
//! Cross-crate tests of PecSched (not published): golden runs of whole scenarios, end-to-end
//! checks that span the core, the CLI and the explorer, and browser tests. Tests live in
//! `tests/tests/`; this library holds the helpers they share.
//!
//! Single-crate tests stay with their crate: unit tests inline, the core's native-vs-wasm32
//! harness in `core/tests/cross_target.rs`, the CLI's in `native-worker/tests/cli.rs`.

use std::path::{Path, PathBuf};

/// The environment variable that makes golden comparisons rewrite their files instead.
pub const UPDATE_GOLDEN_VAR: &str = "PECSCHED_UPDATE_GOLDEN";

/// The workspace root (the folder of the virtual `Cargo.toml`).
pub fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("the tests package lives one level below the workspace root")
        .to_path_buf()
}

/// Compares `actual` with the golden file at `path`, or rewrites the file when
/// `PECSCHED_UPDATE_GOLDEN=1`. Panics with the first differing line otherwise.
pub fn assert_golden(path: &Path, actual: &str) {
    if std::env::var_os(UPDATE_GOLDEN_VAR).is_some_and(|v| v == "1") {
        std::fs::write(path, actual)
            .unwrap_or_else(|e| panic!("cannot write {}: {e}", path.display()));
        return;
    }
    let golden = std::fs::read_to_string(path).unwrap_or_else(|e| {
        panic!(
            "cannot read {}: {e} (create it with {UPDATE_GOLDEN_VAR}=1)",
            path.display()
        )
    });
    if golden == actual {
        return;
    }
    let first_diff = golden
        .lines()
        .zip(actual.lines())
        .position(|(g, a)| g != a)
        .unwrap_or_else(|| golden.lines().count().min(actual.lines().count()));
    panic!(
        "{} differs at line {}:\n  golden: {:?}\n  actual: {:?}\n\
         If the change is intended, rerun with {UPDATE_GOLDEN_VAR}=1 and review the diff.",
        path.display(),
        first_diff + 1,
        golden.lines().nth(first_diff),
        actual.lines().nth(first_diff),
    );
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
