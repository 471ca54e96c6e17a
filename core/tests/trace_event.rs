//! The Chrome trace-event export (`sim::trace_event`) of a real run — the default scenario
//! under the four main policies — follows the format's rules: known phases, timestamps in µs
//! that never go back on a track, complete slices properly nested per track, instants with a
//! scope, numeric counters, names for every process and thread; and it holds what a user
//! looks for (long prefills, preemptions, KV hand-overs, queue and KV counters).

use pecsched_core::policy::PolicyKind;
use pecsched_core::scenario::Scenario;
use pecsched_core::sim::trace_event::TraceEvents;
use serde_json::Value;
use std::collections::BTreeMap;

/// Checks the format's rules; returns the count of events per (phase, name).
fn validate(text: &str) -> Result<BTreeMap<(String, String), usize>, String> {
    let doc: Value = serde_json::from_str(text).map_err(|e| format!("not JSON: {e}"))?;
    let events = doc["traceEvents"]
        .as_array()
        .ok_or("no traceEvents array")?;
    if doc["displayTimeUnit"] != "ms" {
        return Err("displayTimeUnit must be ms or ns".into());
    }
    let mut named_threads = std::collections::BTreeSet::new();
    let mut named_procs = std::collections::BTreeSet::new();
    let mut last_ts: BTreeMap<(u64, u64, String), f64> = BTreeMap::new();
    let mut open: BTreeMap<(u64, u64), Vec<f64>> = BTreeMap::new();
    let mut counts = BTreeMap::new();
    for (i, e) in events.iter().enumerate() {
        let ph = e["ph"].as_str().ok_or(format!("event {i}: no ph"))?;
        let name = e["name"].as_str().ok_or(format!("event {i}: no name"))?;
        let pid = e["pid"]
            .as_u64()
            .ok_or(format!("event {i}: pid not an integer"))?;
        let tid = e["tid"]
            .as_u64()
            .ok_or(format!("event {i}: tid not an integer"))?;
        *counts
            .entry((ph.to_string(), name.to_string()))
            .or_insert(0) += 1;
        if ph == "M" {
            e["args"]["name"]
                .as_str()
                .or(e["args"]["sort_index"].as_u64().map(|_| ""))
                .ok_or(format!("event {i}: metadata without args"))?;
            match name {
                "thread_name" => named_threads.insert((pid, tid)),
                "process_name" => named_procs.insert(pid),
                _ => true,
            };
            continue;
        }
        let ts = e["ts"]
            .as_f64()
            .ok_or(format!("event {i}: ts not a number"))?;
        if !(ts.is_finite() && ts >= 0.0) {
            return Err(format!("event {i}: ts {ts}"));
        }
        if !named_threads.contains(&(pid, tid)) || !named_procs.contains(&pid) {
            return Err(format!(
                "event {i}: track {pid}/{tid} has no name before it"
            ));
        }
        // Time never goes back on a track (slices and instants share the thread track;
        // counters have one track per name).
        let track = match ph {
            "C" => (pid, 0, name.to_string()),
            _ => (pid, tid, ph.to_string()),
        };
        if let Some(&prev) = last_ts.get(&track)
            && ts < prev
        {
            return Err(format!("event {i}: ts {ts} before {prev} on {track:?}"));
        }
        last_ts.insert(track, ts);
        match ph {
            "X" => {
                let dur = e["dur"]
                    .as_f64()
                    .ok_or(format!("event {i}: X without dur"))?;
                if !(dur.is_finite() && dur >= 0.0) {
                    return Err(format!("event {i}: dur {dur}"));
                }
                // Complete events on one thread must nest: a slice ends before the slice
                // that contains it does.
                let stack = open.entry((pid, tid)).or_default();
                // (1 ns of tolerance: ts and dur are µs printed from integer ns.)
                while stack.last().is_some_and(|&end| end <= ts + 1e-3) {
                    stack.pop();
                }
                if let Some(&end) = stack.last()
                    && ts + dur > end + 1e-3
                {
                    return Err(format!(
                        "event {i} ({name}) [{ts}, {}] overlaps its parent ending at {end} on {pid}/{tid}",
                        ts + dur
                    ));
                }
                stack.push(ts + dur);
            }
            "i" => {
                if !matches!(e["s"].as_str(), Some("t" | "p" | "g")) {
                    return Err(format!("event {i}: instant without scope"));
                }
            }
            "C" => {
                let args = e["args"].as_object().ok_or(format!("event {i}: no args"))?;
                if args.is_empty() || !args.values().all(Value::is_number) {
                    return Err(format!("event {i}: counter args must be numbers"));
                }
            }
            other => return Err(format!("event {i}: unknown phase {other}")),
        }
    }
    Ok(counts)
}

