//! `pecsched-worker calibrate`: fits the core's calibration fields to measured points (from
//! `bench`) and reports the prediction error on points held out of the fit
//! ([`pecsched_gpu::calibrate`] does the fitting).

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
