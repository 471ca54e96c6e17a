//! Checks of the engine's invariants, for tests: KV accounting, queue accounting, where each
//! request is, long-job membership and prefill-work conservation.

use super::Simulation;
use super::job::JobPhase;
use super::records::Stamp;
use crate::sched::IndexMismatch;

/// Where the engine holds a request (for [`InvariantError::TwoPlaces`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Holder {
    /// The global queue.
    GlobalQueue,
    /// A KV hand-over in flight.
    InTransit,
    /// A replica's local queue.
    LocalQueue,
    /// A replica's running batch.
    RunningBatch,
    /// A long job.
    LongJob,
}

impl std::fmt::Display for Holder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Holder::GlobalQueue => "global queue",
            Holder::InTransit => "in transit",
            Holder::LocalQueue => "local queue",
            Holder::RunningBatch => "running batch",
            Holder::LongJob => "long job",
        })
    }
}

/// A broken engine invariant: what broke and where.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum InvariantError {
    /// A request is held in two places at once.
    #[error("request {req} is in two places (second: {second})")]
    TwoPlaces {
        /// Request id.
        req: u32,
        /// The second place it was found in.
        second: Holder,
    },
    /// A request is somewhere in the cluster but the engine no longer (or not yet) holds it:
    /// handed on as finished, or not read.
    #[error("request {req} is in {holder} but not held by the engine")]
    NotHeld {
        /// Request id.
        req: u32,
        /// Where it was found.
        holder: Holder,
    },
    /// A sequence prefilled or generated more tokens than its request has.
    #[error("request {req} overran its lengths on replica {replica}")]
    Overran {
        /// Request id.
        req: u32,
        /// Replica running it.
        replica: u32,
    },
    /// A replica's prefix cache disagrees with the sequences holding its blocks: a block's
    /// reference count is not the number of sequences holding it, or a held block is missing
    /// (evicted while in use).
    #[error("replica {replica}'s prefix cache disagrees with the sequences holding its blocks")]
    CacheBooks {
        /// Replica index.
        replica: u32,
    },
    /// KV in use plus evictable cached blocks exceed a replica's capacity.
    #[error(
        "replica {replica} holds {used} KV tokens in use and {evictable} cached, over its capacity {capacity}"
    )]
    CacheOverCapacity {
        /// Replica index.
        replica: u32,
        /// KV tokens in use.
        used: u64,
        /// KV tokens of evictable cached blocks.
        evictable: u64,
        /// Capacity in tokens.
        capacity: u64,
    },
    /// A replica points at a job that does not list it (or has finished).
    #[error("replica {replica} points at job {job} which does not hold it")]
    ReplicaNotInJob {
        /// Replica index.
        replica: u32,
        /// Job index.
        job: u32,
    },
    /// A replica's count of long-request tokens differs from its long requests.
    #[error("replica {replica} counts {counted} long-request tokens but holds {actual}")]
    LongTokens {
        /// Replica index.
        replica: u32,
        /// The replica's counter.
        counted: u64,
        /// The sum over its long requests.
        actual: u64,
    },
    /// A replica runs its own batch while its long job drives it.
    #[error("replica {replica} runs its own batch while job {job} drives it")]
    BatchUnderJob {
        /// Replica index.
        replica: u32,
        /// Job index.
        job: u32,
    },
    /// A replica is filed in the long-free index under the wrong key.
    #[error("replica {replica}: free index holds {held:?}, expected {expected:?}")]
    IndexKey {
        /// Replica index.
        replica: u32,
        /// The key it is filed under.
        held: Option<u64>,
        /// The key its state calls for.
        expected: Option<u64>,
    },
    /// The long-free index disagrees with itself.
    #[error(transparent)]
    Index(#[from] IndexMismatch),
    /// A replica's queued-token count differs from the sum over its queue.
    #[error("replica {replica}: queued tokens {counted} but queue holds {actual}")]
    QueuedTokens {
        /// Replica index.
        replica: u32,
        /// The running count.
        counted: u64,
        /// The sum over the queue.
        actual: u64,
    },
    /// A replica's KV in use differs from the sum of its reservations.
    #[error("replica {replica}: KV used {used} but reservations sum to {reserved}")]
    KvAccounting {
        /// Replica index.
        replica: u32,
        /// KV tokens recorded as used.
        used: u64,
        /// KV tokens its sequences, transfers and job reserve.
        reserved: u64,
    },
    /// A replica uses more KV than it has.
    #[error("replica {replica}: KV used {used} exceeds capacity {capacity}")]
    KvOverCapacity {
        /// Replica index.
        replica: u32,
        /// KV tokens used.
        used: u64,
        /// KV capacity in tokens.
        capacity: u64,
    },
    /// A job did more prefill work than its prefill takes.
    #[error("job {job} did more prefill work than it has")]
    PrefillOverrun {
        /// Job index.
        job: u32,
    },
    /// A finished job did not do all its prefill work or generate all its tokens.
    #[error("job {job} finished without doing all its work")]
    JobUnfinished {
        /// Job index.
        job: u32,
    },
    /// A job lists a replica that does not point back at it.
    #[error("job {job} holds replica {replica} which does not point back")]
    JobNotOnReplica {
        /// Job index.
        job: u32,
        /// Replica index.
        replica: u32,
    },
    /// A long job that changed groups (`sim/long_move.rs`) is where it may not be: moving
    /// while not decoding or while running a step, on a replica outside the decode pool after
    /// a decode-pool hand-over, or on more replicas than its KV needs after a scale-in.
    #[error("moved long job {job} is in a state a move cannot leave it in (replica {replica})")]
    MovedJob {
        /// Job index.
        job: u32,
        /// The member concerned (its first member when the fault is the job's own).
        replica: u32,
    },
    /// A replica sits idle although its next batch would not be empty.
    #[error("replica {replica} is idle with work it could start (missed wake-up)")]
    IdleReplica {
        /// Replica index.
        replica: u32,
    },
    /// A long job is neither running nor blocked.
    #[error("long job {job} (request {req}) could run but is not running (missed wake-up)")]
    IdleJob {
        /// Job index.
        job: u32,
        /// Its request.
        req: u32,
    },
    /// An arrived request is neither done nor held anywhere.
    #[error("request {req} arrived, is not done, and is nowhere")]
    Nowhere {
        /// Request id.
        req: u32,
    },
    /// A completed request is still held somewhere.
    #[error("request {req} completed but is still held")]
    CompletedButHeld {
        /// Request id.
        req: u32,
    },
    /// A request's first token comes before its prefill started.
    #[error("request {req}: first token before prefill start")]
    FirstTokenBeforePrefill {
        /// Request id.
        req: u32,
    },
    /// A request completed before its first token.
    #[error("request {req}: completion before first token")]
    CompletionBeforeFirstToken {
        /// Request id.
        req: u32,
    },
}

