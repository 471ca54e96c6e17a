//! Long-job transitions: gathering the group, running and pausing the prefill (preemption at
//! kernel boundaries), decode steps with colocated short work, and completion.

use super::decode_run::run_time;
use super::engine::State;
use super::event::Event;
use super::job::{JobPhase, Segment};
use super::log::LogTag;
use super::records::Stamp;
use super::replica::Applied;
use super::timeline::{Span, SpanKind};
use crate::perf::{SpChoice, SpGroup, SpPlan};
use crate::sched::{LongDecode, LongPrefill};
use crate::time::SimDuration;

impl State {
    /// The group layout the performance model needs: replicas of the group per node.
    pub(crate) fn sp_group(&self, members: &[u32]) -> SpGroup {
        let mut per_node: Vec<u32> = Vec::new();
        let mut last = None;
        for &m in members {
            let node = self.replicas[m as usize].node;
            if last == Some(node) {
                *per_node.last_mut().expect("pushed before") += 1;
            } else {
                per_node.push(1);
                last = Some(node);
            }
        }
        SpGroup {
            replicas_per_node: per_node,
        }
    }

    /// Whether short work on member `m` keeps job `j` from running now.
    pub(crate) fn member_blocks(&self, j: u32, m: u32) -> bool {
        let job = &self.jobs[j as usize];
        let rep = &self.replicas[m as usize];
        match job.phase {
            // Behind another long request on this member: it starts at the head of all.
            JobPhase::Pending if rep.job != Some(j) => true,
            JobPhase::Pending => {
                let prefill = match self.rules.long_prefill {
                    // Under `Exclusive` the shorts queued before it run first (local FIFO).
                    LongPrefill::Exclusive => rep.has_prefill_work(),
                    // docs/paper.md §2.3: only the short prefills already running.
                    LongPrefill::Yield => rep.seqs.iter().any(|s| s.in_prefill()),
                    // Batched with whatever runs there: only its KV room counts.
                    LongPrefill::Chunked { .. } => false,
                };
                prefill || rep.kv_free() < job.kv_per_member
            }
            // A decode that does not yield batches with short work or shuts it out: nothing to
            // wait for (it is not running only after a move, `sim/long_move.rs`).
            JobPhase::Decode if self.rules.long_decode != LongDecode::Yield => false,
            // Paused: the pause's batch is not done (the members admit only its requests).
            JobPhase::Prefill | JobPhase::Decode => self.short_work_yields_to(m),
            JobPhase::Done => false,
        }
    }

    /// Whether member `m` has short work that a yielding long phase must let run first: short
    /// prefills always; short decodes too when short requests are not disaggregated. Queued
    /// requests count only if the replica could admit the first of them now: a long phase never
    /// waits for work that cannot run (its own KV reservation may be what keeps it out, which
    /// would deadlock).
    fn short_work_yields_to(&self, m: u32) -> bool {
        let rep = &self.replicas[m as usize];
        rep.seqs.iter().any(|s| s.in_prefill())
            || self.queue_head_admissible(m)
            || !rep.incoming.is_empty()
            || (!self.rules.disaggregated() && rep.seqs.iter().any(|s| s.decoding()))
    }

    /// Re-examines job `j` after something changed on its replicas.
    pub(crate) fn reconsider_job(&mut self, j: u32) {
        self.touched_jobs.push(j);
        let job = &self.jobs[j as usize];
        if job.moving {
            return; // its KV is on the way (`sim/long_move.rs`)
        }
        match (job.phase, job.running.is_some()) {
            (JobPhase::Done, _) => {}
            (JobPhase::Pending, _) | (_, false) => self.try_run(j),
            (JobPhase::Prefill, true) => {
                let yields = self.rules.long_prefill == LongPrefill::Yield;
                if yields && job.members.iter().any(|&m| self.short_work_yields_to(m)) {
                    self.request_pause(j);
                }
            }
            (JobPhase::Decode, true) => {} // checked at the end of each step
        }
    }

