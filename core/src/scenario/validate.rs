//! Validation: a wire scenario becomes a [`Scenario`] of enums and checked numbers, or an
//! error naming the field, its value and what is allowed.

use super::wire::{
    CalibrationWire, KnobsWire, ScenarioWire, SourceWire, SyntheticWire, WIRE_VERSION,
};
use super::{
    EmbeddedTrace, LengthSource, LongInput, Scenario, ScenarioError, Source, SyntheticSource,
    limits,
};
use crate::hardware::{ClusterSpec, GpuKind};
use crate::model::ModelKind;
use crate::perf::{Calibration, CalibrationError, CalibrationField};
use crate::policy::{ColocationCap, PolicyKind, PolicyKnobs, PriorityPlacement, ReservationPool};
use crate::sim::config::EngineConfig;
use crate::time::{SimDuration, SimTime};
use crate::workload::TraceFormat;

pub(super) fn field(field: &str, value: impl std::fmt::Display, expected: &str) -> ScenarioError {
    ScenarioError::Field {
        field: field.to_string(),
        value: value.to_string(),
        expected: expected.to_string(),
    }
}

/// A number as a person reads it: plain in the usual range, scientific outside it (so 1e300 is
/// not printed as 301 digits).
pub(super) fn num(v: f64) -> String {
    if v != 0.0 && v.is_finite() && !(1e-5..1e16).contains(&v.abs()) {
        format!("{v:e}")
    } else {
        v.to_string()
    }
}

/// Checks the numbers of a synthetic source, naming the field.
fn validate_synthetic(s: &SyntheticWire) -> Result<(), ScenarioError> {
    let path = "workload.source.synthetic";
    if !(s.rate_per_s.is_finite()
        && s.rate_per_s > 0.0
        && s.rate_per_s <= limits::MAX_SYNTHETIC_RATE_PER_S)
    {
        return Err(field(
            &format!("{path}.rate_per_s"),
            num(s.rate_per_s),
            "a finite number > 0",
        ));
    }
    // The mean span of the arrivals must fit what a run can simulate (a slower rate would
    // push arrivals past limits::MAX_ARRIVAL_S).
    let min_rate = f64::from(s.requests.saturating_sub(1)) / limits::MAX_ARRIVAL_S as f64;
    if s.rate_per_s < min_rate {
        return Err(field(
            &format!("{path}.rate_per_s"),
            num(s.rate_per_s),
            &format!(
                "at least {} per second, so that {} requests arrive within {} s (limits::MAX_ARRIVAL_S, about 31 years)",
                num(min_rate),
                s.requests,
                limits::MAX_ARRIVAL_S
            ),
        ));
    }
    // Gamma arrivals use shape 1/cv² and scale cv²/rate: both must be finite and positive.
    let cv2 = s.cv * s.cv;
    if !(s.cv.is_finite()
        && s.cv > 0.0
        && cv2.is_finite()
        && (1.0 / cv2).is_finite()
        && (1.0 / cv2) > 0.0
        && cv2 <= limits::MAX_SYNTHETIC_CV * limits::MAX_SYNTHETIC_CV)
    {
        return Err(field(
            &format!("{path}.cv"),
            num(s.cv),
            &format!("a number in (0, {}]", limits::MAX_SYNTHETIC_CV),
        ));
    }
    if let Some((im, is, om, os)) = s.lognormal {
        let ok = |m: f64, sg: f64| {
            (1.0..=limits::MAX_LOGNORMAL_MEDIAN_TOKENS).contains(&m)
                && (0.0..=limits::MAX_LOGNORMAL_SIGMA).contains(&sg)
        };
        if !ok(im, is) || !ok(om, os) {
            return Err(field(
                &format!("{path}.lognormal"),
                format!("[{}, {}, {}, {}]", num(im), num(is), num(om), num(os)),
                &format!(
                    "[input_median, input_sigma, output_median, output_sigma] with medians in [1, {:e}] tokens and sigmas in [0, {}]",
                    limits::MAX_LOGNORMAL_MEDIAN_TOKENS,
                    limits::MAX_LOGNORMAL_SIGMA
                ),
            ));
        }
    }
    Ok(())
}

