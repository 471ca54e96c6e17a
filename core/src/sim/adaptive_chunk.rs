//! The chunk of one adaptive chunked-prefill step (Medha's adaptive chunking, engine rule
//! [`LongPrefill::Chunked`](crate::sched::LongPrefill::Chunked) with `adaptive`; Agrawal et
//! al., arXiv 2409.17264): the largest chunk whose step stays within the target time between
//! tokens, each chunk priced at its position.
//!
//! Pricing a step of `c` prompt tokens per member on a `k`-member group whose first `before`
//! prompt tokens are prefilled (their KV spread over the members): each member runs its `c`
//! queries fused with its own short batch in one iteration ([`PerfModel::iteration_time`] of
//! the batch's shape plus a prefill chunk of `c` tokens), attending to an equal share of the
//! step's causal (query, key) pairs — `c·before + c(c·k + 1)/2`, i.e. a chunk of `c` tokens
//! after `before + (c·k − c)/2` context tokens, the same term prefix caching prices a prefill
//! with cached context by ([`BatchShape::add_prefill_chunk`]) — so the same chunk costs more
//! the further the prefill has progressed. The step takes the slowest member plus the merge of
//! the members' partial attention outputs ([`PerfModel::sp_merge_overhead`] for `c` queries).

use crate::perf::{BatchShape, PerfModel, SpGroup};
use crate::sched::AdaptiveChunk;
use crate::time::SimDuration;

/// What one adaptive step runs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ChunkChoice {
    /// Prompt tokens each member processes.
    pub tokens_per_member: u32,
    /// Prompt tokens the whole group processes (`tokens_per_member × k`, at most what is left).
    pub tokens: u32,
    /// The step's modelled time (short batches included).
    pub duration: SimDuration,
}

/// The time of a step of `c` prompt tokens per member after `before` prefilled tokens, with
/// each member's short batch `shapes[i]`, on `group`.
pub fn step_time(
    perf: &PerfModel,
    shapes: &[BatchShape],
    group: &SpGroup,
    before: u64,
    c: u64,
) -> SimDuration {
    step_time_over(perf, shapes, shapes.len(), group, before, c)
}

/// [`step_time`] over the members' `distinct` batch shapes (members with equal shapes take
/// equal time: each distinct shape is priced once), for a group of `members`.
fn step_time_over(
    perf: &PerfModel,
    distinct: &[BatchShape],
    members: usize,
    group: &SpGroup,
    before: u64,
    c: u64,
) -> SimDuration {
    let k = members.max(1) as u64;
    let prefix = before + c * (k - 1) / 2;
    let slowest = distinct
        .iter()
        .map(|s| {
            let mut shape = *s;
            shape.add_prefill_chunk(c, prefix);
            perf.iteration_time(&shape)
        })
        .max()
        .unwrap_or(SimDuration::ZERO);
    slowest + perf.sp_merge_overhead(group, c)
}

