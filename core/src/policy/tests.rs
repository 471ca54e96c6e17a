//! Each policy on hand-built cluster states whose answer follows from its rules (paper §1.3,
//! paper §2.3, paper §3.4): no engine, only a [`ViewBuilder`].

use super::{
    Decision, DecodePool, EngineRules, Fifo, LongDecode, LongPrefill, LongStatus, Policy,
    PolicyKind, PolicyKnobs, Priority, PriorityPlacement, Reservation, ReservationPool,
    ViewBuilder,
};
use crate::model::ModelKind;
use crate::perf::SpMode;
use crate::test_support::sizing_8b;

/// Input tokens of a long request that needs `k` replicas (k ≥ 2).
fn long_input(k: u32) -> u32 {
    131_072 * (k - 1) + 1
}

fn cluster(policy: &dyn Policy, nodes: u32, per_node: u32) -> ViewBuilder {
    ViewBuilder::new(nodes, per_node, policy.rules(), sizing_8b())
}

fn dispatch(policy: &mut dyn Policy, b: &ViewBuilder) -> Vec<Decision> {
    let mut out = Vec::new();
    policy.dispatch(&b.view(), &mut out);
    out
}

fn short(req: u32, replica: u32) -> Decision {
    Decision::Short { req, replica }
}

fn long(req: u32, replicas: &[u32]) -> Decision {
    Decision::Long {
        req,
        replicas: replicas.to_vec(),
    }
}

/// PecSched (or an ablation) with the default knobs on a cluster of `replicas` replicas.
fn pecsched(kind: PolicyKind, replicas: u32) -> Box<dyn Policy> {
    kind.build(&PolicyKnobs::default(), ModelKind::Llama31_8B, replicas)
}

#[test]
fn the_builder_classifies_and_sizes_requests_with_the_engines_rule() {
    let mut b = cluster(&Fifo, 1, 4);
    let s = b.request(1_000, 100);
    let l = b.request(long_input(3), 100);
    let v = b.view();
    assert_eq!((v.sp_degree(s), v.sp_degree(l)), (0, 3));
    assert_eq!(v.global_queue().collect::<Vec<_>>(), [s, l]);
    assert_eq!(v.long_free_by_load().count(), 4);
}

// ---- FIFO ----

#[test]
fn fifo_sends_each_short_request_to_the_shortest_queue_counting_its_own_dispatches() {
    let mut b = cluster(&Fifo, 1, 4);
    for (r, q) in [(0, 3_000), (1, 1_000), (2, 500), (3, 2_000)] {
        b.queued(r, q);
    }
    let (a, c) = (b.request(1_000, 10), b.request(1_000, 10));
    // The first goes to replica 2 (500 tokens), which then holds 1,500: the second goes to
    // replica 1 (1,000).
    assert_eq!(dispatch(&mut Fifo, &b), [short(a, 2), short(c, 1)]);
}

#[test]
fn fifo_skips_replicas_whose_queue_is_at_the_cap_and_stops_when_none_accepts() {
    let mut b = cluster(&Fifo, 1, 4);
    for r in 0..3 {
        b.queued(r, 8_192);
    }
    b.queued(3, 8_191);
    let (a, c) = (b.request(100, 10), b.request(100, 10));
    // Only replica 3 is below the cap; after the first request it is not.
    assert_eq!(dispatch(&mut Fifo, &b), [short(a, 3)]);
    let _ = c;
    // A lower cap refuses the last replica too: nothing is dispatched.
    let b = b.local_queue_cap_tokens(8_191);
    assert_eq!(dispatch(&mut Fifo, &b), []);
}

#[test]
fn fifo_sends_short_work_to_long_decodes_but_not_to_long_prefills() {
    let mut b = cluster(&Fifo, 1, 4);
    b.long(&[0, 1], LongStatus::PrefillRunning, 0);
    b.long(&[2, 3], LongStatus::Decoding, 1);
    b.queued(2, 4_000);
    let a = b.request(500, 10);
    // Replicas 0 and 1 (empty queues) run a long prefill exclusively; 3 is decoding a long
    // request and batches short work.
    assert_eq!(dispatch(&mut Fifo, &b), [short(a, 3)]);
}

