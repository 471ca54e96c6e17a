//! The worker's job, as plain Rust: validate a scenario, build its workload with the core,
//! run every policy, then the load sweep — in slices of a given number of events, so the
//! worker can yield between slices (to receive a cancel) and report progress.
//!
//! Nothing here touches the browser: the same code runs natively in tests, which is how the
//! explorer's numbers are checked against the command line's.

mod cdf;
mod compare;
pub mod limits;
pub mod requests;
mod run;
mod sweep;
mod upload;

pub use sweep::{FACTORS, SEEDS};
pub use upload::check_trace;

use crate::protocol::{FromWorker, Stage};
use compare::Compare;
use limits::Budget;
use pecsched_core::scenario::Scenario;
use pecsched_core::scenario::wire::ScenarioWire;
use pecsched_core::workload::Request;
use run::Slice;
use sweep::Sweep;

/// An uploaded trace file the worker keeps for runs that read it.
#[derive(Clone, Debug, PartialEq)]
pub struct UploadedTrace {
    /// File name.
    pub name: String,
    /// The whole file.
    pub text: String,
}

enum Phase {
    Compare(Compare),
    Sweep(Sweep),
    Done,
}

/// One run of the explorer: a comparison, then optionally a load sweep.
pub struct Runner {
    generation: u32,
    scenario: Scenario,
    requests: Vec<Request>,
    trace: Option<String>,
    sweep: bool,
    budget: Budget,
    phase: Phase,
    /// Every request record of the comparison, once it is done (for the CSV download).
    records: Option<requests::Records>,
}

impl Runner {
    /// Validates `wire` (the core's checks, then the explorer's [`limits`]) and builds its
    /// workload. `trace` is the uploaded file, used if the scenario reads a file of that name.
    pub fn new(
        generation: u32,
        wire: &ScenarioWire,
        trace: Option<&UploadedTrace>,
        sweep: bool,
    ) -> Result<Runner, String> {
        limits::check_wire(wire)?;
        let scenario = Scenario::from_wire(wire).map_err(|e| e.to_string())?;
        limits::check_scenario(&scenario)?;
        let text = match scenario.source() {
            pecsched_core::scenario::Source::File { name, .. } => {
                trace.filter(|t| &t.name == name).map(|t| t.text.clone())
            }
            _ => None,
        };
        // A Mooncake file's own prefix block ids stay with the scenario (and its sweep points).
        let (scenario, requests) = scenario
            .workload(text.as_deref())
            .map_err(|e| e.to_string())?;
        limits::check_requests(requests.len())?;
        Ok(Runner {
            generation,
            phase: Phase::Compare(Compare::new(&scenario, Budget::default())),
            scenario,
            requests,
            trace: text,
            sweep,
            budget: Budget::default(),
            records: None,
        })
    }

    /// Runs within `budget` instead of the explorer's default one.
    pub fn with_budget(mut self, budget: Budget) -> Runner {
        self.budget = budget;
        self.phase = Phase::Compare(Compare::new(&self.scenario, budget));
        self
    }

    /// Processes up to `max_events` simulation events, appending what the page should hear
    /// to `out`. Returns `false` once everything is done.
    pub fn advance(&mut self, max_events: u64, out: &mut Vec<FromWorker>) -> bool {
        let generation = self.generation;
        match self.step(max_events, out) {
            Ok(more) => more,
            Err(message) => {
                out.push(FromWorker::Failed {
                    generation,
                    message,
                });
                self.phase = Phase::Done;
                false
            }
        }
    }

    fn step(&mut self, max: u64, out: &mut Vec<FromWorker>) -> Result<bool, String> {
        let g = self.generation;
        match &mut self.phase {
            Phase::Compare(c) => {
                let done =
                    c.advance(&self.scenario, &self.requests, &mut Slice::new(g, max, out))?;
                if done {
                    self.records = Some(if c.records_dropped {
                        Err(format!(
                            "this run has more than {} request records; the explorer keeps \
                             only the slowest: use `pecsched-worker simulate --requests-csv`",
                            requests::MAX_KEPT_RECORDS
                        ))
                    } else {
                        Ok(std::mem::take(&mut c.records))
                    });
                    out.push(FromWorker::CompareDone {
                        generation: g,
                        requests: self.requests.len() as u32,
                        worker_ms: 0.0,
                    });
                    self.phase = if !self.sweep {
                        Phase::Done
                    } else {
                        let own = std::mem::take(&mut c.summaries);
                        match Sweep::plan(&self.scenario, c.events, own, self.budget) {
                            Ok(s) => Phase::Sweep(s),
                            Err(note) => {
                                out.push(FromWorker::SweepDone {
                                    generation: g,
                                    note: Some(note),
                                });
                                Phase::Done
                            }
                        }
                    };
                    if let Phase::Sweep(_) = self.phase {
                        out.push(FromWorker::Progress {
                            generation: g,
                            stage: Stage::Sweep,
                            done: 0.0,
                            label: String::new(),
                        });
                    }
                }
            }
            Phase::Sweep(s) => {
                let trace = self.trace.as_deref();
                let done = s.advance(&self.scenario, trace, &mut Slice::new(g, max, out))?;
                if done {
                    out.push(FromWorker::SweepDone {
                        generation: g,
                        note: s.note.take(),
                    });
                    self.phase = Phase::Done;
                }
            }
            Phase::Done => {}
        }
        Ok(!matches!(self.phase, Phase::Done))
    }

    /// The comparison's request records, once the comparison is done (taken: the worker keeps
    /// them for the CSV download); `Err` when there were too many to keep.
    pub fn take_records(&mut self) -> Option<requests::Records> {
        self.records.take()
    }

    /// Runs everything to the end (natively, in tests) and returns every message.
    pub fn run_to_end(mut self) -> Vec<FromWorker> {
        let mut out = Vec::new();
        while self.advance(u64::MAX, &mut out) {}
        out
    }
}

#[cfg(test)]
mod tests;
