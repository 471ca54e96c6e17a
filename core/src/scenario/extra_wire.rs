//! The optional fields added to wire version 2 after its first release: per-class SLOs
//! (`slo`) and the parameters of the policies added with them (`policy_params`). Each is
//! `None` in files and links written before it and then means the defaults; a writer fills it
//! in only when it differs from them (`Scenario::to_wire`).

use super::ScenarioError;
use super::validate::{field, num};
use crate::limits;
use crate::metrics::{ClassSlo, Slo};
use crate::policy::PolicyKnobs;
use crate::time::SimDuration;
use serde::{Deserialize, Serialize};

/// Longest SLO limit a scenario may state, seconds (about 11.6 days).
pub const MAX_SLO_S: f64 = 1e6;

/// The SLO of one class as a scenario writes it (seconds).
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(
    deny_unknown_fields,
    expecting = "a class SLO: an object with ttft_s, ttft_per_1k_input_s and tbt_s"
)]
pub struct ClassSloWire {
    /// TTFT allowed before the input allowance, seconds.
    pub ttft_s: f64,
    /// TTFT allowed on top per 1000 input tokens, seconds.
    pub ttft_per_1k_input_s: f64,
    /// Mean time between tokens allowed, seconds.
    pub tbt_s: f64,
}

/// Per-class SLOs as a scenario writes them; an omitted class keeps its default.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(
    default,
    deny_unknown_fields,
    expecting = "SLOs: an object with short and long, each {ttft_s, ttft_per_1k_input_s, tbt_s}"
)]
pub struct SloWire {
    /// Short requests.
    pub short: ClassSloWire,
    /// Long requests.
    pub long: ClassSloWire,
}

impl Default for SloWire {
    fn default() -> Self {
        SloWire::from(&Slo::DEFAULT)
    }
}

impl From<&ClassSlo> for ClassSloWire {
    fn from(c: &ClassSlo) -> Self {
        ClassSloWire {
            ttft_s: c.ttft_base.as_secs_f64(),
            ttft_per_1k_input_s: c.ttft_per_k_input.as_secs_f64(),
            tbt_s: c.tbt.as_secs_f64(),
        }
    }
}

impl From<&Slo> for SloWire {
    fn from(s: &Slo) -> Self {
        SloWire {
            short: ClassSloWire::from(&s.short),
            long: ClassSloWire::from(&s.long),
        }
    }
}

/// One SLO limit in seconds: finite, in `[0, MAX_SLO_S]` (`positive`: above 0).
fn limit(name: &str, v: f64, positive: bool) -> Result<SimDuration, ScenarioError> {
    let ok = v.is_finite() && v <= MAX_SLO_S && if positive { v > 0.0 } else { v >= 0.0 };
    let expected = if positive {
        format!("seconds in (0, {MAX_SLO_S}]")
    } else {
        format!("seconds in [0, {MAX_SLO_S}]")
    };
    match SimDuration::try_from_secs_f64(v) {
        Some(d) if ok => Ok(d),
        _ => Err(field(name, num(v), &expected)),
    }
}

impl SloWire {
    /// The validated SLOs, naming the field that is out of range.
    pub fn validate(&self) -> Result<Slo, ScenarioError> {
        let class = |name: &str, c: &ClassSloWire| -> Result<ClassSlo, ScenarioError> {
            Ok(ClassSlo {
                ttft_base: limit(&format!("slo.{name}.ttft_s"), c.ttft_s, true)?,
                ttft_per_k_input: limit(
                    &format!("slo.{name}.ttft_per_1k_input_s"),
                    c.ttft_per_1k_input_s,
                    false,
                )?,
                tbt: limit(&format!("slo.{name}.tbt_s"), c.tbt_s, true)?,
            })
        };
        Ok(Slo {
            short: class("short", &self.short)?,
            long: class("long", &self.long)?,
        })
    }
}

/// Parameters of the policies added with the SLOs (meanings: those of
/// [`crate::policy::PolicyKnobs`]'s fields of the same names); an omitted field keeps its
/// default.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(
    default,
    deny_unknown_fields,
    expecting = "policy parameters: an object with rank_noise_sigma, chunk_tokens_per_member and pd_decode_share"
)]
pub struct PolicyParamsWire {
    /// Learning-to-rank: sigma of the log-normal error of the output-length estimate.
    pub rank_noise_sigma: f64,
    /// Chunked prefill: prompt tokens each member of a long request's group processes per step.
    pub chunk_tokens_per_member: u32,
    /// DistServe/Splitwise: the decode pool's share of the replicas, in (0, 1).
    pub pd_decode_share: f64,
}

