//! Runs of identical decode iterations in closed form.

use crate::perf::{BatchShape, OpCache, PerfModel};
use crate::time::SimDuration;

/// Duration of `steps` decode steps starting from `shape` (the KV read grows by one token per
/// decoding sequence per step), or of one iteration.
pub(crate) fn run_time(
    perf: &PerfModel,
    cache: &mut OpCache,
    shape: &BatchShape,
    decodes: u32,
    steps: u32,
) -> SimDuration {
    DecodeRun::new(perf, cache, shape, decodes, steps).elapsed(steps)
}

/// A run of `steps` decode-only iterations in closed form. A decode step's time is affine in
/// the KV tokens it reads (every op is either independent of them or a roofline whose compute
/// and memory terms are both proportional to them), so the k-th step takes
/// `first + (last − first)·k/(steps − 1)` and sums are exact up to nanosecond rounding. This
/// lets the engine advance runs of identical decode iterations in O(1) instead of one event per
/// token.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct DecodeRun {
    first: u128,
    last: u128,
    steps: u128,
}

impl DecodeRun {
    pub(crate) fn new(
        perf: &PerfModel,
        cache: &mut OpCache,
        shape: &BatchShape,
        decodes: u32,
        steps: u32,
    ) -> DecodeRun {
        let first = perf
            .iteration_time_cached(cache, shape)
            .max(SimDuration(1))
            .0 as u128;
        let last = if steps > 1 {
            let mut s = *shape;
            s.decode_kv_tokens += decodes as u64 * (steps as u64 - 1);
            perf.iteration_time_cached(cache, &s).max(SimDuration(1)).0 as u128
        } else {
            first
        };
        DecodeRun {
            first,
            last: last.max(first),
            steps: steps.max(1) as u128,
        }
    }

    /// Time of the first `m` steps.
    pub(crate) fn elapsed(&self, m: u32) -> SimDuration {
        let m = m as u128;
        let growth = if self.steps > 1 {
            (self.last - self.first) * m * m.saturating_sub(1) / (2 * (self.steps - 1))
        } else {
            0
        };
        SimDuration((m * self.first + growth).min(u64::MAX as u128) as u64)
    }

    /// The fewest steps whose time reaches `t` (at most `steps`).
    pub(crate) fn steps_to_reach(&self, t: SimDuration) -> u32 {
        let (mut lo, mut hi) = (1u32, self.steps as u32);
        while lo < hi {
            let mid = lo + (hi - lo) / 2;
            if self.elapsed(mid) >= t {
                hi = mid
            } else {
                lo = mid + 1
            }
        }
        lo
    }
}
