use super::*;
use crate::protocol::{PolicyResult, Stage};
use pecsched_core::metrics::Summary;
use pecsched_core::policy::PolicyKind;
use pecsched_core::sim::timeline::Timeline;

fn reduce(s: State, a: Action) -> State {
    (*Rc::new(s).reduce(a)).clone()
}

fn default_state() -> State {
    State::from_fragment("")
}

fn result(policy: PolicyKind) -> Box<PolicyResult> {
    Box::new(PolicyResult {
        policy,
        summary: Summary {
            policy,
            short: Default::default(),
            long: Default::default(),
            gpu_idle_rate: 0.5,
            makespan_s: 1.0,
            events: 1,
            log_hash: "0".into(),
            stopped: None,
        },
        cdfs: vec![],
        timeline: Timeline::default(),
        replicas: 8,
        stopped: None,
        slowest: vec![],
    })
}

fn worker(s: State, msg: FromWorker) -> State {
    reduce(s, Action::Worker { msg, at_ms: 500.0 })
}

#[test]
fn the_default_page_runs_the_default_scenario_at_once() {
    let s = default_state();
    assert_eq!(s.generation, 1);
    assert_eq!(s.notice, None);
    assert_eq!(s.runnable(), Some(&Scenario::default_scenario().to_wire()));
    assert!(matches!(s.run.phase, RunPhase::Running(_)));
}

#[test]
fn a_valid_edit_starts_a_new_run_and_an_invalid_one_explains_and_waits() {
    let s = reduce(default_state(), Action::Edit(Edit::Seed(7)));
    assert_eq!((s.generation, s.draft.seed), (2, 7));
    assert!(s.runnable().is_some());
    let s = reduce(s, Action::Edit(Edit::Tp(3)));
    assert_eq!(s.generation, 3);
    assert!(s.invalid.as_deref().unwrap().contains("`tp` = 3"));
    assert_eq!(s.runnable(), None);
    assert_eq!(s.link_fragment(), None);
    assert_eq!(s.run.phase, RunPhase::Idle);
    let s = reduce(s, Action::Edit(Edit::Tp(8)));
    assert_eq!(s.invalid, None);
    assert_eq!(s.link_token().map(str::to_string), {
        let mut w = Scenario::default_scenario().to_wire();
        w.seed = 7;
        w.tp = 8;
        Some(link::encode_scenario(&Scenario::from_wire(&w).unwrap()))
    });
}

#[test]
fn explorer_limits_apply_to_edits() {
    let s = reduce(default_state(), Action::Edit(Edit::Nodes(1000)));
    assert!(s.invalid.unwrap().contains("at most 4096"));
}

#[test]
fn policies_keep_the_catalog_order() {
    let s = reduce(
        default_state(),
        Action::Edit(Edit::Policy(PolicyKind::Fifo, false)),
    );
    let s = reduce(
        s,
        Action::Edit(Edit::Policy(PolicyKind::PecSchedNoFastSp, true)),
    );
    let s = reduce(s, Action::Edit(Edit::Policy(PolicyKind::Fifo, true)));
    let ids: Vec<_> = s.draft.policies.iter().map(String::as_str).collect();
    assert_eq!(
        ids,
        [
            "fifo",
            "reservation",
            "priority",
            "pecsched",
            "pecsched/fsp"
        ]
    );
    let mut s = s;
    for p in PolicyKind::ALL {
        s = reduce(s, Action::Edit(Edit::Policy(p, false)));
    }
    assert!(s.invalid.unwrap().contains("at least one policy"));
}