impl Default for PolicyParamsWire {
    fn default() -> Self {
        PolicyParamsWire::from(&PolicyKnobs::default())
    }
}

impl From<&PolicyKnobs> for PolicyParamsWire {
    fn from(k: &PolicyKnobs) -> Self {
        PolicyParamsWire {
            rank_noise_sigma: f64::from(k.rank_noise_sigma_milli) / 1000.0,
            chunk_tokens_per_member: k.chunk_tokens_per_member,
            pd_decode_share: f64::from(k.pd_decode_permille) / 1000.0,
        }
    }
}

/// LoongServe's parameter (scenario field `elastic_sp`, added to version 2 after `prefix`: a
/// field of its own rather than one more in [`PolicyParamsWire`], whose positional link bytes
/// would shift for links written before it). `None` = the default bound.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(
    deny_unknown_fields,
    expecting = "elastic sequence parallelism: an object with max_prefill_degree"
)]
pub struct ElasticSpWire {
    /// The largest group a long prefill scales out to, in replicas
    /// ([`PolicyKnobs::max_prefill_degree`]).
    pub max_prefill_degree: u32,
}

impl ElasticSpWire {
    /// The wire form of `knobs`' LoongServe parameter, `None` at its default.
    pub fn of(knobs: &PolicyKnobs) -> Option<ElasticSpWire> {
        (knobs.max_prefill_degree != crate::policy::DEFAULT_MAX_PREFILL_DEGREE).then_some(
            ElasticSpWire {
                max_prefill_degree: knobs.max_prefill_degree,
            },
        )
    }

    /// `knobs` with this bound, checked: 1 to the most replicas a cluster can have.
    pub fn apply(&self, knobs: PolicyKnobs) -> Result<PolicyKnobs, ScenarioError> {
        let d = self.max_prefill_degree;
        let max = limits::MAX_NODES * limits::MAX_GPUS_PER_NODE;
        if !(1..=max).contains(&d) {
            return Err(field(
                "elastic_sp.max_prefill_degree",
                d,
                &format!("between 1 and {max} replicas"),
            ));
        }
        Ok(PolicyKnobs {
            max_prefill_degree: d,
            ..knobs
        })
    }
}

/// Largest learning-to-rank noise sigma a scenario may state.
pub const MAX_RANK_NOISE_SIGMA: f64 = 10.0;

impl PolicyParamsWire {
    /// `knobs` with these parameters, each checked against its bounds (values are kept to
    /// three decimals: the knobs hold thousandths).
    pub fn apply(&self, knobs: PolicyKnobs) -> Result<PolicyKnobs, ScenarioError> {
        let s = self.rank_noise_sigma;
        if !(s.is_finite() && (0.0..=MAX_RANK_NOISE_SIGMA).contains(&s)) {
            return Err(field(
                "policy_params.rank_noise_sigma",
                num(s),
                &format!("a number in [0, {MAX_RANK_NOISE_SIGMA}]"),
            ));
        }
        let c = self.chunk_tokens_per_member;
        if !(1..=limits::MAX_CHUNK_TOKENS).contains(&c) {
            return Err(field(
                "policy_params.chunk_tokens_per_member",
                c,
                &format!("between 1 and {}", limits::MAX_CHUNK_TOKENS),
            ));
        }
        let d = self.pd_decode_share;
        let permille = libm::round(d * 1000.0);
        if !(d.is_finite() && (1.0..=999.0).contains(&permille)) {
            return Err(field(
                "policy_params.pd_decode_share",
                num(d),
                "a share in [0.001, 0.999] of the replicas",
            ));
        }
        Ok(PolicyKnobs {
            rank_noise_sigma_milli: libm::round(s * 1000.0) as u32,
            chunk_tokens_per_member: c,
            pd_decode_permille: permille as u32,
            ..knobs
        })
    }
}

