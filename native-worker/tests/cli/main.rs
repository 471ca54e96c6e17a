//! The `pecsched-worker` command line end to end, as one test binary: run the built binary,
//! check exit codes, output and files.
//!
//! - [`cli`]: every subcommand on good input;
//! - [`capacity`]: the SLO capacity search;
//! - [`cli_errors`]: the command line's part of the bad-input table;
//! - [`no_gpu`]: the GPU commands where Vulkan finds no adapter;
//! - [`params`]: the flags of issue 18's policy parameters;
//! - [`prefix`]: prefix caching (hash ids, sessions, hit rates in every output);
//! - [`replay`]: the hardware-in-the-loop replay on whatever adapter exists (lavapipe in CI);
//! - [`repro`]: the paper's evaluation on a tiny run: the claims file and the report;
//! - [`stream`]: streamed runs (`simulate --stream`, `scale --week`).

mod capacity;
mod cli;
mod cli_errors;
mod no_gpu;
mod params;
mod prefix;
mod replay;
mod repro;
mod stream;

use std::process::{Command, Output};

/// Runs the built binary with `args` and returns its output.
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

/// A file named `name` holding `text` in the scratch folder `folder` (one per test module, so
/// that tests running in parallel never share a file); its path.
fn scratch_file(folder: &str, name: &str, text: &str) -> std::path::PathBuf {
    let dir = std::path::PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(folder);
    std::fs::create_dir_all(&dir).expect("scratch folder");
    let path = dir.join(name);
    std::fs::write(&path, text).expect("scratch file");
    path
}
