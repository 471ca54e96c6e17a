//! Messages between the page and the simulation worker (serialized by gloo-worker with
//! bincode, which keeps every `f64` bit for bit).
//!
//! A core [`Summary`] crosses as its JSON text ([`summary_as_json`]): its stop reason is an
//! internally tagged enum (`{"kind": "drain_horizon", …}`, the CLI's JSON form), which
//! bincode, not self-describing, cannot read back — the page would silently lose that
//! policy's result. JSON with `float_roundtrip` keeps every `f64` exactly.
//!
//! Every message about a run carries the page's `generation` number: the page bumps it on each
//! edit and ignores anything from an older generation, so a cancelled run can never overwrite
//! newer results.

use pecsched_core::metrics::{RequestRecord, Summary};
use pecsched_core::policy::PolicyKind;
use pecsched_core::scenario::wire::ScenarioWire;
use pecsched_core::sim::timeline::Timeline;
use serde::{Deserialize, Serialize};

/// From the page to the worker.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum ToWorker {
    /// Parse an uploaded trace file and keep its text for later runs (replies
    /// [`FromWorker::TraceLoaded`] or [`FromWorker::TraceRejected`]).
    LoadTrace {
        /// File name, as the user's system gave it.
        name: String,
        /// The whole file.
        text: String,
    },
    /// Run a scenario: every policy side by side, then the load sweep. Cancels the run in
    /// flight.
    Start {
        /// The page's run number.
        generation: u32,
        /// The scenario (validated again in the worker), its calibration included.
        scenario: Box<ScenarioWire>,
        /// Also run the load sweep after the comparison.
        sweep: bool,
    },
    /// Stop the run in flight.
    Cancel,
    /// Send every request of the last finished comparison as CSV (replies
    /// [`FromWorker::RequestsCsv`]).
    RequestsCsv,
}

/// From the worker to the page.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum FromWorker {
    /// An uploaded trace parsed.
    TraceLoaded {
        /// File name.
        name: String,
        /// Format id (`azure`, `mooncake`, `burstgpt`, `plain`).
        format: String,
        /// Requests in the file.
        requests: u32,
    },
    /// An uploaded trace did not parse; `message` names the line and value.
    TraceRejected {
        /// File name.
        name: String,
        /// The core's error.
        message: String,
    },
    /// How far the run is.
    Progress {
        /// Run number.
        generation: u32,
        /// Which part of the run.
        stage: Stage,
        /// Fraction done, 0–1.
        done: f64,
        /// What runs now (e.g. the policy).
        label: String,
    },
    /// One policy of the comparison finished.
    PolicyDone {
        /// Run number.
        generation: u32,
        /// Its results.
        result: Box<PolicyResult>,
    },
    /// The comparison finished (every policy has reported).
    CompareDone {
        /// Run number.
        generation: u32,
        /// Requests in the workload.
        requests: u32,
        /// Wall-clock milliseconds the worker spent from `Start` to here (building the
        /// workload and simulating); 0 where no clock is read (native tests).
        worker_ms: f64,
    },
    /// One point of the load sweep (one load, seed and policy).
    SweepPoint {
        /// Run number.
        generation: u32,
        /// The point.
        point: Box<SweepPoint>,
    },
    /// The load sweep finished; `note` says if it was reduced or skipped.
    SweepDone {
        /// Run number.
        generation: u32,
        /// Why the sweep was reduced or skipped, if it was.
        note: Option<String>,
    },
    /// Every request of the last comparison as CSV (the CLI's `--requests-csv` columns), or
    /// why there is none.
    RequestsCsv(Result<String, String>),
    /// The run could not start or failed.
    Failed {
        /// Run number.
        generation: u32,
        /// What was wrong.
        message: String,
    },
}

/// The part of a run a progress message is about.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Stage {
    /// Simulating each policy.
    Compare,
    /// The load sweep.
    Sweep,
}

/// The empirical distribution of one latency over the requests of a run, downsampled for
/// plotting: `(seconds, fraction of requests ≤ seconds)`, increasing in both.
pub type CdfPoints = Vec<(f64, f64)>;

/// Which latency a CDF shows.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum CdfMetric {
    /// Short requests: arrival → first prefill execution.
    ShortQueueing,
    /// Short requests: arrival → first token.
    ShortTtft,
    /// Short requests: arrival → completion.
    ShortJct,
    /// Long requests: arrival → completion.
    LongJct,
}

