//! Liveness: what must eventually happen. Every arrived request completes or is rejected with a
//! reason; a replica or long job never sits idle with work it could start (a missed wake-up).
//! The engine runs the idle checks as a watchdog every [`WATCH_INTERVAL`] of simulated time and
//! classifies the end of a run (`Simulation::stop_reason`); `check_invariants` runs it after
//! every event in tests.

use super::config::WATCH_INTERVAL;
use super::engine::State;
use super::job::JobPhase;
use super::records::Stamp;
use crate::metrics::{JobState, MAX_LISTED_STRANDED, Place, StallCheck, StopReason, Stranded};
use crate::time::SimTime;

/// Something idle that could run now (a missed wake-up).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Idle {
    /// A replica with no iteration in flight, not held for or driven by a long job, whose next
    /// batch would not be empty.
    Replica(u32),
    /// A long job not running whose members are all parked and none of which blocks it.
    Job(u32),
}

impl State {
    /// Wakes replicas whose state changed outside their own events: they may start a batch
    /// and their long job may start or resume.
    pub(crate) fn wake_touched(&mut self) {
        // The two buffers are swapped, not reallocated, every step.
        let mut spare = Vec::new();
        while !self.wake.is_empty() {
            let mut now = std::mem::replace(&mut self.wake, spare);
            for r in now.drain(..) {
                if let Some(j) = self.replicas[r as usize].job {
                    self.reconsider_job(j);
                }
                self.maybe_start(r);
            }
            spare = now;
        }
        if self.wake.capacity() == 0 {
            self.wake = spare;
        }
    }

    /// Whether replica `r` is idle but its next batch would not be empty.
    pub(crate) fn replica_could_start(&self, r: u32) -> bool {
        let rep = &self.replicas[r as usize];
        if rep.iter.is_some() || rep.hold {
            return false;
        }
        if let Some(j) = rep.job
            && self.jobs[j as usize].running.is_some()
        {
            return false;
        }
        if !rep.incoming.is_empty() || rep.seqs.iter().any(|s| s.decoding() || s.in_prefill()) {
            return true;
        }
        self.queue_head_admissible(r)
    }

    /// Whether replica `r`'s own loop would admit the first request of its local queue now
    /// (`Replica::admissible_head` under the replica's own admission).
    pub(crate) fn queue_head_admissible(&self, r: u32) -> bool {
        let adm = self.admission(r, false);
        self.replicas[r as usize]
            .admissible_head(&self.reqs, &adm)
            .is_some()
    }

    /// Whether long job `j` is neither running nor finished although it could run now.
    pub(crate) fn job_could_run(&self, j: u32) -> bool {
        let job = &self.jobs[j as usize];
        if job.phase == JobPhase::Done || job.running.is_some() || job.moving {
            return false;
        }
        job.members
            .iter()
            .all(|&m| self.replicas[m as usize].iter.is_none() && !self.member_blocks(j, m))
    }

    /// The first replica or job idle with work it could start, if any (O(replicas)).
    pub(crate) fn idle_with_work(&self) -> Option<Idle> {
        for r in 0..self.replicas.len() as u32 {
            if self.replica_could_start(r) {
                return Some(Idle::Replica(r));
            }
            if let Some(j) = self.replicas[r as usize].job
                && self.jobs[j as usize].members.first() == Some(&r)
                && self.job_could_run(j)
            {
                return Some(Idle::Job(j));
            }
        }
        None
    }

    /// After each event (O(1)): notes since when requests have waited in the global queue
    /// while nothing in the cluster runs — no iteration, long-job step or KV transfer is
    /// scheduled, only the next arrival (stale events only make the cluster look busy).
    pub(crate) fn note_quiet(&mut self) {
        let quiet = self.global.iter().any(|q| !q.is_empty()) && self.events.only_arrivals();
        if !quiet {
            self.quiet_since = None;
        } else if self.quiet_since.is_none() {
            self.quiet_since = Some(self.now);
        }
    }

