//! The read-only view of the cluster a policy decides on.

use super::index::{LongFreeIndex, StatusIndex};
use super::rules::EngineRules;
use super::sizing::Sizing;
use crate::metrics::Class;
use crate::workload::Request;
use std::collections::VecDeque;

/// What a replica is doing for long requests.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LongStatus {
    /// No long request uses this replica.
    Free,
    /// A long request was dispatched here and waits for the replica to drain.
    Pending,
    /// A long prefill runs here.
    PrefillRunning,
    /// A long prefill is paused here (short prefills run in its place).
    PrefillPaused,
    /// A long request decodes here.
    Decoding,
    /// A long request's decode is paused here.
    DecodePaused,
}

/// A replica as a policy sees it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ReplicaInfo {
    /// Replica index.
    pub id: u32,
    /// Node the replica sits on.
    pub node: u32,
    /// Decode-only replica (PecSched's short-decode pool).
    pub decode_only: bool,
    /// Input tokens waiting in the local queue (the paper's load metric).
    pub queued_tokens: u64,
    /// Free KV tokens.
    pub kv_free: u64,
    /// KV capacity in tokens.
    pub kv_capacity: u64,
    /// Short sequences running (prefill or decode).
    pub running: u32,
    /// Whether short prefill work is running or queued.
    pub has_prefill_work: bool,
    /// Long-request status.
    pub long: LongStatus,
    /// The long job at the head of this replica's long requests, if any (index).
    pub job: Option<u32>,
    /// Long requests dispatched here that wait behind `job` (docs/paper.md §3.4).
    pub long_waiting: u32,
    /// Input tokens of this replica's long requests (`job` and those waiting): part of the load
    /// a long request's placement compares.
    pub long_tokens: u64,
}

impl ReplicaInfo {
    /// An idle replica: nothing queued or running, no long request, all KV free.
    pub fn new(id: u32, node: u32, kv_capacity: u64) -> ReplicaInfo {
        ReplicaInfo {
            id,
            node,
            decode_only: false,
            queued_tokens: 0,
            kv_free: kv_capacity,
            kv_capacity,
            running: 0,
            has_prefill_work: false,
            long: LongStatus::Free,
            job: None,
            long_waiting: 0,
            long_tokens: 0,
        }
    }

    /// The load a long request's placement compares (docs/paper.md §2.3, §3.4: tokens in the
    /// local queue): queued short input plus the input of the long requests here.
    pub fn long_load(&self) -> u64 {
        self.queued_tokens + self.long_tokens
    }

    /// No work of any kind here.
    pub fn idle(&self) -> bool {
        self.running == 0 && self.queued_tokens == 0 && self.long == LongStatus::Free
    }
}

/// Where a [`View`] reads per-replica snapshots: the engine's state, or plain data.
pub trait ReplicaSource {
    /// Number of replicas (including decode-only ones).
    fn replica_count(&self) -> u32;
    /// A snapshot of replica `id`.
    fn replica(&self, id: u32) -> ReplicaInfo;
    /// Prompt tokens of `req` that replica `id`'s prefix cache holds (0 without a cache;
    /// docs/prefix-caching.md).
    fn cached_prefix_tokens(&self, _id: u32, _req: &Request) -> u64 {
        0
    }
}

impl ReplicaSource for Vec<ReplicaInfo> {
    fn replica_count(&self) -> u32 {
        self.len() as u32
    }

    fn replica(&self, id: u32) -> ReplicaInfo {
        self[id as usize]
    }
}

