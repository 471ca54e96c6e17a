//! Property test: the engine's invariants hold at every event, for every policy and ablation,
//! over random small scenarios (fixed proptest seed, so failures reproduce): every request
//! completes exactly once or is rejected with a reason (liveness: no run ends stalled); KV in use ≤ capacity at every event;
//! time never goes back; each request's timestamps are in order; paused prefill work is
//! conserved; a rerun gives the identical event-log hash and records.
//!
//! Seed: ChaCha `[7; 32]`; cases: 1,000 (override with `PECSCHED_PROPTEST_CASES`).

use pecsched_core::hardware::{ClusterSpec, GpuKind};
use pecsched_core::model::ModelKind;
use pecsched_core::perf::{Calibration, PerfModel};
use pecsched_core::policy::{PolicyKind, PolicyKnobs};
use pecsched_core::sim::Simulation;
use pecsched_core::sim::config::EngineConfig;
use pecsched_core::time::{SimDuration, SimTime};
use pecsched_core::workload::Request;
use proptest::prelude::*;
use seeded_runner::seeded_runner;

mod seeded_runner;

#[derive(Debug, Clone)]
struct Case {
    gpu: GpuKind,
    model: ModelKind,
    nodes: u32,
    gpus_per_node: u32,
    tp: u32,
    batch_tokens: u32,
    queue_cap: u32,
    kernels: u32,
    reqs: Vec<(u64, u32, u32)>,
}

fn case() -> impl Strategy<Value = Case> {
    let shape = prop_oneof![
        Just((1u32, 4u32, 1u32)),
        Just((1, 8, 2)),
        Just((2, 4, 2)),
        Just((2, 8, 4)),
        Just((1, 8, 1)),
    ];
    let req = prop_oneof![
        4 => (0u64..3_000, 1u32..4_000, 1u32..300),
        1 => (0u64..3_000, 40_000u32..400_000, 1u32..60),
    ];
    (
        prop::sample::select(GpuKind::ALL.to_vec()),
        prop::sample::select(vec![ModelKind::Llama31_8B, ModelKind::Mistral7B]),
        shape,
        prop::sample::select(vec![512u32, 2048, 8192]),
        prop::sample::select(vec![1u32, 4096, 8192]),
        1u32..8,
        prop::collection::vec(req, 1..50),
    )
        .prop_map(
            |(gpu, model, (nodes, gpn, tp), bt, qc, kernels, reqs)| Case {
                gpu,
                model,
                nodes,
                gpus_per_node: gpn,
                tp,
                batch_tokens: bt,
                queue_cap: qc,
                kernels,
                reqs,
            },
        )
}

fn requests(c: &Case) -> Vec<Request> {
    let mut t = 0;
    c.reqs
        .iter()
        .enumerate()
        .map(|(i, &(gap_ms, input, output))| {
            t += gap_ms * 1_000_000;
            Request {
                id: i as u32,
                arrival: SimTime(t),
                input_tokens: input,
                output_tokens: output,
                prefix: pecsched_core::workload::PrefixGroup::NONE,
            }
        })
        .collect()
}

fn check(c: &Case, policy: PolicyKind) -> Result<(), TestCaseError> {
    let mut cluster = ClusterSpec::paper_testbed();
    cluster.gpu = c.gpu.spec();
    cluster.nodes = c.nodes;
    cluster.gpus_per_node = c.gpus_per_node;
    let perf = PerfModel::new(
        &cluster,
        &c.model.spec(),
        c.tp,
        &Calibration::datasheet_default(),
    )
    .unwrap();
    let cfg = EngineConfig {
        max_batched_tokens: c.batch_tokens,
        local_queue_cap_tokens: c.queue_cap,
        kernels_per_layer: c.kernels,
        drain_limit: SimDuration::from_millis(100_000_000),
        ..EngineConfig::default()
    };
    let replicas = cluster.total_gpus() / c.tp;
    let p = policy.build(&PolicyKnobs::default(), c.model, replicas);
    let mut sim = match Simulation::new(cluster, c.model.spec(), perf, c.tp, cfg, p, requests(c)) {
        Ok(s) => s,
        // Disaggregation needs a prefill replica besides the decode pool.
        Err(e) => {
            prop_assert!(replicas < 2, "unexpected set-up error {e}");
            return Ok(());
        }
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
    // Identical scenario ⇒ identical event log and results.
    let p2 = policy.build(&PolicyKnobs::default(), c.model, replicas);
    let perf2 = PerfModel::new(
        &cluster,
        &c.model.spec(),
        c.tp,
        &Calibration::datasheet_default(),
    )
    .unwrap();
    let (again, records2) =
        Simulation::new(cluster, c.model.spec(), perf2, c.tp, cfg, p2, requests(c))
            .unwrap()
            .run();
    prop_assert_eq!(&summary, &again, "{}: a rerun differs", policy.id());
    prop_assert_eq!(&records, &records2);
    for r in &records {
        let served = r.completion.is_some();
        let never_servable = r.rejected;
        prop_assert!(
            served || never_servable,
            "{}: request {} neither completed nor rejected: {r:?}",
            policy.id(),
            r.id
        );
    }
    prop_assert_eq!(
        summary.short.completed
            + summary.long.completed
            + summary.short.rejected
            + summary.long.rejected,
        records.len() as u64
    );
    // Liveness: the run served (or rejected with a reason) every request.
    prop_assert!(
        summary.stopped.is_none(),
        "{}: {:?}",
        policy.id(),
        summary.stopped
    );
    for r in records.iter().filter(|r| r.rejected) {
        prop_assert!(
            r.rejected_reason.is_some(),
            "rejected without a reason: {r:?}"
        );
    }
    Ok(())
}

#[test]
fn invariants_hold_for_every_policy_on_random_scenarios() {
    let mut runner = seeded_runner(1000, 7);
    runner
        .run(&case(), |c| {
            for p in PolicyKind::ALL {
                check(&c, p)?;
            }
            Ok(())
        })
        .unwrap();
}