#[test]
fn a_link_opens_its_scenario_and_a_bad_one_the_default_with_a_message() {
    let mut w = Scenario::default_scenario().to_wire();
    w.seed = 99;
    let token = link::encode(&w);
    let s = State::from_fragment(&link::fragment(&token));
    assert_eq!(s.draft.seed, 99);
    assert_eq!(s.notice, None);
    let mut bad = token.clone();
    bad.truncate(token.len() - 9);
    let s = State::from_fragment(&format!("#s={bad}"));
    assert_eq!(s.draft, Scenario::default_scenario().to_wire());
    assert!(matches!(&s.notice, Some(Notice::BadLink(m)) if m.contains("truncated")));
    assert!(s.runnable().is_some(), "the default scenario still runs");
    // The message stays while the user edits, until dismissed.
    let s = reduce(s, Action::Edit(Edit::Seed(3)));
    assert!(matches!(s.notice, Some(Notice::BadLink(_))));
    let s = reduce(s, Action::DismissNotice);
    assert_eq!(s.notice, None);
}

#[test]
fn a_link_to_an_uploaded_trace_waits_for_the_file() {
    let mut w = Scenario::default_scenario().to_wire();
    w.workload.source = SourceWire::File {
        name: "mine.csv".into(),
        format: "plain".into(),
    };
    let s = State::from_fragment(&link::fragment(&link::encode(&w)));
    assert_eq!(s.notice, Some(Notice::UploadNeeded("mine.csv".into())));
    assert_eq!(s.runnable(), None);
    let s = reduce(s, Action::UploadStarted("mine.csv".into()));
    assert_eq!(s.upload_status, UploadStatus::Reading("mine.csv".into()));
    let s = worker(
        s,
        FromWorker::TraceLoaded {
            name: "mine.csv".into(),
            format: "plain".into(),
            requests: 12,
        },
    );
    assert_eq!(s.notice, None);
    assert!(s.runnable().is_some());
    assert_eq!(s.upload.as_ref().unwrap().requests, 12);
}

#[test]
fn a_rejected_upload_shows_the_core_message() {
    let s = worker(
        default_state(),
        FromWorker::TraceRejected {
            name: "x.csv".into(),
            message: "line 3: bad".into(),
        },
    );
    assert!(
        matches!(&s.upload_status, UploadStatus::Failed { message, .. } if message == "line 3: bad")
    );
    assert_eq!(
        s.generation, 1,
        "a rejected file does not change the scenario"
    );
}

#[test]
fn results_of_older_generations_are_ignored_and_old_results_stay_until_replaced() {
    let s = default_state();
    let s = reduce(
        s,
        Action::RunSent {
            generation: 1,
            at_ms: 100.0,
        },
    );
    let s = worker(
        s,
        FromWorker::Progress {
            generation: 1,
            stage: Stage::Compare,
            done: 0.5,
            label: "FIFO".into(),
        },
    );
    assert!(matches!(&s.run.phase, RunPhase::Running(p) if p.done == 0.5));
    let s = worker(
        s,
        FromWorker::PolicyDone {
            generation: 1,
            result: result(PolicyKind::Fifo),
        },
    );
    let s = worker(
        s,
        FromWorker::CompareDone {
            generation: 1,
            requests: 10,
            worker_ms: 50.0,
        },
    );
    assert_eq!(s.run.results.len(), 1);
    assert_eq!(s.run.compare_ms, Some(400.0));
    assert_eq!(s.run.shown_at_ms, Some(500.0));
    assert_eq!(s.run.worker_ms, Some(50.0));
    // An edit: the old results stay, dimmed; a late message of generation 1 is dropped.
    let s = reduce(s, Action::Edit(Edit::Seed(5)));
    assert!(s.run.stale);
    let s = worker(
        s,
        FromWorker::PolicyDone {
            generation: 1,
            result: result(PolicyKind::Priority),
        },
    );
    assert_eq!(s.run.results.len(), 1);
    assert_eq!(s.run.results[0].policy, PolicyKind::Fifo);
    let s = worker(
        s,
        FromWorker::PolicyDone {
            generation: 2,
            result: result(PolicyKind::PecSched),
        },
    );
    assert!(!s.run.stale);
    assert_eq!(s.run.results.len(), 1);
    assert_eq!(s.run.results[0].policy, PolicyKind::PecSched);
}

