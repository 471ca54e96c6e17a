use super::*;
use crate::protocol::{CdfMetric, PolicyResult, SweepPoint};
use pecsched_core::policy::PolicyKind;
use pecsched_core::scenario::wire::{SourceWire, SyntheticWire};

fn small_wire() -> ScenarioWire {
    let mut w = Scenario::default_scenario().to_wire();
    w.workload.window_s = Some((0.0, 120.0));
    w.policies = vec!["fifo".into(), "pecsched".into()];
    w
}

fn results(msgs: &[FromWorker]) -> Vec<&PolicyResult> {
    msgs.iter()
        .filter_map(|m| match m {
            FromWorker::PolicyDone { result, .. } => Some(&**result),
            _ => None,
        })
        .collect()
}

fn points(msgs: &[FromWorker]) -> Vec<&SweepPoint> {
    msgs.iter()
        .filter_map(|m| match m {
            FromWorker::SweepPoint { point, .. } => Some(&**point),
            _ => None,
        })
        .collect()
}

#[test]
fn slices_give_the_same_summaries_as_one_core_run() {
    let w = small_wire();
    let s = Scenario::from_wire(&w).unwrap();
    let reqs = s.requests(None).unwrap();
    let mut r = Runner::new(7, &w, None, false).unwrap();
    let mut out = Vec::new();
    while r.advance(997, &mut out) {}
    let got = results(&out);
    assert_eq!(got.len(), 2);
    for (res, &p) in got.iter().zip(s.policies()) {
        let (want, _) = s.run(p, reqs.clone()).unwrap();
        assert_eq!(res.summary, want);
        assert_eq!(res.policy, p);
        assert!(res.stopped.is_none());
        assert!(!res.timeline.spans.is_empty());
        assert_eq!(res.cdfs.len(), 4);
        // Every short request of this window starts, completes and gets a first token.
        for m in [
            CdfMetric::ShortQueueing,
            CdfMetric::ShortTtft,
            CdfMetric::ShortJct,
        ] {
            let c = &res.cdfs[CdfMetric::ALL.iter().position(|&x| x == m).unwrap()];
            assert_eq!(c.last().map(|p| p.1), Some(1.0), "{m:?} of {p:?}");
        }
    }
    assert!(matches!(
        out.last(),
        Some(FromWorker::CompareDone { generation: 7, .. })
    ));
    assert!(out.iter().any(|m| matches!(m, FromWorker::Progress { .. })));
}

#[test]
fn the_sweep_covers_every_load_seed_and_policy_and_reuses_the_scenario_itself() {
    let w = small_wire();
    let msgs = Runner::new(1, &w, None, true).unwrap().run_to_end();
    let own = results(&msgs);
    let pts = points(&msgs);
    assert_eq!(pts.len(), FACTORS.len() * SEEDS as usize * 2);
    let at_one: Vec<_> = pts
        .iter()
        .filter(|p| p.factor == 1.0 && p.seed == 42)
        .collect();
    assert_eq!(at_one.len(), 2);
    assert_eq!(at_one[0].summary, own[0].summary);
    // A re-run of another point gives what the core gives.
    let p = pts
        .iter()
        .find(|p| p.factor == 0.5 && p.seed == 43)
        .unwrap();
    let mut w = w.clone();
    w.workload.rate_scale *= 0.5;
    w.seed = 43;
    let s = Scenario::from_wire(&w).unwrap();
    let (want, _) = s.run(PolicyKind::Fifo, s.requests(None).unwrap()).unwrap();
    assert_eq!(p.summary, want);
    assert!(matches!(
        msgs.last(),
        Some(FromWorker::SweepDone { note: None, .. })
    ));
}

#[test]
fn a_deterministic_scenario_sweeps_one_seed() {
    let mut w = small_wire();
    w.workload.long_input = None;
    let msgs = Runner::new(1, &w, None, true).unwrap().run_to_end();
    assert_eq!(points(&msgs).len(), FACTORS.len() * 2);
}

#[test]
fn limits_refuse_oversized_scenarios_before_allocating() {
    let mut w = small_wire();
    w.workload.source = SourceWire::Synthetic(SyntheticWire {
        requests: 2_000_000,
        rate_per_s: 1.0,
        cv: 1.0,
        lengths_from: None,
        lognormal: Some((100.0, 1.0, 100.0, 1.0)),
    });
    let err = Runner::new(1, &w, None, false).err().unwrap();
    assert!(err.contains("at most 250000"), "{err}");
    let mut w = small_wire();
    w.cluster.nodes = 1000;
    let err = Runner::new(1, &w, None, false).err().unwrap();
    assert!(err.contains("8000 GPUs"), "{err}");
}

#[test]
fn a_missing_upload_is_a_clear_error() {
    let mut w = small_wire();
    w.workload.source = SourceWire::File {
        name: "mine.csv".into(),
        format: "plain".into(),
    };
    let err = Runner::new(1, &w, None, false).err().unwrap();
    assert!(
        err.contains("mine.csv") && err.contains("not supplied"),
        "{err}"
    );
    let t = UploadedTrace {
        name: "mine.csv".into(),
        text: "arrival_s,input_tokens,output_tokens\n0,100,10\n0.5,200,20\n".into(),
    };
    w.workload.window_s = None;
    w.workload.long_input = None;
    let msgs = Runner::new(1, &w, Some(&t), false).unwrap().run_to_end();
    assert_eq!(results(&msgs)[0].summary.short.completed, 2);
}

#[test]
fn a_run_over_budget_stops_with_partial_results_and_says_so() {
    let w = small_wire();
    let budget = limits::Budget {
        compare_events: 2000,
        sweep_events: 1000,
    };
    let msgs = Runner::new(1, &w, None, true)
        .unwrap()
        .with_budget(budget)
        .run_to_end();
    let res = results(&msgs);
    assert_eq!(res.len(), 2);
    for r in &res {
        assert_eq!(r.summary.events, 1000, "each policy gets half the budget");
        let note = r.stopped.as_deref().unwrap();
        assert!(
            note.contains("budget") && note.contains("partial"),
            "{note}"
        );
        assert!(r.summary.stopped.is_some());
    }
    assert!(matches!(
        msgs.last(),
        Some(FromWorker::SweepDone { note: Some(n), .. }) if n.contains("skipped")
    ));
}

#[test]
fn the_scenarios_calibration_prices_the_run() {
    use pecsched_core::scenario::wire::CalibrationWire;
    let mut w = small_wire();
    w.calibration = Some(CalibrationWire::builtin("datasheet"));
    let plain = results(&Runner::new(1, &w, None, false).unwrap().run_to_end())[0]
        .summary
        .clone();
    w.calibration = Some(CalibrationWire::builtin("h100-wgpu"));
    let msgs = Runner::new(1, &w, None, false).unwrap().run_to_end();
    assert_ne!(results(&msgs)[0].summary, plain);
    w.calibration = Some(CalibrationWire::builtin("nope"));
    let err = Runner::new(1, &w, None, false).err().unwrap();
    assert!(err.contains("nope"), "{err}");
}
