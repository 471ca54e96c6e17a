//! One policy's simulation, stepped in slices under an event budget, and the slice itself.

use crate::protocol::{FromWorker, Stage};
use pecsched_core::metrics::{RequestRecord, StopReason, Summary};
use pecsched_core::policy::PolicyKind;
use pecsched_core::scenario::Scenario;
use pecsched_core::sim::Simulation;
use pecsched_core::sim::timeline::Timeline;
use pecsched_core::workload::Request;

/// A simulation in progress.
pub(crate) struct Run {
    /// The policy simulated.
    pub policy: PolicyKind,
    sim: Simulation,
    /// Events processed so far.
    pub events: u64,
    cap: u64,
}

/// What a finished (or stopped) run produced.
pub(crate) struct Finished {
    pub policy: PolicyKind,
    pub summary: Summary,
    pub records: Vec<RequestRecord>,
    pub timeline: Timeline,
    pub events: u64,
    /// Why it stopped early, if it did.
    pub stopped: Option<String>,
}

impl Run {
    /// Sets up `policy` on `requests`, recording up to `timeline_spans` spans, allowed `cap`
    /// events.
    pub fn start(
        scenario: &Scenario,
        policy: PolicyKind,
        requests: &[Request],
        timeline_spans: u32,
        cap: u64,
    ) -> Result<Run, String> {
        let mut sim = scenario
            .simulation(policy, requests.to_vec())
            .map_err(|e| format!("{}: {e}", policy.label()))?;
        if timeline_spans > 0 {
            // Spans for the Gantt chart; preemptions, hand-overs and queue/KV samples for the
            // Perfetto export.
            sim.record_timeline_detail(timeline_spans);
        }
        sim.set_event_limit(cap);
        Ok(Run {
            policy,
            sim,
            events: 0,
            cap,
        })
    }

    /// Fraction of requests that have arrived (the core's progress measure).
    pub fn progress(&self) -> f64 {
        self.sim.progress()
    }

    /// Processes at most `max` events; returns the events used and whether the run is over
    /// (finished, or stopped by the core at the event budget).
    pub fn advance(&mut self, max: u64) -> (u64, bool) {
        let mut used = 0;
        while used < max {
            if !self.sim.step() {
                return (used, true);
            }
            used += 1;
            self.events += 1;
        }
        (used, false)
    }

    /// Ends the run and summarises it.
    pub fn finish(self) -> Finished {
        let timeline = self.sim.timeline().clone();
        let (summary, records) = self.sim.finish();
        let stopped = summary.stopped.as_ref().map(|why| match why {
            StopReason::EventLimit { .. } | StopReason::EndedEarly { .. } => format!(
                "{}: {why} (the explorer's budget is {} events per policy; the command line \
                 runs it to the end).",
                self.policy.label(),
                self.cap
            ),
            StopReason::Stalled { .. } | StopReason::DrainHorizon { .. } => {
                format!("{}: {why}.", self.policy.label())
            }
        });
        Finished {
            policy: self.policy,
            summary,
            records,
            timeline,
            events: self.events,
            stopped,
        }
    }
}

/// One slice of the worker's time: at most a number of simulation events, shared by the runs
/// stepped in it, and the messages for the page, tagged with the page's run number.
pub(crate) struct Slice<'a> {
    /// The page's run number.
    pub generation: u32,
    left: u64,
    out: &'a mut Vec<FromWorker>,
}

impl<'a> Slice<'a> {
    /// A slice of at most `max_events` events whose messages go to `out`.
    pub fn new(generation: u32, max_events: u64, out: &'a mut Vec<FromWorker>) -> Slice<'a> {
        Slice {
            generation,
            left: max_events,
            out,
        }
    }

    /// Whether events are left in this slice.
    pub fn has_room(&self) -> bool {
        self.left > 0
    }

    /// Steps `run` with the events left; returns whether the run is over.
    pub fn advance(&mut self, run: &mut Run) -> bool {
        let (used, over) = run.advance(self.left);
        self.left -= used;
        over
    }

    /// A message for the page.
    pub fn send(&mut self, m: FromWorker) {
        self.out.push(m);
    }

    /// Tells the page how far `stage` is (`done` from 0 to 1) and what runs now.
    pub fn progress(&mut self, stage: Stage, done: f64, label: String) {
        let generation = self.generation;
        self.send(FromWorker::Progress {
            generation,
            stage,
            done,
            label,
        });
    }
}
