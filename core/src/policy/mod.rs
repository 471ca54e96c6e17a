//! Scheduling policies: one file per policy, and the placement rules they share. A policy never
//! mutates the simulation: it reads a [`View`] and returns [`Decision`]s that the engine
//! validates and applies. Each policy also sets the [`EngineRules`] for how long requests share
//! replicas with short ones. The interface itself lives in [`crate::sched`]; it is re-exported
//! here for callers.

mod chunked;
#[cfg(test)]
mod chunked_tests;
mod disaggregated;
mod fifo;
mod loongserve;
#[cfg(test)]
mod loongserve_tests;
mod ltr;
mod medha;
#[cfg(test)]
mod medha_tests;
mod pecsched;
pub mod placement;
pub mod prefix_affinity;
mod priority;
mod ranked;
#[cfg(test)]
mod ranked_tests;
mod reservation;
mod sjf;
#[cfg(test)]
mod tests;

pub use crate::sched::{
    AdaptiveChunk, Decision, DecodePool, ElasticSp, EngineRules, LongDecode, LongPrefill,
    LongStatus, Policy, PolicyKind, ReplicaInfo, View, ViewBuilder,
};
pub use chunked::ChunkedPrefill;
pub use disaggregated::Disaggregated;
pub use fifo::Fifo;
pub use loongserve::LoongServe;
pub use ltr::LearnedRank;
pub use medha::Medha;
pub use pecsched::{Mechanisms, PecSched};
pub use priority::{Priority, PriorityPlacement};
pub use ranked::{RankedQueue, ShortPlacement};
pub use reservation::{
    RESERVED_FOR_INPUT_TOKENS, RESERVED_FOR_OUTPUT_TOKENS, Reservation, ReservationPool,
};
pub use sjf::Sjf;

use crate::metrics::Slo;
use crate::model::ModelKind;
pub use crate::sched::colocation::ColocationCap;
use crate::time::SimDuration;
use std::num::NonZeroU32;

