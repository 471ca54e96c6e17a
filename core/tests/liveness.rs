//! Liveness under overload: random scenarios built to stress the scheduler — arrival rates up
//! to ×16 of the trace, one decode replica, small `max_num_seqs`, tiny KV headroom, the
//! long-input transform on and off, the embedded traces and synthetic ones — under every
//! policy and ablation. At every event the engine's invariants hold (including "no replica or
//! long job idle with work it could start"), and every run ends with each arrived request
//! served or rejected with a reason, or at the drain horizon with the unserved counted: never
//! with the event queue empty and work stranded.
//!
//! Also pins two overloads that guard the engine's wake-ups and its yield rule: the default
//! scenario at ×4 to ×16, and a burst of 5,342 identical short requests.
//!
//! Seed: ChaCha `[11; 32]`; cases: 48 (override with `PECSCHED_LIVENESS_CASES`).

use pecsched_core::metrics::{StopReason, Summary};
use pecsched_core::model::ModelKind;
use pecsched_core::perf::CalibrationField;
use pecsched_core::policy::PolicyKind;
use pecsched_core::scenario::Scenario;
use pecsched_core::scenario::wire::{
    EngineWire, KnobsWire, LongInputWire, SourceWire, SyntheticWire,
};
use pecsched_core::time::{NANOS_PER_SEC, SimTime};
use pecsched_core::workload::Request;
use proptest::prelude::*;
use proptest::test_runner::{Config, RngAlgorithm, TestRng, TestRunner};

#[derive(Debug, Clone)]
struct Case {
    trace: u8,
    window_start_s: u64,
    window_len_s: u64,
    rate_scale: f64,
    long_input: bool,
    model: ModelKind,
    nodes_tp: (u32, u32),
    max_num_seqs: u32,
    kv_tokens: Option<u64>,
    decode_replicas: Option<u32>,
    drain_s: u64,
    seed: u64,
}

fn case() -> impl Strategy<Value = Case> {
    (
        0u8..3,
        0u64..1_500,
        30u64..400,
        prop::sample::select(vec![0.5, 1.0, 2.0, 4.0, 8.0, 16.0]),
        any::<bool>(),
        prop::sample::select(vec![ModelKind::Llama31_8B, ModelKind::Llama31_70B]),
        prop::sample::select(vec![(1u32, 2u32), (1, 4), (2, 4), (1, 8)]),
        prop::sample::select(vec![2u32, 8, 32, 256]),
        prop::sample::select(vec![None, Some(40_000u64), Some(120_000), Some(400_000)]),
        prop::sample::select(vec![None, Some(1u32)]),
        prop::sample::select(vec![120u64, 3_600]),
        any::<u64>(),
    )
        .prop_map(
            |(trace, ws, wl, rate, long, model, ntp, seqs, kv, dec, drain, seed)| Case {
                trace,
                window_start_s: ws,
                window_len_s: wl,
                rate_scale: rate,
                long_input: long,
                model,
                nodes_tp: ntp,
                max_num_seqs: seqs,
                kv_tokens: kv,
                decode_replicas: dec,
                drain_s: drain,
                seed,
            },
        )
}