impl Simulation {
    /// Checks every invariant of the current state; `Err` says which one broke and where.
    pub fn check_invariants(&self) -> Result<(), InvariantError> {
        let st = &self.st;
        // Where each arrived request is: exactly one place.
        // Requests held, by id − `first` (a streamed run has handed finished ones on).
        let first = st.reqs.first();
        let mut place = vec![0u8; st.reqs.len()];
        let mut seen = |req: u32, second: Holder| -> Result<(), InvariantError> {
            let Some(p) = req
                .checked_sub(first)
                .and_then(|i| place.get_mut(i as usize))
            else {
                return Err(InvariantError::NotHeld {
                    req,
                    holder: second,
                });
            };
            *p += 1;
            if *p > 1 {
                Err(InvariantError::TwoPlaces { req, second })
            } else {
                Ok(())
            }
        };
        for &id in st.global.iter().flatten() {
            seen(id, Holder::GlobalQueue)?;
        }
        let mut dest_kv = vec![0u64; st.replicas.len()];
        for (&id, (seq, to)) in &st.in_transit {
            seen(id, Holder::InTransit)?;
            dest_kv[*to as usize] += seq.kv_reserved;
        }
        for (i, r) in st.replicas.iter().enumerate() {
            let replica = i as u32;
            let mut kv = dest_kv[i];
            let mut queued = 0;
            for &id in &r.queue {
                seen(id, Holder::LocalQueue)?;
                queued += st.reqs[id as usize].input_tokens as u64;
            }
            for s in r.seqs.iter().chain(&r.incoming) {
                seen(s.req, Holder::RunningBatch)?;
                kv += s.kv_reserved;
                if s.prefilled > s.input || s.generated > s.output {
                    return Err(InvariantError::Overran {
                        req: s.req,
                        replica,
                    });
                }
            }
            if let Some(job) = r.job {
                let j = &st.jobs[job as usize];
                if !j.members.contains(&replica) || j.phase == JobPhase::Done {
                    return Err(InvariantError::ReplicaNotInJob { replica, job });
                }
                if matches!(j.phase, JobPhase::Prefill | JobPhase::Decode) {
                    kv += j.kv_per_member;
                    if j.running.is_some() && r.iter.is_some() {
                        return Err(InvariantError::BatchUnderJob { replica, job });
                    }
                }
            } else if !r.long_queue.is_empty() {
                // Long requests never wait behind nothing.
                return Err(InvariantError::ReplicaNotInJob {
                    replica,
                    job: r.long_queue[0],
                });
            }
            let long_tokens: u64 = r
                .job
                .iter()
                .chain(r.long_queue.iter())
                .map(|&j| st.jobs[j as usize].input as u64)
                .sum();
            if long_tokens != r.long_tokens {
                return Err(InvariantError::LongTokens {
                    replica,
                    counted: r.long_tokens,
                    actual: long_tokens,
                });
            }
            // A replica touched since the last refresh is re-filed at the next one, before the
            // policy looks ([`State::refresh_by_status`]).
            let expected = st.long_free_key(replica);
            let held = st.long_free.key(replica);
            if held != expected && !st.touched_flag[replica as usize] {
                return Err(InvariantError::IndexKey {
                    replica,
                    held,
                    expected,
                });
            }
            if queued != r.queued_tokens {
                return Err(InvariantError::QueuedTokens {
                    replica,
                    counted: r.queued_tokens,
                    actual: queued,
                });
            }
            if let Some(c) = &r.cache {
                // Blocks in use count in `kv_used`; their holders and the books must agree.
                kv += c.in_use_tokens();
                super::prefix::check_cache(r)
                    .map_err(|_| InvariantError::CacheBooks { replica })?;
                if r.kv_used + c.evictable_tokens() > r.kv_capacity {
                    return Err(InvariantError::CacheOverCapacity {
                        replica,
                        used: r.kv_used,
                        evictable: c.evictable_tokens(),
                        capacity: r.kv_capacity,
                    });
                }
            }
            if kv != r.kv_used {
                return Err(InvariantError::KvAccounting {
                    replica,
                    used: r.kv_used,
                    reserved: kv,
                });
            }
            if r.kv_used > r.kv_capacity {
                return Err(InvariantError::KvOverCapacity {
                    replica,
                    used: r.kv_used,
                    capacity: r.kv_capacity,
                });
            }
        }
        st.long_free.check()?;
        for (j, job) in st.jobs.iter().enumerate() {
            let j = j as u32;
            if job.prefill_done > job.prefill_total {
                return Err(InvariantError::PrefillOverrun { job: j });
            }
            if job.phase == JobPhase::Done {
                if job.prefill_done != job.prefill_total || job.generated != job.output {
                    return Err(InvariantError::JobUnfinished { job: j });
                }
                continue;
            }
            seen(job.req, Holder::LongJob)?;
            check_moved(st, j, job)?;
            for &m in &job.members {
                let rep = &st.replicas[m as usize];
                // At the head of the member's long requests, or queued behind it exactly once
                // (a started job always heads every member).
                let queued = rep.long_queue.iter().filter(|&&q| q == j).count();
                let ok = match rep.job == Some(j) {
                    true => queued == 0,
                    false => queued == 1 && job.phase == JobPhase::Pending,
                };
                if !ok {
                    return Err(InvariantError::JobNotOnReplica { job: j, replica: m });
                }
            }
        }
        // Liveness: nothing idle with work it could start (a missed wake-up strands work).
        match st.idle_with_work() {
            Some(super::liveness::Idle::Replica(replica)) => {
                return Err(InvariantError::IdleReplica { replica });
            }
            Some(super::liveness::Idle::Job(job)) => {
                return Err(InvariantError::IdleJob {
                    job,
                    req: st.jobs[job as usize].req,
                });
            }
            None => {}
        }
        for (i, &at) in place.iter().enumerate() {
            let req = first + i as u32;
            let completion = st.stamped(req, Stamp::Completion);
            let first_token = st.stamped(req, Stamp::FirstToken);
            let arrived = req < st.next_arrival;
            let done = completion.is_some() || st.records.rejected(req);
            let placed = at == 1;
            if arrived && !done && !placed {
                return Err(InvariantError::Nowhere { req });
            }
            if done && placed && completion.is_some() {
                return Err(InvariantError::CompletedButHeld { req });
            }
            if let (Some(a), Some(b)) = (st.stamped(req, Stamp::PrefillStart), first_token)
                && b < a
            {
                return Err(InvariantError::FirstTokenBeforePrefill { req });
            }
            if let (Some(a), Some(b)) = (first_token, completion)
                && b < a
            {
                return Err(InvariantError::CompletionBeforeFirstToken { req });
            }
        }
        Ok(())
    }
}

