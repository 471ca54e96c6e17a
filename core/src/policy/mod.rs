//! Scheduling policies. A policy never mutates the simulation: it reads a [`View`] and returns
//! [`Decision`]s that the engine validates and applies. Each policy also sets the
//! [`EngineRules`] for how long requests share replicas with short ones.

mod fifo;
mod pecsched;
pub mod placement;
mod priority;
mod reservation;
mod view;

pub use fifo::Fifo;
pub use pecsched::{Mechanisms, PecSched};
pub use priority::Priority;
pub use reservation::Reservation;
pub use view::{LongStatus, ReplicaInfo, View};

use crate::model::ModelKind;
use crate::sim::config::EngineRules;
use serde::{Deserialize, Serialize};

/// What a policy decides for a request in the global queue.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Decision {
    /// Send short request `req` to `replica`'s local queue.
    Short {
        /// Request id.
        req: u32,
        /// Destination replica.
        replica: u32,
    },
    /// Start long request `req` on `replicas` (sequence parallelism over the group).
    Long {
        /// Request id.
        req: u32,
        /// The group, sorted by node then id.
        replicas: Vec<u32>,
    },
}

/// A scheduling policy.
pub trait Policy {
    /// Which policy this is.
    fn kind(&self) -> PolicyKind;
    /// How long requests share replicas with short ones under this policy.
    fn rules(&self) -> EngineRules;
    /// Called once before the run, with the cluster as it starts.
    fn init(&mut self, _view: &View<'_>) {}
    /// Decides which waiting requests go where now. Requests not decided stay queued.
    fn dispatch(&mut self, view: &View<'_>, out: &mut Vec<Decision>);
    /// The most replicas this policy can ever give one long request, when it is fewer than the
    /// cluster's prefill replicas (a reserved pool); read after `init`. A long request that
    /// needs more is rejected with this reason instead of waiting forever.
    fn long_group_limit(&self) -> Option<u32> {
        None
    }
}

/// The policies the simulator offers: the paper's three baselines, PecSched, and its four
/// ablations (§3.6 of the digest).
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

    /// PecSched's mechanisms for this policy (`None` for the baselines).
    pub fn mechanisms(self) -> Option<Mechanisms> {
        let on = Mechanisms::ALL_ON;
        Some(match self {
            PolicyKind::Fifo | PolicyKind::Reservation | PolicyKind::Priority => return None,
            PolicyKind::PecSched => on,
            PolicyKind::PecSchedNoPreemption => Mechanisms {
                preemption: false,
                ..on
            },
            PolicyKind::PecSchedNoDisaggregation => Mechanisms {
                disaggregation: false,
                ..on
            },
            PolicyKind::PecSchedNoColocation => Mechanisms {
                colocation: false,
                ..on
            },
            PolicyKind::PecSchedNoFastSp => Mechanisms {
                fast_sp: false,
                ..on
            },
        })
    }

    /// Builds the policy for a cluster of `replicas` replicas serving `model`.
    pub fn build(self, knobs: &PolicyKnobs, model: ModelKind, replicas: u32) -> Box<dyn Policy> {
        match self {
            PolicyKind::Fifo => Box::new(Fifo),
            PolicyKind::Reservation => Box::new(Reservation::default()),
            PolicyKind::Priority => Box::new(Priority),
            _ => Box::new(PecSched {
                kind: self,
                mechanisms: self.mechanisms().expect("a PecSched variant"),
                decode_replicas: knobs.decode_replicas(model, replicas),
                colocation_cap_tokens_per_gpu: knobs.colocation_cap_tokens_per_gpu,
            }),
        }
    }
}

/// Policy parameters the paper leaves open (named, with documented defaults).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PolicyKnobs {
    /// PecSched: decode-only replicas for short requests (paper: 4, 4, 1, 1 for Mistral,
    /// Phi-3, Yi, Llama). `None` picks the paper's value for the model, else 1/8 of replicas.
    pub decode_replicas: Option<u32>,
    /// PecSched: short-prefill tokens per GPU colocated with one long-decode step.
    pub colocation_cap_tokens_per_gpu: u32,
}

impl PolicyKnobs {
    /// Decode-only replicas for `model` on a cluster of `replicas` replicas: the knob if set,
    /// else the paper's choice (Mistral 4, Phi-3 4, Yi 1, Llama-3.1-70B 1, on 32 A100), scaled
    /// to the cluster as a share of replicas (the paper's is 1/8 in every case), at least 1.
    pub fn decode_replicas(&self, model: ModelKind, replicas: u32) -> u32 {
        if let Some(n) = self.decode_replicas {
            return n;
        }
        let _ = model; // the paper's four choices all equal one eighth of the replicas
        replicas.div_ceil(8).max(1)
    }
}

impl Default for PolicyKnobs {
    fn default() -> Self {
        PolicyKnobs {
            decode_replicas: None,
            colocation_cap_tokens_per_gpu: 512,
        }
    }
}
