//! Priority, as in Past-Future (docs/paper.md §1.3): one shared pool; short requests have high
//! priority, long-input requests low priority. Short requests are placed first (in arrival
//! order); a long request is placed only when no short request waits in the global queue, on
//! replicas chosen by [`PriorityPlacement`] — it runs on capacity short work leaves over, so
//! under sustained short load it starves, which is measured, not hidden.
use super::placement::working::{LongCandidates, Working};
use super::{Decision, EngineRules, LongStatus, Policy, PolicyKind, ReplicaInfo, View};
use crate::metrics::Class;

/// Which replicas a low-priority (long) request may take (the paper does not say).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum PriorityPlacement {
    /// Replicas free of long work with no short request queued: no high-priority request waits
    /// there (running short work continues). The default: a priority scheduler serves a
    /// low-priority request as soon as no higher-priority one is waiting, which is what
    /// docs/paper.md §1.3 describes; see ARCHITECTURE.md.
    #[default]
    NoQueuedShortWork,
    /// Only completely idle replicas (nothing queued or running, no long request): long
    /// requests run on spare capacity only.
    CompletelyIdle,
}

impl PriorityPlacement {
    /// Every rule, default first.
    pub const ALL: [PriorityPlacement; 2] = [
        PriorityPlacement::NoQueuedShortWork,
        PriorityPlacement::CompletelyIdle,
    ];

    /// The rule's id in scenario files, links and flags.
    pub fn id(self) -> &'static str {
        match self {
            PriorityPlacement::NoQueuedShortWork => "no-queued-short-work",
            PriorityPlacement::CompletelyIdle => "completely-idle",
        }
    }

    /// The rule with this id.
    pub fn from_id(id: &str) -> Option<PriorityPlacement> {
        Self::ALL.into_iter().find(|p| p.id() == id)
    }

    /// Whether replica `r` may take a long request under this rule.
    pub fn admits(self, r: &ReplicaInfo) -> bool {
        !r.decode_only
            && match self {
                PriorityPlacement::NoQueuedShortWork => {
                    r.long == LongStatus::Free && r.queued_tokens == 0
                }
                PriorityPlacement::CompletelyIdle => r.idle(),
            }
    }
}

/// The priority policy.
#[derive(Clone, Copy, Debug, Default)]
pub struct Priority {
    /// Which replicas a long request may take.
    pub placement: PriorityPlacement,
}

impl Policy for Priority {
    fn kind(&self) -> PolicyKind {
        PolicyKind::Priority
    }

    fn rules(&self) -> EngineRules {
        EngineRules::BASELINE
    }

    fn dispatch(&mut self, view: &View<'_>, out: &mut Vec<Decision>) {
        // The working copy reads replicas through the engine's indexes (not a snapshot of
        // every replica): shorts walk the free and decoding slots; a long request reads only
        // the long-free replicas with empty queues, the only ones either rule admits.
        let mut w = Working::new(view);
        let short_ok = |l: LongStatus| matches!(l, LongStatus::Free | LongStatus::Decoding);
        for req in view.queue(Class::Short) {
            let placed = w.place_short(req, |l, _| short_ok(l), |r| short_ok(r.long));
            // A short request waits: no long request may take capacity before it.
            let Some(d) = placed else { return };
            out.push(d);
        }
        let placement = self.placement;
        for req in view.queue(Class::Long) {
            let placed = w.place_long(req, LongCandidates::FreeUpTo(0), |r| placement.admits(r));
            let Some(d) = placed else { return };
            out.push(d);
        }
    }
}
