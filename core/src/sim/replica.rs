//! One model replica (a tensor-parallel group of GPUs): its short sequences, local queue, KV
//! accounting and iteration-level continuous batching with chunked prefill.

use super::prefix_cache::{Hit, PrefixCache};
use super::window::IdWindow;
use crate::perf::BatchShape;
use crate::time::SimTime;
use crate::workload::{PrefixGroup, Request};
use std::collections::VecDeque;

/// A short request admitted to a replica's running batch.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Seq {
    pub req: u32,
    pub input: u32,
    pub output: u32,
    /// Prompt tokens already processed.
    pub prefilled: u32,
    /// Output tokens produced (the prefill produces the first).
    pub generated: u32,
    /// KV tokens reserved for this sequence on this replica.
    pub kv_reserved: u64,
    /// Prefill done on a prefill-only replica: waits for hand-over to a decode replica.
    pub handoff: bool,
    /// The request's prefix group (for the cache blocks it holds).
    pub prefix: PrefixGroup,
    /// Leading blocks of its prompt it holds in the replica's prefix cache (counted in
    /// `kv_used` by the cache, not in `kv_reserved`).
    pub held_blocks: u32,
}

impl Seq {
    pub fn in_prefill(&self) -> bool {
        self.prefilled < self.input
    }

    pub fn decoding(&self) -> bool {
        !self.handoff && !self.in_prefill() && self.generated < self.output
    }
}

/// What one iteration (or a run of identical decode iterations) of a replica does.
#[derive(Clone, Debug, Default, PartialEq)]
pub(crate) struct Batch {
    /// Aggregate shape of one step, at the run's first step.
    pub shape: BatchShape,
    /// Prefill chunks: (request id, new tokens).
    pub chunks: Vec<(u32, u32)>,
    /// Requests whose prefill starts in this batch (admitted from the local queue).
    pub started: Vec<u32>,
    /// Prompt tokens each admitted request found in the prefix cache (request id, tokens),
    /// in admission order.
    pub cached: Vec<(u32, u32)>,
    /// Number of decoding sequences.
    pub decodes: u32,
    /// Identical decode steps this batch runs (1 when it has prefill work).
    pub steps: u32,
}

impl Batch {
    pub fn is_empty(&self) -> bool {
        self.chunks.is_empty() && self.decodes == 0
    }

    /// This batch emptied, its vectors' storage kept for the next one.
    fn recycled(mut self) -> Batch {
        self.chunks.clear();
        self.started.clear();
        self.cached.clear();
        Batch {
            chunks: self.chunks,
            started: self.started,
            cached: self.cached,
            ..Batch::default()
        }
    }
}

/// How a replica may admit work when it forms a batch.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Admission {
    /// Whether requests may be admitted from the local queue.
    pub admit: bool,
    /// Whether an admitted request reserves KV for its output too (no disaggregation).
    pub reserve_output: bool,
    /// Token budget of the batch.
    pub token_budget: u32,
    /// Cap on prefill tokens in the batch.
    pub prefill_cap: u32,
    /// Cap on running sequences.
    pub max_seqs: u32,
    /// Whether the batch may run several decode steps (no one else needs the boundary).
    pub multi_step: bool,
    /// At most this many requests may be admitted from the local queue (`u32::MAX`: no
    /// limit). A paused long job limits its members to the short requests present at the
    /// pause (docs/paper.md §2.4).
    pub max_admits: u32,
}

/// An iteration in flight on a replica's own loop.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct InFlight {
    pub start: SimTime,
    pub end: SimTime,
    pub batch: Batch,
    /// The batch's decode run in closed form and the step count it was derived for: a cut
    /// re-derives it (two evaluations of the performance model) only once the steps changed.
    pub run: Option<(u32, super::decode_run::DecodeRun)>,
}

/// Results of applying a finished batch.
#[derive(Debug, Default)]
pub(crate) struct Applied {
    /// Requests whose prefill completed (first token produced).
    pub prefill_done: Vec<u32>,
    /// Requests that produced their last token.
    pub finished: Vec<u32>,
}

