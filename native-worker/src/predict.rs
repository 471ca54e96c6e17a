//! `pecsched-worker predict`: the core performance model's estimate for one batch on one
//! replica (per-op table, iteration total, KV capacity), and optionally for one long prefill
//! spread over several replicas. Every number comes from `pecsched_core::perf`; this file only
//! parses flags, reads the calibration file and prints.

use crate::output::StdoutError;
use anyhow::{Context, Result};
use pecsched_core::hardware::{ClusterSpec, GpuKind};
use pecsched_core::model::ModelKind;
use pecsched_core::perf::profiles::{BUILTIN_PROFILES, BuiltinProfile};
use pecsched_core::perf::sp::DEFAULT_SP_COST_COUNTING;
use pecsched_core::perf::{
    BatchShape, Calibration, OpEstimate, PerfModel, SpCandidate, SpEstimate, SpGroup, SpMode,
    SpPlan,
};
use pecsched_core::sched::colocation::{ColocationCap, DEFAULT_MAX_SLOWDOWN_PERMILLE};
use serde_json::json;

/// A prefill chunk: `new` tokens after `prefix` cached tokens.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PrefillArg {
    new: u64,
    prefix: u64,
}

/// `count` decoding sequences, each attending to `context` tokens.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DecodeArg {
    context: u64,
    count: u32,
}

fn parse_u64(s: &str, what: &str) -> Result<u64, String> {
    s.trim()
        .parse::<u64>()
        .map_err(|_| format!("{what} `{s}` is not a whole number"))
}

fn parse_prefill(s: &str) -> Result<PrefillArg, String> {
    let (new, prefix) = match s.split_once('@') {
        Some((n, p)) => (parse_u64(n, "new tokens")?, parse_u64(p, "prefix tokens")?),
        None => (parse_u64(s, "new tokens")?, 0),
    };
    if new == 0 {
        return Err("a prefill chunk needs at least 1 new token".into());
    }
    Ok(PrefillArg { new, prefix })
}

fn parse_decode(s: &str) -> Result<DecodeArg, String> {
    let (context, count) = match s.split_once(['x', 'X']) {
        Some((l, b)) => (
            parse_u64(l, "context length")?,
            parse_u64(b, "sequence count")?,
        ),
        None => (parse_u64(s, "context length")?, 1),
    };
    let count = u32::try_from(count).map_err(|_| format!("sequence count {count} is too large"))?;
    if count == 0 {
        return Err("a decode group needs at least 1 sequence".into());
    }
    Ok(DecodeArg { context, count })
}

fn parse_long_prefill(s: &str) -> Result<u64, String> {
    match parse_u64(s, "input tokens")? {
        0 => Err("a long prefill needs at least 1 input token".into()),
        n => Ok(n),
    }
}

/// Flags of `predict`.
#[derive(clap::Args, Debug)]
pub struct PredictArgs {
    /// GPU of every slot: a100 (A100-SXM 80 GB), h100 (H100-SXM 80 GB) or h200 (H200 141 GB).
    /// The cluster is the paper's: nodes of 8 GPUs on NVLink, 400 Gbps between nodes.
    #[arg(long, default_value = "a100")]
    gpu: GpuKind,
    /// Model: mistral-7b, phi3-14b, yi-34b, llama3.1-70b or llama3.1-8b.
    #[arg(long, default_value = "llama3.1-70b")]
    model: ModelKind,
    /// Tensor-parallel degree: GPUs per replica (1 to 8, must divide the heads).
    #[arg(long, default_value_t = 4)]
    tp: u32,
    /// A prefill chunk in the batch: `N` new tokens, or `N@P` for N new tokens after P cached
    /// (prefix) tokens. Repeat for several chunks.
    #[arg(long = "prefill", value_name = "N[@P]", value_parser = parse_prefill)]
    prefill: Vec<PrefillArg>,
    /// Decoding sequences in the batch: `L` for one sequence whose new token attends to L
    /// context tokens, or `LxB` for B such sequences. Repeatable.
    #[arg(long = "decode", value_name = "L[xB]", value_parser = parse_decode)]
    decode: Vec<DecodeArg>,
    /// Calibration profile: a built-in id (datasheet, h100-wgpu, a100-vllm, h100-vllm,
    /// h200-vllm) or a JSON file (schema pecsched-calibration/1) overriding the datasheet
    /// efficiencies and overheads; the datasheet defaults when absent.
    #[arg(long, value_name = "ID|PATH")]
    calibration: Option<String>,
    /// Also predict one long prefill of this many input tokens spread over --sp-group, with
    /// ring-only SP and with PecSched's fast SP (all four combinations shown).
    #[arg(long, value_name = "TOKENS", value_parser = parse_long_prefill)]
    long_prefill: Option<u64>,
    /// Replicas per node of the long prefill's group, comma-separated (e.g. `2,2` = two
    /// nodes with two replicas each). Default: one full node (8 / tp replicas).
    #[arg(long, value_name = "R1,R2,..", value_delimiter = ',')]
    sp_group: Vec<u32>,
    /// Print machine-readable JSON instead of tables (times in seconds, sizes in bytes).
    #[arg(long)]
    json: bool,
}