#[test]
fn fifo_gives_a_long_request_the_node_with_the_smallest_summed_queue() {
    let mut b = cluster(&Fifo, 2, 4);
    // Node 0: two light replicas (100 + 100); node 1 has the single emptiest replica (4) but
    // its two lightest sum to 3,000. Replicas across nodes (4 and 0) would sum to 100.
    for (r, q) in [(0, 100), (1, 100), (2, 5_000), (3, 5_000)] {
        b.queued(r, q);
    }
    for (r, q) in [(5, 3_000), (6, 3_000), (7, 3_000)] {
        b.queued(r, q);
    }
    let l = b.request(long_input(2), 10);
    assert_eq!(dispatch(&mut Fifo, &b), [long(l, &[0, 1])]);
}

#[test]
fn fifo_places_long_requests_only_on_replicas_no_long_request_uses() {
    let mut b = cluster(&Fifo, 2, 4);
    b.long(&[0, 1], LongStatus::Decoding, 0);
    let l = b.request(long_input(2), 10);
    let l2 = b.request(long_input(2), 10);
    // Node 0 has two long-free replicas (2, 3), node 1 four: both sum to 0, the lower node
    // wins; the second request gets node 1.
    assert_eq!(
        dispatch(&mut Fifo, &b),
        [long(l, &[2, 3]), long(l2, &[4, 5])]
    );
}

#[test]
fn fifo_dispatches_a_short_request_past_a_waiting_long_one_to_another_replicas_queue() {
    // docs/paper.md §3.4: every request goes to local queues at once; no global head-of-line
    // blocking.
    let mut b = cluster(&Fifo, 1, 4);
    b.long(&[0, 1], LongStatus::Decoding, 0);
    b.long_tokens(&[0, 1], 200_000, 0);
    b.queued(2, 100);
    let head = b.request(long_input(3), 10);
    let behind = b.request(500, 10);
    let long_behind = b.request(long_input(2), 10);
    assert_eq!(b.view().sp_degree(head), 3);
    let d = dispatch(&mut Fifo, &b);
    // Two long-free replicas for a request that needs three: it joins the local queues of the
    // three least loaded replicas, long requests counted (2: 100, 3: 0, then 0 on the id tie
    // with 1: 200K), and waits there behind the decoding request on replica 0. The short
    // request behind it goes past it to replica 1, whose queue holds no waiting long request;
    // the later long request joins queues too (nothing waits in the global queue).
    assert_eq!(d[..2], [long(head, &[0, 2, 3]), short(behind, 1)]);
    assert!(
        matches!(&d[2], Decision::Long { req, replicas } if *req == long_behind && replicas.len() == 2),
        "{d:?}"
    );
    assert_eq!(d.len(), 3);
}

#[test]
fn fifo_keeps_short_requests_off_a_queue_where_a_long_request_waits() {
    let mut b = cluster(&Fifo, 1, 2);
    b.long(&[0, 1], LongStatus::Decoding, 0);
    b.long_tokens(&[0], 200_000, 1);
    b.long_tokens(&[1], 200_000, 0);
    let s = b.request(500, 10);
    // Replica 0's local queue holds a long request that has not started: a short request
    // there would wait behind it (local FIFO), so it goes to replica 1.
    assert_eq!(dispatch(&mut Fifo, &b), [short(s, 1)]);
}

#[test]
fn fifo_spans_nodes_only_when_no_node_has_enough_long_free_replicas() {
    let mut b = cluster(&Fifo, 2, 4);
    b.long(&[0, 1], LongStatus::Decoding, 0);
    b.long(&[4, 5], LongStatus::Decoding, 1);
    b.queued(2, 10).queued(3, 20).queued(6, 5).queued(7, 7);
    let l = b.request(long_input(3), 10);
    // Each node has two long-free replicas: node 1 (load 12) goes first, then node 0's
    // least loaded.
    assert_eq!(dispatch(&mut Fifo, &b), [long(l, &[2, 6, 7])]);
}

