//! `pecsched-worker calibrate`: fits the core's calibration fields to measured points (from
//! `bench`) and reports the prediction error on points held out of the fit.
//!
//! Profiles are per element type: the f16 profile (what the simulator's bf16 model uses, and
//! what `data/calibration/h100-wgpu.json` holds) is fitted on the f16 points of the fastest
//! variant of each op (cooperative matrices when measured); an f32 profile is fitted the same
//! way on the f32 points.

use std::path::PathBuf;

use anyhow::Context;
use pecsched_core::hardware::{GpuKind, GpuSpec};
use pecsched_core::perf::kernel::Dtype;
use pecsched_core::perf::{Calibration, Provenance};

use super::fit::{ErrorStats, errors, fit, stats};
use super::points::{Point, Points};
use crate::output::OutputFile;

/// Arguments of `calibrate`.
#[derive(clap::Args, Debug)]
pub struct CalibrateArgs {
    /// Points measured by `bench` (its `points.json`).
    #[arg(long)]
    pub points: PathBuf,
    /// Where to write the f16 profile fitted on the training points.
    #[arg(long, default_value = "profile.json")]
    pub out: PathBuf,
    /// Also write the f32 profile here.
    #[arg(long)]
    pub out_f32: Option<PathBuf>,
    /// Hold out every k-th point of each op (in sweep order) from the fit.
    #[arg(long, default_value_t = 3)]
    pub holdout_every: usize,
    /// Print every point's measured and modelled time (training and held-out).
    #[arg(long)]
    pub per_point: bool,
    /// GPU datasheet the efficiencies are relative to (a100, h100, h200); default: from the
    /// adapter name in the points file, else h100.
    #[arg(long)]
    pub gpu: Option<String>,
    /// Fit a points file whose sweep did not finish (`"complete": false`: an interrupted
    /// `bench`). Refused by default.
    #[arg(long)]
    pub allow_partial: bool,
}

/// The datasheet GPU for an explicit id or an adapter name.
pub fn gpu_spec(id: Option<&str>, adapter: &str) -> anyhow::Result<GpuSpec> {
    if let Some(id) = id {
        return GpuKind::from_id(id)
            .map(GpuKind::spec)
            .with_context(|| format!("unknown --gpu `{id}` (a100, h100, h200)"));
    }
    let a = adapter.to_uppercase();
    let kind = [("H200", GpuKind::H200Sxm141), ("A100", GpuKind::A100Sxm80)]
        .into_iter()
        .find(|(n, _)| a.contains(n))
        .map_or(GpuKind::H100Sxm80, |(_, k)| k);
    Ok(kind.spec())
}

/// The points a profile of `dtype` is fitted on: that dtype, and of each op family one kernel
/// (one fit cannot follow two speeds): a cooperative-matrix kernel when one was measured, else
/// the wide-tile FMA prefill when measured, and among equals the one with the most points
/// (the variant `bench` swept in full; the others only have comparison shapes).
pub fn profile_points(points: &[Point], dtype: Dtype) -> Vec<&Point> {
    use std::collections::BTreeMap;
    let mine: Vec<&Point> = points.iter().filter(|p| p.shape.dtype() == dtype).collect();
    let mut count = BTreeMap::<(&str, &str), usize>::new();
    for p in &mine {
        *count
            .entry((p.shape.family(), p.kernel.as_str()))
            .or_default() += 1;
    }
    let mut chosen = BTreeMap::<&str, &str>::new();
    for (&(family, kernel), &n) in &count {
        let rank = |k: &str, n: usize| (k.contains("coop"), k.contains("fmawide"), n);
        let better = chosen
            .get(family)
            .is_none_or(|&c| rank(kernel, n) > rank(c, count[&(family, c)]));
        if better {
            chosen.insert(family, kernel);
        }
    }
    mine.into_iter()
        .filter(|p| chosen.get(p.shape.family()) == Some(&p.kernel.as_str()))
        .collect()
}