/// Runs `predict`.
pub fn run(args: PredictArgs) -> Result<()> {
    let calib = match &args.calibration {
        Some(id) if BuiltinProfile::find(id).is_some() => Calibration::builtin(id)?,
        Some(path) => {
            let text = std::fs::read_to_string(path).with_context(|| {
                format!(
                    "--calibration `{path}` is no built-in profile ({}) and cannot be read as a file",
                    BUILTIN_PROFILES
                        .iter()
                        .map(|p| p.id)
                        .collect::<Vec<_>>()
                        .join(", ")
                )
            })?;
            Calibration::from_json(&text).with_context(|| format!("calibration file {path}"))?
        }
        None => Calibration::datasheet_default(),
    };
    if let Some(warning) = gpu_mismatch(args.calibration.as_deref(), &calib, args.gpu) {
        eprintln!("warning: {warning}");
    }
    let mut cluster = ClusterSpec::paper_testbed();
    cluster.gpu = args.gpu.spec();
    let model = args.model.spec();
    let perf = PerfModel::new(&cluster, &model, args.tp, &calib)?;

    let (batch, kv_tokens) = batch_of(&args)?;
    if kv_tokens > u128::from(perf.kv_capacity_tokens()) {
        eprintln!(
            "warning: the batch's KV cache ({kv_tokens} tokens) does not fit this replica's \
             capacity ({} tokens for {} on TP={} {}): no engine would run it, and its time \
             is only the model's formula",
            perf.kv_capacity_tokens(),
            model.name,
            args.tp,
            cluster.gpu.name
        );
    }
    let ops = perf.breakdown(&batch);
    let sp = match args.long_prefill {
        Some(tokens) => {
            let group = if args.sp_group.is_empty() {
                SpGroup::single_node((cluster.gpus_per_node / args.tp).max(1))
            } else {
                SpGroup {
                    replicas_per_node: args.sp_group.clone(),
                }
            };
            group.validate(args.tp, cluster.gpus_per_node)?;
            Some((tokens, group))
        }
        None => None,
    };
    if batch.is_empty() && sp.is_none() && !args.json {
        eprintln!("note: empty batch; add --prefill N[@P] and/or --decode L[xB]");
    }
    if args.json {
        print_json(&args, &perf, &batch, &ops, sp.as_ref())?;
    } else {
        print_text(&args, &perf, &batch, &ops)?;
        if let Some((tokens, group)) = &sp {
            print_sp(&perf, *tokens, group)?;
        }
    }
    Ok(())
}

/// The batch the flags describe, and the KV tokens it holds (every chunk's prefix and new
/// tokens, every decode's context and new token). Sums that overflow the model's counters are
/// an error naming the flag, never a wrapped or saturated number.
fn batch_of(args: &PredictArgs) -> Result<(BatchShape, u128)> {
    let mut batch = BatchShape::default();
    let mut pairs = 0u128;
    let mut kv = 0u128;
    for p in &args.prefill {
        let (n, pre) = (u128::from(p.new), u128::from(p.prefix));
        pairs += n * pre + n * (n + 1) / 2;
        kv += n + pre;
        let fits = |v: u128| u64::try_from(v).is_ok();
        anyhow::ensure!(
            fits(pairs) && fits(kv) && batch.prefill_seqs < u32::MAX,
            "--prefill {}@{}: the batch is too large to price (its attention pairs or KV tokens \
             pass 2^64)",
            p.new,
            p.prefix
        );
        batch.add_prefill_chunk(p.new, p.prefix);
    }
    let mut seqs = 0u128;
    let mut decode_kv = 0u128;
    for d in &args.decode {
        seqs += u128::from(d.count);
        decode_kv += u128::from(d.context) * u128::from(d.count);
        kv += (u128::from(d.context) + 1) * u128::from(d.count);
        anyhow::ensure!(
            u32::try_from(seqs).is_ok() && u64::try_from(decode_kv).is_ok(),
            "--decode {}x{}: the batch is too large to price (more than 2^32 sequences, or a KV \
             read past 2^64 tokens)",
            d.context,
            d.count
        );
    }
    // Set in closed form: a loop of add_decode would take 2^32 steps for `LxB` with a large B.
    batch.decode_seqs = seqs as u32;
    batch.decode_kv_tokens = decode_kv as u64;
    Ok((batch, kv))
}

