//! Colours: one per policy (the Okabe–Ito colour-blind-safe set, PecSched in blue), one per
//! kind of replica work.

use pecsched_core::policy::PolicyKind;
use pecsched_core::sim::timeline::SpanKind;

/// The colour of a policy in every chart.
pub fn policy(p: PolicyKind) -> &'static str {
    match p {
        PolicyKind::Fifo => "#E69F00",
        PolicyKind::Reservation => "#56B4E9",
        PolicyKind::Priority => "#009E73",
        PolicyKind::PecSched => "#0072B2",
        PolicyKind::PecSchedNoPreemption => "#CC79A7",
        PolicyKind::PecSchedNoDisaggregation => "#A08800",
        PolicyKind::PecSchedNoColocation => "#777777",
        PolicyKind::PecSchedNoFastSp => "#882255",
        PolicyKind::Sjf => "#D55E00",
        PolicyKind::LearnedRank => "#44AA99",
        PolicyKind::ChunkedPrefill => "#332288",
        PolicyKind::Disaggregated => "#999933",
        PolicyKind::Medha => "#117733",
        PolicyKind::LoongServe => "#88CCEE",
    }
}

/// Every kind of replica work, in legend order.
pub const SPAN_KINDS: [SpanKind; 7] = [
    SpanKind::ShortPrefill,
    SpanKind::ShortDecode,
    SpanKind::Mixed,
    SpanKind::LongPrefill,
    SpanKind::LongDecode,
    SpanKind::Colocated,
    SpanKind::Paused,
];

/// The colour of a kind of replica work in the timeline.
pub fn span(k: SpanKind) -> &'static str {
    match k {
        SpanKind::ShortPrefill => "#3A86D6",
        SpanKind::ShortDecode => "#9CC9F0",
        SpanKind::Mixed => "#1B5E9E",
        SpanKind::LongPrefill => "#D95F02",
        SpanKind::LongDecode => "#F5B041",
        SpanKind::Colocated => "#7B4FB8",
        SpanKind::Paused => "#D62728",
    }
}

/// The name of a kind of replica work.
pub fn span_label(k: SpanKind) -> &'static str {
    match k {
        SpanKind::ShortPrefill => "short prefill",
        SpanKind::ShortDecode => "short decode",
        SpanKind::Mixed => "short prefill + decode",
        SpanKind::LongPrefill => "long prefill (SP)",
        SpanKind::LongDecode => "long decode",
        SpanKind::Colocated => "long decode + colocated short prefill",
        SpanKind::Paused => "long request paused (preempted)",
    }
}

/// A policy's name short enough for an axis label.
pub fn policy_short(p: PolicyKind) -> &'static str {
    match p {
        PolicyKind::Fifo => "FIFO",
        PolicyKind::Reservation => "Reservation",
        PolicyKind::Priority => "Priority",
        PolicyKind::PecSched => "PecSched",
        PolicyKind::PecSchedNoPreemption => "PecSched/PE",
        PolicyKind::PecSchedNoDisaggregation => "PecSched/Dis",
        PolicyKind::PecSchedNoColocation => "PecSched/CoL",
        PolicyKind::PecSchedNoFastSp => "PecSched/FSP",
        PolicyKind::Sjf => "SJF",
        PolicyKind::LearnedRank => "LTR",
        PolicyKind::ChunkedPrefill => "Chunked",
        PolicyKind::Disaggregated => "DistServe",
        PolicyKind::Medha => "Medha",
        PolicyKind::LoongServe => "LoongServe",
    }
}