#[test]
fn the_default_scenario_exports_a_valid_perfetto_trace() {
    let s = Scenario::default_scenario();
    let reqs = s.requests(None).unwrap();
    let mut trace = TraceEvents::new();
    for &p in &PolicyKind::MAIN {
        let mut sim = s.simulation(p, reqs.clone()).unwrap();
        sim.record_timeline_detail(2_000_000);
        while sim.step() {}
        assert!(!sim.timeline().truncated, "{}", p.id());
        let per_node = s.cluster().gpus_per_node / s.tp();
        trace.add_run(
            p.id(),
            sim.timeline(),
            per_node,
            per_node * s.cluster().nodes,
        );
    }
    let text = trace.finish();
    let counts = validate(&text).unwrap_or_else(|e| panic!("invalid trace: {e}"));
    let n = |ph: &str, name: &str| counts.get(&(ph.into(), name.into())).copied().unwrap_or(0);
    assert!(n("X", "long prefill") > 0 && n("X", "short prefill") > 0);
    assert!(n("i", "preempted") > 0, "PecSched preempts long prefills");
    assert!(n("i", "KV hand-over out") > 0 && n("i", "KV hand-over in") > 0);
    assert!(n("X", "long request paused") > 0);
    assert!(
        n("M", "thread_name") == 4 * 8 && n("M", "process_name") == 4 * 4,
        "{counts:?}"
    );
    assert!(
        counts
            .keys()
            .any(|(ph, name)| ph == "C" && name.ends_with(" KV"))
    );
}

#[test]
fn the_validator_rejects_what_the_format_forbids() {
    let bad = [
        r#"{"traceEvents": [{"ph": "Q", "name": "x", "pid": 0, "tid": 0, "ts": 0}], "displayTimeUnit": "ms"}"#,
        r#"{"traceEvents": [
            {"ph": "M", "name": "process_name", "pid": 0, "tid": 0, "args": {"name": "n"}},
            {"ph": "M", "name": "thread_name", "pid": 0, "tid": 1, "args": {"name": "r"}},
            {"ph": "X", "name": "a", "pid": 0, "tid": 1, "ts": 10, "dur": 10},
            {"ph": "X", "name": "b", "pid": 0, "tid": 1, "ts": 15, "dur": 10}],
            "displayTimeUnit": "ms"}"#,
        r#"{"traceEvents": [
            {"ph": "M", "name": "process_name", "pid": 0, "tid": 0, "args": {"name": "n"}},
            {"ph": "M", "name": "thread_name", "pid": 0, "tid": 1, "args": {"name": "r"}},
            {"ph": "i", "s": "t", "name": "a", "pid": 0, "tid": 1, "ts": 10},
            {"ph": "i", "s": "t", "name": "b", "pid": 0, "tid": 1, "ts": 5}],
            "displayTimeUnit": "ms"}"#,
        r#"{"traceEvents": [{"ph": "X", "name": "x", "pid": 0, "tid": 0, "ts": 0, "dur": 1}], "displayTimeUnit": "ms"}"#,
    ];
    for b in bad {
        assert!(validate(b).is_err(), "accepted {b}");
    }
}
