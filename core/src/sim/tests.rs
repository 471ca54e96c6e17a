//! Engine tests on hand-built scenarios whose answers follow from the performance model.

use super::Simulation;
use super::config::EngineConfig;
use crate::hardware::ClusterSpec;
use crate::metrics::{Class, RequestRecord, StopReason, Summary};
use crate::model::ModelKind;
use crate::perf::{BatchShape, Calibration, PerfModel};
use crate::policy::PolicyKnobs;
use crate::sched::{Decision, EngineRules, Policy, PolicyKind, View};
use crate::time::{NANOS_PER_SEC, SimDuration, SimTime};
use crate::workload::Request;

/// One node of 8 A100, Llama-3.1-8B at TP=2: 4 replicas.
fn cluster(nodes: u32) -> ClusterSpec {
    let mut c = ClusterSpec::paper_testbed();
    c.nodes = nodes;
    c
}

fn perf(c: &ClusterSpec) -> PerfModel {
    PerfModel::new(
        c,
        &ModelKind::Llama31_8B.spec(),
        2,
        &Calibration::datasheet_default(),
    )
    .unwrap()
}

fn req(id: u32, at_ms: u64, input: u32, output: u32) -> Request {
    Request {
        id,
        arrival: SimTime(at_ms * 1_000_000),
        input_tokens: input,
        output_tokens: output,
        prefix: crate::workload::PrefixGroup::NONE,
    }
}

/// A simulation of `policy` on cluster `c` (Llama-3.1-8B at TP = 2).
fn new_sim(
    policy: PolicyKind,
    c: &ClusterSpec,
    cfg: EngineConfig,
    reqs: Vec<Request>,
) -> Simulation {
    let p = policy.build(
        &PolicyKnobs::default(),
        ModelKind::Llama31_8B,
        c.total_gpus() / 2,
    );
    Simulation::new(*c, ModelKind::Llama31_8B.spec(), perf(c), 2, cfg, p, reqs).unwrap()
}

fn run(policy: PolicyKind, nodes: u32, reqs: Vec<Request>) -> (Summary, Vec<RequestRecord>) {
    new_sim(policy, &cluster(nodes), EngineConfig::default(), reqs).run()
}

#[test]
fn a_lone_short_request_runs_prefill_then_decode_back_to_back() {
    let (_, recs) = run(PolicyKind::Fifo, 1, vec![req(0, 5, 1000, 4)]);
    let p = perf(&cluster(1));
    let mut prefill = BatchShape::default();
    prefill.add_prefill_chunk(1000, 0);
    let t0 = SimTime(5_000_000);
    let ttft = p.iteration_time(&prefill);
    let mut decode_total = SimDuration::ZERO;
    for i in 0..3u64 {
        let mut d = BatchShape::default();
        d.add_decode(1001 + i);
        decode_total += p.iteration_time(&d);
    }
    let r = recs[0];
    assert_eq!(r.prefill_start, Some(t0));
    assert_eq!(r.first_token, Some(t0 + ttft));
    assert_eq!(r.completion, Some(t0 + ttft + decode_total));
    assert_eq!(r.queueing_delay_ns(), Some(0));
}

#[test]
fn identical_runs_have_identical_event_logs() {
    let reqs: Vec<_> = (0..200)
        .map(|i| req(i, i as u64 * 37, 200 + (i * 977) % 3000, 1 + (i * 13) % 200))
        .collect();
    let (a, ra) = run(PolicyKind::Fifo, 1, reqs.clone());
    let (b, rb) = run(PolicyKind::Fifo, 1, reqs.clone());
    assert_eq!(a, b);
    assert_eq!(ra, rb);
    let mut other = reqs;
    other[5].output_tokens += 1;
    let (c, _) = run(PolicyKind::Fifo, 1, other);
    assert_ne!(a.log_hash, c.log_hash);
    assert_eq!(a.short.completed, 200);
}

