//! Setting one parameter of issue 18's policies in a scenario's wire form — what the command
//! line's flags and the explorer's fields both do. A field whose parameters are all back at
//! their defaults is removed again (`None`), so links stay as short as before. Values are
//! checked when the wire is validated ([`super::Scenario::from_wire`]), naming the field.

use super::extra_wire::{ElasticSpWire, MedhaParamsWire, PolicyParamsWire};
use super::wire::ScenarioWire;

/// One parameter of issue 18's policies.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PolicyParam {
    /// Learning-to-rank: σ of the log-normal error of the output-length estimate.
    RankNoiseSigma,
    /// Chunked prefill and Medha's largest chunk: prompt tokens per member per step.
    ChunkTokensPerMember,
    /// DistServe: the decode pool's share of the replicas.
    PdDecodeShare,
    /// Medha: the longest a long-prefill step may take, seconds (0 or less: the short class's
    /// TBT SLO, the default).
    MedhaStepTargetS,
    /// Medha: the smallest chunk, prompt tokens per member.
    MedhaMinChunkTokensPerMember,
    /// LoongServe: the largest group a long prefill scales out to, replicas.
    MaxPrefillDegree,
}

impl PolicyParam {
    /// Every parameter.
    pub const ALL: [PolicyParam; 6] = [
        PolicyParam::RankNoiseSigma,
        PolicyParam::ChunkTokensPerMember,
        PolicyParam::PdDecodeShare,
        PolicyParam::MedhaStepTargetS,
        PolicyParam::MedhaMinChunkTokensPerMember,
        PolicyParam::MaxPrefillDegree,
    ];
}

/// A whole-number value as the wire's `u32` (negative, fractional or too large values
/// saturate, and validation then names the field).
fn whole(v: f64) -> u32 {
    if v.is_nan() || v < 0.0 {
        0
    } else {
        v.min(u32::MAX as f64) as u32
    }
}

impl ScenarioWire {
    /// Sets `param` to `value`.
    pub fn set_policy_param(&mut self, param: PolicyParam, value: f64) {
        match param {
            PolicyParam::RankNoiseSigma
            | PolicyParam::ChunkTokensPerMember
            | PolicyParam::PdDecodeShare => {
                let mut p = self.policy_params.unwrap_or_default();
                match param {
                    PolicyParam::RankNoiseSigma => p.rank_noise_sigma = value,
                    PolicyParam::ChunkTokensPerMember => p.chunk_tokens_per_member = whole(value),
                    _ => p.pd_decode_share = value,
                }
                self.policy_params = (p != PolicyParamsWire::default()).then_some(p);
            }
            PolicyParam::MedhaStepTargetS | PolicyParam::MedhaMinChunkTokensPerMember => {
                let mut m = self.medha.unwrap_or_default();
                if param == PolicyParam::MedhaStepTargetS {
                    m.tbt_target_s = (value > 0.0 || value.is_nan()).then_some(value);
                } else {
                    m.min_chunk_tokens_per_member = whole(value);
                }
                self.medha = (m != MedhaParamsWire::default()).then_some(m);
            }
            PolicyParam::MaxPrefillDegree => {
                let e = ElasticSpWire {
                    max_prefill_degree: whole(value),
                };
                let default = crate::policy::DEFAULT_MAX_PREFILL_DEGREE;
                self.elastic_sp = (e.max_prefill_degree != default).then_some(e);
            }
        }
    }

    /// The value of `param` in this wire form (its default when the field is absent).
    pub fn policy_param(&self, param: PolicyParam) -> f64 {
        let p = self.policy_params.unwrap_or_default();
        let m = self.medha.unwrap_or_default();
        match param {
            PolicyParam::RankNoiseSigma => p.rank_noise_sigma,
            PolicyParam::ChunkTokensPerMember => f64::from(p.chunk_tokens_per_member),
            PolicyParam::PdDecodeShare => p.pd_decode_share,
            PolicyParam::MedhaStepTargetS => m.tbt_target_s.unwrap_or(0.0),
            PolicyParam::MedhaMinChunkTokensPerMember => f64::from(m.min_chunk_tokens_per_member),
            PolicyParam::MaxPrefillDegree => f64::from(
                self.elastic_sp
                    .map_or(crate::policy::DEFAULT_MAX_PREFILL_DEGREE, |e| {
                        e.max_prefill_degree
                    }),
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scenario::Scenario;

    /// Each parameter reaches the validated scenario; back at its default, the field goes.
    #[test]
    fn a_parameter_round_trips_and_its_default_removes_the_field() {
        let base = Scenario::default_scenario().to_wire();
        for (param, value) in [
            (PolicyParam::RankNoiseSigma, 0.25),
            (PolicyParam::ChunkTokensPerMember, 1024.0),
            (PolicyParam::PdDecodeShare, 0.5),
            (PolicyParam::MedhaStepTargetS, 0.1),
            (PolicyParam::MedhaMinChunkTokensPerMember, 16.0),
            (PolicyParam::MaxPrefillDegree, 3.0),
        ] {
            let mut w = base.clone();
            let default = w.policy_param(param);
            w.set_policy_param(param, value);
            assert_eq!(w.policy_param(param), value, "{param:?}");
            let s = Scenario::from_wire(&w).unwrap();
            assert_eq!(
                s.to_wire().policy_param(param),
                value,
                "{param:?} validated"
            );
            w.set_policy_param(param, default);
            assert_eq!(w, base, "{param:?} back at its default");
        }
        let mut w = base.clone();
        w.set_policy_param(PolicyParam::MaxPrefillDegree, 0.0);
        let err = Scenario::from_wire(&w).unwrap_err().to_string();
        assert!(err.contains("elastic_sp.max_prefill_degree"), "{err}");
    }
}
