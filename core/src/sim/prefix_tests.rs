//! Prefix caching on hand-built traces whose hit counts are known (docs/prefix-caching.md).

use super::Simulation;
use super::config::EngineConfig;
use super::prefix::check_cache;
use super::prefix_cache::PrefixCache;
use super::replica::{Admission, Applied, Replica};
use super::window::IdWindow;
use crate::hardware::ClusterSpec;
use crate::model::ModelKind;
use crate::perf::{BatchShape, Calibration, PerfModel};
use crate::policy::PolicyKnobs;
use crate::sched::PolicyKind;
use crate::time::SimTime;
use crate::workload::{PrefixGroup, PrefixModel, Request};

fn model(block_tokens: u32) -> PrefixModel {
    PrefixModel {
        block_tokens,
        shared_prompt: None,
        sessions: None,
        seed: 11,
        table: None,
    }
}

fn req(id: u32, at_ms: u64, input: u32, output: u32, group: u32) -> Request {
    Request {
        id,
        arrival: SimTime(at_ms * 1_000_000),
        input_tokens: input,
        output_tokens: output,
        prefix: PrefixGroup(group),
    }
}

fn adm() -> Admission {
    Admission {
        admit: true,
        reserve_output: true,
        token_budget: 8192,
        prefill_cap: u32::MAX,
        max_seqs: 8,
        multi_step: true,
        max_admits: u32::MAX,
    }
}

/// A replica of `capacity` KV tokens with a cache of 512-token blocks.
fn replica(capacity: u64) -> Replica {
    let mut r = Replica::new(0, false, false, capacity);
    r.cache = Some(PrefixCache::new(model(512)));
    r
}

fn enqueue(r: &mut Replica, reqs: &IdWindow<Request>, id: u32) {
    r.queue.push_back(id);
    r.queued_tokens += reqs[id as usize].input_tokens as u64;
}

/// Runs batches until `id` has finished its prefill (its first token).
fn prefill(r: &mut Replica, reqs: &IdWindow<Request>) -> Applied {
    let b = r.form_batch(reqs, adm());
    let mut out = Applied::default();
    r.apply(&b, 1, &mut out);
    check_cache(r).unwrap();
    out
}

fn evictions(r: &Replica) -> u64 {
    r.cache.as_ref().unwrap().evictions
}

/// One replica: Llama-3.1-8B at TP = 8 on one 8-GPU node.
fn one_node() -> ClusterSpec {
    let mut c = ClusterSpec::paper_testbed();
    c.nodes = 1;
    c
}

fn one_replica_sim(reqs: Vec<Request>) -> Simulation {
    let c = one_node();
    let perf = PerfModel::new(
        &c,
        &ModelKind::Llama31_8B.spec(),
        8,
        &Calibration::datasheet_default(),
    )
    .unwrap();
    let p = PolicyKind::Fifo.build(&PolicyKnobs::default(), ModelKind::Llama31_8B, 1);
    Simulation::new(
        c,
        ModelKind::Llama31_8B.spec(),
        perf,
        8,
        EngineConfig::default(),
        p,
        reqs,
    )
    .unwrap()
}

