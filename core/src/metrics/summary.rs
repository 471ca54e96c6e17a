//! Aggregate metrics as the paper reports them: queueing-delay percentiles, throughput, mean
//! JCT, starvation share, preemptions and the GPU idle rate (Eq. 1), plus TTFT and TBT.
//!
//! Every figure is computed from integer nanoseconds with IEEE-exact arithmetic (`+ − × ÷`, no
//! transcendental functions), so summaries are bit-identical natively and in wasm.

use super::record::{Class, RequestRecord};
use super::stop::StopReason;
use crate::policy::PolicyKind;
use serde::{Deserialize, Serialize};

/// Percentiles of a latency distribution, in seconds (nearest-rank).
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Percentiles {
    /// Number of samples.
    pub n: u64,
    /// 1st percentile.
    pub p1: f64,
    /// 25th percentile.
    pub p25: f64,
    /// Median.
    pub p50: f64,
    /// 75th percentile.
    pub p75: f64,
    /// 90th percentile.
    pub p90: f64,
    /// 99th percentile.
    pub p99: f64,
    /// Maximum.
    pub max: f64,
    /// Arithmetic mean.
    pub mean: f64,
}

/// Nearest-rank percentile of sorted nanosecond samples (`q` in percent), in seconds.
pub fn nearest_rank(sorted: &[u64], q: u32) -> f64 {
    crate::stats::nearest_rank(sorted, f64::from(q)).map_or(0.0, |ns| ns as f64 / 1e9)
}

impl Percentiles {
    /// Percentiles of nanosecond samples (sorted here).
    pub fn of(mut samples: Vec<u64>) -> Percentiles {
        samples.sort_unstable();
        if samples.is_empty() {
            return Percentiles::default();
        }
        let sum: u128 = samples.iter().map(|&v| v as u128).sum();
        Percentiles {
            n: samples.len() as u64,
            p1: nearest_rank(&samples, 1),
            p25: nearest_rank(&samples, 25),
            p50: nearest_rank(&samples, 50),
            p75: nearest_rank(&samples, 75),
            p90: nearest_rank(&samples, 90),
            p99: nearest_rank(&samples, 99),
            max: *samples.last().unwrap_or(&0) as f64 / 1e9,
            mean: (sum / samples.len() as u128) as f64 / 1e9,
        }
    }
}

/// Metrics of one request class.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct ClassSummary {
    /// Requests of this class in the workload.
    pub count: u64,
    /// Requests that completed.
    pub completed: u64,
    /// Requests that never started executing by the end of the run.
    pub starved: u64,
    /// Requests that started but did not complete by the end of the run.
    pub unfinished: u64,
    /// Requests that can never be served on this cluster (too large).
    pub rejected: u64,
    /// Share of requests never served (starved + rejected) / count.
    pub starvation_share: f64,
    /// Arrival → first prefill execution, over requests that started.
    pub queueing_delay: Percentiles,
    /// Arrival → first token.
    pub ttft: Percentiles,
    /// Mean time between tokens, per request.
    pub tbt: Percentiles,
    /// Arrival → completion (job completion time).
    pub jct: Percentiles,
    /// Completed requests per second, over the first arrival → last completion of the class.
    pub throughput_rps: f64,
    /// Total preemptions suffered by requests of this class.
    pub preemptions: u64,
    /// Why requests of this class were rejected (the first rejected one's reason), if any was.
    #[serde(default)]
    pub rejection: Option<String>,
}

