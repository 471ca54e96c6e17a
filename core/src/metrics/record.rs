//! Per-request records: what happened to each request, in integer time.

use crate::time::SimTime;
use serde::{Deserialize, Serialize};

/// Whether a request is served by one replica (short) or by sequence parallelism over several
/// (long).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum Class {
    /// Served by one replica.
    Short,
    /// Served by several replicas (sequence parallelism).
    Long,
}

/// Everything the simulator recorded about one request.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RequestRecord {
    /// Request id (index in the workload).
    pub id: u32,
    /// Short or long.
    pub class: Class,
    /// Prompt tokens.
    pub input_tokens: u32,
    /// Output tokens.
    pub output_tokens: u32,
    /// Arrival at the global queue.
    pub arrival: SimTime,
    /// When the policy sent it to a replica (or group).
    pub dispatched: Option<SimTime>,
    /// When its first prefill work executed (end of the queueing delay).
    pub prefill_start: Option<SimTime>,
    /// When its first output token was produced (end of prefill).
    pub first_token: Option<SimTime>,
    /// When its last output token was produced.
    pub completion: Option<SimTime>,
    /// Times its long prefill (or decode) was suspended for short work.
    pub preemptions: u32,
    /// Replicas that served its prefill (1 for short requests).
    pub replicas: u32,
    /// The request could never be served: it needs more replicas than the cluster offers.
    pub rejected: bool,
    /// Why it was rejected, when it was.
    #[serde(default)]
    pub rejected_reason: Option<Rejection>,
    /// Prompt tokens found in its replica's prefix cache at admission, not recomputed
    /// (0 without prefix caching; docs/prefix-caching.md).
    #[serde(default)]
    pub cached_tokens: u32,
}

/// Why a request can never be served on the cluster it was given.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Rejection {
    /// Replicas its compute and KV (plus the pause state) need (at least; the search stops
    /// at 4096).
    pub needs_replicas: u32,
    /// Replicas that can serve a long prefill on this cluster (or in the policy's reserved
    /// pool, when `reserved_pool`).
    pub prefill_replicas: u32,
    /// The limit is the policy's reserved pool for long requests, not the cluster.
    #[serde(default)]
    pub reserved_pool: bool,
}

impl std::fmt::Display for Rejection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "needs {}{} replicas for its KV and compute; {} {} replicas",
            if self.needs_replicas >= 4096 {
                "at least "
            } else {
                ""
            },
            self.needs_replicas.min(4096),
            if self.reserved_pool {
                "the policy's reserved pool for long requests has"
            } else {
                "the cluster offers"
            },
            self.prefill_replicas
        )
    }
}

impl RequestRecord {
    /// A fresh record for a request that has just been read.
    pub fn new(
        id: u32,
        class: Class,
        input_tokens: u32,
        output_tokens: u32,
        arrival: SimTime,
    ) -> Self {
        RequestRecord {
            id,
            class,
            input_tokens,
            output_tokens,
            arrival,
            dispatched: None,
            prefill_start: None,
            first_token: None,
            completion: None,
            preemptions: 0,
            replicas: 0,
            rejected: false,
            rejected_reason: None,
            cached_tokens: 0,
        }
    }

    /// Arrival to first prefill execution, if it started.
    pub fn queueing_delay_ns(&self) -> Option<u64> {
        self.prefill_start.map(|t| t.0 - self.arrival.0)
    }

    /// Arrival to first token, if produced.
    pub fn ttft_ns(&self) -> Option<u64> {
        self.first_token.map(|t| t.0 - self.arrival.0)
    }

    /// Arrival to completion (job completion time), if completed.
    pub fn jct_ns(&self) -> Option<u64> {
        self.completion.map(|t| t.0 - self.arrival.0)
    }

    /// Mean time between output tokens after the first, if completed with ≥ 2 tokens.
    pub fn tbt_ns(&self) -> Option<u64> {
        match (self.first_token, self.completion) {
            (Some(f), Some(c)) if self.output_tokens >= 2 => {
                Some((c.0 - f.0) / (self.output_tokens as u64 - 1))
            }
            _ => None,
        }
    }

    /// Never started executing (the paper's "starved": never served).
    pub fn starved(&self) -> bool {
        self.prefill_start.is_none()
    }
}

/// The header of the per-request CSV (`pecsched-worker simulate --requests-csv`, the
/// explorer's request download): one row per request and policy.
pub const CSV_HEADER: &str = "policy,id,class,input_tokens,output_tokens,arrival_s,dispatched_s,prefill_start_s,first_token_s,completion_s,queueing_delay_s,ttft_s,jct_s,preemptions,replicas,rejected,rejected_reason,cached_tokens";

impl RequestRecord {
    /// This record as one CSV row under [`CSV_HEADER`] (no line end): times in seconds with
    /// 6 decimals, empty when the event did not happen; the rejection reason quoted (it holds
    /// commas); `cached_tokens` is the prompt tokens found in the prefix cache (0 without one).
    pub fn csv_row(&self, policy: crate::policy_kind::PolicyKind) -> String {
        let policy = policy.id();
        let t = |x: Option<SimTime>| x.map_or(String::new(), |t| format!("{:.6}", t.as_secs_f64()));
        let d = |x: Option<u64>| x.map_or(String::new(), |v| format!("{:.6}", v as f64 / 1e9));
        let why = self
            .rejected_reason
            .map_or(String::new(), |why| format!("\"{why}\""));
        format!(
            "{policy},{},{:?},{},{},{:.6},{},{},{},{},{},{},{},{},{},{},{why},{}",
            self.id,
            self.class,
            self.input_tokens,
            self.output_tokens,
            self.arrival.as_secs_f64(),
            t(self.dispatched),
            t(self.prefill_start),
            t(self.first_token),
            t(self.completion),
            d(self.queueing_delay_ns()),
            d(self.ttft_ns()),
            d(self.jct_ns()),
            self.preemptions,
            self.replicas,
            self.rejected,
            self.cached_tokens,
        )
    }
}

/// Every request's record of a run, read in id order: a slice of records, or the engine's
/// compact store (which rebuilds each record as it is read instead of holding 112 bytes per
/// request for the whole run).
pub trait Records {
    /// The records, in id order.
    fn each(&self) -> Box<dyn Iterator<Item = RequestRecord> + '_>;
}

impl Records for [RequestRecord] {
    fn each(&self) -> Box<dyn Iterator<Item = RequestRecord> + '_> {
        Box::new(self.iter().copied())
    }
}

impl<const N: usize> Records for [RequestRecord; N] {
    fn each(&self) -> Box<dyn Iterator<Item = RequestRecord> + '_> {
        Box::new(self.iter().copied())
    }
}

impl Records for Vec<RequestRecord> {
    fn each(&self) -> Box<dyn Iterator<Item = RequestRecord> + '_> {
        Box::new(self.iter().copied())
    }
}
