//! How fast the explorer's job runs, natively and in wasm32 (the "wasm within 2× of native"
//! figure of docs/benchmarks.md). It prints timings and checks only a loose bound, so it
//! cannot flake on a busy machine:
//!
//! ```text
//! cargo test --release -p pecsched-web --test speed -- --nocapture
//! cargo test --release -p pecsched-web --target wasm32-unknown-unknown --test speed -- --nocapture
//! ```
//!
//! The job is the worker's: the default scenario (Azure 2023 conversation trace, 0–1200 s,
//! 5,985 requests on 32 A100) for the four main policies, with timelines and CDFs, as
//! [`Runner`] does it in the page's worker. Wasm runs in Node (the same V8 as Chromium).

use pecsched_core::scenario::Scenario;
use pecsched_web::runner::Runner;

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
    eprintln!("{line}");
}

#[cfg_attr(not(target_arch = "wasm32"), test)]
#[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
fn default_scenario_four_policies() {
    let wire = Scenario::default_scenario().to_wire();
    time("default scenario (5,985 requests)", &wire);
    let mut whole = wire.clone();
    whole.workload.window_s = None;
    time("whole conversation trace (19,366 requests)", &whole);
}

fn time(what: &str, wire: &pecsched_core::scenario::wire::ScenarioWire) {
    let mut times = Vec::new();
    // Five runs where timing means something (release); one in the debug test run of CI.
    let runs = if cfg!(debug_assertions) { 1 } else { 5 };
    for _ in 0..runs {
        let t0 = now_ms();
        let msgs = Runner::new(1, wire, None, false)
            .expect("valid")
            .run_to_end();
        times.push(now_ms() - t0);
        assert_eq!(
            msgs.iter()
                .filter(|m| matches!(m, pecsched_web::protocol::FromWorker::PolicyDone { .. }))
                .count(),
            4
        );
    }
    let first = times[0];
    let best = times.iter().copied().fold(f64::INFINITY, f64::min);
    let target = if cfg!(target_arch = "wasm32") {
        "wasm32"
    } else {
        "native"
    };
    say(&format!(
        "{target}: {what}, 4 policies (workload + runs + timelines + CDFs): first {first:.0} ms, best of {runs} {best:.0} ms"
    ));
    assert!(best < 30_000.0, "far too slow: {best} ms");
}
