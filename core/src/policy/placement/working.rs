//! The common placement rules ([`crate::policy::placement`]) over the engine's indexes instead of a
//! snapshot of every replica: a dispatch call's working copy of the cluster holds only the
//! replicas this call has changed, and reads every other one from the [`View`] on demand. The
//! decisions are the same as the snapshot functions' (same candidates, same order, same ties);
//! only the cost differs — a short placement walks a few slots of the status index
//! (O(slots · log R) plus the replicas this call changed), and a long placement reads the
//! long-free replicas (or a given list) instead of every replica.

use super::choose_group;
use crate::sched::StatusIndex;
use crate::sched::{Decision, LongStatus, ReplicaInfo, View};
use std::collections::BTreeMap;

/// Where a long placement finds its candidates (the replicas its `eligible` predicate may
/// accept): a promise by the caller that lets the placement skip every other replica.
#[derive(Clone, Copy, Debug)]
pub enum LongCandidates<'c> {
    /// Any replica: free ones from the status index, and every replica when fewer than `k`
    /// free ones qualify (the fallback by [`ReplicaInfo::long_load`] reads them all).
    Any,
    /// Only replicas free of long work with at most this many queued tokens can be eligible:
    /// both the free choice and the fallback read just those.
    FreeUpTo(u64),
    /// Only these replicas can be eligible.
    Among(&'c [u32]),
}

/// A dispatch call's working copy of the replicas: the view, plus the snapshots of the
/// replicas this call has sent work to (their queues and long status as the call left them).
pub struct Working<'v, 'a> {
    view: &'v View<'a>,
    changed: BTreeMap<u32, ReplicaInfo>,
}

impl<'v, 'a> Working<'v, 'a> {
    /// A working copy equal to `view`.
    pub fn new(view: &'v View<'a>) -> Working<'v, 'a> {
        Working {
            view,
            changed: BTreeMap::new(),
        }
    }

    /// Replica `id` as this call has left it.
    pub fn get(&self, id: u32) -> ReplicaInfo {
        self.changed
            .get(&id)
            .copied()
            .unwrap_or_else(|| self.view.replica(id))
    }

    /// The replica open for short work ([`super::open_for_short`]) that passes
    /// `eligible`, with the shortest queue, lowest id on ties — what
    /// [`super::shortest_open`] picks over a full snapshot. `slots` prunes the walk:
    /// it must accept every `(long status, long requests waiting)` pair an eligible replica can
    /// have.
    pub fn shortest_open(
        &self,
        slots: impl Fn(LongStatus, bool) -> bool,
        eligible: impl Fn(&ReplicaInfo) -> bool,
    ) -> Option<u32> {
        let view = self.view;
        let mut best: Option<(u64, u32)> = None;
        for (long, waiting) in StatusIndex::slot_keys().filter(|&(l, w)| slots(l, w)) {
            for (q, id) in view.by_status(long, waiting) {
                // In load order: once one entry does not accept or cannot win, none after can.
                if !view.accepting(q) || best.is_some_and(|b| (q, id) > b) {
                    break;
                }
                if self.changed.contains_key(&id) {
                    continue;
                }
                if eligible(&view.replica(id)) {
                    best = Some((q, id));
                    break;
                }
            }
        }
        for r in self.changed.values() {
            let key = (r.queued_tokens, r.id);
            if !r.decode_only
                && view.accepting(r.queued_tokens)
                && best.is_none_or(|b| key < b)
                && slots(r.long, r.long_waiting > 0)
                && eligible(r)
            {
                best = Some(key);
            }
        }
        best.map(|(_, id)| id)
    }

    /// Sends short request `req` to the replica [`Working::shortest_open`] picks and counts its
    /// input tokens there ([`super::place_short`]); `None` if none qualifies.
    pub fn place_short(
        &mut self,
        req: u32,
        slots: impl Fn(LongStatus, bool) -> bool,
        eligible: impl Fn(&ReplicaInfo) -> bool,
    ) -> Option<Decision> {
        let replica = self.shortest_open(slots, eligible)?;
        let mut r = self.get(replica);
        r.queued_tokens += self.view.request(req).input_tokens as u64;
        self.changed.insert(replica, r);
        Some(Decision::Short { req, replica })
    }

