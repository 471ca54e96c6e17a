//! [`PerfModel`]: one model replica of `tp` GPUs (tensor parallel, no pipeline parallel).
//!
//! Per layer and GPU: QKV projection, prefill attention, decode attention, O projection, TP
//! all-reduce, SwiGLU gate+up, down projection, TP all-reduce; then the LM head on the last
//! position of every sequence and the engine's per-iteration CPU cost (fixed plus per
//! sequence). Norms, RoPE and the SwiGLU activation are memory-bound elementwise ops, priced
//! per layer when the calibration's `elementwise_traffic` or `elementwise_kernel_s` is set
//! (off in the datasheet defaults).

use crate::hardware::ClusterSpec;
use crate::model::ModelSpec;
use crate::perf::comm::Link;
use crate::perf::roofline::{AttentionShape, Linear, OpCost, Roof};
use crate::perf::{BatchShape, Bound, Calibration, LayerShapes, OpEstimate, PerfError};
use crate::time::SimDuration;

/// Predicts iteration times, KV capacity, KV transfers and long-prefill times for one model
/// on one replica shape. Cheap to clone; everything size-dependent is precomputed in
/// [`PerfModel::new`].
#[derive(Clone, Debug, PartialEq)]
pub struct PerfModel {
    pub(super) model: ModelSpec,
    pub(super) cluster: ClusterSpec,
    pub(super) calib: Calibration,
    pub(super) tp: u32,
    pub(super) roof: Roof,
    pub(super) nvlink: Link,
    pub(super) network: Link,
    /// One layer's sizes on one GPU, which the ops below are built from.
    pub(super) shapes: LayerShapes,
    /// qkv, o, gate_up, down on this GPU (sharded by `tp`).
    pub(super) linears: [Linear; 4],
    pub(super) lm_head: Linear,
    pub(super) attn: AttentionShape,
    /// `d · 2` bytes: one token's hidden state.
    pub(super) hidden_bytes: f64,
    /// KV bytes per token per layer for the whole replica (KV heads replicated if `tp > N_kv`).
    pub(super) kv_layer_bytes: f64,
    pub(super) kv_capacity: u64,
    /// Fewest bytes per token of one layer's elementwise ops on one GPU (two fused
    /// residual-add + RMSNorms, RoPE on Q and K, SiLU·mul), before `elementwise_traffic`.
    pub(super) elementwise_bytes_per_token: f64,
}

/// The per-layer ops of one iteration whose cost depends only on its token count: their costs
/// (`T = OpCost`) or their times (`T = f64`, what [`super::OpCache`] keeps).
#[derive(Clone, Copy, Debug, Default)]
pub(super) struct TokenOps<T> {
    pub qkv: T,
    pub o: T,
    /// The TP all-reduce (twice per layer; absent at `tp = 1`).
    pub ar: Option<T>,
    pub gate_up: T,
    pub down: T,
    /// Absent unless the calibration prices elementwise ops.
    pub elementwise: Option<T>,
}

impl<T: Copy> TokenOps<T> {
    /// Every per-layer op in [`LAYER_OPS`] order, the attention ops in their places: the one
    /// order both the cached and the uncached sums use.
    #[inline]
    pub fn with_attention(&self, prefill: Option<T>, decode: Option<T>) -> [Option<T>; 9] {
        [
            Some(self.qkv),
            prefill,
            decode,
            Some(self.o),
            self.ar,
            Some(self.gate_up),
            Some(self.down),
            self.ar,
            self.elementwise,
        ]
    }
}

impl TokenOps<OpCost> {
    /// Each op's time ([`OpCost::time_s`]).
    pub fn times(&self) -> TokenOps<f64> {
        TokenOps {
            qkv: self.qkv.time_s(),
            o: self.o.time_s(),
            ar: self.ar.map(|a| a.time_s()),
            gate_up: self.gate_up.time_s(),
            down: self.down.time_s(),
            elementwise: self.elementwise.map(|e| e.time_s()),
        }
    }
}

/// Elementwise kernels per layer: two fused residual-add + RMSNorms, RoPE, SiLU·mul.
const ELEMENTWISE_KERNELS: f64 = 4.0;

