//! The scale targets of docs/benchmarks.md, one table row each: wall time (median of
//! `PECSCHED_BENCH_RUNS` runs, default 3), the thread's CPU time (median; on Linux, from
//! `/proc/thread-self/stat`, 10 ms resolution: on a shared machine wall time counts the
//! other processes too), events and events per second of the engine (per CPU second). Asserts
//! nothing about time. Peak memory is the process's: run one target per invocation under
//! `/usr/bin/time -v`.
//!
//! - `conv-hour/<policy>`: the Azure 2023 conversation trace (one hour, 19,366 requests) with
//!   the long-input transform at 0.05× (the default scenario without its window), the four
//!   main policies;
//! - `capacity-8192/<policy>`: 8,192 GPUs (Llama-3.1-70B, TP = 4, 2,048 replicas), 1 M Poisson
//!   requests at the cluster's sustainable rate (`Scenario::capacity`), lengths from the Azure
//!   2023 conversation trace, 5 % turned long; every policy;
//! - `week-2048/pecsched`: the synthetic Azure 2024 conversation week (27,303,999 requests,
//!   `workload::azure_week`) on 2,048 GPUs (512 replicas), PecSched, as a streamed run: the
//!   requests come from the generator one at a time and each finished record is handed to a
//!   sink that counts it (the summary pass over the spooled records is the worker's, timed by
//!   `pecsched-worker scale --week`); the row also gives the most requests held at once;
//! - `conv-hour-sessions/<policy>` and `conv-hour-sessions-cached/<policy>`: the conversation
//!   hour with the session model of prefix caching (4 mean turns, 64 open conversations,
//!   contexts ≤ 16,384 tokens, 512-token blocks; docs/prefix-caching.md), the prompts
//!   recomputed and cached: the cached hour must take at most 2× the other.
//!
//! `cargo bench -p pecsched-core --bench scale -- FILTER` runs the targets whose name contains
//! FILTER (all without one: hours on a 2-core machine).

use pecsched_core::policy::PolicyKind;
use pecsched_core::scenario::Scenario;
use pecsched_core::workload::{ConvWeek2024, Request};
use std::time::Instant;

/// The conversation hour: the default scenario without its 20-minute window.
fn conv_hour() -> (Scenario, Vec<Request>) {
    let mut w = Scenario::default_scenario().to_wire();
    w.workload.window_s = None;
    let s = Scenario::from_wire(&w).expect("valid");
    let reqs = s.requests(None).expect("embedded trace");
    (s, reqs)
}

/// The conversation hour with the session model; replicas cache prefixes when `cache`.
fn conv_hour_sessions_with(cache: bool) -> (Scenario, Vec<Request>) {
    use pecsched_core::scenario::prefix_wire::{PrefixWire, SessionWire};
    let mut w = Scenario::default_scenario().to_wire();
    w.workload.window_s = None;
    w.prefix = Some(PrefixWire {
        cache,
        sessions: Some(SessionWire {
            turns_mean: 4.0,
            open_conversations: 64,
            max_context_tokens: 16_384,
            documents: 0,
            document_tokens: 0,
        }),
        ..PrefixWire::default()
    });
    let s = Scenario::from_wire(&w).expect("valid");
    let reqs = s.requests(None).expect("embedded trace");
    (s, reqs)
}

fn conv_hour_sessions() -> (Scenario, Vec<Request>) {
    conv_hour_sessions_with(false)
}

fn conv_hour_sessions_cached() -> (Scenario, Vec<Request>) {
    conv_hour_sessions_with(true)
}

/// `gpus` GPUs of the default cluster type, 8 per node, Llama-3.1-70B at TP = 4, `requests`
/// synthetic Poisson requests at `rate_per_s` with the default long-input transform.
fn cluster(gpus: u32, requests: u32, rate_per_s: f64) -> Scenario {
    let w = Scenario::default_scenario()
        .to_wire()
        .at_scale(gpus, requests, rate_per_s);
    Scenario::from_wire(&w).expect("valid")
}

/// 8,192 GPUs at capacity, 1 M requests; prints the derived rate.
fn capacity_8192() -> (Scenario, Vec<Request>) {
    let nominal = cluster(8192, 1_000_000, 1.0);
    let cap = nominal
        .capacity(&nominal.requests(None).expect("synthetic"))
        .expect("model")
        .expect("demand");
    eprintln!(
        "capacity-8192: {:.1} req/s ({} of {} requests long)",
        cap.rps, cap.long_requests, cap.requests
    );
    let s = cluster(8192, 1_000_000, cap.rps);
    let reqs = s.requests(None).expect("synthetic");
    (s, reqs)
}

