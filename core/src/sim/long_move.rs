//! Moving a long job to a new group when its prefill ends: the decode-pool hand-over of long
//! requests (DistServe/Splitwise, [`crate::sched::DecodePool::long_requests`]) and the
//! decode scale-in of elastic sequence parallelism (LoongServe, [`crate::sched::ElasticSp`]).
//! Both go through one primitive, [`State::move_job`]: the job's KV (sharded over its members)
//! moves to a new member set sized by the KV rule alone
//! ([`crate::sched::Sizing::decode_group_size`]), priced per link by
//! [`crate::perf::PerfModel::sharded_kv_move_exposed_time`] (layer-wise streaming hidden
//! behind the prefill, as for short hand-overs); the members it leaves are freed at once (their
//! KV share and long status, as a short hand-over frees its prefill replica when the transfer
//! starts), and the job decodes on its new members once the KV has arrived.
//!
//! When the new group has no room yet:
//! - to the decode pool, the job decodes in place and tries again at each decode step, in FIFO
//!   order among the long jobs waiting ([`State::long_move_wait`]); short hand-overs do not
//!   wait behind it. A job whose KV group is larger than the whole pool never moves: it decodes
//!   in place to its last token (nothing strands).
//! - scaling in, it decodes on its whole group and tries again at each step.
//!
//! A job moves at most once ([`super::job::LongJob::settled`]).

use super::engine::State;
use super::event::Event;
use super::job::JobPhase;
use super::log::LogTag;
use super::timeline::MarkKind;
use crate::time::SimDuration;

impl State {
    /// Tries to move job `j` (decoding, between steps, not moving) to its decode group;
    /// `overlap` is the prefill its KV streams behind (zero after the first decode step).
    /// Returns whether it started moving: then it must not step until the KV arrives.
    pub(crate) fn try_move_long(&mut self, j: u32, overlap: SimDuration) -> bool {
        let job = &self.jobs[j as usize];
        debug_assert!(job.phase == JobPhase::Decode && job.running.is_none() && !job.moving);
        if job.settled {
            return false;
        }
        if self.rules.long_handover() {
            self.move_to_pool(j, overlap)
        } else if self.rules.elastic_sp.is_some() {
            self.scale_in(j, overlap)
        } else {
            self.jobs[j as usize].settled = true;
            false
        }
    }

    /// The decode-pool hand-over of a long job: the fewest decode-only replicas that hold its
    /// KV, each hosting no other long job and with the room, most free KV first.
    fn move_to_pool(&mut self, j: u32, overlap: SimDuration) -> bool {
        let job = &self.jobs[j as usize];
        let (input, output) = (job.input, job.output);
        let k = self.sizing.decode_group_size(input, output);
        if k > self.rules.decode_replicas() {
            // The whole pool can never hold it: it decodes where it prefilled.
            self.jobs[j as usize].settled = true;
            return false;
        }
        // FIFO among waiting long jobs; those finished in place or moved leave the head.
        while let Some(&h) = self.long_move_wait.front() {
            let head = &self.jobs[h as usize];
            if head.phase == JobPhase::Done || head.settled {
                self.long_move_wait.pop_front();
            } else {
                break;
            }
        }
        let first = self.long_move_wait.front().is_none_or(|&h| h == j);
        let need = self.sizing.kv_per_member(input, output, k as u64);
        let mut targets: Vec<u32> = Vec::new();
        if first {
            targets = self
                .decode_free
                .iter()
                .take_while(|(free, _)| free.0 >= need)
                .map(|&(_, r)| r)
                .filter(|&r| self.replicas[r as usize].job.is_none())
                .take(k as usize)
                .collect();
        }
        if targets.len() < k as usize {
            if !self.long_move_wait.contains(&j) {
                self.long_move_wait.push_back(j);
            }
            return false;
        }
        if self.long_move_wait.front() == Some(&j) {
            self.long_move_wait.pop_front();
        }
        targets.sort_unstable();
        self.move_job(j, targets, need, overlap);
        true
    }

