//! Learning-to-rank scheduling (Fu et al., "Efficient LLM Scheduling by Learning to Rank",
//! NeurIPS'24): a small model ranks waiting requests by their predicted generation length and
//! the scheduler serves the shortest predicted first, approximating shortest-job-first on the
//! unknown output length. We do not train a ranker: the estimate is the true output length
//! times a log-normal error, `output × exp(σ·Z)`, `Z` standard normal, σ the named knob
//! `rank_noise_sigma` (scenario field `policy_params.rank_noise_sigma`, default 1;
//! ARCHITECTURE.md, "Decisions"). σ = 0 is an oracle; a larger σ a worse ranker. Each
//! request's error is drawn from its own seeded stream (`rank-noise/<id>`), so it does not
//! depend on when the request is first seen.
//!
//! Dispatch, placement and engine rules are SJF's ([`super::ranked`], [`super::Sjf`]): the
//! global queue is served in estimate order.

use super::ranked::RankedQueue;
use super::{Decision, EngineRules, Policy, PolicyKind, View};
use crate::rng::SimRng;

/// The learning-to-rank policy.
#[derive(Clone, Debug)]
pub struct LearnedRank {
    queue: RankedQueue,
    /// Sigma of the log-normal estimate error, in thousandths.
    pub sigma_milli: u32,
    /// The scenario's seed.
    pub seed: u64,
}

impl LearnedRank {
    /// The policy with estimate error `sigma_milli` / 1000 and draws from `seed`.
    pub fn new(sigma_milli: u32, seed: u64) -> LearnedRank {
        LearnedRank {
            queue: RankedQueue::default(),
            sigma_milli,
            seed,
        }
    }

    /// The output-length estimate of request `id` with `output_tokens` output tokens.
    pub fn estimate(&self, id: u32, output_tokens: u32) -> f64 {
        let sigma = f64::from(self.sigma_milli) / 1000.0;
        let z = SimRng::new(self.seed, &format!("rank-noise/{id}")).standard_normal();
        f64::from(output_tokens) * libm::exp(sigma * z)
    }
}

impl Policy for LearnedRank {
    fn kind(&self) -> PolicyKind {
        PolicyKind::LearnedRank
    }

    fn rules(&self) -> EngineRules {
        EngineRules::BASELINE
    }

    fn dispatch(&mut self, view: &View<'_>, out: &mut Vec<Decision>) {
        let (sigma_milli, seed) = (self.sigma_milli, self.seed);
        let me = LearnedRank::new(sigma_milli, seed);
        self.queue.dispatch(view, out, |v, req| {
            // A positive finite f64's bits order as the number does.
            me.estimate(req, v.request(req).output_tokens).to_bits()
        });
    }
}