#[test]
fn a_repeated_prompt_saves_all_but_its_last_partial_block() {
    // 1000 tokens = one whole 512-token block + a partial one; the second request arrives
    // after the first has finished, on the same (only) replica.
    let reqs = vec![req(0, 0, 1000, 4, 7), req(1, 10_000, 1000, 4, 7)];
    let c = one_node();
    let perf = PerfModel::new(
        &c,
        &ModelKind::Llama31_8B.spec(),
        8,
        &Calibration::datasheet_default(),
    )
    .unwrap();
    let mut sim = one_replica_sim(reqs.clone()).with_prefix_cache(model(512));
    sim.record_timeline_detail(1000);
    while sim.step() {
        sim.check_invariants().unwrap();
    }
    // The timeline has each lookup, for the explorer's hit rate over time.
    let hits: Vec<(u32, u32, u32)> = sim
        .timeline()
        .hits
        .iter()
        .map(|h| (h.replica, h.prompt_tokens, h.cached_tokens))
        .collect();
    assert_eq!(hits, vec![(0, 1000, 0), (0, 1000, 512)]);
    let (_, recs) = sim.run();
    assert_eq!(recs[0].cached_tokens, 0);
    assert_eq!(recs[1].cached_tokens, 512);
    // The second prefill runs its 488 new tokens after a cached 512-token prefix.
    let mut shape = BatchShape::default();
    shape.add_prefill_chunk(488, 512);
    let ttft = recs[1]
        .first_token
        .unwrap()
        .saturating_since(recs[1].prefill_start.unwrap());
    assert_eq!(ttft, perf.iteration_time(&shape) + perf.request_overhead());
    let mut full = BatchShape::default();
    full.add_prefill_chunk(1000, 0);
    assert!(perf.iteration_time(&shape) < perf.iteration_time(&full));
    // Without the cache both recompute everything.
    let (_, plain) = one_replica_sim(reqs).run();
    assert_eq!(plain[1].cached_tokens, 0);
    assert!(
        plain[1]
            .first_token
            .unwrap()
            .saturating_since(plain[1].prefill_start.unwrap())
            > ttft
    );
}

#[test]
fn another_group_or_no_group_finds_nothing() {
    let reqs = IdWindow::from_vec(vec![
        req(0, 0, 2000, 1, 1),
        req(1, 0, 2000, 1, 2),
        req(2, 0, 2000, 1, PrefixGroup::NONE.0),
    ]);
    let mut r = replica(100_000);
    for id in 0..3 {
        enqueue(&mut r, &reqs, id);
    }
    prefill(&mut r, &reqs);
    // Groups 1 and 2 each cached 3 blocks; the group-less request none.
    let c = r.cache.as_ref().unwrap();
    assert_eq!(c.evictable_tokens(), 6 * 512);
    assert_eq!(r.kv_used, 0);
    assert_eq!(r.cached_prefix(&req(3, 0, 2000, 1, 1)).blocks, 3);
    assert_eq!(r.cached_prefix(&req(3, 0, 2000, 1, 3)).blocks, 0);
    assert_eq!(
        r.cached_prefix(&req(3, 0, 2000, 1, PrefixGroup::NONE.0))
            .blocks,
        0
    );
    // A shorter prompt of the same group reuses only its own whole blocks.
    assert_eq!(r.cached_prefix(&req(3, 0, 1100, 1, 1)).blocks, 2);
}

#[test]
fn admission_under_pressure_evicts_the_least_recently_released_blocks() {
    // Capacity 2048: request 0 (group 1, 1025 tokens) leaves 2 idle blocks (1024 tokens).
    let reqs = IdWindow::from_vec(vec![req(0, 0, 1025, 1, 1), req(1, 0, 1500, 10, 2)]);
    let mut r = replica(2048);
    enqueue(&mut r, &reqs, 0);
    let out = prefill(&mut r, &reqs);
    assert_eq!(out.finished, vec![0]);
    assert_eq!((r.kv_used, r.kv_evictable()), (0, 1024));
    // Request 1 reserves 1510 tokens: 1024 are free, so one block (the tail) is evicted.
    enqueue(&mut r, &reqs, 1);
    let b = r.form_batch(&reqs, adm());
    assert_eq!(b.started, vec![1]);
    assert_eq!(evictions(&r), 1);
    assert_eq!((r.kv_used, r.kv_evictable()), (1510, 512));
    assert!(r.kv_used + r.kv_evictable() <= r.kv_capacity);
    check_cache(&r).unwrap();
    // The head block of group 1 survives (the tail went first).
    assert_eq!(r.cached_prefix(&reqs[0]).blocks, 1);
}

