//! The load index of long-free replicas: policies that must scale to thousands of replicas find
//! the least-loaded one, or a node's least-loaded ones, without scanning every replica.

use super::view::{LongStatus, ReplicaInfo};
use std::collections::BTreeSet;

/// Replicas hosting no long request (decode-only ones excluded), keyed by `(queued tokens,
/// id)` over the whole cluster, and counted per node (a node's few replicas are ordered when
/// asked for: a per-node ordered set cost a quarter of a week-long run's index upkeep). The
/// owner re-files a replica whenever its queue or long-request status changes
/// ([`LongFreeIndex::file`]).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct LongFreeIndex {
    all: BTreeSet<(u64, u32)>,
    /// The replicas ever filed on each node, in the order they were first filed.
    members: Vec<Vec<u32>>,
    /// Long-free replicas per node.
    free_on_node: Vec<u32>,
    /// Whether each replica is in its node's `members`.
    known: Vec<bool>,
    /// The key each replica is filed under, if any.
    keys: Vec<Option<u64>>,
}

impl LongFreeIndex {
    /// An empty index of `replicas` replicas on `nodes` nodes.
    pub fn new(nodes: u32, replicas: u32) -> LongFreeIndex {
        LongFreeIndex {
            all: BTreeSet::new(),
            members: vec![Vec::new(); nodes as usize],
            free_on_node: vec![0; nodes as usize],
            known: vec![false; replicas as usize],
            keys: vec![None; replicas as usize],
        }
    }

    /// Files replica `id` of `node` under `queued_tokens` if it is long-free, or takes it out
    /// (`None`). O(log R), and nothing when the key is unchanged.
    pub fn file(&mut self, id: u32, node: u32, queued_tokens: Option<u64>) {
        let slot = &mut self.keys[id as usize];
        if *slot == queued_tokens {
            return;
        }
        let node = node as usize;
        if !std::mem::replace(&mut self.known[id as usize], true) {
            self.members[node].push(id);
        }
        if let Some(old) = slot.take() {
            self.all.remove(&(old, id));
            self.free_on_node[node] -= 1;
        }
        if let Some(k) = queued_tokens {
            self.all.insert((k, id));
            self.free_on_node[node] += 1;
        }
        *slot = queued_tokens;
    }

    /// The key replica `id` is filed under (`None`: not long-free).
    pub fn key(&self, id: u32) -> Option<u64> {
        self.keys[id as usize]
    }

    /// Long-free replicas as `(queued tokens, id)`, least loaded first.
    pub fn by_load(&self) -> impl Iterator<Item = (u64, u32)> + '_ {
        self.all.iter().copied()
    }

    /// Long-free replicas of `node` as `(queued tokens, id)`, least loaded first (ordered on
    /// demand: O(m log m) for the node's m replicas).
    pub fn on_node(&self, node: u32) -> impl Iterator<Item = (u64, u32)> + '_ {
        let mut v: Vec<(u64, u32)> = self.members[node as usize]
            .iter()
            .filter_map(|&id| self.keys[id as usize].map(|k| (k, id)))
            .collect();
        v.sort_unstable();
        v.into_iter()
    }

    /// Number of long-free replicas on `node`.
    pub fn count_on_node(&self, node: u32) -> u32 {
        self.free_on_node[node as usize]
    }

    /// Number of nodes.
    pub fn nodes(&self) -> u32 {
        self.members.len() as u32
    }

    /// Whether the three views of the index agree: each filed key is in the whole-cluster set,
    /// the per-node sets and the whole-cluster set hold as many entries as there are filed
    /// replicas. `Err` names the first disagreement.
    pub fn check(&self) -> Result<(), IndexMismatch> {
        for (id, key) in self.keys.iter().enumerate() {
            if let Some(k) = *key
                && !self.all.contains(&(k, id as u32))
            {
                return Err(IndexMismatch::Missing {
                    replica: id as u32,
                    key: k,
                });
            }
        }
        let on_nodes: usize = (0..self.nodes()).map(|n| self.on_node(n).count()).sum();
        let counted: u32 = self.free_on_node.iter().sum();
        if on_nodes != self.all.len() || counted as usize != self.all.len() {
            return Err(IndexMismatch::PerNode);
        }
        if self.all.len() != self.keys.iter().filter(|k| k.is_some()).count() {
            return Err(IndexMismatch::Stale);
        }
        Ok(())
    }
}

/// Every replica that may take short work (decode-only ones excluded), keyed by `(queued tokens,
/// id)` in one ordered set per slot: its long-request status and whether long requests wait
/// behind its current one. A policy finds the least-loaded replica of the statuses it accepts
/// by walking a few slots from their smallest entry (O(slots · log R)) instead of snapshotting
/// every replica. The owner re-files a replica whenever its queue, its long status or its long
/// queue changes ([`StatusIndex::file`]).
///
/// A replica of the free slot (no long request, none waiting) that is also in the
/// [`LongFreeIndex`] under the same key (the common case: a long-free replica) is not filed a
/// second time: the free slot is read as the merge of its own entries and those shared ones
/// (two ordered sets updated for the same change cost a sixth of a week-long run).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct StatusIndex {
    slots: [BTreeSet<(u64, u32)>; SLOTS],
    /// The slot and key each replica is filed under, if any.
    keys: Vec<Option<(u8, u64)>>,
    /// Whether each replica's entry is held by the long-free index instead of the free slot.
    shared: Vec<bool>,
}

