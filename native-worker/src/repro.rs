//! `pecsched-worker repro`: the paper's evaluation (32 A100 in 4 nodes, four models, the Azure
//! trace with the long-input transform; FIFO, Reservation, Priority, PecSched and its four
//! ablations), printed beside the paper's claims (paper §3.6, §5).

use crate::output::OutputFile;
use crate::timed::{Samples, Timed};
use anyhow::{Context, Result};
use clap::Args;
use indicatif::{ProgressBar, ProgressStyle};
use pecsched_core::metrics::{Class, RequestRecord, Summary, nearest_rank};
use pecsched_core::model::ModelKind;
use pecsched_core::policy::PolicyKind;
use pecsched_core::scenario::limits;
use pecsched_core::scenario::wire::SourceWire;
use pecsched_core::scenario::{EmbeddedTrace, Scenario};
use pecsched_core::time::SimTime;
use pecsched_core::workload::Request;
use std::path::PathBuf;

/// Flags of `repro`.
#[derive(Args, Debug, Clone)]
pub struct ReproArgs {
    /// Models to run (default: the paper's four): mistral-7b, phi3-14b, yi-34b, llama3.1-70b.
    #[arg(long = "model", value_name = "ID")]
    pub models: Vec<ModelKind>,
    /// Offered long-prefill load: the share of the cluster's replica-time that the long
    /// requests' prefills would take at ring-attention speed. Sets each model's rate scale.
    #[arg(long, default_value_t = 0.6)]
    pub long_load: f64,
    /// Trace window in seconds, START:END (before rate scaling).
    #[arg(long, default_value = "0:1200")]
    pub window: String,
    /// Embedded trace: azure-conv-2023 or azure-code-2023.
    #[arg(long, default_value = "azure-conv-2023")]
    pub trace: EmbeddedTrace,
    /// Seed of the long-input transform.
    #[arg(long, default_value_t = 42)]
    pub seed: u64,
    /// Also write the results as Markdown tables to this file.
    #[arg(long, value_name = "PATH")]
    pub markdown: Option<PathBuf>,
    /// Print JSON (all summaries and derived claims) instead of tables.
    #[arg(long)]
    pub json: bool,
}

/// The paper's tensor parallelism per model. Table 5 lost the first two rows in extraction;
/// TP = 1 is our reading (4 decode replicas of 32 = the same 1/8 as 1 of 8 for TP = 4).
fn paper_tp(m: ModelKind) -> u32 {
    match m {
        ModelKind::Yi34B | ModelKind::Llama31_70B => 4,
        _ => 1,
    }
}

/// One model's runs.
#[derive(serde::Serialize)]
pub struct ModelRun {
    /// Model id.
    pub model: String,
    /// Rate scale applied to the trace.
    pub rate_scale: f64,
    /// Requests simulated, long among them.
    pub requests: usize,
    /// Long requests.
    pub long_requests: usize,
    /// Summaries of the 8 policies, in `PolicyKind::ALL` order.
    pub summaries: Vec<Summary>,
    /// FIFO on the same workload with the long requests removed (the paper's §1.3 baseline
    /// for the cost of long requests).
    pub fifo_no_long: Summary,
    /// p99 scheduling time / JCT per class for PecSched (short, long), in percent.
    pub overhead_p99_pct: (f64, f64),
    /// Why the rate scale is lower than `--long-load` asks, if it is (capped at ×1).
    pub rate_capped: Option<String>,
    /// p99 decision time of PecSched, microseconds.
    pub decision_p99_us: f64,
    /// One layer's activation as a share of the request's KV (the pause state).
    pub pause_state_share: f64,
}

impl ModelRun {
    /// The table rows: each policy under its id, then FIFO without long requests as
    /// `fifo-no-long`.
    pub fn rows(&self) -> Vec<(&str, &Summary)> {
        let mut rows: Vec<(&str, &Summary)> =
            self.summaries.iter().map(|s| (s.policy.id(), s)).collect();
        rows.push(("fifo-no-long", &self.fifo_no_long));
        rows
    }
}

