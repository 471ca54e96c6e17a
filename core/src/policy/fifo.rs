//! FIFO, as in vLLM (paper §1.3), over the common dispatch of every policy (docs/paper.md
//! §2.3, §3.4): the global queue feeds per-replica local FIFO queues at once. A short request
//! goes to the shortest token queue; a long request joins the local queues of its group (same
//! node first, smallest summed queue: [`super::placement::place_long`]) at once, starts when it
//! heads all of them and runs its prefill exclusively on them with ring-attention sequence
//! parallelism. Long decodes batch with short work like any sequence.
//!
//! Local FIFO order: a replica whose queue holds a long request that has not started yet
//! (pending, or waiting behind another long request) takes no new short request — it would
//! wait behind the long one, and the shortest-token-queue rule sees that queue as holding the
//! long request's tokens. Nothing waits in the global queue while a replica can take it.
use super::placement::in_arrival_order;
use super::placement::working::{LongCandidates, Working};
use super::{Decision, EngineRules, LongStatus, Policy, PolicyKind, ReplicaInfo, View};
use crate::metrics::Class;

/// The FIFO policy.
#[derive(Clone, Copy, Debug, Default)]
pub struct Fifo;

/// FIFO's short rule: a replica free of long work or decoding a long request, with no long
/// request waiting in its queue (local FIFO order).
pub(super) fn short_ok(r: &ReplicaInfo) -> bool {
    matches!(r.long, LongStatus::Free | LongStatus::Decoding) && r.long_waiting == 0
}

/// [`short_ok`] as the status-index slots a short placement walks.
pub(super) fn short_slots(long: LongStatus, waiting: bool) -> bool {
    !waiting && matches!(long, LongStatus::Free | LongStatus::Decoding)
}

/// FIFO's long rule: any replica that is not decode-only.
pub(super) fn long_ok(r: &ReplicaInfo) -> bool {
    !r.decode_only
}

impl Policy for Fifo {
    fn kind(&self) -> PolicyKind {
        PolicyKind::Fifo
    }

    fn rules(&self) -> EngineRules {
        EngineRules::BASELINE
    }

    fn dispatch(&mut self, view: &View<'_>, out: &mut Vec<Decision>) {
        // The working copy reads replicas through the engine's indexes: a short placement
        // walks the two status slots `short_ok` accepts, not every replica.
        let mut w = Working::new(view);
        // Arrival order; a blocked class stops only itself (no replica takes a short request
        // now, or too few replicas exist for a long one, which set-up rejects).
        in_arrival_order(view, out, |req, class| match class {
            Class::Short => w.place_short(req, short_slots, short_ok),
            Class::Long => w.place_long(req, LongCandidates::Any, long_ok),
        });
    }
}
