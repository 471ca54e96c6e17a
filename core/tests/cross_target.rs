//! Native-vs-wasm32 determinism harness.
//!
//! [`probe`] runs a fixed list of core computations and renders every result exactly, one
//! `key = value` line each: integers in decimal, `f64` as the hex of [`f64::to_bits`] (never
//! decimal, so a last-bit difference shows). The same test runs
//!
//! - natively: `cargo test -p pecsched-core --test cross_target`
//! - in wasm32 under Node: `cargo test -p pecsched-core --target wasm32-unknown-unknown --test
//!   cross_target` (the runner, `wasm-bindgen-test-runner`, is set in `.cargo/config.toml`)
//!
//! and both compare against the one golden file `tests/golden/cross_target.txt`, so
//! native == golden == wasm32.
//!
//! To extend: write a `fn probe_something(p: &mut Probe)` and add it to [`PROBES`]; then
//! regenerate the golden file natively, review its diff, and run the wasm32 command:
//!
//! ```text
//! PECSCHED_UPDATE_GOLDEN=1 cargo test -p pecsched-core --test cross_target
//! ```
//!
//! With `PECSCHED_UPDATE_GOLDEN=1` the native test rewrites the file instead of comparing
//! (the variable is ignored in wasm32, which has no file system).

use pecsched_core::golden;
use pecsched_core::model::ModelKind;
use pecsched_core::time::{SimDuration, SimTime};
use std::fmt::{Display, Write as _};

/// The expected output of [`probe`], shared by native and wasm32.
const GOLDEN: &str = include_str!("golden/cross_target.txt");

/// A function that adds one section's lines.
type ProbeFn = fn(&mut Probe);

/// Every probe, in output order: a section name and the function that fills it.
const PROBES: &[(&str, ProbeFn)] = &[
    ("models", probe_models),
    ("time", probe_time),
    ("default-scenario", probe_default_scenario),
    ("ablations", probe_ablations),
    ("varied", probe_varied),
];

/// Three more varied scenarios (GPU, model, TP, trace, arrivals), every policy.
fn probe_varied(p: &mut Probe) {
    let scenarios = [
        r#"{"version":1,"cluster":{"gpu":"h200","nodes":2,"gpus_per_node":8,"network_gbps":200},
            "model":"yi-34b","tp":4,
            "workload":{"source":{"embedded":"azure-code-2023"},"max_requests":250,"rate_scale":0.2,
                        "long_input":{"percentile":90.0,"min_tokens":60000,"max_tokens":200000}},
            "policies":["fifo"],"seed":11}"#,
        r#"{"version":1,"cluster":{"gpu":"a100","nodes":2,"gpus_per_node":4,"network_gbps":100},
            "model":"mistral-7b","tp":1,
            "workload":{"source":{"synthetic":{"requests":250,"rate_per_s":8.0,"cv":1.0,"lengths_from":null,
                        "lognormal":[800.0,1.0,100.0,0.8]}},
                        "long_input":{"percentile":97.0,"min_tokens":100000,"max_tokens":400000}},
            "policies":["fifo"],"seed":12}"#,
        r#"{"version":1,"cluster":{"gpu":"h100","nodes":4,"gpus_per_node":8,"network_gbps":400},
            "model":"phi3-14b","tp":2,
            "workload":{"source":{"embedded":"azure-conv-2023"},"window_s":[600.0,900.0],"rate_scale":0.5,
                        "long_input":{"percentile":95.0,"min_tokens":100000,"max_tokens":500000}},
            "engine":{"max_batched_tokens":2048,"max_num_seqs":64,"local_queue_cap_tokens":4096,
                      "long_threshold_tokens":32768,"max_short_kv_permille":500,"sp_tokens_per_replica":65536,
                      "kernels_per_layer":4,"context_switch":100000,"drain_limit":3600000000000},
            "policies":["fifo"],"seed":13}"#,
    ];
    for (i, json) in scenarios.iter().enumerate() {
        let s = pecsched_core::scenario::Scenario::from_json(json).unwrap();
        let reqs = s.requests(None).unwrap();
        p.exact(&format!("s{i}.requests"), reqs.len());
        for policy in pecsched_core::policy::PolicyKind::ALL {
            let (summary, _) = s.run(policy, reqs.clone()).unwrap();
            summary_lines(p, &format!("s{i}.{}", policy.id()), &summary);
        }
    }
}

/// Every headline number of a summary, exactly.
fn summary_lines(p: &mut Probe, prefix: &str, s: &pecsched_core::metrics::Summary) {
    for (class, c) in [("short", &s.short), ("long", &s.long)] {
        let key = |name: &str| format!("{prefix}.{class}.{name}");
        p.exact(&key("completed"), c.completed);
        p.exact(&key("starved"), c.starved);
        p.exact(&key("preemptions"), c.preemptions);
        p.f64(&key("qd_p50"), c.queueing_delay.p50);
        p.f64(&key("qd_p99"), c.queueing_delay.p99);
        p.f64(&key("ttft_p50"), c.ttft.p50);
        p.f64(&key("jct_mean"), c.jct.mean);
        p.f64(&key("throughput_rps"), c.throughput_rps);
    }
    p.f64(&format!("{prefix}.gpu_idle_rate"), s.gpu_idle_rate);
    p.exact(&format!("{prefix}.events"), s.events);
    p.exact(&format!("{prefix}.log_hash"), &s.log_hash);
}

