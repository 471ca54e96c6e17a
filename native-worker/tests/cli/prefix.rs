//! Prefix caching on the command line (docs/prefix-caching.md): a Mooncake trace's own
//! `hash_ids` key the cache, the session flags set up the scenario, and the table, JSON and
//! per-request CSV carry the hits.

use crate::success_stdout;

fn scratch(name: &str) -> std::path::PathBuf {
    let dir = std::path::PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("cli-prefix");
    std::fs::create_dir_all(&dir).expect("scratch folder");
    dir.join(name)
}

/// Two identical Mooncake requests, the second after the first has finished: with the cache
/// the second saves its one whole 512-token block (1,000 tokens: the last 488 are recomputed);
/// without it, nothing.
#[test]
fn a_mooncake_trace_reuses_its_own_hash_ids() {
    let trace = scratch("two.jsonl");
    std::fs::write(
        &trace,
        "{\"timestamp\": 0, \"input_length\": 1000, \"output_length\": 4, \"hash_ids\": [7, 8]}\n\
         {\"timestamp\": 60000, \"input_length\": 1000, \"output_length\": 4, \"hash_ids\": [7, 8]}\n",
    )
    .unwrap();
    let csv = scratch("two.csv");
    let t = trace.to_str().unwrap();
    let c = csv.to_str().unwrap();
    let table = success_stdout(&[
        "simulate",
        "--trace",
        t,
        "--policy",
        "fifo",
        "--block-tokens",
        "512",
        "--quiet",
        "--requests-csv",
        c,
    ]);
    assert!(
        table.contains("prefix caching: cache on; 512-token blocks"),
        "{table}"
    );
    assert!(table.contains("prefix cache (short requests"), "{table}");
    let rows = std::fs::read_to_string(&csv).unwrap();
    let cached: Vec<&str> = rows
        .lines()
        .skip(1)
        .map(|l| {
            let cols: Vec<&str> = l.split(',').collect();
            // cached_tokens is the column after rejected_reason (CSV_HEADER).
            let i = rows
                .lines()
                .next()
                .unwrap()
                .split(',')
                .position(|h| h == "cached_tokens");
            cols[i.expect("a cached_tokens column")]
        })
        .collect();
    assert_eq!(cached, vec!["0", "512"], "{rows}");
    let json = success_stdout(&[
        "simulate",
        "--trace",
        t,
        "--policy",
        "fifo",
        "--no-prefix-cache",
        "--json",
    ]);
    let v: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert!(
        v["summaries"][0].get("prefix").is_none(),
        "no cache, no prefix stats"
    );
    // Without prefix flags the ids are read but nothing is cached.
    let plain = success_stdout(&["simulate", "--trace", t, "--policy", "fifo", "--json"]);
    let v: serde_json::Value = serde_json::from_str(&plain).unwrap();
    assert!(v["summaries"][0].get("prefix").is_none());
}

/// The session flags: the JSON summary carries per-class hit rates over the requests that
/// started, and the scenario as run carries the session model (so does a link of it).
#[test]
fn sessions_report_hit_rates_in_the_json() {
    let json = success_stdout(&[
        "simulate",
        "--max-requests",
        "400",
        "--no-long-input",
        "--policy",
        "pecsched",
        "--sessions",
        "8",
        "--json",
    ]);
    let v: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(v["scenario"]["prefix"]["sessions"]["turns_mean"], 8.0);
    let p = &v["summaries"][0]["prefix"];
    let short = &p["short"];
    assert_eq!(
        short["requests"],
        v["summaries"][0]["short"]["queueing_delay"]["n"]
    );
    let rate = short["token_hit_rate"].as_f64().unwrap();
    assert!(rate > 0.0 && rate < 1.0, "{p}");
    assert_eq!(p["long"]["cached_tokens"], 0);
}
