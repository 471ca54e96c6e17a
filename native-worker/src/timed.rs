//! Wall-clock timing of scheduling decisions. The core has no clock, so the worker wraps a
//! policy and measures each `dispatch` call around it.

use pecsched_core::policy::{Decision, Policy, PolicyKind, View};
use pecsched_core::sim::config::EngineRules;
use std::cell::RefCell;
use std::rc::Rc;
use std::time::Instant;

/// Per-request decision times, in nanoseconds: (request id, time of the call that placed it
/// divided by the decisions that call made).
pub type Samples = Rc<RefCell<Vec<(u32, u64)>>>;

/// A policy whose `dispatch` calls are timed.
pub struct Timed {
    inner: Box<dyn Policy>,
    samples: Samples,
}

impl Timed {
    /// Wraps `inner`; decision times go to `samples`.
    pub fn new(inner: Box<dyn Policy>, samples: Samples) -> Timed {
        Timed { inner, samples }
    }
}

impl Policy for Timed {
    fn kind(&self) -> PolicyKind {
        self.inner.kind()
    }

    fn rules(&self) -> EngineRules {
        self.inner.rules()
    }

    fn init(&mut self, view: &View<'_>) {
        self.inner.init(view);
    }

    fn dispatch(&mut self, view: &View<'_>, out: &mut Vec<Decision>) {
        let before = out.len();
        let t = Instant::now();
        self.inner.dispatch(view, out);
        let ns = t.elapsed().as_nanos() as u64;
        let made = (out.len() - before) as u64;
        if let Some(share) = ns.checked_div(made) {
            let mut s = self.samples.borrow_mut();
            for d in &out[before..] {
                let req = match d {
                    Decision::Short { req, .. } | Decision::Long { req, .. } => *req,
                };
                s.push((req, share));
            }
        }
    }
}
