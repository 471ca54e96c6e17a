//! `repro` end to end on a tiny run (one model, a short window, one regime): the claims file is
//! valid JSON with the keys the claims file promises (`id`, `paper`, `ours`,
//! `direction_reproduced`, `within_25pct`, `regime`, `note`), and the report names the exact
//! command.

use std::path::PathBuf;
use std::process::{Command, Output};

/// Runs the binary without backtraces (stderr is the message alone).
fn worker(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_pecsched-worker"))
        .args(args)
        .env_remove("RUST_BACKTRACE")
        .env_remove("RUST_LIB_BACKTRACE")
        .output()
        .expect("the pecsched-worker binary runs")
}

fn scratch() -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("repro");
    std::fs::create_dir_all(&dir).expect("scratch folder");
    dir
}

/// The arguments of the tiny run, after `repro`.
const TINY: &[&str] = &[
    "--model",
    "mistral-7b",
    "--window",
    "0:20",
    "--drain",
    "60",
    "--rate-scales",
    "1",
    "--no-short-load",
    "--quiet",
];

#[test]
fn claims_json_holds_one_object_per_claim_with_the_issue_keys() {
    let dir = scratch();
    let json = dir.join("claims.json");
    let md = dir.join("reproduction.md");
    let (json_s, md_s) = (json.display().to_string(), md.display().to_string());
    let mut args = vec!["repro"];
    args.extend_from_slice(TINY);
    args.extend(["--claims-json", &json_s, "--markdown", &md_s]);
    let out = worker(&args);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = std::fs::read_to_string(&json).expect("claims written");
    let v: serde_json::Value = serde_json::from_str(&text).expect("valid JSON");
    let claims = v.as_array().expect("an array of claims");
    assert!(claims.len() >= 30, "{} claims", claims.len());
    let mut ids = std::collections::BTreeSet::new();
    for c in claims {
        let o = c.as_object().expect("each claim is an object");
        for key in [
            "id",
            "paper",
            "ours",
            "direction_reproduced",
            "within_25pct",
            "regime",
            "note",
        ] {
            assert!(o.contains_key(key), "{key} missing in {c}");
        }
        let id = o["id"].as_str().expect("id is text");
        assert!(id.ends_with("/mistral-7b"), "{id}");
        assert!(ids.insert(id.to_string()), "{id} twice");
        assert!(o["direction_reproduced"].is_boolean() && o["within_25pct"].is_boolean());
        assert!(o["regime"].is_string() && o["note"].is_string());
        assert!(o["ours"].is_number() || o["ours"].is_null(), "{c}");
        // A value, or a range [lo, hi] with null for an open side.
        let paper = &o["paper"];
        match paper.as_array() {
            Some(r) => assert!(r.len() == 2 && r.iter().all(|x| x.is_number() || x.is_null())),
            None => assert!(paper.is_number(), "{c}"),
        }
        // No number, no verdict.
        if o["ours"].is_null() {
            assert_eq!(
                (&o["direction_reproduced"], &o["within_25pct"]),
                (&false.into(), &false.into())
            );
        }
    }
    for want in [
        "1.fifo_short_p99_with_vs_without_long/mistral-7b",
        "2.reservation_gpu_idle/mistral-7b",
        "3.priority_long_starvation/mistral-7b",
        "8.preemptions_fsp/mistral-7b",
        "9.pause_state_share/mistral-7b",
        "10.overhead_8192_gpus/mistral-7b",
    ] {
        assert!(ids.contains(want), "{want} missing");
    }
    // The report is generated from the same runs and starts with the exact command.
    let report = std::fs::read_to_string(&md).expect("report written");
    assert!(
        report.starts_with("# Reproduction of the paper's claims"),
        "{report}"
    );
    let command = format!(
        "pecsched-worker repro {} --claims-json {json_s} --markdown {md_s}",
        TINY.join(" ")
    );
    assert!(report.contains(&command), "{command} not in the report");
    assert!(report.contains("claims (each claim of §5 on each model)"));
    assert!(report.contains("1.fifo_short_p99_with_vs_without_long/mistral-7b"));
}

/// The table output names the window the metrics cover beside the regime of every point.
#[test]
fn the_tables_print_the_metrics_window_and_the_regime() {
    let mut args = vec!["repro"];
    args.extend_from_slice(TINY);
    let out = worker(&args);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.contains("×1 (recorded arrival times)"), "{stdout}");
    assert!(stdout.contains("+ drain 60 s"), "{stdout}");
    assert!(stdout.contains("claims judged here:"), "{stdout}");
    assert!(stdout.contains("reproduce in direction"), "{stdout}");
}

/// Bad regimes are refused before any run, naming the flag.
#[test]
fn bad_regimes_are_refused_naming_the_flag() {
    for (args, want) in [
        (
            vec!["repro", "--rate-scales", "1,-2"],
            "Error: --rate-scales: -2 is not a positive number",
        ),
        (
            vec!["repro", "--short-load", "0"],
            "Error: --short-load: 0 is not a positive share",
        ),
        (
            vec!["repro", "--drain", "0"],
            "Error: --drain 0: expected seconds, > 0 and at most 30 days",
        ),
        (
            vec![
                "repro",
                "--rate-scales",
                "1",
                "--no-short-load",
                "--claims-json",
                "/no/such/folder/c.json",
            ],
            "Error: --claims-json /no/such/folder/c.json: folder /no/such/folder does not exist (create it first)",
        ),
    ] {
        let out = worker(&args);
        assert_eq!(out.status.code(), Some(1), "{args:?}");
        assert_eq!(
            String::from_utf8_lossy(&out.stderr).trim_end(),
            want,
            "{args:?}"
        );
    }
}
