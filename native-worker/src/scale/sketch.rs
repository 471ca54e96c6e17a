//! Decision-time statistics for `scale` in bounded memory: a log-linear histogram per class (128
//! buckets per power of two, so a reported percentile is within 0.8 % of the exact sample; exact
//! below 128 ns) instead of every sample, and one 4-byte decision time per request for the
//! decision ÷ JCT ratio (the JCT is known only when the run ends). Deterministic: the same
//! samples give the same answer whatever their order.

use crate::timed::DecisionLog;
use pecsched_core::metrics::{Class, RecordSink, RequestRecord};
use std::cell::RefCell;
use std::collections::VecDeque;
use std::rc::Rc;

/// Bits of the sub-bucket index: 2^7 = 128 buckets per power of two.
const SUB_BITS: u32 = 7;
const SUB: u64 = 1 << SUB_BITS;
/// Buckets for every `u64`: 128 exact ones, then 128 for each power of two from 2^7 to 2^63.
const BUCKETS: usize = (SUB as usize) * (64 - SUB_BITS as usize + 1);

/// A histogram of `u64` samples in log-linear buckets (fixed size, 59 KB).
#[derive(Clone, Debug)]
pub struct LogHistogram {
    counts: Vec<u64>,
    n: u64,
}

impl Default for LogHistogram {
    fn default() -> Self {
        LogHistogram {
            counts: vec![0; BUCKETS],
            n: 0,
        }
    }
}

fn bucket(v: u64) -> usize {
    if v < SUB {
        return v as usize;
    }
    let e = 63 - v.leading_zeros(); // ≥ SUB_BITS
    let sub = (v >> (e - SUB_BITS)) & (SUB - 1);
    ((e - SUB_BITS + 1) as u64 * SUB + sub) as usize
}

/// The smallest and largest value of bucket `i`.
fn bounds(i: usize) -> (u64, u64) {
    let i = i as u64;
    if i < SUB {
        return (i, i);
    }
    let e = i / SUB - 1 + SUB_BITS as u64;
    let sub = i % SUB;
    let width = 1u64 << (e - SUB_BITS as u64);
    let lo = (1u64 << e) + sub * width;
    (lo, lo + (width - 1))
}

impl LogHistogram {
    /// Counts one sample.
    pub fn record(&mut self, v: u64) {
        self.counts[bucket(v)] += 1;
        self.n += 1;
    }

    /// The nearest-rank `p`-th percentile (as [`pecsched_core::stats::nearest_rank`] ranks),
    /// reported as the middle of its bucket; `None` when empty.
    pub fn percentile(&self, p: f64) -> Option<u64> {
        if self.n == 0 {
            return None;
        }
        let rank = ((p * self.n as f64 / 100.0).ceil() as u64).clamp(1, self.n);
        let mut seen = 0;
        for (i, &c) in self.counts.iter().enumerate() {
            seen += c;
            if seen >= rank {
                let (lo, hi) = bounds(i);
                return Some(lo + (hi - lo) / 2);
            }
        }
        unreachable!("the counts add up to n")
    }
}

/// What a timed run collects: decision nanoseconds per class, and each request's own until its
/// record has been read.
#[derive(Debug)]
pub struct DecisionStats {
    /// Decision time per request, nanoseconds, by class `[short, long]`.
    pub ns: [LogHistogram; 2],
    /// Decision time of requests `base..`, nanoseconds (saturating at 4.3 s); `u32::MAX` when
    /// not placed. Requests whose record was read ([`RatioSink`]) are dropped from the front,
    /// so a streamed run holds only those in flight.
    per_request: VecDeque<u32>,
    base: u32,
}

impl DecisionStats {
    /// No decision yet.
    pub fn new() -> DecisionStats {
        DecisionStats {
            ns: Default::default(),
            per_request: VecDeque::new(),
            base: 0,
        }
    }

    /// Takes request `id`'s decision time, dropping it and every earlier one (records are read
    /// in id order).
    fn take(&mut self, id: u32) -> Option<u32> {
        let mut out = None;
        while self.base <= id {
            let Some(d) = self.per_request.pop_front() else {
                break;
            };
            if self.base == id {
                out = Some(d);
            }
            self.base += 1;
        }
        out.filter(|&d| d != u32::MAX)
    }
}

