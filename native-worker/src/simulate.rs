//! `pecsched-worker simulate`: run a scenario (a JSON file, or the embedded default adjusted by
//! flags) under one or more policies and print a summary table, JSON, or per-request CSV.

use crate::output::{OutputFile, StdoutError};
use crate::trace_file::TraceFile;
use anyhow::{Context, Result};
use clap::Args;
use indicatif::{ProgressBar, ProgressStyle};
use pecsched_core::hardware::GpuKind;
use pecsched_core::metrics::{RequestRecord, Summary};
use pecsched_core::model::ModelKind;
use pecsched_core::policy::PolicyKind;
use pecsched_core::scenario::wire::{LongInputWire, Transform};
use pecsched_core::scenario::{EmbeddedTrace, Scenario, Source, format_from_id};
use pecsched_core::sim::trace_event::TraceEvents;
use std::io::Write;
use std::path::PathBuf;

/// Flags of `simulate`. Every flag overrides the scenario (the embedded default unless
/// `--scenario` names a file).
#[derive(Args, Debug, Clone)]
pub struct SimulateArgs {
    /// Scenario JSON file (see `pecsched-worker scenario` for the default one to start from).
    #[arg(long, value_name = "PATH")]
    pub scenario: Option<PathBuf>,
    /// Read requests from this trace file instead of the scenario's source. The trace is
    /// replayed as recorded (rate ×1, every request, lengths unchanged) unless --rate-scale,
    /// --window, --max-requests or --long-input ask for a transform.
    #[arg(long, value_name = "PATH")]
    pub trace: Option<PathBuf>,
    /// Format of --trace: azure, mooncake, burstgpt or plain (detected from the header if omitted).
    #[arg(long, value_name = "FORMAT")]
    pub format: Option<String>,
    /// Use an embedded trace: azure-conv-2023 or azure-code-2023.
    #[arg(long, value_name = "NAME")]
    pub embedded: Option<String>,
    /// Model: mistral-7b, phi3-14b, yi-34b, llama3.1-70b or llama3.1-8b.
    #[arg(long)]
    pub model: Option<String>,
    /// GPU: a100, h100 or h200.
    #[arg(long)]
    pub gpu: Option<String>,
    /// Number of nodes.
    #[arg(long)]
    pub nodes: Option<u32>,
    /// GPUs per node (NVLink-connected).
    #[arg(long)]
    pub gpus_per_node: Option<u32>,
    /// Tensor-parallel size of one replica (must divide --gpus-per-node).
    #[arg(long)]
    pub tp: Option<u32>,
    /// Policy to run; repeat to compare several (default: the scenario's list).
    #[arg(long = "policy", value_name = "ID")]
    pub policies: Vec<String>,
    /// Seed of every random draw (the long-input transform, synthetic arrivals).
    #[arg(long)]
    pub seed: Option<u64>,
    /// Multiply the arrival rate by this factor (0.5 = half the load).
    #[arg(long)]
    pub rate_scale: Option<f64>,
    /// Keep arrivals in START:END seconds of the trace (e.g. 0:600).
    #[arg(long, value_name = "START:END")]
    pub window: Option<String>,
    /// Keep all arrivals (drop the scenario's time window).
    #[arg(long, conflicts_with = "window")]
    pub no_window: bool,
    /// Keep at most this many requests.
    #[arg(long)]
    pub max_requests: Option<u32>,
    /// Do not apply the paper's long-input transform (p95 → 100K–500K tokens).
    #[arg(long)]
    pub no_long_input: bool,
    /// Apply the paper's long-input transform: inputs above the 95th percentile become
    /// 100K–500K tokens (the default scenario does this; a --trace does not unless asked).
    #[arg(long, conflicts_with = "no_long_input")]
    pub long_input: bool,
    /// Print the summaries as JSON instead of a table.
    #[arg(long)]
    pub json: bool,
    /// Write one CSV row per request and policy to this file.
    #[arg(long, value_name = "PATH")]
    pub requests_csv: Option<PathBuf>,
    /// Write every policy's timeline as Chrome trace-event JSON to this file (open it in
    /// Perfetto, ui.perfetto.dev, or chrome://tracing): a process per node, a thread per
    /// replica, slices of the work each ran, preemptions and KV hand-overs, queue and KV
    /// counters.
    #[arg(long, value_name = "PATH")]
    pub timeline_trace: Option<PathBuf>,
    /// Hide the progress bar.
    #[arg(long)]
    pub quiet: bool,
}

/// Most spans (and most instant events, and most counter samples) one policy's timeline keeps
/// in a `--timeline-trace` file; a run with more is marked truncated in the file.
pub const TIMELINE_TRACE_SPANS: u32 = 4_000_000;

