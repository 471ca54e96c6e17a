//! Aggregate metrics as the paper reports them (§3.5): queueing-delay percentiles, throughput,
//! mean JCT (over the completed requests, and over every request with the unfinished ones
//! censored), starvation share, preemptions and the GPU idle rate (Eq. 1), plus TTFT and TBT.
//! Rates and service are measured over the run's [`MetricsWindow`]; docs/metrics.md defines
//! each figure once, in words, as the code here does.
//!
//! Every figure is computed from integer nanoseconds with IEEE-exact arithmetic (`+ − × ÷`, no
//! transcendental functions), so summaries are bit-identical natively and in wasm.

use super::class_pass::ClassPass;
use super::record::{Class, Records, RequestRecord};
use super::slo::{Slo, SloAttainment};
use super::stop::StopReason;
use super::window::{CensoredMean, CensoredP99, MetricsWindow};
use crate::policy_kind::PolicyKind;
use crate::time::SimTime;
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
    /// Percentiles of nanosecond samples (the needed order statistics are selected in place,
    /// largest rank first, each selection narrowing the next: O(n) instead of a sort, the same
    /// values as [`nearest_rank`] over the sorted samples).
    pub fn of(mut samples: Vec<u64>) -> Percentiles {
        let n = samples.len();
        if n == 0 {
            return Percentiles::default();
        }
        let sum: u128 = samples.iter().map(|&v| v as u128).sum();
        let max = *samples.iter().max().unwrap_or(&0);
        let mut value = [0u64; 6];
        let mut end = n;
        for (slot, q) in [99, 90, 75, 50, 25, 1].into_iter().enumerate() {
            let i = crate::stats::nearest_rank_index(n as u64, f64::from(q)).unwrap_or(0) as usize;
            // Every rank below the previous one lies in the part left of it.
            let part = &mut samples[..end.max(i + 1)];
            let (_, v, _) = part.select_nth_unstable(i);
            value[slot] = *v;
            end = i;
        }
        let secs = |ns: u64| ns as f64 / 1e9;
        Percentiles {
            n: n as u64,
            p1: secs(value[5]),
            p25: secs(value[4]),
            p50: secs(value[3]),
            p75: secs(value[2]),
            p90: secs(value[1]),
            p99: secs(value[0]),
            max: secs(max),
            mean: (sum / n as u128) as f64 / 1e9,
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
    /// Requests that had not started executing by the window's horizon (or where the run
    /// stopped, if earlier): never served.
    pub starved: u64,
    /// Requests that started but did not complete by the end of the run.
    pub unfinished: u64,
    /// Requests that can never be served on this cluster (too large).
    pub rejected: u64,
    /// Share of requests never served: (starved + rejected) / count.
    pub starvation_share: f64,
    /// Arrival → first prefill execution, over requests that started.
    pub queueing_delay: Percentiles,
    /// Arrival → first token.
    pub ttft: Percentiles,
    /// Mean time between tokens, per request.
    pub tbt: Percentiles,
    /// Arrival → completion (job completion time), over the **completed** requests only.
    pub jct: Percentiles,
    /// Arrival → completion over **every** request of the class but the rejected ones, a
    /// request not completed by the horizon counted at its time in system there (censored:
    /// the mean is then a lower bound), with how many were censored.
    #[serde(default)]
    pub jct_all: CensoredMean,
    /// Arrival → first prefill execution (queueing delay) p99 over **every** request of the
    /// class but the rejected ones, a request not started by the horizon counted at its wait
    /// there (censored: a lower bound), with how many were censored. The paper's claims on
    /// short p99 delay are judged on this one: a policy that never starts most of its requests
    /// cannot look fast.
    #[serde(default)]
    pub queueing_delay_all: CensoredP99,
    /// Requests of this class completed per second over the window's rate span (the arrivals'
    /// span): completions inside it ÷ its length.
    pub throughput_rps: f64,
    /// Total preemptions suffered by requests of this class.
    pub preemptions: u64,
    /// What the class's requests met of the run's SLO (attainment, goodput;
    /// [`super::Slo`]). Zero in summaries written before it existed.
    #[serde(default)]
    pub slo: SloAttainment,
    /// Why requests of this class were rejected (the first rejected one's reason), if any was.
    #[serde(default)]
    pub rejection: Option<String>,
    /// The window the run was measured over (the same for both classes; see
    /// [`Summary::window`]). Zero in summaries written before it existed.
    #[serde(default)]
    pub window: MetricsWindow,
}

impl ClassSummary {
    /// Summarises the records of `class` over `window`, the run having observed the cluster
    /// until `observed_until` (its horizon if it reached it, else its last event).
    pub fn of<R: Records + ?Sized>(
        records: &R,
        class: Class,
        window: MetricsWindow,
        observed_until: SimTime,
    ) -> ClassSummary {
        // One pass over the records (the engine's store rebuilds them as they are read: no
        // copy of every record is held).
        let mut pass = ClassPass::new(window, observed_until, None);
        for r in records.each().filter(|r| r.class == class) {
            pass.push(&r);
        }
        pass.finish()
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
    #[serde(with = "crate::policy_kind::as_id")]
    pub policy: PolicyKind,
    /// Short requests.
    pub short: ClassSummary,
    /// Long requests.
    pub long: ClassSummary,
    /// The paper's Eq. 1, Σ idle / Σ (busy + idle) over GPUs, over the window's rate span (the
    /// arrivals' span, [`Summary::window`]).
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
    /// Prefix caching's hits and evictions, when the run cached prefixes
    /// (docs/prefix-caching.md); absent otherwise.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub prefix: Option<super::PrefixSummary>,
}

/// What the engine hands the metrics when a run ends (see [`Summary::of`]).
#[derive(Debug)]
pub struct RunEnd<'a, R: Records + ?Sized = [RequestRecord]> {
    /// The policy that ran.
    pub policy: PolicyKind,
    /// Every request's record.
    pub records: &'a R,
    /// The window the run is measured over.
    pub window: MetricsWindow,
    /// GPUs of the cluster.
    pub gpus: u64,
    /// GPU-nanoseconds of work inside the window's rate span (a replica's iteration counts its
    /// TP GPUs, a long job's segment every GPU of its group), as far as the run got.
    pub busy_gpu_ns: u128,
    /// The last event processed.
    pub end: SimTime,
    /// Events processed.
    pub events: u64,
    /// Hash of the event log.
    pub log_hash: String,
    /// Why the run ended before serving everything, if it did.
    pub stopped: Option<StopReason>,
    /// The SLOs the requests are judged against.
    pub slo: Slo,
}

impl Summary {
    /// The summary of a run. A complete run (every request served or rejected) or one that
    /// stopped at its horizon observed the cluster up to the horizon (nothing happened between
    /// its last event and the horizon); a partial run (stalled, event limit, ended early) only
    /// up to its last event: starvation and censoring are judged there, and the rate span is
    /// cut there.
    pub fn of<R: Records + ?Sized>(run: RunEnd<'_, R>) -> Summary {
        let observed_until = match &run.stopped {
            Some(why) if why.is_partial() => run.end,
            _ => run.window.horizon().max(run.end),
        };
        let (from, to) = run.window.observed_rate_span(observed_until);
        let total = run.gpus as u128 * (to.0 - from.0) as u128;
        let gpu_idle_rate = if total == 0 {
            0.0
        } else {
            (1.0 - run.busy_gpu_ns as f64 / total as f64).clamp(0.0, 1.0)
        };
        // One pass over the records for both classes and their SLOs.
        let pass = |c: Class| ClassPass::new(run.window, observed_until, Some(*run.slo.class(c)));
        let (mut short, mut long) = (pass(Class::Short), pass(Class::Long));
        for r in run.records.each() {
            match r.class {
                Class::Short => short.push(&r),
                Class::Long => long.push(&r),
            }
        }
        Summary {
            policy: run.policy,
            short: short.finish(),
            long: long.finish(),
            gpu_idle_rate,
            makespan_s: run.end.as_secs_f64(),
            events: run.events,
            log_hash: run.log_hash,
            stopped: run.stopped,
            prefix: None,
        }
    }

    /// The window the run was measured over.
    pub fn window(&self) -> MetricsWindow {
        self.short.window
    }

    /// Goodput: requests of both classes that met their SLO, completed inside the rate span,
    /// per second of it ([`SloAttainment::goodput_rps`]).
    pub fn goodput_rps(&self) -> f64 {
        self.short.slo.goodput_rps + self.long.slo.goodput_rps
    }

    /// Whether every class met its SLO for at least `permille` ‰ of its requests (the
    /// `capacity` command's criterion; a class with no request meets it).
    pub fn attains(&self, permille: u32) -> bool {
        let ok = |c: &ClassSummary| c.slo.met * 1000 >= u64::from(permille) * c.count;
        ok(&self.short) && ok(&self.long)
    }

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