/// Building a policy by name (the names live in [`crate::sched`]: the engine needs them, not
/// the policies).
impl PolicyKind {
    /// PecSched's mechanisms for this policy (`None` for the baselines).
    pub fn mechanisms(self) -> Option<Mechanisms> {
        let on = Mechanisms::ALL_ON;
        Some(match self {
            PolicyKind::Fifo
            | PolicyKind::Reservation
            | PolicyKind::Priority
            | PolicyKind::Sjf
            | PolicyKind::LearnedRank
            | PolicyKind::ChunkedPrefill
            | PolicyKind::Medha
            | PolicyKind::Disaggregated
            | PolicyKind::LoongServe => return None,
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
            PolicyKind::Reservation => Box::new(Reservation::with_pool(knobs.reservation_pool)),
            PolicyKind::Priority => Box::new(Priority {
                placement: knobs.priority_placement,
            }),
            PolicyKind::Sjf => Box::new(Sjf::default()),
            PolicyKind::LearnedRank => {
                Box::new(LearnedRank::new(knobs.rank_noise_sigma_milli, knobs.seed))
            }
            PolicyKind::ChunkedPrefill => Box::new(ChunkedPrefill {
                tokens_per_member: knobs.chunk_tokens_per_member,
            }),
            PolicyKind::Medha => Box::new(Medha::new(knobs)),
            PolicyKind::Disaggregated => Box::new(Disaggregated::with_share(
                knobs.pd_decode_permille,
                replicas,
            )),
            PolicyKind::LoongServe => Box::new(LoongServe {
                max_prefill_degree: NonZeroU32::new(knobs.max_prefill_degree)
                    .unwrap_or(NonZeroU32::MIN),
            }),
            PolicyKind::PecSched
            | PolicyKind::PecSchedNoPreemption
            | PolicyKind::PecSchedNoDisaggregation
            | PolicyKind::PecSchedNoColocation
            | PolicyKind::PecSchedNoFastSp => Box::new(PecSched {
                kind: self,
                mechanisms: self.mechanisms().expect("a PecSched variant"),
                decode_replicas: knobs.decode_replicas(model, replicas),
                colocation_cap: knobs.colocation_cap,
            }),
        }
    }
}

/// Policy parameters the paper leaves open (named, with documented defaults; ARCHITECTURE.md,
/// "Decisions where the paper is silent").
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PolicyKnobs {
    /// PecSched: decode-only replicas for short requests (paper: 4, 4, 1, 1 for Mistral,
    /// Phi-3, Yi, Llama). `None` picks the paper's value for the model, else 1/8 of replicas.
    pub decode_replicas: Option<u32>,
    /// PecSched: the cap on short-prefill tokens per GPU colocated with one long-decode step
    /// (default: derived from the cost model, 5 % slowdown bound; docs/paper.md §2.6).
    pub colocation_cap: ColocationCap,
    /// Reservation: the size of the long-request pool (default: what one 500K-token input
    /// needs; docs/paper.md §1.3).
    pub reservation_pool: ReservationPool,
    /// Priority: which replicas a low-priority (long) request may take.
    pub priority_placement: PriorityPlacement,
    /// Learning-to-rank: sigma of the log-normal error of its output-length estimate, in
    /// thousandths (default [`DEFAULT_RANK_NOISE_SIGMA_MILLI`]).
    pub rank_noise_sigma_milli: u32,
    /// Chunked prefill: prompt tokens each member of a long request's group processes per
    /// step (default [`DEFAULT_CHUNK_TOKENS_PER_MEMBER`]).
    pub chunk_tokens_per_member: u32,
    /// DistServe/Splitwise: the decode pool's share of the replicas, per mille (default
    /// [`DEFAULT_PD_DECODE_PERMILLE`]).
    pub pd_decode_permille: u32,
    /// Medha: the longest a long-prefill step may take (`None`: the short class's TBT limit
    /// in `slo`; ARCHITECTURE.md, "Decisions").
    pub medha_tbt_target: Option<SimDuration>,
    /// Medha: the smallest chunk a long-prefill step takes, prompt tokens per member, when no
    /// chunk keeps the step within its target (default
    /// [`DEFAULT_MEDHA_MIN_CHUNK_TOKENS_PER_MEMBER`]).
    pub medha_min_chunk_tokens_per_member: u32,
    /// LoongServe: the largest group a long prefill scales out to, in replicas (default
    /// [`DEFAULT_MAX_PREFILL_DEGREE`]; a request whose sizing needs more gets what it needs).
    pub max_prefill_degree: u32,
    /// The scenario's seed, for policies that draw (learning-to-rank's estimate error); set by
    /// `Scenario::build_policy`, not a knob of its own.
    pub seed: u64,
    /// The scenario's SLOs, for policies that schedule by deadline (Medha's slack); set by
    /// `Scenario::build_policy`, not a knob of its own.
    pub slo: Slo,
}

/// Medha's smallest chunk: one prompt token per member — when the short work riding in a step
/// already fills its target, the long prefill yields all but one token per member of it
/// (ARCHITECTURE.md, "Decisions").
pub const DEFAULT_MEDHA_MIN_CHUNK_TOKENS_PER_MEMBER: u32 = 1;

/// Learning-to-rank's default estimate error: sigma 1 (ARCHITECTURE.md, "Decisions").
pub const DEFAULT_RANK_NOISE_SIGMA_MILLI: u32 = 1000;

/// Chunked prefill's default chunk: 2048 tokens per member and step, Sarathi-Serve's token
/// budget for relaxed TBT SLOs (OSDI'24 §5; 512 for strict ones), a quarter of the engine's
/// default 8192-token iteration budget (ARCHITECTURE.md, "Decisions").
pub const DEFAULT_CHUNK_TOKENS_PER_MEMBER: u32 = 2048;

/// DistServe/Splitwise's default P:D split: 30 % of the replicas decode (ARCHITECTURE.md,
/// "Decisions": both papers provision fewer decode than prefill instances for chat workloads;
/// the split is the knob, as they choose it per workload).
pub const DEFAULT_PD_DECODE_PERMILLE: u32 = 300;

/// LoongServe's default scale-out bound: 8 replicas — one node of the paper's testbed at TP = 1,
/// the whole testbed (4 nodes) at TP = 4 (ARCHITECTURE.md, "Decisions": LoongServe scales a
/// prefill over every free instance; the bound, our choice, keeps one request from taking a
/// whole large cluster).
pub const DEFAULT_MAX_PREFILL_DEGREE: u32 = 8;

impl Default for PolicyKnobs {
    fn default() -> Self {
        PolicyKnobs {
            decode_replicas: None,
            colocation_cap: ColocationCap::default(),
            reservation_pool: ReservationPool::default(),
            priority_placement: PriorityPlacement::default(),
            rank_noise_sigma_milli: DEFAULT_RANK_NOISE_SIGMA_MILLI,
            chunk_tokens_per_member: DEFAULT_CHUNK_TOKENS_PER_MEMBER,
            pd_decode_permille: DEFAULT_PD_DECODE_PERMILLE,
            medha_tbt_target: None,
            medha_min_chunk_tokens_per_member: DEFAULT_MEDHA_MIN_CHUNK_TOKENS_PER_MEMBER,
            max_prefill_degree: DEFAULT_MAX_PREFILL_DEGREE,
            seed: 0,
            slo: Slo::DEFAULT,
        }
    }
}

impl PolicyKnobs {
    /// Decode-only replicas for `model` on a cluster of `replicas` replicas: the knob if set,
    /// else the paper's choice (Mistral 4, Phi-3 4, Yi 1, Llama-3.1-70B 1, on 32 A100), scaled
    /// to the cluster as a share of replicas (the paper's is 1/8 in every case). At least 1: a
    /// knob of 0 (which scenario validation refuses) counts as 1, since a decode pool of no
    /// replica would strand every short request.
    pub fn decode_replicas(&self, model: ModelKind, replicas: u32) -> NonZeroU32 {
        let _ = model; // the paper's four choices all equal one eighth of the replicas
        let n = self.decode_replicas.unwrap_or_else(|| replicas.div_ceil(8));
        NonZeroU32::new(n).unwrap_or(NonZeroU32::MIN)
    }
}