#[test]
fn fifo_short_request_waits_behind_a_long_prefill_on_a_full_cluster() {
    // 200K tokens → 2 replicas; fill the other two with a second long request.
    let reqs = vec![
        req(0, 0, 200_000, 5),
        req(1, 0, 200_000, 5),
        req(2, 100, 800, 10),
    ];
    let (s, recs) = run(PolicyKind::Fifo, 1, reqs);
    assert_eq!(recs[0].class, Class::Long);
    assert_eq!(recs[0].replicas, 2);
    let long_prefill_end = recs[0]
        .first_token
        .unwrap()
        .min(recs[1].first_token.unwrap());
    assert!(
        recs[2].prefill_start.unwrap() >= long_prefill_end,
        "the short request starts only after a long prefill ends"
    );
    assert_eq!(s.long.preemptions, 0);
}

#[test]
fn pecsched_short_arrival_pauses_a_long_prefill_and_pe_makes_it_wait() {
    // 4 replicas, one decode-only: a 300K-token request takes the other three (⌈300K/128Ki⌉),
    // so the short request must preempt it.
    let reqs = vec![req(0, 0, 300_000, 5), req(1, 500, 800, 10)];
    let (s, recs) = run(PolicyKind::PecSched, 1, reqs.clone());
    assert_eq!(recs[0].replicas, 3);
    assert_eq!(
        s.long.preemptions, 1,
        "the short arrival preempts the long prefill"
    );
    let qd = recs[1].queueing_delay_ns().unwrap();
    let (_, pe) = run(PolicyKind::PecSchedNoPreemption, 1, reqs);
    let qd_pe = pe[1].queueing_delay_ns().unwrap();
    assert!(
        qd * 10 < qd_pe,
        "preemption cuts the short wait: {qd} ns vs {qd_pe} ns under /PE"
    );
    assert_eq!(pe.iter().map(|r| r.preemptions).sum::<u32>(), 0);
    assert!(
        pe[1].prefill_start.unwrap() >= pe[0].first_token.unwrap(),
        "/PE: the short waits for the long prefill"
    );
    // The paused long request finishes later than under /PE, but finishes.
    assert!(recs[0].completion.unwrap() > pe[0].completion.unwrap());
}

#[test]
fn pecsched_colocates_short_prefills_with_a_long_decode_and_col_preempts_it() {
    // One long request over all three prefill replicas, decoding a long output; a short
    // request arrives during its decode.
    let mut reqs = vec![req(0, 0, 300_000, 400)];
    let (_, probe) = run(PolicyKind::PecSched, 1, reqs.clone());
    let decode_start_ms = probe[0].first_token.unwrap().0 / 1_000_000;
    reqs.push(req(1, decode_start_ms + 2, 900, 5));
    let (co_s, co) = run(PolicyKind::PecSched, 1, reqs.clone());
    let (_, col) = run(PolicyKind::PecSchedNoColocation, 1, reqs);
    assert!(co[1].completion.is_some() && col[1].completion.is_some());
    assert_eq!(
        co[0].preemptions, 0,
        "colocation never suspends the long decode"
    );
    assert_eq!(
        col[0].preemptions, 1,
        "without colocation the short prefill pauses the long decode"
    );
    assert!(co[1].queueing_delay_ns().unwrap() < 100_000_000);
    assert_eq!(co_s.long.completed, 1);
}

#[test]
fn reservation_keeps_shorts_off_the_reserved_pool() {
    let reqs: Vec<_> = (0..50).map(|i| req(i, i as u64 * 5, 2000, 50)).collect();
    let (s, _) = run(PolicyKind::Reservation, 2, reqs.clone());
    let (f, _) = run(PolicyKind::Fifo, 2, reqs);
    assert_eq!(s.short.completed, 50);
    assert!(s.short.queueing_delay.p99 >= f.short.queueing_delay.p99);
    assert!(
        s.gpu_idle_rate > f.gpu_idle_rate,
        "the idle reserved pool raises the idle rate"
    );
}

