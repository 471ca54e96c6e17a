//! The side-by-side comparison: every selected policy on the same requests, one after the
//! other.

use super::limits::{Budget, MAX_TIMELINE_SPANS};
use super::run::{Finished, Run, Slice};
use super::{cdf, requests};
use crate::protocol::{CdfPoints, FromWorker, PolicyResult, Stage};
use pecsched_core::metrics::{RequestRecord, Summary};
use pecsched_core::policy::PolicyKind;
use pecsched_core::scenario::Scenario;
use pecsched_core::workload::Request;
use std::collections::VecDeque;

/// The comparison in progress.
pub(crate) struct Compare {
    queue: VecDeque<PolicyKind>,
    current: Option<Run>,
    total: usize,
    cap: u64,
    /// Events processed by finished runs.
    pub events: u64,
    /// Summaries of finished runs, in order.
    pub summaries: Vec<Summary>,
    /// Every request record of finished runs (policy id, records), for the CSV download;
    /// emptied and `records_dropped` set when they would exceed
    /// [`requests::MAX_KEPT_RECORDS`].
    pub records: Vec<(PolicyKind, Vec<RequestRecord>)>,
    /// The records were too many to keep.
    pub records_dropped: bool,
}

impl Compare {
    /// A comparison of the scenario's policies within `budget`.
    pub fn new(scenario: &Scenario, budget: Budget) -> Compare {
        let n = scenario.policies().len().max(1);
        Compare {
            queue: scenario.policies().iter().copied().collect(),
            current: None,
            total: n,
            cap: budget.per_policy(n),
            events: 0,
            summaries: Vec::new(),
            records: Vec::new(),
            records_dropped: false,
        }
    }

    /// Fraction done, 0–1.
    fn done(&self) -> f64 {
        let finished = self.total - self.queue.len() - usize::from(self.current.is_some());
        let partial = self.current.as_ref().map_or(0.0, |r| r.progress());
        (finished as f64 + partial) / self.total as f64
    }

    /// Runs for the events of `slice`; returns whether every policy is done.
    pub fn advance(
        &mut self,
        scenario: &Scenario,
        requests: &[Request],
        slice: &mut Slice,
    ) -> Result<bool, String> {
        while slice.has_room() {
            let run = match &mut self.current {
                Some(r) => r,
                None => match self.queue.pop_front() {
                    Some(p) => self.current.insert(Run::start(
                        scenario,
                        p,
                        requests,
                        MAX_TIMELINE_SPANS,
                        self.cap,
                    )?),
                    None => return Ok(true),
                },
            };
            if slice.advance(run) {
                let mut f = self.current.take().expect("a run in progress").finish();
                self.events += f.events;
                self.summaries.push(f.summary.clone());
                let slowest = requests::slowest(&f.records, requests::SLOWEST);
                // Before the records move to the CSV store below.
                let cdfs = cdf::all(&f.records);
                let kept: usize = self.records.iter().map(|r| r.1.len()).sum();
                let records = std::mem::take(&mut f.records);
                if self.records_dropped || kept + records.len() > requests::MAX_KEPT_RECORDS {
                    self.records_dropped = true;
                    self.records.clear();
                } else {
                    self.records.push((f.policy, records));
                }
                slice.send(FromWorker::PolicyDone {
                    generation: slice.generation,
                    result: Box::new(result(f, slowest, cdfs, scenario)),
                });
            }
        }
        let label = self
            .current
            .as_ref()
            .map_or(String::new(), |r| r.policy.label().to_string());
        slice.progress(Stage::Compare, self.done(), label);
        Ok(self.current.is_none() && self.queue.is_empty())
    }
}

/// The message form of a finished run.
fn result(
    f: Finished,
    slowest: Vec<RequestRecord>,
    cdfs: Vec<CdfPoints>,
    scenario: &Scenario,
) -> PolicyResult {
    PolicyResult {
        slowest,
        policy: f.policy,
        cdfs,
        summary: f.summary,
        timeline: f.timeline,
        replicas: scenario.replicas(),
        stopped: f.stopped,
    }
}