/// The scenario of a case (built through the wire form and validated, like any scenario), or
/// `None` when the model does not fit the replica.
fn scenario(c: &Case) -> Option<Scenario> {
    let mut w = Scenario::default_scenario().to_wire();
    w.workload.source = match c.trace {
        0 => SourceWire::Embedded("azure-conv-2023".into()),
        1 => SourceWire::Embedded("azure-code-2023".into()),
        _ => SourceWire::Synthetic(SyntheticWire {
            requests: 1_500,
            rate_per_s: 2.0 * c.rate_scale,
            cv: 2.0,
            lengths_from: Some("azure-conv-2023".into()),
            lognormal: None,
        }),
    };
    w.workload.window_s = (c.trace < 2).then(|| {
        let start = c.window_start_s as f64;
        (start, start + c.window_len_s as f64)
    });
    w.workload.rate_scale = c.rate_scale;
    w.workload.long_input = c.long_input.then_some(LongInputWire {
        percentile: 95.0,
        min_tokens: 100_000,
        max_tokens: 500_000,
    });
    w.model = c.model.id().into();
    let (nodes, tp) = c.nodes_tp;
    w.cluster.nodes = nodes;
    w.tp = if c.model == ModelKind::Llama31_70B {
        tp.max(2)
    } else {
        tp
    };
    w.engine = Some(EngineWire {
        max_num_seqs: c.max_num_seqs,
        drain_limit: c.drain_s * NANOS_PER_SEC,
        ..EngineWire::default()
    });
    w.knobs = Some(KnobsWire {
        decode_replicas: c.decode_replicas,
        ..KnobsWire::default()
    });
    w.seed = c.seed;
    let mut s = Scenario::from_wire(&w).expect("every case is a valid scenario");
    if let Some(tokens) = c.kv_tokens {
        // Holds back all GPU memory but `tokens` of KV per replica.
        let spec = c.model.spec();
        let tp = s.tp() as f64;
        let per_gpu = s.cluster().gpu.memory_bytes as f64 * 0.9
            - spec.weight_bytes() as f64 / tp
            - (tokens * spec.kv_bytes_per_token()) as f64 / tp;
        if per_gpu <= 0.0 {
            return None;
        }
        let mut cal = s.calibration().clone();
        cal.set(CalibrationField::ActivationReserveBytesPerGpu, per_gpu)
            .ok()?;
        s = s.with_calibration(cal);
    }
    s.perf_model().ok()?;
    Some(s)
}

/// Runs `policy`, checking every invariant at every event; returns the summary.
fn run_checked(s: &Scenario, policy: PolicyKind, reqs: Vec<Request>) -> Result<Summary, String> {
    let mut sim = match s.simulation(policy, reqs) {
        Ok(sim) => sim,
        // A cluster too small for the policy (e.g. no prefill replica besides the decode
        // pool) is refused at set-up with a message: not a liveness question.
        Err(_) => return Err(String::new()),
    };
    while sim.step() {
        sim.check_invariants()
            .map_err(|e| format!("{}: {e} at {}", policy.id(), sim.now()))?;
    }
    let (summary, records) = sim.finish();
    let unserved = records
        .iter()
        .filter(|r| r.completion.is_none() && !r.rejected)
        .count() as u64;
    match &summary.stopped {
        None if unserved == 0 => {}
        Some(StopReason::DrainHorizon { unserved: n, .. }) if *n == unserved && n > &0 => {}
        other => {
            return Err(format!(
                "{}: {unserved} unserved, stop {other:?}",
                policy.id()
            ));
        }
    }
    for r in records.iter().filter(|r| r.rejected) {
        if r.rejected_reason.is_none() {
            return Err(format!("{}: rejected without a reason: {r:?}", policy.id()));
        }
    }
    Ok(summary)
}