    /// Starts or resumes job `j` once no member has blocking short work and every member has
    /// stopped its own loop (members still iterating are held and cut at a step boundary).
    fn try_run(&mut self, j: u32) {
        let members = self.jobs[j as usize].members.clone();
        if members.iter().any(|&m| self.member_blocks(j, m)) {
            // Release the members this job held (not those another job heads).
            for &m in &members {
                let rep = &mut self.replicas[m as usize];
                if rep.job == Some(j) && std::mem::take(&mut rep.hold) {
                    self.maybe_start(m);
                }
            }
            return;
        }
        let mut parked = true;
        for &m in &members {
            if self.replicas[m as usize].iter.is_some() {
                self.replicas[m as usize].hold = true;
                self.cut(m);
                parked = false;
            }
        }
        if !parked {
            return;
        }
        for &m in &members {
            let rep = &mut self.replicas[m as usize];
            rep.hold = false;
            rep.pause_admits = None;
        }
        let now = self.now;
        if let Some(since) = self.paused_since.remove(&j) {
            let req = Some(self.jobs[j as usize].req);
            for &m in &members {
                self.timeline.push(Span {
                    replica: m,
                    start: since,
                    end: now,
                    kind: SpanKind::Paused,
                    req,
                    tokens: 0,
                });
            }
        }
        let job = &mut self.jobs[j as usize];
        match job.phase {
            JobPhase::Pending => {
                job.phase = JobPhase::Prefill;
                let kv = job.kv_per_member;
                let req = job.req;
                for &m in &members {
                    let rep = &mut self.replicas[m as usize];
                    rep.reserve_kv(kv);
                    assert!(
                        rep.kv_used <= rep.kv_capacity,
                        "KV over capacity on replica {m}"
                    );
                }
                self.stamp(req, Stamp::PrefillStart, now);
                let plan = match self.jobs[j as usize].plan {
                    SpPlan::Ring => 0,
                    SpPlan::Hybrid { attention, mlp } => {
                        1 + 2 * (attention == SpChoice::Ulysses) as u64
                            + (mlp == SpChoice::Ulysses) as u64
                    }
                };
                self.log.record(
                    LogTag::LongPrefillStart,
                    [now.0, req as u64, j as u64, plan],
                );
                if let LongPrefill::Chunked {
                    tokens_per_member, ..
                } = self.rules.long_prefill
                {
                    self.start_chunk_step(j, tokens_per_member);
                } else {
                    self.run_prefill_segment(j, SimDuration::ZERO);
                }
            }
            JobPhase::Prefill => {
                self.log.record(
                    LogTag::LongPrefillResume,
                    [now.0, j as u64, self.jobs[j as usize].prefill_done.0, 0],
                );
                self.run_prefill_segment(j, self.cfg.context_switch);
            }
            JobPhase::Decode => self.start_decode_step(j),
            JobPhase::Done => unreachable!("a finished job is never run"),
        }
        // Short work that arrived during the pause (or was queued while the job was pending)
        // preempts the prefill again at its next kernel boundary: a new preemption with its own
        // batch (docs/paper.md §2.4). A decode is checked at the end of its step.
        self.reconsider_job(j);
    }

    /// Runs the rest of the prefill as one segment (cut later if a pause is requested).
    fn run_prefill_segment(&mut self, j: u32, switch: SimDuration) {
        let start = self.now + switch;
        let job = &mut self.jobs[j as usize];
        let work = job.prefill_left();
        let end = start + work;
        job.running = Some(Segment {
            start,
            end,
            work,
            tokens: 0,
        });
        job.pausing = false;
        job.generation += 1;
        self.events.push(
            end,
            Event::JobIterEnd {
                job: j,
                generation: job.generation,
            },
        );
    }

    /// Asks the running prefill of job `j` to pause at its next kernel boundary.
    fn request_pause(&mut self, j: u32) {
        let now = self.now;
        let job = &mut self.jobs[j as usize];
        let Some(mut seg) = job.running else { return };
        if job.pausing {
            return;
        }
        let elapsed = SimDuration(now.0.saturating_sub(seg.start.0)).min(seg.work);
        // The next kernel boundary strictly after the segment's start: every resume runs at
        // least one kernel, so a stream of short arrivals slows the prefill but cannot hold it
        // at zero progress while it is counted as preempted again and again.
        let boundary =
            job.next_boundary((job.prefill_done + elapsed).max(job.prefill_done + SimDuration(1)));
        if boundary >= job.prefill_total {
            return; // the next boundary is the end of the prefill
        }
        seg.work = boundary - job.prefill_done;
        seg.end = seg.start + seg.work;
        job.running = Some(seg);
        job.pausing = true;
        job.generation += 1;
        self.events.push(
            seg.end.max(now),
            Event::JobIterEnd {
                job: j,
                generation: job.generation,
            },
        );
    }