/// A replica's state.
#[derive(Clone, Debug)]
pub(crate) struct Replica {
    pub node: u32,
    pub decode_only: bool,
    /// Finished prefills leave for a decode replica (disaggregation) instead of decoding here.
    pub hands_off: bool,
    pub kv_capacity: u64,
    pub kv_used: u64,
    pub queue: VecDeque<u32>,
    pub queued_tokens: u64,
    pub seqs: Vec<Seq>,
    /// Sequences handed over by a prefill replica, admitted at the next batch.
    pub incoming: Vec<Seq>,
    /// The last finished batch, emptied: its storage is reused by the next one.
    spare: Batch,
    /// The long job at the head of this replica's long requests (pending, running or paused).
    pub job: Option<u32>,
    /// Long jobs dispatched here behind `job`, in dispatch order (docs/paper.md §3.4: a long
    /// request joins its replicas' local queues and starts at the head of all of them).
    pub long_queue: VecDeque<u32>,
    /// Input tokens of the long requests here (`job` and `long_queue`), counted in the load a
    /// long request's placement sees.
    pub long_tokens: u64,
    /// The replica's own iteration in flight.
    pub iter: Option<InFlight>,
    /// Bumped whenever an in-flight iteration is cut, to invalidate its end event.
    pub generation: u64,
    /// Set while a long job waits for this replica to stop its own loop.
    pub hold: bool,
    /// While this replica's long job is paused: how many more requests of the local queue
    /// belong to the pause's batch (the short requests present at the pause, docs/paper.md
    /// §2.4); later arrivals wait for the job to resume, then preempt it again.
    pub pause_admits: Option<u32>,
    /// Nanoseconds spent executing inside the metrics window's rate span (for the GPU idle
    /// rate, `MetricsWindow::rate_span_overlap_ns`).
    pub busy_ns: u64,
    /// The prefix cache, when the scenario caches prefixes (never on decode-only replicas).
    pub cache: Option<PrefixCache>,
}

impl Replica {
    pub fn new(node: u32, decode_only: bool, hands_off: bool, kv_capacity: u64) -> Replica {
        Replica {
            node,
            decode_only,
            hands_off,
            kv_capacity,
            kv_used: 0,
            queue: VecDeque::new(),
            queued_tokens: 0,
            seqs: Vec::new(),
            incoming: Vec::new(),
            spare: Batch::default(),
            job: None,
            long_queue: VecDeque::new(),
            long_tokens: 0,
            iter: None,
            generation: 0,
            hold: false,
            pause_admits: None,
            busy_ns: 0,
            cache: None,
        }
    }

    /// KV an admission may take: capacity not in use (evictable cached blocks count as free;
    /// [`Replica::reserve_kv`] evicts them when it needs their room).
    pub fn kv_free(&self) -> u64 {
        self.kv_capacity.saturating_sub(self.kv_used)
    }

    /// KV of cached blocks no sequence uses (occupied, but evictable).
    pub fn kv_evictable(&self) -> u64 {
        self.cache.as_ref().map_or(0, PrefixCache::evictable_tokens)
    }

    /// Takes `tokens` more KV into use, evicting least recently used idle cache blocks when
    /// the free KV does not hold them. The caller has checked `tokens <= kv_free()`.
    pub fn reserve_kv(&mut self, tokens: u64) {
        if let Some(c) = self.cache.as_mut() {
            let room = self
                .kv_capacity
                .saturating_sub(self.kv_used + c.evictable_tokens());
            if tokens > room {
                c.evict(tokens - room);
            }
        }
        self.kv_used += tokens;
        debug_assert!(self.kv_used + self.kv_evictable() <= self.kv_capacity);
    }

    /// The cached prefix of request `r` here (no blocks without a cache).
    pub fn cached_prefix(&self, r: &Request) -> Hit {
        match &self.cache {
            Some(c) => c.lookup(r.prefix, r.input_tokens),
            None => Hit::default(),
        }
    }

