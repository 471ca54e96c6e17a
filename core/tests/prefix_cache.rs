//! Property test: prefix caching never breaks the KV invariants (docs/prefix-caching.md). Over
//! random small scenarios with shared prefixes and little KV memory (so the caches fill and
//! evict), for every policy, at every event: KV in use equals the sequences' own reservations
//! plus the cached blocks in use, in use + evictable ≤ capacity, every block's reference count
//! equals the sequences holding it (a block in use is never evicted); every request completes
//! or is rejected with a reason; a rerun gives the identical results. Across the cases, caches
//! hit and evict.
//!
//! Seed: ChaCha `[17; 32]`; cases: 200 (override with `PECSCHED_PROPTEST_CASES`).

use pecsched_core::hardware::ClusterSpec;
use pecsched_core::model::ModelKind;
use pecsched_core::perf::{Calibration, PerfModel};
use pecsched_core::policy::{PolicyKind, PolicyKnobs};
use pecsched_core::sim::Simulation;
use pecsched_core::sim::config::EngineConfig;
use pecsched_core::time::{SimDuration, SimTime};
use pecsched_core::workload::{PrefixGroup, PrefixModel, Request, SharedPrompt};
use proptest::prelude::*;
use seeded_runner::seeded_runner;

mod seeded_runner;
use std::cell::Cell;

#[derive(Debug, Clone)]
struct Case {
    nodes: u32,
    tp: u32,
    /// GPU memory beyond the weights' share, in MiB (sets the KV capacity).
    kv_mib: u64,
    block_tokens: u32,
    shared_prompt: Option<(u32, u32)>,
    /// (gap ms, input, output, group: 0..6, 6 = none)
    reqs: Vec<(u64, u32, u32, u32)>,
}

fn case() -> impl Strategy<Value = Case> {
    let req = prop_oneof![
        8 => (0u64..400, 1u32..6_000, 1u32..200, 0u32..7),
        1 => (0u64..400, 40_000u32..200_000, 1u32..30, 0u32..7),
    ];
    (
        prop::sample::select(vec![(1u32, 1u32), (1, 2), (2, 2), (1, 4)]),
        prop::sample::select(vec![1_500u64, 3_000, 8_000]),
        prop::sample::select(vec![16u32, 64, 512]),
        prop::option::of((1u32..2_000, 1u32..4)),
        prop::collection::vec(req, 1..60),
    )
        .prop_map(
            |((nodes, tp), kv_mib, block_tokens, shared_prompt, reqs)| Case {
                nodes,
                tp,
                kv_mib,
                block_tokens,
                shared_prompt,
                reqs,
            },
        )
}

fn requests(c: &Case) -> Vec<Request> {
    let mut t = 0;
    c.reqs
        .iter()
        .enumerate()
        .map(|(i, &(gap_ms, input, output, g))| {
            t += gap_ms * 1_000_000;
            Request {
                id: i as u32,
                arrival: SimTime(t),
                input_tokens: input,
                output_tokens: output,
                prefix: if g == 6 {
                    PrefixGroup::NONE
                } else {
                    PrefixGroup(g)
                },
            }
        })
        .collect()
}

/// Hits and evictions seen across all cases.
#[derive(Default)]
struct Seen {
    hits: Cell<u64>,
    evictions: Cell<u64>,
}

fn check(c: &Case, policy: PolicyKind, seen: &Seen) -> Result<(), TestCaseError> {
    let model = ModelKind::Llama31_8B;
    let mut cluster = ClusterSpec::paper_testbed();
    cluster.nodes = c.nodes;
    cluster.gpus_per_node = 4;
    cluster.gpu.memory_bytes =
        model.spec().weight_bytes() / c.tp as u64 * 12 / 10 + c.kv_mib * 1024 * 1024;
    let Ok(perf) = PerfModel::new(
        &cluster,
        &model.spec(),
        c.tp,
        &Calibration::datasheet_default(),
    ) else {
        return Ok(());
    };
    let prefixes = PrefixModel {
        block_tokens: c.block_tokens,
        shared_prompt: c
            .shared_prompt
            .map(|(tokens, prompts)| SharedPrompt { tokens, prompts }),
        sessions: None,
        seed: 5,
        table: None,
    };
    let cfg = EngineConfig {
        drain_limit: SimDuration::from_millis(100_000_000),
        ..EngineConfig::default()
    };
    let replicas = cluster.total_gpus() / c.tp;
    let build = || {
        let p = policy.build(&PolicyKnobs::default(), model, replicas);
        Simulation::new(
            cluster,
            model.spec(),
            perf.clone(),
            c.tp,
            cfg,
            p,
            requests(c),
        )
        .map(|s| s.with_prefix_cache(prefixes.clone()))
    };
    // Too little KV for one request, or no prefill replica besides a decode pool.
    let Ok(mut sim) = build() else {
        return Ok(());
    };
    let mut last = SimTime::ZERO;
    while sim.step() {
        prop_assert!(sim.now() >= last, "time went back");
        last = sim.now();
        if let Err(e) = sim.check_invariants() {
            return Err(TestCaseError::fail(format!(
                "{}: {e} at {}",
                policy.id(),
                sim.now()
            )));
        }
    }
    let (summary, records) = sim.finish();
    let (again, records2) = build().unwrap().run();
    prop_assert_eq!(&summary, &again, "{}: a rerun differs", policy.id());
    prop_assert_eq!(&records, &records2);
    prop_assert!(
        summary.stopped.is_none(),
        "{}: {:?}",
        policy.id(),
        summary.stopped
    );
    for r in &records {
        prop_assert!(
            r.completion.is_some() || r.rejected_reason.is_some(),
            "{}: request {} neither completed nor rejected: {r:?}",
            policy.id(),
            r.id
        );
        prop_assert!(r.cached_tokens < r.input_tokens.max(1));
        prop_assert_eq!(r.cached_tokens % c.block_tokens, 0);
    }
    let p = summary.prefix.expect("a caching run has prefix stats");
    prop_assert_eq!(p.long.cached_tokens, 0, "long requests never use the cache");
    seen.hits.set(seen.hits.get() + p.short.hit_requests);
    seen.evictions.set(seen.evictions.get() + p.evictions);
    Ok(())
}

#[test]
fn prefix_caching_keeps_the_kv_invariants_for_every_policy() {
    let mut runner = seeded_runner(200, 17);
    let seen = Seen::default();
    runner
        .run(&case(), |c| {
            for p in PolicyKind::ALL {
                check(&c, p, &seen)?;
            }
            Ok(())
        })
        .unwrap();
    // The cases exercise what they are meant to: reuse, and eviction under pressure.
    assert!(seen.hits.get() > 0, "no case hit the cache");
    assert!(seen.evictions.get() > 0, "no case evicted a block");
}
