//! Edits of the scenario draft, one per editor field. They change the wire form only (names
//! and numbers); the core validates the result.

use pecsched_core::hardware::GpuKind;
use pecsched_core::perf::profiles::BuiltinProfile;
use pecsched_core::policy::{ColocationCap, PolicyKind, PriorityPlacement, ReservationPool};
use pecsched_core::scenario::wire::{
    CalibrationWire, LongInputWire, ScenarioWire, SourceWire, SyntheticWire,
};
use pecsched_core::scenario::{EmbeddedTrace, Scenario};
use pecsched_core::workload::LONG_INPUT_DEFAULTS;

/// Where requests come from, as the editor's source selector offers it.
#[derive(Clone, Debug, PartialEq)]
pub enum SourceChoice {
    /// An embedded trace, by id.
    Embedded(String),
    /// The synthetic generator.
    Synthetic,
    /// The uploaded file (name and format id, as the worker reported them).
    File {
        /// File name.
        name: String,
        /// Format id.
        format: String,
    },
}

/// One field of the editor changed.
#[derive(Clone, Debug, PartialEq)]
pub enum Edit {
    /// GPU id.
    Gpu(String),
    /// Nodes in the cluster.
    Nodes(u32),
    /// GPUs per node.
    GpusPerNode(u32),
    /// Tensor-parallel size.
    Tp(u32),
    /// Inter-node bandwidth, Gbit/s.
    NetworkGbps(f64),
    /// Model id.
    Model(String),
    /// Request source.
    Source(SourceChoice),
    /// Synthetic: number of requests.
    SynthRequests(u32),
    /// Synthetic: mean arrival rate, requests/s.
    SynthRate(f64),
    /// Synthetic: coefficient of variation of inter-arrival times.
    SynthCv(f64),
    /// Synthetic: lengths resampled from this embedded trace, or log-normal (`None`).
    SynthLengthsFrom(Option<String>),
    /// Synthetic: one log-normal parameter (0 input median, 1 input σ, 2 output median,
    /// 3 output σ).
    SynthLogNormal(usize, f64),
    /// Arrival-rate multiplier.
    RateScale(f64),
    /// Use a time window.
    WindowOn(bool),
    /// Window start, seconds.
    WindowStart(f64),
    /// Window end, seconds.
    WindowEnd(f64),
    /// Keep at most this many requests.
    MaxRequests(Option<u32>),
    /// Apply the long-input transform.
    LongInputOn(bool),
    /// Long-input percentile.
    LongPercentile(f64),
    /// Smallest long input, tokens.
    LongMin(u32),
    /// Largest long input, tokens.
    LongMax(u32),
    /// Include or leave out a policy.
    Policy(PolicyKind, bool),
    /// PecSched: decode-only replicas (`None` = the paper's rule).
    DecodeReplicas(Option<u32>),
    /// PecSched: how the colocation cap is set (derived with its slowdown bound, or fixed).
    ColocationCap(ColocationCap),
    /// Reservation: the size of the long-request pool.
    ReservationPool(ReservationPool),
    /// Priority: the placement rule of long requests (a `PriorityPlacement` id; others are
    /// ignored).
    PriorityPlacement(String),
    /// The calibration: a built-in profile id, without overrides (unknown ids are ignored).
    Calibration(String),
    /// Seed of every random draw.
    Seed(u64),
    /// Prefix caching (docs/prefix-caching.md).
    Prefix(super::PrefixEdit),
    /// One SLO limit of one class (docs/metrics.md).
    Slo(super::SloEdit),
    /// One parameter of issue 18's policies (docs/policies.md).
    Param(pecsched_core::scenario::param_edit::PolicyParam, f64),
}

/// The synthetic workload the source selector starts from.
pub fn default_synthetic() -> SyntheticWire {
    SyntheticWire {
        requests: 2000,
        rate_per_s: 0.25,
        cv: 1.0,
        lengths_from: Some(EmbeddedTrace::AzureConv2023.id().to_string()),
        lognormal: None,
    }
}

/// Log-normal lengths the "log-normal" choice starts from (medians in tokens, σ of ln).
pub const DEFAULT_LOGNORMAL: (f64, f64, f64, f64) = (1000.0, 1.0, 250.0, 0.8);

