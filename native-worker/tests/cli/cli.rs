//! End-to-end tests of the `pecsched-worker` command line: run the built binary, check exit
//! codes and output.

use crate::{success_stdout, worker};

/// Subcommands `--help` must list.
const SUBCOMMANDS: &[&str] = &["simulate", "scenario", "predict"];

#[test]
fn help_lists_the_subcommands() {
    let help = success_stdout(&["--help"]);
    for sub in SUBCOMMANDS {
        assert!(
            help.lines().any(|l| l.trim_start().starts_with(sub)),
            "`--help` does not list `{sub}`:\n{help}"
        );
    }
}

#[test]
fn subcommand_help_works() {
    for sub in ["simulate", "predict"] {
        let help = success_stdout(&[sub, "--help"]);
        assert!(help.contains("Usage"), "`{sub} --help`:\n{help}");
    }
}

/// The default scenario's share link, as the explorer writes it (core/tests/golden/v1).
const DEFAULT_LINK: &str = "https://example.org/pecsched/#s=AX8AAQRhMTAwBAgAAAAAAAB5QAxsbGFtYTMuMS03MGIEAA9henVyZS1jb252LTIwMjMBAAAAAAAAAAAAAAAAAMCSQJqZmZmZmak_AAEAAAAAAMBXQKCNBqDCHgQEZmlmbwtyZXNlcnZhdGlvbghwcmlvcml0eQhwZWNzY2hlZAAAKl5PAQE&c=datasheet";

#[test]
fn a_link_reruns_the_explorers_scenario() {
    // `scenario --link` prints the linked scenario in full: here version 1's default, which
    // is today's default with a fixed 512-token colocation cap and the link's `&c=datasheet`.
    let mut expected: serde_json::Value =
        serde_json::from_str(&success_stdout(&["scenario"])).unwrap();
    expected["knobs"]["colocation_cap"] = serde_json::json!({"fixed": {"tokens_per_gpu": 512}});
    expected["calibration"] = serde_json::json!({"profile": "datasheet", "overrides": {}});
    let got: serde_json::Value =
        serde_json::from_str(&success_stdout(&["scenario", "--link", DEFAULT_LINK])).unwrap();
    assert_eq!(got, expected);
    // The `&c=` of an old link is applied: another profile there, another calibration here.
    let h100 = DEFAULT_LINK.replace("&c=datasheet", "&c=h100-wgpu");
    let got: serde_json::Value =
        serde_json::from_str(&success_stdout(&["scenario", "--link", &h100])).unwrap();
    assert_eq!(got["calibration"]["profile"], "h100-wgpu");
    // A v1 link with every knob set prints those knobs.
    let golden = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../core/tests/golden/v1/links.txt"
    ))
    .unwrap();
    let token = golden
        .lines()
        .find_map(|l| l.strip_prefix("h100-code-synthetic-all-knobs "))
        .unwrap();
    let json = success_stdout(&["scenario", "--link", token]);
    for field in [
        "\"gpu\": \"h100\"",
        "\"max_batched_tokens\": 4096",
        "\"decode_replicas\": 3",
        "\"seed\": 18446744073709551615",
    ] {
        assert!(json.contains(field), "{field} missing:\n{json}");
    }
    // `simulate --link` runs it, and flags still override it.
    let args = [
        "--max-requests",
        "40",
        "--policy",
        "fifo",
        "--json",
        "--quiet",
    ];
    let by_link = success_stdout(&[&["simulate", "--link", DEFAULT_LINK][..], &args].concat());
    // The v1 link is the default scenario with version 1's cap and the link's profile.
    let v1_flags = [
        "--colocation-cap",
        "fixed:512",
        "--calibration",
        "datasheet",
    ];
    let by_default = success_stdout(&[&["simulate"][..], &v1_flags, &args].concat());
    assert_eq!(by_link, by_default);
    assert!(by_link.contains("\"policy\": \"fifo\""), "{by_link}");
}

#[test]
fn unknown_subcommand_fails() {
    let out = worker(&["no-such-subcommand"]);
    assert!(!out.status.success());
    assert!(!out.stderr.is_empty(), "an error message on stderr");
}

/// A file in this module's scratch folder holding `text`; its path.
fn scratch_file(name: &str, text: &str) -> std::path::PathBuf {
    super::scratch_file("cli", name, text)
}