#[test]
fn priority_starves_long_requests_under_steady_short_load() {
    // Shorts every 2 ms keep every replica busy; the long request never finds idle replicas.
    let mut reqs: Vec<_> = (0..3000)
        .map(|i| req(i, 1 + i as u64 * 2, 3000, 200))
        .collect();
    reqs.insert(0, req(0, 0, 150_000, 5));
    for (i, r) in reqs.iter_mut().enumerate() {
        r.id = i as u32;
    }
    let cfg = EngineConfig {
        drain_limit: SimDuration(NANOS_PER_SEC),
        ..EngineConfig::default()
    };
    let c = cluster(1);
    // The long request arrives first, when everything is idle, so it is served...
    let (s, _) = new_sim(PolicyKind::Priority, &c, cfg, reqs.clone()).run();
    assert_eq!(s.long.starved, 0);
    // ...but arriving behind the stream it starves.
    reqs[0].arrival = SimTime(0);
    let mut late = reqs[1..].to_vec();
    late.insert(100, req(0, 200, 150_000, 5));
    late.sort_by_key(|r| r.arrival);
    for (i, r) in late.iter_mut().enumerate() {
        r.id = i as u32;
    }
    let (s, _) = new_sim(PolicyKind::Priority, &c, cfg, late).run();
    assert_eq!(s.long.count, 1);
    assert_eq!(s.long.starved, 1, "the long request is never served");
}

#[test]
fn the_event_limit_stops_a_run_with_partial_results_and_says_so() {
    let reqs: Vec<_> = (0..100).map(|i| req(i, i as u64 * 10, 500, 50)).collect();
    let c = cluster(1);
    let mut sim = new_sim(PolicyKind::Fifo, &c, EngineConfig::default(), reqs.clone());
    sim.set_event_limit(50);
    while sim.step() {}
    let (s, _) = sim.finish();
    let why = s.stopped.clone().expect("a stopped run says so");
    assert!(
        matches!(why, StopReason::EventLimit { events: 50, .. }),
        "{why:?}"
    );
    assert!(
        why.to_string()
            .starts_with("stopped after 50 events (the limit)")
    );
    assert!(s.is_partial() && !s.rankable(Class::Short));
    assert!(s.short.completed < 100);
    // A driver that stops early (a browser budget, Cancel) gets partial results and a reason.
    let mut sim = new_sim(PolicyKind::Fifo, &c, EngineConfig::default(), reqs.clone());
    sim.run_until(SimTime(200_000_000));
    let (s, _) = sim.finish();
    assert!(
        matches!(s.stopped, Some(StopReason::EndedEarly { .. })),
        "{:?}",
        s.stopped
    );
    let (full, _) = run(PolicyKind::Fifo, 1, reqs);
    assert_eq!(full.stopped, None);
}

#[test]
fn timeline_shows_the_pause_of_a_preempted_long_prefill() {
    let reqs = vec![req(0, 0, 300_000, 5), req(1, 500, 800, 10)];
    let c = cluster(1);
    let mut sim = new_sim(PolicyKind::PecSched, &c, EngineConfig::default(), reqs);
    sim.record_timeline(10_000);
    while sim.step() {}
    let t = sim.timeline().clone();
    use super::timeline::SpanKind;
    let paused: Vec<_> = t
        .spans
        .iter()
        .filter(|s| s.kind == SpanKind::Paused)
        .collect();
    assert_eq!(paused.len(), 3, "the whole group of three replicas pauses");
    let short = t
        .spans
        .iter()
        .find(|s| s.kind == SpanKind::ShortPrefill)
        .expect("the short prefill ran");
    assert!(paused[0].start <= short.start && short.end <= paused[0].end);
    assert!(t.spans.iter().any(|s| s.kind == SpanKind::LongPrefill));
    assert!(
        t.spans
            .iter()
            .any(|s| s.kind == SpanKind::ShortDecode && s.replica == 3),
        "decode on the decode-only replica"
    );
    assert!(!t.truncated);
}

/// Doubles every predicted duration and records what it was asked.
struct Doubling(
    std::rc::Rc<std::cell::RefCell<Vec<(super::oracle::IterationDetail, super::oracle::IterKind)>>>,
);

