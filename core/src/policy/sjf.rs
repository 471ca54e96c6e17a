//! Shortest-job-first by input length: the classic size-based discipline (Schrage's SRPT
//! family; in LLM serving the baseline of "Efficient LLM Scheduling by Learning to Rank", Fu
//! et al., NeurIPS'24, §2, which notes input length is known at arrival while output length is
//! not). Every request leaves the global queue in order of its input tokens (ties by arrival),
//! over the common dispatch and placement of every policy ([`super::ranked`]); the engine's
//! rules are the baselines' (a long prefill runs exclusively on its group, ring attention).
//!
//! What is ordered is the global queue: a replica's local queue stays FIFO (the engine's one
//! discipline), so the order shows when requests wait in the global queue — when every
//! replica's local queue is at its cap (ARCHITECTURE.md, "Decisions": SJF and learning-to-rank
//! order the global queue).

use super::ranked::RankedQueue;
use super::{Decision, EngineRules, Policy, PolicyKind, View};

/// The shortest-job-first policy.
#[derive(Clone, Debug, Default)]
pub struct Sjf {
    queue: RankedQueue,
}

impl Policy for Sjf {
    fn kind(&self) -> PolicyKind {
        PolicyKind::Sjf
    }

    fn rules(&self) -> EngineRules {
        EngineRules::BASELINE
    }

    fn dispatch(&mut self, view: &View<'_>, out: &mut Vec<Decision>) {
        self.queue
            .dispatch(view, out, |v, req| u64::from(v.request(req).input_tokens));
    }
}
