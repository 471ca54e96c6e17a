//! Every GPU kernel against its plain-Rust reference, on whatever Vulkan adapter exists (in
//! CI: Mesa's lavapipe, installed by `.ci/run`). No adapter is a failure with instructions,
//! not a skip. Kernels the adapter cannot run (cooperative matrices on lavapipe) are covered
//! here by a naga compile to SPIR-V (unit tests of the crate) and on the GPU by `bench`,
//! which runs these same checks before timing.

use pecsched_gpu::Gpu;
use pecsched_gpu::check::{report, run_family};
use pecsched_gpu::kernels::Kernels;
use pecsched_gpu::points::KernelFamily;

fn family(name: KernelFamily) {
    let g = Gpu::open().unwrap_or_else(|e| panic!("GPU kernel tests need a Vulkan adapter: {e}"));
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
    family(KernelFamily::Prefill);
}

#[test]
fn decode_attention_matches_reference() {
    family(KernelFamily::Decode);
}

#[test]
fn attention_merge_matches_reference() {
    family(KernelFamily::Merge);
}

#[test]
fn gemm_matches_reference() {
    family(KernelFamily::Gemm);
}

/// Shapes beyond the shared table that matter to the tiles of the f32 kernels: edges at one
/// row or key past a 64-row / 64-key block, several row blocks without the causal mask, a
/// prefix that ends mid-block, head dim 96 (vec2 outputs, three Q/K stages).
#[test]
fn f32_prefill_tile_edges_match_reference() {
    use pecsched_gpu::check::{check_prefill, pre as shape};
    use pecsched_gpu::kernels::PrefillVariant;

    let g = Gpu::open().unwrap_or_else(|e| panic!("GPU kernel tests need a Vulkan adapter: {e}"));
    let k = Kernels::new(&g, false).unwrap_or_else(|e| panic!("{e}"));
    let cases = [
        (shape(1, 2, 1, 128, 129, 0, true), 16.0),
        (shape(1, 2, 2, 64, 150, 0, false), 4.0),
        (shape(2, 4, 2, 128, 65, 63, true), 4.0),
        (shape(1, 2, 2, 96, 100, 30, true), 8.0),
        (shape(1, 3, 3, 96, 70, 0, false), 4.0),
        (shape(1, 1, 1, 32, 128, 64, true), 4.0),
    ];
    let mut failed = Vec::new();
    for (s, amp) in cases {
        for v in [PrefillVariant::Fma, PrefillVariant::FmaWide] {
            match check_prefill(&g, &k, v, &s, amp) {
                Ok(d) => println!("  ok    {} {s:?}: rel L2 {:.1e}", v.as_str(), d.rel_l2),
                Err(e) => failed.push(format!("{} {s:?}: {e}", v.as_str())),
            }
        }
    }
    assert!(failed.is_empty(), "{failed:#?}");
}
