//! The names of the policies the simulator offers: a catalog, like [`crate::model`] and
//! [`crate::hardware`], below every module that names a policy (summaries, the scheduling
//! interface, scenarios). Building one is [`crate::policy`]'s job (`PolicyKind::build`).

use serde::{Deserialize, Serialize};

/// The policies the simulator offers: the paper's three baselines (docs/paper.md §1.3), PecSched, its
/// four ablations (docs/paper.md §3.6), and schedulers users compare with today (issue 18:
/// shortest-job-first, learning-to-rank, chunked prefill,
/// prefill/decode disaggregation, Medha, LoongServe's elastic sequence parallelism).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum PolicyKind {
    /// First come, first served over one shared pool (vLLM-like).
    Fifo,
    /// A reserved pool for long requests (Llumnix-like).
    Reservation,
    /// Short requests first; long requests on spare capacity only (Past-Future-like).
    Priority,
    /// PecSched with every mechanism.
    PecSched,
    /// PecSched without preemption (/PE).
    PecSchedNoPreemption,
    /// PecSched without short prefill/decode disaggregation (/Dis).
    PecSchedNoDisaggregation,
    /// PecSched without colocation (/CoL).
    PecSchedNoColocation,
    /// PecSched without fast sequence parallelism (/FSP).
    PecSchedNoFastSp,
    /// Shortest-job-first by input length.
    Sjf,
    /// Learning-to-rank: shortest estimated output first (NeurIPS'24).
    LearnedRank,
    /// Stall-free chunked prefill (vLLM v1 / Sarathi-Serve, OSDI'24).
    ChunkedPrefill,
    /// Prefill/decode disaggregation of every request (DistServe, Splitwise).
    Disaggregated,
    /// Adaptive chunking, least-slack order, KV-parallel decode (Medha, arXiv 2409.17264).
    Medha,
    /// Elastic sequence parallelism (LoongServe, SOSP'24).
    LoongServe,
}

impl PolicyKind {
    /// Every policy, in display order.
    pub const ALL: [PolicyKind; 14] = [
        PolicyKind::Fifo,
        PolicyKind::Reservation,
        PolicyKind::Priority,
        PolicyKind::PecSched,
        PolicyKind::PecSchedNoPreemption,
        PolicyKind::PecSchedNoDisaggregation,
        PolicyKind::PecSchedNoColocation,
        PolicyKind::PecSchedNoFastSp,
        PolicyKind::Sjf,
        PolicyKind::LearnedRank,
        PolicyKind::ChunkedPrefill,
        PolicyKind::Disaggregated,
        PolicyKind::Medha,
        PolicyKind::LoongServe,
    ];

    /// The paper's evaluation (docs/paper.md §3): its three baselines, PecSched and its four
    /// ablations — what `repro` runs.
    pub const PAPER: [PolicyKind; 8] = [
        PolicyKind::Fifo,
        PolicyKind::Reservation,
        PolicyKind::Priority,
        PolicyKind::PecSched,
        PolicyKind::PecSchedNoPreemption,
        PolicyKind::PecSchedNoDisaggregation,
        PolicyKind::PecSchedNoColocation,
        PolicyKind::PecSchedNoFastSp,
    ];

    /// The paper's four main policies.
    pub const MAIN: [PolicyKind; 4] = [
        PolicyKind::Fifo,
        PolicyKind::Reservation,
        PolicyKind::Priority,
        PolicyKind::PecSched,
    ];

    /// Stable identifier used in scenario files, links and tables.
    pub fn id(self) -> &'static str {
        match self {
            PolicyKind::Fifo => "fifo",
            PolicyKind::Reservation => "reservation",
            PolicyKind::Priority => "priority",
            PolicyKind::PecSched => "pecsched",
            PolicyKind::PecSchedNoPreemption => "pecsched/pe",
            PolicyKind::PecSchedNoDisaggregation => "pecsched/dis",
            PolicyKind::PecSchedNoColocation => "pecsched/col",
            PolicyKind::PecSchedNoFastSp => "pecsched/fsp",
            PolicyKind::Sjf => "sjf",
            PolicyKind::LearnedRank => "ltr",
            PolicyKind::ChunkedPrefill => "chunked-prefill",
            PolicyKind::Disaggregated => "distserve",
            PolicyKind::Medha => "medha",
            PolicyKind::LoongServe => "loongserve",
        }
    }

    /// Parses [`PolicyKind::id`].
    pub fn from_id(id: &str) -> Option<PolicyKind> {
        PolicyKind::ALL.into_iter().find(|p| p.id() == id)
    }

    /// Human-readable name.
    pub fn label(self) -> &'static str {
        match self {
            PolicyKind::Fifo => "FIFO (vLLM)",
            PolicyKind::Reservation => "Reservation (Llumnix)",
            PolicyKind::Priority => "Priority (Past-Future)",
            PolicyKind::PecSched => "PecSched",
            PolicyKind::PecSchedNoPreemption => "PecSched /PE",
            PolicyKind::PecSchedNoDisaggregation => "PecSched /Dis",
            PolicyKind::PecSchedNoColocation => "PecSched /CoL",
            PolicyKind::PecSchedNoFastSp => "PecSched /FSP",
            PolicyKind::Sjf => "SJF (input length)",
            PolicyKind::LearnedRank => "Learning-to-rank",
            PolicyKind::ChunkedPrefill => "Chunked prefill (vLLM v1, Sarathi-Serve)",
            PolicyKind::Disaggregated => "P/D disaggregation (DistServe, Splitwise)",
            PolicyKind::Medha => "Medha (adaptive chunking, least slack)",
            PolicyKind::LoongServe => "Elastic SP (LoongServe)",
        }
    }
}

/// Serde for a [`PolicyKind`] field as its id (`"pecsched/fsp"`), the form result files and
/// JSON summaries have always used: `#[serde(with = "crate::policy_kind::as_id")]`.
pub mod as_id {
    use super::PolicyKind;
    use serde::{Deserialize, Deserializer, Serializer, de::Error};

    /// Writes the id.
    pub fn serialize<S: Serializer>(p: &PolicyKind, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(p.id())
    }

    /// Reads an id, naming the known ones when it is not one.
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<PolicyKind, D::Error> {
        // `FromStr` (crate::ids) names the known ids when it is not one.
        String::deserialize(d)?.parse().map_err(D::Error::custom)
    }
}
