//! The colocation cap derived from the cost model (docs/paper.md §2.6: short-prefill tokens per
//! GPU are capped "so that the long decode is not slowed"; the paper gives no value).
//!
//! One long-decode step on a member replica computes the partial attention of the new token
//! over the member's KV share, plus the SP decode overhead of the group (Q broadcast, LSE
//! all-reduce), plus whatever short prefill is batched in (colocation). On the roofline the
//! decode step is bound by streaming the weights and the KV; short-prefill tokens ride along
//! almost free until their compute outgrows that streaming. The cap is the largest per-GPU
//! token count that keeps the step within a named slowdown bound of the step alone.
//!
//! [`colocation_cap_tokens_per_gpu`] is the core's one definition, for the engine (when the
//! scenario's [`ColocationCap`] is [`ColocationCap::Derived`], the default), `predict` and the
//! explorer to call.

use crate::perf::{BatchShape, PerfModel, SpGroup};

/// Default slowdown bound: a colocated long-decode step may take at most 5 % (50 ‰) longer than
/// the step alone (the paper's "not slowed" needs some tolerance on a model where any
/// extra token costs something).
pub const DEFAULT_MAX_SLOWDOWN_PERMILLE: u32 = 50;

/// How the per-GPU cap on short-prefill tokens colocated with a long-decode step is set.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ColocationCap {
    /// Derived per long request from the performance model ([`colocation_cap_tokens_per_gpu`]
    /// over the request's KV share per member and its group): the largest count that slows a
    /// long-decode step by at most this many per mille. The default, with
    /// [`DEFAULT_MAX_SLOWDOWN_PERMILLE`].
    Derived {
        /// Slowdown bound, ‰ of the step alone.
        max_slowdown_permille: u32,
    },
    /// A fixed count, whatever the request (wire version 1's only form).
    Fixed {
        /// Short-prefill tokens per GPU.
        tokens_per_gpu: u32,
    },
}

impl Default for ColocationCap {
    fn default() -> Self {
        ColocationCap::Derived {
            max_slowdown_permille: DEFAULT_MAX_SLOWDOWN_PERMILLE,
        }
    }
}

impl ColocationCap {
    /// The cap, tokens per GPU, for a long request of `input_tokens` laid out as `group`. A
    /// derived cap is computed at its first decode step, where each member holds its share of
    /// `input + 1` tokens of KV ([`first_decode_kv_share`]).
    pub fn tokens_per_gpu(self, perf: &PerfModel, input_tokens: u64, group: &SpGroup) -> u32 {
        match self {
            ColocationCap::Fixed { tokens_per_gpu } => tokens_per_gpu,
            ColocationCap::Derived {
                max_slowdown_permille,
            } => colocation_cap_tokens_per_gpu(
                perf,
                first_decode_kv_share(input_tokens, group),
                group,
                max_slowdown_permille,
            ),
        }
    }
}

/// KV tokens each member of `group` holds at a long request's first decode step: its input and
/// the first generated token, spread evenly over the group's replicas.
pub fn first_decode_kv_share(input_tokens: u64, group: &SpGroup) -> u64 {
    (input_tokens + 1).div_ceil(u64::from(group.replicas()))
}

/// The search stops here: a cap beyond one iteration's token budget means "no cap needed".
pub const MAX_CAP_TOKENS_PER_GPU: u32 = 1 << 16;

/// The time of one long-decode step on a member replica with `tokens_per_gpu` short-prefill
/// tokens per GPU batched in (one fresh prefill chunk of `tokens_per_gpu · tp` tokens), over a
/// KV share of `local_kv_tokens`, for a group laid out as `group`.
pub fn colocated_step_ns(
    perf: &PerfModel,
    local_kv_tokens: u64,
    group: &SpGroup,
    tokens_per_gpu: u32,
) -> u64 {
    let mut shape = BatchShape::default();
    shape.add_prefill_chunk(tokens_per_gpu as u64 * perf.tp() as u64, 0);
    shape.add_decode(local_kv_tokens);
    perf.iteration_time(&shape).0 + perf.sp_decode_overhead(group).0
}

/// The largest per-GPU short-prefill token count that slows one long-decode step (KV share
/// `local_kv_tokens` per member, group `group`) by at most `max_slowdown_permille` ‰ under the
/// performance model; [`MAX_CAP_TOKENS_PER_GPU`] if even that many fit. Binary search: the
/// step time does not fall as tokens are added (every op's roofline grows with them).
pub fn colocation_cap_tokens_per_gpu(
    perf: &PerfModel,
    local_kv_tokens: u64,
    group: &SpGroup,
    max_slowdown_permille: u32,
) -> u32 {
    let base = colocated_step_ns(perf, local_kv_tokens, group, 0) as u128;
    let limit = base * (1_000 + max_slowdown_permille as u128);
    let fits = |t: u32| colocated_step_ns(perf, local_kv_tokens, group, t) as u128 * 1_000 <= limit;
    let (mut lo, mut hi) = (0u32, MAX_CAP_TOKENS_PER_GPU);
    if fits(hi) {
        return hi;
    }
    // Invariant: fits(lo), !fits(hi).
    while hi - lo > 1 {
        let mid = lo + (hi - lo) / 2;
        if fits(mid) {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    lo
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::hardware::ClusterSpec;
    use crate::model::ModelKind;
    use crate::perf::Calibration;

    fn perf(model: ModelKind, tp: u32) -> PerfModel {
        PerfModel::new(
            &ClusterSpec::paper_testbed(),
            &model.spec(),
            tp,
            &Calibration::datasheet_default(),
        )
        .unwrap()
    }

    #[test]
    fn the_cap_is_the_largest_count_within_the_bound() {
        let group = SpGroup {
            replicas_per_node: vec![3],
        };
        for (model, tp) in [(ModelKind::Llama31_8B, 2), (ModelKind::Llama31_70B, 4)] {
            let p = perf(model, tp);
            let kv = 100_000;
            let base = colocated_step_ns(&p, kv, &group, 0);
            let cap = colocation_cap_tokens_per_gpu(&p, kv, &group, DEFAULT_MAX_SLOWDOWN_PERMILLE);
            assert!(
                cap > 0 && cap < MAX_CAP_TOKENS_PER_GPU,
                "{model:?}: cap {cap}"
            );
            assert!(colocated_step_ns(&p, kv, &group, cap) * 1_000 <= base * 1_050);
            assert!(colocated_step_ns(&p, kv, &group, cap + 1) * 1_000 > base * 1_050);
        }
    }

    #[test]
    fn a_looser_bound_or_a_longer_kv_share_never_lowers_the_cap() {
        let p = perf(ModelKind::Llama31_8B, 2);
        let group = SpGroup {
            replicas_per_node: vec![2],
        };
        let cap = |kv, b| colocation_cap_tokens_per_gpu(&p, kv, &group, b);
        assert!(cap(100_000, 0) <= cap(100_000, 50));
        assert!(cap(100_000, 50) <= cap(100_000, 200));
        // More KV to stream makes the step longer: more prefill hides under it.
        assert!(cap(50_000, 50) <= cap(250_000, 50));
    }
}
