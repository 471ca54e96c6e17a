//! Turning the core's timeline spans into drawable bars for a time window: spans are clipped
//! to the window and merged at pixel resolution, so a zoomed-out view of 60,000 spans draws
//! at most a few bars per pixel column, and a zoomed-in one draws every span.

use pecsched_core::sim::timeline::{Span, SpanKind};
use pecsched_core::time::SimTime;

use super::scale::Scale;

/// Bars closer than this (pixels) merge when they have the same kind; bars narrower than
/// this merge into their neighbour whatever their kind.
pub const MERGE_PX: f64 = 0.75;

/// Which part of a replica's row a bar occupies.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Lane {
    /// The work the replica runs (upper part of the row).
    Work,
    /// A long request suspended on the replica (a strip at the bottom of the row).
    Paused,
}

/// Which lane a kind of span is drawn in.
pub fn lane(k: SpanKind) -> Lane {
    if k == SpanKind::Paused {
        Lane::Paused
    } else {
        Lane::Work
    }
}

/// One rectangle to draw.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Bar {
    /// Replica (row).
    pub replica: u32,
    /// Lane within the row.
    pub lane: Lane,
    /// Left edge, pixels.
    pub x0: f64,
    /// Right edge, pixels.
    pub x1: f64,
    /// Kind (of the first span merged into it).
    pub kind: SpanKind,
}

/// Seconds of simulated time of an instant.
fn secs(t: SimTime) -> f64 {
    t.as_secs_f64()
}

/// The bars of `spans` within `[t0, t1]` seconds on replicas `< rows`, on time scale `x`.
pub fn bars(spans: &[Span], rows: u32, t0: f64, t1: f64, x: &Scale) -> Vec<Bar> {
    let mut visible: Vec<&Span> = spans
        .iter()
        .filter(|s| s.replica < rows && secs(s.end) > t0 && secs(s.start) < t1)
        .collect();
    visible.sort_by_key(|s| (s.replica, lane(s.kind) == Lane::Paused, s.start));
    let mut out: Vec<Bar> = Vec::new();
    for s in visible {
        let a = x.map(secs(s.start).max(t0));
        let b = x.map(secs(s.end).min(t1));
        let l = lane(s.kind);
        if let Some(last) = out.last_mut()
            && last.replica == s.replica
            && last.lane == l
            && a <= last.x1 + MERGE_PX
            && (last.kind == s.kind || b - a < MERGE_PX || last.x1 - last.x0 < MERGE_PX)
        {
            last.x1 = last.x1.max(b);
            continue;
        }
        out.push(Bar {
            replica: s.replica,
            lane: l,
            x0: a,
            x1: b,
            kind: s.kind,
        });
    }
    out
}

/// The span under the cursor: on `replica`, at `t` seconds, in `lane` if one is there, else
/// in the other lane.
pub fn span_at(spans: &[Span], replica: u32, t: f64, prefer: Lane) -> Option<&Span> {
    let hits = spans
        .iter()
        .filter(|s| s.replica == replica && secs(s.start) <= t && t < secs(s.end));
    let mut other = None;
    for s in hits {
        if lane(s.kind) == prefer {
            return Some(s);
        }
        other = Some(s);
    }
    other
}

/// The end of the last span, seconds (the full view's right edge).
pub fn end_s(spans: &[Span]) -> f64 {
    spans.iter().map(|s| secs(s.end)).fold(0.0, f64::max)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn span(replica: u32, a: f64, b: f64, kind: SpanKind) -> Span {
        Span {
            replica,
            start: SimTime((a * 1e9) as u64),
            end: SimTime((b * 1e9) as u64),
            kind,
            req: None,
            tokens: 0,
        }
    }

    #[test]
    fn wide_spans_stay_apart_and_narrow_ones_merge() {
        let x = Scale::linear(0.0, 100.0, 0.0, 100.0);
        let spans = [
            span(0, 0.0, 10.0, SpanKind::ShortPrefill),
            span(0, 10.0, 20.0, SpanKind::LongPrefill),
            span(0, 20.0, 20.1, SpanKind::ShortDecode),
            span(0, 20.1, 20.2, SpanKind::ShortPrefill),
            span(0, 5.0, 15.0, SpanKind::Paused),
            span(1, 50.0, 150.0, SpanKind::LongDecode),
            span(9, 0.0, 1.0, SpanKind::Mixed),
        ];
        let b = bars(&spans, 2, 0.0, 100.0, &x);
        let kinds: Vec<_> = b.iter().map(|b| (b.replica, b.kind, b.x0, b.x1)).collect();
        assert_eq!(
            kinds,
            vec![
                (0, SpanKind::ShortPrefill, 0.0, 10.0),
                (0, SpanKind::LongPrefill, 10.0, 20.2),
                (0, SpanKind::Paused, 5.0, 15.0),
                (1, SpanKind::LongDecode, 50.0, 100.0),
            ]
        );
    }

    #[test]
    fn hover_finds_the_span_of_the_lane() {
        let spans = [
            span(0, 0.0, 10.0, SpanKind::ShortPrefill),
            span(0, 5.0, 15.0, SpanKind::Paused),
        ];
        assert_eq!(
            span_at(&spans, 0, 6.0, Lane::Paused).unwrap().kind,
            SpanKind::Paused
        );
        assert_eq!(
            span_at(&spans, 0, 6.0, Lane::Work).unwrap().kind,
            SpanKind::ShortPrefill
        );
        assert_eq!(
            span_at(&spans, 0, 12.0, Lane::Work).unwrap().kind,
            SpanKind::Paused
        );
        assert!(span_at(&spans, 1, 6.0, Lane::Work).is_none());
        assert_eq!(end_s(&spans), 15.0);
    }
}
