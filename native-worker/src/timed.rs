//! Wall-clock timing of scheduling decisions. The core has no clock, so the worker wraps a
//! policy and measures each `dispatch` call around it.

use pecsched_core::metrics::{Class, RequestRecord};
use pecsched_core::policy::{Decision, EngineRules, Policy, PolicyKind, View};
use std::cell::RefCell;
use std::rc::Rc;
use std::time::Instant;

/// Per-request decision times, in nanoseconds: (request id, time of the call that placed it
/// divided by the decisions that call made).
pub type Samples = Rc<RefCell<Vec<(u32, u64)>>>;

/// Where a [`Timed`] policy's decision times go.
pub trait DecisionLog {
    /// One decision: request `req` of `class`, charged `ns` nanoseconds.
    fn record(&mut self, req: u32, class: Class, ns: u64);
}

impl DecisionLog for Vec<(u32, u64)> {
    fn record(&mut self, req: u32, _class: Class, ns: u64) {
        self.push((req, ns));
    }
}

/// A policy whose `dispatch` calls are timed: each decision of a call is charged the call's
/// time divided by the decisions it made, into a shared log `L`.
pub struct Timed<L: DecisionLog> {
    inner: Box<dyn Policy>,
    log: Rc<RefCell<L>>,
}

impl<L: DecisionLog> Timed<L> {
    /// Wraps `inner`; decision times go to `log`.
    pub fn new(inner: Box<dyn Policy>, log: Rc<RefCell<L>>) -> Timed<L> {
        Timed { inner, log }
    }
}

impl<L: DecisionLog> Policy for Timed<L> {
    fn kind(&self) -> PolicyKind {
        self.inner.kind()
    }

    fn rules(&self) -> EngineRules {
        self.inner.rules()
    }

    fn init(&mut self, view: &View<'_>) {
        self.inner.init(view);
    }

    fn prepare(&mut self, perf: &pecsched_core::perf::PerfModel) {
        self.inner.prepare(perf);
    }

    // Every default method is forwarded: a wrapper that kept a default would change the
    // policy (a reserved pool's too-large requests would wait instead of being rejected).
    fn long_group_limit(&self) -> Option<u32> {
        self.inner.long_group_limit()
    }

    fn takes_short_on(&self, replica: u32) -> bool {
        self.inner.takes_short_on(replica)
    }

    fn dispatch(&mut self, view: &View<'_>, out: &mut Vec<Decision>) {
        let before = out.len();
        let t = Instant::now();
        self.inner.dispatch(view, out);
        let ns = t.elapsed().as_nanos() as u64;
        let made = (out.len() - before) as u64;
        if let Some(share) = ns.checked_div(made) {
            let mut log = self.log.borrow_mut();
            for d in &out[before..] {
                let req = match d {
                    Decision::Short { req, .. } | Decision::Long { req, .. } => *req,
                };
                log.record(req, view.class(req), share);
            }
        }
    }
}

/// Decision times of one class: sorted nanoseconds, and sorted decision time ÷ JCT ratios (over
/// requests that completed).
#[derive(Default)]
pub struct ClassTimes {
    /// Decision times, nanoseconds, ascending.
    pub ns: Vec<u64>,
    /// Decision time ÷ JCT, ascending.
    pub ratio: Vec<f64>,
}

/// Splits `samples` by the class of their request: `[short, long]`.
pub fn by_class(records: &[RequestRecord], samples: &[(u32, u64)]) -> [ClassTimes; 2] {
    let mut out: [ClassTimes; 2] = Default::default();
    for &(req, d) in samples {
        let r = &records[req as usize];
        let c = &mut out[(r.class == Class::Long) as usize];
        c.ns.push(d);
        if let Some(j) = r.jct_ns().filter(|&j| j > 0) {
            c.ratio.push(d as f64 / j as f64);
        }
    }
    for c in out.iter_mut() {
        c.ns.sort_unstable();
        c.ratio.sort_by(f64::total_cmp);
    }
    out
}

/// Nearest-rank 99th percentile of ascending values (0 when empty).
pub fn p99(sorted: &[f64]) -> f64 {
    pecsched_core::stats::nearest_rank(sorted, 99.0).unwrap_or(0.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A policy whose default methods all answer something other than their defaults.
    struct Pool;

    impl Policy for Pool {
        fn kind(&self) -> PolicyKind {
            PolicyKind::Reservation
        }
        fn rules(&self) -> EngineRules {
            EngineRules::BASELINE
        }
        fn dispatch(&mut self, _view: &View<'_>, _out: &mut Vec<Decision>) {}
        fn long_group_limit(&self) -> Option<u32> {
            Some(3)
        }
        fn takes_short_on(&self, replica: u32) -> bool {
            replica >= 3
        }
    }

    #[test]
    fn timing_a_policy_does_not_change_what_it_answers() {
        let timed = Timed::new(Box::new(Pool), Samples::default());
        assert_eq!(timed.kind(), PolicyKind::Reservation);
        assert_eq!(timed.long_group_limit(), Some(3));
        assert!(!timed.takes_short_on(0));
        assert!(timed.takes_short_on(3));
    }
}
