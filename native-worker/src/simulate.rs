//! `pecsched-worker simulate`: run a scenario (a JSON file, or the embedded default adjusted by
//! flags) under one or more policies and print a summary table, JSON, or per-request CSV.

use crate::output::{OutputFile, StdoutError};
use crate::trace_file::TraceFile;
use anyhow::{Context, Result};
use clap::Args;
use indicatif::{ProgressBar, ProgressStyle};
use pecsched_core::hardware::GpuKind;
use pecsched_core::metrics::{DiscardRecords, RecordSink, RequestRecord, Slo, Summary};
use pecsched_core::model::ModelKind;
use pecsched_core::policy::PolicyKind;
use pecsched_core::scenario::wire::{LongInputWire, ScenarioWire, SloWire, SourceWire, Transform};
use pecsched_core::scenario::{EmbeddedTrace, Scenario, Source, link};
use pecsched_core::sim::trace_event::TraceEvents;
use pecsched_core::text::shorten;
use pecsched_core::workload::TraceFormat;
use std::io::Write;
use std::path::{Path, PathBuf};

/// Flags of `simulate`. Every flag overrides the scenario (the embedded default unless
/// `--scenario` or `--link` names another).
#[derive(Args, Debug, Clone)]
pub struct SimulateArgs {
    /// Scenario JSON file (see `pecsched-worker scenario` for the default one to start from).
    #[arg(long, value_name = "PATH", conflicts_with = "link")]
    pub scenario: Option<PathBuf>,
    /// The explorer's share link (the whole URL, its `#s=…` fragment, or the token): reruns
    /// exactly the scenario on the page. Quote it in the shell (it may contain `&`).
    #[arg(long, value_name = "URL")]
    pub link: Option<String>,
    /// Read requests from this trace file instead of the scenario's source. The trace is
    /// replayed as recorded (rate ×1, every request, lengths unchanged) unless --rate-scale,
    /// --window, --max-requests or --long-input ask for a transform.
    #[arg(long, value_name = "PATH")]
    pub trace: Option<PathBuf>,
    /// Format of --trace: azure, mooncake, burstgpt or plain (detected from the header if omitted).
    #[arg(long, value_name = "FORMAT")]
    pub format: Option<TraceFormat>,
    /// Use an embedded trace: azure-conv-2023 or azure-code-2023.
    #[arg(long, value_name = "NAME")]
    pub embedded: Option<EmbeddedTrace>,
    /// Model: mistral-7b, phi3-14b, yi-34b, llama3.1-70b or llama3.1-8b.
    #[arg(long)]
    pub model: Option<ModelKind>,
    /// GPU: a100, h100 or h200.
    #[arg(long)]
    pub gpu: Option<GpuKind>,
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
    pub policies: Vec<PolicyKind>,
    /// Seed of every random draw (the long-input transform, synthetic arrivals).
    #[arg(long)]
    pub seed: Option<u64>,
    /// Calibration of the performance model: a built-in profile id (datasheet, h100-wgpu, …)
    /// or a profile file; carried in the scenario (and in `scenario --link` output).
    #[arg(long, value_name = "ID|FILE")]
    pub calibration: Option<String>,
    /// PecSched's decode-only replicas (default: 1/8 of the replicas, the paper's share).
    #[arg(long, value_name = "N")]
    pub decode_replicas: Option<u32>,
    /// PecSched's colocation cap: derived (from the cost model, a long-decode step slowed by
    /// at most 5 %: the default), derived:PERMILLE, or fixed:TOKENS per GPU.
    #[arg(long, value_name = "RULE", value_parser = crate::knob_flags::parse_colocation_cap)]
    pub colocation_cap: Option<pecsched_core::policy::ColocationCap>,
    /// Reservation's long-request pool: N replicas, or for:INPUT[:OUTPUT] (the replicas one
    /// request of that size needs; default for:500000:2048, the paper's sizing).
    #[arg(long, value_name = "SIZE", value_parser = crate::knob_flags::parse_reservation_pool)]
    pub reservation_pool: Option<pecsched_core::policy::ReservationPool>,
    /// Priority's placement of long requests: no-queued-short-work (default) or
    /// completely-idle.
    #[arg(long, value_name = "RULE")]
    pub priority_placement: Option<String>,
    /// Multiply the arrival rate by this factor (0.5 = half the load).
    #[arg(long)]
    pub rate_scale: Option<f64>,
    /// Keep arrivals in START:END seconds of the trace (e.g. 0:600).
    #[arg(long, value_name = "START:END", value_parser = parse_window)]
    pub window: Option<(f64, f64)>,
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
    /// Prefix caching (docs/prefix-caching.md).
    #[command(flatten)]
    pub prefix: crate::prefix_flags::PrefixArgs,
    #[command(flatten)]
    pub params: crate::param_flags::PolicyParamArgs,
    /// Read the trace one request at a time instead of whole, and spool finished requests'
    /// records to a temporary file: for traces too large to hold (tens of millions of
    /// requests, up to 2^32 − 1). Needs `--trace`; the same results as without it. Not with
    /// prefix models or `--timeline-trace`.
    #[arg(long)]
    pub stream: bool,
}