const SLOTS: usize = 12;

/// The slot of (free, no long request waiting).
const FREE_SLOT: u8 = 0;

/// The statuses, in slot order.
const STATUSES: [LongStatus; 6] = [
    LongStatus::Free,
    LongStatus::Pending,
    LongStatus::PrefillRunning,
    LongStatus::PrefillPaused,
    LongStatus::Decoding,
    LongStatus::DecodePaused,
];

fn slot_of(long: LongStatus, waiting: bool) -> u8 {
    let s = STATUSES
        .iter()
        .position(|&x| x == long)
        .expect("every status has a slot");
    (s * 2 + waiting as usize) as u8
}

impl StatusIndex {
    /// An empty index of `replicas` replicas.
    pub fn new(replicas: u32) -> StatusIndex {
        StatusIndex {
            slots: Default::default(),
            keys: vec![None; replicas as usize],
            shared: vec![false; replicas as usize],
        }
    }

    /// The slot and key replica `r` belongs under: `None` for a decode-only replica.
    pub fn key_of(r: &ReplicaInfo) -> Option<(u8, u64)> {
        (!r.decode_only).then(|| (slot_of(r.long, r.long_waiting > 0), r.queued_tokens))
    }

    /// Files replica `r` under [`StatusIndex::key_of`]; `long_free` is the key `long_free`
    /// holds it under (already re-filed for this change). O(log R), nothing when unchanged.
    pub fn file(&mut self, r: &ReplicaInfo, long_free: Option<u64>) {
        let key = StatusIndex::key_of(r);
        let share = matches!(key, Some((FREE_SLOT, q)) if long_free == Some(q));
        let id = r.id as usize;
        if self.keys[id] == key && self.shared[id] == share {
            return;
        }
        if let Some((s, q)) = self.keys[id]
            && !self.shared[id]
        {
            self.slots[s as usize].remove(&(q, r.id));
        }
        if let Some((s, q)) = key
            && !share
        {
            self.slots[s as usize].insert((q, r.id));
        }
        self.keys[id] = key;
        self.shared[id] = share;
    }

    /// The slot and key replica `id` is filed under.
    pub fn key(&self, id: u32) -> Option<(u8, u64)> {
        self.keys[id as usize]
    }

    /// Replicas with long status `long` and long requests waiting (`waiting`) or not, as
    /// `(queued tokens, id)`, least loaded first; `long_free` is the long-free index this one
    /// was filed beside.
    pub fn in_slot<'a>(
        &'a self,
        long_free: &'a LongFreeIndex,
        long: LongStatus,
        waiting: bool,
    ) -> impl Iterator<Item = (u64, u32)> + 'a {
        let slot = slot_of(long, waiting);
        let shared = (slot == FREE_SLOT).then(|| {
            long_free
                .by_load()
                .filter(|&(_, id)| self.shared[id as usize])
        });
        Merge {
            a: self.slots[slot as usize].iter().copied().peekable(),
            b: shared.into_iter().flatten().peekable(),
        }
    }

    /// Every (status, waiting) slot, in a fixed order.
    pub fn slot_keys() -> impl Iterator<Item = (LongStatus, bool)> {
        STATUSES.into_iter().flat_map(|s| [(s, false), (s, true)])
    }
}

/// The union of two ascending iterators, ascending.
struct Merge<A: Iterator, B: Iterator> {
    a: std::iter::Peekable<A>,
    b: std::iter::Peekable<B>,
}

impl<T: Ord + Copy, A: Iterator<Item = T>, B: Iterator<Item = T>> Iterator for Merge<A, B> {
    type Item = T;

    fn next(&mut self) -> Option<T> {
        match (self.a.peek(), self.b.peek()) {
            (Some(x), Some(y)) if y < x => self.b.next(),
            (Some(_), _) => self.a.next(),
            (None, _) => self.b.next(),
        }
    }
}

