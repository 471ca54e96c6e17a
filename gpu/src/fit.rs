//! Fitting the core's calibration fields to measured points: a pattern search in log space
//! minimising Σ ln²(predicted/measured), every prediction made by the core's
//! `perf::kernel` (this crate only chooses the numbers, never the formula).

use pecsched_core::hardware::GpuSpec;
use pecsched_core::perf::{Calibration, CalibrationField};

use crate::points::{KernelFamily, Point};

/// A fitted field and its admissible range.
struct Field {
    field: CalibrationField,
    lo: f64,
    hi: f64,
}

const EFF: (f64, f64) = (1e-4, 1.0);
const SECONDS: (f64, f64) = (1e-7, 1e-2);

/// The fields each kernel family's prediction uses.
fn fields_for(family: KernelFamily) -> &'static [CalibrationField] {
    use CalibrationField as C;
    match family {
        KernelFamily::Prefill => &[
            C::PrefillAttnMaxEfficiency,
            C::PrefillAttnHalfTokens,
            C::PrefillAttnPairFlops,
            C::AttentionOverheadS,
            C::HbmEfficiency,
        ],
        KernelFamily::Decode => &[
            C::DecodeAttnBwEfficiency,
            C::DecodeAttnFlopEfficiency,
            C::DecodeAttnOverheadS,
            C::HbmEfficiency,
            C::KernelOverheadS,
        ],
        KernelFamily::Merge => &[C::HbmEfficiency, C::MergePartS, C::KernelOverheadS],
        KernelFamily::Gemm => &[
            C::GemmEfficiency,
            C::GemmStreamEfficiency,
            C::GemmSerialFraction,
            C::GemmHalfTiles,
            C::KernelOverheadS,
        ],
    }
}

/// The range the search explores for `field` (every field, so a new one needs a decision).
pub fn field_range(field: CalibrationField) -> (f64, f64) {
    use CalibrationField as C;
    let (lo, hi) = match field {
        C::PrefillAttnHalfTokens => (1.0, 1e6),
        // 0 (full overlap) is the datasheet value; the log-space search starts just above it.
        C::GemmSerialFraction => (1e-4, 1.0),
        C::GemmHalfTiles | C::PrefillAttnPairFlops => (1e-2, 1e4),
        C::KernelOverheadS
        | C::MergePartS
        | C::AttentionOverheadS
        | C::DecodeAttnOverheadS
        | C::IterationOverheadS
        | C::RingStepOverheadS
        | C::AllreduceLatencyS
        | C::CustomAllreduceLatencyS
        | C::ElementwiseKernelS
        | C::IterationOverheadPerSeqS
        | C::RequestOverheadS => SECONDS,
        C::DecodeAttnSeqHeadS | C::PrefillAttnSeqHeadS | C::CustomAllreduceStepS => (1e-10, 1e-5),
        C::GemmTileM | C::GemmTileN => (16.0, 512.0),
        C::AllreduceBwHalfGpus => (1e-2, 1e3),
        C::DecodeAttnUnitBwShare => (1e-3, 1.0),
        C::AllreduceStepLatencyScale => (1e-2, 10.0),
        C::CustomAllreduceMaxBytes => (1e3, 1e9),
        C::ElementwiseTraffic => (1e-2, 10.0),
        C::GemmEfficiency
        | C::HbmEfficiency
        | C::GemmStreamEfficiency
        | C::DecodeAttnBwEfficiency
        | C::DecodeAttnFlopEfficiency
        | C::PrefillAttnMaxEfficiency
        | C::NvlinkEfficiency
        | C::CustomAllreduceBwEfficiency
        | C::NetworkEfficiency
        | C::MemoryUtilization => EFF,
        // No family's prediction uses them (cluster-level terms); never searched.
        C::ActivationReserveBytesPerGpu | C::RingAttnStepPenalty => EFF,
    };
    (lo, hi)
}

fn field(field: CalibrationField) -> Field {
    let (lo, hi) = field_range(field);
    Field { field, lo, hi }
}

/// Relative errors `predicted/measured − 1` of `points` under `calib`.
pub fn errors(points: &[&Point], gpu: &GpuSpec, calib: &Calibration) -> Vec<f64> {
    points
        .iter()
        .map(|p| p.shape.predict(gpu, calib) / p.median_s - 1.0)
        .collect()
}

/// Fits the fields the points' families use, starting from `start` (other fields unchanged).
pub fn fit(points: &[&Point], gpu: &GpuSpec, start: &Calibration) -> Calibration {
    let mut chosen: Vec<CalibrationField> = Vec::new();
    for p in points {
        for &f in fields_for(p.shape.family()) {
            if !chosen.contains(&f) {
                chosen.push(f);
            }
        }
    }
    fit_fields(
        points,
        &chosen,
        start,
        |p, c| p.shape.predict(gpu, c),
        |p| p.median_s,
    )
}