/// Flags of `scenario`.
#[derive(Args, Debug, Clone)]
pub struct ScenarioArgs {
    /// Print the scenario of this explorer share link (the whole URL, its `#s=…` fragment, or
    /// the token) instead of the default, with every knob explicit.
    #[arg(long, value_name = "URL")]
    pub link: Option<String>,
}

/// Runs `scenario`: the validated scenario as JSON, every engine and policy knob written out.
pub fn print_scenario(a: &ScenarioArgs) -> Result<()> {
    let w = base_wire(None, a.link.as_deref())?;
    let s = Scenario::from_wire(&w).context("in the linked scenario")?;
    crate::outln!("{}", s.to_json())?;
    Ok(())
}

/// Most spans (and most instant events, and most counter samples) one policy's timeline keeps
/// in a `--timeline-trace` file; a run with more is marked truncated in the file.
pub const TIMELINE_TRACE_SPANS: u32 = 4_000_000;

/// `START:END` seconds (validated with the rest of the scenario).
pub fn parse_window(w: &str) -> Result<(f64, f64), String> {
    let (x, y) = w
        .split_once(':')
        .ok_or_else(|| "expected START:END in seconds".to_string())?;
    let num = |v: &str, what: &str| {
        v.trim()
            .parse::<f64>()
            .map_err(|_| format!("{what} {v:?} is not a number"))
    };
    Ok((num(x, "start")?, num(y, "end")?))
}

/// The wire form of the scenario a `--scenario` file or `--link` names, or of the default.
pub fn base_wire(scenario: Option<&Path>, link_text: Option<&str>) -> Result<ScenarioWire> {
    if let Some(p) = scenario {
        let text = std::fs::read_to_string(p)
            .with_context(|| format!("reading scenario {}", p.display()))?;
        return ScenarioWire::from_json(&text)
            .with_context(|| format!("in scenario file {}", p.display()));
    }
    if let Some(l) = link_text {
        let token = link::token_from_link(l).with_context(|| {
            format!("--link {l:?}: it holds no scenario (expected …#s=<token>)")
        })?;
        let mut w = link::decode(token).with_context(|| format!("--link: {}", shorten(l, 60)))?;
        // A version-1 link's `&c=<profile>` is its calibration.
        link::apply_link_extras(l, &mut w);
        return Ok(w);
    }
    Ok(Scenario::default_scenario().to_wire())
}