/// The largest chunk, at most `max_per_member` per member and at most what is left of the
/// `input`, whose step stays within `rule.step_target`; `rule.min_tokens_per_member` when none
/// does (the step then runs over the target: a prefill always progresses). A binary search:
/// a step's time does not fall as its chunk grows.
pub fn choose(
    perf: &PerfModel,
    shapes: &[BatchShape],
    group: &SpGroup,
    before: u32,
    input: u32,
    max_per_member: u32,
    rule: AdaptiveChunk,
) -> ChunkChoice {
    let k = shapes.len().max(1) as u64;
    let left = u64::from(input.saturating_sub(before));
    let hi_cap = u64::from(max_per_member.max(1))
        .min(left.div_ceil(k))
        .max(1);
    let lo_cap = u64::from(rule.min_tokens_per_member.max(1)).min(hi_cap);
    // Members with equal shapes (idle ones, typically) are priced once.
    let mut distinct: Vec<BatchShape> = Vec::with_capacity(shapes.len());
    for s in shapes {
        if !distinct.contains(s) {
            distinct.push(*s);
        }
    }
    let time = |c: u64| step_time_over(perf, &distinct, shapes.len(), group, u64::from(before), c);
    let (mut lo, mut hi) = (lo_cap, hi_cap);
    // The time of the chunk `lo`, once the search has priced it.
    let mut lo_time = None;
    let top = time(hi);
    if top <= rule.step_target {
        lo = hi;
        lo_time = Some(top);
    } else {
        // Invariant: `hi` misses the target; `lo` is the answer if nothing larger fits.
        while hi - lo > 1 {
            let mid = lo + (hi - lo) / 2;
            let t = time(mid);
            if t <= rule.step_target {
                lo = mid;
                lo_time = Some(t);
            } else {
                hi = mid;
            }
        }
    }
    let tokens = (lo * k).min(left).max(1) as u32;
    ChunkChoice {
        tokens_per_member: lo as u32,
        tokens,
        duration: lo_time.unwrap_or_else(|| time(lo)).max(SimDuration(1)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::hardware::ClusterSpec;
    use crate::model::ModelKind;
    use crate::perf::Calibration;

    /// Llama-3.1-70B at TP = 4 on the paper's A100 testbed, datasheet calibration.
    fn perf() -> PerfModel {
        let cluster = ClusterSpec::paper_testbed();
        let model = ModelKind::Llama31_70B.spec();
        PerfModel::new(&cluster, &model, 4, &Calibration::datasheet_default()).unwrap()
    }

    fn decodes(n: u32, context: u64) -> BatchShape {
        let mut s = BatchShape::default();
        for _ in 0..n {
            s.add_decode(context);
        }
        s
    }

    #[test]
    fn chunks_shrink_as_the_prefill_progresses_and_every_step_meets_the_target() {
        let perf = perf();
        let group = SpGroup {
            replicas_per_node: vec![2],
        };
        let shapes = [decodes(8, 2000), decodes(8, 2000)];
        let rule = AdaptiveChunk {
            step_target: SimDuration::from_millis(150),
            min_tokens_per_member: 1,
        };
        let input = 400_000;
        let mut last = u32::MAX;
        let mut shrank = false;
        for before in [0, 50_000, 100_000, 200_000, 300_000, 390_000] {
            let c = choose(&perf, &shapes, &group, before, input, 2048, rule);
            assert!(c.tokens_per_member <= last, "before {before}: {c:?}");
            shrank |= c.tokens_per_member < last && last != u32::MAX;
            last = c.tokens_per_member;
            assert!(c.duration <= rule.step_target, "before {before}: {c:?}");
            // The largest such chunk: one more token per member misses the target.
            if c.tokens_per_member < 2048 {
                let next = step_time(
                    &perf,
                    &shapes,
                    &group,
                    before as u64,
                    c.tokens_per_member as u64 + 1,
                );
                assert!(next > rule.step_target, "before {before}: {c:?}");
            }
        }
        assert!(shrank, "the chunk never shrank");
        assert!(last < 2048);
    }

    #[test]
    fn the_same_chunk_costs_more_further_into_the_prompt() {
        let perf = perf();
        let group = SpGroup {
            replicas_per_node: vec![2],
        };
        let shapes = [BatchShape::default(), BatchShape::default()];
        let early = step_time(&perf, &shapes, &group, 0, 1024);
        let late = step_time(&perf, &shapes, &group, 300_000, 1024);
        assert!(late.0 > early.0 * 2, "early {early:?}, late {late:?}");
    }

    #[test]
    fn a_target_nothing_meets_takes_the_minimum_and_the_end_takes_what_is_left() {
        let perf = perf();
        let group = SpGroup {
            replicas_per_node: vec![2],
        };
        let shapes = [decodes(200, 8000), decodes(200, 8000)];
        let rule = AdaptiveChunk {
            step_target: SimDuration(1),
            min_tokens_per_member: 16,
        };
        let c = choose(&perf, &shapes, &group, 1000, 100_000, 2048, rule);
        assert_eq!((c.tokens_per_member, c.tokens), (16, 32));
        assert!(c.duration > rule.step_target);
        let rule = AdaptiveChunk {
            step_target: SimDuration::from_millis(100_000),
            min_tokens_per_member: 16,
        };
        let c = choose(&perf, &shapes, &group, 99_990, 100_000, 2048, rule);
        assert_eq!((c.tokens_per_member, c.tokens), (5, 10));
    }
}
