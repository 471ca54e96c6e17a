//! Why a run ended without serving every request, typed: a stall (an engine bug), the drain
//! horizon (an overloaded scenario), the event limit, or an early end asked for by the caller.

use super::record::Class;
use serde::{Deserialize, Serialize};
use std::fmt;

/// Most stranded requests a [`StopReason::Stalled`] lists one by one (the count is always
/// complete).
pub const MAX_LISTED_STRANDED: usize = 20;

/// Where an unserved request sat when the run ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "at", rename_all = "snake_case")]
pub enum Place {
    /// In the global queue: the policy never dispatched it.
    GlobalQueue,
    /// In a replica's local queue, not yet admitted to its batch.
    LocalQueue {
        /// Replica index.
        replica: u32,
    },
    /// Admitted to a replica's batch (prefilling or decoding).
    Batch {
        /// Replica index.
        replica: u32,
    },
    /// Prefill done on a prefill replica; waiting for room on a decode replica.
    AwaitingHandoff {
        /// The prefill replica holding its KV.
        replica: u32,
    },
    /// Its KV is being streamed to a decode replica.
    InTransit {
        /// Destination decode replica.
        replica: u32,
    },
    /// A long job over a group of replicas.
    LongJob {
        /// First replica of the group.
        first_replica: u32,
        /// Replicas in the group.
        replicas: u32,
        /// What the job was doing: `pending`, `prefill`, `paused`, `decode`.
        phase: JobState,
    },
}

/// What a long job was doing when the run ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum JobState {
    /// Dispatched, waiting for its replicas (short prefills to drain, KV room).
    Pending,
    /// Prefill running.
    Prefill,
    /// Prefill paused for short work (preempted).
    Paused,
    /// Decode running.
    Decode,
    /// Decode paused for short work.
    DecodePaused,
}

/// One request a stalled run left behind.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Stranded {
    /// Request id.
    pub id: u32,
    /// Its class.
    pub class: Class,
    /// Where it sat.
    pub place: Place,
}

/// Why a run ended before serving every request that arrived. A run that served every
/// request (or rejected it with a reason) has no stop reason.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum StopReason {
    /// An engine bug: arrived work was neither served nor rejected while nothing in the
    /// cluster could make progress on it (the event queue ran dry, or a replica or long job
    /// sat idle with work it could start). Results are not trustworthy.
    Stalled {
        /// Simulated time of the detection, seconds.
        at_s: f64,
        /// How the stall was detected.
        detected: StallCheck,
        /// What sat idle with work it could start (`replica 3`, `long job of request 81`),
        /// when the watchdog found it.
        #[serde(default)]
        idle: Option<String>,
        /// Arrived requests neither completed nor rejected.
        stranded_count: u64,
        /// The first of them (at most [`MAX_LISTED_STRANDED`]), in id order.
        stranded: Vec<Stranded>,
    },
    /// The scenario is overloaded: the run reached its drain horizon (last arrival + drain
    /// limit) with requests unserved; they are counted as never started or unfinished.
    DrainHorizon {
        /// The horizon, seconds.
        at_s: f64,
        /// Requests neither completed nor rejected at the horizon.
        unserved: u64,
    },
    /// The run processed its event budget and stopped: results are partial.
    EventLimit {
        /// Events processed.
        events: u64,
        /// Simulated time reached, seconds.
        at_s: f64,
    },
    /// The caller ended the run before its end (a Stop button, a budget of its own): results
    /// are partial.
    EndedEarly {
        /// Simulated time reached, seconds.
        at_s: f64,
    },
}

/// How a stall was detected.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StallCheck {
    /// No event was left while work was unserved.
    EventQueueEmpty,
    /// A periodic watchdog found a replica or long job idle with work it could start.
    IdleWithWork,
    /// Two watchdog checks in a row found requests in the global queue while nothing in the
    /// cluster ran: the policy dispatched nothing the idle cluster could take.
    QuietWithQueuedWork,
}

impl StopReason {
    /// Whether the results are untrustworthy or partial because the run did not get to serve
    /// its workload (every reason but the drain horizon, which is a property of the scenario).
    pub fn is_partial(&self) -> bool {
        !matches!(self, StopReason::DrainHorizon { .. })
    }

    /// A short label: `stalled`, `drain horizon`, `event limit`, `ended early`.
    pub fn label(&self) -> &'static str {
        match self {
            StopReason::Stalled { .. } => "stalled",
            StopReason::DrainHorizon { .. } => "drain horizon",
            StopReason::EventLimit { .. } => "event limit",
            StopReason::EndedEarly { .. } => "ended early",
        }
    }
}

impl fmt::Display for Place {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Place::GlobalQueue => write!(f, "global queue"),
            Place::LocalQueue { replica } => write!(f, "local queue of replica {replica}"),
            Place::Batch { replica } => write!(f, "batch of replica {replica}"),
            Place::AwaitingHandoff { replica } => {
                write!(f, "replica {replica}, awaiting a decode replica")
            }
            Place::InTransit { replica } => write!(f, "in transit to replica {replica}"),
            Place::LongJob {
                first_replica,
                replicas,
                phase,
            } => write!(
                f,
                "long job on {replicas} replicas from {first_replica} ({})",
                match phase {
                    JobState::Pending => "pending",
                    JobState::Prefill => "prefill",
                    JobState::Paused => "prefill paused",
                    JobState::Decode => "decode",
                    JobState::DecodePaused => "decode paused",
                }
            ),
        }
    }
}

impl fmt::Display for StopReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            StopReason::Stalled {
                at_s,
                detected,
                idle,
                stranded_count,
                stranded,
            } => {
                let how = match (detected, idle) {
                    (StallCheck::EventQueueEmpty, _) => "the event queue ran dry".to_string(),
                    (StallCheck::IdleWithWork, Some(what)) => {
                        format!("{what} sat idle with work it could start")
                    }
                    (StallCheck::IdleWithWork, None) => {
                        "a replica sat idle with work it could start".to_string()
                    }
                    (StallCheck::QuietWithQueuedWork, Some(what)) => {
                        format!("{what} with requests waiting in the global queue")
                    }
                    (StallCheck::QuietWithQueuedWork, None) => {
                        "the cluster sat quiet with requests in the global queue".to_string()
                    }
                };
                write!(
                    f,
                    "STALLED (engine bug) at {at_s:.3} s: {how} with {stranded_count} request(s) \
                     neither served nor rejected; results are not trustworthy"
                )?;
                for (i, s) in stranded.iter().enumerate() {
                    let sep = if i == 0 { ": " } else { "; " };
                    let class = match s.class {
                        Class::Short => "short",
                        Class::Long => "long",
                    };
                    write!(f, "{sep}#{} ({class}) in {}", s.id, s.place)?;
                }
                if (*stranded_count as usize) > stranded.len() {
                    write!(f, "; …")?;
                }
                Ok(())
            }
            StopReason::DrainHorizon { at_s, unserved } => write!(
                f,
                "overloaded: the drain horizon ({at_s:.1} s) came with {unserved} request(s) \
                 unserved (counted as never started or unfinished)"
            ),
            StopReason::EventLimit { events, at_s } => write!(
                f,
                "stopped after {events} events (the limit) at simulated time {at_s:.3} s: \
                 results are partial"
            ),
            StopReason::EndedEarly { at_s } => write!(
                f,
                "ended early at simulated time {at_s:.3} s: results are partial"
            ),
        }
    }
}
