//! LoongServe (elastic sequence parallelism) on hand-built states and a hand-built run whose
//! behaviour is known: a long prefill on an idle cluster scales out beyond what its KV needs,
//! and its decode scales in to the fewest replicas that hold its KV, the others serving short
//! requests while it decodes.

use super::{Decision, LongStatus, LoongServe, Policy, PolicyKind, PolicyKnobs, ViewBuilder};
use crate::metrics::RequestRecord;
use crate::sim::config::EngineConfig;
use crate::sim::timeline::{Span, SpanKind};
use crate::test_support::{run_rows_8b, sizing_8b};
use std::collections::BTreeSet;
use std::num::NonZeroU32;

fn loong(max: u32) -> LoongServe {
    LoongServe {
        max_prefill_degree: NonZeroU32::new(max).unwrap(),
    }
}

fn dispatch(p: &mut LoongServe, b: &ViewBuilder) -> Vec<Decision> {
    let mut out = Vec::new();
    p.dispatch(&b.view(), &mut out);
    out
}

#[test]
fn a_long_request_on_an_idle_cluster_takes_idle_replicas_up_to_the_bound_same_node_first() {
    // Two nodes of four replicas; a 200K request needs 2 (⌈200,000 / 131,072⌉).
    let mut p = loong(6);
    let mut b = ViewBuilder::new(2, 4, p.rules(), sizing_8b());
    // Replica 1 is busy with short work: not idle, not taken beyond the group.
    b.queued(1, 500);
    let r = b.request(200_000, 10);
    assert_eq!(b.view().sp_degree(r), 2);
    let out = dispatch(&mut p, &b);
    // The common rule picks replicas 0 and 2 (node 0, smallest queues); the scale-out adds
    // node 0's idle replica 3 first, then node 1's 4 and 5: six replicas, 1 left out.
    assert_eq!(
        out,
        vec![Decision::Long {
            req: r,
            replicas: vec![0, 2, 3, 4, 5, 6]
        }]
    );
}

#[test]
fn a_group_that_must_wait_behind_a_long_request_is_not_scaled_out() {
    let mut p = loong(8);
    let mut b = ViewBuilder::new(1, 4, p.rules(), sizing_8b());
    // Every replica hosts a long prefill: the new request queues behind on 2 of them.
    b.long(&[0, 1, 2, 3], LongStatus::PrefillRunning, 0);
    let r = b.request(200_000, 10);
    let out = dispatch(&mut p, &b);
    let [Decision::Long { replicas, .. }] = &out[..] else {
        panic!("{out:?}")
    };
    assert_eq!(replicas.len(), 2, "{out:?}");
    assert_eq!(
        out[0],
        Decision::Long {
            req: r,
            replicas: replicas.clone()
        }
    );
}

#[test]
fn the_bound_never_shrinks_a_group_below_its_sizing() {
    let mut p = loong(1);
    let b = {
        let mut b = ViewBuilder::new(1, 8, p.rules(), sizing_8b());
        b.request(300_000, 10); // needs 3
        b
    };
    let out = dispatch(&mut p, &b);
    let [Decision::Long { replicas, .. }] = &out[..] else {
        panic!("{out:?}")
    };
    assert_eq!(replicas.len(), 3);
}

/// One node of 8 A100, Llama-3.1-8B at TP = 2 (four replicas); a 200,000-token prompt with
/// 2,000 output tokens at 0 s (its sizing: 2 replicas; its KV fits one); eight short requests,
/// four at `short_at_s` and four 1 ms later (a burst: the shortest-queue rule spreads it).
/// A 200,000-token prompt at 0 s and eight short requests at `short_at_s` (four, then four
/// 1 ms later) on one node (Llama-3.1-8B at TP = 2: four replicas).
fn run(kind: PolicyKind, short_at_s: f64) -> (Vec<RequestRecord>, Vec<Span>) {
    let mut rows = String::from("0.000,200000,2000\n");
    for i in 0..8 {
        rows += &format!("{:.3},1000,20\n", short_at_s + 0.001 * (i / 4) as f64);
    }
    run_rows_8b(
        kind,
        &PolicyKnobs::default(),
        EngineConfig::default(),
        1,
        &rows,
    )
}

fn replicas_of(spans: &[Span], kinds: &[SpanKind]) -> BTreeSet<u32> {
    spans
        .iter()
        .filter(|s| s.req == Some(0) && kinds.contains(&s.kind))
        .map(|s| s.replica)
        .collect()
}

#[test]
fn loongserve_prefills_on_more_replicas_than_the_kv_needs_and_decodes_on_fewer() {
    // Where the long prefill ends under FIFO (2 replicas), to time the short arrivals.
    let (fifo, fifo_spans) = run(PolicyKind::Fifo, 1000.0);
    let (loong, spans) = run(PolicyKind::LoongServe, 1000.0);
    assert_eq!(replicas_of(&fifo_spans, &[SpanKind::LongPrefill]).len(), 2);
    let prefill = replicas_of(&spans, &[SpanKind::LongPrefill]);
    let decode = replicas_of(&spans, &[SpanKind::LongDecode, SpanKind::Colocated]);
    // Scale-out: all four idle replicas; the prefill is faster than on FIFO's two.
    assert_eq!(prefill.len(), 4, "{prefill:?}");
    assert_eq!(loong[0].replicas, 4);
    assert!(loong[0].first_token.unwrap() < fifo[0].first_token.unwrap());
    // Scale-in: one replica holds the KV (Llama-3.1-8B at TP = 2 holds ~1M tokens).
    assert_eq!(decode.len(), 1, "{decode:?}");
    assert!(decode.is_subset(&prefill));
}

#[test]
fn the_replicas_a_scale_in_releases_serve_short_requests_during_the_decode() {
    let (probe, _) = run(PolicyKind::LoongServe, 1000.0);
    let first = probe[0].first_token.unwrap().as_secs_f64();
    let (r, spans) = run(PolicyKind::LoongServe, first + 0.2);
    let (long_first, long_done) = (r[0].first_token.unwrap(), r[0].completion.unwrap());
    let decode = replicas_of(&spans, &[SpanKind::LongDecode, SpanKind::Colocated]);
    let released: BTreeSet<u32> = replicas_of(&spans, &[SpanKind::LongPrefill])
        .difference(&decode)
        .copied()
        .collect();
    assert_eq!(released.len(), 3);
    let short_on_released = spans.iter().filter(|s| {
        s.req.is_none()
            && released.contains(&s.replica)
            && s.start > long_first
            && s.start < long_done
            && matches!(s.kind, SpanKind::ShortPrefill | SpanKind::Mixed)
    });
    assert!(short_on_released.count() > 0, "{spans:#?}");
    assert!(r[1..].iter().all(|s| s.completion.unwrap() < long_done));
}
