//! The run part of the state: progress, timings and results of the current generation.
//! Messages of older generations are dropped; the previous results stay on screen (dimmed)
//! until the new run's first result replaces them.

use crate::protocol::{FromWorker, PolicyResult, Stage, SweepPoint};
use std::rc::Rc;

/// Where the current run is.
#[derive(Clone, Debug, Default, PartialEq)]
pub enum RunPhase {
    /// Nothing to run (the draft is invalid or waits for an upload).
    #[default]
    Idle,
    /// Posted to the worker, no news yet, or running.
    Running(Progress),
    /// The comparison is done; the sweep may still run.
    Compared,
    /// Everything is done.
    Done,
    /// The user pressed Stop (not a failure: what ran is kept).
    Stopped,
    /// The worker refused or failed.
    Failed(String),
}

/// A progress report.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Progress {
    /// Which part.
    pub stage: Option<Stage>,
    /// Fraction, 0–1.
    pub done: f64,
    /// What runs now.
    pub label: String,
}

/// The current run and what it produced.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct RunView {
    /// The generation these fields belong to.
    pub generation: u32,
    /// Comparison progress or outcome.
    pub phase: RunPhase,
    /// Sweep progress (`None` when not running).
    pub sweep_progress: Option<Progress>,
    /// Results, one per policy, in the scenario's order.
    pub results: Vec<Rc<PolicyResult>>,
    /// Results belong to an older generation (shown dimmed until replaced).
    pub stale: bool,
    /// Sweep points of this generation.
    pub sweep: Vec<SweepPoint>,
    /// The sweep finished.
    pub sweep_done: bool,
    /// Why the sweep was reduced or skipped.
    pub sweep_note: Option<String>,
    /// `performance.now()` when the run was posted.
    pub sent_ms: Option<f64>,
    /// Milliseconds from posting to the comparison's last result.
    pub compare_ms: Option<f64>,
    /// `performance.now()` when the comparison's last result arrived (≈ ms since page load
    /// for the first run).
    pub shown_at_ms: Option<f64>,
    /// Milliseconds from posting to the end of the sweep.
    pub sweep_ms: Option<f64>,
    /// Requests in the workload.
    pub requests: Option<u32>,
    /// Milliseconds the worker spent on the comparison (its own clock).
    pub worker_ms: Option<f64>,
    /// The calibration of the results shown (`Scenario::calibration_label`).
    pub calibration: Option<String>,
    /// The calibration of the run in flight: the results' once its first one arrives.
    pub next_calibration: Option<String>,
}

/// What the status line says after Stop.
pub const STOPPED: &str =
    "Stopped by you; results shown so far are kept. Edit any field to run again.";

impl RunView {
    /// A new generation starts (`runnable`: it will be posted to the worker), on a scenario
    /// whose calibration is `calibration`.
    pub fn restart(&mut self, generation: u32, runnable: bool, calibration: Option<String>) {
        let results = std::mem::take(&mut self.results);
        let sweep = std::mem::take(&mut self.sweep);
        let shown = self.calibration.take();
        *self = RunView {
            calibration: shown,
            next_calibration: calibration,
            generation,
            phase: if runnable {
                RunPhase::Running(Progress::default())
            } else {
                RunPhase::Idle
            },
            stale: true,
            results,
            sweep,
            ..RunView::default()
        };
    }

    /// The user pressed Stop: the run in flight (comparison or sweep) is abandoned, what it
    /// already produced stays on screen, and later messages of this run are ignored.
    pub fn stop(&mut self) {
        let running = matches!(self.phase, RunPhase::Running(_));
        if !running && self.sweep_progress.is_none() {
            return;
        }
        // Messages of the stopped run carry the old number: bump it so they are dropped.
        self.generation = self.generation.wrapping_add(1) | 0x8000_0000;
        if running {
            self.phase = RunPhase::Stopped;
        }
        if self.sweep_progress.take().is_some() {
            self.sweep_note =
                Some("Load sweep stopped by you; edit a field to run again.".to_string());
        }
    }

    /// The root component posted this generation at `at_ms`.
    pub fn sent(&mut self, generation: u32, at_ms: f64) {
        if generation == self.generation {
            self.sent_ms = Some(at_ms);
        }
    }

    fn fresh(&mut self) {
        if self.stale {
            self.stale = false;
            self.results.clear();
            self.sweep.clear();
            self.calibration = self.next_calibration.clone();
        }
    }

    /// Applies a run message (of any generation; older ones are dropped).
    pub fn on_message(&mut self, msg: FromWorker, at_ms: f64) {
        let g = match &msg {
            FromWorker::Progress { generation, .. }
            | FromWorker::PolicyDone { generation, .. }
            | FromWorker::CompareDone { generation, .. }
            | FromWorker::SweepPoint { generation, .. }
            | FromWorker::SweepDone { generation, .. }
            | FromWorker::Failed { generation, .. } => *generation,
            FromWorker::TraceLoaded { .. }
            | FromWorker::TraceRejected { .. }
            | FromWorker::RequestsCsv(_) => return,
        };
        if g != self.generation {
            return;
        }
        let since = |sent: Option<f64>| sent.map(|s| at_ms - s);
        match msg {
            FromWorker::Progress {
                stage, done, label, ..
            } => {
                let p = Progress {
                    stage: Some(stage),
                    done,
                    label,
                };
                match stage {
                    Stage::Sweep => self.sweep_progress = Some(p),
                    _ => {
                        if matches!(self.phase, RunPhase::Running(_)) {
                            self.phase = RunPhase::Running(p)
                        }
                    }
                }
            }
            FromWorker::PolicyDone { result, .. } => {
                self.fresh();
                self.results.push(Rc::new(*result));
            }
            FromWorker::CompareDone {
                requests,
                worker_ms,
                ..
            } => {
                self.fresh();
                self.worker_ms = Some(worker_ms);
                self.requests = Some(requests);
                self.phase = RunPhase::Compared;
                self.compare_ms = since(self.sent_ms);
                self.shown_at_ms = Some(at_ms);
            }
            FromWorker::SweepPoint { point, .. } => {
                self.fresh();
                self.sweep.push(*point);
            }
            FromWorker::SweepDone { note, .. } => {
                self.sweep_done = true;
                self.sweep_note = note;
                self.sweep_progress = None;
                self.sweep_ms = since(self.sent_ms);
                if self.phase == RunPhase::Compared {
                    self.phase = RunPhase::Done;
                }
            }
            FromWorker::Failed { message, .. } => {
                self.fresh();
                self.phase = RunPhase::Failed(message);
                self.sweep_progress = None;
            }
            FromWorker::TraceLoaded { .. }
            | FromWorker::TraceRejected { .. }
            | FromWorker::RequestsCsv(_) => {}
        }
    }

    /// Notes of runs that hit the event budget.
    pub fn budget_notes(&self) -> Vec<&str> {
        self.results
            .iter()
            .filter_map(|r| r.stopped.as_deref())
            .collect()
    }
}
