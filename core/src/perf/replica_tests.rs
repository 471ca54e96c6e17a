//! Hand-computed roofline checks of [`PerfModel`] (replica iteration times and errors).

use crate::hardware::{ClusterSpec, GpuKind};
use crate::model::{ModelKind, ModelSpec};
use crate::perf::{BatchShape, Bound, Calibration, PerfError, PerfModel};
use crate::time::SimDuration;
use proptest::prelude::*;

fn a100() -> ClusterSpec {
    ClusterSpec::paper_testbed()
}

fn perf(model: ModelKind, tp: u32) -> PerfModel {
    PerfModel::new(
        &a100(),
        &model.spec(),
        tp,
        &Calibration::datasheet_default(),
    )
    .unwrap()
}

fn close(actual: SimDuration, expected_s: f64, rel: f64) {
    let a = actual.as_secs_f64();
    assert!(
        (a / expected_s - 1.0).abs() < rel,
        "{a} s vs {expected_s} s (±{rel})"
    );
}

/// Per-layer parameters of a model (attention projections + SwiGLU MLP).
fn layer_params(m: &ModelSpec) -> f64 {
    (m.attn_params_per_layer() + m.mlp_params_per_layer()) as f64
}

#[test]
fn llama70b_tp4_decode_of_one_sequence_is_weight_bandwidth_bound() {
    let m = ModelKind::Llama31_70B.spec();
    let p = perf(ModelKind::Llama31_70B, 4);
    let mut b = BatchShape::default();
    b.add_decode(1000);
    // Every GPU streams its quarter of the layer weights plus the LM head once:
    // (80·(attn + mlp params) + vocab·d) · 2 bytes / 4 ≈ 34.75 GB, at 2039 GB/s × 0.9.
    let weights_per_gpu = (80.0 * layer_params(&m) + 128256.0 * 8192.0) * 2.0 / 4.0;
    let streaming = weights_per_gpu / (2039e9 * 0.9); // ≈ 18.9 ms
    // Fixed costs per layer: 4 GEMM launches (4.7 µs), one attention call (15 µs), two ring
    // all-reduces over 4 GPUs (6 NVLink latencies of 3 µs each); plus the LM-head launch and
    // the 1 ms iteration overhead.
    let fixed = 80.0 * (4.0 * 4.7e-6 + 15e-6 + 2.0 * 6.0 * 3e-6) + 4.7e-6 + 1e-3;
    // Activations, the 1000-token KV read and the all-reduce wire time add < 1 %.
    close(p.iteration_time(&b), streaming + fixed, 0.01);
    let rows = p.breakdown(&b);
    let qkv = rows.iter().find(|r| r.name == "qkv_proj").unwrap();
    assert_eq!(qkv.bound, Bound::Memory);
    assert_eq!(qkv.count, 80);
    assert!(streaming / (streaming + fixed) > 0.7);
}

#[test]
fn llama70b_tp4_prefill_of_4096_tokens_is_compute_bound() {
    let m = ModelKind::Llama31_70B.spec();
    let p = perf(ModelKind::Llama31_70B, 4);
    let mut b = BatchShape::default();
    b.add_prefill_chunk(4096, 0);
    let s = 4096.0;
    // Linear layers: 2 · params · tokens / 4 GPUs at 312 TFLOP/s × 0.66 (+ LM head, 1 row).
    let linear = 2.0 * 80.0 * layer_params(&m) * s / (4.0 * 312e12 * 0.66); // ≈ 0.68 s
    // Attention: 4 · S(S+1)/2 pairs · (64/4 heads) · 128 · 80 layers at the SDPA curve
    // 0.634 · S/(S + 530) of 312 TFLOP/s (S² vs S(S+1) in the curve: < 0.03 % apart).
    let pairs = s * (s + 1.0) / 2.0;
    let attn_eff = 0.634 * s / (s + 530.0);
    let attention = 80.0 * 4.0 * pairs * 16.0 * 128.0 / (312e12 * attn_eff); // ≈ 31 ms
    // Two ring all-reduces of S·d·2 bytes per layer: 2·3/4 · bytes / (300 GB/s × 0.8).
    let allreduce = 160.0 * (1.5 * s * 8192.0 * 2.0 / 240e9 + 6.0 * 3e-6); // ≈ 70 ms
    let fixed = 80.0 * (4.0 * 4.7e-6 + 15e-6) + 1e-3;
    close(
        p.iteration_time(&b),
        linear + attention + allreduce + fixed,
        0.01,
    );
    let rows = p.breakdown(&b);
    for name in [
        "qkv_proj",
        "o_proj",
        "mlp_gate_up",
        "mlp_down",
        "attn_prefill",
    ] {
        let r = rows.iter().find(|r| r.name == name).unwrap();
        assert_eq!(r.bound, Bound::Compute, "{name}");
    }
    assert_eq!(rows.last().unwrap().bound, Bound::Compute);
}

