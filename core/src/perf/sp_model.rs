//! Time model of sequence-parallel long prefill and of decode over a spread KV (see `sp.rs`
//! for the modes and the modelling choices).

use crate::perf::replica::layer_linears;
use crate::perf::roofline::OpCost;
use crate::perf::sp::{DEFAULT_SP_COST_COUNTING, SpCost, SpCostCounting, SpCostModel};
use crate::perf::{
    PerfModel, SP_COMBINATIONS, SpCandidate, SpChoice, SpEstimate, SpGroup, SpMode, SpPlan,
};
use crate::time::SimDuration;

/// The group's geometry for a prefill of `l` tokens.
struct Geometry {
    /// Input tokens.
    l: f64,
    /// Replicas.
    k: u32,
    /// Nodes.
    m: u32,
    /// Most replicas in one node.
    r_max: u32,
    /// Tokens per GPU: `l / (k·tp)`.
    s: f64,
    /// GPU count of every node of the group (`r_j · tp`).
    gpus: Vec<u32>,
}

/// Per-layer seconds of one candidate, split into computation and communication.
#[derive(Clone, Copy, Default)]
pub(super) struct Layer {
    pub(super) compute: f64,
    pub(super) comm: f64,
}

impl PerfModel {
    fn geometry(&self, input_tokens: u64, group: &SpGroup) -> Geometry {
        let k = group.replicas();
        let mut gpus: Vec<u32> = group
            .replicas_per_node
            .iter()
            .filter(|&&r| r > 0)
            .map(|&r| r * self.tp)
            .collect();
        if gpus.is_empty() {
            gpus.push(self.tp);
        }
        let l = input_tokens as f64;
        Geometry {
            l,
            k,
            m: group.nodes(),
            r_max: group.max_per_node(),
            s: l / (k as f64 * self.tp as f64),
            gpus,
        }
    }

    /// Ulysses attention splits heads over every GPU of a node: they must divide the heads,
    /// and the KV heads and GPUs must divide one another.
    fn ulysses_feasible(&self, geo: &Geometry) -> bool {
        let (h, kv) = (self.model.heads, self.model.kv_heads);
        geo.gpus
            .iter()
            .all(|&g| h.is_multiple_of(g) && (kv.is_multiple_of(g) || g.is_multiple_of(kv)))
    }

    /// Ring attention over `steps` participants holding `l/steps` tokens each; every GPU does
    /// `flops` of attention over the ring; `transfer` is one step's slowest KV-block send.
    pub(super) fn ring(&self, flops: f64, steps: u32, block: f64, transfer: f64) -> Layer {
        let n = steps as f64;
        let slowdown = 1.0 + self.calib.ring_attn_step_penalty * (n - 1.0);
        let step = self.roof.attention_compute_s(flops / n, block, slowdown);
        let sync = if steps > 1 {
            self.calib.ring_step_overhead_s
        } else {
            0.0
        };
        Layer {
            compute: n * (step + self.roof.attention_overhead_s),
            comm: n * ((transfer - step).max(0.0) + sync),
        }
    }