    /// A prefill segment or decode step of job `j` ended.
    pub(crate) fn on_job_step_end(&mut self, j: u32) {
        let now = self.now;
        let seg = self.jobs[j as usize]
            .running
            .take()
            .expect("a running segment");
        let members = self.jobs[j as usize].members.clone();
        let req = self.jobs[j as usize].req;
        let decoding = self.jobs[j as usize].phase == JobPhase::Decode;
        for (i, &m) in members.iter().enumerate() {
            self.replicas[m as usize].busy_ns += self.busy_in_span_ns(seg.start, seg.end);
            let (kind, tokens) = match self.jobs[j as usize].step_batches.get(i) {
                Some(b) if decoding && !b.chunks.is_empty() => {
                    (SpanKind::Colocated, b.chunks.iter().map(|c| c.1).sum())
                }
                _ if decoding => (SpanKind::LongDecode, 0),
                _ => (SpanKind::LongPrefill, 0),
            };
            self.timeline.push(Span {
                replica: m,
                start: seg.start,
                end: seg.end,
                kind,
                req: Some(req),
                tokens,
            });
        }
        self.dirty = true;
        for &m in &members {
            self.sample(m);
        }
        match self.jobs[j as usize].phase {
            JobPhase::Prefill => {
                // A chunked step carried the members' short batches: apply them.
                let batches = std::mem::take(&mut self.jobs[j as usize].step_batches);
                for (i, b) in batches.iter().enumerate() {
                    let m = members[i];
                    let mut out = Applied::default();
                    self.replicas[m as usize].apply(b, 1, &mut out);
                    self.after_batch(m, &out, seg.end.0 - seg.start.0);
                }
                let job = &mut self.jobs[j as usize];
                job.prefill_done += seg.work;
                job.prefill_tokens_done += seg.tokens;
                job.pausing = false;
                if job.prefill_done >= job.prefill_total {
                    job.generated = 1;
                    let req = job.req;
                    self.stamp(req, Stamp::FirstToken, now + self.perf.request_overhead());
                    self.log
                        .record(LogTag::LongFirstToken, [now.0, req as u64, 0, 0]);
                    if self.jobs[j as usize].generated >= self.jobs[j as usize].output {
                        self.finish_job(j);
                    } else {
                        self.jobs[j as usize].phase = JobPhase::Decode;
                        self.resolve_colocation_cap(j);
                        // A new decode group, if the rules give one (`sim/long_move.rs`).
                        let overlap = self.jobs[j as usize].prefill_total;
                        if !self.try_move_long(j, overlap) {
                            self.next_decode_step(j);
                        }
                    }
                } else if let LongPrefill::Chunked {
                    tokens_per_member, ..
                } = self.rules.long_prefill
                {
                    self.start_chunk_step(j, tokens_per_member);
                } else {
                    self.pause(j);
                }
            }
            JobPhase::Decode => {
                let batches = std::mem::take(&mut self.jobs[j as usize].step_batches);
                for (i, &m) in members.iter().enumerate() {
                    let mut out = Applied::default();
                    self.replicas[m as usize].apply(&batches[i], 1, &mut out);
                    // (a decode-pool member's finished short decodes free pool KV)
                    self.refile_decode_kv(m);
                    self.after_batch(m, &out, seg.end.0 - seg.start.0);
                }
                let job = &mut self.jobs[j as usize];
                job.generated += 1;
                if job.generated >= job.output {
                    self.finish_job(j);
                } else if !self.try_move_long(j, SimDuration::ZERO) {
                    // (a job waiting for the decode pool retries at each step)
                    self.next_decode_step(j);
                }
            }
            JobPhase::Pending | JobPhase::Done => unreachable!("only running jobs have segments"),
        }
    }

    /// Pauses job `j` (a preemption): its replicas run their own short work.
    fn pause(&mut self, j: u32) {
        let job = &mut self.jobs[j as usize];
        job.preemptions += 1;
        let req = job.req;
        self.records.preempted(req);
        let done = job.prefill_done.0;
        self.paused_since.insert(j, self.now);
        // The pause's batch: the short prefills present now (running, and queued on a member).
        // Each member runs its own share of it — the policy already sent each short request to
        // the shortest queue, which balances tokens across the group.
        for m in self.jobs[j as usize].members.clone() {
            let rep = &mut self.replicas[m as usize];
            rep.pause_admits = Some(rep.queue.len() as u32);
        }
        self.log
            .record(LogTag::LongPaused, [self.now.0, req as u64, done, 0]);
        for m in self.jobs[j as usize].members.clone() {
            self.timeline
                .mark(m, self.now, super::timeline::MarkKind::Preempted { req });
            self.maybe_start(m);
        }
        self.try_run(j);
    }

