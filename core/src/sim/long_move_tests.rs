//! The engine's move of a long job to a new group at the end of its prefill
//! (`sim/long_move.rs`) on hand-built runs: DistServe's hand-over of a long request to the
//! decode pool, a pool that can never hold one, and the FIFO wait for room.

use super::config::EngineConfig;
use super::timeline::{Span, SpanKind};
use crate::metrics::RequestRecord;
use crate::policy::PolicyKnobs;
use crate::sched::PolicyKind;
use crate::test_support::{cluster_8b, run_rows_8b};
use std::collections::BTreeSet;

/// One decode replica (10 % of 8), and the compute floor raised so that a long request's
/// group is sized by the KV rule.
fn one_decode_replica() -> (PolicyKnobs, EngineConfig) {
    let knobs = PolicyKnobs {
        pd_decode_permille: 100,
        ..PolicyKnobs::default()
    };
    let cfg = EngineConfig {
        sp_tokens_per_replica: 4_000_000,
        ..EngineConfig::default()
    };
    (knobs, cfg)
}

/// Runs `kind` with `knobs` on two nodes of 8 A100 (Llama-3.1-8B at TP = 2: eight replicas)
/// over the plain-CSV `rows`, checking every invariant after every event.
fn run(
    kind: PolicyKind,
    knobs: &PolicyKnobs,
    cfg: EngineConfig,
    rows: &str,
) -> (Vec<RequestRecord>, Vec<Span>) {
    run_rows_8b(kind, knobs, cfg, 2, rows)
}

/// The replicas where request `req`'s spans of `kinds` ran.
fn replicas_of(spans: &[Span], req: u32, kinds: &[SpanKind]) -> BTreeSet<u32> {
    spans
        .iter()
        .filter(|s| s.req == Some(req) && kinds.contains(&s.kind))
        .map(|s| s.replica)
        .collect()
}

const DECODE: [SpanKind; 2] = [SpanKind::LongDecode, SpanKind::Colocated];

/// A 200,000-token prompt with 2,000 output tokens at 0 s, and eight short requests from
/// `short_at_s` on, 50 ms apart.
fn long_then_shorts(short_at_s: f64) -> String {
    let mut rows = String::from("0.000,200000,2000\n");
    for i in 0..8 {
        rows += &format!("{:.3},1000,20\n", short_at_s + 0.05 * i as f64);
    }
    rows
}

#[test]
fn distserve_decodes_a_long_request_in_the_pool_and_its_prefill_replicas_serve_shorts() {
    let knobs = PolicyKnobs::default(); // 30 % of 8: replicas 6 and 7 decode
    let cfg = EngineConfig::default();
    let (probe, _) = run(
        PolicyKind::Disaggregated,
        &knobs,
        cfg,
        &long_then_shorts(1000.0),
    );
    let first = probe[0].first_token.unwrap().as_secs_f64();
    let (r, spans) = run(
        PolicyKind::Disaggregated,
        &knobs,
        cfg,
        &long_then_shorts(first + 0.2),
    );
    let prefill = replicas_of(&spans, 0, &[SpanKind::LongPrefill]);
    let decode = replicas_of(&spans, 0, &DECODE);
    assert_eq!(prefill.len(), 2, "{prefill:?}");
    assert!(prefill.iter().all(|&m| m < 6), "{prefill:?}");
    // Its KV fits one replica: the decode runs on one decode-only replica.
    assert_eq!(decode.len(), 1, "{decode:?}");
    assert!(decode.iter().all(|&m| m >= 6), "{decode:?}");
    // The prefill replicas take short work while the long request decodes.
    let (long_first, long_done) = (r[0].first_token.unwrap(), r[0].completion.unwrap());
    let shorts_there = spans.iter().filter(|s| {
        s.req.is_none()
            && prefill.contains(&s.replica)
            && s.start > long_first
            && s.start < long_done
            && matches!(s.kind, SpanKind::ShortPrefill | SpanKind::Mixed)
    });
    assert!(shorts_there.count() > 0, "{spans:#?}");
    // PecSched (short requests only) decodes it where it prefilled.
    let (_, pec) = run(
        PolicyKind::PecSched,
        &knobs,
        cfg,
        &long_then_shorts(first + 0.2),
    );
    assert_eq!(
        replicas_of(&pec, 0, &DECODE),
        replicas_of(&pec, 0, &[SpanKind::LongPrefill])
    );
}

#[test]
fn a_long_request_the_pool_can_never_hold_decodes_where_it_prefilled() {
    // One decode replica (10 % of 8); a prompt whose KV needs two replicas (the compute floor
    // raised so that the KV rule sizes it).
    let (knobs, cfg) = one_decode_replica();
    let (_, _, perf) = cluster_8b(2);
    let input = perf.kv_capacity_tokens() * 3 / 2;
    let (r, spans) = run(
        PolicyKind::Disaggregated,
        &knobs,
        cfg,
        &format!("0.000,{input},50\n0.100,1000,20\n"),
    );
    assert_eq!(r[0].replicas, 2);
    let prefill = replicas_of(&spans, 0, &[SpanKind::LongPrefill]);
    assert_eq!(replicas_of(&spans, 0, &DECODE), prefill);
    assert!(r[0].completion.is_some() && r[1].completion.is_some());
}

#[test]
fn a_long_request_waits_for_pool_room_decoding_in_place_then_moves() {
    // One decode replica; two long requests whose KV fits it one at a time (each needs more
    // than half of it), the second finishing its prefill while the first decodes there.
    let (knobs, cfg) = one_decode_replica();
    let (_, _, perf) = cluster_8b(2);
    let input = perf.kv_capacity_tokens() * 6 / 10;
    let (r, spans) = run(
        PolicyKind::Disaggregated,
        &knobs,
        cfg,
        &format!("0.000,{input},500\n0.010,{input},3000\n"),
    );
    let pool: BTreeSet<u32> = [7].into();
    // Both end in the pool; the one that finished its prefill second decoded in place first
    // (its prefill replicas show decode spans too) and moved once the pool had room.
    let (first, second) = (0, 1);
    assert!(r[0].first_token < r[1].first_token);
    let d_second = replicas_of(&spans, second, &DECODE);
    assert_eq!(replicas_of(&spans, first, &DECODE), pool);
    assert!(d_second.contains(&7), "{d_second:?}");
    assert!(
        d_second.len() > 1,
        "decoded in place while waiting: {d_second:?}"
    );
    let moved_at = spans
        .iter()
        .filter(|s| s.req == Some(second) && s.replica == 7 && DECODE.contains(&s.kind))
        .map(|s| s.start)
        .min()
        .unwrap();
    let first_left = spans
        .iter()
        .filter(|s| s.req == Some(first) && s.replica == 7)
        .map(|s| s.end)
        .max()
        .unwrap();
    assert!(moved_at >= first_left, "{moved_at:?} < {first_left:?}");
}