/// `12.3 G` style with an SI prefix.
fn si(x: f64) -> String {
    if x == 0.0 {
        return "0 ".into();
    }
    let (v, unit) = match x.abs() {
        a if a >= 1e15 => (x / 1e15, "P"),
        a if a >= 1e12 => (x / 1e12, "T"),
        a if a >= 1e9 => (x / 1e9, "G"),
        a if a >= 1e6 => (x / 1e6, "M"),
        a if a >= 1e3 => (x / 1e3, "k"),
        _ => (x, ""),
    };
    format!("{v:.2} {unit}")
}

/// Seconds as `ms` or `µs`.
fn secs(s: f64) -> String {
    if s >= 1.0 {
        format!("{s:.3} s")
    } else if s >= 1e-3 {
        format!("{:.3} ms", s * 1e3)
    } else {
        format!("{:.1} µs", s * 1e6)
    }
}

fn calibration_label(perf: &PerfModel, args: &PredictArgs) -> String {
    match (&args.calibration, &perf.calibration().provenance) {
        (None, _) => "datasheet defaults".into(),
        (Some(id), _) if BuiltinProfile::find(id).is_some() => {
            let p = BuiltinProfile::find(id).map_or("", |p| p.label);
            format!("{id} ({p})")
        }
        (Some(path), Some(p)) => format!("{path} ({}, {})", p.adapter, p.date),
        (Some(path), None) => path.clone(),
    }
}

/// The GPU a profile was measured on (or derived for), when it names one: a built-in's, or
/// the catalog GPU whose id or name its provenance's adapter names.
fn profile_gpu(id: Option<&str>, calib: &Calibration) -> Option<GpuKind> {
    if let Some(p) = id.and_then(BuiltinProfile::find) {
        return p.gpu();
    }
    let adapter = calib.provenance.as_ref()?.adapter.to_uppercase();
    GpuKind::ALL
        .into_iter()
        .find(|g| adapter.contains(&g.id().to_uppercase()))
}

/// A warning when the profile describes another GPU than `--gpu`.
fn gpu_mismatch(id: Option<&str>, calib: &Calibration, gpu: GpuKind) -> Option<String> {
    let measured = profile_gpu(id, calib)?;
    (measured != gpu).then(|| {
        format!(
            "the calibration profile describes the {} but --gpu is the {}: its efficiencies \
             are applied to the {}'s datasheet peaks",
            measured.spec().name,
            gpu.spec().name,
            gpu.spec().name
        )
    })
}

fn print_text(
    args: &PredictArgs,
    perf: &PerfModel,
    b: &BatchShape,
    ops: &[OpEstimate],
) -> Result<(), StdoutError> {
    let m = perf.model();
    crate::outln!(
        "{} on one replica of {} × {}, calibration: {}",
        m.name,
        perf.tp(),
        perf.cluster().gpu.name,
        calibration_label(perf, args)
    )?;
    crate::outln!(
        "batch: {} prefill chunk(s), {} new tokens, {} cached prefix tokens, {} attention pairs; \
         {} decode sequence(s) reading {} KV tokens",
        b.prefill_seqs,
        b.prefill_tokens,
        b.prefill_prefix_tokens,
        b.prefill_attn_pairs,
        b.decode_seqs,
        b.decode_kv_tokens
    )?;
    if !ops.is_empty() {
        crate::outln!(
            "per GPU; FLOPs, bytes and time/op are one occurrence, × count per iteration"
        )?;
        crate::outln!(
            "{:<20} {:>5} {:>11} {:>10} {:>11} {:>11} {:>11}  bound",
            "op",
            "count",
            "FLOPs",
            "bytes",
            "time/op",
            "total",
            "share"
        )?;
        let total = ops.last().map_or(0.0, |r| r.time_s);
        for r in ops {
            let all = r.time_s * r.count as f64;
            if r.name == "total" {
                crate::outln!("{}", "-".repeat(92))?;
            }
            crate::outln!(
                "{:<20} {:>5} {:>11} {:>10} {:>11} {:>11} {:>10.1}%  {}",
                r.name,
                r.count,
                format!("{}FLOP", si(r.flops)),
                format!("{}B", si(r.bytes)),
                secs(r.time_s),
                secs(all),
                100.0 * all / total,
                r.bound.as_str()
            )?;
        }
        crate::outln!("iteration time: {}", perf.iteration_time(b))?;
    }
    let c = perf.calibration();
    crate::outln!(
        "serving-engine costs: {} per iteration + {} per sequence (in the table's \
         iteration_overhead row); {} per request on the path to its first token (added to \
         TTFT and completion, no GPU time)",
        secs(c.iteration_overhead_s),
        secs(c.iteration_overhead_per_seq_s),
        secs(c.request_overhead_s)
    )?;
    crate::outln!(
        "KV cache: {} bytes/token; capacity {} tokens per replica ({:.1} GiB of KV)",
        perf.kv_bytes_per_token(),
        perf.kv_capacity_tokens(),
        (perf.kv_capacity_tokens() * perf.kv_bytes_per_token()) as f64 / (1u64 << 30) as f64
    )?;
    Ok(())
}