/// `simulate --trace FILE` replays the file as recorded (rate ×1, every request
/// including those after the default scenario's 1200 s window, input lengths unchanged), and
/// the header says so; transforms apply only when asked for, and the header names each one.
#[test]
fn a_user_trace_is_replayed_as_recorded() {
    let trace = scratch_file(
        "recorded.csv",
        "arrival_s,input_tokens,output_tokens\n0,100,5\n1500,200,6\n2000,3000,7\n",
    );
    let csv = trace.with_file_name("recorded-requests.csv");
    let t = trace.to_str().unwrap();
    let stdout = success_stdout(&[
        "simulate",
        "--trace",
        t,
        "--policy",
        "fifo",
        "--quiet",
        "--requests-csv",
        csv.to_str().unwrap(),
    ]);
    let header: Vec<&str> = stdout.lines().take(2).collect();
    assert!(header[0].contains("recorded.csv, 3 requests"), "{stdout}");
    assert_eq!(header[1], "transforms: none: replayed as recorded");
    let rows = std::fs::read_to_string(&csv).unwrap();
    let cells: Vec<(String, String)> = rows
        .lines()
        .skip(1)
        .map(|l| {
            let f: Vec<&str> = l.split(',').collect();
            (f[5].to_string(), f[3].to_string()) // arrival_s, input_tokens
        })
        .collect();
    let want = [
        ("0.000000", "100"),
        ("1500.000000", "200"),
        ("2000.000000", "3000"),
    ];
    let want: Vec<(String, String)> = want
        .iter()
        .map(|(a, i)| (a.to_string(), i.to_string()))
        .collect();
    assert_eq!(cells, want, "arrivals and lengths as recorded:\n{rows}");

    let stdout = success_stdout(&[
        "simulate",
        "--trace",
        t,
        "--policy",
        "fifo",
        "--quiet",
        "--window",
        "0:1800",
        "--rate-scale",
        "2",
        "--max-requests",
        "1",
        "--long-input",
    ]);
    assert_eq!(
        stdout.lines().nth(1),
        Some(
            "transforms: window 0–1800 s, rate ×2, first 1 requests, long-input transform (inputs above p95 → 100000–500000 tokens)"
        ),
        "{stdout}"
    );
}

/// A request that can never fit is labelled rejected with its reason, in the table
/// and the per-request CSV, and not counted as starved or unserved.
#[test]
fn rejected_requests_are_labelled_with_their_reason() {
    let trace = scratch_file(
        "too-large.csv",
        "arrival_s,input_tokens,output_tokens\n0,10000000,10\n1,100,10\n",
    );
    let csv = trace.with_file_name("too-large-requests.csv");
    let stdout = success_stdout(&[
        "simulate",
        "--trace",
        trace.to_str().unwrap(),
        "--tp",
        "2",
        "--policy",
        "fifo",
        "--quiet",
        "--requests-csv",
        csv.to_str().unwrap(),
    ]);
    let reason = "needs 374 replicas for its KV and compute; the cluster offers 16 replicas";
    assert!(
        stdout.contains(&format!(
            "fifo: long: 1 rejected (can never be served on this cluster): {reason}"
        )),
        "{stdout}"
    );
    let long_row = stdout
        .lines()
        .skip_while(|l| !l.starts_with("long"))
        .nth(1)
        .unwrap();
    let cells: Vec<&str> = long_row.split_whitespace().collect();
    assert_eq!(
        cells[..5],
        ["fifo", "0/1", "0", "0", "1"],
        "served, never, unfinished, rejected: {stdout}"
    );
    assert!(!stdout.contains("starved"), "{stdout}");
    let rows = std::fs::read_to_string(&csv).unwrap();
    assert!(
        rows.lines()
            .next()
            .unwrap()
            .ends_with(",rejected,rejected_reason,cached_tokens,ttft_slo_s,slo_met")
    );
    assert!(
        rows.contains(&format!(",true,\"{reason}\"")),
        "the rejected row carries its reason:\n{rows}"
    );
}