#[test]
fn a_block_in_use_is_never_evicted() {
    // Request 0 (group 1) holds its 2 prompt blocks while it decodes.
    let reqs = IdWindow::from_vec(vec![
        req(0, 0, 1025, 100, 1),
        req(1, 0, 1500, 10, 2),
        req(2, 0, 1025, 5, 1),
    ]);
    let mut r = replica(2600);
    enqueue(&mut r, &reqs, 0);
    prefill(&mut r, &reqs);
    assert_eq!(r.kv_used, 1125);
    assert_eq!(r.kv_evictable(), 0);
    // Request 1 needs 1510 tokens, 1475 are free and nothing is evictable: it waits.
    enqueue(&mut r, &reqs, 1);
    assert!(r.admissible_head(&reqs, &adm()).is_none());
    let b = r.form_batch(&reqs, adm());
    assert!(b.started.is_empty());
    assert_eq!(evictions(&r), 0);
    assert_eq!(r.cached_prefix(&reqs[0]).blocks, 2);
    // A request with request 0's prompt shares both blocks in use (no new KV for them).
    r.queue.clear();
    r.queued_tokens = 0;
    enqueue(&mut r, &reqs, 2);
    let b = r.form_batch(&reqs, adm());
    assert_eq!(b.cached, vec![(2, 1024)]);
    assert_eq!(r.kv_used, 1125 + (1025 + 5 - 1024));
    check_cache(&r).unwrap();
}

#[test]
fn blocks_computed_twice_at_once_are_shared_not_double_counted() {
    // Two identical prompts admitted together: neither finds a cached block; the second to
    // finish its prefill adopts the first one's blocks and frees its own copy.
    let reqs = IdWindow::from_vec(vec![req(0, 0, 1025, 50, 1), req(1, 0, 1025, 50, 1)]);
    let mut r = replica(100_000);
    enqueue(&mut r, &reqs, 0);
    enqueue(&mut r, &reqs, 1);
    prefill(&mut r, &reqs);
    assert_eq!(r.kv_used, 2 * 1075 - 1024);
    assert_eq!(r.cache.as_ref().unwrap().in_use_tokens(), 1024);
}

#[test]
fn handed_over_sequences_leave_their_blocks_on_the_prefill_replica() {
    let reqs = IdWindow::from_vec(vec![req(0, 0, 1025, 50, 1)]);
    let mut r = Replica::new(0, false, true, 10_000);
    r.cache = Some(PrefixCache::new(model(512)));
    enqueue(&mut r, &reqs, 0);
    let b = r.form_batch(
        &reqs,
        Admission {
            reserve_output: false,
            ..adm()
        },
    );
    let mut out = Applied::default();
    r.apply(&b, 1, &mut out);
    let s = r.take_seq(0).unwrap();
    assert_eq!(s.held_blocks, 0);
    assert_eq!((r.kv_used, r.kv_evictable()), (0, 1024));
    check_cache(&r).unwrap();
}

/// Two replicas (Llama-3.1-8B at TP = 4 on one node); short placement cache-aware with
/// `weight`, or the policy's own rule.
fn two_replica_run(reqs: Vec<Request>, weight: Option<f64>) -> Vec<crate::metrics::RequestRecord> {
    let c = one_node();
    let perf = PerfModel::new(
        &c,
        &ModelKind::Llama31_8B.spec(),
        4,
        &Calibration::datasheet_default(),
    )
    .unwrap();
    let mut p = PolicyKind::Fifo.build(&PolicyKnobs::default(), ModelKind::Llama31_8B, 2);
    if let Some(w) = weight {
        p = Box::new(crate::policy::prefix_affinity::PrefixAffinity::new(p, w));
    }
    let sim = Simulation::new(
        c,
        ModelKind::Llama31_8B.spec(),
        perf,
        4,
        EngineConfig::default(),
        p,
        reqs,
    )
    .unwrap()
    .with_prefix_cache(model(512));
    sim.run().1
}