fn plan_label(plan: SpPlan) -> String {
    match plan {
        SpPlan::Ring => "ring attention + TP".into(),
        SpPlan::Hybrid { attention, mlp } => format!("attention {attention:?}, MLP {mlp:?}"),
    }
}

fn print_sp(perf: &PerfModel, tokens: u64, group: &SpGroup) -> Result<(), StdoutError> {
    crate::outln!()?;
    crate::outln!(
        "long prefill of {tokens} tokens over replicas per node {:?} ({} GPUs):",
        group.replicas_per_node,
        group.replicas() * perf.tp()
    )?;
    let row = |label: &str, e: &SpEstimate| {
        crate::outln!(
            "  {:<44} {:>11}  (compute {}, comm {}, per layer {})",
            label,
            e.time,
            e.compute_time,
            e.comm_time,
            e.per_layer
        )
    };
    let ring = perf.sp_prefill(tokens, group, SpMode::RingOnly);
    let fast = perf.sp_prefill(tokens, group, SpMode::Fast);
    row("ring-only (baselines, /FSP)", &ring)?;
    for SpCandidate { estimate, .. } in perf.sp_candidates(tokens, group) {
        if let Some(e) = estimate {
            row(&format!("  {}", plan_label(e.plan)), &e)?;
        }
    }
    row(&format!("fast SP → {}", plan_label(fast.plan)), &fast)?;
    // What chooses the plan: the paper's cost table (docs/paper.md §2.7), not the roofline.
    crate::outln!(
        "  the paper's cost table (chooses fast SP's combination; the roofline prices it):"
    )?;
    let costs = perf.sp_costs(tokens, group, DEFAULT_SP_COST_COUNTING);
    let chosen = perf.sp_choice(tokens, group);
    for c in costs {
        crate::outln!(
            "    attention {:<9} MLP {:<8} comm {:>9.3} s  compute {:>9.3} s  total {:>9.3} s{}",
            format!("{:?},", c.attention),
            format!("{:?}", c.mlp),
            c.comm_s,
            c.compute_s,
            c.total_s(),
            match ((c.attention, c.mlp) == chosen, c.feasible) {
                (_, false) => "  (infeasible: heads do not divide)",
                (true, true) => "  ← chosen",
                (false, true) => "",
            }
        )?;
    }
    crate::outln!(
        "  fast SP speed-up over ring-only: {:.2}×; decode-step overhead of the spread KV: {}",
        ring.time.as_secs_f64() / fast.time.as_secs_f64(),
        perf.sp_decode_overhead(group)
    )?;
    crate::outln!(
        "  colocation cap during its decode (a step slowed by at most {} %): {} short-prefill \
         tokens per GPU (the engine's default, knobs.colocation_cap = derived)",
        DEFAULT_MAX_SLOWDOWN_PERMILLE as f64 / 10.0,
        colocation_cap(perf, tokens, group),
    )?;
    Ok(())
}

/// The derived colocation cap for a long request of `tokens` input tokens spread over `group`
/// (each member holds its share of the KV at the first decode step), at the default slowdown
/// bound: the engine's rule (`ColocationCap::Derived`).
fn colocation_cap(perf: &PerfModel, tokens: u64, group: &SpGroup) -> u32 {
    ColocationCap::default().tokens_per_gpu(perf, tokens, group)
}