/// A run that ends with work unserved says so above the table, marks the class,
/// and its JSON carries the typed stop reason.
#[test]
fn a_run_cut_by_its_drain_horizon_says_so() {
    let default = success_stdout(&["scenario"]);
    let mut s: serde_json::Value = serde_json::from_str(&default).unwrap();
    s["engine"]["drain_limit"] = serde_json::json!(1_000_000_000u64); // 1 s after the last arrival
    s["workload"]["max_requests"] = serde_json::json!(200);
    s["policies"] = serde_json::json!(["fifo"]);
    let path = scratch_file("one-second-drain.json", &s.to_string());
    let p = path.to_str().unwrap();
    let table = success_stdout(&["simulate", "--scenario", p, "--quiet"]);
    // Scenario, transforms, calibration and knobs, metrics window, then the alert above the
    // tables.
    let window = table.lines().nth(3).unwrap();
    assert!(
        window.starts_with("metrics window: arrivals 0.0–1225.3 s + drain 1 s"),
        "{table}"
    );
    let first = table.lines().nth(4).unwrap();
    assert!(
        first.starts_with("OVERLOADED: fifo: overloaded: the drain horizon ("),
        "{table}"
    );
    assert!(table.contains(" !"), "a class is marked unserved: {table}");
    assert!(table.contains("drain horizon"), "{table}");
    let json = success_stdout(&["simulate", "--scenario", p, "--json"]);
    let v: serde_json::Value = serde_json::from_str(&json).unwrap();
    let stopped = &v["summaries"][0]["stopped"];
    // The JSON says what the summaries cover.
    assert_eq!(v["requests"], 200, "{json}");
    assert!(
        v["transforms"]
            .as_str()
            .unwrap()
            .contains("first 200 requests"),
        "{json}"
    );
    assert_eq!(v["scenario"]["engine"]["drain_limit"], 1_000_000_000u64);
    assert_eq!(stopped["kind"], "drain_horizon", "{stopped}");
    assert!(stopped["unserved"].as_u64().unwrap() > 0, "{stopped}");
}

/// The trace is streamed, and reading stops at what the scenario keeps: with
/// `--max-requests 2` or a window ending before them, the broken rows further down are never
/// read.
#[test]
fn reading_stops_at_the_request_limit_and_the_window_end() {
    let trace = scratch_file(
        "broken-further-down.csv",
        "arrival_s,input_tokens,output_tokens\n0,100,5\n1,200,6\n5,300,7\nthis row is broken\n",
    );
    let t = trace.to_str().unwrap();
    for (flags, n) in [
        (&["--max-requests", "2"][..], "2 requests"),
        (&["--window", "0:3"][..], "2 requests"),
        (&["--window", "1:5"][..], "1 requests"),
    ] {
        let mut args = vec!["simulate", "--trace", t, "--policy", "fifo", "--quiet"];
        args.extend_from_slice(flags);
        let stdout = success_stdout(&args);
        assert!(
            stdout.lines().next().unwrap().contains(n),
            "{flags:?}: {stdout}"
        );
    }
    // Without a limit the broken row is read, and reported with its line.
    let out = worker(&["simulate", "--trace", t, "--policy", "fifo", "--quiet"]);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        String::from_utf8_lossy(&out.stderr).lines().next(),
        Some(
            "Error: plain csv line 5: expected 3 comma-separated fields, found 1: \"this row is broken\""
        )
    );
}

/// BurstGPT rows with 0 response tokens (failed requests) are skipped and counted,
/// and the count is reported.
#[test]
fn skipped_burstgpt_failures_are_reported() {
    let trace = scratch_file(
        "burst.csv",
        "Timestamp,Model,Request tokens,Response tokens,Total tokens,Log Type\n\
         5,ChatGPT,472,18,490,Conversation log\n\
         6,ChatGPT,100,0,100,Conversation log\n\
         7,GPT-4,300,0,300,API log\n\
         9,GPT-4,417,505,922,API log\n",
    );
    let stdout = success_stdout(&[
        "simulate",
        "--trace",
        trace.to_str().unwrap(),
        "--policy",
        "fifo",
        "--quiet",
    ]);
    let header: Vec<&str> = stdout.lines().take(4).collect();
    assert!(header[0].contains("burst.csv, 2 requests"), "{stdout}");
    assert_eq!(
        header[3], "read: 2 failed requests (Response tokens = 0) skipped",
        "{stdout}"
    );
}