/// Medha's parameters as a scenario writes them (field `medha`, trailing `prefix`: a field
/// of its own so that links written with `policy_params` keep decoding); an omitted field keeps
/// its default ([`crate::policy::PolicyKnobs`]'s `medha_*` fields).
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(
    default,
    deny_unknown_fields,
    expecting = "Medha's parameters: an object with tbt_target_s and min_chunk_tokens_per_member"
)]
pub struct MedhaParamsWire {
    /// The longest a long-prefill step may take, seconds (`None`: the short class's TBT SLO).
    pub tbt_target_s: Option<f64>,
    /// The smallest chunk a long-prefill step takes, prompt tokens per member.
    pub min_chunk_tokens_per_member: u32,
}

impl Default for MedhaParamsWire {
    fn default() -> Self {
        MedhaParamsWire::from(&PolicyKnobs::default())
    }
}

impl From<&PolicyKnobs> for MedhaParamsWire {
    fn from(k: &PolicyKnobs) -> Self {
        MedhaParamsWire {
            tbt_target_s: k.medha_tbt_target.map(|d| d.as_secs_f64()),
            min_chunk_tokens_per_member: k.medha_min_chunk_tokens_per_member,
        }
    }
}

impl MedhaParamsWire {
    /// `knobs` with these parameters, each checked against its bounds.
    pub fn apply(&self, knobs: PolicyKnobs) -> Result<PolicyKnobs, ScenarioError> {
        let target = self
            .tbt_target_s
            .map(|t| limit("medha.tbt_target_s", t, true))
            .transpose()?;
        let c = self.min_chunk_tokens_per_member;
        if !(1..=limits::MAX_CHUNK_TOKENS).contains(&c) {
            return Err(field(
                "medha.min_chunk_tokens_per_member",
                c,
                &format!("between 1 and {}", limits::MAX_CHUNK_TOKENS),
            ));
        }
        Ok(PolicyKnobs {
            medha_tbt_target: target,
            medha_min_chunk_tokens_per_member: c,
            ..knobs
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scenario::{Scenario, link};

    fn with(slo: Option<SloWire>, params: Option<PolicyParamsWire>) -> Scenario {
        let mut w = Scenario::default_scenario().to_wire();
        w.slo = slo;
        w.policy_params = params;
        Scenario::from_wire(&w).unwrap()
    }

    #[test]
    fn defaults_are_not_written_and_others_round_trip_through_json_and_links() {
        let d = Scenario::default_scenario();
        assert!(!d.to_json().contains("\"slo\""));
        assert!(!d.to_json().contains("policy_params"));
        assert_eq!(d.slo(), &Slo::DEFAULT);
        let mut slo = SloWire::default();
        slo.long.tbt_s = 0.5;
        let params = PolicyParamsWire {
            rank_noise_sigma: 0.25,
            chunk_tokens_per_member: 512,
            pd_decode_share: 0.375,
        };
        for (s, p) in [
            (Some(slo), Some(params)),
            (Some(slo), None),
            (None, Some(params)),
        ] {
            let sc = with(s, p);
            assert_eq!(sc.to_wire().slo, s);
            assert_eq!(sc.to_wire().policy_params, p);
            assert_eq!(Scenario::from_json(&sc.to_json()).unwrap(), sc);
            let token = link::encode_scenario(&sc);
            assert_eq!(link::decode_scenario(&token).unwrap(), sc);
        }
        let sc = with(Some(slo), None);
        assert_eq!(sc.slo().long.tbt, SimDuration::from_millis(500));
        let sc = with(None, Some(params));
        assert_eq!(sc.knobs().rank_noise_sigma_milli, 250);
        assert_eq!(sc.knobs().chunk_tokens_per_member, 512);
        assert_eq!(sc.knobs().pd_decode_permille, 375);
    }

    #[test]
    fn medha_parameters_round_trip_and_old_links_with_policy_params_still_decode() {
        let d = Scenario::default_scenario();
        assert!(!d.to_json().contains("medha"));
        assert_eq!(d.to_wire().medha, None);
        // A link written before `medha` existed, with `policy_params` set: the payload ends
        // after `policy_params` and `prefix` (both `None`-trimmed or present) and still reads.
        let old = with(
            None,
            Some(PolicyParamsWire {
                rank_noise_sigma: 0.5,
                ..PolicyParamsWire::default()
            }),
        );
        assert!(old.to_wire().policy_params.is_some());
        let token = link::encode_scenario(&old);
        assert_eq!(link::decode_scenario(&token).unwrap(), old);
        let mut w = Scenario::default_scenario().to_wire();
        w.medha = Some(MedhaParamsWire {
            tbt_target_s: Some(0.1),
            min_chunk_tokens_per_member: 64,
        });
        let sc = Scenario::from_wire(&w).unwrap();
        assert_eq!(
            sc.knobs().medha_tbt_target,
            Some(SimDuration::from_millis(100))
        );
        assert_eq!(sc.knobs().medha_min_chunk_tokens_per_member, 64);
        assert_eq!(sc.to_wire().medha, w.medha);
        assert_eq!(Scenario::from_json(&sc.to_json()).unwrap(), sc);
        assert_eq!(
            link::decode_scenario(&link::encode_scenario(&sc)).unwrap(),
            sc
        );
        for (m, name) in [
            (
                MedhaParamsWire {
                    tbt_target_s: Some(0.0),
                    ..MedhaParamsWire::default()
                },
                "medha.tbt_target_s",
            ),
            (
                MedhaParamsWire {
                    min_chunk_tokens_per_member: 0,
                    ..MedhaParamsWire::default()
                },
                "medha.min_chunk_tokens_per_member",
            ),
        ] {
            w.medha = Some(m);
            let e = Scenario::from_wire(&w).unwrap_err().to_string();
            assert!(e.contains(name), "{e}");
        }
    }

    #[test]
    fn a_partial_slo_keeps_the_other_class_and_bad_values_name_their_field() {
        let mut w: serde_json::Value =
            serde_json::from_str(&Scenario::default_scenario().to_json()).unwrap();
        w["slo"] = serde_json::json!({"short": {"ttft_s": 1.0, "ttft_per_1k_input_s": 0.0, "tbt_s": 0.05}});
        let sc = Scenario::from_json(&w.to_string()).unwrap();
        assert_eq!(sc.slo().short.ttft_base, SimDuration::from_millis(1000));
        assert_eq!(sc.slo().long, Slo::DEFAULT.long);
        w["slo"]["short"]["tbt_s"] = serde_json::json!(-1.0);
        let e = Scenario::from_json(&w.to_string()).unwrap_err().to_string();
        assert!(e.contains("slo.short.tbt_s"), "{e}");
        w["slo"] = serde_json::Value::Null;
        w["policy_params"] = serde_json::json!({"chunk_tokens_per_member": 0});
        let e = Scenario::from_json(&w.to_string()).unwrap_err().to_string();
        assert!(e.contains("policy_params.chunk_tokens_per_member"), "{e}");
        w["policy_params"] = serde_json::json!({"pd_decode_share": 1.0});
        let e = Scenario::from_json(&w.to_string()).unwrap_err().to_string();
        assert!(e.contains("policy_params.pd_decode_share"), "{e}");
    }

    #[test]
    fn the_elastic_sp_bound_round_trips_is_left_out_at_its_default_and_is_checked() {
        let d = Scenario::default_scenario();
        assert!(!d.to_json().contains("elastic_sp"));
        assert_eq!(d.to_wire().elastic_sp, None);
        let mut w = d.to_wire();
        w.elastic_sp = Some(ElasticSpWire {
            max_prefill_degree: 3,
        });
        let sc = Scenario::from_wire(&w).unwrap();
        assert_eq!(sc.knobs().max_prefill_degree, 3);
        assert_eq!(sc.to_wire().elastic_sp, w.elastic_sp);
        assert!(sc.to_json().contains("\"max_prefill_degree\": 3"));
        assert_eq!(Scenario::from_json(&sc.to_json()).unwrap(), sc);
        let token = link::encode_scenario(&sc);
        assert_eq!(link::decode_scenario(&token).unwrap(), sc);
        // A link without it (every link written before it) is one byte shorter and decodes
        // to the default.
        let old = link::encode_scenario(&d);
        assert_eq!(link::decode_scenario(&old).unwrap(), d);
        w.elastic_sp = Some(ElasticSpWire {
            max_prefill_degree: 0,
        });
        let e = Scenario::from_wire(&w).unwrap_err().to_string();
        assert!(e.contains("elastic_sp.max_prefill_degree"), "{e}");
    }
}