/// Splits into (training, held-out): every `k`-th point of each op is held out.
pub fn split<'a>(pts: &[&'a Point], k: usize) -> (Vec<&'a Point>, Vec<&'a Point>) {
    let mut train = Vec::new();
    let mut held = Vec::new();
    let mut seen = std::collections::BTreeMap::<&str, usize>::new();
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
    for op in ["prefill", "decode", "merge", "gemm"] {
        let sub: Vec<&Point> = pts
            .iter()
            .copied()
            .filter(|p| p.shape.family() == op)
            .collect();
        if !sub.is_empty() {
            out.push((op.to_string(), stats(&errors(&sub, gpu, calib))));
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
    for &(field, _) in Calibration::FIELDS {
        let (v, d) = (calib.get(field), Calibration::default().get(field));
        if v != d {
            println!(
                "  {field:<32} {:>12.4e}  (datasheet {:.4e})",
                v.unwrap_or(0.0),
                d.unwrap_or(0.0)
            );
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

/// Runs `calibrate`.
pub fn run(args: CalibrateArgs) -> anyhow::Result<()> {
    // Output paths first.
    let out = OutputFile::check("--out", &args.out)?;
    let out_f32 = args
        .out_f32
        .as_deref()
        .map(|p| OutputFile::check("--out-f32", p))
        .transpose()?;
    let text = std::fs::read_to_string(&args.points)
        .with_context(|| format!("reading {}", args.points.display()))?;
    let points =
        Points::from_json(&text).with_context(|| format!("parsing {}", args.points.display()))?;
    anyhow::ensure!(
        points.complete || args.allow_partial,
        "{}: the bench sweep that wrote it did not finish (\"complete\": false, {} points); \
         rerun bench, or pass --allow-partial to fit what it measured",
        args.points.display(),
        points.points.len()
    );
    let f16_points = profile_points(&points.points, Dtype::F16);
    let (train, held) = split(&f16_points, args.holdout_every);
    anyhow::ensure!(
        !train.is_empty(),
        "{}: 0 f16 training points ({} points in all): nothing to fit",
        args.points.display(),
        points.points.len()
    );
    if held.is_empty() {
        eprintln!(
            "note: 0 held-out points (--holdout-every {} over {} f16 points): the fit's \
             prediction error on unseen shapes will not be measured",
            args.holdout_every,
            f16_points.len()
        );
    }
    let gpu = gpu_spec(args.gpu.as_deref(), &points.provenance.adapter)?;
    println!(
        "{} points from {} ({}), efficiencies relative to the {} datasheet",
        points.points.len(),
        points.provenance.adapter,
        points.provenance.date,
        gpu.name
    );
    let mut prov = points.provenance.clone();
    prov.command = format!(
        "{}; {}",
        prov.command,
        std::env::args().collect::<Vec<_>>().join(" ")
    );
    let f16 = fit_and_report(
        &points.points,
        Dtype::F16,
        &gpu,
        args.holdout_every,
        &prov,
        args.per_point,
    );
    let (calib, held) = f16.context("the points file holds no f16 points")?;
    out.write_text(&(calib.to_json() + "\n"))?;
    println!("\nwrote {} (f16 profile)", args.out.display());
    if held.n == 0 {
        println!(
            "0 held-out points (--holdout-every {}): no held-out error measured",
            args.holdout_every
        );
    } else {
        println!(
            "held-out f16 error: median {:.1}% (target ≤ 5%), p95 {:.1}% (target ≤ 15%)",
            100.0 * held.median,
            100.0 * held.p95
        );
    }
    if let Some(path) = &out_f32
        && let Some((c32, _)) = fit_and_report(
            &points.points,
            Dtype::F32,
            &gpu,
            args.holdout_every,
            &prov,
            false,
        )
    {
        path.write_text(&(c32.to_json() + "\n"))?;
        println!("wrote {} (f32 profile)", path.path().display());
    }
    Ok(())
}
