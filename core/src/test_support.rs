//! Fixtures the unit tests of several modules share: the small Llama-3.1-8B cluster the
//! hand-built runs use, the sizing the hand-built policy views use, and a checked run of plain
//! CSV rows on that cluster.

use crate::hardware::ClusterSpec;
use crate::metrics::RequestRecord;
use crate::model::{ModelKind, ModelSpec};
use crate::perf::{Calibration, PerfModel};
use crate::policy::PolicyKnobs;
use crate::sched::{PolicyKind, Sizing};
use crate::sim::Simulation;
use crate::sim::config::EngineConfig;
use crate::sim::timeline::Span;
use crate::workload::parse_plain_csv;

/// Llama-3.1-8B, the engine's default thresholds, and room for any request's KV: a request is
/// long above 32K input tokens, and gets `max(2, ⌈input / 128Ki⌉)` replicas.
pub(crate) fn sizing_8b() -> Sizing {
    Sizing {
        long_threshold_tokens: 32_768,
        max_short_kv_permille: 500,
        sp_tokens_per_replica: 131_072,
        kv_capacity_tokens: 4_000_000,
        model: ModelKind::Llama31_8B.spec(),
    }
}

/// `nodes` nodes of 8 A100 serving Llama-3.1-8B at TP = 2 (four replicas a node), and its
/// performance model at the datasheet calibration.
pub(crate) fn cluster_8b(nodes: u32) -> (ClusterSpec, ModelSpec, PerfModel) {
    let mut c = ClusterSpec::paper_testbed();
    c.nodes = nodes;
    let model = ModelKind::Llama31_8B.spec();
    let perf = PerfModel::new(&c, &model, 2, &Calibration::datasheet_default()).unwrap();
    (c, model, perf)
}

/// Runs `kind` with `knobs` and `cfg` on [`cluster_8b`]`(nodes)` over the plain-CSV `rows`
/// (`arrival_s,input_tokens,output_tokens`, without the header), checking every invariant
/// after every event and recording the timeline; asserts that the run completed.
pub(crate) fn run_rows_8b(
    kind: PolicyKind,
    knobs: &PolicyKnobs,
    cfg: EngineConfig,
    nodes: u32,
    rows: &str,
) -> (Vec<RequestRecord>, Vec<Span>) {
    let (c, model, perf) = cluster_8b(nodes);
    let reqs = parse_plain_csv(&format!("arrival_s,input_tokens,output_tokens\n{rows}")).unwrap();
    let policy = kind.build(knobs, ModelKind::Llama31_8B, nodes * 4);
    let mut sim = Simulation::new(c, model, perf, 2, cfg, policy, reqs).unwrap();
    sim.record_timeline(200_000);
    while sim.step() {
        sim.check_invariants().unwrap();
    }
    let spans = sim.timeline().spans.clone();
    let (summary, records) = sim.finish();
    assert!(summary.stopped.is_none(), "{:?}", summary.stopped);
    (records, spans)
}
