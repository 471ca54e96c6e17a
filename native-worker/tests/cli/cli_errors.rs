//! The command line's part of the bad-input table: wrong flags and bad files, each
//! with the exit code and the exact message on stderr it must give. Every message says what
//! was wrong and where (the flag or file, the field, the value); no case may panic (exit 101)
//! and no case may be accepted. The core's cases are in `tests/tests/bad_inputs.rs`; the whole
//! table is in `docs/reliability.md`.
//!
//! Cases that document a bug found by this work (and not yet fixed) are separate tests named
//! `regression_*`, one per bug; there are none at the moment.

use std::path::PathBuf;
use std::process::Command;

/// Exit code of an error reported by `main` (anyhow).
const ERROR: i32 = 1;
/// Exit code of a flag clap refuses.
const USAGE: i32 = 2;

/// Flags that keep a run short should a case be accepted by mistake.
const SHORT: [&str; 5] = ["--max-requests", "5", "--policy", "fifo", "--quiet"];

/// One row of the table.
struct Case {
    /// Arguments after the binary name.
    args: Vec<String>,
    /// The exit code it must give.
    code: i32,
    /// Its exact stderr, without the final newline.
    stderr: String,
}

fn case(args: &[&str], code: i32, stderr: impl Into<String>) -> Case {
    Case {
        args: args.iter().map(|s| s.to_string()).collect(),
        code,
        stderr: stderr.into(),
    }
}

/// `simulate` with `args`, then the [`SHORT`] flags.
fn simulate(args: &[&str], code: i32, stderr: impl Into<String>) -> Case {
    let mut all = vec!["simulate"];
    all.extend_from_slice(args);
    all.extend_from_slice(&SHORT);
    case(&all, code, stderr)
}

/// Runs the binary (without backtraces, so stderr is the message alone); `None` if it gave
/// exactly the expected exit code and stderr.
fn run(c: &Case) -> Option<String> {
    let out = Command::new(env!("CARGO_BIN_EXE_pecsched-worker"))
        .args(&c.args)
        .env_remove("RUST_BACKTRACE")
        .env_remove("RUST_LIB_BACKTRACE")
        .output()
        .expect("the pecsched-worker binary runs");
    let stderr = String::from_utf8_lossy(&out.stderr);
    let stderr = stderr.trim_end();
    let code = out.status.code();
    if code == Some(c.code) && stderr == c.stderr {
        return None;
    }
    let what = match code {
        Some(0) => "ACCEPTED (silently)".to_string(),
        Some(101) => "PANICKED".to_string(),
        other => format!("exit {other:?}"),
    };
    Some(format!("{what}, stderr:\n{stderr}"))
}

/// Runs every case and fails with all mismatches listed.
fn check(cases: &[Case]) {
    let failures: Vec<String> = cases
        .iter()
        .filter_map(|c| {
            run(c).map(|got| {
                format!(
                    "  pecsched-worker {}\n    got: {got}\n    expected: exit {}, stderr:\n{}",
                    c.args.join(" "),
                    c.code,
                    c.stderr
                )
            })
        })
        .collect();
    assert!(
        failures.is_empty(),
        "{} of {} CLI cases failed:\n{}",
        failures.len(),
        cases.len(),
        failures.join("\n")
    );
}

/// This test's scratch folder (created if needed).
fn scratch() -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("cli_errors");
    std::fs::create_dir_all(&dir).expect("scratch folder");
    dir
}

/// A file in the scratch folder holding `bytes`; its path as text.
fn file(name: &str, bytes: &[u8]) -> String {
    let path = scratch().join(name);
    std::fs::write(&path, bytes).expect("scratch file");
    path.display().to_string()
}

/// The message anyhow prints for an error with one cause.
fn caused(context: &str, cause: &str) -> String {
    format!("Error: {context}\n\nCaused by:\n    {cause}")
}

/// The message clap prints for a refused flag value.
fn usage(message: &str) -> String {
    format!("error: {message}\n\nFor more information, try '--help'.")
}

const AZURE_HEADER: &str = "TIMESTAMP,ContextTokens,GeneratedTokens\n";