    /// Sends long request `req` to the group [`super::long_group`] would pick over a
    /// full snapshot, reading only the replicas `candidates` names, and counts it in the
    /// working copy ([`super::place_long`]); `None` if fewer than `k` qualify.
    pub fn place_long(
        &mut self,
        req: u32,
        candidates: LongCandidates<'_>,
        eligible: impl Fn(&ReplicaInfo) -> bool,
    ) -> Option<Decision> {
        let k = self.view.sp_degree(req);
        let group = self.long_group(k, candidates, eligible)?;
        let input = self.view.request(req).input_tokens as u64;
        for &g in &group {
            let mut r = self.get(g);
            if r.long == LongStatus::Free {
                r.long = LongStatus::Pending;
            } else {
                r.long_waiting += 1;
            }
            r.long_tokens += input;
            self.changed.insert(g, r);
        }
        Some(Decision::Long {
            req,
            replicas: group,
        })
    }

    /// Adds idle replicas to the group of a long request this call placed on replicas free of
    /// long work (an elastic scale-out, LoongServe): up to `extra` of the replicas free of
    /// long work with nothing queued or running ([`ReplicaInfo::idle`], as this call left
    /// them) that pass `eligible`, those on the group's nodes first, then by node and id;
    /// each is counted in the working copy as the group's members are. Returns the group,
    /// sorted by id (node-major, as [`super::choose_group`] returns it).
    pub fn scale_out(
        &mut self,
        group: Vec<u32>,
        input_tokens: u64,
        extra: u32,
        eligible: impl Fn(&ReplicaInfo) -> bool,
    ) -> Vec<u32> {
        if extra == 0 {
            return group;
        }
        let nodes: Vec<u32> = group.iter().map(|&g| self.get(g).node).collect();
        let mut idle: Vec<ReplicaInfo> = self
            .view
            .long_free_by_load()
            .take_while(|&(q, _)| q == 0)
            .map(|(_, id)| self.get(id))
            .chain(self.changed.values().copied())
            .filter(|r| !r.decode_only && r.idle() && !group.contains(&r.id) && eligible(r))
            .collect();
        idle.sort_unstable_by_key(|r| (!nodes.contains(&r.node), r.node, r.id));
        idle.dedup_by_key(|r| r.id);
        let mut out = group;
        for r in idle.into_iter().take(extra as usize) {
            let mut r = r;
            r.long = LongStatus::Pending;
            r.long_tokens += input_tokens;
            out.push(r.id);
            self.changed.insert(r.id, r);
        }
        out.sort_unstable();
        out
    }

    /// [`super::long_group`] over the replicas `candidates` names.
    fn long_group(
        &self,
        k: u32,
        candidates: LongCandidates<'_>,
        eligible: impl Fn(&ReplicaInfo) -> bool,
    ) -> Option<Vec<u32>> {
        let free = |r: &ReplicaInfo| eligible(r) && r.long == LongStatus::Free;
        let free_set: Vec<ReplicaInfo> = match candidates {
            LongCandidates::Among(ids) => ids.iter().map(|&id| self.get(id)).filter(free).collect(),
            LongCandidates::Any => self.free_replicas(u64::MAX, &free),
            LongCandidates::FreeUpTo(max) => self.free_replicas(max, &free),
        };
        if let Some(g) = choose_group(&free_set, k) {
            return Some(g);
        }
        let loaded = |r: ReplicaInfo| ReplicaInfo {
            queued_tokens: r.long_load(),
            ..r
        };
        let busy: Vec<ReplicaInfo> = match candidates {
            LongCandidates::Among(ids) => ids
                .iter()
                .map(|&id| self.get(id))
                .filter(|r| eligible(r))
                .map(loaded)
                .collect(),
            LongCandidates::Any => (0..self.view.replica_count())
                .map(|id| self.get(id))
                .filter(|r| eligible(r))
                .map(loaded)
                .collect(),
            // Every eligible replica is free: the fallback sees the same set.
            LongCandidates::FreeUpTo(max) => self
                .free_replicas(max, &|r: &ReplicaInfo| eligible(r))
                .into_iter()
                .map(loaded)
                .collect(),
        };
        choose_group(&busy, k)
    }

    /// The replicas free of long work (as this call left them) with at most `max` queued
    /// tokens that pass `keep`: the status index's free slots, then the changed replicas.
    fn free_replicas(&self, max: u64, keep: &dyn Fn(&ReplicaInfo) -> bool) -> Vec<ReplicaInfo> {
        let mut out = Vec::new();
        for waiting in [false, true] {
            for (q, id) in self.view.by_status(LongStatus::Free, waiting) {
                if q > max {
                    break;
                }
                if self.changed.contains_key(&id) {
                    continue;
                }
                let r = self.view.replica(id);
                if keep(&r) {
                    out.push(r);
                }
            }
        }
        out.extend(
            self.changed
                .values()
                .filter(|r| !r.decode_only && r.long == LongStatus::Free && r.queued_tokens <= max)
                .filter(|r| keep(r)),
        );
        out
    }
}

