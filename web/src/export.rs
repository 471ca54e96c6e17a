//! Export of results as JSON and CSV files (every number exactly as the core computed it).

use crate::protocol::{PolicyResult, SweepPoint};
use crate::table::ROWS;
use pecsched_core::metrics::Summary;
use pecsched_core::scenario::Scenario;
use pecsched_core::scenario::wire::ScenarioWire;
use serde::Serialize;
use std::rc::Rc;

#[derive(Serialize)]
struct Export<'a> {
    /// The scenario (wire form: `pecsched-worker simulate --scenario` reads it).
    scenario: &'a ScenarioWire,
    /// The calibration as tables name it (`Scenario::calibration_label`); the scenario's
    /// `calibration` field holds the profile and its overrides.
    calibration: Option<String>,
    /// The page's link (fragment only).
    link: Option<String>,
    /// One summary per policy, as `simulate --json` prints them.
    summaries: Vec<&'a Summary>,
    /// Runs that stopped at the explorer's budget.
    stopped: Vec<&'a str>,
    /// The load sweep.
    sweep: &'a [SweepPoint],
}

/// Everything on the page as pretty JSON.
pub fn json(
    scenario: &ScenarioWire,
    link: Option<String>,
    results: &[Rc<PolicyResult>],
    sweep: &[SweepPoint],
) -> String {
    // The full wire form (engine and policy knobs written out), never a link's compact one
    // with `"engine": null`.
    let valid = Scenario::from_wire(scenario);
    let full = valid.as_ref().map(|s| s.to_wire());
    let e = Export {
        scenario: full.as_ref().unwrap_or(scenario),
        calibration: valid.as_ref().ok().map(|s| s.calibration_label()),
        link,
        summaries: results.iter().map(|r| &r.summary).collect(),
        stopped: results
            .iter()
            .filter_map(|r| r.stopped.as_deref())
            .collect(),
        sweep,
    };
    serde_json::to_string_pretty(&e).expect("exports always serialize")
}

fn csv_field(s: &str) -> String {
    if s.contains([',', '"', '\n']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_string()
    }
}

/// The results table as CSV: one row per policy, one column per table row (JSON paths).
pub fn csv(results: &[Rc<PolicyResult>]) -> String {
    let mut out = String::from("policy");
    for r in ROWS {
        out.push(',');
        out.push_str(r.key);
    }
    out.push('\n');
    for res in results {
        out.push_str(&csv_field(res.summary.policy.id()));
        for r in ROWS {
            out.push(',');
            out.push_str(&csv_field(&(r.get)(&res.summary).exact()));
        }
        out.push('\n');
    }
    out
}

/// The load sweep as CSV: one row per run.
pub fn sweep_csv(points: &[SweepPoint]) -> String {
    let mut out = String::from(
        "policy,load_factor,seed,short_p99_queueing_delay_s,short_throughput_rps,long_mean_jct_s,long_completed,long_count,stopped_at_budget\n",
    );
    for p in points {
        let s = &p.summary;
        out.push_str(&format!(
            "{},{:?},{},{:?},{:?},{:?},{},{},{}\n",
            csv_field(s.policy.id()),
            p.factor,
            p.seed,
            s.short.queueing_delay.p99,
            s.short.throughput_rps,
            s.long.jct.mean,
            s.long.completed,
            s.long.count,
            p.stopped
        ));
    }
    out
}

/// Every policy's timeline as Chrome trace-event JSON (Perfetto, chrome://tracing): the core's
/// `sim::trace_event`, as `pecsched-worker simulate --timeline-trace` writes it.
pub fn perfetto(scenario: &ScenarioWire, results: &[Rc<PolicyResult>]) -> String {
    let per_node = scenario.cluster.gpus_per_node / scenario.tp.max(1);
    let mut trace = pecsched_core::sim::trace_event::TraceEvents::new();
    for r in results {
        trace.add_run(r.policy.id(), &r.timeline, per_node, r.replicas);
    }
    trace.finish()
}

