//! Running a scenario the way the page's worker does, to the end, for the tests that compare
//! the page's numbers with the core's (`same_numbers.rs`, `link_numbers.rs`).

use pecsched_core::metrics::Summary;
use pecsched_core::scenario::wire::ScenarioWire;
use pecsched_web::protocol::FromWorker;
use pecsched_web::runner::Runner;

/// The summary of every policy of `wire`, as the page's worker computes them.
pub fn summaries(wire: &ScenarioWire) -> Vec<Summary> {
    Runner::new(1, wire, None, false)
        .expect("a valid scenario")
        .run_to_end()
        .into_iter()
        .filter_map(|m| match m {
            FromWorker::PolicyDone { result, .. } => Some(result.summary),
            _ => None,
        })
        .collect()
}