#[test]
fn breakdown_sums_to_iteration_time() {
    let p = perf(ModelKind::Yi34B, 4);
    let mut b = BatchShape::default();
    b.add_prefill_chunk(512, 2048);
    b.add_prefill_chunk(300, 0);
    for ctx in [100, 2000, 9000] {
        b.add_decode(ctx);
    }
    let rows = p.breakdown(&b);
    let total = rows.last().unwrap();
    assert_eq!(total.name, "total");
    let sum: f64 = rows[..rows.len() - 1]
        .iter()
        .map(|r| r.time_s * r.count as f64)
        .sum();
    assert!((sum - total.time_s).abs() < 1e-12 * sum);
    assert_eq!(
        SimDuration::from_secs_f64(total.time_s),
        p.iteration_time(&b)
    );
    let names: Vec<_> = rows.iter().map(|r| r.name).collect();
    assert_eq!(
        names,
        [
            "qkv_proj",
            "attn_prefill",
            "attn_decode",
            "o_proj",
            "tp_allreduce_attn",
            "mlp_gate_up",
            "mlp_down",
            "tp_allreduce_mlp",
            "lm_head",
            "iteration_overhead",
            "total"
        ]
    );
    assert!(
        rows.iter()
            .filter(|r| r.name.starts_with("tp_"))
            .all(|r| r.bound == Bound::Comm)
    );
}

#[test]
fn tp1_has_no_allreduce_and_empty_batch_costs_nothing() {
    let p = perf(ModelKind::Mistral7B, 1);
    let mut b = BatchShape::default();
    assert_eq!(p.iteration_time(&b), SimDuration::ZERO);
    assert!(p.breakdown(&b).is_empty());
    b.add_decode(10);
    assert!(p.breakdown(&b).iter().all(|r| !r.name.starts_with("tp_")));
    assert!(p.iteration_time(&b) > SimDuration::from_millis(7));
}

#[test]
fn faster_gpus_predict_shorter_iterations() {
    let mut b = BatchShape::default();
    b.add_prefill_chunk(2048, 0);
    b.add_decode(4000);
    let m = ModelKind::Llama31_8B.spec();
    let calib = Calibration::datasheet_default();
    let times: Vec<_> = GpuKind::ALL
        .iter()
        .map(|g| {
            let mut c = a100();
            c.gpu = g.spec();
            PerfModel::new(&c, &m, 1, &calib)
                .unwrap()
                .iteration_time(&b)
        })
        .collect();
    assert!(times[0] > times[1] && times[1] >= times[2], "{times:?}");
}

