//! [`OpCache`]: a memo of the op times of an iteration that depend only on its token count
//! (the per-layer GEMMs, all-reduces and elementwise ops) or only on its sequence count (the
//! LM head). A decode run of the same batch size reprices only its attention, which is what
//! changes from step to step; the sum is formed by the same [`PerfModel::total_s`] as the
//! uncached path, so cached and uncached times agree bit for bit.

use super::replica::TokenOps;
use super::{BatchShape, PerfModel};
use crate::time::SimDuration;

/// Entries per table (a power of two): batch sizes up to it never collide.
const SLOTS: usize = 1024;

/// Memoised per-layer op times for one [`PerfModel`], direct-mapped by token count, and LM
/// head times by row count. Use one cache with one model only.
#[derive(Clone, Debug)]
pub struct OpCache {
    /// (token count + 1, or 0 when empty; the op times at that count).
    tokens: Vec<(u64, TokenOps<f64>)>,
    rows: Vec<(u64, f64)>,
}

impl Default for OpCache {
    fn default() -> OpCache {
        OpCache {
            tokens: vec![(0, TokenOps::default()); SLOTS],
            rows: vec![(0, 0.0); SLOTS],
        }
    }
}

impl OpCache {
    fn token_times(&mut self, perf: &PerfModel, x: u64) -> TokenOps<f64> {
        let slot = &mut self.tokens[x as usize & (SLOTS - 1)];
        if slot.0 != x.wrapping_add(1) {
            *slot = (x.wrapping_add(1), perf.token_ops(x as f64).times());
        }
        slot.1
    }

    fn lm_head_s(&mut self, perf: &PerfModel, rows: u64) -> f64 {
        let slot = &mut self.rows[rows as usize & (SLOTS - 1)];
        if slot.0 != rows.wrapping_add(1) {
            *slot = (rows.wrapping_add(1), perf.lm_head_op(rows as f64).time_s());
        }
        slot.1
    }
}

impl PerfModel {
    /// [`PerfModel::iteration_time`] through `cache` (which must only ever be used with this
    /// model): the same value, bit for bit.
    pub fn iteration_time_cached(&self, cache: &mut OpCache, b: &BatchShape) -> SimDuration {
        if b.is_empty() {
            return SimDuration::ZERO;
        }
        let t = cache.token_times(self, b.total_tokens());
        let rows = b.prefill_seqs as u64 + b.decode_seqs as u64;
        let lm = cache.lm_head_s(self, rows);
        let [prefill, decode] = self.attention_ops(b);
        let layer = t.with_attention(prefill.map(|p| p.time_s()), decode.map(|d| d.time_s()));
        SimDuration::from_secs_f64(self.total_s(layer, lm, rows as f64))
    }
}
