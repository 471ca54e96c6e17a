//! Every GPU kernel against its plain-Rust reference, on whatever Vulkan adapter exists (in
//! CI: Mesa's lavapipe, installed by `.ci/run`). No adapter is a failure with instructions,
//! not a skip. Kernels the adapter cannot run (cooperative matrices on lavapipe) are covered
//! here by a naga compile to SPIR-V (unit tests of the worker) and on the GPU by `bench`,
//! which runs these same checks before timing.

#[allow(dead_code, unused_imports)]
#[path = "../src/gpu/mod.rs"]
mod gpu;

use gpu::check::{report, run_family};
use gpu::kernels::Kernels;

fn family(name: &str) {
    let g =
        gpu::Gpu::open().unwrap_or_else(|e| panic!("GPU kernel tests need a Vulkan adapter: {e}"));
    println!("adapter: {}", g.describe());
    let k = Kernels::new(&g, false).unwrap_or_else(|e| panic!("{e}"));
    let results = run_family(&g, &k, name, false);
    assert!(!results.is_empty());
    let failed = report(&results);
    assert_eq!(
        failed,
        0,
        "{failed} of {} {name} checks failed (see above)",
        results.len()
    );
}

#[test]
fn prefill_attention_matches_reference() {
    family("prefill");
}

#[test]
fn decode_attention_matches_reference() {
    family("decode");
}

#[test]
fn attention_merge_matches_reference() {
    family("merge");
}

#[test]
fn gemm_matches_reference() {
    family("gemm");
}