/// Runs `repro`.
pub fn run(a: ReproArgs) -> Result<()> {
    // The output path first: a bad --markdown must not cost the whole evaluation.
    let markdown = a
        .markdown
        .as_deref()
        .map(|p| OutputFile::check("--markdown", p))
        .transpose()?;
    let models: Vec<ModelKind> = if a.models.is_empty() {
        vec![
            ModelKind::Mistral7B,
            ModelKind::Phi3Medium14B,
            ModelKind::Yi34B,
            ModelKind::Llama31_70B,
        ]
    } else {
        a.models.clone()
    };
    anyhow::ensure!(
        a.long_load.is_finite() && a.long_load > 0.0,
        "--long-load must be a positive number"
    );
    let trace = a.trace;
    let window = parse_window(&a.window)?;
    let bar = ProgressBar::new((models.len() * (PolicyKind::ALL.len() + 1)) as u64);
    bar.set_style(
        ProgressStyle::with_template("{msg:>24} [{bar:40}] {pos}/{len} {elapsed}")?
            .progress_chars("=> "),
    );
    if a.json {
        bar.set_draw_target(indicatif::ProgressDrawTarget::hidden());
    }
    let mut runs = Vec::new();
    for m in models {
        runs.push(run_model(m, &a, trace, window, &bar)?);
    }
    bar.finish_and_clear();
    if a.json {
        crate::outln!("{}", serde_json::to_string_pretty(&runs)?)?;
    } else {
        for r in &runs {
            crate::outln!(
                "\n{} — rate ×{:.4}, {} requests ({} long)",
                r.model,
                r.rate_scale,
                r.requests,
                r.long_requests
            )?;
            if let Some(note) = &r.rate_capped {
                crate::outln!("note: {note}")?;
            }
            crate::table::print_labelled(&r.rows())?;
        }
        crate::outln!()?;
        crate::output::stdout_text(&crate::repro_claims::claims_markdown(&runs))?;
    }
    if let Some(out) = &markdown {
        let mut md = String::new();
        for r in &runs {
            md += &format!(
                "\n### {} (rate ×{:.4}, {} requests, {} long)\n\n",
                r.model, r.rate_scale, r.requests, r.long_requests
            );
            if let Some(note) = &r.rate_capped {
                md += &format!("Note: {note}.\n\n");
            }
            md += &crate::repro_claims::summaries_markdown(&r.rows());
        }
        md += "\n### Claims\n\n";
        md += &crate::repro_claims::claims_markdown(&runs);
        out.write_text(&md)?;
    }
    Ok(())
}

/// `START:END` seconds of the trace: both numbers, `0 <= START < END <= MAX_ARRIVAL_S`.
fn parse_window(w: &str) -> Result<(SimTime, SimTime)> {
    let (x, y) = w
        .split_once(':')
        .with_context(|| format!("--window {w:?}: expected START:END in seconds"))?;
    let num = |v: &str, which: &str| -> Result<f64> {
        v.trim()
            .parse::<f64>()
            .ok()
            .filter(|v| v.is_finite() && *v >= 0.0)
            .with_context(|| {
                format!("--window {w:?}: {which} {v:?} is not a non-negative number of seconds")
            })
    };
    let (start, end) = (num(x, "start")?, num(y, "end")?);
    anyhow::ensure!(
        start < end,
        "--window {w:?}: window reversed or empty (start {start} s is not before end {end} s); expected START:END with START < END"
    );
    let max = limits::MAX_ARRIVAL_S;
    let end = SimTime::try_from_secs_f64(end)
        .filter(|t| t.0 <= limits::MAX_ARRIVAL.0)
        .with_context(|| {
            format!("--window {w:?}: end {end} s is past {max} s (the latest arrival a run takes)")
        })?;
    let start = SimTime::try_from_secs_f64(start).expect("0 <= start < end <= MAX_ARRIVAL_S");
    Ok((start, end))
}

