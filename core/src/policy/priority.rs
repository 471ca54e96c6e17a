//! Priority, as in Past-Future (paper §1.3): one shared pool; short requests have high
//! priority, long-input requests low priority. Short requests are placed first (in arrival
//! order); a long request is placed only when no short request waits and enough replicas are
//! completely idle — it runs on spare capacity only, so under sustained short load it starves,
//! which is measured, not hidden.

use super::placement::{place_long, place_short};
use super::{Decision, EngineRules, LongStatus, Policy, PolicyKind, View};
use crate::metrics::Class;

/// The priority policy.
#[derive(Clone, Copy, Debug, Default)]
pub struct Priority;

impl Policy for Priority {
    fn kind(&self) -> PolicyKind {
        PolicyKind::Priority
    }

    fn rules(&self) -> EngineRules {
        EngineRules::BASELINE
    }

    fn dispatch(&mut self, view: &View<'_>, out: &mut Vec<Decision>) {
        let mut infos: Vec<_> = view.replicas().collect();
        for req in view.queue(Class::Short) {
            let placed = place_short(view, req, &mut infos, |r| {
                matches!(r.long, LongStatus::Free | LongStatus::Decoding)
            });
            // A short request waits: no long request may take capacity before it.
            let Some(d) = placed else { return };
            out.push(d);
        }
        for req in view.queue(Class::Long) {
            let placed = place_long(view, req, &mut infos, |r| !r.decode_only && r.idle());
            let Some(d) = placed else { return };
            out.push(d);
        }
    }
}