impl super::oracle::IterationOracle for Doubling {
    fn time(
        &mut self,
        d: &super::oracle::IterationDetail,
        kind: super::oracle::IterKind,
        predicted: SimDuration,
    ) -> SimDuration {
        self.0.borrow_mut().push((d.clone(), kind));
        SimDuration(predicted.0 * 2)
    }
}

#[test]
fn an_oracle_times_every_iteration_with_its_exact_shapes() {
    use super::oracle::IterKind;
    let c = cluster(1);
    let log = std::rc::Rc::new(std::cell::RefCell::new(Vec::new()));
    let mut sim = new_sim(
        PolicyKind::Fifo,
        &c,
        EngineConfig::default(),
        vec![req(0, 0, 1000, 4)],
    );
    sim.set_oracle(Box::new(Doubling(log.clone())));
    let (_, recs) = sim.run();
    let (_, model) = run(PolicyKind::Fifo, 1, vec![req(0, 0, 1000, 4)]);
    assert_eq!(
        recs[0].first_token.unwrap().0,
        2 * model[0].first_token.unwrap().0
    );
    assert_eq!(
        recs[0].completion.unwrap().0,
        2 * model[0].completion.unwrap().0
    );
    let log = log.borrow();
    assert_eq!(log.len(), 4, "one prefill and three single decode steps");
    assert_eq!(
        (log[0].0.prefill.clone(), log[0].1),
        (vec![(1000, 0)], IterKind::Prefill)
    );
    assert_eq!(
        (log[1].0.decode.clone(), log[1].1),
        (vec![1001], IterKind::Decode)
    );
    assert_eq!(log[3].0.decode, vec![1003]);
}

#[test]
fn fast_sp_shortens_a_long_prefill_and_fsp_falls_back_to_ring_attention() {
    let reqs = vec![req(0, 0, 400_000, 3)];
    let (_, fast) = run(PolicyKind::PecSched, 2, reqs.clone());
    let (_, ring) = run(PolicyKind::PecSchedNoFastSp, 2, reqs);
    let (f, r) = (fast[0].ttft_ns().unwrap(), ring[0].ttft_ns().unwrap());
    assert!(f < r, "fast SP prefill {f} ns should beat ring-only {r} ns");
}

#[test]
fn without_disaggregation_short_decodes_stay_on_their_prefill_replica() {
    let reqs = vec![req(0, 0, 800, 20)];
    let c = cluster(1);
    for (policy, decode_replica_used) in [
        (PolicyKind::PecSched, true),
        (PolicyKind::PecSchedNoDisaggregation, false),
    ] {
        let mut sim = new_sim(policy, &c, EngineConfig::default(), reqs.clone());
        sim.record_timeline(1000);
        while sim.step() {}
        let decodes: Vec<u32> = sim
            .timeline()
            .spans
            .iter()
            .filter(|s| s.kind == super::timeline::SpanKind::ShortDecode)
            .map(|s| s.replica)
            .collect();
        assert!(!decodes.is_empty());
        assert_eq!(
            decodes.iter().all(|&r| r == 3),
            decode_replica_used,
            "{}: decodes on {decodes:?}",
            policy.id()
        );
    }
}

/// A broken policy for the liveness tests: it dispatches short requests like FIFO but never
/// places a long one.
struct NeverPlacesLong;

impl Policy for NeverPlacesLong {
    fn kind(&self) -> PolicyKind {
        PolicyKind::Fifo
    }
    fn rules(&self) -> EngineRules {
        EngineRules::BASELINE
    }
    fn dispatch(&mut self, view: &View<'_>, out: &mut Vec<Decision>) {
        let mut fifo = crate::policy::Fifo;
        let mut all = Vec::new();
        fifo.dispatch(view, &mut all);
        out.extend(
            all.into_iter()
                .filter(|d| matches!(d, Decision::Short { .. })),
        );
    }
}

fn broken_sim(reqs: Vec<Request>) -> Simulation {
    let c = cluster(1);
    Simulation::new(
        c,
        ModelKind::Llama31_8B.spec(),
        perf(&c),
        2,
        EngineConfig::default(),
        Box::new(NeverPlacesLong),
        reqs,
    )
    .unwrap()
}

