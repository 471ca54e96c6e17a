//! Applying policy decisions: moving requests from the global queue to a replica's local queue
//! or to a new long job, after checking that the decision is legal.

use super::engine::{State, class_index};
use super::job::{JobPhase, LongJob};
use super::log::LogTag;
use super::records::Stamp;
use crate::metrics::Class;
use crate::sched::Decision;
use crate::time::SimDuration;

impl State {
    /// Applies one policy decision, checking it is legal.
    pub(crate) fn apply_decision(&mut self, d: Decision) {
        self.dirty = true;
        match d {
            Decision::Short { req, replica } => {
                assert_eq!(
                    self.classes[req as usize],
                    Class::Short,
                    "policy sent long request {req} as short"
                );
                self.remove_from_global(req);
                let r = &mut self.replicas[replica as usize];
                assert!(
                    !r.decode_only,
                    "policy sent request {req} to decode-only replica {replica}"
                );
                r.queue.push_back(req);
                r.queued_tokens += self.reqs[req as usize].input_tokens as u64;
                self.sync_index(replica);
                self.stamp(req, Stamp::Dispatched, self.now);
                self.records.set_replicas(req, 1);
                self.log.record(
                    LogTag::ShortDispatched,
                    [self.now.0, req as u64, replica as u64, 0],
                );
                self.sample(replica);
                if let Some(j) = self.replicas[replica as usize].job {
                    self.reconsider_job(j);
                }
                self.cut(replica);
                self.maybe_start(replica);
            }
            Decision::Long { req, replicas } => {
                assert_eq!(
                    self.classes[req as usize],
                    Class::Long,
                    "policy sent short request {req} as long"
                );
                let k = self.sp_degree[req as usize];
                let n = replicas.len() as u32;
                assert!(
                    n == k || (n > k && n <= self.rules.max_group(k)),
                    "wrong group size {n} for {req} (needs {k})"
                );
                self.remove_from_global(req);
                let j = self.jobs.len() as u32;
                let r = self.reqs[req as usize];
                for &m in &replicas {
                    let rep = &mut self.replicas[m as usize];
                    assert!(
                        !rep.decode_only,
                        "decode-only replica {m} cannot join long job of {req}"
                    );
                    // The head of the replica's long requests, or behind them (docs/paper.md
                    // §3.4: it starts when it heads every member's queue).
                    if rep.job.is_none() {
                        rep.job = Some(j);
                    } else {
                        rep.long_queue.push_back(j);
                    }
                    rep.long_tokens += r.input_tokens as u64;
                    self.sync_index(m);
                }
                let k = replicas.len() as u64;
                let group = self.sp_group(&replicas);
                let est = self
                    .perf
                    .sp_prefill(r.input_tokens as u64, &group, self.rules.sp_mode);
                let slices =
                    (self.model.layers as u64 * self.cfg.kernels_per_layer.max(1) as u64).max(1);
                self.jobs.push(LongJob {
                    req,
                    members: replicas.clone(),
                    phase: JobPhase::Pending,
                    running: None,
                    pausing: false,
                    generation: 0,
                    prefill_total: est.time.max(SimDuration(1)),
                    prefill_done: SimDuration::ZERO,
                    prefill_tokens_done: 0,
                    kernel_slice: SimDuration(est.time.0.div_ceil(slices).max(1)),
                    kv_per_member: self
                        .sizing
                        .kv_per_member(r.input_tokens, r.output_tokens, k),
                    generated: 0,
                    output: r.output_tokens,
                    input: r.input_tokens,
                    preemptions: 0,
                    plan: est.plan,
                    colocated_tokens: 0,
                    colocation_cap_tokens_per_gpu: None,
                    step_batches: Vec::new(),
                    moving: false,
                    settled: false,
                });
                self.stamp(req, Stamp::Dispatched, self.now);
                self.records.set_replicas(req, k as u32);
                self.log.record(
                    LogTag::LongDispatched,
                    [self.now.0, req as u64, k, replicas[0] as u64],
                );
                self.reconsider_job(j);
            }
        }
    }

    fn remove_from_global(&mut self, req: u32) {
        // The queue is in arrival (id) order: a binary search, not a walk — a rank-ordered
        // policy (SJF, learning-to-rank) dispatches from anywhere in a long backlog.
        let q = &mut self.global[class_index(self.classes[req as usize])];
        let pos = q.binary_search(&req).expect("decided request is queued");
        q.remove(pos);
    }
}
