//! A link the explorer makes with a production calibration profile reproduces the page's
//! numbers natively: decoded by the core (`link::decode_scenario`, what
//! `pecsched-worker simulate --link` does), it names the same calibration, and the core run on
//! it gives the summaries the page's worker computes, bit for bit.

mod page_runs;

use pecsched_core::metrics::Summary;
use pecsched_core::perf::Calibration;
use pecsched_core::scenario::link;
use pecsched_web::state::{Action, Edit, State};
use std::rc::Rc;
use yew::Reducible;

fn reduce(s: State, a: Action) -> State {
    (*Rc::new(s).reduce(a)).clone()
}

fn page_summaries(s: &State) -> Vec<Summary> {
    page_runs::summaries(s.runnable().expect("a runnable draft"))
}

#[test]
fn a_link_with_a_production_profile_reproduces_the_pages_numbers_natively() {
    let mut s = State::from_fragment("");
    for e in [
        Edit::Calibration("h100-vllm".into()),
        Edit::WindowEnd(120.0),
        Edit::Policy(pecsched_core::policy::PolicyKind::Reservation, false),
        Edit::Policy(pecsched_core::policy::PolicyKind::Priority, false),
    ] {
        s = reduce(s, Action::Edit(e));
    }
    let page = page_summaries(&s);
    assert_eq!(page.len(), 2);

    // What `pecsched-worker simulate --link <the page's URL>` reads.
    let url = format!("https://example.org/{}", s.link_fragment().unwrap());
    let token = link::token_from_link(&url).unwrap();
    let native = link::decode_scenario(token).unwrap();
    assert_eq!(native.calibration_choice().profile, "h100-vllm");
    assert!(native.calibration_choice().overrides.is_empty());
    assert_eq!(
        native.calibration(),
        &Calibration::builtin("h100-vllm").unwrap()
    );
    assert_eq!(
        native.calibration_label(),
        "H100 — vLLM 0.24 kernels, measured"
    );
    let requests = native.requests(None).unwrap();
    let cli: Vec<Summary> = native
        .policies()
        .iter()
        .map(|&p| native.run(p, requests.clone()).unwrap().0)
        .collect();
    assert_eq!(cli, page, "the link's numbers, natively, are the page's");

    // The profile changes the numbers (the test would prove nothing otherwise), and the link
    // opened in another tab runs the same scenario.
    let datasheet = reduce(
        s.clone(),
        Action::Edit(Edit::Calibration("datasheet".into())),
    );
    assert_ne!(page_summaries(&datasheet), page);
    let opened = State::from_fragment(s.link_fragment().unwrap());
    assert_eq!(page_summaries(&opened), page);
}