#[test]
fn construction_errors_name_the_problem() {
    let c = a100();
    let calib = Calibration::datasheet_default();
    let new = |m: ModelKind, tp| PerfModel::new(&c, &m.spec(), tp, &calib).unwrap_err();
    assert_eq!(new(ModelKind::Mistral7B, 0), PerfError::ZeroTp);
    assert!(matches!(
        new(ModelKind::Mistral7B, 16),
        PerfError::TpExceedsNode { tp: 16, .. }
    ));
    assert!(matches!(
        new(ModelKind::Mistral7B, 3),
        PerfError::HeadsNotDivisible { heads: 32, .. }
    ));
    let e = new(ModelKind::Phi3Medium14B, 4);
    assert!(
        matches!(e, PerfError::KvHeadsNotDivisible { kv_heads: 10, .. }),
        "{e}"
    );
    let e = new(ModelKind::Llama31_70B, 1);
    assert!(matches!(e, PerfError::WeightsDoNotFit { tp: 1, .. }), "{e}");
    assert!(e.to_string().contains("Llama-3.1-70B"));
    let mut bad = calib.clone();
    bad.gemm_efficiency = 1.5;
    let e = PerfModel::new(&c, &ModelKind::Mistral7B.spec(), 1, &bad).unwrap_err();
    assert!(e.to_string().contains("gemm_efficiency"), "{e}");
    let mut slow = c;
    slow.network_bytes_per_s = 0.0;
    let e = PerfModel::new(&slow, &ModelKind::Mistral7B.spec(), 1, &calib).unwrap_err();
    assert!(e.to_string().contains("network_bytes_per_s"), "{e}");
    slow = c;
    slow.nvlink_latency_s = -1.0;
    let e = PerfModel::new(&slow, &ModelKind::Mistral7B.spec(), 1, &calib).unwrap_err();
    assert!(e.to_string().contains("nvlink_latency_s"), "{e}");
}

fn batch_strategy() -> impl Strategy<Value = (Vec<(u64, u64)>, Vec<u64>)> {
    (
        prop::collection::vec((1u64..20_000, 0u64..50_000), 0..6),
        prop::collection::vec(1u64..200_000, 0..64),
    )
}

fn build(chunks: &[(u64, u64)], decodes: &[u64]) -> BatchShape {
    let mut b = BatchShape::default();
    for &(n, p) in chunks {
        b.add_prefill_chunk(n, p);
    }
    for &l in decodes {
        b.add_decode(l);
    }
    b
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, rng_seed: prop::test_runner::RngSeed::Fixed(7), ..ProptestConfig::default() })]

    #[test]
    fn more_work_never_takes_less_time(
        (chunks, decodes) in batch_strategy(),
        extra_n in 1u64..30_000,
        extra_p in 0u64..60_000,
        extra_l in 1u64..300_000,
        grow in 1u64..5_000,
    ) {
        let p = perf(ModelKind::Llama31_70B, 4);
        let base = build(&chunks, &decodes);
        let t = p.iteration_time(&base);
        let mut more = base;
        more.add_prefill_chunk(extra_n, extra_p);
        prop_assert!(p.iteration_time(&more) >= t);
        let mut more = base;
        more.add_decode(extra_l);
        prop_assert!(p.iteration_time(&more) >= t);
        if let Some(&(n, pre)) = chunks.first() {
            let mut longer = chunks.clone();
            longer[0] = (n + grow, pre);
            prop_assert!(p.iteration_time(&build(&longer, &decodes)) >= t);
            longer[0] = (n, pre + grow);
            prop_assert!(p.iteration_time(&build(&longer, &decodes)) >= t);
        }
        if let Some(&l) = decodes.first() {
            let mut longer = decodes.clone();
            longer[0] = l + grow;
            prop_assert!(p.iteration_time(&build(&chunks, &longer)) >= t);
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, rng_seed: prop::test_runner::RngSeed::Fixed(11), ..ProptestConfig::default() })]

    /// The memoised path gives `iteration_time` bit for bit, for every built-in calibration
    /// (tiles, elementwise ops, all-reduces on and off), with one cache reused across batches
    /// whose token counts collide in its table.
    #[test]
    fn cached_iteration_times_equal_the_uncached(
        batches in prop::collection::vec(batch_strategy(), 1..12),
        shift in 0u64..3,
    ) {
        for profile in crate::perf::profiles::BUILTIN_PROFILES {
            let calib = Calibration::builtin(profile.id).unwrap();
            for (model, tp) in [(ModelKind::Llama31_70B, 4), (ModelKind::Mistral7B, 1)] {
                let p = PerfModel::new(&a100(), &model.spec(), tp, &calib).unwrap();
                let mut cache = crate::perf::OpCache::default();
                for (chunks, decodes) in &batches {
                    let mut b = build(chunks, decodes);
                    for _ in 0..2 {
                        prop_assert_eq!(p.iteration_time_cached(&mut cache, &b), p.iteration_time(&b));
                        // Same slot, another token count: the entry is replaced, not reused.
                        b.add_prefill_chunk(1024 << shift, 0);
                    }
                }
            }
        }
    }
}