#[cfg(test)]
mod tests {
    use super::*;
    use pecsched_core::policy::PolicyKind;
    use pecsched_core::scenario::link;
    use pecsched_core::sim::timeline::Timeline;

    fn result() -> Rc<PolicyResult> {
        let s = Scenario::default_scenario();
        let mut reqs = s.requests(None).unwrap();
        reqs.truncate(200);
        let (summary, _) = s.run(PolicyKind::Fifo, reqs).unwrap();
        Rc::new(PolicyResult {
            policy: PolicyKind::Fifo,
            summary,
            cdfs: vec![],
            timeline: Timeline::default(),
            replicas: 8,
            stopped: None,
            slowest: vec![],
        })
    }

    #[test]
    fn json_holds_the_scenario_and_the_cli_summaries() {
        let r = result();
        // As the page holds it after opening a link: compact, engine and knobs left out.
        let w = link::compact_wire(&Scenario::default_scenario());
        assert_eq!(w.engine, None);
        let text = json(&w, Some("#s=abc".into()), std::slice::from_ref(&r), &[]);
        let v: serde_json::Value = serde_json::from_str(&text).unwrap();
        assert!(
            v["scenario"]["engine"].is_object(),
            "{}",
            v["scenario"]["engine"]
        );
        assert!(v["scenario"]["knobs"].is_object());
        assert_eq!(
            v["calibration"],
            Scenario::default_scenario().calibration_label()
        );
        assert!(v["scenario"]["calibration"]["profile"].is_string());
        let back: Summary = serde_json::from_value(v["summaries"][0].clone()).unwrap();
        assert_eq!(back, r.summary);
        assert_eq!(
            Scenario::from_json(&v["scenario"].to_string()).unwrap(),
            Scenario::default_scenario()
        );
    }

    #[test]
    fn perfetto_names_every_replica_and_holds_the_recorded_work() {
        let s = Scenario::default_scenario();
        let mut reqs = s.requests(None).unwrap();
        reqs.truncate(300);
        let mut sim = s.simulation(PolicyKind::PecSched, reqs).unwrap();
        sim.record_timeline_detail(10_000);
        while sim.step() {}
        let timeline = sim.timeline().clone();
        let spans = timeline.spans.len();
        let (summary, _) = sim.finish();
        let r = Rc::new(PolicyResult {
            policy: PolicyKind::PecSched,
            summary,
            cdfs: vec![],
            timeline,
            replicas: 8,
            stopped: None,
            slowest: vec![],
        });
        let text = perfetto(&link::compact_wire(&s), &[r]);
        let v: serde_json::Value = serde_json::from_str(&text).unwrap();
        let events = v["traceEvents"].as_array().unwrap();
        let count = |ph: &str, name: &str| {
            events
                .iter()
                .filter(|e| e["ph"] == ph && (name.is_empty() || e["name"] == name))
                .count()
        };
        assert_eq!(count("M", "thread_name"), 8);
        assert_eq!(count("M", "process_name"), 4);
        assert_eq!(count("X", ""), spans);
        assert!(count("i", "KV hand-over out") > 0);
        assert!(count("C", "") > 0);
    }

    #[test]
    fn csv_has_one_line_per_policy_and_exact_numbers() {
        let r = result();
        let text = csv(std::slice::from_ref(&r));
        let lines: Vec<_> = text.lines().collect();
        assert_eq!(lines.len(), 2);
        assert!(lines[0].starts_with("policy,short.completed,short.starved,"));
        assert!(lines[1].starts_with("fifo,"));
        assert!(lines[1].contains(&format!("{:?}", r.summary.short.queueing_delay.p99)));
        let p = SweepPoint {
            factor: 0.5,
            seed: 1,
            summary: r.summary.clone(),
            stopped: false,
        };
        assert_eq!(sweep_csv(&[p]).lines().count(), 2);
    }
}