/// Builds the scenario the flags describe, and the trace file it reads, if any (not read
/// yet: see [`crate::trace_file::read`]). Flags change the wire form; the result is validated
/// once.
pub fn scenario_from_args(a: &SimulateArgs) -> Result<(Scenario, Option<TraceFile>)> {
    let mut w = base_wire(a.scenario.as_deref(), a.link.as_deref())?;
    let wl = &mut w.workload;
    let mut trace = None;
    if let Some(p) = &a.trace {
        let format = crate::trace_file::format_of(p, a.format)?;
        let name = p.file_name().map_or_else(
            || p.display().to_string(),
            |n| n.to_string_lossy().into_owned(),
        );
        // A user's trace is replayed as recorded: the default scenario's window, rate and
        // long-input transform were chosen for the embedded trace, not for this one. A
        // scenario file written for a trace file keeps the transforms it asks for.
        if !matches!(wl.source, SourceWire::File { .. }) {
            wl.window_s = None;
            wl.rate_scale = 1.0;
            wl.max_requests = None;
            wl.long_input = None;
        }
        wl.source = SourceWire::File {
            name,
            format: format.id().to_string(),
        };
        trace = Some(TraceFile {
            path: p.clone(),
            format,
        });
    } else if let Some(t) = a.embedded {
        wl.source = SourceWire::Embedded(t.id().to_string());
    }
    if let Some(r) = a.rate_scale {
        wl.rate_scale = r;
    }
    if a.no_window {
        wl.window_s = None;
    }
    if let Some(win) = a.window {
        wl.window_s = Some(win);
    }
    if let Some(n) = a.max_requests {
        wl.max_requests = Some(n);
    }
    if a.no_long_input {
        wl.long_input = None;
    }
    if a.long_input {
        let (percentile, min_tokens, max_tokens) = pecsched_core::workload::LONG_INPUT_DEFAULTS;
        wl.long_input = Some(LongInputWire {
            percentile,
            min_tokens,
            max_tokens,
        });
    }
    if let Some(m) = a.model {
        w.model = m.id().to_string();
    }
    if let Some(g) = a.gpu {
        w.cluster.gpu = g.id().to_string();
    }
    if let Some(n) = a.nodes {
        w.cluster.nodes = n;
    }
    if let Some(n) = a.gpus_per_node {
        w.cluster.gpus_per_node = n;
    }
    if let Some(tp) = a.tp {
        w.tp = tp;
    }
    if !a.policies.is_empty() {
        w.policies = a.policies.iter().map(|p| p.id().to_string()).collect();
    }
    if let Some(seed) = a.seed {
        w.seed = seed;
    }
    let mut file_calibration = None;
    if let Some(c) = &a.calibration {
        let (wire, cal) = crate::knob_flags::calibration_wire(c)?;
        w.calibration = Some(wire);
        // A file's provenance stays with this run's scenario (the wire carries numbers only).
        file_calibration = cal.provenance.is_some().then_some(cal);
    }
    let knobs = w.knobs.get_or_insert_with(Default::default);
    if let Some(n) = a.decode_replicas {
        knobs.decode_replicas = Some(n);
    }
    if let Some(c) = a.colocation_cap {
        knobs.colocation_cap = c;
    }
    if let Some(p) = a.reservation_pool {
        knobs.reservation_pool = p;
    }
    if let Some(p) = &a.priority_placement {
        knobs.priority_placement = p.clone();
    }
    a.prefix.apply(&mut w);
    a.params.apply(&mut w);
    let s = Scenario::from_wire(&w).with_context(|| match (&a.scenario, &a.link) {
        (Some(p), _) => format!("in scenario file {}", p.display()),
        (None, Some(_)) => "in the linked scenario".to_string(),
        (None, None) => "invalid flags".to_string(),
    })?;
    let s = match file_calibration {
        Some(cal)
            if a.calibration
                .as_deref()
                .is_some_and(|c| Path::new(c).exists()) =>
        {
            s.with_calibration(cal)
        }
        _ => s,
    };
    Ok((s, trace))
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
    if a.stream {
        let (scenario, trace) = scenario_from_args(&a)?;
        let trace = trace.context(
            "--stream reads a trace file one request at a time: give --trace PATH (the embedded traces and synthetic workloads are small enough to run without it)",
        )?;
        return crate::simulate_stream::run(&a, scenario, &trace);
    }
    let (mut scenario, trace) = scenario_from_args(&a)?;
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
            // A trace's own prefix block ids (Mooncake `hash_ids`) key the prefix cache.
            scenario = scenario.with_block_table(read.blocks)?;
            scenario.requests_from_trace(read.requests)?
        }
        None => scenario.requests(None)?,
    };
    // Per-request records are streamed to the CSV as each run ends and dropped: only the
    // summaries are kept, so memory holds one run's records at a time.
    let mut csv = begin_requests_csv(requests_csv.as_ref())?;
    let mut results: Vec<Summary> = Vec::new();
    for &p in scenario.policies() {
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
            let per_node = scenario.cluster().gpus_per_node / scenario.tp();
            let replicas = scenario.replicas();
            trace_events.add_run(p.id(), sim.timeline(), per_node, replicas);
            if sim.timeline().truncated {
                eprintln!(
                    "warning: {}: the timeline trace keeps the first {TIMELINE_TRACE_SPANS} \
                     spans; later work is not in it",
                    p.id()
                );
            }
        }
        let summary = match csv.as_mut() {
            Some(f) => {
                let mut sink = CsvRecords {
                    w: f.writer(),
                    policy: p,
                    slo: *scenario.slo(),
                    error: None,
                };
                let summary = sim.finish_into(&mut sink);
                if let Some(e) = sink.error {
                    return Err(f.failed(e));
                }
                summary
            }
            None => sim.finish_into(&mut DiscardRecords),
        };
        results.push(summary);
    }
    if let Some(out) = &timeline_trace {
        out.write_text(&trace_events.finish())?;
    }
    if let Some(f) = csv {
        f.commit()?;
    }
    if a.json
        && let Some(note) = &note
    {
        eprintln!("note: {note}");
    }
    if a.json {
        // The summaries with what they cover: the scenario as run (its wire form, calibration
        // included), the transforms applied to the workload, the requests read.
        let out = serde_json::json!({
            "scenario": scenario.to_wire(),
            "calibration": calibration_label(&scenario),
            "transforms": transforms(&scenario),
            "requests": requests.len(),
            "read_note": note,
            "slo": SloWire::from(scenario.slo()),
            "summaries": results.iter().collect::<Vec<&Summary>>(),
        });
        crate::outln!("{}", serde_json::to_string_pretty(&out)?)?;
    } else {
        print_header(&scenario, requests.len(), note.as_deref())?;
        print_results(&scenario, &results)?;
    }
    Ok(())
}