impl CdfMetric {
    /// Every metric, in display order.
    pub const ALL: [CdfMetric; 4] = [
        CdfMetric::ShortQueueing,
        CdfMetric::ShortTtft,
        CdfMetric::ShortJct,
        CdfMetric::LongJct,
    ];

    /// Human-readable name.
    pub fn label(self) -> &'static str {
        match self {
            CdfMetric::ShortQueueing => "Short requests: queueing delay",
            CdfMetric::ShortTtft => "Short requests: time to first token",
            CdfMetric::ShortJct => "Short requests: completion time (JCT)",
            CdfMetric::LongJct => "Long requests: completion time (JCT)",
        }
    }
}

/// What one policy's run produced.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PolicyResult {
    /// The policy.
    pub policy: PolicyKind,
    /// The core's summary (every number in the table).
    #[serde(with = "summary_as_json")]
    pub summary: Summary,
    /// One CDF per [`CdfMetric::ALL`], in that order.
    pub cdfs: Vec<CdfPoints>,
    /// Replica timeline for the Gantt chart (bounded; `truncated` when cut).
    pub timeline: Timeline,
    /// Replicas in the cluster (Gantt rows).
    pub replicas: u32,
    /// The slowest requests (never completed first, then by JCT), at most
    /// [`crate::runner::requests::SLOWEST`].
    pub slowest: Vec<RequestRecord>,
    /// Set when the run hit the explorer's event budget and stopped early: the summary then
    /// covers the run up to that instant.
    pub stopped: Option<String>,
}

/// One run of the load sweep.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SweepPoint {
    /// Load relative to the scenario's (1 = the scenario itself).
    pub factor: f64,
    /// The seed of this run.
    pub seed: u64,
    /// The core's summary.
    #[serde(with = "summary_as_json")]
    pub summary: Summary,
    /// The run hit the event budget.
    pub stopped: bool,
}

/// Serde adapter: a [`Summary`] as its JSON text (see the module docs for why).
pub mod summary_as_json {
    use pecsched_core::metrics::Summary;
    use serde::de::Error as _;
    use serde::ser::Error as _;
    use serde::{Deserialize, Deserializer, Serializer};

    /// Writes the summary as a JSON string.
    pub fn serialize<S: Serializer>(v: &Summary, s: S) -> Result<S::Ok, S::Error> {
        let text = serde_json::to_string(v).map_err(S::Error::custom)?;
        s.serialize_str(&text)
    }

    /// Reads a summary from a JSON string.
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Summary, D::Error> {
        let text = String::deserialize(d)?;
        serde_json::from_str(&text).map_err(D::Error::custom)
    }
}

/// Results for tests: real summaries from a few requests of the default scenario.
#[cfg(test)]
pub(crate) mod fixtures {
    use super::SweepPoint;
    use pecsched_core::metrics::Summary;
    use pecsched_core::policy::PolicyKind;
    use pecsched_core::scenario::Scenario;

    /// FIFO's summary of the default scenario's first `requests` requests.
    pub fn fifo_summary(requests: usize) -> Summary {
        let s = Scenario::default_scenario();
        let mut reqs = s.requests(None).unwrap();
        reqs.truncate(requests);
        s.run(PolicyKind::Fifo, reqs).unwrap().0
    }

    /// A FIFO point of the load sweep at `factor` and `seed` whose short p99 queueing delay
    /// is `p99`.
    pub fn point(factor: f64, seed: u64, p99: f64) -> SweepPoint {
        let mut summary = fifo_summary(20);
        summary.short.queueing_delay.p99 = p99;
        SweepPoint {
            factor,
            seed,
            summary,
            stopped: false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use pecsched_core::metrics::StopReason;

    #[test]
    fn a_summary_with_a_stop_reason_crosses_bincode_bit_for_bit() {
        let mut summary = fixtures::fifo_summary(100);
        summary.stopped = Some(StopReason::DrainHorizon {
            at_s: 3600.1,
            unserved: 3,
        });
        summary.short.queueing_delay.p99 = 0.1 + 0.2;
        let msg = FromWorker::SweepPoint {
            generation: 3,
            point: Box::new(SweepPoint {
                factor: 0.25,
                seed: 1,
                summary,
                stopped: false,
            }),
        };
        let bytes = bincode::serialize(&msg).unwrap();
        let back: FromWorker = bincode::deserialize(&bytes).unwrap();
        assert_eq!(back, msg);
    }
}
