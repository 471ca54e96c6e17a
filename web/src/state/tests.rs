use super::*;
use crate::protocol::{PolicyResult, Stage};
use pecsched_core::metrics::Summary;
use pecsched_core::policy::{ColocationCap, PolicyKind, ReservationPool};
use pecsched_core::scenario::wire::CalibrationWire;
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
            prefix: None,
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

/// A link written by the explorer with link format version 1 (the default scenario of then:
/// datasheet calibration, a fixed colocation cap of 512), as `core/tests/golden/v1/links.txt`
/// keeps it.
const V1_DEFAULT_LINK: &str = "#s=AX8AAQRhMTAwBAgAAAAAAAB5QAxsbGFtYTMuMS03MGIEAA9henVyZS1jb252LTIwMjMBAAAAAAAAAAAAAAAAAMCSQJqZmZmZmak_AAEAAAAAAMBXQKCNBqDCHgQEZmlmbwtyZXNlcnZhdGlvbghwcmlvcml0eQhwZWNzY2hlZAAAKl5PAQE";

/// The scenario of the page's link, decoded natively as `pecsched-worker simulate --link`
/// decodes it.
fn linked(s: &State) -> Scenario {
    link::decode_scenario(s.link_token().expect("a valid draft has a link")).unwrap()
}

#[test]
fn the_calibration_is_part_of_the_scenario_and_its_link() {
    let s = default_state();
    let default = Scenario::default_scenario();
    assert_eq!(&s.calibration(), default.calibration_choice());
    assert_eq!(
        s.derived.as_ref().unwrap().calibration_label,
        default.calibration_label()
    );
    assert!(!s.link_fragment().unwrap().contains("&c="));
    let s = reduce(s, Action::Edit(Edit::Calibration("h100-wgpu".into())));
    assert_eq!(s.generation, 2);
    assert_eq!(
        s.draft.calibration,
        Some(CalibrationWire::builtin("h100-wgpu"))
    );
    let f = s.link_fragment().unwrap().to_string();
    assert!(!f.contains("&c="), "{f}");
    assert_eq!(linked(&s).calibration_choice().profile, "h100-wgpu");
    assert_eq!(
        linked(&s).calibration(),
        &pecsched_core::perf::Calibration::builtin("h100-wgpu").unwrap()
    );
    let opened = State::from_fragment(&f);
    assert_eq!(
        (opened.calibration(), opened.notice),
        (s.calibration(), None)
    );
    // Only built-in profiles can be picked; Reset goes back to the default one.
    let same = reduce(s.clone(), Action::Edit(Edit::Calibration("nope".into())));
    assert_eq!((same.calibration(), same.generation), (s.calibration(), 2));
    let s = reduce(s, Action::Reset);
    assert_eq!(&s.calibration(), default.calibration_choice());
}

#[test]
fn an_old_link_with_a_profile_beside_it_opens_with_that_profile_in_the_scenario() {
    let s = State::from_fragment(&format!("{V1_DEFAULT_LINK}&c=h100-wgpu"));
    assert_eq!(s.notice, None);
    assert_eq!(
        s.draft.calibration,
        Some(CalibrationWire::builtin("h100-wgpu"))
    );
    // The v1 scenario keeps its meaning (a fixed cap of 512), and the page's new link carries
    // the profile inside the scenario, with no `&c=`.
    assert_eq!(
        s.draft.knobs.as_ref().unwrap().colocation_cap,
        ColocationCap::Fixed {
            tokens_per_gpu: 512
        }
    );
    assert!(!s.link_fragment().unwrap().contains("&c="));
    assert_eq!(linked(&s).calibration_choice().profile, "h100-wgpu");
    // A v1 link without `&c=` keeps the datasheet numbers it was made with.
    let plain = State::from_fragment(V1_DEFAULT_LINK);
    assert_eq!(plain.calibration(), CalibrationWire::builtin("datasheet"));
    // A profile that does not exist is refused, naming it.
    let bad = State::from_fragment(&format!("{V1_DEFAULT_LINK}&c=nope"));
    assert_eq!(bad.draft, Scenario::default_scenario().to_wire());
    assert!(matches!(&bad.notice, Some(Notice::BadLink(m)) if m.contains("nope")));
}

#[test]
fn every_policy_knob_round_trips_through_a_link() {
    let edits = [
        Edit::ColocationCap(ColocationCap::Derived {
            max_slowdown_permille: 125,
        }),
        Edit::ColocationCap(ColocationCap::Fixed {
            tokens_per_gpu: 1024,
        }),
        Edit::ColocationCap(ColocationCap::Fixed { tokens_per_gpu: 0 }),
        Edit::ReservationPool(ReservationPool::Replicas(3)),
        Edit::ReservationPool(ReservationPool::ForRequest {
            input_tokens: 200_000,
            output_tokens: 100,
        }),
        Edit::PriorityPlacement("completely-idle".into()),
        Edit::Calibration("h100-vllm".into()),
    ];
    for e in edits {
        let s = reduce(default_state(), Action::Edit(e.clone()));
        assert_eq!(s.generation, 2, "{e:?} changes the scenario");
        assert_eq!(s.invalid, None, "{e:?}");
        let opened = State::from_fragment(s.link_fragment().unwrap());
        assert_eq!(opened.notice, None, "{e:?}");
        let (a, b) = (
            Scenario::from_wire(&s.draft).unwrap(),
            Scenario::from_wire(&opened.draft).unwrap(),
        );
        assert_eq!(a, b, "{e:?}");
        assert_eq!(linked(&s), a, "{e:?}: natively");
        assert_ne!(a, Scenario::default_scenario(), "{e:?}");
    }
    // Ids the core does not know are not taken.
    let s = reduce(
        default_state(),
        Action::Edit(Edit::PriorityPlacement("nope".into())),
    );
    assert_eq!(s.generation, 1);
}

