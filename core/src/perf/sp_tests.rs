//! Checks of the sequence-parallel prefill and decode-overhead model.

use crate::hardware::ClusterSpec;
use crate::model::ModelKind;
use crate::perf::{BatchShape, Calibration, PerfModel, SpChoice, SpGroup, SpMode, SpPlan};
use crate::time::SimDuration;

fn perf(model: ModelKind, tp: u32) -> PerfModel {
    let c = ClusterSpec::paper_testbed();
    PerfModel::new(&c, &model.spec(), tp, &Calibration::datasheet_default()).unwrap()
}

fn two_by_two() -> SpGroup {
    SpGroup {
        replicas_per_node: vec![2, 2],
    }
}

#[test]
fn fast_sp_beats_ring_only_for_500k_on_4_replicas_over_2_nodes() {
    let p = perf(ModelKind::Llama31_70B, 4);
    let ring = p.sp_prefill(500_000, &two_by_two(), SpMode::RingOnly);
    let fast = p.sp_prefill(500_000, &two_by_two(), SpMode::Fast);
    assert_eq!(ring.plan, SpPlan::Ring);
    assert!(fast.time < ring.time);
    let speedup = ring.time.as_secs_f64() / fast.time.as_secs_f64();
    assert!((1.15..1.6).contains(&speedup), "speed-up {speedup}");
    // Minutes, not hours or seconds: 16 A100s, ~2.6e17 FLOPs of attention alone.
    assert!(
        (60.0..300.0).contains(&fast.time.as_secs_f64()),
        "{}",
        fast.time
    );
    for e in [ring, fast] {
        let sum = e.compute_time.0 + e.comm_time.0 + 1_000_000; // + 1 ms iteration overhead
        assert!(sum.abs_diff(e.time.0) <= 2, "{e:?}");
        assert!(e.compute_time > e.comm_time);
    }
}

#[test]
fn plan_choice_follows_sequence_length() {
    let p = perf(ModelKind::Llama31_70B, 4);
    let plan = |l| p.sp_prefill(l, &two_by_two(), SpMode::Fast).plan;
    let hybrid = |attention, mlp| SpPlan::Hybrid { attention, mlp };
    use SpChoice::{Megatron, Ulysses};
    // Short: gathering a layer's weights (0.3 GB attention, 1.4 GB MLP) costs more than
    // moving the activations, and the ring penalty is small.
    assert_eq!(plan(8_000), hybrid(Megatron, Megatron));
    // Long: Ulysses attention avoids the 4-replica ring's penalty; the MLP weight gather pays
    // off once activations outweigh the weights.
    assert_eq!(plan(500_000), hybrid(Ulysses, Ulysses));
    let mut seen = vec![];
    for l in (8_000..=500_000).step_by(4_000) {
        let pl = plan(l);
        if seen.last() != Some(&pl) {
            seen.push(pl);
        }
    }
    assert!(seen.len() >= 3, "{seen:?}");
    assert!(seen.contains(&hybrid(Ulysses, Megatron)), "{seen:?}");
}

#[test]
fn ring_only_is_the_megatron_megatron_candidate() {
    let p = perf(ModelKind::Yi34B, 4);
    for (l, g) in [(150_000, two_by_two()), (300_000, SpGroup::single_node(2))] {
        let ring = p.sp_prefill(l, &g, SpMode::RingOnly);
        let mm = p.sp_candidates(l, &g)[0].estimate.unwrap();
        assert_eq!(ring.time, mm.time);
        assert_eq!(ring.comm_time, mm.comm_time);
        let fast = p.sp_prefill(l, &g, SpMode::Fast);
        assert!(fast.time <= ring.time);
    }
}

