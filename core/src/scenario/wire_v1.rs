//! Version 1 of the wire format, frozen: the structs that differ from version 2, and the
//! upgrade to version 2 with the meaning each field had.
//!
//! Version 1 had no calibration field and one policy knob fewer per policy. Its scenarios ran
//! with the datasheet calibration and a fixed colocation cap; Reservation's pool and Priority's
//! placement were not settable, so they upgrade to version 2's defaults (the rules the policies
//! applied when version 2 was introduced). Files and links committed in version 1 are decoded
//! by `core/tests/wire_v1.rs` forever.

use super::wire::{
    CalibrationWire, ClusterWire, EngineWire, KnobsWire, ScenarioWire, WIRE_VERSION, WorkloadWire,
};
use crate::policy::ColocationCap;
use serde::{Deserialize, Serialize};

/// A scenario as version 1 stored it (field order is the link's byte layout: never change it).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(
    deny_unknown_fields,
    expecting = "a scenario: a JSON object such as {\"version\": 1, \"cluster\": …}"
)]
pub struct ScenarioWireV1 {
    /// Format version: 1.
    pub version: u32,
    /// The GPU cluster (unchanged in version 2).
    pub cluster: ClusterWire,
    /// Model id.
    pub model: String,
    /// Tensor-parallel size of one replica.
    pub tp: u32,
    /// Where requests come from and how they are transformed (unchanged in version 2).
    pub workload: WorkloadWire,
    /// Policy ids to run.
    pub policies: Vec<String>,
    /// Engine knobs (unchanged in version 2).
    #[serde(default)]
    pub engine: Option<EngineWire>,
    /// Policy knobs as version 1 wrote them.
    #[serde(default)]
    pub knobs: Option<KnobsWireV1>,
    /// Seed of every random draw.
    pub seed: u64,
}

/// Policy knobs as version 1 wrote them.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(
    default,
    deny_unknown_fields,
    expecting = "policy knobs: an object with decode_replicas and colocation_cap_tokens_per_gpu"
)]
pub struct KnobsWireV1 {
    /// PecSched's decode-only replicas; `None` = the paper's share (1/8 of the replicas).
    pub decode_replicas: Option<u32>,
    /// Short-prefill tokens per GPU colocated with one long-decode step (a fixed cap).
    pub colocation_cap_tokens_per_gpu: u32,
}

/// The calibration every version-1 scenario ran with.
pub const V1_CALIBRATION: &str = "datasheet";

/// Version 1's default colocation cap, tokens per GPU.
pub const V1_DEFAULT_COLOCATION_CAP_TOKENS_PER_GPU: u32 = 512;

impl Default for KnobsWireV1 {
    fn default() -> Self {
        KnobsWireV1 {
            decode_replicas: None,
            colocation_cap_tokens_per_gpu: V1_DEFAULT_COLOCATION_CAP_TOKENS_PER_GPU,
        }
    }
}

impl KnobsWireV1 {
    /// The same knobs in version 2: the fixed cap stays fixed; the knobs version 1 could not
    /// set take version 2's defaults.
    pub fn upgrade(self) -> KnobsWire {
        KnobsWire {
            decode_replicas: self.decode_replicas,
            colocation_cap: ColocationCap::Fixed {
                tokens_per_gpu: self.colocation_cap_tokens_per_gpu,
            },
            ..KnobsWire::default()
        }
    }
}

impl ScenarioWireV1 {
    /// The same scenario in the current version: knobs upgraded (omitted knobs meant version
    /// 1's defaults, so they are written out), the datasheet calibration (version 1 had no
    /// other).
    pub fn upgrade(self) -> ScenarioWire {
        ScenarioWire {
            version: WIRE_VERSION,
            cluster: self.cluster,
            model: self.model,
            tp: self.tp,
            workload: self.workload,
            policies: self.policies,
            engine: self.engine,
            knobs: Some(self.knobs.unwrap_or_default().upgrade()),
            calibration: Some(CalibrationWire {
                profile: V1_CALIBRATION.to_string(),
                overrides: Default::default(),
            }),
            seed: self.seed,
            slo: None,
            policy_params: None,
            prefix: None,
            medha: None,
            elastic_sp: None,
        }
    }
}