fn run_model(
    m: ModelKind,
    a: &ReproArgs,
    trace: EmbeddedTrace,
    window: (SimTime, SimTime),
    bar: &ProgressBar,
) -> Result<ModelRun> {
    let mut w = Scenario::default_scenario().to_wire();
    w.model = m.id().to_string();
    w.tp = paper_tp(m);
    w.workload.source = SourceWire::Embedded(trace.id().to_string());
    w.workload.window_s = Some((window.0.as_secs_f64(), window.1.as_secs_f64()));
    w.workload.rate_scale = 1.0;
    w.seed = a.seed;
    w.policies = PolicyKind::ALL.iter().map(|p| p.id().to_string()).collect();
    let at_one = Scenario::from_wire(&w)?;
    let raw = at_one.requests(None)?;
    // The rate scale at which the long prefills would occupy `long_load` of the cluster.
    let demand = at_one.long_prefill_load(&raw)?;
    let wanted = if demand > 0.0 {
        a.long_load / demand
    } else {
        1.0
    };
    // The trace is never replayed faster than recorded (×1): it would compress the window's
    // arrivals beyond what the paper's workload is. Say so rather than silently offering less.
    w.workload.rate_scale = wanted.min(1.0);
    let s = Scenario::from_wire(&w)?;
    let capped = (wanted > 1.0).then(|| {
        let offered = a.long_load / wanted;
        format!(
            "--long-load {} needs rate ×{wanted:.4} for {}; capped at ×1 (the trace is never replayed faster than recorded), so the offered long load is {offered:.3}",
            a.long_load,
            m.spec().name
        )
    });
    if let Some(note) = &capped {
        bar.suspend(|| eprintln!("note: {note}"));
    }
    let reqs = s.requests(None)?;
    let long = s.long_count(&reqs)?;
    let mut summaries = Vec::new();
    let mut overhead = (0.0, 0.0);
    let mut decision_p99_us = 0.0;
    for p in PolicyKind::ALL {
        bar.set_message(format!("{} {}", m.id(), p.id()));
        let samples = Samples::default();
        let sim = s.simulation_with(
            Box::new(Timed::new(s.build_policy(p), samples.clone())),
            reqs.clone(),
        )?;
        let (summary, records) = sim.run();
        if p == PolicyKind::PecSched {
            let samples = samples.borrow();
            overhead = overhead_p99(&records, &samples);
            let mut ns: Vec<u64> = samples.iter().map(|x| x.1).collect();
            ns.sort_unstable();
            decision_p99_us = nearest_rank(&ns, 99) * 1e6;
        }
        summaries.push(summary);
        bar.inc(1);
    }
    bar.set_message(format!("{} fifo-no-long", m.id()));
    let sizing = s.sizing()?;
    let shorts: Vec<Request> = reqs
        .iter()
        .filter(|r| sizing.class(r.input_tokens, r.output_tokens) == Class::Short)
        .enumerate()
        .map(|(i, r)| Request { id: i as u32, ..*r })
        .collect();
    let (fifo_no_long, _) = s.run(PolicyKind::Fifo, shorts)?;
    bar.inc(1);
    let spec = m.spec();
    Ok(ModelRun {
        model: spec.name.to_string(),
        rate_scale: s.rate_scale(),
        rate_capped: capped,
        requests: reqs.len(),
        long_requests: long,
        summaries,
        fifo_no_long,
        overhead_p99_pct: overhead,
        decision_p99_us,
        pause_state_share: spec.pause_state_share(),
    })
}

/// p99 over requests of (decision time / JCT), short and long, in percent.
fn overhead_p99(records: &[RequestRecord], samples: &[(u32, u64)]) -> (f64, f64) {
    let [short, long] = crate::timed::by_class(records, samples);
    (
        crate::timed::p99(&short.ratio) * 100.0,
        crate::timed::p99(&long.ratio) * 100.0,
    )
}
