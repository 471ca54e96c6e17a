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
//! not sorted again on every event.

use super::placement::{place_long, place_short};
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
}

impl RankedQueue {
    /// Ranks the requests that arrived since the last call (`rank` gives each its rank), then
    /// places requests in rank order until one cannot be placed.
    pub fn dispatch(
        &mut self,
        view: &View<'_>,
        out: &mut Vec<Decision>,
        mut rank: impl FnMut(&View<'_>, u32) -> u64,
    ) {
        let seen = self.seen;
        for req in view.global_queue() {
            if seen.is_none_or(|s| req > s) {
                self.order.insert((rank(view, req), req));
                self.seen = Some(req);
            }
        }
        let mut infos: Vec<_> = view.replicas().collect();
        let short_ok = |r: &ReplicaInfo| {
            matches!(r.long, LongStatus::Free | LongStatus::Decoding) && r.long_waiting == 0
        };
        let long_ok = |r: &ReplicaInfo| !r.decode_only;
        let mut placed = Vec::new();
        for &(key, req) in &self.order {
            let d = match view.class(req) {
                Class::Short => place_short(view, req, &mut infos, short_ok),
                Class::Long => place_long(view, req, &mut infos, long_ok),
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