#[test]
fn no_policy_stalls_on_overloaded_random_scenarios() {
    let cases: u32 = std::env::var("PECSCHED_LIVENESS_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(48);
    let mut runner = TestRunner::new_with_rng(
        Config {
            cases,
            failure_persistence: None,
            ..Config::default()
        },
        TestRng::from_seed(RngAlgorithm::ChaCha, &[11; 32]),
    );
    runner
        .run(&case(), |c| {
            let Some(s) = scenario(&c) else {
                return Ok(());
            };
            // A window with no arrivals in it is refused with a message: nothing to run.
            let Ok(reqs) = s.requests(None) else {
                return Ok(());
            };
            for p in PolicyKind::ALL {
                match run_checked(&s, p, reqs.clone()) {
                    Ok(_) => {}
                    Err(e) if e.is_empty() => {}
                    Err(e) => return Err(TestCaseError::fail(e)),
                }
            }
            Ok(())
        })
        .unwrap();
}

/// The default scenario at ×4, ×8 and ×16 under every policy reaches the drain horizon with the
/// unserved counted: overload never ends in an empty event queue with long requests stranded
/// (as a missed wake-up, or a long job waiting for queued work its own KV keeps out, would).
#[test]
fn the_default_scenario_at_four_to_sixteen_times_its_load_never_stalls() {
    for rate in [4.0, 8.0, 16.0] {
        let mut w = Scenario::default_scenario().to_wire();
        w.workload.rate_scale = rate;
        let s = Scenario::from_wire(&w).unwrap();
        let reqs = s.requests(None).unwrap();
        for p in PolicyKind::ALL {
            let (summary, records) = s.run(p, reqs.clone()).unwrap();
            let unserved = records
                .iter()
                .filter(|r| r.completion.is_none() && !r.rejected)
                .count() as u64;
            assert!(
                matches!(summary.stopped, Some(StopReason::DrainHorizon { unserved: n, .. }) if n == unserved),
                "{} ×{rate}: {:?}",
                p.id(),
                summary.stopped
            );
            // The horizon is one hour after the last arrival: the run got there.
            assert!(summary.makespan_s > 3_000.0, "{} ×{rate}", p.id());
        }
    }
}

/// 5,342 identical short requests at once on the default cluster are all served: a replica
/// whose sequence cap is full of finished prefills waiting for the one decode replica is woken
/// when they leave (`State::wake`), so the request queued behind them starts.
#[test]
fn a_burst_of_identical_short_requests_is_served_in_full() {
    // The default cluster; the requests are given below (the scenario's own source unused).
    let s = Scenario::default_scenario();
    let reqs: Vec<Request> = (0..5342)
        .map(|id| Request {
            id,
            arrival: SimTime::ZERO,
            input_tokens: 500,
            output_tokens: 100,
            prefix: pecsched_core::workload::PrefixGroup::NONE,
        })
        .collect();
    for p in [PolicyKind::PecSched, PolicyKind::Fifo] {
        let summary = run_checked(&s, p, reqs.clone()).unwrap();
        assert_eq!(summary.short.completed, 5342, "{}", p.id());
        assert_eq!(summary.stopped, None);
    }
}

/// An absurd but valid calibration (every efficiency at 1e-300) makes every iteration take
/// "forever": the run must neither panic on time overflow nor report latencies of 0; it ends
/// at the drain horizon with every request counted as unserved.
#[test]
fn an_absurdly_slow_calibration_ends_at_the_horizon_without_overflow() {
    let mut w = Scenario::default_scenario().to_wire();
    w.workload.window_s = Some((0.0, 60.0));
    let s = Scenario::from_wire(&w).unwrap();
    let mut cal = s.calibration().clone();
    for field in [
        CalibrationField::GemmEfficiency,
        CalibrationField::HbmEfficiency,
        CalibrationField::GemmStreamEfficiency,
        CalibrationField::DecodeAttnBwEfficiency,
        CalibrationField::DecodeAttnFlopEfficiency,
        CalibrationField::PrefillAttnMaxEfficiency,
        CalibrationField::NvlinkEfficiency,
        CalibrationField::NetworkEfficiency,
    ] {
        cal.set(field, 1e-300).unwrap();
    }
    let s = s.with_calibration(cal);
    let reqs = s.requests(None).unwrap();
    for p in PolicyKind::MAIN {
        let summary = run_checked(&s, p, reqs.clone()).unwrap();
        assert_eq!(
            summary.short.completed + summary.long.completed,
            0,
            "{}",
            p.id()
        );
        assert!(
            matches!(summary.stopped, Some(StopReason::DrainHorizon { .. })),
            "{}: {:?}",
            p.id(),
            summary.stopped
        );
    }
}
