//! Chunked prefill and prefill/decode disaggregation on a hand-built run whose behaviour is
//! known: a long prompt arrives while
//! short requests decode on every replica. Under FIFO (vLLM v0's prefill-only iterations, the
//! engine's `Exclusive` rule) the long prefill holds its group and the short requests there
//! stop decoding until it ends; under chunked prefill their decodes run in the prefill's own
//! steps, so they finish while it is still going.

use super::{PolicyKind, PolicyKnobs};
use crate::metrics::{Class, RequestRecord};
use crate::model::ModelKind;
use crate::sim::config::EngineConfig;
use crate::test_support::run_rows_8b;

/// Four short requests (1,000 in, 20 out) at 0 s on one node (Llama-3.1-8B at TP = 2 on 8
/// A100: four replicas) and a 200,000-token prompt at 0.1 s, while they decode. Each short request finds every
/// local queue empty (the one before it was admitted at once), so replicas 0 and 1 take two
/// each (ties break by id); the long request's group is the two long-free replicas with the
/// smallest queues, again 0 and 1 (queued tokens are 0 everywhere): all four short requests
/// decode on its group.
fn run(kind: PolicyKind) -> Vec<RequestRecord> {
    let (records, _) = run_rows_8b(
        kind,
        &PolicyKnobs::default(),
        EngineConfig::default(),
        1,
        FOUR_SHORT_THEN_LONG,
    );
    assert_eq!(records[4].class, Class::Long);
    records
}

/// Four short requests (1,000 in, 20 out) at 0 s and a 200,000-token prompt at 0.1 s.
pub(super) const FOUR_SHORT_THEN_LONG: &str =
    "0.000,1000,20\n0.000,1000,20\n0.000,1000,20\n0.000,1000,20\n0.100,200000,20\n";

#[test]
fn chunked_prefill_interleaves_a_long_prefill_with_decodes() {
    let first_token = |r: &[RequestRecord]| r[4].first_token.unwrap();
    let shorts_done_before = |r: &[RequestRecord]| {
        r[..4]
            .iter()
            .filter(|s| s.completion.unwrap() < first_token(r))
            .count()
    };
    let fifo = run(PolicyKind::Fifo);
    // FIFO: the short requests on the long request's group wait for its whole prefill.
    assert_eq!(shorts_done_before(&fifo), 0, "{fifo:#?}");
    let chunked = run(PolicyKind::ChunkedPrefill);
    // Chunked: every short request decodes through the long prefill and finishes first; the
    // long prefill starts at once (it waits for no drain) and is never paused.
    assert_eq!(shorts_done_before(&chunked), 4, "{chunked:#?}");
    let waited = chunked[4].queueing_delay_ns().unwrap();
    assert!(
        waited < 1_000_000,
        "only the decode steps in flight end first: {waited} ns"
    );
    assert_eq!(chunked[4].preemptions, 0);
    // Their decodes were slowed by the chunks they shared steps with (one token per step of
    // 4,096 prompt tokens over the group), not stopped: the worst mean time between tokens is
    // less than half FIFO's, where the first decode waited for the whole prefill.
    let worst_tbt = |r: &[RequestRecord]| r[..4].iter().map(|s| s.tbt_ns().unwrap()).max().unwrap();
    assert!(worst_tbt(&chunked) * 2 < worst_tbt(&fifo));
}

/// The same run under prefill/decode disaggregation with one decode replica of four: the
/// short requests prefill on the prefill pool and hand their KV to the decode replica, where
/// the long prefill (on two of the three prefill replicas) cannot stall them.
#[test]
fn disaggregation_moves_short_decodes_out_of_the_long_prefills_way() {
    let knobs = PolicyKnobs {
        pd_decode_permille: 250,
        ..PolicyKnobs::default()
    };
    let policy = PolicyKind::Disaggregated.build(&knobs, ModelKind::Llama31_8B, 4);
    assert_eq!(policy.rules().decode_replicas(), 1);
    let (r, _) = run_rows_8b(
        PolicyKind::Disaggregated,
        &knobs,
        EngineConfig::default(),
        1,
        FOUR_SHORT_THEN_LONG,
    );
    let long_first = r[4].first_token.unwrap();
    assert!(
        r[..4].iter().all(|s| s.completion.unwrap() < long_first),
        "{r:#?}"
    );
    // FIFO on the same cluster: the short requests wait for the long prefill (the test above).
    assert_eq!(
        run(PolicyKind::Fifo)[..4]
            .iter()
            .filter(|s| s.completion.unwrap() < run(PolicyKind::Fifo)[4].first_token.unwrap())
            .count(),
        0
    );
}
