//! The scheduling interface between the engine ([`crate::sim`]) and the policies
//! ([`crate::policy`]): what a policy sees ([`View`]), what it answers ([`Decision`]), the
//! [`Policy`] trait, and the [`EngineRules`] a policy sets for how long requests share replicas
//! with short ones.
//!
//! Both `sim` and `policy` depend on this module and it depends on neither: a [`View`] reads
//! plain per-replica snapshots through [`ReplicaSource`], which the engine implements over its
//! state and [`ViewBuilder`] over hand-built data, so every policy can be tested on a state
//! whose answer is known.

mod builder;
pub mod colocation;
mod index;
mod rules;
mod sizing;
mod view;

pub use crate::policy_kind::PolicyKind;
pub use builder::ViewBuilder;
pub use index::{IndexMismatch, LongFreeIndex, StatusIndex};
pub use rules::{AdaptiveChunk, DecodePool, ElasticSp, EngineRules, LongDecode, LongPrefill};
pub use sizing::Sizing;
pub use view::{LongStatus, ReplicaInfo, ReplicaSource, View, ViewParts};

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

/// A scheduling policy. It never mutates the simulation: it reads a [`View`] and returns
/// [`Decision`]s that the engine validates and applies.
pub trait Policy {
    /// Which policy this is.
    fn kind(&self) -> PolicyKind;
    /// How long requests share replicas with short ones under this policy.
    fn rules(&self) -> EngineRules;
    /// Called once before the run, with the cluster as it starts.
    fn init(&mut self, _view: &View<'_>) {}
    /// Called once before the run, before `init`, with the run's performance model: for a
    /// policy that estimates service times from it (Medha's slack). A wrapper forwards it.
    fn prepare(&mut self, _perf: &crate::perf::PerfModel) {}
    /// Decides which waiting requests go where now. Requests not decided stay queued.
    fn dispatch(&mut self, view: &View<'_>, out: &mut Vec<Decision>);
    /// The most replicas this policy can ever give one long request, when it is fewer than the
    /// cluster's prefill replicas (a reserved pool); read after `init`. A long request that
    /// needs more is rejected with this reason instead of waiting forever.
    fn long_group_limit(&self) -> Option<u32> {
        None
    }
    /// Whether this policy's rule ever sends short work to `replica` (beyond the replica
    /// accepting it now): Reservation keeps its pool for long requests. Read by the
    /// cache-aware dispatch (`policy::prefix_affinity`), which moves a short request only
    /// between replicas the policy treats alike.
    fn takes_short_on(&self, _replica: u32) -> bool {
        true
    }
}