    /// Fixes job `j`'s colocation cap for its decode (docs/paper.md §2.6), from the policy's
    /// rule over the job's KV share per member at the first decode step and its group.
    pub(crate) fn resolve_colocation_cap(&mut self, j: u32) {
        let LongDecode::Batch {
            prefill_cap: Some(rule),
        } = self.rules.long_decode
        else {
            return;
        };
        let job = &self.jobs[j as usize];
        let group = self.sp_group(&job.members);
        let cap = rule.tokens_per_gpu(&self.perf, job.input as u64, &group);
        self.jobs[j as usize].colocation_cap_tokens_per_gpu = Some(cap);
    }

    /// Continues a decoding job: pauses it if its phase yields and short prefills wait.
    fn next_decode_step(&mut self, j: u32) {
        let yields = self.rules.long_decode == LongDecode::Yield;
        if yields
            && self.jobs[j as usize]
                .members
                .iter()
                .any(|&m| self.short_work_yields_to(m))
        {
            self.pause(j);
        } else {
            self.start_decode_step(j);
        }
    }

    /// One decode step of job `j`: each member computes partial attention over its KV share
    /// with its own short batch (colocation), then the partial outputs are all-reduced.
    fn start_decode_step(&mut self, j: u32) {
        let members = self.jobs[j as usize].members.clone();
        let (input, generated) = (self.jobs[j as usize].input, self.jobs[j as usize].generated);
        let local_kv = (input as u64 + generated as u64).div_ceil(members.len() as u64);
        let mut worst = SimDuration::ZERO;
        let mut batches = Vec::with_capacity(members.len());
        let mut colocated = 0;
        for &m in &members {
            let adm = self.admission(m, true);
            let b = self.replicas[m as usize].form_batch(&self.reqs, adm);
            for &id in &b.started {
                self.stamp_once(id, Stamp::PrefillStart, self.now);
            }
            self.note_cached(m, &b);
            colocated += b.chunks.iter().map(|c| c.1 as u64).sum::<u64>();
            let mut shape = b.shape;
            shape.add_decode(local_kv);
            let mut t = run_time(&self.perf, &mut self.op_cache, &shape, 0, 1);
            if let Some(oracle) = self.oracle.as_mut() {
                let detail = self.replicas[m as usize].detail(m, &b, Some(local_kv as u32));
                t = oracle
                    .time(&detail, detail.kind(true), t)
                    .max(SimDuration(1));
            }
            worst = worst.max(t);
            batches.push(b);
        }
        let group = self.sp_group(&members);
        let dur = worst + self.perf.sp_decode_overhead(&group);
        let now = self.now;
        let job = &mut self.jobs[j as usize];
        job.colocated_tokens += colocated;
        job.step_batches = batches;
        job.running = Some(Segment {
            start: now,
            end: now + dur,
            work: SimDuration::ZERO,
            tokens: 0,
        });
        job.generation += 1;
        self.events.push(
            now + dur,
            Event::JobIterEnd {
                job: j,
                generation: job.generation,
            },
        );
    }