#[test]
fn a_run_whose_event_queue_runs_dry_with_work_left_is_reported_stalled() {
    // One long request that the broken policy never places, then nothing.
    let (s, _) = broken_sim(vec![req(0, 0, 1000, 10), req(1, 10, 200_000, 5)]).run();
    match s.stopped {
        Some(StopReason::Stalled {
            detected: crate::metrics::StallCheck::EventQueueEmpty,
            stranded_count: 1,
            ref stranded,
            ..
        }) => {
            assert_eq!(stranded[0].id, 1);
            assert_eq!(stranded[0].place, crate::metrics::Place::GlobalQueue);
        }
        ref other => panic!("expected a stall, got {other:?}"),
    }
    assert!(s.is_partial() && !s.rankable(Class::Long));
    assert!(
        s.stopped
            .unwrap()
            .to_string()
            .contains("STALLED (engine bug)")
    );
}

#[test]
fn a_quiet_cluster_with_queued_work_is_reported_while_arrivals_keep_time_moving() {
    // A long request the policy never places, then a short request every 30 s for an hour:
    // the event queue never runs dry, but between arrivals the cluster is quiet with the long
    // request waiting. The watchdog stops the run long before the last arrival.
    let mut reqs = vec![req(0, 0, 200_000, 5)];
    reqs.extend((1..120).map(|i| req(i, i as u64 * 30_000, 500, 2)));
    let (s, _) = broken_sim(reqs).run();
    match &s.stopped {
        Some(StopReason::Stalled {
            detected: crate::metrics::StallCheck::QuietWithQueuedWork,
            at_s,
            ..
        }) => assert!(*at_s < 100.0, "detected at {at_s} s"),
        other => panic!("expected a stall, got {other:?}"),
    }
}

/// Long request 0 (300K tokens, the three prefill replicas of one node) and short requests
/// arriving at `shorts` (ms, input tokens) under PecSched.
fn preempted(shorts: &[(u64, u32)]) -> Vec<RequestRecord> {
    let mut reqs = vec![req(0, 0, 300_000, 5)];
    for (i, &(at, input)) in shorts.iter().enumerate() {
        reqs.push(req(i as u32 + 1, at, input, 10));
    }
    run(PolicyKind::PecSched, 1, reqs).1
}

#[test]
fn short_arrivals_present_at_a_pause_run_in_one_batch_one_preemption() {
    // docs/paper.md §2.4: the short prefills present at the pause run as one batch, then the
    // long prefill resumes: three shorts arriving together cost one preemption.
    let recs = preempted(&[(500, 800), (500, 900), (500, 1_000)]);
    assert_eq!(recs[0].preemptions, 1);
    assert!(recs[0].first_token.unwrap() > SimTime(1_000_000_000));
    for r in &recs[1..] {
        assert!(r.prefill_start.unwrap() < recs[0].first_token.unwrap());
    }
}

#[test]
fn a_later_short_arrival_preempts_the_resumed_long_prefill_again() {
    // The first batch ends and the prefill resumes; a short request arriving later pauses it
    // again, and each pause is counted.
    let recs = preempted(&[(500, 800), (2_000, 800)]);
    assert!(recs[0].first_token.unwrap() > SimTime(2_500_000_000));
    assert_eq!(recs[0].preemptions, 2);
}

#[test]
fn a_short_arrival_during_a_pause_waits_for_the_resume_and_preempts_again() {
    // The pause takes effect at the next kernel boundary (about 0.6 s); the second request
    // arrives while the first batch (an 8K-token prefill) still runs: it is
    // not part of that batch, so the long prefill resumes and is preempted a second time.
    let recs = preempted(&[(500, 8_000), (800, 800)]);
    let first_done = recs[1].first_token.unwrap();
    assert!(
        recs[2].arrival < first_done,
        "the second arrives during the first batch"
    );
    assert!(recs[2].prefill_start.unwrap() >= first_done);
    assert_eq!(recs[0].preemptions, 2);
}

