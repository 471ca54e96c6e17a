//! `pecsched-worker bench`: validates every kernel against its reference on this GPU, then
//! times the sweep (median of ≥ 20 GPU-timestamped runs after warm-up, pipelines compiled
//! beforehand), prints TFLOP/s and GB/s, and writes `points.json` (every measurement, rewritten
//! atomically after each point with `"complete": false` so a cut-off run keeps what it
//! measured without looking finished; `true` once the sweep ends) and `profile.json` (the core's
//! calibration fitted on all f16 points, with provenance).

use std::path::PathBuf;

use anyhow::Context;
use pecsched_core::perf::Provenance;
use pecsched_core::perf::kernel::Dtype;
use pecsched_gpu::calibrate::fit_and_report;
use pecsched_gpu::check::validate;
use pecsched_gpu::jobs::{self, warm_clocks};
use pecsched_gpu::kernels::{Kernels, PrefillVariant};
use pecsched_gpu::points::{Points, SCHEMA, today};
use pecsched_gpu::prefill_coop::CoopVariant;
use pecsched_gpu::sweep::{full, quick};
use pecsched_gpu::timing::Plan;
use pecsched_gpu::{Gpu, GpuError};

use crate::calibrate::gpu_spec;
use crate::output::OutputFile;

/// Which sweep.
#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum Preset {
    /// The full H100 sweep (a few minutes on an H100).
    Full,
    /// A smoke sweep for software adapters.
    Quick,
}

/// Arguments of `bench`.
#[derive(clap::Args, Debug)]
pub struct BenchArgs {
    /// Sweep to run.
    #[arg(long, value_enum, default_value = "full")]
    pub preset: Preset,
    /// Timed runs per shape (the median is reported); at least 20.
    #[arg(long, default_value_t = 20)]
    pub reps: u32,
    /// Untimed warm-up runs per shape.
    #[arg(long, default_value_t = 3)]
    pub warmup: u32,
    /// Folder for points.json and profile.json (created if missing).
    #[arg(long, default_value = "bench-out")]
    pub out: PathBuf,
    /// Largest decode KV cache in the sweep, GB.
    #[arg(long, default_value_t = 24.0)]
    pub max_kv_gb: f64,
    /// Only time kernels whose label contains this (e.g. `decode`, `coop`).
    #[arg(long)]
    pub only: Option<String>,
    /// Run the validation checks only.
    #[arg(long)]
    pub validate_only: bool,
    /// GPU datasheet the fitted efficiencies are relative to (a100, h100, h200); default:
    /// from the adapter name, else h100.
    #[arg(long)]
    pub gpu: Option<String>,
}

/// Runs `bench`.
pub fn run(args: BenchArgs) -> anyhow::Result<()> {
    anyhow::ensure!(
        args.reps >= 20,
        "--reps must be at least 20 (got {})",
        args.reps
    );
    // The output folder and files first: a bad --out must not cost a sweep.
    std::fs::create_dir_all(&args.out)
        .with_context(|| format!("--out {}: cannot create the folder", args.out.display()))?;
    let points_file = OutputFile::check("--out", &args.out.join("points.json"))?;
    let profile_files = [
        (
            Dtype::F16,
            OutputFile::check("--out", &args.out.join("profile.json"))?,
        ),
        (
            Dtype::F32,
            OutputFile::check("--out", &args.out.join("profile-f32.json"))?,
        ),
    ];
    let gpu = Gpu::open()?;
    println!("adapter: {}", gpu.describe());
    println!(
        "cooperative matrices: {}",
        if gpu.coop_f16 {
            "yes (16x16x16 f16->f32)"
        } else {
            "no (FMA kernels only)"
        }
    );
    let kernels = Kernels::new(&gpu, true)?;
    println!("validation (trusted pipelines, the ones timed):");
    let failed = validate(&gpu, &kernels, args.preset == Preset::Full);
    if !failed.is_empty() {
        println!("validation FAILED for: {failed:?} (not timed)");
    }
    if args.validate_only {
        anyhow::ensure!(failed.is_empty(), "validation failed for {failed:?}");
        return Ok(());
    }
    let provenance = Provenance {
        adapter: gpu.info.name.clone(),
        driver: format!("{} {}", gpu.info.driver, gpu.info.driver_info),
        date: today(),
        command: std::env::args().collect::<Vec<_>>().join(" "),
        source: String::new(),
    };
    let mut points = Points {
        schema: SCHEMA.to_string(),
        provenance: provenance.clone(),
        failed_validation: failed.iter().cloned().collect(),
        points: Vec::new(),
        complete: false,
    };
    // Validated cooperative-matrix prefill variants, fastest first.
    let coop: Vec<CoopVariant> = CoopVariant::ALL
        .into_iter()
        .filter(|&v| {
            gpu.coop_f16
                && !failed.contains(&format!("prefill-{}-f16", PrefillVariant::Coop(v).as_str()))
        })
        .collect();
    let sweep = match args.preset {
        Preset::Full => full(gpu.coop_f16, &coop, args.max_kv_gb * 1e9),
        Preset::Quick => quick(gpu.coop_f16),
    };
    let plan = Plan {
        warmup: args.warmup,
        reps: args.reps,
        cold: true,
    };
    warm_clocks(&gpu, &kernels)?;
    let mut errors = 0;
    println!(
        "\n{:<22} {:<34} {:>12} {:>9} {:>9}",
        "kernel", "shape", "median µs", "TFLOP/s", "GB/s"
    );
    for job in &sweep {
        let name = job.name();
        if failed.contains(&name)
            || args
                .only
                .as_ref()
                .is_some_and(|o| !name.contains(o.as_str()))
        {
            continue;
        }
        match jobs::run(&gpu, &kernels, job, plan) {
            Ok(p) => {
                println!(
                    "{:<22} {:<34} {:>12.1} {:>9.2} {:>9.1}",
                    p.kernel,
                    p.shape.label(),
                    p.median_s * 1e6,
                    p.tflops(),
                    p.gbs()
                );
                points.points.push(p);
                // Atomic, and marked partial until the sweep ends: a cut-off run keeps what
                // it measured without looking complete.
                points_file.write_text(&(serde_json::to_string_pretty(&points)? + "\n"))?;
            }
            Err(e @ GpuError::DeviceLost(_)) => {
                return Err(anyhow::Error::from(e)
                    .context(format!("while timing {name} {}", job.shape.label())));
            }
            Err(e) => {
                errors += 1;
                println!("{name:<22} {:<34} FAILED: {e}", job.shape.label());
            }
        }
    }
    points.complete = true;
    points_file.write_text(&(serde_json::to_string_pretty(&points)? + "\n"))?;
    println!("\nwrote {}", points_file.path().display());
    let spec = gpu_spec(args.gpu.as_deref(), &gpu.info.name)?;
    for (dtype, file) in &profile_files {
        let dtype = *dtype;
        // bench fits on every point (no hold-out); `calibrate` reports held-out errors.
        if let Some((calib, _)) =
            fit_and_report(&points.points, dtype, &spec, 0, &provenance, false)
        {
            file.write_text(&(calib.to_json() + "\n"))?;
            println!("wrote {}", file.path().display());
        }
    }
    anyhow::ensure!(failed.is_empty(), "validation failed for {failed:?}");
    anyhow::ensure!(errors == 0, "{errors} sweep points failed (see above)");
    Ok(())
}
