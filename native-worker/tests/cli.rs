//! End-to-end tests of the `pecsched-worker` command line: run the built binary, check exit
//! codes and output.

use std::process::{Command, Output};

/// Subcommands `--help` must list.
const SUBCOMMANDS: &[&str] = &["simulate", "scenario", "predict"];

/// Runs the binary with `args` and returns its output.
fn worker(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_pecsched-worker"))
        .args(args)
        .output()
        .expect("the pecsched-worker binary runs")
}

/// Stdout as text, after asserting the process exited 0.
fn success_stdout(args: &[&str]) -> String {
    let out = worker(args);
    let stdout = String::from_utf8(out.stdout).expect("stdout is UTF-8");
    assert!(
        out.status.success(),
        "pecsched-worker {args:?} exited with {}\nstdout:\n{stdout}\nstderr:\n{}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    stdout
}

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

#[test]
fn unknown_subcommand_fails() {
    let out = worker(&["no-such-subcommand"]);
    assert!(!out.status.success());
    assert!(!out.stderr.is_empty(), "an error message on stderr");
}