#[test]
fn simulate_flag_table() {
    let cases = [
        simulate(
            &["--window", "abc"],
            USAGE,
            usage("invalid value 'abc' for '--window <START:END>': expected START:END in seconds"),
        ),
        simulate(
            &["--window", "1:x"],
            USAGE,
            usage("invalid value '1:x' for '--window <START:END>': end \"x\" is not a number"),
        ),
        simulate(
            &["--window", "600:0"],
            ERROR,
            caused(
                "invalid flags",
                "scenario field `workload.window_s` = [600, 0]: expected [start, end] seconds with 0 <= start < end",
            ),
        ),
        // Found by this work (negative and NaN bounds were read as 0 and silently accepted);
        // fixed in 238a707.
        simulate(
            &["--window=-5:10"],
            ERROR,
            caused(
                "invalid flags",
                "scenario field `workload.window_s` = [-5, 10]: expected [start, end] seconds with 0 <= start < end",
            ),
        ),
        simulate(
            &["--window=NaN:10"],
            ERROR,
            caused(
                "invalid flags",
                "scenario field `workload.window_s` = [NaN, 10]: expected [start, end] seconds with 0 <= start < end",
            ),
        ),
        simulate(
            &["--tp", "3"],
            ERROR,
            caused(
                "invalid flags",
                "scenario field `tp` = 3: expected a divisor of cluster.gpus_per_node",
            ),
        ),
        simulate(
            &["--gpus-per-node", "0"],
            ERROR,
            caused(
                "invalid flags",
                "scenario field `cluster.gpus_per_node` = 0: expected between 1 and 16",
            ),
        ),
        simulate(
            &["--nodes", "0"],
            ERROR,
            caused(
                "invalid flags",
                "scenario field `cluster.nodes` = 0: expected between 1 and 2048",
            ),
        ),
        simulate(
            &["--nodes", "100000"],
            ERROR,
            caused(
                "invalid flags",
                "scenario field `cluster.nodes` = 100000: expected between 1 and 2048",
            ),
        ),
        simulate(
            &["--rate-scale=NaN"],
            ERROR,
            caused(
                "invalid flags",
                "scenario field `workload.rate_scale` = NaN: expected a number in (0, 1000]",
            ),
        ),
        simulate(
            &["--rate-scale=-1"],
            ERROR,
            caused(
                "invalid flags",
                "scenario field `workload.rate_scale` = -1: expected a number in (0, 1000]",
            ),
        ),
        // Catalog ids are parsed one way by every command (the core's `FromStr`).
        simulate(
            &["--gpu", "v100"],
            USAGE,
            usage(
                "invalid value 'v100' for '--gpu <GPU>': unknown GPU \"v100\"; expected one of a100, h100, h200",
            ),
        ),
        simulate(
            &["--embedded", "sharegpt"],
            USAGE,
            usage(
                "invalid value 'sharegpt' for '--embedded <NAME>': unknown embedded trace \"sharegpt\"; expected one of azure-conv-2023, azure-code-2023",
            ),
        ),
        simulate(
            &["--seed", "abc"],
            USAGE,
            usage("invalid value 'abc' for '--seed <SEED>': invalid digit found in string"),
        ),
        simulate(
            &["--nodes", "-1"],
            USAGE,
            usage("unexpected argument '-1' found\n\nUsage: pecsched-worker simulate [OPTIONS]"),
        ),
        simulate(
            &["--model", "gpt-5"],
            USAGE,
            usage(
                "invalid value 'gpt-5' for '--model <MODEL>': unknown model \"gpt-5\"; expected one of mistral-7b, phi3-14b, yi-34b, llama3.1-70b, llama3.1-8b",
            ),
        ),
        case(
            &["simulate", "--policy", "srpt"],
            USAGE,
            usage(
                "invalid value 'srpt' for '--policy <ID>': unknown policy \"srpt\"; expected one of fifo, reservation, priority, pecsched, pecsched/pe, pecsched/dis, pecsched/col, pecsched/fsp, sjf, ltr, chunked-prefill, distserve, medha, loongserve",
            ),
        ),
        case(
            &["simulate", "--max-requests", "0", "--policy", "fifo"],
            ERROR,
            "Error: scenario field `workload` = 0 requests: expected at least one request after window and truncation",
        ),
    ];
    check(&cases);
}