/// Builds the scenario the flags describe, and the trace file it reads, if any (not read
/// yet: see [`crate::trace_file::read`]).
pub fn scenario_from_args(a: &SimulateArgs) -> Result<(Scenario, Option<TraceFile>)> {
    let mut s = match &a.scenario {
        Some(p) => {
            let text = std::fs::read_to_string(p)
                .with_context(|| format!("reading scenario {}", p.display()))?;
            Scenario::from_json(&text)
                .with_context(|| format!("in scenario file {}", p.display()))?
        }
        None => Scenario::default_scenario(),
    };
    let mut trace = None;
    let mut window_s: Option<(f64, f64)> = None;
    if let Some(p) = &a.trace {
        let given = match &a.format {
            Some(f) => Some(format_from_id(f).with_context(|| {
                format!("--format {f:?}: expected azure, mooncake, burstgpt or plain")
            })?),
            None => None,
        };
        let format = crate::trace_file::format_of(p, given)?;
        let name = p.file_name().map_or_else(
            || p.display().to_string(),
            |n| n.to_string_lossy().into_owned(),
        );
        // A user's trace is replayed as recorded: the default scenario's window, rate and
        // long-input transform were chosen for the embedded trace, not for this one. A
        // scenario file written for a trace file keeps the transforms it asks for.
        if !matches!(s.source, Source::File { .. }) {
            s.window = None;
            s.rate_scale = 1.0;
            s.max_requests = None;
            s.long_input = None;
        }
        s.source = Source::File { name, format };
        trace = Some(TraceFile {
            path: p.clone(),
            format,
        });
    } else if let Some(e) = &a.embedded {
        let t = EmbeddedTrace::from_id(e).with_context(|| {
            format!("--embedded {e:?}: expected azure-conv-2023 or azure-code-2023")
        })?;
        s.source = Source::Embedded(t);
    }
    if let Some(m) = &a.model {
        s.model = ModelKind::from_id(m).with_context(|| {
            let ids: Vec<_> = ModelKind::ALL.iter().map(|m| m.id()).collect();
            format!(
                "--model {m:?}: unknown model; expected one of {}",
                ids.join(", ")
            )
        })?;
    }
    if let Some(g) = &a.gpu {
        s.gpu = GpuKind::from_id(g)
            .with_context(|| format!("--gpu {g:?}: expected a100, h100 or h200"))?;
        s.cluster.gpu = s.gpu.spec();
    }
    if let Some(n) = a.nodes {
        s.cluster.nodes = n;
    }
    if let Some(n) = a.gpus_per_node {
        s.cluster.gpus_per_node = n;
    }
    if let Some(tp) = a.tp {
        s.tp = tp;
    }
    if !a.policies.is_empty() {
        s.policies = a
            .policies
            .iter()
            .map(|p| {
                PolicyKind::from_id(p).with_context(|| {
                    let ids: Vec<_> = PolicyKind::ALL.iter().map(|p| p.id()).collect();
                    format!(
                        "--policy {p:?}: unknown policy; expected one of {}",
                        ids.join(", ")
                    )
                })
            })
            .collect::<Result<_>>()?;
    }
    if let Some(seed) = a.seed {
        s.seed = seed;
    }
    if let Some(r) = a.rate_scale {
        s.rate_scale = r;
    }
    if a.no_window {
        s.window = None;
    }
    if let Some(w) = &a.window {
        let (x, y) = w
            .split_once(':')
            .with_context(|| format!("--window {w:?}: expected START:END in seconds"))?;
        let x: f64 = x
            .trim()
            .parse()
            .with_context(|| format!("--window start {x:?} is not a number"))?;
        let y: f64 = y
            .trim()
            .parse()
            .with_context(|| format!("--window end {y:?} is not a number"))?;
        // Validated with the rest of the scenario below (the wire form keeps the raw numbers).
        window_s = Some((x, y));
    }
    if let Some(n) = a.max_requests {
        s.max_requests = Some(n);
    }
    if a.no_long_input {
        s.long_input = None;
    }
    if a.long_input {
        let (percentile, min_tokens, max_tokens) = pecsched_core::workload::LONG_INPUT_DEFAULTS;
        s.long_input = Some(LongInputWire {
            percentile,
            min_tokens,
            max_tokens,
        });
    }
    // Re-validate everything the flags may have broken, through the wire form.
    let mut wire = s.to_wire();
    if window_s.is_some() {
        wire.workload.window_s = window_s;
    }
    let s = Scenario::from_wire(&wire).map(|mut v| {
        v.calibration = s.calibration.clone();
        v
    });
    Ok((s.context("invalid flags")?, trace))
}

