//! Reservation (isolation), as in Llumnix (paper §1.3): a pool of replicas big enough for one 500K-token
//! input serves long requests only; every other replica serves short requests only. Within each
//! pool requests are served first come, first served.

use super::placement::working::{LongCandidates, Working};
use super::{Decision, EngineRules, Policy, PolicyKind, View};
use crate::metrics::Class;

/// Input length the reserved pool is sized for (the paper: 500K tokens).
pub const RESERVED_FOR_INPUT_TOKENS: u32 = 500_000;
/// Output length assumed when sizing the reserved pool (above every trace's maximum output).
pub const RESERVED_FOR_OUTPUT_TOKENS: u32 = 2_048;

/// How big Reservation's long-request pool is (docs/paper.md §1.3: "a pool sized for one
/// 500K-token input"). Its serde form is the scenario's `knobs.reservation_pool`:
/// `{"for_request": {"input_tokens": 500000, "output_tokens": 2048}}` or `{"replicas": 4}`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(
    rename_all = "snake_case",
    deny_unknown_fields,
    expecting = "a reservation pool: {\"for_request\": {\"input_tokens\": …, \"output_tokens\": …}} or {\"replicas\": n}"
)]
pub enum ReservationPool {
    /// The replicas one request of these lengths needs under the engine's group-size rule.
    ForRequest {
        /// Input tokens (default [`RESERVED_FOR_INPUT_TOKENS`]).
        input_tokens: u32,
        /// Output tokens (default [`RESERVED_FOR_OUTPUT_TOKENS`]).
        output_tokens: u32,
    },
    /// A fixed number of replicas.
    Replicas(u32),
}

impl Default for ReservationPool {
    /// The paper's sizing: the replicas one 500K-token input needs.
    fn default() -> Self {
        ReservationPool::ForRequest {
            input_tokens: RESERVED_FOR_INPUT_TOKENS,
            output_tokens: RESERVED_FOR_OUTPUT_TOKENS,
        }
    }
}

/// The reservation policy.
#[derive(Clone, Debug, Default)]
pub struct Reservation {
    /// The pool's size.
    pub pool: ReservationPool,
    reserved: Vec<bool>,
    /// The reserved replicas' ids.
    pool_ids: Vec<u32>,
}

impl Reservation {
    /// A reservation policy whose pool is sized by `pool`.
    pub fn with_pool(pool: ReservationPool) -> Reservation {
        Reservation {
            pool,
            reserved: Vec::new(),
            pool_ids: Vec::new(),
        }
    }
}

impl Reservation {
    /// Replicas reserved for long requests (after `init`).
    pub fn reserved(&self) -> impl Iterator<Item = u32> + '_ {
        self.reserved
            .iter()
            .enumerate()
            .filter(|(_, r)| **r)
            .map(|(i, _)| i as u32)
    }
}

impl Policy for Reservation {
    fn kind(&self) -> PolicyKind {
        PolicyKind::Reservation
    }

    fn rules(&self) -> EngineRules {
        EngineRules::BASELINE
    }

    fn init(&mut self, view: &View<'_>) {
        let k = match self.pool {
            ReservationPool::ForRequest {
                input_tokens,
                output_tokens,
            } => view.sp_degree_for(input_tokens, output_tokens),
            ReservationPool::Replicas(n) => n,
        };
        // The pool takes the first replicas (node 0 upwards): same node first, as for any group.
        let usable = view.replicas().filter(|r| !r.decode_only).count() as u32;
        // At least one replica must stay for short requests; with fewer than two replicas no
        // pool is reserved and long requests are rejected (see `long_group_limit`).
        let k = k.min(usable.saturating_sub(1));
        self.reserved = (0..view.replica_count()).map(|i| i < k).collect();
        self.pool_ids = self.reserved().collect();
    }

    fn long_group_limit(&self) -> Option<u32> {
        Some(self.reserved.iter().filter(|r| **r).count() as u32)
    }

    fn takes_short_on(&self, replica: u32) -> bool {
        !self
            .reserved
            .get(replica as usize)
            .copied()
            .unwrap_or(false)
    }

    fn dispatch(&mut self, view: &View<'_>, out: &mut Vec<Decision>) {
        // The working copy reads replicas through the engine's indexes: a short placement
        // walks each status slot from its least-loaded entry, skipping pool replicas; a long
        // one reads the pool alone.
        let mut w = Working::new(view);
        let reserved = &self.reserved;
        for req in view.queue(Class::Short) {
            let placed = w.place_short(req, |_, _| true, |r| !reserved[r.id as usize]);
            let Some(d) = placed else { break };
            out.push(d);
        }
        for req in view.queue(Class::Long) {
            // Long requests queue in the pool's local queues (first come, first served).
            let placed = w.place_long(req, LongCandidates::Among(&self.pool_ids), |r| {
                reserved[r.id as usize]
            });
            let Some(d) = placed else { return };
            out.push(d);
        }
    }
}