impl Edit {
    /// Applies the edit to `w`.
    pub fn apply(self, w: &mut ScenarioWire) {
        let wl = &mut w.workload;
        match self {
            Edit::Gpu(g) => {
                // A scenario on its GPU's default profile moves to the new GPU's default; a
                // profile the user picked stays (with a warning if it was measured elsewhere).
                let default_of = |id: &str| {
                    id.parse::<GpuKind>()
                        .ok()
                        .map(|gpu| CalibrationWire::builtin(Scenario::default_calibration_id(gpu)))
                };
                if w.calibration.is_some() && w.calibration == default_of(&w.cluster.gpu) {
                    w.calibration = default_of(&g).or(w.calibration.take());
                }
                w.cluster.gpu = g;
            }
            Edit::Nodes(n) => w.cluster.nodes = n,
            Edit::GpusPerNode(n) => w.cluster.gpus_per_node = n,
            Edit::Tp(t) => w.tp = t,
            Edit::NetworkGbps(g) => w.cluster.network_gbps = g,
            Edit::Model(m) => w.model = m,
            Edit::Source(SourceChoice::Embedded(id)) => wl.source = SourceWire::Embedded(id),
            Edit::Source(SourceChoice::File { name, format }) => {
                wl.source = SourceWire::File { name, format }
            }
            Edit::Source(SourceChoice::Synthetic) => {
                if !matches!(wl.source, SourceWire::Synthetic(_)) {
                    wl.source = SourceWire::Synthetic(default_synthetic());
                }
            }
            Edit::SynthRequests(n) => synth(w, |s| s.requests = n),
            Edit::SynthRate(r) => synth(w, |s| s.rate_per_s = r),
            Edit::SynthCv(c) => synth(w, |s| s.cv = c),
            Edit::SynthLengthsFrom(from) => synth(w, |s| {
                if from.is_none() && s.lognormal.is_none() {
                    s.lognormal = Some(DEFAULT_LOGNORMAL);
                }
                s.lengths_from = from;
            }),
            Edit::SynthLogNormal(i, v) => synth(w, |s| {
                let mut p = s.lognormal.unwrap_or(DEFAULT_LOGNORMAL);
                match i {
                    0 => p.0 = v,
                    1 => p.1 = v,
                    2 => p.2 = v,
                    _ => p.3 = v,
                }
                s.lognormal = Some(p);
            }),
            Edit::RateScale(r) => wl.rate_scale = r,
            Edit::WindowOn(on) => {
                wl.window_s = on.then(|| wl.window_s.unwrap_or((0.0, 1200.0)));
            }
            Edit::WindowStart(a) => {
                let (_, b) = wl.window_s.unwrap_or((0.0, 1200.0));
                wl.window_s = Some((a, b));
            }
            Edit::WindowEnd(b) => {
                let (a, _) = wl.window_s.unwrap_or((0.0, 1200.0));
                wl.window_s = Some((a, b));
            }
            Edit::MaxRequests(n) => wl.max_requests = n,
            Edit::LongInputOn(on) => wl.long_input = on.then(|| long_input(wl.long_input)),
            Edit::LongPercentile(p) => {
                wl.long_input = Some(long_input(wl.long_input)).map(|mut l| {
                    l.percentile = p;
                    l
                })
            }
            Edit::LongMin(n) => {
                wl.long_input = Some(long_input(wl.long_input)).map(|mut l| {
                    l.min_tokens = n;
                    l
                })
            }
            Edit::LongMax(n) => {
                wl.long_input = Some(long_input(wl.long_input)).map(|mut l| {
                    l.max_tokens = n;
                    l
                })
            }
            Edit::Policy(p, on) => {
                let id = p.id().to_string();
                w.policies.retain(|x| *x != id);
                if on {
                    w.policies.push(id);
                    // Keep the catalog's display order.
                    w.policies
                        .sort_by_key(|x| PolicyKind::ALL.iter().position(|k| k.id() == x.as_str()));
                }
            }
            Edit::Prefix(p) => p.apply(w),
            Edit::Slo(e) => e.apply(w),
            Edit::Param(param, value) => w.set_policy_param(param, value),
            Edit::DecodeReplicas(n) => knobs(w).decode_replicas = n,
            Edit::ColocationCap(c) => knobs(w).colocation_cap = c,
            Edit::ReservationPool(p) => knobs(w).reservation_pool = p,
            Edit::PriorityPlacement(id) => {
                if PriorityPlacement::from_id(&id).is_some() {
                    knobs(w).priority_placement = id;
                }
            }
            Edit::Calibration(id) => {
                if BuiltinProfile::find(&id).is_some() {
                    w.calibration = Some(CalibrationWire::builtin(&id));
                }
            }
            Edit::Seed(s) => w.seed = s,
        }
    }
}

fn synth(w: &mut ScenarioWire, f: impl FnOnce(&mut SyntheticWire)) {
    if let SourceWire::Synthetic(s) = &mut w.workload.source {
        f(s);
    }
}

fn knobs(w: &mut ScenarioWire) -> &mut pecsched_core::scenario::wire::KnobsWire {
    w.knobs.get_or_insert_with(Default::default)
}

fn long_input(current: Option<LongInputWire>) -> LongInputWire {
    current.unwrap_or(LongInputWire {
        percentile: LONG_INPUT_DEFAULTS.0,
        min_tokens: LONG_INPUT_DEFAULTS.1,
        max_tokens: LONG_INPUT_DEFAULTS.2,
    })
}
