//! The replay's results: per-iteration error statistics by kind, the headline metrics per
//! policy under modelled and measured execution, and whether the policy ranking survives.

use pecsched_core::metrics::{StopReason, Summary};
use pecsched_core::sim::oracle::IterKind;
use serde::Serialize;

use super::oracle::IterRecord;

/// |measured − predicted| / measured statistics over a set of iterations.
#[derive(Clone, Debug, Default, Serialize)]
pub struct ErrorStats {
    /// Iterations.
    pub n: usize,
    /// Median relative |error|.
    pub median: f64,
    /// 90th percentile.
    pub p90: f64,
    /// 99th percentile.
    pub p99: f64,
    /// Median of measured / predicted (above 1: the model is optimistic).
    pub median_ratio: f64,
}

/// Nearest-rank percentile of sorted `v` (0 when empty).
fn pct(v: &[f64], p: f64) -> f64 {
    if v.is_empty() {
        return 0.0;
    }
    let i = ((p / 100.0) * v.len() as f64).ceil() as usize;
    v[i.clamp(1, v.len()) - 1]
}

impl ErrorStats {
    /// Statistics of `iters` (relative to the measured time, the ground truth).
    pub fn of<'a>(iters: impl Iterator<Item = &'a IterRecord>) -> ErrorStats {
        let mut err = Vec::new();
        let mut ratio = Vec::new();
        for r in iters {
            err.push((r.measured_s - r.predicted_s).abs() / r.measured_s.max(1e-12));
            ratio.push(r.measured_s / r.predicted_s.max(1e-12));
        }
        err.sort_by(f64::total_cmp);
        ratio.sort_by(f64::total_cmp);
        ErrorStats {
            n: err.len(),
            median: pct(&err, 50.0),
            p90: pct(&err, 90.0),
            p99: pct(&err, 99.0),
            median_ratio: pct(&ratio, 50.0),
        }
    }
}

/// Median measured / predicted of the GEMM part and of the attention part of every iteration
/// (iterations whose part is predicted as zero are skipped).
pub fn part_ratios(iters: &[IterRecord]) -> [f64; 2] {
    let med = |f: &dyn Fn(&IterRecord) -> [f64; 2]| {
        let mut v: Vec<f64> = iters
            .iter()
            .map(f)
            .filter(|p| p[1] > 0.0)
            .map(|p| p[0] / p[1])
            .collect();
        v.sort_by(f64::total_cmp);
        pct(&v, 50.0)
    };
    [med(&|r| r.gemm_s), med(&|r| r.attn_s)]
}

/// Error statistics overall and by kind (kinds with no iteration are left out).
pub fn by_kind(iters: &[IterRecord]) -> Vec<(String, ErrorStats)> {
    let mut out = vec![("all".to_string(), ErrorStats::of(iters.iter()))];
    for k in [
        IterKind::Prefill,
        IterKind::Decode,
        IterKind::Mixed,
        IterKind::Colocated,
    ] {
        let s = ErrorStats::of(iters.iter().filter(|r| r.kind == k));
        if s.n > 0 {
            out.push((format!("{k:?}").to_lowercase(), s));
        }
    }
    out
}

/// The headline metrics of one run.
#[derive(Clone, Debug, Serialize)]
pub struct Headline {
    /// Short requests' p99 queueing delay, seconds.
    pub short_p99_queueing_s: f64,
    /// Short requests completed per second.
    pub short_throughput_rps: f64,
    /// Long requests' mean JCT, seconds.
    pub long_mean_jct_s: f64,
    /// Short / long requests completed of their count.
    pub completed: [u64; 4],
    /// Why the run stopped early, if it did.
    pub stopped: Option<StopReason>,
}

impl Headline {
    /// From a run's summary.
    pub fn of(s: &Summary) -> Headline {
        Headline {
            short_p99_queueing_s: s.short.queueing_delay.p99,
            short_throughput_rps: s.short.throughput_rps,
            long_mean_jct_s: s.long.jct.mean,
            completed: [
                s.short.completed,
                s.short.count,
                s.long.completed,
                s.long.count,
            ],
            stopped: s.stopped.clone(),
        }
    }
}

/// Policy ids ordered best first by each headline metric (lower delay and JCT, higher
/// throughput), for `runs` of (policy, headline).
pub fn ranking(runs: &[(String, Headline)]) -> [Vec<String>; 3] {
    let order = |key: &dyn Fn(&Headline) -> f64| {
        let mut v: Vec<&(String, Headline)> = runs.iter().collect();
        v.sort_by(|a, b| key(&a.1).total_cmp(&key(&b.1)).then(a.0.cmp(&b.0)));
        v.into_iter().map(|r| r.0.clone()).collect::<Vec<_>>()
    };
    [
        order(&|h| h.short_p99_queueing_s),
        order(&|h| -h.short_throughput_rps),
        order(&|h| h.long_mean_jct_s),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rec(kind: IterKind, p: f64, m: f64) -> IterRecord {
        IterRecord {
            kind,
            predicted_s: p,
            measured_s: m,
            modelled_part_s: 0.0,
            gemm_s: [0.0; 2],
            attn_s: [0.0; 2],
            fresh: 0,
            components: 1,
            capped: false,
        }
    }

    #[test]
    fn errors_are_relative_to_measured() {
        let v = vec![
            rec(IterKind::Decode, 1.0, 1.0),
            rec(IterKind::Decode, 1.0, 2.0),
            rec(IterKind::Prefill, 3.0, 2.0),
        ];
        let s = by_kind(&v);
        assert_eq!(s[0].0, "all");
        assert_eq!(s[0].1.n, 3);
        assert_eq!(s[0].1.median, 0.5);
        assert_eq!(
            s.iter().map(|x| x.0.as_str()).collect::<Vec<_>>(),
            ["all", "prefill", "decode"]
        );
    }
}