    /// One layer of one combination; `None` when infeasible.
    fn layer(&self, geo: &Geometry, attn: SpChoice, mlp: SpChoice) -> Option<Layer> {
        if attn == SpChoice::Ulysses && !self.ulysses_feasible(geo) {
            return None;
        }
        let (t, r, nv) = (self.tp, &self.roof, &self.nvlink);
        let m = &self.model;
        let (s, st) = (geo.s, geo.s * t as f64);
        let full = layer_linears(m, 1);
        let [qkv, o, gate_up, down] = &self.linears;
        let time = |ops: [OpCost; 2]| ops[0].time_s() + ops[1].time_s();
        // Megatron-SP: all-gather then reduce-scatter of the TP region's s·T hidden states.
        let gathered = st * self.hidden_bytes;
        let megatron_comm = nv.all_gather(t, gathered) + nv.reduce_scatter(t, gathered);
        // Attention: total per-GPU FLOPs over the ring are the same for both schemes:
        // 4 · L(L+1)/2 pairs · N_h · d_h / (k·T GPUs).
        let pairs = geo.l * (geo.l + 1.0) / 2.0;
        let gpus_total = (geo.k * t) as f64;
        let attn_flops = 4.0 * pairs * (m.heads * m.head_dim) as f64 / gpus_total;
        let (attn_lin, attn_comm, ring) = match attn {
            SpChoice::Megatron => {
                let block = geo.l / geo.k as f64;
                let block_bytes = block * self.kv_layer_bytes;
                let mut transfer: f64 = 0.0;
                if geo.k > 1 && geo.r_max > 1 {
                    transfer = transfer.max(nv.p2p(block_bytes / t as f64));
                }
                if geo.k > 1 && geo.m > 1 {
                    transfer = transfer.max(self.network.p2p(block_bytes));
                }
                let lin = time([qkv.eval(st, r), o.eval(st, r)]);
                (
                    lin,
                    megatron_comm,
                    self.ring(attn_flops, geo.k, block, transfer),
                )
            }
            SpChoice::Ulysses => {
                let (h, kv, dh) = (m.heads as f64, m.kv_heads as f64, m.head_dim as f64);
                let qkv_bytes = s * (h + 2.0 * kv) * dh * 2.0;
                let out_bytes = s * h * dh * 2.0;
                let weights = m.attn_params_per_layer() as f64 * 2.0;
                let comm = geo
                    .gpus
                    .iter()
                    .map(|&g| nv.all_to_all(g, qkv_bytes) + nv.all_to_all(g, out_bytes))
                    .fold(0.0, f64::max)
                    + nv.all_gather(t, weights);
                // The node sending the largest segment sets the inter-node step.
                let biggest = geo.gpus.iter().copied().max().unwrap_or(t) as f64 / t as f64;
                let seg = geo.l * biggest / geo.k as f64;
                let transfer = if geo.m > 1 {
                    self.network.p2p(seg * self.kv_layer_bytes)
                } else {
                    0.0
                };
                let lin = time([full[0].eval(s, r), full[1].eval(s, r)]);
                (
                    lin,
                    comm,
                    self.ring(attn_flops, geo.m, geo.l / geo.m as f64, transfer),
                )
            }
        };
        let (mlp_lin, mlp_comm) = match mlp {
            SpChoice::Megatron => (time([gate_up.eval(st, r), down.eval(st, r)]), megatron_comm),
            SpChoice::Ulysses => {
                let weights = m.mlp_params_per_layer() as f64 * 2.0;
                (
                    time([full[2].eval(s, r), full[3].eval(s, r)]),
                    nv.all_gather(t, weights),
                )
            }
        };
        Some(Layer {
            compute: attn_lin + ring.compute + mlp_lin,
            comm: attn_comm + ring.comm + mlp_comm,
        })
    }

    fn estimate(&self, layer: Layer, plan: SpPlan) -> SpEstimate {
        let n = self.model.layers as f64;
        let lm = self.lm_head.eval(1.0, &self.roof).time_s();
        let compute = n * layer.compute + lm;
        let comm = n * layer.comm;
        SpEstimate {
            time: SimDuration::from_secs_f64(compute + comm + self.calib.iteration_overhead_s),
            plan,
            per_layer: SimDuration::from_secs_f64(layer.compute + layer.comm),
            comm_time: SimDuration::from_secs_f64(comm),
            compute_time: SimDuration::from_secs_f64(compute),
        }
    }

    /// The four fast-SP combinations for a prefill of `input_tokens` over `group`, each with
    /// its estimate (`None` if infeasible), in [`SP_COMBINATIONS`] order.
    pub fn sp_candidates(&self, input_tokens: u64, group: &SpGroup) -> [SpCandidate; 4] {
        let geo = self.geometry(input_tokens, group);
        SP_COMBINATIONS.map(|(attention, mlp)| SpCandidate {
            attention,
            mlp,
            estimate: self
                .layer(&geo, attention, mlp)
                .map(|l| self.estimate(l, SpPlan::Hybrid { attention, mlp })),
        })
    }

    /// The paper's §5.3 cost model on this model's hardware and calibration, counting the
    /// attention term per `counting` (see [`SpCostModel`] for the constants).
    pub fn sp_cost_model(&self, counting: SpCostCounting) -> SpCostModel {
        SpCostModel {
            nvlink_bytes_per_s: self.nvlink.bytes_per_s,
            flops_per_s: self.roof.gemm_flops_per_s,
            counting,
        }
    }

    /// The four combinations for a prefill of `input_tokens` over `group` priced by the
    /// cost model ([`DEFAULT_SP_COST_COUNTING`] unless `counting` says otherwise), in
    /// [`SP_COMBINATIONS`] order, with their feasibility.
    pub fn sp_costs(
        &self,
        input_tokens: u64,
        group: &SpGroup,
        counting: SpCostCounting,
    ) -> [SpCost; 4] {
        let geo = self.geometry(input_tokens, group);
        let feasible = self.ulysses_feasible(&geo);
        let mut costs =
            self.sp_cost_model(counting)
                .costs(&self.model, input_tokens, group, self.tp);
        for c in &mut costs {
            c.feasible = c.attention == SpChoice::Megatron || feasible;
        }
        costs
    }