#[test]
fn one_replica_ring_matches_a_plain_prefill_iteration() {
    let p = perf(ModelKind::Llama31_8B, 1);
    let l = 64_000;
    let sp = p.sp_prefill(l, &SpGroup::single_node(1), SpMode::RingOnly);
    let mut b = BatchShape::default();
    b.add_prefill_chunk(l, 0);
    let it = p.iteration_time(&b).as_secs_f64();
    assert!(
        (sp.time.as_secs_f64() / it - 1.0).abs() < 0.01,
        "{} vs {it}",
        sp.time
    );
    assert_eq!(sp.comm_time, SimDuration::ZERO);
}

#[test]
fn ring_efficiency_falls_as_the_ring_grows() {
    // GPU-seconds of a 400K prefill of Mistral (tp = 1) grow with the ring length.
    let p = perf(ModelKind::Mistral7B, 1);
    let gpu_seconds = |k: u32| {
        let t = p
            .sp_prefill(400_000, &SpGroup::single_node(k), SpMode::RingOnly)
            .time;
        t.as_secs_f64() * k as f64
    };
    assert!(gpu_seconds(2) < gpu_seconds(4) && gpu_seconds(4) < gpu_seconds(8));
    // Without the penalty, the ring scales almost perfectly on NVLink.
    let mut calib = Calibration::datasheet_default();
    calib.ring_attn_step_penalty = 0.0;
    let c = ClusterSpec::paper_testbed();
    let flat = PerfModel::new(&c, &ModelKind::Mistral7B.spec(), 1, &calib).unwrap();
    let t2 = flat
        .sp_prefill(400_000, &SpGroup::single_node(2), SpMode::RingOnly)
        .time;
    let t8 = flat
        .sp_prefill(400_000, &SpGroup::single_node(8), SpMode::RingOnly)
        .time;
    let scaling = t2.as_secs_f64() / t8.as_secs_f64();
    assert!(scaling > 3.8, "{scaling}");
}

#[test]
fn ulysses_needs_divisible_heads() {
    // Phi-3: 40 heads, 10 KV heads; 8 TP=1 replicas in a node cannot split 10 KV heads.
    let p = perf(ModelKind::Phi3Medium14B, 1);
    let c = p.sp_candidates(200_000, &SpGroup::single_node(8));
    assert!(c[0].estimate.is_some() && c[1].estimate.is_some());
    assert!(c[2].estimate.is_none() && c[3].estimate.is_none());
    let fast = p.sp_prefill(200_000, &SpGroup::single_node(8), SpMode::Fast);
    assert!(matches!(
        fast.plan,
        SpPlan::Hybrid {
            attention: SpChoice::Megatron,
            ..
        }
    ));
    // 2 replicas (G = 2) divide both.
    assert!(
        p.sp_candidates(200_000, &SpGroup::single_node(2))[3]
            .estimate
            .is_some()
    );
}

#[test]
fn decode_overhead_by_hand() {
    let p = perf(ModelKind::Llama31_70B, 4);
    assert_eq!(
        p.sp_decode_overhead(&SpGroup::single_node(1)),
        SimDuration::ZERO
    );
    // Two replicas in one node: per layer one NVLink send of Q (16 heads · 128 · 2 B per GPU),
    // a 2-way ring all-reduce of the output (+ f32 LSE per head) and a merge kernel.
    let q = 16.0 * 128.0 * 2.0;
    let out = q + 16.0 * 4.0;
    let nv = 300e9 * 0.8;
    let layer = 4.7e-6 + (3e-6 + q / nv) + (2.0 * 3e-6 + out / nv);
    let expected = SimDuration::from_secs_f64(80.0 * layer);
    assert_eq!(p.sp_decode_overhead(&SpGroup::single_node(2)), expected);
    // Spanning two nodes adds the network's latencies.
    let cross = p.sp_decode_overhead(&two_by_two());
    assert!(cross > expected);
    let net = 50e9 * 0.8;
    let extra = 80.0 * ((10e-6 + 4.0 * q / net) + (2.0 * 10e-6 + 4.0 * out / net));
    assert!((cross.as_secs_f64() - expected.as_secs_f64() - extra).abs() < 1e-8);
}