    /// LoongServe's scale-in: the job keeps the fewest of its members that hold its KV (the
    /// first ones in group order, which keeps it on as few nodes as it had, among those with
    /// room for the larger share) and frees the rest.
    fn scale_in(&mut self, j: u32, overlap: SimDuration) -> bool {
        let job = &self.jobs[j as usize];
        let k = self.sizing.decode_group_size(job.input, job.output);
        if k as usize >= job.members.len() {
            self.jobs[j as usize].settled = true;
            return false;
        }
        let need = self.sizing.kv_per_member(job.input, job.output, k as u64);
        let old = job.kv_per_member;
        let kept: Vec<u32> = job
            .members
            .iter()
            .copied()
            .filter(|&m| self.replicas[m as usize].kv_free() + old >= need)
            .take(k as usize)
            .collect();
        if kept.len() < k as usize {
            return false; // short work holds the room: decode on the whole group, retry
        }
        self.move_job(j, kept, need, overlap);
        true
    }

    /// Moves job `j` to `targets` (sorted by id), each reserving `need` KV tokens: members it
    /// leaves are freed now, new ones join, and the job steps again when its KV arrives
    /// (`Event::JobMoved`).
    pub(crate) fn move_job(&mut self, j: u32, targets: Vec<u32>, need: u64, overlap: SimDuration) {
        let now = self.now;
        let job = &self.jobs[j as usize];
        let (req, input, old_kv) = (job.req, job.input, job.kv_per_member);
        let old = job.members.clone();
        let kv_tokens = input as u64 + job.generated as u64;
        let released: Vec<u32> = old
            .iter()
            .copied()
            .filter(|m| !targets.contains(m))
            .collect();
        let joining = targets.iter().any(|m| !old.contains(m));
        // To new replicas the whole KV moves from every old member; scaling in, only the shares
        // of the members released, to the members kept.
        let (tokens, senders) = if joining {
            (kv_tokens, old.len() as u32)
        } else {
            (
                (kv_tokens * released.len() as u64).div_ceil(old.len() as u64),
                released.len() as u32,
            )
        };
        let node = self.replicas[targets[0] as usize].node;
        let same_node = old
            .iter()
            .chain(&targets)
            .all(|&m| self.replicas[m as usize].node == node);
        let delay = self.perf.sharded_kv_move_exposed_time(
            tokens,
            senders,
            targets.len() as u32,
            same_node,
            overlap,
        );
        let mut heads: Vec<u32> = Vec::new();
        for &m in &released {
            self.release_member(m, old_kv, input as u64, &mut heads);
            self.timeline.mark(
                m,
                now,
                MarkKind::HandoverOut {
                    req,
                    to: targets[0],
                },
            );
            self.sync_index(m);
        }
        for &m in &targets {
            let rep = &mut self.replicas[m as usize];
            if old.contains(&m) {
                rep.kv_used -= old_kv;
            } else {
                assert!(rep.job.is_none(), "replica {m} already hosts a long job");
                rep.job = Some(j);
                rep.long_tokens += input as u64;
            }
            rep.reserve_kv(need);
            assert!(
                rep.kv_used <= rep.kv_capacity,
                "KV over capacity on replica {m}"
            );
            self.sync_index(m);
        }
        self.log.record(
            LogTag::LongMoved,
            [now.0, req as u64, targets.len() as u64, targets[0] as u64],
        );
        let job = &mut self.jobs[j as usize];
        job.members = targets;
        job.kv_per_member = need;
        job.moving = true;
        job.settled = true;
        self.touched_jobs.push(j);
        self.dirty = true;
        self.events.push(now + delay, Event::JobMoved { job: j });
        // Every replica involved runs its own short work meanwhile: the released ones for good,
        // the new group until the KV arrives.
        let targets = self.jobs[j as usize].members.clone();
        for &m in released.iter().chain(&targets) {
            self.maybe_start(m);
        }
        for next in heads {
            self.reconsider_job(next);
        }
    }

    /// Job `j`'s KV has arrived on its new group: it decodes there from its next step (its
    /// members park first, as for any long step).
    pub(crate) fn on_job_moved(&mut self, j: u32) {
        self.jobs[j as usize].moving = false;
        for i in 0..self.jobs[j as usize].members.len() {
            let (m, req) = (self.jobs[j as usize].members[i], self.jobs[j as usize].req);
            self.timeline
                .mark(m, self.now, MarkKind::HandoverIn { req });
        }
        self.resolve_colocation_cap(j);
        self.reconsider_job(j);
    }
}