    /// Prompt tokens of `r` this replica's cache holds (for cache-aware dispatch).
    pub fn cached_prefix_tokens(&self, r: &Request) -> u64 {
        self.cache.as_ref().map_or(0, |c| {
            c.lookup(r.prefix, r.input_tokens).blocks as u64 * c.block_tokens()
        })
    }

    /// Releases the cache blocks `s` holds (they become evictable when no one else holds them).
    fn release_blocks(&mut self, s: &mut Seq) {
        if s.held_blocks == 0 {
            return;
        }
        let c = self
            .cache
            .as_mut()
            .expect("a sequence holds blocks only where there is a cache");
        let idle = c.release(s.prefix, s.held_blocks) as u64 * c.block_tokens();
        self.kv_used -= idle;
        s.held_blocks = 0;
    }

    /// After `s`'s prefill: its whole reusable prompt blocks join the cache (or, computed by
    /// another sequence meanwhile, are shared), moving their KV from its own reservation to
    /// the cache's books.
    fn cache_prompt(&mut self, s: &mut Seq) {
        let Some(c) = self.cache.as_mut() else {
            return;
        };
        let n = c.reusable_blocks(s.input);
        if s.prefix.is_none() || n <= s.held_blocks {
            return;
        }
        let bs = c.block_tokens();
        let fresh = (n - s.held_blocks) as u64;
        let (woke, added) = c.hold(s.prefix, s.held_blocks, n);
        // Each block now held moves out of the sequence's reservation into the cache's books:
        // a new block stays in use (same KV), an evictable one comes into use (the sequence's
        // copy is freed instead), one already in use is shared (the copy is freed).
        s.kv_reserved -= fresh * bs;
        self.kv_used -= (fresh - added as u64 - woke as u64) * bs;
        s.held_blocks = n;
    }

    /// Whether any short prefill work is admitted or queued here.
    pub fn has_prefill_work(&self) -> bool {
        !self.queue.is_empty() || self.seqs.iter().any(Seq::in_prefill)
    }

    /// The first request of the local queue, the KV it reserves for itself and its cached
    /// prefix here, if the replica would admit it now under `adm`: admission allowed, a
    /// sequence slot free (sequences handed over but not yet merged count), its KV fits (its
    /// own reservation, plus the idle cached blocks it starts using). The one admission rule
    /// of [`Replica::form_batch`], also read by the engine's liveness checks.
    pub fn admissible_head(
        &self,
        reqs: &IdWindow<Request>,
        adm: &Admission,
    ) -> Option<(u32, u64, Hit)> {
        if !adm.admit || adm.max_admits == 0 || adm.token_budget == 0 || adm.prefill_cap == 0 {
            return None;
        }
        let &id = self.queue.front()?;
        let r = &reqs[id as usize];
        let need = r.input_tokens as u64
            + if adm.reserve_output {
                r.output_tokens as u64
            } else {
                0
            };
        let seqs = (self.seqs.len() + self.incoming.len()) as u32;
        if seqs >= adm.max_seqs {
            return None;
        }
        let hit = self.cached_prefix(r);
        let bs = self.cache.as_ref().map_or(0, PrefixCache::block_tokens);
        let own = need - hit.blocks as u64 * bs;
        (own + hit.idle as u64 * bs <= self.kv_free()).then_some((id, own, hit))
    }