    /// Before the event at `next`: a stall if the cluster will have been quiet with requests
    /// in the global queue for [`WATCH_INTERVAL`] or more by then (the slow form: arrivals
    /// keep time moving while the policy dispatches nothing the idle cluster could take).
    pub(crate) fn quiet_too_long(&self, next: SimTime) -> Option<StopReason> {
        let since = self.quiet_since?;
        (next.saturating_since(since) >= WATCH_INTERVAL)
            .then(|| self.stalled(StallCheck::QuietWithQueuedWork))
    }

    /// The periodic watchdog: a stall if a replica or job is idle with work it could start.
    pub(crate) fn watchdog(&self) -> Option<StopReason> {
        self.idle_with_work()
            .is_some()
            .then(|| self.stalled(StallCheck::IdleWithWork))
    }

    /// Arrived requests neither completed nor rejected.
    pub(crate) fn unserved_count(&self) -> u64 {
        (self.reqs.first()..self.next_arrival)
            .filter(|&id| {
                self.stamped(id, Stamp::Completion).is_none() && !self.records.rejected(id)
            })
            .count() as u64
    }

    /// A stall report listing the arrived requests neither completed nor rejected.
    pub(crate) fn stalled(&self, detected: StallCheck) -> StopReason {
        let idle = match detected {
            StallCheck::EventQueueEmpty => None,
            StallCheck::QuietWithQueuedWork => Some(format!(
                "the whole cluster (quiet since {:.3} s while the policy dispatched nothing)",
                self.quiet_since.unwrap_or(self.now).as_secs_f64()
            )),
            StallCheck::IdleWithWork => self.idle_with_work().map(|what| match what {
                Idle::Replica(r) => format!("replica {r}"),
                Idle::Job(j) => format!("the long job of request {}", self.jobs[j as usize].req),
            }),
        };
        // Arrived requests still held (a streamed run has handed finished ones on), by id −
        // `first`.
        let first = self.reqs.first();
        let mut places: Vec<Option<Place>> =
            vec![None; self.next_arrival.saturating_sub(first) as usize];
        let mut put = |id: u32, p: Place| {
            if let Some(slot) = id
                .checked_sub(first)
                .and_then(|i| places.get_mut(i as usize))
            {
                *slot = Some(p);
            }
        };
        for &id in self.global.iter().flatten() {
            put(id, Place::GlobalQueue);
        }
        for (i, rep) in self.replicas.iter().enumerate() {
            let replica = i as u32;
            for &id in &rep.queue {
                put(id, Place::LocalQueue { replica });
            }
            for s in rep.seqs.iter().chain(&rep.incoming) {
                let p = if s.handoff {
                    Place::AwaitingHandoff { replica }
                } else {
                    Place::Batch { replica }
                };
                put(s.req, p);
            }
        }
        for (&id, &(_, to)) in &self.in_transit {
            put(id, Place::InTransit { replica: to });
        }
        for job in &self.jobs {
            let phase = match (job.phase, job.running.is_some()) {
                (JobPhase::Done, _) => continue,
                (JobPhase::Pending, _) => JobState::Pending,
                (JobPhase::Prefill, true) => JobState::Prefill,
                (JobPhase::Prefill, false) => JobState::Paused,
                (JobPhase::Decode, true) => JobState::Decode,
                (JobPhase::Decode, false) => JobState::DecodePaused,
            };
            put(
                job.req,
                Place::LongJob {
                    first_replica: job.members.first().copied().unwrap_or(0),
                    replicas: job.members.len() as u32,
                    phase,
                },
            );
        }
        let mut stranded = Vec::new();
        let mut count = 0u64;
        for (i, &at) in places.iter().enumerate() {
            let id = first + i as u32;
            let rec = self.record(id);
            if rec.completion.is_some() || rec.rejected {
                continue;
            }
            count += 1;
            if stranded.len() < MAX_LISTED_STRANDED {
                stranded.push(Stranded {
                    id,
                    class: rec.class,
                    place: at.unwrap_or(Place::GlobalQueue),
                });
            }
        }
        StopReason::Stalled {
            at_s: self.now.as_secs_f64(),
            detected,
            idle,
            stranded_count: count,
            stranded,
        }
    }
}