#[test]
fn failures_and_sweep_notes_are_kept() {
    let s = worker(
        default_state(),
        FromWorker::Failed {
            generation: 1,
            message: "no".into(),
        },
    );
    assert_eq!(s.run.phase, RunPhase::Failed("no".into()));
    let s = reduce(default_state(), Action::SweepOn(false));
    assert!(!s.sweep_on);
    assert_eq!(s.generation, 2);
    let s = worker(
        s,
        FromWorker::SweepDone {
            generation: 2,
            note: Some("skipped".into()),
        },
    );
    assert_eq!(s.run.sweep_note.as_deref(), Some("skipped"));
    assert!(s.run.sweep_done);
}

#[test]
fn synthetic_and_window_edits() {
    let s = reduce(
        default_state(),
        Action::Edit(Edit::Source(SourceChoice::Synthetic)),
    );
    assert_eq!(
        s.draft.workload.source,
        SourceWire::Synthetic(default_synthetic())
    );
    let s = reduce(s, Action::Edit(Edit::SynthLengthsFrom(None)));
    let s = reduce(s, Action::Edit(Edit::SynthLogNormal(2, 123.0)));
    match &s.draft.workload.source {
        SourceWire::Synthetic(x) => assert_eq!(x.lognormal.unwrap().2, 123.0),
        other => panic!("{other:?}"),
    }
    assert!(s.runnable().is_some());
    let s = reduce(s, Action::Edit(Edit::WindowOn(false)));
    assert_eq!(s.draft.workload.window_s, None);
    let s = reduce(s, Action::Edit(Edit::WindowEnd(50.0)));
    assert_eq!(s.draft.workload.window_s, Some((0.0, 50.0)));
    let s = reduce(s, Action::Edit(Edit::WindowStart(60.0)));
    assert!(s.invalid.unwrap().contains("window"));
}

#[test]
fn the_calibration_profile_travels_next_to_the_scenario() {
    let s = default_state();
    assert_eq!(s.calibration, DATASHEET);
    let plain = s.link_fragment().unwrap().to_string();
    assert!(!plain.contains("&c="));
    let s = reduce(s, Action::Calibration("h100-wgpu".into()));
    assert_eq!(s.generation, 2);
    let f = s.link_fragment().unwrap().to_string();
    assert_eq!(f, format!("{plain}&c=h100-wgpu"));
    let opened = State::from_fragment(&f);
    assert_eq!(
        (opened.calibration.as_str(), opened.notice),
        ("h100-wgpu", None)
    );
    // Unknown profiles are refused, in the editor and in links.
    let s = reduce(s, Action::Calibration("nope".into()));
    assert_eq!((s.calibration.as_str(), s.generation), ("h100-wgpu", 2));
    let s = reduce(s, Action::Reset);
    assert_eq!(s.calibration, DATASHEET);
    let bad = State::from_fragment(&format!("{plain}&c=nope"));
    assert_eq!(bad.calibration, DATASHEET);
    assert!(matches!(&bad.notice, Some(Notice::BadLink(m)) if m.contains("nope")));
}

#[test]
fn stop_abandons_the_run_and_ignores_its_late_messages() {
    let s = reduce(
        default_state(),
        Action::RunSent {
            generation: 1,
            at_ms: 100.0,
        },
    );
    let s = reduce(s, Action::Stop);
    assert_eq!(s.run.phase, RunPhase::Stopped);
    let late = worker(
        s.clone(),
        FromWorker::Progress {
            generation: 1,
            stage: Stage::Compare,
            done: 0.7,
            label: "FIFO".into(),
        },
    );
    assert_eq!(
        late.run.phase, s.run.phase,
        "a message of the stopped run changes nothing"
    );
    // Stop when nothing runs does nothing.
    let again = reduce(s.clone(), Action::Stop);
    assert_eq!(again.run, s.run);
    // Editing a field runs again.
    let s = reduce(s, Action::Edit(Edit::Seed(9)));
    assert!(matches!(s.run.phase, RunPhase::Running(_)));
}
