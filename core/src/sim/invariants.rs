//! Checks of the engine's invariants, for tests: KV accounting, queue accounting, where each
//! request is, long-job membership and prefill-work conservation.

use super::Simulation;
use super::job::JobPhase;

impl Simulation {
    /// Checks every invariant of the current state; `Err` says which one broke and where.
    pub fn check_invariants(&self) -> Result<(), String> {
        let st = &self.st;
        // Where each arrived request is: exactly one place.
        let mut place = vec![0u8; st.reqs.len()];
        let mut seen = |id: u32, what: &str| -> Result<(), String> {
            let p = &mut place[id as usize];
            *p += 1;
            if *p > 1 {
                Err(format!("request {id} is in two places (second: {what})"))
            } else {
                Ok(())
            }
        };
        for &id in st.global.iter().flatten() {
            seen(id, "global queue")?;
        }
        let mut dest_kv = vec![0u64; st.replicas.len()];
        for (&id, (seq, to)) in &st.in_transit {
            seen(id, "in transit")?;
            dest_kv[*to as usize] += seq.kv_reserved;
        }
        for (i, r) in st.replicas.iter().enumerate() {
            let mut kv = dest_kv[i];
            let mut queued = 0;
            for &id in &r.queue {
                seen(id, "local queue")?;
                queued += st.reqs[id as usize].input_tokens as u64;
            }
            for s in r.seqs.iter().chain(&r.incoming) {
                seen(s.req, "running batch")?;
                kv += s.kv_reserved;
                if s.prefilled > s.input || s.generated > s.output {
                    return Err(format!(
                        "request {} overran its lengths on replica {i}",
                        s.req
                    ));
                }
            }
            if let Some(j) = r.job {
                let job = &st.jobs[j as usize];
                if !job.members.contains(&(i as u32)) || job.phase == JobPhase::Done {
                    return Err(format!(
                        "replica {i} points at job {j} which does not hold it"
                    ));
                }
                if matches!(job.phase, JobPhase::Prefill | JobPhase::Decode) {
                    kv += job.kv_per_member;
                    if job.running.is_some() && r.iter.is_some() {
                        return Err(format!(
                            "replica {i} runs its own batch while job {j} drives it"
                        ));
                    }
                }
            }
            let key = (r.job.is_none() && !r.decode_only).then_some(r.queued_tokens);
            if st.indexed[i] != key || key.is_some_and(|k| !st.free_index.contains(&(k, i as u32)))
            {
                return Err(format!(
                    "replica {i}: free index holds {:?}, expected {key:?}",
                    st.indexed[i]
                ));
            }
            if queued != r.queued_tokens {
                return Err(format!(
                    "replica {i}: queued tokens {} but queue holds {queued}",
                    r.queued_tokens
                ));
            }
            if kv != r.kv_used {
                return Err(format!(
                    "replica {i}: KV used {} but reservations sum to {kv}",
                    r.kv_used
                ));
            }
            if r.kv_used > r.kv_capacity {
                return Err(format!(
                    "replica {i}: KV used {} exceeds capacity {}",
                    r.kv_used, r.kv_capacity
                ));
            }
        }
        if st.free_by_node.iter().map(|n| n.len()).sum::<usize>() != st.free_index.len() {
            return Err("per-node free index disagrees with the free index".into());
        }
        if st.free_index.len() != st.indexed.iter().filter(|k| k.is_some()).count() {
            return Err("free index has stale entries".into());
        }
        for (j, job) in st.jobs.iter().enumerate() {
            if job.prefill_done > job.prefill_total {
                return Err(format!("job {j} did more prefill work than it has"));
            }
            if job.phase == JobPhase::Done {
                if job.prefill_done != job.prefill_total || job.generated != job.output {
                    return Err(format!("job {j} finished without doing all its work"));
                }
                continue;
            }
            seen(job.req, "long job")?;
            for &m in &job.members {
                if st.replicas[m as usize].job != Some(j as u32) {
                    return Err(format!(
                        "job {j} holds replica {m} which does not point back"
                    ));
                }
            }
        }
        // Liveness: nothing idle with work it could start (a missed wake-up strands work).
        match st.idle_with_work() {
            Some(super::liveness::Idle::Replica(r)) => {
                return Err(format!(
                    "replica {r} is idle with work it could start (missed wake-up)"
                ));
            }
            Some(super::liveness::Idle::Job(j)) => {
                return Err(format!(
                    "long job {j} (request {}) could run but is not running (missed wake-up)",
                    st.jobs[j as usize].req
                ));
            }
            None => {}
        }
        for (id, rec) in st.records.iter().enumerate() {
            let arrived = (id as u32) < st.next_arrival;
            let done = rec.completion.is_some() || rec.rejected;
            let placed = place[id] == 1;
            if arrived && !done && !placed {
                return Err(format!("request {id} arrived, is not done, and is nowhere"));
            }
            if done && placed && rec.completion.is_some() {
                return Err(format!("request {id} completed but is still held"));
            }
            if let (Some(a), Some(b)) = (rec.prefill_start, rec.first_token)
                && b < a
            {
                return Err(format!("request {id}: first token before prefill start"));
            }
            if let (Some(a), Some(b)) = (rec.first_token, rec.completion)
                && b < a
            {
                return Err(format!("request {id}: completion before first token"));
            }
        }
        Ok(())
    }
}
