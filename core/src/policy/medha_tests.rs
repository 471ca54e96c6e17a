//! Medha on hand-built runs whose behaviour is known: its adaptive chunks keep every step of a
//! long prefill within the TBT target while the fixed chunks of `chunked-prefill` do not; and
//! the global queue is served least slack first, which is neither arrival nor input order.

use super::chunked_tests::FOUR_SHORT_THEN_LONG;
use super::ranked_tests::{run_one_replica, started};
use super::{Medha, PolicyKind, PolicyKnobs};
use crate::hardware::ClusterSpec;
use crate::metrics::{Class, RequestRecord, Slo};
use crate::model::ModelKind;
use crate::perf::{Calibration, PerfModel};
use crate::sched::Policy;
use crate::sim::Simulation;
use crate::sim::config::EngineConfig;
use crate::test_support::cluster_8b;
use crate::time::SimDuration;
use crate::workload::parse_plain_csv;

/// Four short requests (1,000 in, 20 out) at 0 s and a 200,000-token prompt at 0.1 s on one
/// node (Llama-3.1-8B at TP = 2 on 8 A100: four replicas), as `chunked_tests.rs`: the long
/// request's group is replicas 0 and 1, where two short requests each decode. Returns the
/// records and the gaps between consecutive event times while the long request prefills: on
/// this run nothing but the prefill's steps (and the 10 s liveness watch) ends there, so the
/// longest gap bounds the longest step from below and the gaps count the steps.
fn run(kind: PolicyKind) -> (Vec<RequestRecord>, Vec<SimDuration>) {
    let (c, model, perf) = cluster_8b(1);
    let reqs = parse_plain_csv(&format!(
        "arrival_s,input_tokens,output_tokens\n{FOUR_SHORT_THEN_LONG}"
    ))
    .unwrap();
    let policy = kind.build(&PolicyKnobs::default(), ModelKind::Llama31_8B, 4);
    let mut sim =
        Simulation::new(c, model, perf, 2, EngineConfig::default(), policy, reqs).unwrap();
    let mut times = vec![sim.now()];
    while sim.step() {
        times.push(sim.now());
    }
    let (summary, records) = sim.finish();
    assert!(summary.stopped.is_none(), "{:?}", summary.stopped);
    assert_eq!(records[4].class, Class::Long);
    let (start, first) = (
        records[4].prefill_start.unwrap(),
        records[4].first_token.unwrap(),
    );
    times.retain(|&t| t >= start && t <= first);
    times.dedup();
    let gaps = times
        .windows(2)
        .map(|w| SimDuration(w[1].0 - w[0].0))
        .collect();
    (records, gaps)
}

#[test]
fn adaptive_chunks_keep_every_step_within_the_tbt_target_and_fixed_chunks_do_not() {
    let target = Slo::DEFAULT.short.tbt; // Medha's default target: 150 ms
    let (medha, steps) = run(PolicyKind::Medha);
    let worst = steps.iter().max().copied().unwrap();
    assert!(worst <= target, "Medha's slowest step {worst:?}");
    // Every short request decodes through the long prefill and meets the target on average.
    for s in &medha[..4] {
        assert!(
            s.completion.unwrap() < medha[4].first_token.unwrap(),
            "{s:?}"
        );
        assert!(s.tbt_ns().unwrap() <= target.0, "{s:?}");
    }
    let (chunked, fixed) = run(PolicyKind::ChunkedPrefill);
    let worst_fixed = fixed.iter().max().copied().unwrap();
    assert!(
        worst_fixed > target,
        "chunked's slowest step {worst_fixed:?}"
    );
    // 4,096 tokens per fixed step over the group: ⌈200,000 / 4,096⌉ = 49 steps (and a
    // liveness watch or so). Medha's chunks, smaller as the context grows, take more steps.
    assert!((49..=52).contains(&fixed.len()), "{} steps", fixed.len());
    assert!(steps.len() > fixed.len(), "{} steps", steps.len());
    // Short requests sharing steps with the fixed chunks decode slower than the target.
    assert!(chunked[..4].iter().any(|s| s.tbt_ns().unwrap() > target.0));
}

fn build(kind: PolicyKind) -> Box<dyn Policy> {
    kind.build(&PolicyKnobs::default(), ModelKind::Llama31_8B, 1)
}

#[test]
fn a_short_request_with_less_slack_that_arrived_later_is_served_first() {
    // Request 0 runs, 1 waits in the local queue; 2 (10,000 tokens: TTFT limit 3.5 s) and then
    // 3 (100 tokens: limit 2.51 s, a millisecond later) wait in the global queue. Slack:
    // 2 ≈ 0.002 + 3.5 − its prefill (≈ 0.3 s); 3 ≈ 0.003 + 2.51 − ≈ 0.
    let rows = "0.000,1000,200\n0.001,1000,10\n0.002,10000,10\n0.003,100,10\n";
    let r = run_one_replica(build(PolicyKind::Medha), rows);
    assert!(started(&r[3]) < started(&r[2]), "less slack first");
    assert!(
        started(&r[1]) < started(&r[3]),
        "the local queue stays FIFO"
    );
    let f = run_one_replica(build(PolicyKind::Fifo), rows);
    assert!(started(&f[2]) < started(&f[3]), "FIFO: arrival order");
}