#[test]
fn simulate_file_table() {
    let missing = scratch().join("no-such-file.csv").display().to_string();
    let png = file(
        "upload.png",
        &[
            0x89, b'P', b'N', b'G', b'\r', b'\n', 0x1a, b'\n', 0, 0, 0, 0x0d,
        ],
    );
    let garbage = file("garbage.bin", b"\x00\x01\x02binary\x7f\n\x03\x04");
    let latin1 = file(
        "latin1.csv",
        b"TIMESTAMP,ContextTokens,GeneratedTokens\n\xe9\n",
    );
    let bad_row = file(
        "bad-row.csv",
        format!("{AZURE_HEADER}2023-11-16 18:17:03,10,2\n2023-11-16 18:17:04,12x,3\n").as_bytes(),
    );
    let empty = file("empty.csv", b"");
    let good = file(
        "good.csv",
        format!("{AZURE_HEADER}2023-11-16 18:17:03,10,2\n").as_bytes(),
    );
    let future = file(
        "future.json",
        br#"{"version": 3, "cluster": {"gpu": "b200"}}"#,
    );
    let broken = file("broken.json", b"{\n  \"version\": 1,\n  \"cluster\": \n");
    let cases = [
        simulate(
            &["--trace", &missing],
            ERROR,
            caused(
                &format!("reading trace {missing}"),
                "No such file or directory (os error 2)",
            ),
        ),
        simulate(
            &["--scenario", &missing],
            ERROR,
            caused(
                &format!("reading scenario {missing}"),
                "No such file or directory (os error 2)",
            ),
        ),
        simulate(
            &["--trace", &png],
            ERROR,
            caused(
                &format!("reading trace {png}"),
                "line 1 is not UTF-8 text (byte 1 of the line is invalid); save the trace as UTF-8",
            ),
        ),
        simulate(
            &["--trace", &garbage],
            ERROR,
            format!(
                "Error: cannot tell the format of {garbage} from its first line; pass --format"
            ),
        ),
        simulate(
            &["--trace", &latin1],
            ERROR,
            caused(
                &format!("reading trace {latin1}"),
                "line 2 is not UTF-8 text (byte 1 of the line is invalid); save the trace as UTF-8",
            ),
        ),
        simulate(
            &["--trace", &bad_row],
            ERROR,
            "Error: azure csv line 3, column ContextTokens: \"12x\" is not a non-negative integer",
        ),
        simulate(
            &["--trace", &empty, "--format", "azure"],
            ERROR,
            "Error: azure csv: the trace has no requests",
        ),
        simulate(
            &["--trace", &good, "--format", "parquet"],
            USAGE,
            usage(
                "invalid value 'parquet' for '--format <FORMAT>': unknown trace format \"parquet\"; expected one of azure, mooncake, burstgpt, plain",
            ),
        ),
        simulate(
            &["--scenario", &future],
            ERROR,
            caused(
                &format!("in scenario file {future}"),
                "scenario format version 3 is newer than this PecSched understands (up to 2); update PecSched",
            ),
        ),
        simulate(
            &["--scenario", &broken],
            ERROR,
            caused(
                &format!("in scenario file {broken}"),
                "scenario JSON line 4, column 0: EOF while parsing a value at line 4 column 0",
            ),
        ),
    ];
    check(&cases);
}