impl Scenario {
    /// Validates a wire scenario.
    pub fn from_wire(w: &ScenarioWire) -> Result<Scenario, ScenarioError> {
        if w.version > WIRE_VERSION {
            return Err(ScenarioError::NewerVersion {
                found: w.version as u64,
                supported: WIRE_VERSION,
            });
        }
        if w.version < WIRE_VERSION {
            return Err(field(
                "version",
                w.version,
                "2 (files and links of version 1 are upgraded as they are read)",
            ));
        }
        let gpu = GpuKind::from_id(&w.cluster.gpu)
            .ok_or_else(|| field("cluster.gpu", &w.cluster.gpu, "one of a100, h100, h200"))?;
        let c = &w.cluster;
        if !(1..=limits::MAX_NODES).contains(&c.nodes) {
            return Err(field(
                "cluster.nodes",
                c.nodes,
                &format!("between 1 and {}", limits::MAX_NODES),
            ));
        }
        if !(1..=limits::MAX_GPUS_PER_NODE).contains(&c.gpus_per_node) {
            return Err(field(
                "cluster.gpus_per_node",
                c.gpus_per_node,
                &format!("between 1 and {}", limits::MAX_GPUS_PER_NODE),
            ));
        }
        if !(c.network_gbps.is_finite()
            && c.network_gbps > 0.0
            && c.network_gbps <= limits::MAX_NETWORK_GBPS)
        {
            return Err(field(
                "cluster.network_gbps",
                num(c.network_gbps),
                &format!("a number in (0, {}]", limits::MAX_NETWORK_GBPS),
            ));
        }
        let model = ModelKind::from_id(&w.model).ok_or_else(|| {
            let ids: Vec<_> = ModelKind::ALL.iter().map(|m| m.id()).collect();
            field("model", &w.model, &format!("one of {}", ids.join(", ")))
        })?;
        if w.tp == 0 || !c.gpus_per_node.is_multiple_of(w.tp) {
            return Err(field("tp", w.tp, "a divisor of cluster.gpus_per_node"));
        }
        let mut cluster = ClusterSpec::paper_testbed();
        cluster.gpu = gpu.spec();
        cluster.nodes = c.nodes;
        cluster.gpus_per_node = c.gpus_per_node;
        cluster.network_bytes_per_s = c.network_gbps * 1e9 / 8.0;
        let wl = &w.workload;
        let source = match &wl.source {
            SourceWire::Embedded(id) => {
                Source::Embedded(EmbeddedTrace::from_id(id).ok_or_else(|| {
                    field(
                        "workload.source.embedded",
                        id,
                        "azure-conv-2023 or azure-code-2023",
                    )
                })?)
            }
            SourceWire::File { name, format } => Source::File {
                name: name.clone(),
                format: TraceFormat::from_id(format).ok_or_else(|| {
                    field(
                        "workload.source.file.format",
                        format,
                        "azure, mooncake, burstgpt or plain",
                    )
                })?,
            },
            SourceWire::Synthetic(s) => {
                if s.requests == 0 || s.requests > limits::MAX_REQUESTS {
                    return Err(field(
                        "workload.source.synthetic.requests",
                        s.requests,
                        &format!("between 1 and {}", limits::MAX_REQUESTS),
                    ));
                }
                if let Some(t) = &s.lengths_from
                    && EmbeddedTrace::from_id(t).is_none()
                {
                    return Err(field(
                        "workload.source.synthetic.lengths_from",
                        t,
                        "azure-conv-2023 or azure-code-2023",
                    ));
                }
                validate_synthetic(s)?;
                let lengths = match (&s.lengths_from, s.lognormal) {
                    (Some(id), _) => LengthSource::Trace(
                        EmbeddedTrace::from_id(id).expect("checked above: a known trace id"),
                    ),
                    (None, Some((im, is, om, os))) => LengthSource::LogNormal {
                        input_median: im,
                        input_sigma: is,
                        output_median: om,
                        output_sigma: os,
                    },
                    (None, None) => {
                        return Err(field(
                            "workload.source.synthetic",
                            "no lengths",
                            "lengths_from or lognormal",
                        ));
                    }
                };
                Source::Synthetic(SyntheticSource {
                    requests: s.requests,
                    rate_per_s: s.rate_per_s,
                    cv: s.cv,
                    lengths,
                })
            }
        };
        let window = match wl.window_s {
            None => None,
            Some((a, b))
                if a.is_finite()
                    && b.is_finite()
                    && a >= 0.0
                    && b > a
                    && b > limits::MAX_ARRIVAL_S as f64 =>
            {
                return Err(field(
                    "workload.window_s",
                    format!("[{}, {}]", num(a), num(b)),
                    "an end of at most 1000000000 s (limits::MAX_ARRIVAL_S, about 31 years; omit the window to keep every arrival)",
                ));
            }
            Some((a, b)) if a.is_finite() && b.is_finite() && a >= 0.0 && b > a => Some((
                SimTime::try_from_secs_f64(a).expect("checked: 0 <= a < MAX_ARRIVAL_S"),
                SimTime::try_from_secs_f64(b).expect("checked: 0 < b <= MAX_ARRIVAL_S"),
            )),
            Some((a, b)) => {
                return Err(field(
                    "workload.window_s",
                    format!("[{}, {}]", num(a), num(b)),
                    "[start, end] seconds with 0 <= start < end",
                ));
            }
        };
        if !(wl.rate_scale.is_finite()
            && wl.rate_scale > 0.0
            && wl.rate_scale <= limits::MAX_RATE_SCALE)
        {
            return Err(field(
                "workload.rate_scale",
                num(wl.rate_scale),
                &format!("a number in (0, {}]", limits::MAX_RATE_SCALE),
            ));
        }
        if let Some(li) = wl.long_input
            && (!(0.0..=100.0).contains(&li.percentile)
                || li.min_tokens == 0
                || li.min_tokens > li.max_tokens
                || li.max_tokens > limits::MAX_LONG_INPUT_TOKENS)
        {
            return Err(field(
                "workload.long_input",
                format!(
                    "percentile {}, min_tokens {}, max_tokens {}",
                    num(li.percentile),
                    li.min_tokens,
                    li.max_tokens
                ),
                &format!(
                    "percentile in [0,100] and 1 <= min_tokens <= max_tokens <= {}",
                    limits::MAX_LONG_INPUT_TOKENS
                ),
            ));
        }
        if w.policies.is_empty() {
            return Err(field("policies", "[]", "at least one policy"));
        }
        let mut policies = Vec::new();
        for p in &w.policies {
            let k = PolicyKind::from_id(p).ok_or_else(|| {
                let ids: Vec<_> = PolicyKind::ALL.iter().map(|p| p.id()).collect();
                field("policies", p, &format!("one of {}", ids.join(", ")))
            })?;
            if !policies.contains(&k) {
                policies.push(k);
            }
        }
        let engine = w.engine.unwrap_or_default().to_engine();
        let knobs = validate_knobs(&w.knobs.clone().unwrap_or_default())?;
        let knobs = w.policy_params.unwrap_or_default().apply(knobs)?;
        let knobs = w.medha.unwrap_or_default().apply(knobs)?;
        let knobs = match w.elastic_sp {
            Some(e) => e.apply(knobs)?,
            None => knobs,
        };
        let slo = w.slo.unwrap_or_default().validate()?;
        let prefix = w.prefix.map(|p| p.validate(w.seed)).transpose()?;
        let calibration_wire = w
            .calibration
            .clone()
            .unwrap_or_else(|| CalibrationWire::builtin(Scenario::default_calibration_id(gpu)));
        let calibration = validate_calibration(&calibration_wire)?;
        validate_engine(&engine)?;
        Ok(Scenario {
            gpu,
            cluster,
            model,
            tp: w.tp,
            source,
            window,
            rate_scale: wl.rate_scale,
            max_requests: wl.max_requests,
            long_input: wl.long_input.map(|l| LongInput {
                percentile: l.percentile,
                min_tokens: l.min_tokens,
                max_tokens: l.max_tokens,
            }),
            policies,
            engine,
            knobs,
            calibration,
            calibration_wire,
            seed: w.seed,
            slo,
            prefix,
        })
    }
}

