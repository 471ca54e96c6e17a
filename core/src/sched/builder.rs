//! A cluster state built from plain data, to test a policy without the engine.

use super::index::{LongFreeIndex, StatusIndex};
use super::rules::EngineRules;
use super::sizing::Sizing;
use super::view::{LongStatus, ReplicaInfo, View, ViewParts};
use crate::metrics::Class;
use crate::time::SimTime;
use crate::workload::Request;
use std::collections::VecDeque;

/// Owns a hand-built cluster state and lends [`View`]s of it. Replicas start idle with all KV
/// free; like the engine, the last `rules.decode_replicas()` replicas are decode-only. Requests
/// are classified and sized with the same [`Sizing`] rule as the engine's, and queued in the
/// global queue in the order they are added.
#[derive(Clone, Debug)]
pub struct ViewBuilder {
    replicas: Vec<ReplicaInfo>,
    requests: Vec<Request>,
    classes: Vec<Class>,
    sp_degree: Vec<u32>,
    short_queue: VecDeque<u32>,
    long_queue: VecDeque<u32>,
    long_free: LongFreeIndex,
    by_status: StatusIndex,
    rules: EngineRules,
    sizing: Sizing,
    local_queue_cap_tokens: u64,
}

impl ViewBuilder {
    /// `nodes × replicas_per_node` idle replicas (replica `i` on node `i / replicas_per_node`),
    /// each with `sizing.kv_capacity_tokens` of KV, and an empty global queue; local queues
    /// accept up to 8192 tokens (the engine's default).
    pub fn new(
        nodes: u32,
        replicas_per_node: u32,
        rules: EngineRules,
        sizing: Sizing,
    ) -> ViewBuilder {
        let total = nodes * replicas_per_node;
        let decode = rules.decode_replicas();
        let replicas = (0..total)
            .map(|i| ReplicaInfo {
                decode_only: i >= total.saturating_sub(decode),
                ..ReplicaInfo::new(i, i / replicas_per_node, sizing.kv_capacity_tokens)
            })
            .collect();
        let mut b = ViewBuilder {
            replicas,
            requests: Vec::new(),
            classes: Vec::new(),
            sp_degree: Vec::new(),
            short_queue: VecDeque::new(),
            long_queue: VecDeque::new(),
            long_free: LongFreeIndex::new(nodes, total),
            by_status: StatusIndex::new(total),
            rules,
            sizing,
            local_queue_cap_tokens: 8192,
        };
        for i in 0..total {
            b.refile(i);
        }
        b
    }

    /// Sets the local-queue cap (tokens).
    pub fn local_queue_cap_tokens(mut self, cap: u64) -> ViewBuilder {
        self.local_queue_cap_tokens = cap;
        self
    }

    /// Edits replica `id`'s snapshot (its id and node stay).
    pub fn set_replica(&mut self, id: u32, edit: impl FnOnce(&mut ReplicaInfo)) -> &mut Self {
        let r = &mut self.replicas[id as usize];
        let (rid, node) = (r.id, r.node);
        edit(r);
        r.id = rid;
        r.node = node;
        self.refile(id);
        self
    }

    /// Puts `tokens` input tokens in replica `id`'s local queue.
    pub fn queued(&mut self, id: u32, tokens: u64) -> &mut Self {
        self.set_replica(id, |r| r.queued_tokens = tokens)
    }

    /// Marks replicas `ids` as hosting a long request in state `long` (as job `job`).
    pub fn long(&mut self, ids: &[u32], long: LongStatus, job: u32) -> &mut Self {
        for &id in ids {
            self.set_replica(id, |r| {
                r.long = long;
                r.job = (long != LongStatus::Free).then_some(job);
            });
        }
        self
    }

    /// Sets the input tokens of the long requests on replicas `ids` (the load a long request's
    /// placement compares, [`ReplicaInfo::long_load`]) and how many wait behind the head.
    pub fn long_tokens(&mut self, ids: &[u32], tokens: u64, waiting: u32) -> &mut Self {
        for &id in ids {
            self.set_replica(id, |r| {
                r.long_tokens = tokens;
                r.long_waiting = waiting;
            });
        }
        self
    }

    /// Adds a request to the global queue; returns its id. Its class and, if long, its group
    /// size come from the sizing rule.
    pub fn request(&mut self, input_tokens: u32, output_tokens: u32) -> u32 {
        let id = self.requests.len() as u32;
        let class = self.sizing.class(input_tokens, output_tokens);
        self.requests.push(Request {
            id,
            arrival: SimTime(id as u64),
            input_tokens,
            output_tokens,
            prefix: crate::workload::PrefixGroup::NONE,
        });
        self.classes.push(class);
        match class {
            Class::Short => {
                self.sp_degree.push(0);
                self.short_queue.push_back(id);
            }
            Class::Long => {
                self.sp_degree
                    .push(self.sizing.group_size(input_tokens, output_tokens));
                self.long_queue.push_back(id);
            }
        }
        id
    }

    /// The class of request `id`.
    pub fn class(&self, id: u32) -> Class {
        self.classes[id as usize]
    }

    /// A view of the state as built so far.
    pub fn view(&self) -> View<'_> {
        View::new(ViewParts {
            replicas: &self.replicas,
            first_id: 0,
            requests: &self.requests,
            classes: &self.classes,
            sp_degree: &self.sp_degree,
            short_queue: &self.short_queue,
            long_queue: &self.long_queue,
            long_free: &self.long_free,
            by_status: &self.by_status,
            rules: &self.rules,
            sizing: &self.sizing,
            local_queue_cap_tokens: self.local_queue_cap_tokens,
        })
    }

    /// Re-files replica `id` in the long-free index, as the engine does after each change.
    fn refile(&mut self, id: u32) {
        let r = &self.replicas[id as usize];
        let key = (r.long == LongStatus::Free && !r.decode_only).then_some(r.queued_tokens);
        self.long_free.file(id, r.node, key);
        self.by_status.file(r, key);
    }
}