/// Fits `fields` (each searched over [`field_range`]) to `items`, minimising
/// Σ ln²(predicted/measured), starting from `start` (other fields unchanged). Any measured
/// set can use it: `predict` prices one item under a trial calibration (always through the
/// core's model), `measured` gives its measured seconds.
pub fn fit_fields<T>(
    items: &[T],
    fields: &[CalibrationField],
    start: &Calibration,
    predict: impl Fn(&T, &Calibration) -> f64,
    measured: impl Fn(&T) -> f64,
) -> Calibration {
    let objective = |calib: &Calibration| -> f64 {
        items
            .iter()
            .map(|p| {
                let r = (predict(p, calib) / measured(p)).ln();
                r * r
            })
            .sum()
    };
    let fields: Vec<Field> = fields.iter().copied().map(field).collect();
    let mut best = start.clone();
    for f in &fields {
        let v = best.get(f.field).clamp(f.lo, f.hi);
        let _ = best.set(f.field, v);
    }
    let mut score = objective(&best);
    // Coarse coordinate scans over each field's whole (log) range first, so a field whose
    // effect only starts far from its start value (a ceiling that binds only when low) is
    // found; then the local pattern search refines.
    for _ in 0..3 {
        for f in &fields {
            for i in 0..=32 {
                let x = (f.lo.ln() + (f.hi.ln() - f.lo.ln()) * i as f64 / 32.0).exp();
                let mut trial = best.clone();
                if trial.set(f.field, x).is_err() {
                    continue;
                }
                let s = objective(&trial);
                if s < score {
                    best = trial;
                    score = s;
                }
            }
        }
    }
    let mut step = 1.0f64;
    while step > 1e-4 {
        let mut improved = false;
        for f in &fields {
            for dir in [1.0, -1.0] {
                let cur = best.get(f.field);
                let next = (cur.ln() + dir * step).exp().clamp(f.lo, f.hi);
                if next == cur {
                    continue;
                }
                let mut trial = best.clone();
                if trial.set(f.field, next).is_err() {
                    continue;
                }
                let s = objective(&trial);
                if s < score {
                    best = trial;
                    score = s;
                    improved = true;
                }
            }
        }
        if !improved {
            step /= 2.0;
        }
    }
    best
}

/// Summary of relative errors `predicted/measured − 1`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ErrorStats {
    /// Points.
    pub n: usize,
    /// Median |error|.
    pub median: f64,
    /// 95th percentile |error| (nearest rank).
    pub p95: f64,
    /// Largest |error|.
    pub max: f64,
    /// Median of the signed errors (negative: the model is too fast).
    pub signed_median: f64,
}

/// Statistics of `errs`: of their magnitudes, and their signed median.
pub fn stats(errs: &[f64]) -> ErrorStats {
    let mut a: Vec<f64> = errs.iter().map(|e| e.abs()).collect();
    a.sort_by(f64::total_cmp);
    ErrorStats {
        n: a.len(),
        median: crate::timing::median(&a),
        p95: pecsched_core::stats::nearest_rank(&a, 95.0).unwrap_or(0.0),
        max: a.last().copied().unwrap_or(0.0),
        signed_median: {
            let mut s = errs.to_vec();
            s.sort_by(f64::total_cmp);
            crate::timing::median(&s)
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::points::Shape;
    use CalibrationField as C;
    use pecsched_core::hardware::GpuKind;
    use pecsched_core::perf::kernel::{Dtype, Gemm};

    #[test]
    fn recovers_known_gemm_parameters() {
        let gpu = GpuKind::H100Sxm80.spec();
        let mut truth = Calibration::default();
        truth.set(C::GemmEfficiency, 0.13).unwrap();
        truth.set(C::GemmStreamEfficiency, 0.15).unwrap();
        truth.set(C::KernelOverheadS, 8e-6).unwrap();
        let pts: Vec<Point> = [1, 16, 256, 1024, 4096, 8192]
            .iter()
            .map(|&m| {
                let shape = Shape::Gemm(Gemm {
                    m,
                    n: 4096,
                    k: 4096,
                    dtype: Dtype::F16,
                });
                let t = shape.predict(&gpu, &truth);
                Point {
                    kernel: "gemm".into(),
                    shape,
                    median_s: t,
                    min_s: t,
                    runs: 20,
                }
            })
            .collect();
        let refs: Vec<&Point> = pts.iter().collect();
        let got = fit(&refs, &gpu, &Calibration::default());
        let s = stats(&errors(&refs, &gpu, &got));
        assert!(s.max < 0.01, "{s:?}");
        assert!((got.gemm_efficiency / 0.13 - 1.0).abs() < 0.02);
        assert!((got.gemm_stream_efficiency / 0.15 - 1.0).abs() < 0.02);
        // The GEMM points say nothing about the other memory-bound ops' bandwidth.
        assert_eq!(got.hbm_efficiency, Calibration::default().hbm_efficiency);
    }

    #[test]
    fn stats_by_hand() {
        let s = stats(&[0.1, -0.3, 0.2, 0.0]);
        assert_eq!(s.n, 4);
        assert!((s.median - 0.15).abs() < 1e-12);
        assert_eq!(s.p95, 0.3);
        assert_eq!(s.max, 0.3);
    }
}