/// Policy knobs from their wire form, each checked against its bounds.
fn validate_knobs(k: &KnobsWire) -> Result<PolicyKnobs, ScenarioError> {
    if k.decode_replicas == Some(0) {
        return Err(field(
            "knobs.decode_replicas",
            0,
            "at least 1 (PecSched's decode-only replicas)",
        ));
    }
    match k.colocation_cap {
        ColocationCap::Fixed { tokens_per_gpu } => {
            if tokens_per_gpu > limits::MAX_COLOCATION_CAP_TOKENS_PER_GPU {
                return Err(field(
                    "knobs.colocation_cap.fixed.tokens_per_gpu",
                    tokens_per_gpu,
                    &format!("at most {}", limits::MAX_COLOCATION_CAP_TOKENS_PER_GPU),
                ));
            }
        }
        ColocationCap::Derived {
            max_slowdown_permille,
        } => {
            if max_slowdown_permille > limits::MAX_COLOCATION_SLOWDOWN_PERMILLE {
                return Err(field(
                    "knobs.colocation_cap.derived.max_slowdown_permille",
                    max_slowdown_permille,
                    &format!(
                        "between 0 and {} (‰ of a long-decode step)",
                        limits::MAX_COLOCATION_SLOWDOWN_PERMILLE
                    ),
                ));
            }
        }
    }
    match k.reservation_pool {
        ReservationPool::ForRequest {
            input_tokens,
            output_tokens,
        } => {
            if !(1..=limits::MAX_LONG_INPUT_TOKENS).contains(&input_tokens)
                || output_tokens > limits::MAX_OUTPUT_TOKENS
            {
                return Err(field(
                    "knobs.reservation_pool.for_request",
                    format!("{input_tokens} input, {output_tokens} output tokens"),
                    &format!(
                        "1 to {} input and at most {} output tokens",
                        limits::MAX_LONG_INPUT_TOKENS,
                        limits::MAX_OUTPUT_TOKENS
                    ),
                ));
            }
        }
        ReservationPool::Replicas(n) => {
            if n == 0 {
                return Err(field(
                    "knobs.reservation_pool.replicas",
                    n,
                    "at least 1 (the pool serving long requests)",
                ));
            }
        }
    }
    let priority_placement =
        PriorityPlacement::from_id(&k.priority_placement).ok_or_else(|| {
            let ids: Vec<_> = PriorityPlacement::ALL.iter().map(|p| p.id()).collect();
            field(
                "knobs.priority_placement",
                crate::text::shorten(&k.priority_placement, 40),
                &format!("one of {}", ids.join(", ")),
            )
        })?;
    Ok(PolicyKnobs {
        decode_replicas: k.decode_replicas,
        colocation_cap: k.colocation_cap,
        reservation_pool: k.reservation_pool,
        priority_placement,
        ..PolicyKnobs::default()
    })
}