/// How a [`LongFreeIndex`] disagrees with itself.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum IndexMismatch {
    /// A replica's recorded key has no entry.
    #[error("replica {replica}: free index holds no entry for its key {key}")]
    Missing {
        /// Replica index.
        replica: u32,
        /// Its recorded key (queued tokens).
        key: u64,
    },
    /// The per-node sets and the whole-cluster set hold different numbers of entries.
    #[error("per-node free index disagrees with the free index")]
    PerNode,
    /// Entries remain for replicas no longer filed.
    #[error("free index has stale entries")]
    Stale,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn info(id: u32, long: LongStatus, waiting: u32, queued: u64) -> ReplicaInfo {
        ReplicaInfo {
            long,
            long_waiting: waiting,
            queued_tokens: queued,
            ..ReplicaInfo::new(id, 0, 1_000)
        }
    }

    /// Each replica sits in exactly the slot of its status and waiting flag, in load order,
    /// and moves (or leaves) when re-filed; decode-only replicas are never filed.
    #[test]
    fn status_index_files_each_replica_in_one_slot_by_load() {
        let mut ix = StatusIndex::new(4);
        ix.file(&info(0, LongStatus::Free, 0, 50), None);
        ix.file(&info(1, LongStatus::Free, 0, 10), None);
        ix.file(&info(2, LongStatus::Decoding, 1, 0), None);
        ix.file(
            &ReplicaInfo {
                decode_only: true,
                ..info(3, LongStatus::Free, 0, 0)
            },
            None,
        );
        let lf = LongFreeIndex::new(1, 4);
        let slot = |ix: &StatusIndex, l, w| ix.in_slot(&lf, l, w).collect::<Vec<_>>();
        assert_eq!(slot(&ix, LongStatus::Free, false), vec![(10, 1), (50, 0)]);
        assert_eq!(slot(&ix, LongStatus::Decoding, true), vec![(0, 2)]);
        assert_eq!(slot(&ix, LongStatus::Decoding, false), vec![]);
        assert_eq!(ix.key(3), None);
        // Replica 1 gets a long request and a bigger queue: it leaves the free slot.
        ix.file(&info(1, LongStatus::Pending, 0, 70), None);
        assert_eq!(slot(&ix, LongStatus::Free, false), vec![(50, 0)]);
        assert_eq!(slot(&ix, LongStatus::Pending, false), vec![(70, 1)]);
        let filed: usize = StatusIndex::slot_keys()
            .map(|(l, w)| ix.in_slot(&lf, l, w).count())
            .sum();
        assert_eq!(filed, 3);
        assert_eq!(StatusIndex::slot_keys().count(), SLOTS);
    }

    proptest::proptest! {
        /// After any sequence of filings, the index answers as a scan of the latest keys
        /// would: the cluster in (load, id) order, each node's replicas in that order, each
        /// node's count; and it agrees with itself.
        #[test]
        fn long_free_index_answers_as_a_scan(
            ops in proptest::collection::vec((0u32..12, proptest::option::of(0u64..5)), 0..80),
        ) {
            let node_of = |id: u32| id / 3;
            let mut ix = LongFreeIndex::new(4, 12);
            let mut keys = [None; 12];
            for (id, key) in ops {
                ix.file(id, node_of(id), key);
                keys[id as usize] = key;
            }
            let scan = |pick: &dyn Fn(u32) -> bool| {
                let mut v: Vec<(u64, u32)> = (0..12u32)
                    .filter(|&id| pick(id))
                    .filter_map(|id| keys[id as usize].map(|k| (k, id)))
                    .collect();
                v.sort_unstable();
                v
            };
            proptest::prop_assert_eq!(ix.by_load().collect::<Vec<_>>(), scan(&|_| true));
            for n in 0..4 {
                let on = scan(&|id| node_of(id) == n);
                proptest::prop_assert_eq!(ix.count_on_node(n) as usize, on.len());
                proptest::prop_assert_eq!(ix.on_node(n).collect::<Vec<_>>(), on);
            }
            proptest::prop_assert_eq!(ix.check(), Ok(()));
        }
    }

    proptest::proptest! {
        /// Filed beside the long-free index as the engine files them (long-free replicas
        /// shared, others on their own), every slot reads as a scan of the latest infos would
        /// give it, in (load, id) order.
        #[test]
        fn status_slots_read_as_a_scan(
            ops in proptest::collection::vec(
                (0u32..10, 0usize..6, 0u32..2, 0u64..4, proptest::bool::ANY, proptest::bool::ANY),
                0..80,
            ),
        ) {
            let mut lf = LongFreeIndex::new(2, 10);
            let mut ix = StatusIndex::new(10);
            let mut latest: Vec<Option<(ReplicaInfo, bool)>> = vec![None; 10];
            for (id, status, waiting, queued, decode_only, long_free) in ops {
                let r = ReplicaInfo {
                    decode_only,
                    ..info(id, STATUSES[status], waiting, queued)
                };
                // The engine's rule is narrower (no job); any rule must give the same slots.
                let lf_key = (long_free && !decode_only).then_some(queued);
                lf.file(id, id % 2, lf_key);
                ix.file(&r, lf_key);
                latest[id as usize] = Some((r, long_free));
            }
            for (long, waiting) in StatusIndex::slot_keys() {
                let mut want: Vec<(u64, u32)> = latest
                    .iter()
                    .flatten()
                    .filter(|(r, _)| StatusIndex::key_of(r).map(|k| k.0) == Some(slot_of(long, waiting)))
                    .map(|(r, _)| (r.queued_tokens, r.id))
                    .collect();
                want.sort_unstable();
                proptest::prop_assert_eq!(ix.in_slot(&lf, long, waiting).collect::<Vec<_>>(), want);
            }
        }
    }
}