#[test]
fn predict_table() {
    let future = file(
        "future-calibration.json",
        br#"{"schema": "pecsched-calibration/2", "overrides": {}}"#,
    );
    let above_one = file(
        "above-one.json",
        br#"{"schema": "pecsched-calibration/1", "overrides": {"gemm_efficiency": 1.5}}"#,
    );
    let cases = [
        case(
            &["predict", "--decode", "1000", "--calibration", &future],
            ERROR,
            caused(
                &format!("calibration file {future}"),
                "calibration JSON: schema version 2 is newer than this build supports (1); upgrade pecsched",
            ),
        ),
        case(
            &["predict", "--decode", "1000", "--calibration", &above_one],
            ERROR,
            caused(
                &format!("calibration file {above_one}"),
                "calibration: efficiency `gemm_efficiency` must be ≤ 1 (got 1.5)",
            ),
        ),
        case(
            &["predict", "--decode", "1000", "--tp", "3"],
            ERROR,
            "Error: tp = 3 does not divide heads = 64 of Llama-3.1-70B",
        ),
        case(
            &["predict", "--decode", "1000", "--tp", "0"],
            ERROR,
            "Error: tp must be at least 1 (got 0)",
        ),
        case(
            &["predict", "--model", "gpt-5"],
            USAGE,
            usage(
                "invalid value 'gpt-5' for '--model <MODEL>': unknown model \"gpt-5\"; expected one of mistral-7b, phi3-14b, yi-34b, llama3.1-70b, llama3.1-8b",
            ),
        ),
        case(
            &["predict", "--prefill", "abc"],
            USAGE,
            usage(
                "invalid value 'abc' for '--prefill <N[@P]>': new tokens `abc` is not a whole number",
            ),
        ),
        case(
            &["predict", "--long-prefill", "0"],
            USAGE,
            usage(
                "invalid value '0' for '--long-prefill <TOKENS>': a long prefill needs at least 1 input token",
            ),
        ),
        case(
            &[
                "predict",
                "--decode",
                "4294967295x4294967295",
                "--decode",
                "5x5",
            ],
            ERROR,
            "Error: --decode 5x5: the batch is too large to price (more than 2^32 sequences, or a KV read past 2^64 tokens)",
        ),
        case(
            &["predict", "--prefill", "10000000000"],
            ERROR,
            "Error: --prefill 10000000000@0: the batch is too large to price (its attention pairs or KV tokens pass 2^64)",
        ),
        case(
            &["predict", "--decode", "1000x0"],
            USAGE,
            usage(
                "invalid value '1000x0' for '--decode <L[xB]>': a decode group needs at least 1 sequence",
            ),
        ),
    ];
    check(&cases);
}

/// Links pasted from the explorer that cannot be rerun say why.
#[test]
fn link_table() {
    let cases = [
        case(
            &["simulate", "--link", "https://example.org/pecsched/#c=h100"],
            ERROR,
            "Error: --link \"https://example.org/pecsched/#c=h100\": it holds no scenario (expected …#s=<token>)",
        ),
        case(
            &[
                "simulate",
                "--link",
                "https://example.org/#s=AX8AAQRhMTAwBAgAAAAAAAB5QAxsbGFtYTMu",
            ],
            ERROR,
            caused(
                "--link: https://example.org/#s=AX8AAQRhMTAwBAgAAAAAAAB5QAxsbGFtYTMu",
                "the link is truncated: it holds 27 of the scenario's 134 bytes; copy the whole link again",
            ),
        ),
        case(
            &["scenario", "--link", "#s=abc$def"],
            ERROR,
            caused(
                "--link: #s=abc$def",
                "the link is malformed: character '$' at position 4 is not base64url",
            ),
        ),
        case(
            &["simulate", "--link", "x", "--scenario", "y.json"],
            USAGE,
            usage(
                "the argument '--link <URL>' cannot be used with '--scenario <PATH>'\n\nUsage: pecsched-worker simulate --link <URL>",
            ),
        ),
    ];
    check(&cases);
}

/// Smaller cases for `repro` and `scale`.
#[test]
fn repro_and_scale_table() {
    let cases = [
        case(
            &["repro", "--window", "5:1"],
            ERROR,
            "Error: --window \"5:1\": window reversed or empty (start 5 s is not before end 1 s); expected START:END with START < END",
        ),
        case(
            &["repro", "--window", "0:x"],
            ERROR,
            "Error: --window \"0:x\": end \"x\" is not a non-negative number of seconds",
        ),
        case(
            &["scale", "--rate-per-gpu=-1"],
            ERROR,
            "Error: --rate-per-gpu -1: expected a number of requests per second per GPU, > 0",
        ),
        case(
            &["scale", "--load", "0"],
            ERROR,
            "Error: --load 0: expected a share of the cluster's capacity, > 0",
        ),
        case(
            &["scale", "--requests", "0"],
            ERROR,
            "Error: --requests 0: expected between 1 and 50000000",
        ),
    ];
    check(&cases);
}

/// A reader that stops early (`pecsched-worker repro | head -1`) ends the run quietly: no
/// panic report, exit 141 (the shell's code for SIGPIPE) or 0 if everything fit the pipe.
#[test]
fn closed_stdout_is_not_a_panic() {
    use std::io::{BufRead, BufReader};
    use std::process::Stdio;
    let mut child = Command::new(env!("CARGO_BIN_EXE_pecsched-worker"))
        .arg("repro")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn pecsched-worker");
    let mut first = String::new();
    BufReader::new(child.stdout.take().expect("stdout"))
        .read_line(&mut first)
        .expect("read a line");
    assert!(!first.is_empty());
    // The read end is dropped here: further writes hit a closed pipe.
    let out = child.wait_with_output().expect("wait");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!err.contains("panicked"), "{err}");
    assert!(
        matches!(out.status.code(), Some(141) | Some(0)),
        "{:?}: {err}",
        out.status
    );
}

