//! Cache-aware dispatch, a knob of every policy (scenario field `prefix.dispatch`,
//! docs/prefix-caching.md): after the policy places its short requests, each one moves to
//! the replica where it costs least, counting its cached prefix, among the replicas the
//! policy's rule treats like the one it chose.
//!
//! The rule, `PrefixAffinity { weight }`: the cost of replica `c` for a short request of
//! `input` tokens is `queued(c) + input − weight × cached(c)` tokens, where `queued` is the
//! replica's local queue (the paper's load metric, plus what this dispatch already sent
//! there) and `cached` the request's prompt tokens in its prefix cache: with weight 1 a cached
//! token counts as work not done, which is what the replica will compute; a larger weight
//! favours reuse over balance. Production routers balance the same two terms (SGLang's
//! cache-aware router, llm-d's prefix-cache scorer beside its queue scorer). The request
//! moves only to a replica with the same long-request status as the policy's choice, that the
//! policy may send short work to at all (`Policy::takes_short_on`) and that still accepts
//! (its queue below the cap after this dispatch's additions), and only when it is strictly
//! cheaper: ties stay where the policy put them. Long requests are placed as the policy
//! decides. Cost: every short decision scans the replicas once, with a cache lookup each.

use super::{Decision, Policy, PolicyKind, View};
use crate::sched::EngineRules;
use std::collections::BTreeMap;

/// A policy whose short placements are made cache-aware.
pub struct PrefixAffinity {
    inner: Box<dyn Policy>,
    weight: f64,
}

impl PrefixAffinity {
    /// `inner` with cache-aware short placement of the given weight (≥ 0).
    pub fn new(inner: Box<dyn Policy>, weight: f64) -> PrefixAffinity {
        PrefixAffinity { inner, weight }
    }

    /// The replica a short request `req` goes to instead of `chosen` (or `chosen`), given the
    /// tokens this dispatch already sent to each replica.
    fn place(&self, view: &View<'_>, req: u32, chosen: u32, added: &BTreeMap<u32, u64>) -> u32 {
        let input = view.request(req).input_tokens as f64;
        let status = view.replica(chosen).long;
        let cost = |id: u32, queued: u64| {
            let extra = added.get(&id).copied().unwrap_or(0);
            (queued + extra) as f64 + input
                - self.weight * view.cached_prefix_tokens(id, req) as f64
        };
        let mut best = (cost(chosen, view.replica(chosen).queued_tokens), chosen);
        for r in view.replicas() {
            if r.id == chosen
                || r.decode_only
                || r.long != status
                || !self.inner.takes_short_on(r.id)
                || !view.accepting(r.queued_tokens + added.get(&r.id).copied().unwrap_or(0))
            {
                continue;
            }
            let c = cost(r.id, r.queued_tokens);
            if c < best.0 {
                best = (c, r.id);
            }
        }
        best.1
    }
}

impl Policy for PrefixAffinity {
    fn kind(&self) -> PolicyKind {
        self.inner.kind()
    }

    fn rules(&self) -> EngineRules {
        self.inner.rules()
    }

    fn init(&mut self, view: &View<'_>) {
        self.inner.init(view);
    }

    fn prepare(&mut self, perf: &crate::perf::PerfModel) {
        self.inner.prepare(perf);
    }

    fn long_group_limit(&self) -> Option<u32> {
        self.inner.long_group_limit()
    }

    fn takes_short_on(&self, replica: u32) -> bool {
        self.inner.takes_short_on(replica)
    }

    fn dispatch(&mut self, view: &View<'_>, out: &mut Vec<Decision>) {
        let from = out.len();
        self.inner.dispatch(view, out);
        let mut added: BTreeMap<u32, u64> = BTreeMap::new();
        for d in &mut out[from..] {
            if let Decision::Short { req, replica } = *d {
                let to = self.place(view, req, replica, &added);
                *added.entry(to).or_default() += view.request(req).input_tokens as u64;
                *d = Decision::Short { req, replica: to };
            }
        }
    }
}