/// The states a long job that changed groups may be in (`sim/long_move.rs`): in transit it
/// decodes and runs no step; after a decode-pool hand-over every member is decode-only; after
/// a scale-in it holds exactly the replicas its KV needs.
fn check_moved(
    st: &super::engine::State,
    j: u32,
    job: &super::job::LongJob,
) -> Result<(), InvariantError> {
    let first = job.members.first().copied().unwrap_or(0);
    let fault = |replica| Err(InvariantError::MovedJob { job: j, replica });
    if job.moving && (job.phase != JobPhase::Decode || job.running.is_some() || !job.settled) {
        return fault(first);
    }
    let moved_members = st.sizing.decode_group_size(job.input, job.output) as usize;
    if job
        .members
        .iter()
        .any(|&m| st.replicas[m as usize].decode_only)
    {
        // Only a decode-pool hand-over puts a long job there, whole, on its KV group.
        if let Some(&m) = job
            .members
            .iter()
            .find(|&&m| !st.replicas[m as usize].decode_only)
        {
            return fault(m);
        }
        if !st.rules.long_handover() || job.members.len() != moved_members || !job.settled {
            return fault(first);
        }
    }
    // Scaled in (or never above it): a settled elastic decode holds at most its KV group.
    let elastic = st.rules.elastic_sp.is_some() && !st.rules.long_handover();
    if elastic && job.settled && job.phase == JobPhase::Decode && job.members.len() > moved_members
    {
        return fault(first);
    }
    Ok(())
}
