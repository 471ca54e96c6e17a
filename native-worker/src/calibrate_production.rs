//! `pecsched-worker calibrate --production DIR --gpu a100|h100`: reads the production-kernel
//! tables of one GPU, fits a calibration on two thirds of each op family's rows
//! ([`pecsched_gpu::production`]) and prints the error on the held-out third per family and
//! size range, for the datasheet defaults and for the fit, with the worst held-out points.
//! Parsing and the row → op mapping are the core's (`perf::production`).

use std::path::Path;

use anyhow::{Context, bail};
use pecsched_core::hardware::{GpuKind, GpuSpec};
use pecsched_core::perf::production::{
    Family, ProductionPoint, TableKind, map_rows, parse_table, split_holdout,
};
use pecsched_core::perf::{Calibration, CalibrationField, Provenance};
use pecsched_gpu::points::today;
use pecsched_gpu::production::{ErrorRow, error_table, fit_production, worst};

use crate::calibrate::CalibrateArgs;
use crate::output::OutputFile;

/// Kernel and library versions of each GPU's tables (the folder's README).
fn versions(gpu: GpuKind) -> &'static str {
    match gpu {
        GpuKind::A100Sxm80 => {
            "vLLM 0.14.0 attention (FlashAttention-2) and GEMMs (cuBLAS bf16), NCCL 2.27.3, \
             vLLM 0.14.0 custom all-reduce"
        }
        _ => {
            "vLLM 0.24.0 attention (FlashAttention-3) and GEMMs (cuBLAS bf16), NCCL 2.29.2, \
             vLLM 0.24.0 custom all-reduce"
        }
    }
}

/// Reads and maps every table of `gpu` under `dir`, in [`TableKind::ALL`] order.
fn read_points(dir: &Path, gpu: GpuKind) -> anyhow::Result<(Vec<ProductionPoint>, Vec<String>)> {
    let mut points = Vec::new();
    let mut files = Vec::new();
    for kind in TableKind::ALL {
        let name = kind.file_name(gpu);
        let path = dir.join(&name);
        let text = std::fs::read_to_string(&path)
            .with_context(|| format!("reading production table {}", path.display()))?;
        let rows = parse_table(&path.display().to_string(), kind, &text)?;
        let mapped = map_rows(kind, &rows);
        println!(
            "{name}: {} rows, {} mapped to the model's ops",
            rows.len(),
            mapped.len()
        );
        points.extend(mapped);
        files.push(name);
    }
    Ok((points, files))
}

fn pct(x: f64) -> String {
    format!("{:.1}%", 100.0 * x)
}

fn signed(x: f64) -> String {
    format!("{:+.1}%", 100.0 * x)
}

/// The held-out table: datasheet and fitted side by side.
fn print_errors(before: &[ErrorRow], after: &[ErrorRow]) {
    println!(
        "\nheld-out error, |predicted/measured − 1| (signed median: negative = model too fast); \
         targets: median ≤ 5%, p95 ≤ 15% per family"
    );
    println!(
        "  {:<21} {:<15} {:>6} | {:>8} {:>8} {:>8} | {:>8} {:>8} {:>8}",
        "family", "range", "n", "data med", "p95", "signed", "fit med", "p95", "signed"
    );
    for (b, a) in before.iter().zip(after) {
        let (sb, sa) = (b.summary, a.summary);
        let family = if b.range.is_none() { b.family.id() } else { "" };
        println!(
            "  {:<21} {:<15} {:>6} | {:>8} {:>8} {:>8} | {:>8} {:>8} {:>8}",
            family,
            b.range.unwrap_or("all"),
            sb.n,
            pct(sb.median),
            pct(sb.p95),
            signed(sb.signed_median),
            pct(sa.median),
            pct(sa.p95),
            signed(sa.signed_median)
        );
    }
}

/// Runs `calibrate --production`.
pub fn run(args: &CalibrateArgs) -> anyhow::Result<()> {
    let Some(dir) = &args.production else {
        bail!("calibrate needs --points FILE or --production DIR");
    };
    let kind = match args.gpu.as_deref() {
        Some(id) => id
            .parse::<GpuKind>()
            .map_err(|e| anyhow::anyhow!("--gpu: {e}"))?,
        None => bail!("--production needs --gpu a100 or --gpu h100 (the tables' GPU)"),
    };
    if kind == GpuKind::H200Sxm141 {
        bail!(
            "--production has no H200 tables (a100, h100); the h200-vllm profile is derived from \
             the H100 fit and the H200 datasheet"
        );
    }
    let out = args
        .out
        .as_deref()
        .map(|p| OutputFile::check("--out", p))
        .transpose()?;
    let gpu: GpuSpec = kind.spec();
    let (points, files) = read_points(dir, kind)?;
    let (train, held) = split_holdout(&points, args.holdout_every);
    println!(
        "{} points: {} training, {} held out (every {}th of each family); efficiencies \
         relative to the {} datasheet",
        points.len(),
        train.len(),
        held.len(),
        args.holdout_every,
        gpu.name
    );
    let mut calib = fit_production(&train, &gpu);
    calib.provenance = Some(Provenance {
        adapter: format!(
            "{} (aiconfigurator kernel tables, not this project's GPU)",
            gpu.name
        ),
        driver: versions(kind).to_string(),
        date: today(),
        command: std::env::args().collect::<Vec<_>>().join(" "),
        source: format!(
            "NVIDIA aiconfigurator kernel database (ai-dynamo/aiconfigurator @ 095f58a, \
             Apache-2.0) as shared/data/production_kernels: {}; fitted on 2/3 of each op \
             family's rows",
            files.join(", ")
        ),
    });
    println!("\nfitted fields (datasheet value in brackets):");
    let base = Calibration::datasheet_default();
    for field in CalibrationField::ALL {
        let (v, d) = (calib.get(field), base.get(field));
        if v != d {
            println!("  {:<32} {v:>12.4e}  ({d:.4e})", field.id());
        }
    }
    let before = error_table(&held, &gpu, &base);
    let after = error_table(&held, &gpu, &calib);
    print_errors(&before, &after);
    println!("\nworst held-out points under the fit:");
    for family in Family::ALL {
        for (p, e) in worst(&held, family, &gpu, &calib, 5) {
            println!(
                "  {:<21} {:<34} row {:>6}  measured {:>9.1} µs  model {:>9.1} µs  {}",
                family.id(),
                p.label,
                p.row,
                p.measured_s * 1e6,
                p.op.predict(&gpu, &calib) * 1e6,
                signed(e)
            );
        }
    }
    if let Some(out) = out {
        out.write_text(&(calib.to_json() + "\n"))?;
        println!("\nwrote {}", out.path().display());
    }
    Ok(())
}