impl ClassSummary {
    /// Summarises the records of `class`.
    pub fn of(records: &[RequestRecord], class: Class) -> ClassSummary {
        let rs: Vec<&RequestRecord> = records.iter().filter(|r| r.class == class).collect();
        let count = rs.len() as u64;
        let completed = rs.iter().filter(|r| r.completion.is_some()).count() as u64;
        let rejected = rs.iter().filter(|r| r.rejected).count() as u64;
        let starved = rs.iter().filter(|r| !r.rejected && r.starved()).count() as u64;
        let unfinished = rs
            .iter()
            .filter(|r| r.prefill_start.is_some() && r.completion.is_none())
            .count() as u64;
        let first_arrival = rs.iter().map(|r| r.arrival.0).min().unwrap_or(0);
        let last_completion = rs
            .iter()
            .filter_map(|r| r.completion.map(|t| t.0))
            .max()
            .unwrap_or(0);
        let span = last_completion.saturating_sub(first_arrival);
        ClassSummary {
            count,
            completed,
            starved,
            unfinished,
            rejected,
            starvation_share: if count == 0 {
                0.0
            } else {
                (starved + rejected) as f64 / count as f64
            },
            queueing_delay: Percentiles::of(
                rs.iter().filter_map(|r| r.queueing_delay_ns()).collect(),
            ),
            ttft: Percentiles::of(rs.iter().filter_map(|r| r.ttft_ns()).collect()),
            tbt: Percentiles::of(rs.iter().filter_map(|r| r.tbt_ns()).collect()),
            jct: Percentiles::of(rs.iter().filter_map(|r| r.jct_ns()).collect()),
            throughput_rps: if span == 0 {
                0.0
            } else {
                completed as f64 / (span as f64 / 1e9)
            },
            preemptions: rs.iter().map(|r| r.preemptions as u64).sum(),
            rejection: rs
                .iter()
                .find_map(|r| r.rejected_reason)
                .map(|why| why.to_string()),
        }
    }

    /// Requests that could have been served but were not: never started or unfinished
    /// (rejected ones are counted apart).
    pub fn unserved(&self) -> u64 {
        self.count - self.completed - self.rejected
    }

    /// Whether every request of the class was served or rejected with a reason.
    pub fn fully_served(&self) -> bool {
        self.unserved() == 0
    }

    /// `served/total`, e.g. `5678/5693`.
    pub fn served_label(&self) -> String {
        format!("{}/{}", self.completed, self.count)
    }

    /// Whether most servable requests of the class were not served (more than half).
    pub fn mostly_unserved(&self) -> bool {
        self.unserved() * 2 > self.count - self.rejected
    }
}

/// The result of one simulation run.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Summary {
    /// The policy that ran (serialized as its id, e.g. `fifo`, `pecsched/fsp`).
    #[serde(with = "crate::ids::policy_id")]
    pub policy: PolicyKind,
    /// Short requests.
    pub short: ClassSummary,
    /// Long requests.
    pub long: ClassSummary,
    /// The paper's Eq. 1: Σ idle / Σ (busy + idle) over GPUs, from time 0 to the end of the run.
    pub gpu_idle_rate: f64,
    /// End of the run (last event processed), seconds.
    pub makespan_s: f64,
    /// Events the engine processed.
    pub events: u64,
    /// Hash of the engine's event log (identical runs ⇒ identical hash).
    pub log_hash: String,
    /// Why the run ended before serving every request that arrived, if it did (a stall, the
    /// drain horizon, the event limit, an early end).
    #[serde(default)]
    pub stopped: Option<StopReason>,
}

impl Summary {
    /// The summary of `class`.
    pub fn class(&self, class: Class) -> &ClassSummary {
        match class {
            Class::Short => &self.short,
            Class::Long => &self.long,
        }
    }

    /// Whether the run's results are partial or untrustworthy (stalled, event limit, ended
    /// early). A run that reached its drain horizon overloaded is complete, with work unserved.
    pub fn is_partial(&self) -> bool {
        self.stopped.as_ref().is_some_and(StopReason::is_partial)
    }

    /// Whether this class's figures may be ranked against other runs (e.g. shown in bold as
    /// the best): the run is not partial and every request of the class was served or
    /// rejected. Latencies of a run that left work unserved cover only what it served, so they
    /// can look better than those of a run that served everything.
    pub fn rankable(&self, class: Class) -> bool {
        !self.is_partial() && self.class(class).fully_served()
    }
}