/// Everything a [`View`] reads, borrowed from its owner (the engine, or a [`super::ViewBuilder`]).
pub struct ViewParts<'a> {
    /// Per-replica snapshots.
    pub replicas: &'a dyn ReplicaSource,
    /// The id of the first request in `requests`, `classes` and `sp_degree` (0 unless the
    /// engine has let finished requests go: a streamed run).
    pub first_id: u32,
    /// The run's requests from `first_id` on, by id − `first_id`: every request a policy can
    /// be asked about (those waiting or running) is among them.
    pub requests: &'a [Request],
    /// The class of each request, by id − `first_id`.
    pub classes: &'a [Class],
    /// Replicas each long request needs (0 for short ones), by id − `first_id`.
    pub sp_degree: &'a [u32],
    /// Short requests waiting in the global queue, in arrival order.
    pub short_queue: &'a VecDeque<u32>,
    /// Long requests waiting in the global queue, in arrival order.
    pub long_queue: &'a VecDeque<u32>,
    /// The long-free replicas by load, consistent with `replicas`.
    pub long_free: &'a LongFreeIndex,
    /// Every replica that may take short work by status and load, consistent with `replicas`.
    pub by_status: &'a StatusIndex,
    /// The rules of the running policy.
    pub rules: &'a EngineRules,
    /// The classification and group-size rule.
    pub sizing: &'a Sizing,
    /// A replica accepts another short request while its local queue holds fewer input tokens
    /// than this.
    pub local_queue_cap_tokens: u64,
}

/// Read-only access to the cluster's state for a policy.
pub struct View<'a> {
    parts: ViewParts<'a>,
}

impl<'a> View<'a> {
    /// A view over `parts`.
    pub fn new(parts: ViewParts<'a>) -> View<'a> {
        debug_assert_eq!(parts.requests.len(), parts.classes.len());
        debug_assert_eq!(parts.requests.len(), parts.sp_degree.len());
        View { parts }
    }
}

impl View<'_> {
    /// Number of replicas (including decode-only ones).
    pub fn replica_count(&self) -> u32 {
        self.parts.replicas.replica_count()
    }

    /// Number of nodes.
    pub fn nodes(&self) -> u32 {
        self.parts.long_free.nodes()
    }

    /// A snapshot of replica `id`.
    pub fn replica(&self, id: u32) -> ReplicaInfo {
        self.parts.replicas.replica(id)
    }

    /// Prompt tokens of request `req` that replica `id`'s prefix cache holds now (0 without
    /// prefix caching).
    pub fn cached_prefix_tokens(&self, id: u32, req: u32) -> u64 {
        self.parts.replicas.cached_prefix_tokens(
            id,
            &self.parts.requests[(req - self.parts.first_id) as usize],
        )
    }