/// The week on 2,048 GPUs: the scenario (its requests come from the generator, streamed).
fn week_2048() -> (Scenario, Vec<Request>) {
    let mut w = cluster(2048, 1, 1.0).to_wire();
    w.workload.long_input = None;
    (Scenario::from_wire(&w).expect("valid"), Vec::new())
}

/// Counts the records a streamed run hands on.
struct Count(u64);

impl pecsched_core::metrics::RecordSink for Count {
    fn push(&mut self, _r: pecsched_core::metrics::RequestRecord) {
        self.0 += 1;
    }
}

/// One streamed run of the week: events, how it ended, requests handed on, most held.
fn week_run(s: &Scenario, p: PolicyKind) -> (u64, String, u64, u64) {
    let week = ConvWeek2024::new(s.seed());
    let source = Box::new(week.iter().expect("valid week").map(Ok));
    let mut run = s
        .streamed_run(s.build_policy(p), source, Count(0))
        .expect("valid");
    run.set_event_limit(u64::MAX);
    while run.step() {}
    let events = run.events();
    let end = run.finish().expect("the generator does not fail");
    let label = end.stopped().map_or("complete", |s| s.label()).to_string();
    (events, label, end.sink.0, end.peak_held())
}

/// CPU time of this thread (user + system), seconds; `None` where `/proc` does not tell.
fn thread_cpu_s() -> Option<f64> {
    let stat = std::fs::read_to_string("/proc/thread-self/stat").ok()?;
    // Fields after the command name (which may hold spaces) start at the last ')'.
    let rest = stat.rsplit_once(')')?.1;
    let f: Vec<&str> = rest.split_whitespace().collect();
    // utime and stime are fields 14 and 15 of the line, 12 and 13 after the name.
    let ticks: u64 = f.get(11)?.parse::<u64>().ok()? + f.get(12)?.parse::<u64>().ok()?;
    Some(ticks as f64 / 100.0)
}

fn main() {
    let filter = std::env::args()
        .skip(1)
        .find(|a| !a.starts_with('-'))
        .unwrap_or_default();
    let runs: usize = std::env::var("PECSCHED_BENCH_RUNS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(3)
        .max(1);
    type Setup = fn() -> (Scenario, Vec<Request>);
    let targets: [(&str, Setup, &[PolicyKind]); 5] = [
        ("conv-hour", conv_hour, &PolicyKind::MAIN),
        ("capacity-8192", capacity_8192, &PolicyKind::PAPER),
        ("week-2048", week_2048, &[PolicyKind::PecSched]),
        ("conv-hour-sessions", conv_hour_sessions, &PolicyKind::MAIN),
        (
            "conv-hour-sessions-cached",
            conv_hour_sessions_cached,
            &PolicyKind::MAIN,
        ),
    ];
    println!(
        "{:<28} {:>10} {:>10} {:>10} {:>10} {:>12}  end",
        "target", "median s", "min s", "max s", "cpu s", "events/cpu-s"
    );
    for (name, setup, policies) in targets {
        let wanted: Vec<PolicyKind> = policies
            .iter()
            .copied()
            .filter(|p| format!("{name}/{}", p.id()).contains(&filter))
            .collect();
        if wanted.is_empty() {
            continue;
        }
        let (s, reqs) = setup();
        for p in wanted {
            let mut walls = Vec::with_capacity(runs);
            let mut cpus = Vec::with_capacity(runs);
            let mut last = None;
            for _ in 0..runs {
                let c = thread_cpu_s();
                let t = Instant::now();
                let (events, label) = if reqs.is_empty() {
                    let (events, label, handed_on, held) = week_run(&s, p);
                    (
                        events,
                        format!("{label}; {handed_on} requests, at most {held} held"),
                    )
                } else {
                    let mut sim = s.simulation(p, reqs.clone()).expect("valid");
                    sim.set_event_limit(u64::MAX);
                    let summary = sim.run_into(&mut pecsched_core::metrics::DiscardRecords);
                    let label = summary.stopped.as_ref().map_or("complete", |s| s.label());
                    (summary.events, label.to_string())
                };
                walls.push(t.elapsed().as_secs_f64());
                if let (Some(a), Some(b)) = (c, thread_cpu_s()) {
                    cpus.push(b - a);
                }
                last = Some((events, label));
            }
            walls.sort_by(f64::total_cmp);
            cpus.sort_by(f64::total_cmp);
            let (events, label) = last.expect("at least one run");
            let median = walls[walls.len() / 2];
            let cpu = cpus.get(cpus.len() / 2).copied().unwrap_or(median);
            println!(
                "{:<28} {:>10.3} {:>10.3} {:>10.3} {:>10.2} {:>12.0}  {} ({} events)",
                format!("{name}/{}", p.id()),
                median,
                walls[0],
                walls[walls.len() - 1],
                cpu,
                events as f64 / cpu.max(0.01),
                label,
                events
            );
        }
    }
}