#[cfg(test)]
mod tests {
    use super::super::{place_long, place_short};
    use super::*;
    use crate::policy::{EngineRules, PriorityPlacement};
    use crate::sched::ViewBuilder;
    use crate::test_support::sizing_8b;

    /// A small deterministic generator for test states (not the simulator's streams).
    struct Lcg(u64);
    impl Lcg {
        fn below(&mut self, n: u64) -> u64 {
            self.0 = self
                .0
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            (self.0 >> 33) % n
        }
    }

    const STATUSES: [LongStatus; 6] = [
        LongStatus::Free,
        LongStatus::Pending,
        LongStatus::PrefillRunning,
        LongStatus::PrefillPaused,
        LongStatus::Decoding,
        LongStatus::DecodePaused,
    ];

    /// A short-placement rule: (eligible, the status slots it prunes to).
    type ShortRule<'r> = (
        &'r dyn Fn(&ReplicaInfo) -> bool,
        &'r dyn Fn(LongStatus, bool) -> bool,
    );
    /// A long-placement rule: (eligible, where its candidates are).
    type LongRule<'r> = (&'r dyn Fn(&ReplicaInfo) -> bool, LongCandidates<'r>);

    /// A random cluster state with a random global queue.
    fn state(rng: &mut Lcg) -> ViewBuilder {
        let mut b = ViewBuilder::new(3, 4, EngineRules::BASELINE, sizing_8b());
        for id in 0..12 {
            let long = if rng.below(2) == 0 {
                LongStatus::Free
            } else {
                STATUSES[rng.below(6) as usize]
            };
            let queued = [0, 0, 100, 5_000, 9_000][rng.below(5) as usize];
            let waiting = (long != LongStatus::Free && rng.below(2) == 0) as u32;
            b.set_replica(id, |r| {
                r.long = long;
                r.job = (long != LongStatus::Free).then_some(0);
                r.queued_tokens = queued;
                r.long_waiting = waiting;
                r.long_tokens = if long == LongStatus::Free { 0 } else { 200_000 };
                r.running = rng.below(2) as u32;
            });
        }
        for _ in 0..8 {
            let input = match rng.below(3) {
                0 => 131_072 * (1 + rng.below(4) as u32) + 1,
                _ => 500 + rng.below(4_000) as u32,
            };
            b.request(input, 100);
        }
        b
    }

    /// Every rule of the baselines gives the same decisions over the indexes as over a full
    /// snapshot, on random states (as the policies call them: in queue order, each decision
    /// seen by the next).
    #[test]
    fn indexed_placement_matches_the_snapshot_rules() {
        let mut rng = Lcg(7);
        let pool: Vec<u32> = (0..4).collect();
        for case in 0..400 {
            let b = state(&mut rng);
            let view = b.view();
            let reqs: Vec<u32> = view.global_queue().collect();
            let short_cases: [ShortRule<'_>; 3] = [
                (
                    &|r| {
                        matches!(r.long, LongStatus::Free | LongStatus::Decoding)
                            && r.long_waiting == 0
                    },
                    &|l, w| !w && matches!(l, LongStatus::Free | LongStatus::Decoding),
                ),
                (
                    &|r| matches!(r.long, LongStatus::Free | LongStatus::Decoding),
                    &|l, _| matches!(l, LongStatus::Free | LongStatus::Decoding),
                ),
                (&|r| r.id >= 4, &|_, _| true),
            ];
            let long_cases: [LongRule<'_>; 4] = [
                (&|r| !r.decode_only, LongCandidates::Any),
                (
                    &|r| PriorityPlacement::NoQueuedShortWork.admits(r),
                    LongCandidates::FreeUpTo(0),
                ),
                (
                    &|r| PriorityPlacement::CompletelyIdle.admits(r),
                    LongCandidates::FreeUpTo(0),
                ),
                (&|r| r.id < 4, LongCandidates::Among(&pool)),
            ];
            for (s_ok, slots) in short_cases {
                for &(l_ok, cands) in &long_cases {
                    let mut infos: Vec<ReplicaInfo> = view.replicas().collect();
                    let mut w = Working::new(&view);
                    for &req in &reqs {
                        let (old, new) = if view.class(req) == crate::metrics::Class::Short {
                            (
                                place_short(&view, req, &mut infos, s_ok),
                                w.place_short(req, slots, s_ok),
                            )
                        } else {
                            (
                                place_long(&view, req, &mut infos, l_ok),
                                w.place_long(req, cands, l_ok),
                            )
                        };
                        assert_eq!(old, new, "case {case}, request {req}");
                    }
                    for id in 0..12 {
                        assert_eq!(infos[id as usize], w.get(id), "case {case}, replica {id}");
                    }
                }
            }
        }
    }
}