/// The results as text: the metrics window, the summary table, the SLO, prefix caching, and a
/// warning per run that stopped early.
pub(crate) fn print_results(scenario: &Scenario, results: &[Summary]) -> Result<()> {
    if let Some(first) = results.first() {
        // The same window for every policy: it depends on the arrivals and the drain only.
        crate::outln!(
            "metrics window: {} (throughput and idle rate over the arrivals, starvation at the end of the drain; docs/metrics.md)",
            first.window()
        )?;
    }
    crate::table::print_summaries(results.iter())?;
    crate::outln!(
        "SLO (judges the SLO table; docs/metrics.md): {}",
        scenario.slo()
    )?;
    if let Some(t) = crate::prefix_flags::table(results.iter()) {
        crate::output::stdout_text(&t)?;
    }
    for s in results {
        if let Some(why) = &s.stopped {
            eprintln!("warning: {}: {why}", s.policy.id());
        }
    }
    Ok(())
}

pub(crate) fn print_header(s: &Scenario, n: usize, note: Option<&str>) -> Result<(), StdoutError> {
    let source = match s.source() {
        Source::Embedded(t) => t.label().to_string(),
        Source::File { name, .. } => name.clone(),
        Source::Synthetic(_) => "synthetic".to_string(),
    };
    crate::outln!(
        "{} × {} ({} nodes × {} GPUs, TP={}), {}, {} requests, seed {}",
        s.model().spec().name,
        s.gpu().spec().name,
        s.cluster().nodes,
        s.cluster().gpus_per_node,
        s.tp(),
        source,
        n,
        s.seed()
    )?;
    crate::outln!("transforms: {}", transforms(s))?;
    if let Some(p) = crate::prefix_flags::header(s) {
        crate::outln!("{p}")?;
    }
    crate::outln!(
        "calibration: {}; knobs: {}",
        calibration_label(s),
        knobs_label(s)
    )?;
    if let Some(note) = note {
        crate::outln!("read: {note}")?;
    }
    Ok(())
}

