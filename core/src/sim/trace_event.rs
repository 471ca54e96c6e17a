//! The recorded timeline of one or more runs as Chrome trace-event JSON (the format Perfetto
//! and `chrome://tracing` open): one process per node of each run, one thread per replica;
//! complete (`X`) slices for the work each replica ran, instant (`i`) events for preemptions
//! and KV hand-overs, counter (`C`) tracks of each replica's queue length and KV use.
//! Timestamps are microseconds of simulated time.

use super::timeline::{MarkKind, SpanKind, Timeline};
use serde_json::{Value, json};

/// Process ids of one run are `run × PID_STRIDE + node`.
pub const PID_STRIDE: u32 = 10_000;

/// Builds one trace file from the timelines of several runs (e.g. one per policy).
#[derive(Debug, Default)]
pub struct TraceEvents {
    events: Vec<Value>,
    runs: u32,
    truncated: Vec<String>,
}

fn micros(ns: u64) -> f64 {
    ns as f64 / 1e3
}

fn span_name(kind: SpanKind) -> &'static str {
    match kind {
        SpanKind::ShortPrefill => "short prefill",
        SpanKind::ShortDecode => "short decode",
        SpanKind::Mixed => "short prefill + decode",
        SpanKind::LongPrefill => "long prefill",
        SpanKind::LongDecode => "long decode",
        SpanKind::Colocated => "long decode + colocated short prefill",
        SpanKind::Paused => "long request paused",
    }
}

impl TraceEvents {
    /// An empty trace.
    pub fn new() -> TraceEvents {
        TraceEvents::default()
    }

    /// Adds the timeline of one run, labelled `label` (e.g. the policy id), on a cluster of
    /// `replicas` replicas, `replicas_per_node` per node (every replica gets a named track,
    /// idle or not).
    pub fn add_run(
        &mut self,
        label: &str,
        timeline: &Timeline,
        replicas_per_node: u32,
        replicas: u32,
    ) {
        let run = self.runs;
        self.runs += 1;
        if timeline.truncated {
            self.truncated.push(label.to_string());
        }
        let per_node = replicas_per_node.max(1);
        let pid = |replica: u32| run * PID_STRIDE + replica / per_node;
        let mut replicas: Vec<u32> = timeline
            .spans
            .iter()
            .map(|s| s.replica)
            .chain(timeline.marks.iter().map(|m| m.replica))
            .chain(timeline.samples.iter().map(|s| s.replica))
            .chain(0..replicas)
            .collect();
        replicas.sort_unstable();
        replicas.dedup();
        let mut nodes: Vec<u32> = replicas.iter().map(|&r| r / per_node).collect();
        nodes.dedup();
        for &node in &nodes {
            self.events.push(json!({
                "ph": "M", "name": "process_name", "pid": run * PID_STRIDE + node, "tid": 0,
                "args": { "name": format!("{label} · node {node}") },
            }));
            self.events.push(json!({
                "ph": "M", "name": "process_sort_index", "pid": run * PID_STRIDE + node,
                "tid": 0, "args": { "sort_index": run * PID_STRIDE + node },
            }));
        }
        for &r in &replicas {
            self.events.push(json!({
                "ph": "M", "name": "thread_name", "pid": pid(r), "tid": r,
                "args": { "name": format!("replica {r}") },
            }));
        }
        let mut spans = timeline.spans.clone();
        // Per track, by start; a longer span first so that nested slices follow their parent.
        spans.sort_by_key(|s| (s.replica, s.start, std::cmp::Reverse(s.end)));
        for s in &spans {
            let mut args = serde_json::Map::new();
            if let Some(req) = s.req {
                args.insert("long_request".into(), json!(req));
            }
            args.insert("short_prefill_tokens".into(), json!(s.tokens));
            self.events.push(json!({
                "ph": "X", "name": span_name(s.kind), "cat": "work",
                "pid": pid(s.replica), "tid": s.replica,
                "ts": micros(s.start.0), "dur": micros(s.end.0 - s.start.0),
                "args": args,
            }));
        }
        for m in &timeline.marks {
            let (name, args) = match m.kind {
                MarkKind::Preempted { req } => ("preempted", json!({ "long_request": req })),
                MarkKind::HandoverOut { req, to } => (
                    "KV hand-over out",
                    json!({ "request": req, "to_replica": to }),
                ),
                MarkKind::HandoverIn { req } => ("KV hand-over in", json!({ "request": req })),
            };
            self.events.push(json!({
                "ph": "i", "s": "t", "name": name, "cat": "event",
                "pid": pid(m.replica), "tid": m.replica, "ts": micros(m.at.0), "args": args,
            }));
        }
        for s in &timeline.samples {
            self.events.push(json!({
                "ph": "C", "name": format!("replica {} queue", s.replica),
                "pid": pid(s.replica), "tid": s.replica, "ts": micros(s.at.0),
                "args": { "queued_requests": s.queued },
            }));
            self.events.push(json!({
                "ph": "C", "name": format!("replica {} KV", s.replica),
                "pid": pid(s.replica), "tid": s.replica, "ts": micros(s.at.0),
                "args": { "kv_tokens_used": s.kv_used },
            }));
        }
    }

    /// The trace-event JSON text (`{"traceEvents": [...], "displayTimeUnit": "ms", …}`).
    pub fn finish(self) -> String {
        json!({
            "traceEvents": self.events,
            "displayTimeUnit": "ms",
            "otherData": {
                "source": "PecSched simulator (simulated time, microseconds)",
                "truncated_runs": self.truncated,
            },
        })
        .to_string()
    }
}