    /// Fast SP's choice for a prefill of `input_tokens` over `group` (docs/paper.md §2.7): the
    /// feasible combination with the least cost-model `comm + compute`
    /// ([`DEFAULT_SP_COST_COUNTING`]; ties: earlier in [`SP_COMBINATIONS`]).
    pub fn sp_choice(&self, input_tokens: u64, group: &SpGroup) -> (SpChoice, SpChoice) {
        self.sp_choice_counting(input_tokens, group, DEFAULT_SP_COST_COUNTING)
    }

    /// [`PerfModel::sp_choice`] with the attention term counted per `counting`.
    pub fn sp_choice_counting(
        &self,
        input_tokens: u64,
        group: &SpGroup,
        counting: SpCostCounting,
    ) -> (SpChoice, SpChoice) {
        let mut best: Option<SpCost> = None;
        for c in self.sp_costs(input_tokens, group, counting) {
            if c.feasible && best.is_none_or(|b| c.total_s() < b.total_s()) {
                best = Some(c);
            }
        }
        best.map_or((SpChoice::Megatron, SpChoice::Megatron), |b| {
            (b.attention, b.mlp)
        })
    }

    /// Predicted time of a long prefill of `input_tokens` spread over `group` (replicas of
    /// this model's `tp`), in `mode`. `Fast` runs the combination the paper's cost model
    /// chooses ([`PerfModel::sp_choice`]) and prices it with the roofline (its
    /// [`PerfModel::sp_candidates`] estimate); `RingOnly` is Megatron/Megatron reported as
    /// [`SpPlan::Ring`]. Ring attention is modelled as described in `sp.rs`; long prefill
    /// attention is taken as compute-bound.
    pub fn sp_prefill(&self, input_tokens: u64, group: &SpGroup, mode: SpMode) -> SpEstimate {
        let geo = self.geometry(input_tokens, group);
        let ring = || {
            let layer = self.layer(&geo, SpChoice::Megatron, SpChoice::Megatron);
            self.estimate(layer.unwrap_or_default(), SpPlan::Ring)
        };
        match mode {
            SpMode::RingOnly => ring(),
            SpMode::Fast => {
                let (attention, mlp) = self.sp_choice(input_tokens, group);
                self.layer(&geo, attention, mlp)
                    .map(|l| self.estimate(l, SpPlan::Hybrid { attention, mlp }))
                    .unwrap_or_else(ring)
            }
        }
    }

    /// Extra time per decode step of a long request whose KV is spread over `group`
    /// (docs/paper.md §2.6, Fig. 7): per layer, the new token's Q goes to every replica holding KV
    /// (over the network once per remote node, then NVLink), the partial attention outputs
    /// with their log-sum-exp (bf16 output + f32 LSE per head) are all-reduced — inside each
    /// node over NVLink among its replicas, then between nodes over the network — and one
    /// merge kernel runs; times all layers. Zero for a single replica. The attention over each
    /// replica's local KV share is not included: price it with
    /// [`PerfModel::iteration_time`] of that replica (`add_decode(local share)`).
    pub fn sp_decode_overhead(&self, group: &SpGroup) -> SimDuration {
        self.sp_merge_overhead(group, 1)
    }

    /// [`PerfModel::sp_decode_overhead`] for `query_tokens` queries at once: the same Q
    /// broadcast and partial-output all-reduce with every message `query_tokens` times larger,
    /// and one merge kernel per layer. Prices a chunk of a prefill whose earlier KV is spread
    /// over `group` (Medha's KV-parallel chunks, `sim/adaptive_chunk.rs`); with one query it is
    /// the decode step's overhead, bit for bit.
    pub fn sp_merge_overhead(&self, group: &SpGroup, query_tokens: u64) -> SimDuration {
        let (k, m, r_max) = (group.replicas(), group.nodes(), group.max_per_node());
        if k <= 1 {
            return SimDuration::ZERO;
        }
        let t = self.tp as f64;
        let n = query_tokens.max(1) as f64;
        let heads_gpu = self.model.heads as f64 / t;
        let q_bytes = heads_gpu * self.model.head_dim as f64 * 2.0 * n;
        let out_bytes = q_bytes + heads_gpu * 4.0 * n;
        let (nv, net) = (&self.nvlink, &self.network);
        let mut layer = self.calib.kernel_overhead_s;
        if m > 1 {
            layer += net.p2p(q_bytes * t) + net.all_reduce(m, out_bytes * t);
        }
        if r_max > 1 {
            layer += nv.p2p(q_bytes) + nv.all_reduce(r_max, out_bytes);
        }
        SimDuration::from_secs_f64(layer * self.model.layers as f64)
    }
}