// ---- Reservation ----

#[test]
fn reservation_reserves_a_pool_for_a_500k_request_and_keeps_one_replica_for_shorts() {
    let mut p = Reservation::default();
    let b = cluster(&p, 2, 4);
    p.init(&b.view());
    // ⌈500K / 128Ki⌉ = 4 replicas, from node 0 upwards.
    assert_eq!(p.reserved().collect::<Vec<_>>(), [0, 1, 2, 3]);
    assert_eq!(p.long_group_limit(), Some(4));
    // On three replicas, two are reserved and one serves short requests.
    let mut small = Reservation::default();
    small.init(&cluster(&small, 1, 3).view());
    assert_eq!(small.reserved().collect::<Vec<_>>(), [0, 1]);
}

#[test]
fn reservation_places_short_requests_outside_its_pool_only() {
    let mut p = Reservation::default();
    let mut b = cluster(&p, 2, 4);
    p.init(&b.view());
    for r in 4..8 {
        b.queued(r, 1_000);
    }
    let a = b.request(500, 10);
    // The pool (0–3) is empty and idle, but shorts never go there.
    assert_eq!(dispatch(&mut p, &b), [short(a, 4)]);
    // With every short replica at the cap, the short request waits.
    for r in 4..8 {
        b.queued(r, 8_192);
    }
    assert_eq!(dispatch(&mut p, &b), []);
}

#[test]
fn reservation_places_long_requests_inside_its_pool_only() {
    let mut p = Reservation::default();
    let mut b = cluster(&p, 2, 4);
    p.init(&b.view());
    b.long(&[0, 1], LongStatus::PrefillRunning, 0);
    b.long_tokens(&[0, 1], 400_000, 0);
    let l = b.request(long_input(2), 10);
    let l2 = b.request(long_input(2), 10);
    // Replicas 2 and 3 are the pool's free ones; the second request joins the pool's queues
    // (behind the first, the lighter load: 131,073 < 400,000 tokens) although node 1 is idle.
    assert_eq!(dispatch(&mut p, &b), [long(l, &[2, 3]), long(l2, &[2, 3])]);
}

// ---- Priority ----

#[test]
fn priority_serves_waiting_short_requests_before_an_earlier_long_one() {
    let mut b = cluster(&Priority::default(), 1, 4);
    let l = b.request(long_input(2), 10);
    let s1 = b.request(1_000, 10);
    // One short request leaves three idle replicas: the long request goes after it, on two of
    // them.
    assert_eq!(
        dispatch(&mut Priority::default(), &b),
        [short(s1, 0), long(l, &[1, 2])]
    );
    // FIFO serves in arrival order instead: the long request first.
    assert_eq!(dispatch(&mut Fifo, &b), [long(l, &[0, 1]), short(s1, 2)]);
}

#[test]
fn priority_holds_a_long_request_while_short_work_takes_the_idle_replicas() {
    let mut b = cluster(&Priority::default(), 1, 4);
    let l = b.request(long_input(2), 10);
    let shorts: Vec<u32> = (0..3).map(|_| b.request(1_000, 10)).collect();
    // Three short requests take three of the four idle replicas: one idle replica is left,
    // too few for the long request, which waits (FIFO would have placed it first).
    assert_eq!(
        dispatch(&mut Priority::default(), &b),
        [
            short(shorts[0], 0),
            short(shorts[1], 1),
            short(shorts[2], 2)
        ]
    );
    let _ = l;
}