/// A KV cache larger than the replica holds is priced, with a warning saying so.
#[test]
fn predict_warns_when_the_kv_does_not_fit() {
    let out = worker(&["predict", "--decode", "4294967295x4294967295"]);
    assert!(out.status.success());
    assert_eq!(
        String::from_utf8_lossy(&out.stderr).trim_end(),
        "warning: the batch's KV cache (18446744069414584320 tokens) does not fit this replica's capacity (486878 tokens for Llama-3.1-70B on TP=4 A100-SXM 80GB): no engine would run it, and its time is only the model's formula"
    );
    let fits = worker(&["predict", "--decode", "1000x32"]);
    assert!(fits.status.success() && fits.stderr.is_empty());
}

/// `simulate --timeline-trace` writes the default scenario's timelines as Chrome trace-event
/// JSON: one named process per node of each policy, slices, preemptions and KV hand-overs,
/// counters; timestamps never go back on a track. (The full format check runs on the same
/// export in core/tests/trace_event.rs.)
#[test]
fn the_default_scenario_writes_a_perfetto_timeline() {
    let dir = std::env::temp_dir().join(format!("pecsched-cli-trace-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("timeline.json");
    success_stdout(&[
        "simulate",
        "--quiet",
        "--timeline-trace",
        path.to_str().unwrap(),
    ]);
    let text = std::fs::read_to_string(&path).unwrap();
    let doc: serde_json::Value = serde_json::from_str(&text).expect("the trace is JSON");
    let events = doc["traceEvents"].as_array().expect("a traceEvents array");
    let count = |ph: &str, name: &str| {
        events
            .iter()
            .filter(|e| e["ph"] == ph && (name.is_empty() || e["name"] == name))
            .count()
    };
    // 4 policies × 4 nodes, 8 replicas each.
    assert_eq!(count("M", "process_name"), 16);
    assert_eq!(count("M", "thread_name"), 32);
    assert!(count("X", "long prefill") > 0 && count("X", "short decode") > 0);
    assert!(count("i", "preempted") > 0 && count("i", "KV hand-over out") > 0);
    assert!(count("C", "") > 0);
    let mut last: std::collections::BTreeMap<(u64, u64, String), f64> = Default::default();
    for e in events.iter().filter(|e| e["ph"] != "M") {
        let ph = e["ph"].as_str().unwrap();
        assert!(matches!(ph, "X" | "i" | "C"), "unexpected phase {ph}");
        let key = (
            e["pid"].as_u64().unwrap(),
            e["tid"].as_u64().unwrap(),
            if ph == "C" {
                e["name"].to_string()
            } else {
                ph.to_string()
            },
        );
        let ts = e["ts"].as_f64().unwrap();
        assert!(
            ts >= last.get(&key).copied().unwrap_or(0.0),
            "time went back: {e}"
        );
        last.insert(key, ts);
    }
    std::fs::remove_dir_all(&dir).unwrap();
}

/// `predict --long-prefill` shows the colocation cap derived from the cost model (the largest
/// per-GPU short-prefill token count that slows the long decode step by at most 5 %), in the
/// text and in the JSON.
#[test]
fn predict_shows_the_derived_colocation_cap() {
    let args = ["predict", "--long-prefill", "200000", "--sp-group", "2"];
    let text = success_stdout(&args);
    assert!(
        text.contains("colocation cap during its decode (a step slowed by at most 5 %):"),
        "{text}"
    );
    let json = success_stdout(&[&args[..], &["--json"]].concat());
    let v: serde_json::Value = serde_json::from_str(&json).unwrap();
    let cap = v["long_prefill"]["colocation_cap_tokens_per_gpu"]
        .as_u64()
        .expect("a number");
    assert_eq!(v["long_prefill"]["colocation_max_slowdown_permille"], 50);
    assert!(
        text.contains(&format!(": {cap} short-prefill tokens per GPU")),
        "{text}"
    );
    // The paper's cost table that chooses fast SP's combination: four rows, one chosen, the
    // same one the JSON names and the plan the roofline prices.
    assert_eq!(text.matches("← chosen").count(), 1, "{text}");
    let table = v["long_prefill"]["cost_table"].as_array().unwrap();
    assert_eq!(table.len(), 4);
    let choice = &v["long_prefill"]["cost_table_choice"];
    let best = table
        .iter()
        .filter(|c| c["feasible"] == true)
        .min_by(|a, b| {
            a["total_s"]
                .as_f64()
                .unwrap()
                .total_cmp(&b["total_s"].as_f64().unwrap())
        })
        .unwrap();
    assert_eq!((&best["attention"], &best["mlp"]), (&choice[0], &choice[1]));
}
