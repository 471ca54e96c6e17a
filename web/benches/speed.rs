//! How fast the explorer's job runs, natively and in wasm32 (the "wasm within 2× of native"
//! figure of docs/benchmarks.md). A benchmark, not a test: it prints a table of wall-clock
//! times and checks none of them.
//!
//! ```text
//! cargo bench -p pecsched-web --bench speed
//! cargo bench -p pecsched-web --bench speed --target wasm32-unknown-unknown
//! ```
//!
//! The job is the worker's: the default scenario (Azure 2023 conversation trace, 0–1200 s,
//! 5,985 requests on 32 A100) and the whole trace (19,366 requests), each for the four main
//! policies with timelines and CDFs, as [`Runner`] does it in the page's worker. Each case runs
//! once untimed by the statistics (its time is shown as "first": V8 optimises hot code while
//! it runs), then [`RUNS`] times. Wasm runs in Node (the same V8 as Chromium): the wasm32
//! runner (`wasm-bindgen-test-runner`, see `.cargo/config.toml`) calls the
//! `#[wasm_bindgen_bench]` function below under `cargo bench`.

use pecsched_core::scenario::Scenario;
use pecsched_core::scenario::wire::ScenarioWire;
use pecsched_web::protocol::FromWorker;
use pecsched_web::runner::Runner;

/// Timed runs per case.
const RUNS: usize = 7;

#[cfg(target_arch = "wasm32")]
fn now_ms() -> f64 {
    js_sys::Date::now()
}

#[cfg(not(target_arch = "wasm32"))]
fn now_ms() -> f64 {
    use std::sync::OnceLock;
    static START: OnceLock<std::time::Instant> = OnceLock::new();
    START
        .get_or_init(std::time::Instant::now)
        .elapsed()
        .as_secs_f64()
        * 1e3
}

fn say(line: &str) {
    #[cfg(target_arch = "wasm32")]
    wasm_bindgen_test::console_log!("{line}");
    #[cfg(not(target_arch = "wasm32"))]
    println!("{line}");
}

/// The worker's whole job on `wire`, in milliseconds.
fn job_ms(wire: &ScenarioWire) -> f64 {
    let t0 = now_ms();
    let msgs = Runner::new(1, wire, None, false)
        .expect("a valid scenario")
        .run_to_end();
    let ms = now_ms() - t0;
    let done = msgs
        .iter()
        .filter(|m| matches!(m, FromWorker::PolicyDone { .. }))
        .count();
    // What is timed must be the whole job: every policy reported.
    assert_eq!(done, wire.policies.len(), "a policy did not report");
    ms
}

/// `(median, min, max)` of `times`.
fn stats(times: &mut [f64]) -> (f64, f64, f64) {
    times.sort_by(f64::total_cmp);
    let n = times.len();
    let median = if n % 2 == 1 {
        times[n / 2]
    } else {
        (times[n / 2 - 1] + times[n / 2]) / 2.0
    };
    (median, times[0], times[n - 1])
}

/// Runs every case and prints the table.
fn bench() {
    let target = if cfg!(target_arch = "wasm32") {
        "wasm32"
    } else {
        "native"
    };
    let default = Scenario::default_scenario().to_wire();
    let mut whole = default.clone();
    whole.workload.window_s = None;
    let cases = [
        ("default scenario (5,985 requests)", default),
        ("whole conversation trace (19,366 requests)", whole),
    ];
    say(&format!(
        "pecsched-web speed, {target}: the worker's job (workload, 4 policies, timelines, CDFs), ms"
    ));
    say(&format!(
        "{:<44} {:>5} {:>8} {:>8} {:>8} {:>8}",
        "case", "runs", "first", "median", "min", "max"
    ));
    for (name, wire) in &cases {
        let first = job_ms(wire);
        let mut times: Vec<f64> = (0..RUNS).map(|_| job_ms(wire)).collect();
        let (median, min, max) = stats(&mut times);
        say(&format!(
            "{name:<44} {RUNS:>5} {first:>8.0} {median:>8.0} {min:>8.0} {max:>8.0}"
        ));
    }
}

#[cfg(not(target_arch = "wasm32"))]
fn main() {
    bench();
}

// In wasm32 the runner calls this instead of `main` (its own statistics are not used: one
// run of the job already takes a tenth of a second or more).
#[cfg(target_arch = "wasm32")]
use wasm_bindgen_test::Criterion;

#[cfg(target_arch = "wasm32")]
#[wasm_bindgen_test::wasm_bindgen_bench]
fn speed(_: &mut Criterion) {
    bench();
}

#[cfg(target_arch = "wasm32")]
fn main() {}