#[test]
fn priority_places_long_requests_on_completely_idle_replicas_only_when_asked() {
    let mut b = cluster(&Priority::default(), 1, 4);
    // Replicas 0 and 1 run short decodes with empty queues: long-free but not idle.
    b.set_replica(0, |r| r.running = 2);
    b.set_replica(1, |r| r.running = 1);
    let l = b.request(long_input(2), 10);
    let l2 = b.request(long_input(2), 10);
    let mut idle_only = Priority {
        placement: PriorityPlacement::CompletelyIdle,
    };
    assert_eq!(dispatch(&mut idle_only, &b), [long(l, &[2, 3])]);
    // The default (no queued short work) and FIFO take any long-free replica.
    let both = [long(l, &[0, 1]), long(l2, &[2, 3])];
    assert_eq!(dispatch(&mut Priority::default(), &b), both);
    assert_eq!(dispatch(&mut Fifo, &b), both);
}

#[test]
fn priority_by_default_keeps_long_requests_off_replicas_where_short_work_is_queued() {
    // docs/paper.md §1.3: a low-priority request is served where no high-priority one waits.
    let mut b = cluster(&Priority::default(), 1, 4);
    b.queued(0, 100).queued(2, 100);
    let l = b.request(long_input(2), 10);
    assert_eq!(dispatch(&mut Priority::default(), &b), [long(l, &[1, 3])]);
    // FIFO takes the two least-loaded long-free replicas too, but counts queues only as load.
    b.queued(3, 50);
    assert_eq!(dispatch(&mut Priority::default(), &b), []);
    assert_eq!(dispatch(&mut Fifo, &b), [long(l, &[1, 3])]);
}

#[test]
fn reservation_pool_size_is_a_parameter() {
    let mut fixed = Reservation::with_pool(ReservationPool::Replicas(2));
    fixed.init(&cluster(&fixed, 2, 4).view());
    assert_eq!(fixed.reserved().collect::<Vec<_>>(), [0, 1]);
    // Sized for a 300K-token request: ⌈300K / 128Ki⌉ = 3 replicas.
    let mut smaller = Reservation::with_pool(ReservationPool::ForRequest {
        input_tokens: 300_000,
        output_tokens: 2_048,
    });
    smaller.init(&cluster(&smaller, 2, 4).view());
    assert_eq!(smaller.reserved().collect::<Vec<_>>(), [0, 1, 2]);
    assert_eq!(smaller.long_group_limit(), Some(3));
}

// ---- PecSched and its ablations ----

#[test]
fn pecsched_and_its_ablations_set_the_rules_of_their_mechanisms() {
    let pool = Some(DecodePool {
        replicas: std::num::NonZeroU32::new(1).unwrap(),
        long_requests: false,
    });
    let colocate = LongDecode::Batch {
        prefill_cap: Some(crate::policy::ColocationCap::default()),
    };
    let full = EngineRules {
        long_prefill: LongPrefill::Yield,
        long_decode: colocate,
        disaggregation: pool,
        sp_mode: SpMode::Fast,
        elastic_sp: None,
    };
    let rules = |k| pecsched(k, 8).rules();
    assert_eq!(rules(PolicyKind::PecSched), full);
    assert_eq!(
        rules(PolicyKind::PecSchedNoPreemption),
        EngineRules {
            long_prefill: LongPrefill::Exclusive,
            ..full
        }
    );
    assert_eq!(
        rules(PolicyKind::PecSchedNoDisaggregation),
        EngineRules {
            disaggregation: None,
            ..full
        }
    );
    assert_eq!(
        rules(PolicyKind::PecSchedNoColocation),
        EngineRules {
            long_decode: LongDecode::Yield,
            ..full
        }
    );
    assert_eq!(
        rules(PolicyKind::PecSchedNoFastSp),
        EngineRules {
            sp_mode: SpMode::RingOnly,
            ..full
        }
    );
    for baseline in [
        PolicyKind::Fifo,
        PolicyKind::Reservation,
        PolicyKind::Priority,
    ] {
        assert_eq!(rules(baseline), EngineRules::BASELINE, "{}", baseline.id());
    }
}