#[test]
fn output_file_table() {
    let missing_dir = scratch().join("no-such-folder");
    let in_missing = missing_dir.join("out.csv").display().to_string();
    let folder = scratch().display().to_string();
    let partial = file(
        "partial-points.json",
        br#"{"schema": "pecsched-bench/1", "provenance": {"adapter": "x", "driver": "y", "date": "2026-01-01", "command": "bench"}, "failed_validation": [], "points": [], "complete": false}"#,
    );
    let empty = file(
        "empty-points.json",
        br#"{"schema": "pecsched-bench/1", "provenance": {"adapter": "x", "driver": "y", "date": "2026-01-01", "command": "bench"}, "failed_validation": [], "points": []}"#,
    );
    let profile = scratch().join("never-written.json").display().to_string();
    let cases = [
        // Checked before simulating (was found only after the whole run).
        simulate(
            &["--requests-csv", &in_missing],
            ERROR,
            format!(
                "Error: --requests-csv {in_missing}: folder {} does not exist (create it first)",
                missing_dir.display()
            ),
        ),
        simulate(
            &["--requests-csv", &folder],
            ERROR,
            format!("Error: --requests-csv {folder}: is a folder; give a file name"),
        ),
        case(
            &["repro", "--markdown", &in_missing],
            ERROR,
            format!(
                "Error: --markdown {in_missing}: folder {} does not exist (create it first)",
                missing_dir.display()
            ),
        ),
        // An interrupted bench leaves its points marked partial; calibrate refuses them.
        case(
            &["calibrate", "--points", &partial, "--out", &profile],
            ERROR,
            format!(
                "Error: {partial}: the bench sweep that wrote it did not finish (\"complete\": false, 0 points); rerun bench, or pass --allow-partial to fit what it measured"
            ),
        ),
        case(
            &["calibrate", "--points", &empty, "--out", &profile],
            ERROR,
            format!("Error: {empty}: 0 f16 training points (0 points in all): nothing to fit"),
        ),
    ];
    check(&cases);
    assert!(!missing_dir.exists(), "no folder was created");
    assert!(
        !std::path::Path::new(&profile).exists(),
        "no profile was written"
    );
}

/// Standard output that cannot be written (a full disk, a closed descriptor) is an error with
/// a message and exit 1, never a panic (exit 101) or a silent exit 0.
#[test]
fn unwritable_stdout_is_an_error() {
    use std::process::Stdio;
    let exe = env!("CARGO_BIN_EXE_pecsched-worker");
    let full = "Error: cannot write to standard output: No space left on device (os error 28)";
    for args in [
        vec!["scenario"],
        vec![
            "simulate",
            "--max-requests",
            "5",
            "--policy",
            "fifo",
            "--quiet",
        ],
        vec![
            "simulate",
            "--max-requests",
            "5",
            "--policy",
            "fifo",
            "--json",
        ],
        vec!["predict", "--decode", "1000"],
    ] {
        let out = Command::new(exe)
            .args(&args)
            .env_remove("RUST_BACKTRACE")
            .stdout(Stdio::from(std::fs::File::create("/dev/full").unwrap()))
            .output()
            .unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(
            (out.status.code(), err.trim_end()),
            (Some(ERROR), full),
            "{args:?}"
        );
    }
    // `>&-`: the shell closes descriptor 1 before running the program.
    let out = Command::new("sh")
        .args(["-c", "exec \"$0\" scenario >&-", exe])
        .env_remove("RUST_BACKTRACE")
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(
        (out.status.code(), err.trim_end()),
        (
            Some(ERROR),
            "Error: standard output is closed, so the results would be lost; redirect it to a file (or to /dev/null to discard them)"
        )
    );
    // `> /dev/null` is the user's choice, not a closed stdout.
    let out = Command::new(exe)
        .arg("scenario")
        .stdout(Stdio::null())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
}
