//! Shortest-job-first and learning-to-rank on hand-built runs whose order is known: one
//! replica that runs one sequence at a time and takes one request into its local queue, so
//! later arrivals wait in the global queue and the policy's order decides who goes next.

use super::{LearnedRank, PolicyKind, PolicyKnobs};
use crate::hardware::ClusterSpec;
use crate::metrics::RequestRecord;
use crate::model::ModelKind;
use crate::perf::{Calibration, PerfModel};
use crate::sched::Policy;
use crate::sim::Simulation;
use crate::sim::config::EngineConfig;
use crate::workload::parse_plain_csv;

/// Runs `policy` on one replica (Llama-3.1-8B at TP = 2 on two A100) that runs one sequence
/// and queues one request, on the plain-CSV `rows` (`arrival_s,input,output`).
pub(super) fn run_one_replica(policy: Box<dyn Policy>, rows: &str) -> Vec<RequestRecord> {
    let mut c = ClusterSpec::paper_testbed();
    c.nodes = 1;
    c.gpus_per_node = 2;
    let model = ModelKind::Llama31_8B.spec();
    let perf = PerfModel::new(&c, &model, 2, &Calibration::datasheet_default()).unwrap();
    let cfg = EngineConfig {
        max_num_seqs: 1,
        local_queue_cap_tokens: 1,
        ..EngineConfig::default()
    };
    let reqs = parse_plain_csv(&format!("arrival_s,input_tokens,output_tokens\n{rows}")).unwrap();
    let sim = Simulation::new(c, model, perf, 2, cfg, policy, reqs).unwrap();
    let (summary, records) = sim.run();
    assert!(summary.stopped.is_none(), "{:?}", summary.stopped);
    records
}

/// When request `r`'s prefill started, in nanoseconds.
pub(super) fn started(r: &RequestRecord) -> u64 {
    r.prefill_start.expect("every request served").0
}

fn build(kind: PolicyKind, knobs: &PolicyKnobs) -> Box<dyn Policy> {
    kind.build(knobs, ModelKind::Llama31_8B, 1)
}

/// Request 0 runs, 1 waits in the local queue, 2 (4,000 tokens) and then 3 (100 tokens) wait
/// in the global queue.
const SIZES: &str = "0.000,1000,200\n0.001,1000,10\n0.002,4000,10\n0.003,100,10\n";

#[test]
fn sjf_serves_a_short_request_that_arrived_later_first() {
    let r = run_one_replica(build(PolicyKind::Sjf, &PolicyKnobs::default()), SIZES);
    assert!(
        started(&r[3]) < started(&r[2]),
        "SJF: 100 tokens before 4,000"
    );
    assert!(
        started(&r[1]) < started(&r[3]),
        "the local queue stays FIFO"
    );
    // The same run under FIFO serves them in arrival order.
    let f = run_one_replica(build(PolicyKind::Fifo, &PolicyKnobs::default()), SIZES);
    assert!(started(&f[2]) < started(&f[3]));
}

/// Request 2 has the shorter input, request 3 the shorter output.
const OUTPUTS: &str = "0.000,1000,200\n0.001,1000,10\n0.002,100,60\n0.003,4000,5\n";

#[test]
fn learning_to_rank_serves_the_shortest_estimated_output_first() {
    let oracle = PolicyKnobs {
        rank_noise_sigma_milli: 0,
        ..PolicyKnobs::default()
    };
    let r = run_one_replica(build(PolicyKind::LearnedRank, &oracle), OUTPUTS);
    assert!(started(&r[3]) < started(&r[2]), "5 output tokens before 60");
    let s = run_one_replica(build(PolicyKind::Sjf, &oracle), OUTPUTS);
    assert!(
        started(&s[2]) < started(&s[3]),
        "SJF orders by input instead"
    );
}

#[test]
fn the_estimate_error_is_seeded_per_request_and_scales_with_sigma() {
    let oracle = LearnedRank::new(0, 1);
    assert_eq!(oracle.estimate(7, 100), 100.0);
    let a = LearnedRank::new(1000, 1);
    assert_eq!(
        a.estimate(7, 100),
        LearnedRank::new(1000, 1).estimate(7, 100)
    );
    assert_ne!(a.estimate(7, 100), a.estimate(8, 100));
    assert_ne!(
        a.estimate(7, 100),
        LearnedRank::new(1000, 2).estimate(7, 100)
    );
    // Over many requests the log-error has the named sigma (±5 %).
    let n = 4000;
    let logs: Vec<f64> = (0..n)
        .map(|i| libm::log(a.estimate(i, 100) / 100.0))
        .collect();
    let mean = logs.iter().sum::<f64>() / f64::from(n);
    let var = logs.iter().map(|x| (x - mean) * (x - mean)).sum::<f64>() / f64::from(n);
    assert!(
        (libm::sqrt(var) - 1.0).abs() < 0.05,
        "sigma {}",
        libm::sqrt(var)
    );
}