/// Names of the per-layer ops, in execution order.
const LAYER_OPS: [&str; 9] = [
    "qkv_proj",
    "attn_prefill",
    "attn_decode",
    "o_proj",
    "tp_allreduce_attn",
    "mlp_gate_up",
    "mlp_down",
    "tp_allreduce_mlp",
    "elementwise",
];

/// Fewest bytes per token of one layer's elementwise ops on one GPU, bf16: each fused
/// residual-add + RMSNorm reads x and the residual and writes both (`4·d`, twice), RoPE reads
/// and writes Q and K (`2·(H + H_kv)·d_h`), SiLU·mul reads gate and up and writes one (`3·I`).
fn elementwise_bytes_per_token(s: &LayerShapes) -> f64 {
    let d = f64::from(s.hidden);
    let qk = f64::from(s.heads + s.kv_heads) * f64::from(s.head_dim);
    let i = f64::from(s.intermediate);
    (2.0 * 4.0 * d + 2.0 * qk + 3.0 * i) * crate::model::BYTES_PER_ELEMENT as f64
}

fn check_cluster(field: &'static str, value: f64, allow_zero: bool) -> Result<(), PerfError> {
    if value.is_finite() && (value > 0.0 || (allow_zero && value == 0.0)) {
        Ok(())
    } else {
        let requirement = if allow_zero { ">= 0" } else { "> 0" };
        Err(PerfError::InvalidCluster {
            field,
            value,
            requirement,
        })
    }
}

/// The four per-layer GEMMs with weights split `shard` ways (Megatron TP: column-parallel QKV
/// and gate/up, row-parallel O and down), from [`LayerShapes`].
pub(super) fn layer_linears(m: &ModelSpec, shard: u32) -> [Linear; 4] {
    LayerShapes::new(m, shard).linears()
}

impl PerfModel {
    /// Builds the model of one replica of `model` on `tp` GPUs of `cluster`.
    ///
    /// Errors when `tp` is 0 or exceeds a node, when `tp` does not divide the query heads,
    /// when neither `tp` nor the KV heads divide the other, when the weights do not fit, or
    /// when a cluster figure or calibration value is out of range.
    pub fn new(
        cluster: &ClusterSpec,
        model: &ModelSpec,
        tp: u32,
        calib: &Calibration,
    ) -> Result<PerfModel, PerfError> {
        calib.validate()?;
        let gpu = &cluster.gpu;
        check_cluster("gpu.bf16_flops", gpu.bf16_flops, false)?;
        check_cluster("gpu.hbm_bytes_per_s", gpu.hbm_bytes_per_s, false)?;
        check_cluster("gpu.memory_bytes", gpu.memory_bytes as f64, false)?;
        check_cluster("gpu.nvlink_bytes_per_s", gpu.nvlink_bytes_per_s, false)?;
        check_cluster("network_bytes_per_s", cluster.network_bytes_per_s, false)?;
        check_cluster("network_latency_s", cluster.network_latency_s, true)?;
        check_cluster("nvlink_latency_s", cluster.nvlink_latency_s, true)?;
        if tp == 0 {
            return Err(PerfError::ZeroTp);
        }
        if tp > cluster.gpus_per_node {
            return Err(PerfError::TpExceedsNode {
                tp,
                gpus_per_node: cluster.gpus_per_node,
            });
        }
        if !model.heads.is_multiple_of(tp) {
            return Err(PerfError::HeadsNotDivisible {
                tp,
                heads: model.heads,
                model: model.name,
            });
        }
        if !model.kv_heads.is_multiple_of(tp) && !tp.is_multiple_of(model.kv_heads) {
            return Err(PerfError::KvHeadsNotDivisible {
                tp,
                kv_heads: model.kv_heads,
                model: model.name,
            });
        }
        let t = tp as f64;
        let usable = t * gpu.memory_bytes as f64 * calib.memory_utilization
            - t * calib.activation_reserve_bytes_per_gpu;
        let weights = model.weight_bytes() as f64;
        if weights > usable {
            return Err(PerfError::WeightsDoNotFit {
                model: model.name,
                tp,
                weight_bytes: model.weight_bytes(),
                usable_bytes: usable.max(0.0) as u64,
            });
        }
        let shapes = LayerShapes::new(model, tp);
        let attn = shapes.attention();
        let kv_layer_bytes = attn.kv_bytes_per_token * t;
        let kv_token = kv_layer_bytes * model.layers as f64;
        let kv_capacity = ((usable - weights) / kv_token).max(0.0) as u64;
        let d = model.hidden as f64;
        let vocab = model.vocab as f64;
        Ok(PerfModel {
            model: *model,
            cluster: *cluster,
            calib: calib.clone(),
            tp,
            roof: Roof::new(gpu, calib),
            nvlink: Link::nvlink(cluster, calib),
            network: Link::network(cluster, calib),
            shapes,
            linears: shapes.linears(),
            lm_head: Linear::new(vocab * d / t, d, vocab / t),
            attn,
            hidden_bytes: d * 2.0,
            kv_layer_bytes,
            kv_capacity,
            elementwise_bytes_per_token: elementwise_bytes_per_token(&shapes),
        })
    }

