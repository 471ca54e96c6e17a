//! Dispatch in the order of a per-request rank, shared by shortest-job-first
//! ([`super::Sjf`]) and learning-to-rank ([`super::LearnedRank`]): the global queue is walked
//! smallest rank first (ties by arrival), each request placed by the common rules
//! ([`super::placement`]), and the walk stops at the first request that cannot be placed —
//! every request ranked after it waits too (strict order: a request ranked later never takes
//! capacity before one ranked earlier, which is how such a scheduler starves large jobs under
//! sustained load; measured, not hidden). A short request goes where FIFO would send it
//! (no replica with a long request still waiting to start).
//!
//! The order is kept across calls (a `BTreeSet` of `(rank, id)`): each call adds the
//! requests that arrived since the last one and removes those it places, so a long backlog is
//! not sorted again on every event. Placement reads the replicas through the engine's indexes
//! ([`crate::policy::placement::working`]), as FIFO's does, not a snapshot of every replica.

use super::placement::working::{LongCandidates, Working};
use super::{Decision, LongStatus, ReplicaInfo, View};
use crate::metrics::Class;
use std::collections::BTreeSet;

/// The global queue in rank order, kept across dispatch calls.
#[derive(Clone, Debug, Default)]
pub struct RankedQueue {
    /// Waiting requests as `(rank, id)`, smallest first.
    order: BTreeSet<(u64, u32)>,
    /// The highest request id ranked so far (requests arrive in id order).
    seen: Option<u32>,
    /// Where short requests may go.
    shorts: ShortPlacement,
}

/// The replicas a ranked dispatch sends a short request to (the shortest accepting queue
/// among them).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum ShortPlacement {
    /// FIFO's rule: a replica free of long work or decoding one, with no long request waiting
    /// to start (under an exclusive long prefill the short request would wait behind it).
    #[default]
    NotBehindLong,
    /// Any replica that is not decode-only: under chunked prefill short work rides in a long
    /// prefill's steps (Medha).
    AnyPrefill,
}

impl RankedQueue {
    /// An empty queue whose short requests are placed by `shorts`.
    pub fn with_short_placement(shorts: ShortPlacement) -> RankedQueue {
        RankedQueue {
            shorts,
            ..RankedQueue::default()
        }
    }

    /// Ranks the requests that arrived since the last call (`rank` gives each its rank), then
    /// places requests in rank order until one cannot be placed.
    pub fn dispatch(
        &mut self,
        view: &View<'_>,
        out: &mut Vec<Decision>,
        mut rank: impl FnMut(&View<'_>, u32) -> u64,
    ) {
        // Only the arrivals since the last call: each class's queue from past the highest id
        // seen (a binary search, not a walk of the backlog).
        let seen = self.seen;
        for class in [Class::Short, Class::Long] {
            for req in view.queue_after(class, seen) {
                self.order.insert((rank(view, req), req));
                self.seen = self.seen.max(Some(req));
            }
        }
        let mut w = Working::new(view);
        let anywhere = self.shorts == ShortPlacement::AnyPrefill;
        let short_ok = |r: &ReplicaInfo| {
            anywhere
                || matches!(r.long, LongStatus::Free | LongStatus::Decoding) && r.long_waiting == 0
        };
        let short_slots = |l: LongStatus, waiting: bool| {
            anywhere || !waiting && matches!(l, LongStatus::Free | LongStatus::Decoding)
        };
        let long_ok = |r: &ReplicaInfo| !r.decode_only;
        let mut placed = Vec::new();
        for &(key, req) in &self.order {
            let d = match view.class(req) {
                Class::Short => w.place_short(req, short_slots, short_ok),
                Class::Long => w.place_long(req, LongCandidates::Any, long_ok),
            };
            let Some(d) = d else { break };
            out.push(d);
            placed.push((key, req));
        }
        for p in placed {
            self.order.remove(&p);
        }
    }
}
