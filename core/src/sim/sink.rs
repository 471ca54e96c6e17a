//! Ending a run into a [`RecordSink`]: the summary is returned and the per-request records are
//! handed over one at a time, in id order, rebuilt from the engine's compact store as they go,
//! so a caller that streams them (to a file, or nowhere) never holds a copy of them all.

use super::Simulation;
use crate::metrics::{RecordSink, Records, Summary};

impl Simulation {
    /// Ends the run now ([`Simulation::finish`]), hands every record to `sink` in id order and
    /// returns the summary (the same as `finish` gives).
    pub fn finish_into(self, sink: &mut dyn RecordSink) -> Summary {
        let (summary, st) = self.end();
        for r in st.records_view().each() {
            sink.push(r);
        }
        summary
    }

    /// Runs to the end ([`Simulation::run`]) and ends into `sink` ([`Simulation::finish_into`]).
    pub fn run_into(mut self, sink: &mut dyn RecordSink) -> Summary {
        while self.step() {}
        self.finish_into(sink)
    }
}

#[cfg(test)]
mod tests {
    use crate::metrics::{DiscardRecords, RequestRecord};
    use crate::policy::PolicyKind;
    use crate::scenario::Scenario;

    /// A run ended into a sink gives the same summary and records as one ended in memory.
    #[test]
    fn finish_into_matches_finish() {
        let s = Scenario::default_scenario();
        let reqs: Vec<_> = s.requests(None).unwrap().into_iter().take(300).collect();
        let (summary, records) = s.run(PolicyKind::PecSched, reqs.clone()).unwrap();
        let mut kept: Vec<RequestRecord> = Vec::new();
        let sim = s.simulation(PolicyKind::PecSched, reqs.clone()).unwrap();
        assert_eq!(sim.run_into(&mut kept), summary);
        assert_eq!(kept, records);
        let sim = s.simulation(PolicyKind::PecSched, reqs).unwrap();
        assert_eq!(sim.run_into(&mut DiscardRecords), summary);
    }
}
