//! The colocation cap a scenario's engine would derive (docs/paper.md §2.6), for display: the
//! explorer shows it beside the colocation knob, so a reader sees the number the engine uses
//! without running anything.

use super::{Scenario, ScenarioError};
use crate::perf::SpGroup;
use crate::policy::ColocationCap;
use crate::policy::RESERVED_FOR_OUTPUT_TOKENS;
use crate::sched::colocation::DEFAULT_MAX_SLOWDOWN_PERMILLE;
use crate::workload::LONG_INPUT_DEFAULTS;

/// The derived colocation cap for one representative long request.
#[derive(Clone, Debug, PartialEq)]
pub struct DerivedCap {
    /// Input tokens of the request.
    pub input_tokens: u32,
    /// The group the engine gives it (its size by the engine's rule, packed same node first).
    pub group: SpGroup,
    /// The slowdown bound the cap keeps a long-decode step within, ‰.
    pub max_slowdown_permille: u32,
    /// The cap: short-prefill tokens per GPU in one long-decode step.
    pub tokens_per_gpu: u32,
}

impl Scenario {
    /// The colocation cap the engine derives (`ColocationCap::Derived`) for the long-input
    /// transform's smallest and largest inputs (without the transform, its defaults: 100K and
    /// 500K tokens), each on the group the engine gives it (`sizing().group_size`, output
    /// [`RESERVED_FOR_OUTPUT_TOKENS`]; packed same node first), with the engine's KV share
    /// (input + 1 tokens over the group at the first decode step). The bound is the
    /// scenario's; a scenario with a fixed cap gets the default bound, for comparison.
    pub fn derived_colocation_caps(&self) -> Result<Vec<DerivedCap>, ScenarioError> {
        let max_slowdown_permille = match self.knobs().colocation_cap {
            ColocationCap::Derived {
                max_slowdown_permille,
            } => max_slowdown_permille,
            ColocationCap::Fixed { .. } => DEFAULT_MAX_SLOWDOWN_PERMILLE,
        };
        let rule = ColocationCap::Derived {
            max_slowdown_permille,
        };
        let (lo, hi) = match self.long_input() {
            Some(l) => (l.min_tokens, l.max_tokens),
            None => (LONG_INPUT_DEFAULTS.1, LONG_INPUT_DEFAULTS.2),
        };
        let sizing = self.sizing()?;
        let perf = self.perf_model()?;
        let per_node = self.cluster().gpus_per_node / self.tp();
        let mut inputs = vec![lo, hi];
        inputs.dedup();
        Ok(inputs
            .into_iter()
            .map(|input_tokens| {
                let k = sizing.group_size(input_tokens, RESERVED_FOR_OUTPUT_TOKENS);
                let group = SpGroup::packed(k, per_node);
                DerivedCap {
                    input_tokens,
                    tokens_per_gpu: rule.tokens_per_gpu(&perf, input_tokens as u64, &group),
                    group,
                    max_slowdown_permille,
                }
            })
            .collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sched::colocation::colocation_cap_tokens_per_gpu;

    #[test]
    fn the_default_scenario_shows_the_engines_cap_for_its_smallest_and_largest_long_input() {
        let s = Scenario::default_scenario();
        let caps = s.derived_colocation_caps().unwrap();
        let inputs: Vec<_> = caps.iter().map(|c| c.input_tokens).collect();
        assert_eq!(inputs, [100_000, 500_000]);
        let perf = s.perf_model().unwrap();
        for c in &caps {
            let k = s
                .sp_degree_for(c.input_tokens, RESERVED_FOR_OUTPUT_TOKENS)
                .unwrap();
            assert_eq!(c.group, SpGroup::packed(k, 2));
            let kv = (c.input_tokens as u64 + 1).div_ceil(k as u64);
            assert_eq!(
                c.tokens_per_gpu,
                colocation_cap_tokens_per_gpu(&perf, kv, &c.group, DEFAULT_MAX_SLOWDOWN_PERMILLE)
            );
            assert_eq!(c.max_slowdown_permille, DEFAULT_MAX_SLOWDOWN_PERMILLE);
        }
        // A looser bound never lowers the cap; a fixed cap shows the default bound's.
        let mut w = s.to_wire();
        let knobs = w.knobs.as_mut().unwrap();
        knobs.colocation_cap = ColocationCap::Derived {
            max_slowdown_permille: 500,
        };
        let loose = Scenario::from_wire(&w).unwrap().derived_colocation_caps();
        for (a, b) in caps.iter().zip(loose.unwrap()) {
            assert!(b.tokens_per_gpu >= a.tokens_per_gpu && b.max_slowdown_permille == 500);
        }
        w.knobs.as_mut().unwrap().colocation_cap = ColocationCap::Fixed {
            tokens_per_gpu: 512,
        };
        let fixed = Scenario::from_wire(&w).unwrap().derived_colocation_caps();
        assert_eq!(fixed.unwrap(), caps);
    }
}