    /// The per-request fixed cost on the path to the first token (the calibration's
    /// `request_overhead_s`): the engine adds it to every request's first-token and completion
    /// times; it occupies no GPU.
    pub fn request_overhead(&self) -> SimDuration {
        SimDuration::from_secs_f64(self.calib.request_overhead_s)
    }

    /// The model this predicts.
    pub fn model(&self) -> &ModelSpec {
        &self.model
    }

    /// The cluster this predicts on.
    pub fn cluster(&self) -> &ClusterSpec {
        &self.cluster
    }

    /// The calibration in use.
    pub fn calibration(&self) -> &Calibration {
        &self.calib
    }

    /// GPUs per replica.
    pub fn tp(&self) -> u32 {
        self.tp
    }

    /// One layer's sizes on one GPU of this replica: the shapes every per-layer op is priced
    /// at (what the native worker's replay launches).
    pub fn layer_shapes(&self) -> &LayerShapes {
        &self.shapes
    }

    /// The per-layer ops whose cost depends only on the batch's `x` tokens (the GEMMs, the TP
    /// all-reduces, the elementwise ops), in [`TokenOps`] order.
    #[inline]
    pub(super) fn token_ops(&self, x: f64) -> TokenOps<OpCost> {
        let r = &self.roof;
        let ar = {
            let bytes = x * self.hidden_bytes;
            let (wire, lat) = self.nvlink.all_reduce_parts(self.tp, bytes);
            (self.tp > 1).then_some(OpCost::comm(bytes, wire, lat))
        };
        let [qkv, o, gate_up, down] = &self.linears;
        let c = &self.calib;
        let elementwise =
            (c.elementwise_traffic > 0.0 || c.elementwise_kernel_s > 0.0).then(|| {
                let bytes = c.elementwise_traffic * self.elementwise_bytes_per_token * x;
                OpCost {
                    bytes,
                    memory_s: bytes / r.hbm_bytes_per_s,
                    overhead_s: ELEMENTWISE_KERNELS * c.elementwise_kernel_s,
                    ..OpCost::default()
                }
            });
        TokenOps {
            qkv: qkv.eval(x, r),
            o: o.eval(x, r),
            ar,
            gate_up: gate_up.eval(x, r),
            down: down.eval(x, r),
            elementwise,
        }
    }

    /// The attention ops of batch `b`: prefill, decode (each absent without its sequences).
    #[inline]
    pub(super) fn attention_ops(&self, b: &BatchShape) -> [Option<OpCost>; 2] {
        let r = &self.roof;
        let prefill = (b.prefill_seqs > 0).then(|| {
            let span = (b.prefill_tokens + b.prefill_prefix_tokens) as f64;
            let pairs = b.prefill_attn_pairs as f64;
            let seqs = b.prefill_seqs as f64;
            self.attn
                .prefill(seqs, pairs, b.prefill_tokens as f64, span, r)
        });
        let decode = (b.decode_seqs > 0).then(|| {
            self.attn
                .decode(b.decode_seqs as f64, b.decode_kv_tokens as f64, r)
        });
        [prefill, decode]
    }