    /// Snapshots of every replica, in index order.
    pub fn replicas(&self) -> impl Iterator<Item = ReplicaInfo> + '_ {
        (0..self.replica_count()).map(|i| self.replica(i))
    }

    /// Replicas hosting no long request (decode-only ones excluded) as `(queued tokens, id)`,
    /// least loaded first. O(log R) to start, for policies that must scale to thousands of
    /// replicas.
    pub fn long_free_by_load(&self) -> impl Iterator<Item = (u64, u32)> + '_ {
        self.parts.long_free.by_load()
    }

    /// Long-free replicas of `node` as `(queued tokens, id)`, least loaded first.
    pub fn long_free_on_node(&self, node: u32) -> impl Iterator<Item = (u64, u32)> + '_ {
        self.parts.long_free.on_node(node)
    }

    /// Replicas (decode-only ones excluded) with long status `long` whose long queue holds
    /// (`waiting`) or does not hold other long requests, as `(queued tokens, id)`, least loaded
    /// first: O(log R) to start.
    pub fn by_status(
        &self,
        long: LongStatus,
        waiting: bool,
    ) -> impl Iterator<Item = (u64, u32)> + '_ {
        self.parts
            .by_status
            .in_slot(self.parts.long_free, long, waiting)
    }

    /// Number of long-free replicas on `node`.
    pub fn long_free_count(&self, node: u32) -> u32 {
        self.parts.long_free.count_on_node(node)
    }

    /// Requests waiting in the global queue, in arrival order (both classes merged).
    pub fn global_queue(&self) -> impl Iterator<Item = u32> + '_ {
        let (mut a, mut b) = (
            self.parts.short_queue.iter().copied().peekable(),
            self.parts.long_queue.iter().copied().peekable(),
        );
        std::iter::from_fn(move || match (a.peek(), b.peek()) {
            (Some(&x), Some(&y)) => {
                if x < y {
                    a.next()
                } else {
                    b.next()
                }
            }
            (Some(_), None) => a.next(),
            (None, _) => b.next(),
        })
    }

    /// Requests of one class waiting in the global queue, in arrival order.
    pub fn queue(&self, class: Class) -> impl Iterator<Item = u32> + '_ {
        match class {
            Class::Short => self.parts.short_queue,
            Class::Long => self.parts.long_queue,
        }
        .iter()
        .copied()
    }

    /// The requests of `class` waiting in the global queue with ids above `after` (every one
    /// for `None`), in arrival order: what [`View::queue`] yields after `after`, found by binary
    /// search (the queue is in id order) instead of a walk.
    pub fn queue_after(&self, class: Class, after: Option<u32>) -> impl Iterator<Item = u32> + '_ {
        let q = match class {
            Class::Short => self.parts.short_queue,
            Class::Long => self.parts.long_queue,
        };
        let start = after.map_or(0, |a| q.partition_point(|&r| r <= a));
        q.range(start..).copied()
    }

    /// Number of requests waiting in the global queue.
    pub fn global_len(&self) -> usize {
        self.parts.short_queue.len() + self.parts.long_queue.len()
    }

    /// Request `id`.
    pub fn request(&self, id: u32) -> &Request {
        &self.parts.requests[(id - self.parts.first_id) as usize]
    }

    /// Class of request `id`.
    pub fn class(&self, id: u32) -> Class {
        self.parts.classes[(id - self.parts.first_id) as usize]
    }

    /// Replicas a long request needs (0 for short requests).
    pub fn sp_degree(&self, id: u32) -> u32 {
        self.parts.sp_degree[(id - self.parts.first_id) as usize]
    }

    /// Replicas a hypothetical long request of these lengths would need.
    pub fn sp_degree_for(&self, input_tokens: u32, output_tokens: u32) -> u32 {
        self.parts.sizing.group_size(input_tokens, output_tokens)
    }

    /// The classification and group-size rule.
    pub fn sizing(&self) -> &Sizing {
        self.parts.sizing
    }

    /// The rules the running policy set.
    pub fn rules(&self) -> &EngineRules {
        self.parts.rules
    }

    /// Whether a replica whose local queue holds `queued_tokens` input tokens accepts another
    /// short request: the one acceptance rule of every policy (the queue is below the cap).
    pub fn accepting(&self, queued_tokens: u64) -> bool {
        queued_tokens < self.parts.local_queue_cap_tokens
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sched::{EngineRules, Sizing, ViewBuilder};

    /// `queue_after` yields what `queue` yields past the given id, for every class and cut.
    #[test]
    fn queue_after_is_the_queue_past_the_id() {
        let sizing = Sizing {
            long_threshold_tokens: 32_768,
            max_short_kv_permille: 500,
            sp_tokens_per_replica: 131_072,
            kv_capacity_tokens: 4_000_000,
            model: crate::model::ModelKind::Llama31_8B.spec(),
        };
        let mut b = ViewBuilder::new(2, 4, EngineRules::BASELINE, sizing);
        for i in 0..12u32 {
            let input = if i % 3 == 0 { 200_000 } else { 1_000 + i };
            b.request(input, 10);
        }
        let view = b.view();
        assert_eq!(view.queue(Class::Long).count(), 4);
        for class in [Class::Short, Class::Long] {
            assert_eq!(
                view.queue_after(class, None).collect::<Vec<_>>(),
                view.queue(class).collect::<Vec<_>>()
            );
            for after in 0..14 {
                let want: Vec<u32> = view.queue(class).filter(|&r| r > after).collect();
                let got: Vec<u32> = view.queue_after(class, Some(after)).collect();
                assert_eq!(got, want, "{class:?} after {after}");
            }
        }
    }
}