#[test]
fn the_page_shows_what_the_engine_derives_from_the_knobs() {
    let s = default_state();
    let d = s.derived.clone().unwrap();
    let scenario = Scenario::default_scenario();
    assert_eq!(d.colocation, scenario.derived_colocation_caps().unwrap());
    assert_eq!(d.colocation.len(), 2);
    let k = scenario.sp_degree_for(500_000, 2048).unwrap();
    assert_eq!(d.reservation_group, Some(k));
    assert_eq!(d.replicas, 8);
    // Switching the pool to replicas keeps its size.
    assert_eq!(s.reservation_replicas(), ReservationPool::Replicas(k));
    let s = reduce(
        s,
        Action::Edit(Edit::ReservationPool(ReservationPool::Replicas(3))),
    );
    assert_eq!(s.derived.as_ref().unwrap().reservation_group, None);
    // A fixed cap still shows what the default bound would derive, for comparison.
    let s = reduce(
        s,
        Action::Edit(Edit::ColocationCap(ColocationCap::Fixed {
            tokens_per_gpu: 64,
        })),
    );
    assert_eq!(s.derived.as_ref().unwrap().colocation, d.colocation);
    // An invalid draft derives nothing.
    let s = reduce(s, Action::Edit(Edit::Tp(3)));
    assert_eq!(s.derived, None);
}

#[test]
fn a_profile_of_another_gpu_is_flagged_and_the_default_follows_the_gpu() {
    use pecsched_core::hardware::GpuKind;
    let s = reduce(
        default_state(),
        Action::Edit(Edit::Calibration("h100-wgpu".into())),
    );
    let w = s.calibration_warning().expect("an H100 profile on A100s");
    assert!(w.contains("H100") && w.contains("A100"), "{w}");
    let s = reduce(s, Action::Edit(Edit::Gpu("h100".into())));
    assert_eq!(s.calibration_warning(), None);
    assert_eq!(
        s.calibration(),
        CalibrationWire::builtin("h100-wgpu"),
        "a picked profile stays"
    );
    let s = reduce(s, Action::Edit(Edit::Calibration("datasheet".into())));
    assert_eq!(
        s.calibration_warning(),
        None,
        "the datasheet serves every GPU"
    );
    // On its GPU's default profile, a scenario moves to the new GPU's default.
    let s = reduce(default_state(), Action::Edit(Edit::Gpu("h200".into())));
    assert_eq!(
        s.calibration(),
        CalibrationWire::builtin(Scenario::default_calibration_id(GpuKind::H200Sxm141))
    );
    assert_eq!(s.calibration_warning(), None);
}

#[test]
fn a_scenario_with_overrides_is_labelled_and_a_built_in_replaces_it() {
    let mut w = Scenario::default_scenario().to_wire();
    let mut c = CalibrationWire::builtin("datasheet");
    c.overrides.insert("gemm_efficiency".into(), 0.5);
    c.overrides.insert("hbm_efficiency".into(), 0.7);
    w.calibration = Some(c);
    let s = State::from_fragment(&link::fragment(&link::encode(&w)));
    assert_eq!(s.notice, None);
    assert_eq!(
        s.derived.as_ref().unwrap().calibration_label,
        "datasheet + 2 fields"
    );
    let s = reduce(s, Action::Edit(Edit::Calibration("datasheet".into())));
    assert_eq!(s.calibration(), CalibrationWire::builtin("datasheet"));
    assert_eq!(s.derived.as_ref().unwrap().calibration_label, "datasheet");
}

#[test]
fn the_results_name_the_calibration_they_were_priced_with() {
    let s = default_state();
    let label = Scenario::default_scenario().calibration_label();
    assert_eq!(s.run.next_calibration.as_deref(), Some(label.as_str()));
    let s = worker(
        s,
        FromWorker::PolicyDone {
            generation: 1,
            result: result(PolicyKind::Fifo),
        },
    );
    assert_eq!(s.run.calibration.as_deref(), Some(label.as_str()));
    // A new run keeps the shown results' label until its own first result arrives.
    let s = reduce(s, Action::Edit(Edit::Calibration("h100-wgpu".into())));
    assert_eq!(s.run.calibration.as_deref(), Some(label.as_str()));
    let s = worker(
        s,
        FromWorker::PolicyDone {
            generation: 2,
            result: result(PolicyKind::Fifo),
        },
    );
    assert_eq!(
        s.run.calibration.as_deref(),
        Some("H100 — wgpu kernels, measured")
    );
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

#[test]
fn a_policy_parameter_edit_reaches_the_link_and_a_bad_one_names_its_field() {
    use pecsched_core::scenario::param_edit::PolicyParam;
    let s = reduce(
        default_state(),
        Action::Edit(Edit::Param(PolicyParam::MaxPrefillDegree, 3.0)),
    );
    assert_eq!(s.invalid, None);
    let back = link::decode_scenario(s.link_token().unwrap()).unwrap();
    assert_eq!(back.knobs().max_prefill_degree, 3);
    let s = reduce(
        s,
        Action::Edit(Edit::Param(PolicyParam::PdDecodeShare, 2.0)),
    );
    assert!(
        s.invalid
            .as_deref()
            .unwrap()
            .contains("policy_params.pd_decode_share"),
        "{:?}",
        s.invalid
    );
    assert_eq!(s.runnable(), None);
}
