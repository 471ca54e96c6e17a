//! `pecsched-worker calibrate`: fits the core's calibration fields to measured points (from
//! `bench`, or the production-kernel tables with `--production`, see
//! [`crate::calibrate_production`]) and reports the prediction error on points held out of
//! the fit ([`pecsched_gpu::calibrate`] and [`pecsched_gpu::production`] do the fitting).

use std::path::PathBuf;

use anyhow::Context;
use pecsched_core::hardware::{GpuKind, GpuSpec};
use pecsched_core::perf::kernel::Dtype;
use pecsched_gpu::calibrate::{fit_and_report, profile_points, split};
use pecsched_gpu::points::Points;

use crate::output::OutputFile;

/// Arguments of `calibrate`.
#[derive(clap::Args, Debug)]
pub struct CalibrateArgs {
    /// Points measured by `bench` (its `points.json`).
    #[arg(
        long,
        required_unless_present = "production",
        conflicts_with = "production"
    )]
    pub points: Option<PathBuf>,
    /// A folder of production-kernel tables (`shared/data/production_kernels`: vLLM
    /// attention and GEMMs, NCCL, vLLM custom all-reduce) to fit instead of bench points;
    /// needs --gpu a100 or h100. Prints the held-out error per op family and size range.
    #[arg(long, value_name = "DIR")]
    pub production: Option<PathBuf>,
    /// Where to write the fitted profile (bench points: the f16 profile, default
    /// `profile.json`; --production: written only when given).
    #[arg(long)]
    pub out: Option<PathBuf>,
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

/// Runs `calibrate`.
pub fn run(args: CalibrateArgs) -> anyhow::Result<()> {
    let (Some(points_path), None) = (&args.points, &args.production) else {
        return crate::calibrate_production::run(&args);
    };
    let out_path = args
        .out
        .clone()
        .unwrap_or_else(|| PathBuf::from("profile.json"));
    // Output paths first.
    let out = OutputFile::check("--out", &out_path)?;
    let out_f32 = args
        .out_f32
        .as_deref()
        .map(|p| OutputFile::check("--out-f32", p))
        .transpose()?;
    let text = std::fs::read_to_string(points_path)
        .with_context(|| format!("reading {}", points_path.display()))?;
    let points =
        Points::from_json(&text).with_context(|| format!("parsing {}", points_path.display()))?;
    anyhow::ensure!(
        points.complete || args.allow_partial,
        "{}: the bench sweep that wrote it did not finish (\"complete\": false, {} points); \
         rerun bench, or pass --allow-partial to fit what it measured",
        points_path.display(),
        points.points.len()
    );
    let f16_points = profile_points(&points.points, Dtype::F16);
    let (train, held) = split(&f16_points, args.holdout_every);
    anyhow::ensure!(
        !train.is_empty(),
        "{}: 0 f16 training points ({} points in all): nothing to fit",
        points_path.display(),
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
    println!("\nwrote {} (f16 profile)", out_path.display());
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