    /// Forms the next batch: running decodes, partial prefills, then admissions from the
    /// local queue in FIFO order while KV, sequence slots and the token budget allow.
    pub fn form_batch(&mut self, reqs: &IdWindow<Request>, adm: Admission) -> Batch {
        self.seqs.append(&mut self.incoming);
        let mut batch = std::mem::take(&mut self.spare).recycled();
        let mut budget = adm.token_budget;
        for s in &self.seqs {
            if s.decoding() {
                batch.shape.add_decode((s.input + s.generated) as u64);
                batch.decodes += 1;
                budget = budget.saturating_sub(1);
            }
        }
        let mut prefill_budget = budget.min(adm.prefill_cap);
        for s in &self.seqs {
            if prefill_budget == 0 {
                break;
            }
            if s.in_prefill() {
                let chunk = (s.input - s.prefilled).min(prefill_budget);
                batch
                    .shape
                    .add_prefill_chunk(chunk as u64, s.prefilled as u64);
                batch.chunks.push((s.req, chunk));
                prefill_budget -= chunk;
            }
        }
        let mut adm = adm;
        while prefill_budget > 0 {
            let Some((id, need, hit)) = self.admissible_head(reqs, &adm) else {
                break;
            };
            let r = &reqs[id as usize];
            self.queue.pop_front();
            self.queued_tokens -= r.input_tokens as u64;
            let mut cached = 0;
            if let Some(c) = self.cache.as_mut()
                && hit.blocks > 0
            {
                let bs = c.block_tokens();
                let (woke, added) = c.hold(r.prefix, 0, hit.blocks);
                debug_assert_eq!((woke, added), (hit.idle, 0));
                self.kv_used += woke as u64 * bs;
                cached = (hit.blocks as u64 * bs) as u32;
            }
            self.reserve_kv(need);
            self.seqs.push(Seq {
                req: id,
                input: r.input_tokens,
                output: r.output_tokens,
                prefilled: cached,
                generated: 0,
                kv_reserved: need,
                handoff: false,
                prefix: r.prefix,
                held_blocks: hit.blocks,
            });
            batch.cached.push((id, cached));
            // The cached prefix is not recomputed: the chunk runs as new tokens after it.
            let chunk = (r.input_tokens - cached).min(prefill_budget);
            batch.shape.add_prefill_chunk(chunk as u64, cached as u64);
            batch.chunks.push((id, chunk));
            batch.started.push(id);
            prefill_budget -= chunk;
            adm.max_admits -= 1;
        }
        batch.steps = if batch.chunks.is_empty() && batch.decodes > 0 && adm.multi_step {
            self.seqs
                .iter()
                .filter(|s| s.decoding())
                .map(|s| s.output - s.generated)
                .min()
                .unwrap_or(1)
        } else {
            1
        };
        batch
    }

    /// The exact shapes of `batch` (formed on this replica and not yet applied), plus a long
    /// request's local KV share when it decodes here too.
    pub fn detail(
        &self,
        replica: u32,
        batch: &Batch,
        long_decode_kv: Option<u32>,
    ) -> crate::sim::oracle::IterationDetail {
        let mut d = crate::sim::oracle::IterationDetail {
            replica,
            ..Default::default()
        };
        for s in &self.seqs {
            if s.decoding() {
                d.decode.push(s.input + s.generated);
            }
        }
        for &(req, chunk) in &batch.chunks {
            let prefix = self
                .seqs
                .iter()
                .find(|s| s.req == req)
                .map_or(0, |s| s.prefilled);
            d.prefill.push((chunk, prefix));
        }
        d.decode.extend(long_decode_kv);
        d
    }

    /// Keeps `batch` (done with) so that the next [`Replica::form_batch`] reuses its storage.
    pub fn recycle(&mut self, batch: Batch) {
        self.spare = batch;
    }

    /// Applies `steps` steps of `batch` (all of them unless the batch was cut short).
    pub fn apply(&mut self, batch: &Batch, steps: u32, out: &mut Applied) {
        debug_assert!(steps >= 1 && steps <= batch.steps);
        // Decodes first: sequences that were decoding when the batch formed are exactly those
        // not given a prefill chunk and past their prefill.
        for s in self.seqs.iter_mut() {
            if s.decoding() {
                s.generated += steps;
                debug_assert!(s.generated <= s.output);
            }
        }
        for &(req, chunk) in &batch.chunks {
            let i = self
                .seqs
                .iter()
                .position(|s| s.req == req)
                .expect("a prefill chunk's sequence stays on its replica until the batch ends");
            let s = &mut self.seqs[i];
            s.prefilled += chunk;
            if !s.in_prefill() {
                s.generated = 1;
                s.handoff = self.hands_off;
                out.prefill_done.push(req);
                if self.cache.is_some() {
                    let mut s = self.seqs[i];
                    self.cache_prompt(&mut s);
                    self.seqs[i] = s;
                }
            }
        }
        let mut freed = 0;
        let mut done_seqs = Vec::new();
        self.seqs.retain(|s| {
            let done = !s.in_prefill() && s.generated >= s.output;
            if done {
                out.finished.push(s.req);
                freed += s.kv_reserved;
                if s.held_blocks > 0 {
                    done_seqs.push(*s);
                }
            }
            !done
        });
        self.kv_used -= freed;
        for mut s in done_seqs {
            self.release_blocks(&mut s);
        }
    }