/// The calibration a scenario names: a built-in profile with its overrides applied, each
/// checked (unknown profile or field, value out of range → the field and what is allowed).
fn validate_calibration(c: &CalibrationWire) -> Result<Calibration, ScenarioError> {
    let mut cal = Calibration::builtin(&c.profile).map_err(|e| {
        field(
            "calibration.profile",
            crate::text::shorten(&c.profile, 40),
            &e.to_string(),
        )
    })?;
    for (name, &value) in &c.overrides {
        let path = format!("calibration.overrides.{}", crate::text::shorten(name, 40));
        let f: CalibrationField = name
            .parse()
            .map_err(|e: CalibrationError| field(&path, num(value), &e.to_string()))?;
        cal.set(f, value)
            .map_err(|e| field(&path, num(value), &e.to_string()))?;
    }
    Ok(cal)
}

fn validate_engine(e: &EngineConfig) -> Result<(), ScenarioError> {
    let checks: [(&str, u64, u64, u64); 7] = [
        (
            "engine.max_batched_tokens",
            e.max_batched_tokens as u64,
            16,
            1 << 20,
        ),
        ("engine.max_num_seqs", e.max_num_seqs as u64, 1, 4096),
        (
            "engine.local_queue_cap_tokens",
            e.local_queue_cap_tokens as u64,
            1,
            1 << 24,
        ),
        (
            "engine.long_threshold_tokens",
            e.long_threshold_tokens as u64,
            1,
            1 << 26,
        ),
        (
            "engine.max_short_kv_permille",
            e.max_short_kv_permille as u64,
            1,
            1000,
        ),
        (
            "engine.sp_tokens_per_replica",
            e.sp_tokens_per_replica as u64,
            1024,
            1 << 26,
        ),
        (
            "engine.kernels_per_layer",
            e.kernels_per_layer as u64,
            1,
            1000,
        ),
    ];
    for (name, v, lo, hi) in checks {
        if v < lo || v > hi {
            return Err(field(name, v, &format!("between {lo} and {hi}")));
        }
    }
    if e.context_switch > SimDuration::from_millis(3_600_000) {
        return Err(field(
            "engine.context_switch",
            e.context_switch.0,
            "between 0 and 3600000000000 (nanoseconds)",
        ));
    }
    if e.drain_limit.0 == 0 || e.drain_limit > SimDuration::from_millis(30 * 24 * 3_600_000) {
        return Err(field(
            "engine.drain_limit",
            e.drain_limit.0,
            "between 1 ns and 30 days (nanoseconds)",
        ));
    }
    Ok(())
}