    /// The LM head over `rows` sequences (one position each).
    #[inline]
    pub(super) fn lm_head_op(&self, rows: f64) -> OpCost {
        self.lm_head.eval(rows, &self.roof)
    }

    /// One iteration's seconds from its per-layer op times (in [`LAYER_OPS`] order, an absent
    /// op skipped), the LM head's time and its `rows`: the one formula both
    /// [`PerfModel::walk`] and the cached path ([`super::OpCache`]) use, so they agree bit for
    /// bit.
    #[inline]
    pub(super) fn total_s(&self, layer_ops: [Option<f64>; 9], lm_s: f64, rows: f64) -> f64 {
        let mut per_layer = 0.0;
        for t in layer_ops.into_iter().flatten() {
            per_layer += t;
        }
        per_layer * self.model.layers as f64 + lm_s + self.fixed_op(rows).time_s()
    }

    fn fixed_op(&self, rows: f64) -> OpCost {
        let c = &self.calib;
        OpCost::fixed(c.iteration_overhead_s + c.iteration_overhead_per_seq_s * rows)
    }

    /// Visits every op of one iteration (per-layer ops once, with their layer count) and
    /// returns the iteration's seconds. Shared by the hot path and [`PerfModel::breakdown`] so
    /// the two cannot disagree.
    #[inline]
    fn walk(&self, b: &BatchShape, visit: &mut impl FnMut(&'static str, u32, &OpCost)) -> f64 {
        if b.is_empty() {
            return 0.0;
        }
        let t = self.token_ops(b.total_tokens() as f64);
        let [prefill, decode] = self.attention_ops(b);
        let ops = t.with_attention(prefill, decode);
        let layers = self.model.layers;
        for (name, op) in LAYER_OPS.into_iter().zip(ops) {
            if let Some(op) = op {
                visit(name, layers, &op);
            }
        }
        let rows = b.prefill_seqs as f64 + b.decode_seqs as f64;
        let lm = self.lm_head_op(rows);
        visit("lm_head", 1, &lm);
        visit("iteration_overhead", 1, &self.fixed_op(rows));
        self.total_s(ops.map(|o| o.map(|o| o.time_s())), lm.time_s(), rows)
    }

    /// Predicted wall time of one iteration running batch `b` on this replica (zero for an
    /// empty batch). O(1), no allocation.
    #[inline]
    pub fn iteration_time(&self, b: &BatchShape) -> SimDuration {
        SimDuration::from_secs_f64(self.walk(b, &mut |_, _, _| {}))
    }

    /// Per-op estimates of one iteration (one GPU, one occurrence each, `count` occurrences),
    /// then a `total` row whose time is [`PerfModel::iteration_time`] in seconds and whose
    /// bound is the category holding the most time. Empty for an empty batch.
    pub fn breakdown(&self, b: &BatchShape) -> Vec<OpEstimate> {
        let mut rows = Vec::with_capacity(12);
        let mut by_bound = [0.0f64; 4];
        let total = self.walk(b, &mut |name, count, op| {
            let bound = op.bound();
            by_bound[bound as usize] += op.time_s() * count as f64;
            rows.push(OpEstimate {
                name,
                count,
                flops: op.flops,
                bytes: op.bytes,
                compute_s: op.compute_s,
                memory_s: op.memory_s,
                overhead_s: op.overhead_s,
                time_s: op.time_s(),
                bound,
            });
        });
        if rows.is_empty() {
            return rows;
        }
        let sum = |f: fn(&OpEstimate) -> f64| rows.iter().map(|r| f(r) * r.count as f64).sum();
        let bounds = [Bound::Compute, Bound::Memory, Bound::Latency, Bound::Comm];
        let mut bound = Bound::Compute;
        for (i, candidate) in bounds.into_iter().enumerate() {
            if by_bound[i] > by_bound[bound as usize] {
                bound = candidate;
            }
        }
        let total_row = OpEstimate {
            name: "total",
            count: 1,
            flops: sum(|r| r.flops),
            bytes: sum(|r| r.bytes),
            compute_s: sum(|r| r.compute_s),
            memory_s: sum(|r| r.memory_s),
            overhead_s: sum(|r| r.overhead_s),
            time_s: total,
            bound,
        };
        rows.push(total_row);
        rows
    }
}
