//! Fitting a calibration profile to measured points (what `pecsched-worker calibrate` and
//! `bench` write): the points a profile is fitted on, the training/held-out split, the fit and
//! its error report.
//!
//! Profiles are per element type: the f16 profile (what the simulator's bf16 model uses, and
//! what `data/calibration/h100-wgpu.json` holds) is fitted on the f16 points of the fastest
//! variant of each op (cooperative matrices when measured); an f32 profile is fitted the same
//! way on the f32 points.

use pecsched_core::hardware::GpuSpec;
use pecsched_core::perf::kernel::Dtype;
use pecsched_core::perf::{Calibration, CalibrationField, Provenance};

use crate::fit::{ErrorStats, errors, fit, stats};
use crate::points::{KernelFamily, Point};

/// The points a profile of `dtype` is fitted on: that dtype, and of each op family one kernel
/// (one fit cannot follow two speeds): a cooperative-matrix kernel when one was measured, else
/// the wide-tile FMA prefill when measured, and among equals the one with the most points
/// (the variant `bench` swept in full; the others only have comparison shapes).
pub fn profile_points(points: &[Point], dtype: Dtype) -> Vec<&Point> {
    use std::collections::BTreeMap;
    let mine: Vec<&Point> = points.iter().filter(|p| p.shape.dtype() == dtype).collect();
    let mut count = BTreeMap::<(KernelFamily, &str), usize>::new();
    for p in &mine {
        *count
            .entry((p.shape.family(), p.kernel.as_str()))
            .or_default() += 1;
    }
    let mut chosen = BTreeMap::<KernelFamily, &str>::new();
    for (&(family, kernel), &n) in &count {
        let rank = |k: &str, n: usize| (k.contains("coop"), k.contains("fmawide"), n);
        let better = chosen
            .get(&family)
            .is_none_or(|&c| rank(kernel, n) > rank(c, count[&(family, c)]));
        if better {
            chosen.insert(family, kernel);
        }
    }
    mine.into_iter()
        .filter(|p| chosen.get(&p.shape.family()) == Some(&p.kernel.as_str()))
        .collect()
}

/// Splits into (training, held-out): every `k`-th point of each op is held out.
pub fn split<'a>(pts: &[&'a Point], k: usize) -> (Vec<&'a Point>, Vec<&'a Point>) {
    let mut train = Vec::new();
    let mut held = Vec::new();
    let mut seen = std::collections::BTreeMap::<KernelFamily, usize>::new();
    for p in pts {
        let i = seen.entry(p.shape.family()).or_default();
        *i += 1;
        if k > 1 && (*i).is_multiple_of(k) {
            held.push(*p);
        } else {
            train.push(*p);
        }
    }
    (train, held)
}

/// Per-op error statistics of `pts` under `calib`.
pub fn per_op(pts: &[&Point], gpu: &GpuSpec, calib: &Calibration) -> Vec<(String, ErrorStats)> {
    let mut out = Vec::new();
    for op in KernelFamily::ALL {
        let sub: Vec<&Point> = pts
            .iter()
            .copied()
            .filter(|p| p.shape.family() == op)
            .collect();
        if !sub.is_empty() {
            out.push((op.id().to_string(), stats(&errors(&sub, gpu, calib))));
        }
    }
    out.push(("all".to_string(), stats(&errors(pts, gpu, calib))));
    out
}

fn print_stats(title: &str, rows: &[(String, ErrorStats)]) {
    println!("{title}");
    println!(
        "  {:<8} {:>4} {:>10} {:>10} {:>10}",
        "op", "n", "median", "p95", "max"
    );
    for (op, s) in rows {
        if s.n == 0 {
            // Nothing measured: no percentage, which would read as a perfect fit.
            println!("  {op:<8} {:>4} {:>10} {:>10} {:>10}", 0, "—", "—", "—");
            continue;
        }
        println!(
            "  {:<8} {:>4} {:>9.1}% {:>9.1}% {:>9.1}%",
            op,
            s.n,
            100.0 * s.median,
            100.0 * s.p95,
            100.0 * s.max
        );
    }
}

/// Fits one profile and prints its errors; `None` when there are no points of `dtype`.
pub fn fit_and_report(
    all: &[Point],
    dtype: Dtype,
    gpu: &GpuSpec,
    holdout: usize,
    provenance: &Provenance,
    per_point: bool,
) -> Option<(Calibration, ErrorStats)> {
    let pts = profile_points(all, dtype);
    if pts.is_empty() {
        return None;
    }
    let (train, held) = split(&pts, holdout);
    let mut calib = fit(&train, gpu, &Calibration::datasheet_default());
    calib.provenance = Some(provenance.clone());
    let name = dtype.as_str();
    println!(
        "\n{name} profile: {} training points, {} held out",
        train.len(),
        held.len()
    );
    for field in CalibrationField::ALL {
        let (v, d) = (calib.get(field), Calibration::default().get(field));
        if v != d {
            println!("  {:<32} {v:>12.4e}  (datasheet {d:.4e})", field.id());
        }
    }
    print_stats(
        "  fit error on training points (|predicted/measured − 1|):",
        &per_op(&train, gpu, &calib),
    );
    if per_point {
        println!(
            "  {:<5} {:<22} {:<36} {:>11} {:>11} {:>8}",
            "set", "kernel", "shape", "measured µs", "model µs", "error"
        );
        for (set, pts) in [("train", &train), ("held", &held)] {
            for p in pts.iter() {
                let pred = p.shape.predict(gpu, &calib);
                println!(
                    "  {set:<5} {:<22} {:<36} {:>11.1} {:>11.1} {:>+7.1}%",
                    p.kernel,
                    p.shape.label(),
                    p.median_s * 1e6,
                    pred * 1e6,
                    100.0 * (pred / p.median_s - 1.0)
                );
            }
        }
    }
    let held_rows = per_op(&held, gpu, &calib);
    if held.is_empty() {
        println!("  0 held-out points: no prediction error measured");
    } else {
        print_stats("  prediction error on held-out points:", &held_rows);
    }
    let overall = held_rows.last().map(|r| r.1).unwrap_or(stats(&[]));
    Some((calib, overall))
}