#[test]
fn without_disaggregation_short_decodes_preempt_a_long_prefill() {
    // docs/paper.md §3.6 (/Dis): short decodes also preempt the long prefill. A short request
    // decodes on replica 0 when a 300K-token request takes replicas 0–2: the long prefill
    // starts (it waits only for running prefills), is paused for the decode, and the short
    // request finishes long before the long prefill (about 30 s) would have let it.
    let reqs = vec![req(0, 0, 1_000, 300), req(1, 100, 300_000, 5)];
    let (_, recs) = run(PolicyKind::PecSchedNoDisaggregation, 1, reqs.clone());
    assert_eq!(recs[1].replicas, 3);
    assert!(
        recs[1].preemptions >= 1,
        "the decode preempts the long prefill"
    );
    assert!(recs[1].prefill_start.unwrap() < recs[0].completion.unwrap());
    assert!(recs[0].completion.unwrap() < SimTime(10 * NANOS_PER_SEC));
    assert!(recs[0].completion.unwrap() < recs[1].first_token.unwrap());
    // With disaggregation the decode leaves for the decode pool: nothing to preempt for.
    let (_, pec) = run(PolicyKind::PecSched, 1, reqs);
    assert_eq!(pec[1].preemptions, 0);
}

#[test]
fn a_long_request_joins_the_queues_of_busy_replicas_and_starts_when_it_heads_them() {
    // docs/paper.md §3.4: one node of 4 replicas; two 200K-token requests take all four
    // (2 each); a third joins the local queues of the group with the smallest load (long
    // requests counted) at once, and starts only when the request ahead of it finishes.
    let reqs = vec![
        req(0, 0, 200_000, 3),
        req(1, 0, 200_000, 3),
        req(2, 10, 150_000, 3),
    ];
    let c = cluster(1);
    let mut sim = new_sim(PolicyKind::Fifo, &c, EngineConfig::default(), reqs);
    while sim.step() {
        sim.check_invariants().unwrap();
    }
    let (s, recs) = sim.finish();
    assert_eq!(s.long.completed, 3, "{s:?}");
    assert!(s.stopped.is_none(), "{:?}", s.stopped);
    // Dispatched at arrival (nothing waits in the global queue) ...
    assert_eq!(recs[2].dispatched, Some(SimTime(10_000_000)));
    // ... and started when one of the earlier requests finished, not before.
    let first_done = recs[0].completion.unwrap().min(recs[1].completion.unwrap());
    assert_eq!(recs[2].prefill_start, Some(first_done));
}

#[test]
fn a_long_request_waiting_behind_another_does_not_hold_back_short_work_on_its_other_replicas() {
    // PecSched on one node: 4 replicas, the last decode-only. A 200K request takes 0 and 1; a
    // second one finds one long-free replica (2) and joins 2 and 0, behind the first on 0. A
    // short request sent to replica 2 meanwhile runs at once: the second long request is not
    // about to start (it does not head replica 0), so it holds nothing back.
    // Three short requests at once: with no long-free replica they go to the replicas of long
    // prefills (preemption, the shortest queue first): 0, 1, then 2.
    let reqs = vec![
        req(0, 0, 200_000, 20),
        req(1, 1, 200_000, 20),
        req(2, 50, 800, 4),
        req(3, 50, 800, 4),
        req(4, 50, 800, 4),
    ];
    let c = cluster(1);
    let mut sim = new_sim(PolicyKind::PecSched, &c, EngineConfig::default(), reqs);
    while sim.step() {
        sim.check_invariants().unwrap();
    }
    let (s, recs) = sim.finish();
    assert_eq!(s.long.completed, 2, "{s:?}");
    let first_done = recs[0].completion.unwrap();
    assert!(recs[1].prefill_start.unwrap() >= first_done, "{recs:?}");
    // Every short request starts within a second of its arrival (a kernel slice of the long
    // prefill it preempts, or at once on replica 2), long before the first long request ends.
    for r in &recs[2..] {
        let start = r.prefill_start.unwrap();
        assert!(
            start.0 - r.arrival.0 < NANOS_PER_SEC && start < first_done,
            "{r:?}"
        );
    }
}