    /// Removes a sequence (e.g. for hand-over to a decode replica), releasing its KV here
    /// (its cached prompt blocks stay in this replica's cache, evictable once unused).
    pub fn take_seq(&mut self, req: u32) -> Option<Seq> {
        let i = self.seqs.iter().position(|s| s.req == req)?;
        let mut s = self.seqs.remove(i);
        self.kv_used -= s.kv_reserved;
        self.release_blocks(&mut s);
        Some(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn req(id: u32, input: u32, output: u32) -> Request {
        Request {
            id,
            arrival: SimTime::ZERO,
            input_tokens: input,
            output_tokens: output,
            prefix: crate::workload::PrefixGroup::NONE,
        }
    }

    fn adm() -> Admission {
        Admission {
            admit: true,
            reserve_output: true,
            token_budget: 100,
            prefill_cap: u32::MAX,
            max_seqs: 8,
            multi_step: true,
            max_admits: u32::MAX,
        }
    }

    #[test]
    fn chunked_prefill_respects_the_token_budget_and_kv() {
        let reqs = IdWindow::from_vec(vec![req(0, 70, 3), req(1, 70, 2), req(2, 10, 1)]);
        let mut r = Replica::new(0, false, false, 1000);
        for i in 0..3 {
            r.queue.push_back(i);
            r.queued_tokens += reqs[i as usize].input_tokens as u64;
        }
        let b = r.form_batch(&reqs, adm());
        assert_eq!(b.chunks, vec![(0, 70), (1, 30)]);
        assert_eq!(b.steps, 1);
        assert_eq!(r.kv_used, 73 + 72);
        assert_eq!(r.queued_tokens, 10);
        let mut out = Applied::default();
        r.apply(&b, 1, &mut out);
        assert_eq!(out.prefill_done, vec![0]);
        // Next batch: one decode (req 0), the rest of req 1, then req 2.
        let b = r.form_batch(&reqs, adm());
        assert_eq!(b.decodes, 1);
        assert_eq!(b.chunks, vec![(1, 40), (2, 10)]);
        let mut out = Applied::default();
        r.apply(&b, 1, &mut out);
        assert_eq!(out.prefill_done, vec![1, 2]);
        assert_eq!(out.finished, vec![2]);
        assert_eq!(r.kv_used, 73 + 72);
        // Now only decodes: a run of identical steps until the first sequence finishes.
        let b = r.form_batch(&reqs, adm());
        assert!(b.chunks.is_empty());
        assert_eq!((b.decodes, b.steps), (2, 1)); // req 1 has 1 token left, req 0 has 1
        let mut out = Applied::default();
        r.apply(&b, 1, &mut out);
        assert_eq!(out.finished, vec![0, 1]);
        assert_eq!(r.kv_used, 0);
    }

    #[test]
    fn admission_waits_when_kv_is_full() {
        let reqs = IdWindow::from_vec(vec![req(0, 50, 10), req(1, 50, 10)]);
        let mut r = Replica::new(0, false, false, 100);
        r.queue.extend([0, 1]);
        r.queued_tokens = 100;
        let b = r.form_batch(&reqs, adm());
        assert_eq!(b.chunks, vec![(0, 50)]);
        assert_eq!(r.queue.len(), 1);
        let mut out = Applied::default();
        r.apply(&b, 1, &mut out);
        let b = r.form_batch(&reqs, adm());
        assert_eq!(
            b.steps, 9,
            "a decode run lasts until the first sequence finishes"
        );
    }
}