#[test]
fn pecsched_sends_short_work_to_a_replica_hosting_no_long_request_first() {
    let mut p = pecsched(PolicyKind::PecSched, 4);
    let mut b = cluster(p.as_ref(), 1, 4);
    assert!(
        b.view().replica(3).decode_only,
        "the last replica is the decode pool"
    );
    b.long(&[0], LongStatus::Decoding, 0);
    b.queued(1, 5_000).queued(2, 6_000);
    let a = b.request(500, 10);
    // Replica 0's queue is empty but it hosts a long decode; the decode-only replica 3 never
    // takes a dispatch.
    assert_eq!(dispatch(p.as_mut(), &b), [short(a, 1)]);
}

#[test]
fn pecsched_colocates_with_a_long_decode_before_it_preempts_a_long_prefill() {
    let mut p = pecsched(PolicyKind::PecSched, 4);
    let mut b = cluster(p.as_ref(), 1, 4);
    b.long(&[0], LongStatus::PrefillRunning, 0);
    b.long(&[1], LongStatus::Decoding, 1);
    b.queued(1, 3_000).queued(2, 8_192);
    let (a, c) = (b.request(5_200, 10), b.request(500, 10));
    // Replica 2 (long-free) is at the cap. The first request joins the long decode on
    // replica 1, whose queue then holds 8,200 tokens (past the cap), so the second preempts
    // the prefill on replica 0.
    assert_eq!(dispatch(p.as_mut(), &b), [short(a, 1), short(c, 0)]);
}

#[test]
fn pecsched_without_preemption_leaves_long_prefills_alone() {
    let mut p = pecsched(PolicyKind::PecSchedNoPreemption, 4);
    let mut b = cluster(p.as_ref(), 1, 4);
    b.long(&[0, 1], LongStatus::PrefillRunning, 0);
    b.queued(2, 8_192);
    b.request(500, 10);
    assert_eq!(dispatch(p.as_mut(), &b), []);
    // With preemption the request goes to the least-loaded replica of the long prefill.
    let mut full = pecsched(PolicyKind::PecSched, 4);
    assert_eq!(dispatch(full.as_mut(), &b), [short(0, 0)]);
}

#[test]
fn pecsched_without_disaggregation_has_no_decode_pool_to_avoid() {
    let mut p = pecsched(PolicyKind::PecSchedNoDisaggregation, 4);
    let mut b = cluster(p.as_ref(), 1, 4);
    for r in 0..3 {
        b.queued(r, 1_000);
    }
    let a = b.request(500, 10);
    assert!(!b.view().replica(3).decode_only);
    assert_eq!(dispatch(p.as_mut(), &b), [short(a, 3)]);
}

#[test]
fn pecsched_gives_a_long_request_long_free_replicas_on_one_node_first() {
    let mut p = pecsched(PolicyKind::PecSched, 8);
    let mut b = cluster(p.as_ref(), 2, 4);
    for (r, q) in [
        (0, 100),
        (1, 100),
        (2, 5_000),
        (3, 5_000),
        (5, 3_000),
        (6, 3_000),
    ] {
        b.queued(r, q);
    }
    let l = b.request(long_input(2), 10);
    assert_eq!(dispatch(p.as_mut(), &b), [long(l, &[0, 1])]);
    // With replicas 0 and 1 hosting a long request, node 0 offers 2 and 3 (10,000 tokens)
    // and node 1 offers 4 and 5 (3,000; 7 is the decode pool).
    b.long(&[0, 1], LongStatus::Decoding, 0);
    assert_eq!(dispatch(p.as_mut(), &b), [long(l, &[4, 5])]);
}

#[test]
fn pecsched_places_a_long_request_counting_the_short_requests_placed_before_it() {
    let mut p = pecsched(PolicyKind::PecSched, 4);
    let mut b = cluster(p.as_ref(), 1, 4);
    b.queued(1, 100).queued(2, 200);
    let l = b.request(long_input(2), 10);
    let s = b.request(1_000, 10);
    // The short request goes first (to replica 0, empty), which then holds 1,000 tokens: the
    // two least-loaded long-free replicas are 1 and 2.
    assert_eq!(dispatch(p.as_mut(), &b), [short(s, 0), long(l, &[1, 2])]);
}