/// Decision time ÷ JCT per class `[short, long]`, in parts per trillion, over the records of
/// placed requests that completed, one record at a time: a [`RecordSink`] the records are
/// handed to as the run lets them go (or when it ends), so they are never all held.
pub struct RatioSink {
    stats: Rc<RefCell<DecisionStats>>,
    /// Decision time ÷ JCT per class `[short, long]`, parts per trillion, so far.
    pub out: [LogHistogram; 2],
}

impl RatioSink {
    /// Empty histograms over the decision times of `stats`.
    pub fn new(stats: Rc<RefCell<DecisionStats>>) -> RatioSink {
        RatioSink {
            stats,
            out: Default::default(),
        }
    }
}

impl RecordSink for RatioSink {
    fn push(&mut self, r: RequestRecord) {
        let Some(d) = self.stats.borrow_mut().take(r.id) else {
            return;
        };
        if let Some(j) = r.jct_ns().filter(|&j| j > 0) {
            let ppt = (d as f64 * 1e12 / j as f64).round() as u64;
            self.out[(r.class == Class::Long) as usize].record(ppt);
        }
    }
}

impl DecisionLog for DecisionStats {
    fn record(&mut self, req: u32, class: Class, ns: u64) {
        self.ns[(class == Class::Long) as usize].record(ns);
        let Some(i) = req.checked_sub(self.base) else {
            return;
        };
        let i = i as usize;
        if self.per_request.len() <= i {
            self.per_request.resize(i + 1, u32::MAX);
        }
        self.per_request[i] = ns.min(u32::MAX as u64 - 1) as u32;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn buckets_cover_every_value_in_order() {
        for v in [
            0,
            1,
            127,
            128,
            129,
            255,
            256,
            1_000,
            123_456_789,
            u64::MAX / 3,
            u64::MAX,
        ] {
            let (lo, hi) = bounds(bucket(v));
            assert!(lo <= v && v <= hi, "{v} outside its bucket {lo}..={hi}");
            // Within 1/128 of the value.
            assert!((hi - lo) <= v / 128, "{v}: bucket {lo}..={hi} too wide");
        }
        assert_eq!(bucket(u64::MAX), BUCKETS - 1);
        assert!(bucket(1 << 20) < bucket((1 << 20) + (1 << 13)));
    }

    #[test]
    fn percentiles_match_nearest_rank_within_the_bucket_width() {
        let mut h = LogHistogram::default();
        let mut exact: Vec<u64> = (1..=10_000u64).map(|i| i * i % 97_331 + i).collect();
        for &v in &exact {
            h.record(v);
        }
        exact.sort_unstable();
        for p in [1.0, 50.0, 99.0, 100.0] {
            let want = pecsched_core::stats::nearest_rank(&exact, p).unwrap();
            let got = h.percentile(p).unwrap();
            assert!(
                got.abs_diff(want) <= want / 128 + 1,
                "p{p}: {got} vs exact {want}"
            );
        }
        assert_eq!(h.n, 10_000);
        assert_eq!(LogHistogram::default().percentile(50.0), None);
    }

    /// The ratio sink counts placed, completed requests only, in the right class.
    #[test]
    fn ratio_sink_counts_placed_completed_requests() {
        use pecsched_core::time::SimTime;
        let stats = Rc::new(RefCell::new(DecisionStats::new()));
        stats.borrow_mut().record(0, Class::Short, 1_000);
        stats.borrow_mut().record(2, Class::Long, 2_000);
        let mut done = RequestRecord::new(0, Class::Short, 10, 5, SimTime(0));
        done.completion = Some(SimTime(1_000_000_000));
        let mut unplaced = done;
        unplaced.id = 1;
        let mut open = RequestRecord::new(2, Class::Long, 10, 5, SimTime(0));
        open.prefill_start = Some(SimTime(5));
        let mut sink = RatioSink::new(stats.clone());
        for r in [done, unplaced, open] {
            sink.push(r);
        }
        // Every request's decision time was let go once its record was read.
        assert!(stats.borrow().per_request.is_empty());
        assert_eq!(stats.borrow().base, 3);
        assert_eq!(sink.out[0].n, 1);
        assert_eq!(sink.out[1].n, 0);
        // 1 µs of a 1 s JCT: a millionth, 10^6 parts per trillion (within the bucket width).
        let got = sink.out[0].percentile(50.0).unwrap();
        assert!(got.abs_diff(1_000_000) <= 1_000_000 / 128, "{got}");
    }
}
