//! The names of the policies the simulator offers. Building one is [`crate::policy`]'s job
//! (`PolicyKind::build`); the engine only needs the name, for summaries.

use serde::{Deserialize, Serialize};

/// The policies the simulator offers: the paper's three baselines (paper §1.3), PecSched, and
/// its four ablations (paper §3.6).
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
}

impl PolicyKind {
    /// Every policy, in display order.
    pub const ALL: [PolicyKind; 8] = [
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
        }
    }
}
