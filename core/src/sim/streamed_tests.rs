//! A streamed run is the in-memory run, request for request: same records, same summary,
//! same event log; and it lets finished requests go.

use super::StreamError;
use crate::metrics::{RequestRecord, StopReason};
use crate::policy::PolicyKind;
use crate::scenario::Scenario;
use crate::workload::Request;

fn source(reqs: Vec<Request>) -> Box<dyn Iterator<Item = Result<Request, String>>> {
    Box::new(reqs.into_iter().map(Ok))
}

/// Every policy, on the default scenario's first 2,000 requests (long ones included): the
/// records handed on, in order, and the summary over them are those of the in-memory run.
#[test]
fn a_streamed_run_matches_the_in_memory_run_for_every_policy() {
    let s = Scenario::default_scenario();
    let reqs: Vec<_> = s.requests(None).unwrap().into_iter().take(2_000).collect();
    for kind in PolicyKind::ALL {
        let (summary, records) = s.run(kind, reqs.clone()).unwrap();
        let run = s
            .streamed_run(s.build_policy(kind), source(reqs.clone()), Vec::new())
            .unwrap();
        let end = run.run().unwrap();
        assert_eq!(end.sink, records, "{kind:?}: records");
        assert_eq!(end.requests(), reqs.len() as u64);
        assert_eq!(
            end.summary(&end.sink).unwrap(),
            summary,
            "{kind:?}: summary"
        );
        assert!(
            end.peak_held() < reqs.len() as u64,
            "{kind:?}: held {} of {} at once",
            end.peak_held(),
            reqs.len()
        );
    }
}

/// A run long enough to matter holds a small window: finished requests are let go.
#[test]
fn a_streamed_run_holds_only_the_requests_in_flight() {
    let s = Scenario::default_scenario();
    let reqs: Vec<_> = s.requests(None).unwrap();
    let n = reqs.len() as u64;
    let mut kept = 0u64;
    struct Count<'a>(&'a mut u64);
    impl crate::metrics::RecordSink for Count<'_> {
        fn push(&mut self, _r: RequestRecord) {
            *self.0 += 1;
        }
    }
    let run = s
        .streamed_run(
            s.build_policy(PolicyKind::Fifo),
            source(reqs),
            Count(&mut kept),
        )
        .unwrap();
    let end = run.run().unwrap();
    assert_eq!(end.requests(), n);
    // The default scenario's 5,985 requests arrive over an hour, each done within minutes
    // (FIFO's long requests within ~20 minutes): far fewer than all are ever held at once.
    assert!(
        end.peak_held() * 4 < n,
        "held {} of {n} at once",
        end.peak_held()
    );
    drop(end);
    assert_eq!(kept, n);
}

/// A source error stops the run with it, naming the request; so does a request out of
/// order.
#[test]
fn a_bad_source_ends_the_run_with_a_clear_error() {
    let s = Scenario::default_scenario();
    let reqs: Vec<_> = s.requests(None).unwrap().into_iter().take(50).collect();
    let mut items: Vec<Result<Request, String>> = reqs.iter().copied().map(Ok).collect();
    items.insert(20, Err("line 22: `input_tokens` is not a number".into()));
    let run = s
        .streamed_run(
            s.build_policy(PolicyKind::PecSched),
            Box::new(items.into_iter()),
            Vec::new(),
        )
        .unwrap();
    match run.run() {
        Err(StreamError::Input { request, why }) => {
            assert_eq!(request, 20);
            assert!(why.contains("line 22"), "{why}");
        }
        other => panic!(
            "expected an input error, got {:?}",
            other.map(|e| e.requests())
        ),
    }
    let mut swapped = reqs.clone();
    swapped.swap(10, 11);
    let run = s
        .streamed_run(
            s.build_policy(PolicyKind::Fifo),
            source(swapped),
            Vec::new(),
        )
        .unwrap();
    let err = run.run().err().expect("out of order");
    assert!(
        err.to_string().contains("request 11 came where request 10"),
        "{err}"
    );
    let mut late = reqs.clone();
    late[30].arrival = late[29].arrival;
    late[29].arrival = crate::time::SimTime(late[29].arrival.0 + 1);
    let run = s
        .streamed_run(s.build_policy(PolicyKind::Fifo), source(late), Vec::new())
        .unwrap();
    let err = run.run().err().expect("arrival order");
    assert!(err.to_string().contains("arrival order"), "{err}");
}

/// The summary refuses records that are not the run's.
#[test]
fn the_summary_checks_it_was_given_the_runs_records() {
    let s = Scenario::default_scenario();
    let reqs: Vec<_> = s.requests(None).unwrap().into_iter().take(100).collect();
    let end = s
        .streamed_run(s.build_policy(PolicyKind::Fifo), source(reqs), Vec::new())
        .unwrap()
        .run()
        .unwrap();
    let fewer = &end.sink[..99];
    assert_eq!(
        end.summary(fewer),
        Err(StreamError::RecordsMismatch {
            given: 99,
            handed_on: 100
        })
    );
}

/// A run stopped by its event budget says so, and covers the requests read so far.
#[test]
fn a_streamed_run_stopped_early_says_so() {
    let s = Scenario::default_scenario();
    let reqs: Vec<_> = s.requests(None).unwrap();
    let n = reqs.len() as u64;
    let mut run = s
        .streamed_run(
            s.build_policy(PolicyKind::PecSched),
            source(reqs),
            Vec::new(),
        )
        .unwrap();
    run.set_event_limit(5_000);
    let end = run.run().unwrap();
    assert!(matches!(end.stopped(), Some(StopReason::EventLimit { .. })));
    assert!(end.requests() < n);
    let summary = end.summary(&end.sink).unwrap();
    assert_eq!(summary.short.count + summary.long.count, end.requests());
    assert!(summary.stopped.is_some());
}

/// The invariants hold at every step of a streamed run, as requests are let go.
#[test]
fn invariants_hold_while_requests_are_let_go() {
    let s = Scenario::default_scenario();
    let reqs: Vec<_> = s.requests(None).unwrap().into_iter().take(600).collect();
    for kind in [
        PolicyKind::Fifo,
        PolicyKind::PecSched,
        PolicyKind::Disaggregated,
    ] {
        let mut run = s
            .streamed_run(s.build_policy(kind), source(reqs.clone()), Vec::new())
            .unwrap();
        let mut steps = 0u64;
        // Steps at which some requests had been let go while others were still held.
        let mut checked_with_gone = 0u64;
        while run.step() {
            steps += 1;
            if let Err(e) = run.check_invariants() {
                panic!("{kind:?}, step {steps}: {e}");
            }
            checked_with_gone += u64::from(run.handed_on() > 0 && run.held() > 0);
        }
        assert!(
            checked_with_gone > 100,
            "{kind:?}: {checked_with_gone} steps"
        );
    }
}