#[test]
fn slack_not_size_orders_the_queue() {
    // 2 (3,000 tokens, limit 2.8 s) arrives at 0.002 s; 3 (100 tokens, limit 2.51 s) at 1 s,
    // while 2 still waits (request 0 decodes 200 tokens first): 3 has the smaller input but
    // more slack (deadline 3.51 s against 2.80 s), so Medha serves 2 first and SJF 3.
    let rows = "0.000,1000,200\n0.001,1000,10\n0.002,3000,10\n1.000,100,10\n";
    let r = run_one_replica(build(PolicyKind::Medha), rows);
    assert!(started(&r[2]) < started(&r[3]), "Medha: least slack first");
    assert!(r[3].arrival.0 < started(&r[2]), "3 arrived while 2 waited");
    let s = run_one_replica(build(PolicyKind::Sjf), rows);
    assert!(started(&s[3]) < started(&s[2]), "SJF: smaller input first");
}

#[test]
fn the_prefill_estimate_grows_with_the_input_and_the_target_follows_the_short_slo() {
    let c = ClusterSpec::paper_testbed();
    let perf = PerfModel::new(
        &c,
        &ModelKind::Llama31_70B.spec(),
        4,
        &Calibration::datasheet_default(),
    )
    .unwrap();
    let short = Medha::prefill_estimate(&perf, 1000, 0);
    let longer = Medha::prefill_estimate(&perf, 10_000, 0);
    assert!(short < longer && longer > SimDuration::ZERO);
    let long = Medha::prefill_estimate(&perf, 500_000, 4);
    // The ring-SP prefill of the model: tens of seconds for 500K tokens on 4 replicas.
    assert!(long > SimDuration::from_millis(30_000), "{long:?}");
    let mut slo = Slo::DEFAULT;
    slo.short.tbt = SimDuration::from_millis(50);
    let knobs = PolicyKnobs {
        slo,
        ..PolicyKnobs::default()
    };
    assert_eq!(Medha::new(&knobs).tbt_target, SimDuration::from_millis(50));
    let knobs = PolicyKnobs {
        medha_tbt_target: Some(SimDuration::from_millis(80)),
        ..knobs
    };
    assert_eq!(Medha::new(&knobs).tbt_target, SimDuration::from_millis(80));
}

/// A streamed run hands Medha its performance model too (`Policy::prepare` in
/// `Simulation::streamed`): the streamed run's records are the in-memory run's on a run where
/// the estimates decide the order. The default scenario's eight replicas run one sequence and
/// queue one request each; sixteen requests (1,000 in, 500–650 out, so that replicas free up
/// one at a time) fill them at 0 s; then A
/// (10,000 tokens, TTFT limit 3.5 s, at 10 ms) and B (100 tokens, limit 2.51 s, at 900 ms) wait
/// in the global queue. Deadlines: A 3.51 s, B 3.41 s; slack: A ≈ 3.51 s less its prefill
/// (about half a second on Llama-3.1-70B), B ≈ 3.41 s — so least slack serves A first, and
/// earliest deadline first (no estimates: the policy never handed the model) B.
#[test]
fn a_streamed_run_orders_by_the_same_slack() {
    use crate::scenario::Scenario;
    use crate::time::SimTime;
    use crate::workload::Request;
    let mut w = Scenario::default_scenario().to_wire();
    let mut e = w.engine.unwrap_or_default();
    e.max_num_seqs = 1;
    e.local_queue_cap_tokens = 1;
    w.engine = Some(e);
    let s = Scenario::from_wire(&w).unwrap();
    let req = |id: u32, at_ms: u64, input: u32, output: u32| Request {
        id,
        arrival: SimTime(at_ms * 1_000_000),
        input_tokens: input,
        output_tokens: output,
        prefix: Default::default(),
    };
    let mut reqs: Vec<Request> = (0..16).map(|i| req(i, 0, 1000, 500 + 10 * i)).collect();
    reqs.push(req(16, 10, 10_000, 10));
    reqs.push(req(17, 900, 100, 10));
    let (_, records) = s.run(PolicyKind::Medha, reqs.clone()).unwrap();
    let source: Box<dyn Iterator<Item = Result<Request, String>>> =
        Box::new(reqs.clone().into_iter().map(Ok));
    let end = s
        .streamed_run(s.build_policy(PolicyKind::Medha), source, Vec::new())
        .unwrap()
        .run()
        .unwrap();
    assert_eq!(end.sink, records);
    // The estimates matter here: the same policy never handed the model (earliest deadline
    // first) serves these requests differently, so a streamed run without it would differ.
    struct NoModel(Box<dyn Policy>);
    impl Policy for NoModel {
        fn kind(&self) -> PolicyKind {
            self.0.kind()
        }
        fn rules(&self) -> crate::sched::EngineRules {
            self.0.rules()
        }
        fn dispatch(
            &mut self,
            view: &crate::sched::View<'_>,
            out: &mut Vec<crate::sched::Decision>,
        ) {
            self.0.dispatch(view, out);
        }
    }
    let edf = s
        .simulation_with(Box::new(NoModel(s.build_policy(PolicyKind::Medha))), reqs)
        .unwrap()
        .run()
        .1;
    let started = |r: &[RequestRecord], id: usize| r[id].prefill_start.unwrap();
    assert!(
        started(&records, 16) < started(&records, 17),
        "least slack: A first"
    );
    assert!(
        started(&edf, 17) < started(&edf, 16),
        "earliest deadline: B first"
    );
}
