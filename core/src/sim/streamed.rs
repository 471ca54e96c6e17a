//! Streamed runs: requests are read from a source as they are needed and each finished
//! request's record is handed to a [`RecordSink`] as soon as it and every earlier request are
//! over, so a run of tens of millions of requests holds only the requests in flight. The
//! summary is computed at the end from the records as the caller gives them back (a shell
//! spools them to disk: the core does no I/O), by the same code as for an in-memory run, so
//! the two give the same numbers.

use super::Simulation;
use super::engine::Ending;
use crate::metrics::{RecordSink, Records, Slo, StopReason, Summary};
use crate::time::SimTime;

/// Why a streamed run could not be summarised.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum StreamError {
    /// The source failed (a malformed row, an I/O error) or gave a request out of order; the
    /// run stopped there.
    #[error("reading request {request}: {why}")]
    Input {
        /// The id the failing request would have had (requests read before it).
        request: u64,
        /// What was wrong, as the source or the engine said it.
        why: String,
    },
    /// The records given back for the summary are not the run's.
    #[error("the summary was given {given} records, but the run handed on {handed_on}")]
    RecordsMismatch {
        /// Records the summary counted.
        given: u64,
        /// Records the run handed to its sink.
        handed_on: u64,
    },
}

/// A simulation whose requests stream in from a source and whose finished records stream out
/// to a sink `K` ([`Scenario::streamed_run`](crate::scenario::Scenario::streamed_run)).
pub struct StreamedRun<K: RecordSink> {
    sim: Simulation,
    sink: K,
}

impl<K: RecordSink> StreamedRun<K> {
    /// Wraps a simulation built with [`Simulation::streamed`].
    pub(crate) fn new(sim: Simulation, sink: K) -> Self {
        debug_assert!(sim.st.intake.streamed);
        StreamedRun { sim, sink }
    }

    /// Processes the next event and hands on the requests it finished; `false` once the run
    /// is over.
    pub fn step(&mut self) -> bool {
        let more = self.sim.step();
        self.sim.st.hand_on_finished(&mut self.sink);
        more
    }

    /// Runs to the end.
    pub fn run(mut self) -> Result<StreamedEnd<K>, StreamError> {
        while self.step() {}
        self.finish()
    }

    /// Simulated time now.
    pub fn now(&self) -> SimTime {
        self.sim.now()
    }

    /// Fraction of the requests that have arrived, when the source said how many it has
    /// (else of those read so far).
    pub fn progress(&self) -> f64 {
        self.sim.progress()
    }

    /// Events processed so far.
    pub fn events(&self) -> u64 {
        self.sim.st.events_processed
    }

    /// Requests the engine holds now (from the oldest unfinished to the next to arrive).
    pub fn held(&self) -> u64 {
        self.sim.st.reqs.len() as u64
    }

    /// Checks every invariant of the current state ([`Simulation::check_invariants`]), over
    /// the requests held.
    pub fn check_invariants(&self) -> Result<(), super::InvariantError> {
        self.sim.check_invariants()
    }

    /// Records handed to the sink so far.
    pub fn handed_on(&self) -> u64 {
        self.sim.st.intake.handed_on
    }

    /// Stops the run after `events` events ([`Simulation::set_event_limit`]).
    pub fn set_event_limit(&mut self, events: u64) {
        self.sim.set_event_limit(events);
    }

    /// Judges requests against `slo` ([`Simulation::set_slo`]).
    pub fn set_slo(&mut self, slo: Slo) {
        self.sim.set_slo(slo);
    }

    /// Ends the run now: hands every record still held to the sink (in id order, after those
    /// handed on before) and returns the sink with what the summary needs. An input error
    /// ends here as [`StreamError::Input`].
    pub fn finish(self) -> Result<StreamedEnd<K>, StreamError> {
        let StreamedRun { sim, mut sink } = self;
        if let Some(why) = sim.st.intake.error.clone() {
            return Err(StreamError::Input {
                request: sim.st.reqs.end() as u64,
                why,
            });
        }
        let (ending, mut st) = sim.ending();
        st.hand_on_all(&mut sink);
        Ok(StreamedEnd {
            sink,
            ending,
            handed_on: st.intake.handed_on,
            peak_held: st.intake.peak_held,
        })
    }
}

/// A finished streamed run: its sink (holding, or having written, every record in id order)
/// and what its summary needs besides the records.
pub struct StreamedEnd<K> {
    /// The sink the records went to.
    pub sink: K,
    ending: Ending,
    handed_on: u64,
    peak_held: u64,
}

impl<K> StreamedEnd<K> {
    /// The sink, and the rest (to summarise over the records the sink kept or wrote).
    pub fn split(self) -> (K, StreamedEnd<()>) {
        let StreamedEnd {
            sink,
            ending,
            handed_on,
            peak_held,
        } = self;
        let rest = StreamedEnd {
            sink: (),
            ending,
            handed_on,
            peak_held,
        };
        (sink, rest)
    }

    /// Requests the run read (and handed on).
    pub fn requests(&self) -> u64 {
        self.handed_on
    }

    /// The most requests the engine held at once.
    pub fn peak_held(&self) -> u64 {
        self.peak_held
    }

    /// Why the run ended before serving everything, if it did.
    pub fn stopped(&self) -> Option<&StopReason> {
        self.ending.stopped()
    }

    /// The run's summary over `records`: every record the sink received, in the order it
    /// received them (read back from wherever the sink put them). The same summary an
    /// in-memory run of the same scenario gives.
    pub fn summary<R: Records + ?Sized>(&self, records: &R) -> Result<Summary, StreamError> {
        let summary = self.ending.summary(records);
        let given = summary.short.count + summary.long.count;
        if given != self.handed_on {
            return Err(StreamError::RecordsMismatch {
                given,
                handed_on: self.handed_on,
            });
        }
        Ok(summary)
    }
}
