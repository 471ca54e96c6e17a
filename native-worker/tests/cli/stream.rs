//! Streamed runs from the command line: `simulate --stream` reads a trace one request at a
//! time and gives the results of a whole-trace run; `scale --week` streams the week's
//! generator; bad input mid-stream is an error naming the line.

use super::{success_stdout, worker};

/// The conversation trace's first hour with the paper's transforms, every paper policy: the
/// same summaries and the same per-request CSV with and without `--stream`.
#[test]
fn simulate_stream_gives_the_whole_trace_results() {
    let trace = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../data/AzureLLMInferenceTrace_conv.csv"
    );
    let dir = std::path::PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("cli-stream");
    std::fs::create_dir_all(&dir).unwrap();
    let run = |stream: bool| {
        let csv = dir.join(format!("requests-{stream}.csv"));
        let mut args = vec![
            "simulate",
            "--trace",
            trace,
            "--window",
            "0:1200",
            "--rate-scale",
            "1.5",
            "--long-input",
            "--policy",
            "fifo",
            "--policy",
            "pecsched",
            "--policy",
            "reservation",
            "--json",
            "--requests-csv",
            csv.to_str().unwrap(),
        ];
        if stream {
            args.push("--stream");
        }
        let out: serde_json::Value = serde_json::from_str(&success_stdout(&args)).unwrap();
        (out, std::fs::read_to_string(csv).unwrap())
    };
    let (whole, whole_csv) = run(false);
    let (streamed, streamed_csv) = run(true);
    assert_eq!(streamed["summaries"], whole["summaries"]);
    assert_eq!(streamed["requests"], whole["requests"]);
    assert_eq!(streamed["transforms"], whole["transforms"]);
    assert!(streamed_csv == whole_csv, "per-request CSVs differ");
    let held = streamed["streamed"]["peak_requests_held"].as_u64().unwrap();
    let n = whole["requests"].as_u64().unwrap();
    assert!(held > 0 && held < n, "held {held} of {n}");
    assert!(whole["summaries"][0]["long"]["count"].as_u64().unwrap() > 0);
}

/// A malformed row deep in a streamed trace stops the run with an error naming the line; no
/// results file is left behind.
#[test]
fn a_bad_row_mid_stream_names_its_line() {
    let mut text = String::from("arrival_s,input_tokens,output_tokens\n");
    for i in 0..500 {
        text.push_str(&format!("{i},100,5\n"));
    }
    text.push_str("500,many,5\n");
    let trace = super::scratch_file("cli-stream", "bad-row.csv", &text);
    let csv = trace.with_file_name("bad-row-requests.csv");
    let _ = std::fs::remove_file(&csv);
    let out = worker(&[
        "simulate",
        "--trace",
        trace.to_str().unwrap(),
        "--stream",
        "--policy",
        "fifo",
        "--quiet",
        "--requests-csv",
        csv.to_str().unwrap(),
    ]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(stderr.contains("line 502"), "{stderr}");
    assert!(stderr.contains("bad-row.csv"), "{stderr}");
    assert!(!csv.exists(), "a partial CSV was left");
}

/// `--stream` without a trace says what it needs.
#[test]
fn stream_needs_a_trace() {
    let out = worker(&["simulate", "--stream", "--quiet"]);
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("--stream reads a trace file"), "{stderr}");
}

/// A slice of the synthetic week on a cluster that keeps up with it (128 replicas), streamed:
/// every request served, and far fewer held at once than run.
#[test]
fn scale_week_streams_and_reports_what_it_held() {
    let stdout = success_stdout(&[
        "scale",
        "--week",
        "--gpus",
        "512",
        "--requests",
        "20000",
        "--policies",
        "pecsched",
    ]);
    let row = stdout
        .lines()
        .find(|l| l.contains(" pecsched "))
        .unwrap_or_else(|| panic!("no pecsched row:\n{stdout}"));
    assert!(row.ends_with("complete"), "{row}");
    let cells: Vec<&str> = row.split_whitespace().collect();
    let held: u64 = cells[cells.len() - 2].parse().unwrap();
    assert!(held > 0 && held < 20_000 / 4, "held {held}:\n{stdout}");
}

/// `scale`'s Poisson runs stream too: at half the cluster's capacity every request completes
/// while the engine holds a small part of them at once, and the runs of two policies (one
/// generator pass each, no shared copy) report the same request count.
#[test]
fn scale_poisson_streams_and_reports_what_it_held() {
    let stdout = success_stdout(&[
        "scale",
        "--gpus",
        "64",
        "--requests",
        "20000",
        "--load",
        "0.5",
        "--policies",
        "pecsched,fifo",
    ]);
    for policy in ["pecsched", "fifo"] {
        let row = stdout
            .lines()
            .find(|l| l.split_whitespace().nth(2) == Some(policy))
            .unwrap_or_else(|| panic!("no {policy} row:\n{stdout}"));
        assert!(row.ends_with("complete"), "{row}");
        let cells: Vec<&str> = row.split_whitespace().collect();
        let held: u64 = cells[cells.len() - 2].parse().unwrap();
        assert!(held > 0 && held < 20_000 / 4, "held {held}:\n{stdout}");
    }
}
