//! `simulate --stream`: a trace too large to hold, run one request at a time. Each policy reads
//! the file again as its run needs requests (a first pass collects the input lengths when the
//! long-input transform needs its percentile); finished requests' records go to a temporary
//! spool (for the summary) and to `--requests-csv` as they finish, so neither the trace nor
//! the records are ever held whole. The same numbers as a run without `--stream`.

use crate::output::OutputFile;
use crate::simulate::{CsvRecords, SimulateArgs, calibration_label, print_header, transforms};
use crate::spool::RecordSpool;
use crate::trace_file::{TraceFile, TraceStream};
use anyhow::{Context, Result};
use indicatif::{ProgressBar, ProgressStyle};
use pecsched_core::metrics::Summary;
use pecsched_core::scenario::Scenario;
use pecsched_core::scenario::stream::InputLengths;
use pecsched_core::scenario::wire::SloWire;

/// Runs every policy of `scenario` over `trace`, streamed.
pub fn run(a: &SimulateArgs, scenario: Scenario, trace: &TraceFile) -> Result<()> {
    anyhow::ensure!(
        a.timeline_trace.is_none(),
        "--timeline-trace is not available with --stream (a timeline of a run too large to hold would be too large to write); run a window of the trace without --stream"
    );
    let requests_csv = a
        .requests_csv
        .as_deref()
        .map(|p| OutputFile::check("--requests-csv", p))
        .transpose()?;
    let keep = scenario.stream_keep();
    // First pass, when the long-input transform needs the kept requests' input lengths.
    let lengths = if scenario.needs_input_lengths() {
        let mut l = InputLengths::default();
        for r in TraceStream::open(trace, keep, None)? {
            l.add(r.map_err(anyhow::Error::msg)?.input_tokens);
        }
        Some(l)
    } else {
        None
    };
    let mut csv = crate::simulate::begin_requests_csv(requests_csv.as_ref())?;
    let mut results: Vec<Summary> = Vec::new();
    let mut read = 0u64;
    let mut failed_skipped = 0u32;
    let mut peak_held = 0u64;
    for &p in scenario.policies() {
        let transform = scenario.stream_transform(lengths.as_ref())?;
        let source = TraceStream::open(trace, keep, Some(transform))?;
        let skipped = source.failed_skipped.clone();
        // Records to the spool (for the summary) and, when asked, to the CSV.
        let sinks = (
            RecordSpool::new()?,
            csv.as_mut().map(|f| CsvRecords {
                w: f.writer(),
                policy: p,
                slo: *scenario.slo(),
                error: None,
            }),
        );
        let mut run = scenario.streamed_run(scenario.build_policy(p), Box::new(source), sinks)?;
        let bar = if a.quiet || a.json {
            ProgressBar::hidden()
        } else {
            ProgressBar::new_spinner()
        };
        bar.set_style(ProgressStyle::with_template(
            "{prefix:>14} {spinner} {msg}",
        )?);
        bar.set_prefix(p.id());
        let mut n = 0u64;
        while run.step() {
            n += 1;
            if n.is_multiple_of(1 << 16) {
                bar.set_message(format!(
                    "t = {:.0} s, {} requests done, {} held",
                    run.now().as_secs_f64(),
                    run.handed_on(),
                    run.held()
                ));
                bar.tick();
            }
        }
        bar.finish_and_clear();
        let (sinks, end) = run
            .finish()
            .with_context(|| format!("policy {}", p.id()))?
            .split();
        let (spool, rows) = sinks;
        if let Some(e) = rows.and_then(|c| c.error)
            && let Some(f) = csv.as_ref()
        {
            return Err(f.failed(e));
        }
        let records = spool.finish()?;
        let summary = end.summary(&records)?;
        records.check()?;
        anyhow::ensure!(
            end.requests() > 0,
            "trace {}: no request after window and truncation",
            trace.path.display()
        );
        read = end.requests();
        peak_held = peak_held.max(end.peak_held());
        failed_skipped = skipped.get();
        results.push(summary);
    }
    if let Some(f) = csv {
        f.commit()?;
    }
    let note = (failed_skipped > 0)
        .then(|| format!("{failed_skipped} failed requests (Response tokens = 0) skipped"));
    let streamed = format!(
        "streamed: read one request at a time, at most {peak_held} held at once, records spooled to a temporary file"
    );
    if a.json {
        if let Some(note) = &note {
            eprintln!("note: {note}");
        }
        let out = serde_json::json!({
            "scenario": scenario.to_wire(),
            "calibration": calibration_label(&scenario),
            "transforms": transforms(&scenario),
            "requests": read,
            "read_note": note,
            "streamed": { "peak_requests_held": peak_held },
            "slo": SloWire::from(scenario.slo()),
            "summaries": results.iter().collect::<Vec<&Summary>>(),
        });
        crate::outln!("{}", serde_json::to_string_pretty(&out)?)?;
    } else {
        let note = match note {
            Some(n) => format!("{n}; {streamed}"),
            None => streamed,
        };
        print_header(&scenario, read as usize, Some(&note))?;
        crate::simulate::print_results(&scenario, &results)?;
    }
    Ok(())
}
