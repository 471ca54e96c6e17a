//! Prefill/decode disaggregation: finished short prefills hand their KV to a decode-only
//! replica (layer-wise streaming, so only the part of the transfer not hidden behind compute is
//! exposed); first tokens and completions are recorded here too, each the calibration's
//! per-request cost (`request_overhead_s`) after the iteration that produced it.

use super::engine::State;
use super::event::Event;
use super::log::LogTag;
use super::records::Stamp;
use super::replica::Applied;
use crate::time::SimDuration;

impl State {
    /// Records first tokens and completions of a replica's batch and hands finished prefills to
    /// decode replicas when short requests are disaggregated.
    pub(crate) fn after_batch(&mut self, r: u32, out: &Applied, batch_ns: u64) {
        let now = self.now;
        // The client sees each token the calibration's per-request cost later (API server,
        // tokenisation, streaming): no GPU time, only the recorded times.
        let seen = now + self.perf.request_overhead();
        for &id in &out.prefill_done {
            self.stamp(id, Stamp::FirstToken, seen);
        }
        for &id in &out.finished {
            self.stamp(id, Stamp::Completion, seen);
            self.log
                .record(LogTag::ShortCompleted, [now.0, id as u64, r as u64, 0]);
        }
        let rep_decode_only = self.replicas[r as usize].decode_only;
        if self.rules.disaggregated() && !rep_decode_only {
            for &id in &out.prefill_done {
                if self.stamped(id, Stamp::Completion).is_none() {
                    self.transfer_wait.push_back((id, r));
                }
            }
        }
        if self.rules.disaggregated() && (!out.finished.is_empty() || !out.prefill_done.is_empty())
        {
            self.start_transfers(SimDuration(batch_ns));
        }
    }

    /// Moves waiting finished prefills to the decode replica with the most free KV, in FIFO
    /// order, while one has room.
    pub(crate) fn start_transfers(&mut self, prefill_time: SimDuration) {
        while let Some(&(id, from)) = self.transfer_wait.front() {
            let r = self.reqs[id as usize];
            let need = r.input_tokens as u64 + r.output_tokens as u64;
            // The decode-only replica with the most free KV (lowest id on ties), if it has room.
            let target = self
                .decode_free
                .first()
                .filter(|(free, _)| free.0 >= need)
                .map(|&(_, r)| r);
            #[cfg(debug_assertions)]
            {
                let scan = self
                    .replicas
                    .iter()
                    .enumerate()
                    .filter(|(_, d)| d.decode_only && d.kv_free() >= need)
                    .max_by_key(|(i, d)| (d.kv_free(), std::cmp::Reverse(*i)))
                    .map(|(i, _)| i as u32);
                assert_eq!(target, scan, "decode-pool KV index out of date");
            }
            let Some(to) = target else { break };
            self.transfer_wait.pop_front();
            let mut seq = self.replicas[from as usize]
                .take_seq(id)
                .expect("finished prefill is on its replica");
            seq.kv_reserved = need;
            seq.handoff = false;
            // The prefill replica has a free sequence slot and KV again: it may admit queued
            // work, and a long job waiting for its KV may start.
            if !self.wake.contains(&from) {
                self.wake.push(from);
            }
            self.replicas[to as usize].reserve_kv(need);
            self.refile_decode_kv(to);
            let same_node = self.replicas[from as usize].node == self.replicas[to as usize].node;
            let delay = self.perf.layer_kv_stream_exposed_time(
                r.input_tokens as u64,
                same_node,
                prefill_time,
            );
            self.timeline.mark(
                from,
                self.now,
                super::timeline::MarkKind::HandoverOut { req: id, to },
            );
            self.sample(from);
            self.in_transit.insert(id, (seq, to));
            self.events.push(
                self.now + delay,
                Event::KvArrived {
                    req: id,
                    replica: to,
                },
            );
        }
    }
}