/// Runs `simulate`.
pub fn run(a: SimulateArgs) -> Result<()> {
    // Output paths first: a typo must not cost a whole simulation.
    let requests_csv = a
        .requests_csv
        .as_deref()
        .map(|p| OutputFile::check("--requests-csv", p))
        .transpose()?;
    let timeline_trace = a
        .timeline_trace
        .as_deref()
        .map(|p| OutputFile::check("--timeline-trace", p))
        .transpose()?;
    let mut trace_events = TraceEvents::new();
    let (scenario, trace) = scenario_from_args(&a)?;
    let mut note = None;
    let requests = match &trace {
        // Streamed: stops at the window's end or the request limit, fails fast past the
        // most requests a run takes.
        Some(t) => {
            let read = crate::trace_file::read(t, scenario.trace_keep(), a.quiet || a.json)?;
            if read.failed_skipped > 0 {
                note = Some(format!(
                    "{} failed requests (Response tokens = 0) skipped",
                    read.failed_skipped
                ));
            }
            scenario.requests_from_trace(read.requests)?
        }
        None => scenario.requests(None)?,
    };
    let mut results: Vec<(Summary, Vec<RequestRecord>)> = Vec::new();
    for &p in &scenario.policies {
        let mut sim = scenario.simulation(p, requests.clone())?;
        if timeline_trace.is_some() {
            sim.record_timeline_detail(TIMELINE_TRACE_SPANS);
        }
        let bar = if a.quiet || a.json {
            ProgressBar::hidden()
        } else {
            ProgressBar::new(1000)
        };
        bar.set_style(
            ProgressStyle::with_template("{prefix:>14} [{bar:40}] {percent:>3}% {msg}")?
                .progress_chars("=> "),
        );
        bar.set_prefix(p.id());
        let mut n = 0u64;
        while sim.step() {
            n += 1;
            if n.is_multiple_of(4096) {
                bar.set_position((sim.progress() * 1000.0) as u64);
                bar.set_message(format!("t = {:.0} s", sim.now().as_secs_f64()));
            }
        }
        bar.finish_and_clear();
        if timeline_trace.is_some() {
            let per_node = scenario.cluster.gpus_per_node / scenario.tp;
            let replicas = per_node * scenario.cluster.nodes;
            trace_events.add_run(p.id(), sim.timeline(), per_node, replicas);
            if sim.timeline().truncated {
                eprintln!(
                    "warning: {}: the timeline trace keeps the first {TIMELINE_TRACE_SPANS} \
                     spans; later work is not in it",
                    p.id()
                );
            }
        }
        results.push(sim.finish());
    }
    if let Some(out) = &timeline_trace {
        out.write_text(&trace_events.finish())?;
    }
    if let Some(out) = &requests_csv {
        out.write(|w| write_requests_csv(w, &results))?;
    }
    if a.json
        && let Some(note) = &note
    {
        eprintln!("note: {note}");
    }
    if a.json {
        let summaries: Vec<&Summary> = results.iter().map(|r| &r.0).collect();
        crate::outln!("{}", serde_json::to_string_pretty(&summaries)?)?;
    } else {
        print_header(&scenario, requests.len(), note.as_deref())?;
        crate::table::print_summaries(results.iter().map(|r| &r.0))?;
        for (s, _) in &results {
            if let Some(why) = &s.stopped {
                eprintln!("warning: {}: {why}", s.policy);
            }
        }
    }
    Ok(())
}

fn print_header(s: &Scenario, n: usize, note: Option<&str>) -> Result<(), StdoutError> {
    let source = match &s.source {
        Source::Embedded(t) => t.label().to_string(),
        Source::File { name, .. } => name.clone(),
        Source::Synthetic(_) => "synthetic".to_string(),
    };
    crate::outln!(
        "{} × {} ({} nodes × {} GPUs, TP={}), {}, {} requests, seed {}",
        s.model.spec().name,
        s.gpu.spec().name,
        s.cluster.nodes,
        s.cluster.gpus_per_node,
        s.tp,
        source,
        n,
        s.seed
    )?;
    crate::outln!("transforms: {}", transforms(s))?;
    if let Some(note) = note {
        crate::outln!("read: {note}")?;
    }
    Ok(())
}

/// Every transform the scenario applies to its source, in the order applied, or
/// "none: replayed as recorded".
pub fn transforms(s: &Scenario) -> String {
    let t: Vec<String> = s
        .to_wire()
        .workload
        .transforms()
        .into_iter()
        .map(|t| match t {
            Transform::Window { start_s, end_s } => format!("window {start_s}–{end_s} s"),
            Transform::RateScale(r) => format!("rate ×{r}"),
            Transform::MaxRequests(n) => format!("first {n} requests"),
            Transform::LongInput(li) => format!(
                "long-input transform (inputs above p{} → {}–{} tokens)",
                li.percentile, li.min_tokens, li.max_tokens
            ),
        })
        .collect();
    if t.is_empty() {
        "none: replayed as recorded".to_string()
    } else {
        t.join(", ")
    }
}

/// One CSV row per request and policy. Written through [`OutputFile::write`]: to a temporary
/// file renamed into place once complete.
fn write_requests_csv(
    f: &mut dyn Write,
    results: &[(Summary, Vec<RequestRecord>)],
) -> std::io::Result<()> {
    writeln!(f, "{}", pecsched_core::metrics::CSV_HEADER)?;
    for (s, recs) in results {
        for r in recs {
            writeln!(f, "{}", r.csv_row(&s.policy))?;
        }
    }
    Ok(())
}