fn print_json(
    args: &PredictArgs,
    perf: &PerfModel,
    b: &BatchShape,
    ops: &[OpEstimate],
    sp: Option<&(u64, SpGroup)>,
) -> Result<(), StdoutError> {
    let estimate = |e: &SpEstimate| {
        json!({
            "plan": e.plan,
            "time_s": e.time.as_secs_f64(),
            "compute_s": e.compute_time.as_secs_f64(),
            "comm_s": e.comm_time.as_secs_f64(),
            "per_layer_s": e.per_layer.as_secs_f64(),
        })
    };
    let sp = sp.map(|(tokens, group)| {
        let candidates: Vec<_> = perf
            .sp_candidates(*tokens, group)
            .iter()
            .map(|c| {
                json!({
                    "attention": c.attention,
                    "mlp": c.mlp,
                    "estimate": c.estimate.as_ref().map(estimate),
                })
            })
            .collect();
        json!({
            "input_tokens": tokens,
            "replicas_per_node": group.replicas_per_node,
            "ring_only": estimate(&perf.sp_prefill(*tokens, group, SpMode::RingOnly)),
            "fast": estimate(&perf.sp_prefill(*tokens, group, SpMode::Fast)),
            "candidates": candidates,
            "cost_table": perf
                .sp_costs(*tokens, group, DEFAULT_SP_COST_COUNTING)
                .iter()
                .map(|c| json!({
                    "attention": c.attention,
                    "mlp": c.mlp,
                    "comm_s": c.comm_s,
                    "compute_s": c.compute_s,
                    "total_s": c.total_s(),
                    "feasible": c.feasible,
                }))
                .collect::<Vec<_>>(),
            "cost_table_choice": perf.sp_choice(*tokens, group),
            "decode_overhead_s": perf.sp_decode_overhead(group).as_secs_f64(),
            "colocation_cap_tokens_per_gpu": colocation_cap(perf, *tokens, group),
            "colocation_max_slowdown_permille": DEFAULT_MAX_SLOWDOWN_PERMILLE,
        })
    });
    let out = json!({
        "gpu": args.gpu.id(),
        "model": args.model.id(),
        "tp": perf.tp(),
        "calibration": perf.calibration(),
        "batch": b,
        "ops": ops,
        "iteration_time_s": perf.iteration_time(b).as_secs_f64(),
        "iteration_time_ns": perf.iteration_time(b).0,
        "request_overhead_s": perf.calibration().request_overhead_s,
        "kv_bytes_per_token": perf.kv_bytes_per_token(),
        "kv_capacity_tokens": perf.kv_capacity_tokens(),
        "long_prefill": sp,
    });
    crate::outln!("{}", serde_json::to_string_pretty(&out).unwrap_or_default())?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn warns_when_a_profile_describes_another_gpu() {
        let h100 = Calibration::builtin("h100-vllm").unwrap();
        assert!(gpu_mismatch(Some("h100-vllm"), &h100, GpuKind::A100Sxm80).is_some());
        assert!(gpu_mismatch(Some("h100-vllm"), &h100, GpuKind::H100Sxm80).is_none());
        let data = Calibration::datasheet_default();
        assert!(gpu_mismatch(Some("datasheet"), &data, GpuKind::A100Sxm80).is_none());
        // A file: the adapter of its provenance.
        let wgpu = Calibration::builtin("h100-wgpu").unwrap();
        assert!(gpu_mismatch(Some("x.json"), &wgpu, GpuKind::H200Sxm141).is_some());
        assert!(gpu_mismatch(None, &data, GpuKind::H200Sxm141).is_none());
    }

    #[test]
    fn parses_chunks_and_decode_groups() {
        assert_eq!(
            parse_prefill("4096"),
            Ok(PrefillArg {
                new: 4096,
                prefix: 0
            })
        );
        assert_eq!(
            parse_prefill("512@8000"),
            Ok(PrefillArg {
                new: 512,
                prefix: 8000
            })
        );
        assert!(parse_prefill("0").is_err());
        assert!(parse_prefill("12@x").unwrap_err().contains("prefix"));
        assert_eq!(
            parse_decode("2000"),
            Ok(DecodeArg {
                context: 2000,
                count: 1
            })
        );
        assert_eq!(
            parse_decode("2000x16"),
            Ok(DecodeArg {
                context: 2000,
                count: 16
            })
        );
        assert!(parse_decode("10x0").is_err());
        assert!(parse_decode("abc").unwrap_err().contains("context"));
        assert_eq!("h100".parse(), Ok(GpuKind::H100Sxm80));
        assert!(
            "v100"
                .parse::<GpuKind>()
                .unwrap_err()
                .to_string()
                .contains("a100")
        );
        assert_eq!("yi-34b".parse(), Ok(ModelKind::Yi34B));
        assert!("gpt".parse::<ModelKind>().is_err());
    }
}