    /// One step of a chunked prefill (`LongPrefill::Chunked`, Sarathi-Serve's stall-free
    /// batching): the group advances `tokens_per_member` prompt tokens per member, and each
    /// member runs its own short batch in the same step (admitted under its token budget less
    /// the chunk, [`State::admission`]). The step takes the chunk's share of the group's
    /// modelled prefill time (its tokens ÷ the input × `prefill_total`, so the chunks add up to
    /// the unchunked prefill exactly) plus the slowest member's short batch: the two are not
    /// overlapped (ARCHITECTURE.md, "Decisions"). Under `adaptive` (Medha) the chunk is the
    /// largest that keeps the step within its target, the step priced by the chunk's position
    /// and fused with the short batches ([`super::adaptive_chunk`]); progress is still counted
    /// by the chunk's linear share of `prefill_total`.
    fn start_chunk_step(&mut self, j: u32, tokens_per_member: u32) {
        let members = self.jobs[j as usize].members.clone();
        let job = &self.jobs[j as usize];
        let (input, before) = (job.input, job.prefill_tokens_done);
        let mut step = (tokens_per_member.max(1) as u64 * members.len() as u64)
            .min((input - before) as u64) as u32;
        let adaptive = match self.rules.long_prefill {
            LongPrefill::Chunked { adaptive, .. } => adaptive,
            _ => None,
        };
        let mut worst = SimDuration::ZERO;
        let mut batches = Vec::with_capacity(members.len());
        for &m in &members {
            let adm = self.admission(m, true);
            let b = self.replicas[m as usize].form_batch(&self.reqs, adm);
            for &id in &b.started {
                self.stamp_once(id, Stamp::PrefillStart, self.now);
            }
            self.note_cached(m, &b);
            // Under `adaptive` the short batch is priced fused with the chunk (below).
            let t = if adaptive.is_some() || b.shape == crate::perf::BatchShape::default() {
                SimDuration::ZERO
            } else {
                run_time(&self.perf, &mut self.op_cache, &b.shape, 0, 1)
            };
            worst = worst.max(t);
            batches.push(b);
        }
        // Medha's adaptive chunking: the chunk fits the step target, priced by position
        // (`sim/adaptive_chunk.rs`); the short batches are fused into the members' steps.
        let adaptive = adaptive.map(|rule| {
            let shapes: Vec<_> = batches.iter().map(|b| b.shape).collect();
            let group = self.sp_group(&members);
            let c = super::adaptive_chunk::choose(
                &self.perf,
                &shapes,
                &group,
                before,
                input,
                tokens_per_member,
                rule,
            );
            step = c.tokens;
            c.duration
        });
        // Progress is counted in `prefill_total` units by the chunk's linear share either way
        // (the chunks add up to the prefill's work exactly; the invariants check it).
        let job = &self.jobs[j as usize];
        let share = |tokens: u32| {
            SimDuration(
                (job.prefill_total.0 as u128 * tokens as u128 / input.max(1) as u128) as u64,
            )
        };
        let work = share(before + step) - share(before);
        let now = self.now;
        let dur = adaptive.unwrap_or((work + worst).max(SimDuration(1)));
        let job = &mut self.jobs[j as usize];
        job.step_batches = batches;
        job.running = Some(Segment {
            start: now,
            end: now + dur,
            work,
            tokens: step,
        });
        job.generation += 1;
        self.events.push(
            now + dur,
            Event::JobIterEnd {
                job: j,
                generation: job.generation,
            },
        );
    }

    /// Replica `m` leaves the long job it hosts (which held `kv` of its KV for an input of
    /// `input` tokens): it passes to the next long request in its queue, whose job is added
    /// to `heads` (it may now head all of its members) unless it is there already.
    pub(crate) fn release_member(&mut self, m: u32, kv: u64, input: u64, heads: &mut Vec<u32>) {
        let rep = &mut self.replicas[m as usize];
        rep.kv_used -= kv;
        rep.long_tokens -= input;
        rep.job = rep.long_queue.pop_front();
        rep.hold = false;
        rep.pause_admits = None;
        if let Some(next) = rep.job
            && !heads.contains(&next)
        {
            heads.push(next);
        }
    }

    /// Completes job `j` and gives its replicas back.
    fn finish_job(&mut self, j: u32) {
        let now = self.now;
        let job = &mut self.jobs[j as usize];
        job.phase = JobPhase::Done;
        let (req, kv, input) = (job.req, job.kv_per_member, job.input as u64);
        self.stamp(req, Stamp::Completion, now + self.perf.request_overhead());
        self.log
            .record(LogTag::LongCompleted, [now.0, req as u64, j as u64, 0]);
        // Each member passes to the next long request in its queue, which may now head all of
        // its own members.
        let mut heads: Vec<u32> = Vec::new();
        for m in self.jobs[j as usize].members.clone() {
            self.release_member(m, kv, input, &mut heads);
            self.sync_index(m);
            self.maybe_start(m);
        }
        for next in heads {
            self.reconsider_job(next);
        }
        // A long job leaving the decode pool frees KV that waiting short hand-overs may take.
        if self.rules.long_handover() {
            self.start_transfers(SimDuration::ZERO);
        }
    }
}