#[test]
fn cache_aware_dispatch_trades_queue_length_for_cached_tokens_by_its_weight() {
    // Request 0 leaves group 1's 3,584 cached tokens on replica 0 and decodes there; at 10 s
    // request 2 (8,000 tokens, no prefix) queues on replica 0 (busy with a decode step) and
    // request 3 (group 1) arrives: the queue rule sends it to the empty replica 1; the
    // cache-aware rule keeps it on replica 0 once weight × 3,584 outweighs the 8,000 queued.
    let reqs = vec![
        req(0, 0, 4000, 3000, 1),
        req(1, 1, 100, 3000, 2),
        req(2, 10_000, 8000, 5, PrefixGroup::NONE.0),
        req(3, 10_000, 4000, 5, 1),
    ];
    let plain = two_replica_run(reqs.clone(), None);
    let light = two_replica_run(reqs.clone(), Some(1.0));
    let heavy = two_replica_run(reqs, Some(3.0));
    assert_eq!(plain[3].cached_tokens, 0);
    // 8,000 + 4,000 − 3,584 = 8,416 > 4,000: the empty replica is cheaper at weight 1.
    assert_eq!(light[3].cached_tokens, 0);
    // 8,000 + 4,000 − 3 × 3,584 = 1,248 < 4,000.
    assert_eq!(heavy[3].cached_tokens, 3584);
    assert!(heavy.iter().all(|r| r.completion.is_some()));
}

#[test]
fn a_repeated_prompt_admitted_in_a_chunked_prefill_step_counts_its_hit() {
    // Four replicas (TP = 2 on one node), chunked prefill: request 0 leaves group 7's first
    // 512-token block cached on replica 0 (every queue is empty: lowest id); the
    // 200,000-token prompt (request 1, its own group) arrives at 100 ms and prefills in chunks
    // of 2,048 tokens per member on replicas 0 and 1; request 2 repeats group 7's prompt at
    // 300 ms, during that prefill, and goes to replica 0 again, so a chunk step admits it and
    // must count its hit.
    let reqs = vec![
        req(0, 0, 1000, 4, 7),
        req(1, 100, 200_000, 4, 3),
        req(2, 300, 1000, 4, 7),
    ];
    let c = one_node();
    let model_spec = ModelKind::Llama31_8B.spec();
    let perf = PerfModel::new(&c, &model_spec, 2, &Calibration::datasheet_default()).unwrap();
    let p = PolicyKind::ChunkedPrefill.build(&PolicyKnobs::default(), ModelKind::Llama31_8B, 4);
    let mut sim = Simulation::new(c, model_spec, perf, 2, EngineConfig::default(), p, reqs)
        .unwrap()
        .with_prefix_cache(model(512));
    sim.record_timeline_detail(1000);
    while sim.step() {
        sim.check_invariants().unwrap();
    }
    let hits: Vec<(u32, u32, u32)> = sim
        .timeline()
        .hits
        .iter()
        .map(|h| (h.replica, h.prompt_tokens, h.cached_tokens))
        .collect();
    assert!(hits.contains(&(0, 1000, 512)), "{hits:?}");
    let (summary, recs) = sim.run();
    assert!(summary.stopped.is_none(), "{:?}", summary.stopped);
    assert_eq!(recs[1].class, crate::metrics::Class::Long);
    assert!(!recs[1].rejected, "{:?}", recs[1]);
    // Request 2 started inside the long request's chunked prefill (so a chunk step admitted
    // it) and its record counts the cached block.
    let (start, long_start, long_first) = (
        recs[2].prefill_start.unwrap(),
        recs[1].prefill_start.unwrap(),
        recs[1].first_token.unwrap(),
    );
    assert!(long_start < start && start < long_first, "{recs:#?}");
    assert_eq!(recs[2].cached_tokens, 512);
    assert_eq!(recs[0].cached_tokens, 0);
}
