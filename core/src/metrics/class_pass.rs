//! One pass over a run's records: each record is read once and feeds every figure of its
//! class ([`ClassPass`]), so a summary of tens of millions of records read back from disk
//! costs one read, not one per figure. The figures are those [`ClassSummary`] and
//! [`SloAttainment`] define; the values each percentile needs are kept (exact, as before).

use super::record::RequestRecord;
use super::slo::{ClassSlo, SloAttainment};
use super::summary::{ClassSummary, Percentiles};
use super::window::{CensoredMean, CensoredP99, MetricsWindow};
use crate::time::SimTime;

/// The figures of one class, accumulated record by record (in id order).
pub(crate) struct ClassPass {
    window: MetricsWindow,
    /// Where service is judged: the horizon, or the last event of a partial run.
    judged_at: SimTime,
    /// The rate span as observed.
    from: SimTime,
    to: SimTime,
    slo: Option<ClassSlo>,
    count: u64,
    completed: u64,
    rejected: u64,
    starved: u64,
    unfinished: u64,
    in_span: u64,
    preemptions: u64,
    rejection: Option<super::record::Rejection>,
    queueing: Vec<u64>,
    ttft: Vec<u64>,
    tbt: Vec<u64>,
    jct: Vec<u64>,
    /// Censored JCT over the non-rejected: count, censored, sum of nanoseconds.
    jct_all: (u64, u64, u128),
    /// Censored queueing delays over the non-rejected, and how many were censored.
    queueing_all: Vec<u64>,
    queueing_censored: u64,
    slo_met: u64,
    slo_in_span: u64,
}

impl ClassPass {
    /// An empty pass over `window` as observed until `observed_until`, judging the SLO
    /// `slo` if given.
    pub fn new(window: MetricsWindow, observed_until: SimTime, slo: Option<ClassSlo>) -> Self {
        let (from, to) = window.observed_rate_span(observed_until);
        ClassPass {
            window,
            judged_at: window.horizon().min(observed_until),
            from,
            to,
            slo,
            count: 0,
            completed: 0,
            rejected: 0,
            starved: 0,
            unfinished: 0,
            in_span: 0,
            preemptions: 0,
            rejection: None,
            queueing: Vec::new(),
            ttft: Vec::new(),
            tbt: Vec::new(),
            jct: Vec::new(),
            jct_all: (0, 0, 0),
            queueing_all: Vec::new(),
            queueing_censored: 0,
            slo_met: 0,
            slo_in_span: 0,
        }
    }

    /// Reads one record of the class.
    pub fn push(&mut self, r: &RequestRecord) {
        let judged_at = self.judged_at;
        let started = r.prefill_start.is_some_and(|t| t <= judged_at);
        let in_span = r.completion.is_some_and(|t| t >= self.from && t <= self.to);
        self.count += 1;
        self.completed += u64::from(r.completion.is_some());
        self.rejected += u64::from(r.rejected);
        self.starved += u64::from(!r.rejected && !started);
        self.unfinished += u64::from(started && r.completion.is_none());
        self.in_span += u64::from(in_span);
        self.preemptions += r.preemptions as u64;
        if self.rejection.is_none() {
            self.rejection = r.rejected_reason;
        }
        self.queueing.extend(r.queueing_delay_ns());
        self.ttft.extend(r.ttft_ns());
        self.tbt.extend(r.tbt_ns());
        self.jct.extend(r.jct_ns());
        if !r.rejected {
            // Right-censored at `judged_at` (CensoredMean, CensoredP99).
            let censor = |end: Option<SimTime>| match end {
                Some(e) if e <= judged_at => (e, false),
                _ => (judged_at, true),
            };
            let (end, censored) = censor(r.completion);
            let (n, c, sum) = &mut self.jct_all;
            *n += 1;
            *c += u64::from(censored);
            *sum += end.0.saturating_sub(r.arrival.0) as u128;
            let (start, censored) = censor(r.prefill_start);
            self.queueing_censored += u64::from(censored);
            self.queueing_all.push(start.0.saturating_sub(r.arrival.0));
        }
        if let Some(slo) = &self.slo
            && slo.met(r)
        {
            self.slo_met += 1;
            self.slo_in_span += u64::from(in_span);
        }
    }

    /// The class's figures.
    pub fn finish(self) -> ClassSummary {
        let span_s = if self.to > self.from {
            Some((self.to.0 - self.from.0) as f64 / 1e9)
        } else {
            None
        };
        let rate = |n: u64| span_s.map_or(0.0, |s| n as f64 / s);
        let (n, censored, sum) = self.jct_all;
        let mut queueing_all = self.queueing_all;
        let queueing_p99 = crate::stats::nearest_rank_unsorted(&mut queueing_all, 99.0);
        ClassSummary {
            count: self.count,
            completed: self.completed,
            starved: self.starved,
            unfinished: self.unfinished,
            rejected: self.rejected,
            starvation_share: if self.count == 0 {
                0.0
            } else {
                (self.starved + self.rejected) as f64 / self.count as f64
            },
            queueing_delay: Percentiles::of(self.queueing),
            ttft: Percentiles::of(self.ttft),
            tbt: Percentiles::of(self.tbt),
            jct: Percentiles::of(self.jct),
            jct_all: CensoredMean {
                n,
                censored,
                mean_s: if n == 0 {
                    0.0
                } else {
                    (sum / n as u128) as f64 / 1e9
                },
            },
            queueing_delay_all: CensoredP99 {
                n: queueing_all.len() as u64,
                censored: self.queueing_censored,
                p99_s: queueing_p99.map_or(0.0, |x| x as f64 / 1e9),
            },
            throughput_rps: rate(self.in_span),
            preemptions: self.preemptions,
            slo: match self.slo {
                None => SloAttainment::default(),
                Some(_) => SloAttainment {
                    met: self.slo_met,
                    attainment: if self.count == 0 {
                        1.0
                    } else {
                        self.slo_met as f64 / self.count as f64
                    },
                    goodput_rps: rate(self.slo_in_span),
                },
            },
            rejection: self.rejection.map(|why| why.to_string()),
            window: self.window,
        }
    }
}
