//! The property tests' runner (shared by `invariants.rs` and `prefix_cache.rs`): a fixed
//! ChaCha seed, no failure files, and `default_cases` cases unless `PECSCHED_PROPTEST_CASES`
//! says otherwise.

use proptest::test_runner::{Config, RngAlgorithm, TestRng, TestRunner};

/// A deterministic runner: ChaCha seeded with `[seed; 32]`.
pub fn seeded_runner(default_cases: u32, seed: u8) -> TestRunner {
    let cases: u32 = std::env::var("PECSCHED_PROPTEST_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default_cases);
    TestRunner::new_with_rng(
        Config {
            cases,
            failure_persistence: None,
            ..Config::default()
        },
        TestRng::from_seed(RngAlgorithm::ChaCha, &[seed; 32]),
    )
}