/// The calibration as a header names it: the profile (and overrides); a profile read from a
/// file (every field overridden) also says where it was measured.
pub fn calibration_label(s: &Scenario) -> String {
    match &s.calibration().provenance {
        Some(p) if !s.calibration_choice().overrides.is_empty() => {
            format!(
                "{} (profile of {}, {})",
                s.calibration_label(),
                p.adapter,
                p.date
            )
        }
        _ => s.calibration_label(),
    }
}

/// The policy knobs the paper leaves open, as a header names them.
pub fn knobs_label(s: &Scenario) -> String {
    use pecsched_core::policy::{ColocationCap, ReservationPool};
    let k = s.knobs();
    let cap = match k.colocation_cap {
        ColocationCap::Derived {
            max_slowdown_permille,
        } => format!(
            "colocation cap derived (long-decode step ≤ +{} %)",
            max_slowdown_permille as f64 / 10.0
        ),
        ColocationCap::Fixed { tokens_per_gpu } => {
            format!("colocation cap {tokens_per_gpu} tokens/GPU")
        }
    };
    let pool = match k.reservation_pool {
        ReservationPool::ForRequest {
            input_tokens,
            output_tokens,
        } => format!("reservation pool for {input_tokens}+{output_tokens} tokens"),
        ReservationPool::Replicas(n) => format!("reservation pool {n} replicas"),
    };
    let decode = match k.decode_replicas {
        Some(n) => format!("{n} decode replicas"),
        None => format!(
            "{} decode replicas (1/8)",
            k.decode_replicas(s.model(), s.replicas())
        ),
    };
    let mut label = format!(
        "{cap}, {pool}, priority placement {}, {decode}",
        k.priority_placement.id()
    );
    for p in crate::param_flags::label(s) {
        label.push_str(", ");
        label.push_str(&p);
    }
    label
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

/// Starts `--requests-csv` (when given): the file begun, its header written.
pub(crate) fn begin_requests_csv(
    out: Option<&OutputFile>,
) -> Result<Option<crate::output::PartialFile>> {
    let Some(out) = out else {
        return Ok(None);
    };
    let mut f = out.begin()?;
    writeln!(
        f.writer(),
        "{},{}",
        pecsched_core::metrics::CSV_HEADER,
        pecsched_core::metrics::CSV_SLO_HEADER
    )
    .map_err(|e| f.failed(e))?;
    Ok(Some(f))
}

/// Writes each record as a CSV row under [`pecsched_core::metrics::CSV_HEADER`] and
/// [`pecsched_core::metrics::CSV_SLO_HEADER`] as the run hands it over; keeps the first write
/// error (later rows are skipped).
pub(crate) struct CsvRecords<'a> {
    pub w: &'a mut dyn Write,
    pub policy: PolicyKind,
    pub slo: Slo,
    pub error: Option<std::io::Error>,
}

impl RecordSink for CsvRecords<'_> {
    fn push(&mut self, record: RequestRecord) {
        if self.error.is_none()
            && let Err(e) = writeln!(
                self.w,
                "{},{}",
                record.csv_row(self.policy),
                self.slo.csv_cells(&record)
            )
        {
            self.error = Some(e);
        }
    }
}
