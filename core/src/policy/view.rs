//! The read-only view of the cluster a policy decides on.

use crate::metrics::Class;
use crate::sim::config::{EngineConfig, EngineRules};
use crate::sim::job::{JobPhase, LongJob};
use crate::sim::replica::Replica;
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
    /// The long job here, if any (index).
    pub job: Option<u32>,
}

impl ReplicaInfo {
    /// No work of any kind here.
    pub fn idle(&self) -> bool {
        self.running == 0 && self.queued_tokens == 0 && self.long == LongStatus::Free
    }
}

/// Read-only access to the simulation state for a policy.
pub struct View<'a> {
    pub(crate) reqs: &'a [Request],
    pub(crate) classes: &'a [Class],
    pub(crate) sp_degree: &'a [u32],
    pub(crate) replicas: &'a [Replica],
    pub(crate) jobs: &'a [LongJob],
    pub(crate) global: &'a [VecDeque<u32>; 2],
    pub(crate) cfg: &'a EngineConfig,
    pub(crate) rules: &'a EngineRules,
    pub(crate) nodes: u32,
    pub(crate) model: &'a crate::model::ModelSpec,
    pub(crate) kv_capacity: u64,
    pub(crate) free_index: &'a std::collections::BTreeSet<(u64, u32)>,
    pub(crate) free_by_node: &'a [std::collections::BTreeSet<(u64, u32)>],
}

impl View<'_> {
    /// Number of replicas (including decode-only ones).
    pub fn replica_count(&self) -> u32 {
        self.replicas.len() as u32
    }

    /// Number of nodes.
    pub fn nodes(&self) -> u32 {
        self.nodes
    }

    /// A snapshot of replica `id`.
    pub fn replica(&self, id: u32) -> ReplicaInfo {
        let r = &self.replicas[id as usize];
        let long = match r.job {
            None => LongStatus::Free,
            Some(j) => {
                let job = &self.jobs[j as usize];
                match (job.phase, job.running.is_some()) {
                    (JobPhase::Pending, _) => LongStatus::Pending,
                    (JobPhase::Prefill, true) => LongStatus::PrefillRunning,
                    (JobPhase::Prefill, false) => LongStatus::PrefillPaused,
                    (JobPhase::Decode, true) => LongStatus::Decoding,
                    (JobPhase::Decode, false) => LongStatus::DecodePaused,
                    (JobPhase::Done, _) => LongStatus::Free,
                }
            }
        };
        ReplicaInfo {
            id,
            node: r.node,
            decode_only: r.decode_only,
            queued_tokens: r.queued_tokens,
            kv_free: r.kv_free(),
            kv_capacity: r.kv_capacity,
            running: (r.seqs.len() + r.incoming.len()) as u32,
            has_prefill_work: r.has_prefill_work(),
            long,
            job: r.job,
        }
    }

    /// Snapshots of every replica, in index order.
    pub fn replicas(&self) -> impl Iterator<Item = ReplicaInfo> + '_ {
        (0..self.replica_count()).map(|i| self.replica(i))
    }

    /// Replicas hosting no long request (decode-only ones excluded) as `(queued tokens, id)`,
    /// least loaded first. O(log R) to start, for policies that must scale to thousands of
    /// replicas.
    pub fn long_free_by_load(&self) -> impl Iterator<Item = (u64, u32)> + '_ {
        self.free_index.iter().copied()
    }

    /// Long-free replicas of `node` as `(queued tokens, id)`, least loaded first.
    pub fn long_free_on_node(&self, node: u32) -> impl Iterator<Item = (u64, u32)> + '_ {
        self.free_by_node[node as usize].iter().copied()
    }

    /// Number of long-free replicas on `node`.
    pub fn long_free_count(&self, node: u32) -> u32 {
        self.free_by_node[node as usize].len() as u32
    }

    /// Requests waiting in the global queue, in arrival order (both classes merged).
    pub fn global_queue(&self) -> impl Iterator<Item = u32> + '_ {
        let (mut a, mut b) = (
            self.global[0].iter().copied().peekable(),
            self.global[1].iter().copied().peekable(),
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
        self.global[crate::sim::class_index(class)].iter().copied()
    }

    /// Number of requests waiting in the global queue.
    pub fn global_len(&self) -> usize {
        self.global[0].len() + self.global[1].len()
    }

    /// Request `id`.
    pub fn request(&self, id: u32) -> &Request {
        &self.reqs[id as usize]
    }

    /// Class of request `id`.
    pub fn class(&self, id: u32) -> Class {
        self.classes[id as usize]
    }

    /// Replicas a long request needs (0 for short requests).
    pub fn sp_degree(&self, id: u32) -> u32 {
        self.sp_degree[id as usize]
    }

    /// Replicas a hypothetical long request of these lengths would need.
    pub fn sp_degree_for(&self, input_tokens: u32, output_tokens: u32) -> u32 {
        let r = Request {
            id: 0,
            arrival: crate::time::SimTime::ZERO,
            input_tokens,
            output_tokens,
        };
        crate::sim::long_degree(&r, self.cfg, self.model, self.kv_capacity)
    }

    /// The engine's knobs.
    pub fn config(&self) -> &EngineConfig {
        self.cfg
    }

    /// The rules the running policy set.
    pub fn rules(&self) -> &EngineRules {
        self.rules
    }

    /// Whether a replica accepts another short request now (its queue is below the cap).
    pub fn accepting(&self, info: &ReplicaInfo) -> bool {
        info.queued_tokens < self.cfg.local_queue_cap_tokens as u64
    }
}
