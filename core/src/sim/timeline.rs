//! An optional, bounded record of what each replica executed and when, for Gantt charts.

use crate::time::SimTime;
use serde::{Deserialize, Serialize};

/// What a replica was doing during a span.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum SpanKind {
    /// Short-request prefill chunks only.
    ShortPrefill,
    /// Short-request decode steps only.
    ShortDecode,
    /// Short prefill chunks batched with short decodes.
    Mixed,
    /// A slice of a long request's prefill (sequence parallel over its group).
    LongPrefill,
    /// A long request's decode steps.
    LongDecode,
    /// A long decode step with short prefills colocated on this replica.
    Colocated,
    /// A long request's prefill or decode is suspended here (short work runs instead).
    Paused,
}

/// One interval of work on one replica.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Span {
    /// Replica index.
    pub replica: u32,
    /// Start of the span.
    pub start: SimTime,
    /// End of the span.
    pub end: SimTime,
    /// What ran.
    pub kind: SpanKind,
    /// The long request involved, if any.
    pub req: Option<u32>,
    /// Short prefill tokens processed in the span.
    pub tokens: u32,
}

/// Something that happened at an instant on a replica.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum MarkKind {
    /// The long request's prefill or decode on this replica's group was paused for short
    /// work (a preemption).
    Preempted {
        /// The long request.
        req: u32,
    },
    /// A finished short prefill's KV left this replica for decode replica `to`.
    HandoverOut {
        /// The short request.
        req: u32,
        /// Destination decode replica.
        to: u32,
    },
    /// A short request's KV arrived on this decode replica.
    HandoverIn {
        /// The short request.
        req: u32,
    },
}

/// An instant event on one replica.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Mark {
    /// Replica index.
    pub replica: u32,
    /// When.
    pub at: SimTime,
    /// What happened.
    pub kind: MarkKind,
}

/// A replica's queue and KV use at an instant (sampled when an iteration starts or ends).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Sample {
    /// Replica index.
    pub replica: u32,
    /// When.
    pub at: SimTime,
    /// Requests in its local queue.
    pub queued: u32,
    /// KV tokens in use (reserved) on it.
    pub kv_used: u64,
}

/// A short request's prefix-cache lookup at admission (recorded with prefix caching only):
/// the data of the explorer's hit rate over time per replica.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct HitSample {
    /// Replica that admitted it.
    pub replica: u32,
    /// When.
    pub at: SimTime,
    /// Its prompt tokens.
    pub prompt_tokens: u32,
    /// Of those, found in the replica's prefix cache.
    pub cached_tokens: u32,
}

/// The recorded spans, instants and samples. Each list stops at the cap, with `truncated`
/// set.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Timeline {
    /// Spans in the order they ended.
    pub spans: Vec<Span>,
    /// Preemptions and KV hand-overs, in time order.
    #[serde(default)]
    pub marks: Vec<Mark>,
    /// Queue length and KV use per replica, in time order.
    #[serde(default)]
    pub samples: Vec<Sample>,
    /// Prefix-cache lookups of short requests, in time order (prefix caching only).
    #[serde(default)]
    pub hits: Vec<HitSample>,
    /// Whether spans, marks or samples were dropped because the cap was reached.
    pub truncated: bool,
    /// Most spans (and most marks, and most samples) kept (0 = recording off).
    pub cap: u32,
    /// Whether marks and samples are recorded too (spans only otherwise).
    #[serde(default)]
    pub detail: bool,
}

impl Timeline {
    /// Whether marks and samples are recorded.
    pub(crate) fn on(&self) -> bool {
        self.cap > 0 && self.detail
    }

    /// Records an instant event.
    pub(crate) fn mark(&mut self, replica: u32, at: SimTime, kind: MarkKind) {
        if !self.on() {
            return;
        }
        if self.marks.len() as u32 >= self.cap {
            self.truncated = true;
            return;
        }
        self.marks.push(Mark { replica, at, kind });
    }

    /// Records a short request's prefix-cache lookup.
    pub(crate) fn hit(&mut self, s: HitSample) {
        if !self.on() {
            return;
        }
        if self.hits.len() as u32 >= self.cap {
            self.truncated = true;
            return;
        }
        self.hits.push(s);
    }

    /// Records a replica's queue length and KV use (one sample per replica and instant: a
    /// later sample at the same instant replaces it).
    pub(crate) fn sample(&mut self, replica: u32, at: SimTime, queued: u32, kv_used: u64) {
        if !self.on() {
            return;
        }
        let s = Sample {
            replica,
            at,
            queued,
            kv_used,
        };
        if let Some(last) = self
            .samples
            .iter_mut()
            .rev()
            .take(64)
            .find(|x| x.replica == replica)
        {
            if last.at == at {
                *last = s;
                return;
            }
            if (last.queued, last.kv_used) == (queued, kv_used) {
                return;
            }
        }
        if self.samples.len() as u32 >= self.cap {
            self.truncated = true;
            return;
        }
        self.samples.push(s);
    }

    /// Records a span, merging it into the previous span of the same replica when they touch
    /// and have the same kind and request (consecutive decode steps become one span).
    pub(crate) fn push(&mut self, span: Span) {
        if self.cap == 0 || span.end <= span.start {
            return;
        }
        if let Some(last) = self
            .spans
            .iter_mut()
            .rev()
            .take(64)
            .find(|s| s.replica == span.replica)
            && last.end == span.start
            && last.kind == span.kind
            && last.req == span.req
        {
            last.end = span.end;
            last.tokens = last.tokens.saturating_add(span.tokens);
            return;
        }
        if self.spans.len() as u32 >= self.cap {
            self.truncated = true;
            return;
        }
        self.spans.push(span);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn span(replica: u32, a: u64, b: u64, kind: SpanKind) -> Span {
        Span {
            replica,
            start: SimTime(a),
            end: SimTime(b),
            kind,
            req: None,
            tokens: 1,
        }
    }

    #[test]
    fn touching_spans_merge_and_the_cap_truncates() {
        let mut t = Timeline {
            cap: 2,
            ..Timeline::default()
        };
        t.push(span(0, 0, 5, SpanKind::ShortDecode));
        t.push(span(1, 0, 5, SpanKind::ShortDecode));
        t.push(span(0, 5, 9, SpanKind::ShortDecode));
        assert_eq!(t.spans.len(), 2);
        assert_eq!((t.spans[0].end, t.spans[0].tokens), (SimTime(9), 2));
        t.push(span(0, 9, 12, SpanKind::Mixed));
        assert!(t.truncated);
        let mut off = Timeline::default();
        off.push(span(0, 0, 5, SpanKind::Mixed));
        assert!(off.spans.is_empty());
    }
}
