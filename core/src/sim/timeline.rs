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

/// The recorded spans. Recording stops at the cap, with `truncated` set.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Timeline {
    /// Spans in the order they ended.
    pub spans: Vec<Span>,
    /// Whether spans were dropped because the cap was reached.
    pub truncated: bool,
    /// Most spans kept (0 = recording off).
    pub cap: u32,
}

impl Timeline {
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
