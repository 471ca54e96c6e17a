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

#[derive(Clone, Copy, Debug, Default)]
struct TokenEntry {
    /// The token count plus one (zero: empty).
    key: u64,
    qkv: f64,
    o: f64,
    ar: Option<f64>,
    gate_up: f64,
    down: f64,
    elementwise: Option<f64>,
}

/// Memoised per-layer op times for one [`PerfModel`], direct-mapped by token count, and LM
/// head times by row count. Use one cache with one model only.
#[derive(Clone, Debug)]
pub struct OpCache {
    tokens: Vec<TokenEntry>,
    rows: Vec<(u64, f64)>,
}

impl Default for OpCache {
    fn default() -> OpCache {
        OpCache {
            tokens: vec![TokenEntry::default(); SLOTS],
            rows: vec![(0, 0.0); SLOTS],
        }
    }
}

impl OpCache {
    fn token_entry(&mut self, perf: &PerfModel, x: u64) -> TokenEntry {
        let slot = &mut self.tokens[x as usize & (SLOTS - 1)];
        if slot.key != x.wrapping_add(1) {
            let TokenOps {
                qkv,
                o,
                ar,
                gate_up,
                down,
                elementwise,
            } = perf.token_ops(x as f64);
            *slot = TokenEntry {
                key: x.wrapping_add(1),
                qkv: qkv.time_s(),
                o: o.time_s(),
                ar: ar.map(|a| a.time_s()),
                gate_up: gate_up.time_s(),
                down: down.time_s(),
                elementwise: elementwise.map(|e| e.time_s()),
            };
        }
        *slot
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
        let t = cache.token_entry(self, b.total_tokens());
        let rows = b.prefill_seqs as u64 + b.decode_seqs as u64;
        let lm = cache.lm_head_s(self, rows);
        let [prefill, decode] = self.attention_ops(b);
        let layer = [
            Some(t.qkv),
            prefill.map(|p| p.time_s()),
            decode.map(|d| d.time_s()),
            Some(t.o),
            t.ar,
            Some(t.gate_up),
            Some(t.down),
            t.ar,
            t.elementwise,
        ];
        SimDuration::from_secs_f64(self.total_s(layer, lm, rows as f64))
    }
}