/// The embedded default scenario (Azure conv, long-input transform) under the four main
/// policies, on its first 400 requests to keep the wasm debug run short.
fn probe_default_scenario(p: &mut Probe) {
    let mut w = pecsched_core::scenario::Scenario::default_scenario().to_wire();
    w.workload.max_requests = Some(400);
    let s = pecsched_core::scenario::Scenario::from_wire(&w).unwrap();
    let reqs = s.requests(None).unwrap();
    p.exact("requests", reqs.len());
    p.exact(
        "long_inputs",
        reqs.iter().filter(|r| r.input_tokens >= 100_000).count(),
    );
    for policy in pecsched_core::policy::PolicyKind::MAIN {
        let (summary, _) = s.run(policy, reqs.clone()).unwrap();
        summary_lines(p, policy.id(), &summary);
    }
}

/// Every policy and ablation on a synthetic Gamma-arrival workload on H100s with Mistral-7B.
fn probe_ablations(p: &mut Probe) {
    let json = r#"{"version":1,"cluster":{"gpu":"h100","nodes":2,"gpus_per_node":8,"network_gbps":400},
        "model":"mistral-7b","tp":2,
        "workload":{"source":{"synthetic":{"requests":300,"rate_per_s":4.0,"cv":2.0,"lengths_from":"azure-code-2023"}},
                    "long_input":{"percentile":95.0,"min_tokens":100000,"max_tokens":300000}},
        "policies":["fifo"],"seed":7}"#;
    let s = pecsched_core::scenario::Scenario::from_json(json).unwrap();
    let reqs = s.requests(None).unwrap();
    for policy in pecsched_core::policy::PolicyKind::ALL {
        let (summary, _) = s.run(policy, reqs.clone()).unwrap();
        summary_lines(p, policy.id(), &summary);
    }
}

/// Collects exactly rendered results, one `key = value` line each.
struct Probe {
    out: String,
}

impl Probe {
    /// A line of any value whose `Display` is exact (integers, strings).
    fn exact(&mut self, key: &str, value: impl Display) {
        writeln!(self.out, "{key} = {value}").unwrap();
    }

    /// A float, as the hex of its bits.
    fn f64(&mut self, key: &str, value: f64) {
        writeln!(self.out, "{key} = f64:{:016x}", value.to_bits()).unwrap();
    }
}

/// The model catalog's derived sizes.
fn probe_models(p: &mut Probe) {
    for kind in ModelKind::ALL {
        let spec = kind.spec();
        let key = |name: &str| format!("{}.{name}", kind.id());
        p.exact(&key("name"), spec.name);
        p.exact(&key("head_dim"), spec.head_dim);
        p.exact(&key("attn_params_per_layer"), spec.attn_params_per_layer());
        p.exact(&key("mlp_params_per_layer"), spec.mlp_params_per_layer());
        p.exact(&key("params"), spec.params());
        p.exact(&key("weight_bytes"), spec.weight_bytes());
        p.exact(&key("kv_bytes_per_token"), spec.kv_bytes_per_token());
        let per_layer = spec.kv_bytes_per_token_per_layer();
        p.exact(&key("kv_bytes_per_token_per_layer"), per_layer);
    }
}

/// Conversions between float seconds and integer nanoseconds, including the edge cases.
fn probe_time(p: &mut Probe) {
    let seconds = [
        0.0,
        -1.0,
        f64::NAN,
        f64::INFINITY,
        1e-9,
        4.9e-10,
        5e-10,
        0.1,
        0.3,
        1.0 / 3.0,
        2.5e-7,
        1234.5678,
        86_400.123_456_789,
        1e12,
        1e30,
    ];
    for (i, secs) in seconds.into_iter().enumerate() {
        let d = SimDuration::from_secs_f64(secs);
        p.f64(&format!("secs[{i}]"), secs);
        p.exact(&format!("secs[{i}].from_secs_f64.ns"), d.0);
        p.f64(&format!("secs[{i}].round_trip"), d.as_secs_f64());
        p.exact(&format!("secs[{i}].display"), d);
    }
    let t = SimTime::ZERO + SimDuration::from_millis(1500) + SimDuration::from_micros(7);
    p.exact("time.ns", t.0);
    p.f64("time.as_secs_f64", t.as_secs_f64());
    p.exact("time.display", t);
}

/// Runs every probe and renders the results.
fn probe() -> String {
    let mut p = Probe { out: String::new() };
    for (name, run) in PROBES {
        writeln!(p.out, "[{name}]").unwrap();
        run(&mut p);
    }
    p.out
}

#[cfg_attr(not(target_arch = "wasm32"), test)]
#[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
fn probe_matches_golden() {
    let actual = probe();
    #[cfg(not(target_arch = "wasm32"))]
    if std::env::var_os(golden::UPDATE_VAR).is_some_and(|v| v == "1") {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/golden/cross_target.txt");
        std::fs::write(path, &actual).unwrap();
        return;
    }
    let on = std::env::consts::ARCH;
    golden::compare("core/tests/golden/cross_target.txt", GOLDEN, &actual)
        .unwrap_or_else(|e| panic!("on {on}: {e}"));
}

#[cfg_attr(not(target_arch = "wasm32"), test)]
#[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
fn probe_is_repeatable() {
    assert_eq!(probe(), probe());
}
