//! Performance model: how long one iteration, one KV transfer or one long prefill takes.
//!
//! Everything is an analytic roofline in explicit units (FLOPs, bytes, seconds) over the
//! datasheet figures of [`crate::hardware`] and the architecture of [`crate::model`], scaled by
//! the named efficiencies and overheads of a [`Calibration`]:
//!
//! - [`roofline`]: one linear or attention op on one GPU (`max(compute, memory) + overhead`);
//! - [`comm`]: collectives over NVLink or the network (`latency·steps + bytes/(bw·eff)`);
//! - [`PerfModel`] (in `replica.rs` and `kv.rs`): one replica of `tp` GPUs — iteration time
//!   of a mixed prefill/decode batch, per-op breakdown, KV capacity and KV transfers;
//! - [`sp`]: a long prefill spread over several replicas, ring attention only (baselines, the
//!   /FSP ablation) or PecSched's fast sequence parallelism (docs/paper.md §2.7);
//! - [`calibration`]: the named constants and their versioned JSON profile;
//! - [`kernel`]: the time of one GPU kernel from its shape (what the native worker measures);
//! - [`profiles`]: the built-in calibration profiles (datasheet, GPU-measured, fitted to
//!   production kernels);
//! - [`production`]: readers of the production-kernel tables and the mapping of their rows
//!   onto the model's ops (what `pecsched-worker calibrate --production` fits).
//!
//! The module is pure and deterministic: only `+ − × ÷ max` on `f64` (IEEE-exact on every
//! target), one rounding to integer nanoseconds per returned [`SimDuration`](crate::time::SimDuration),
//! no allocation on the hot path ([`PerfModel::iteration_time`]).

pub mod calibration;
#[cfg(test)]
mod calibration_tests;
pub mod comm;
pub mod kernel;
mod kv;
mod op_cache;
pub mod production;
pub mod profiles;
mod replica;
#[cfg(test)]
mod replica_tests;
pub mod roofline;
mod shapes;
pub mod sp;
mod sp_model;
#[cfg(test)]
mod sp_tests;

pub use calibration::{Calibration, CalibrationError, CalibrationField, Provenance};
pub use op_cache::OpCache;
pub use replica::PerfModel;
pub use shapes::LayerShapes;
pub use sp::{
    SP_COMBINATIONS, SpCandidate, SpChoice, SpCostRow, SpEstimate, SpGroup, SpMode, SpPlan,
    sp_cost_table,
};

use serde::Serialize;
use thiserror::Error;

/// The work of one scheduler iteration on one replica, summarised so its cost is O(1) to price.
///
/// Build it with [`BatchShape::add_prefill_chunk`] and [`BatchShape::add_decode`].
#[derive(Clone, Copy, Default, Debug, PartialEq, Serialize)]
pub struct BatchShape {
    /// Number of prefill chunks in the iteration.
    pub prefill_seqs: u32,
    /// Σ new tokens of those chunks.
    pub prefill_tokens: u64,
    /// Σ causal (query, key) pairs: a chunk of `n` new tokens after `p` cached tokens has
    /// `n·p + n(n+1)/2`.
    pub prefill_attn_pairs: u64,
    /// Σ `p`: cached KV tokens read by prefill attention.
    pub prefill_prefix_tokens: u64,
    /// Sequences generating one token this iteration.
    pub decode_seqs: u32,
    /// Σ context lengths those decode tokens attend to (KV read).
    pub decode_kv_tokens: u64,
}

impl BatchShape {
    /// Adds a prefill chunk of `new_tokens` after `prefix_tokens` already-cached tokens.
    /// A zero-token chunk adds nothing.
    pub fn add_prefill_chunk(&mut self, new_tokens: u64, prefix_tokens: u64) {
        if new_tokens == 0 {
            return;
        }
        let n = new_tokens;
        let causal = if n.is_multiple_of(2) {
            (n / 2) * (n + 1)
        } else {
            n * n.div_ceil(2)
        };
        self.prefill_seqs += 1;
        self.prefill_tokens += n;
        self.prefill_attn_pairs += n * prefix_tokens + causal;
        self.prefill_prefix_tokens += prefix_tokens;
    }

    /// Adds one decoding sequence whose new token attends to `context_tokens` KV entries.
    pub fn add_decode(&mut self, context_tokens: u64) {
        self.decode_seqs += 1;
        self.decode_kv_tokens += context_tokens;
    }

    /// True when the batch holds no prefill chunk and no decode token.
    pub fn is_empty(&self) -> bool {
        self.prefill_seqs == 0 && self.decode_seqs == 0
    }

    /// Tokens that pass through the linear layers: prefill tokens plus one per decode.
    pub fn total_tokens(&self) -> u64 {
        self.prefill_tokens + self.decode_seqs as u64
    }
}

/// What limits an op's time.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Bound {
    /// Arithmetic (FLOPs / effective FLOP/s) dominates.
    Compute,
    /// Memory traffic (bytes / effective HBM bandwidth) dominates.
    Memory,
    /// Fixed launch or scheduling overhead exceeds both.
    Latency,
    /// A collective or transfer between GPUs.
    Comm,
}

impl Bound {
    /// Lower-case label used in tables and JSON.
    pub fn as_str(self) -> &'static str {
        match self {
            Bound::Compute => "compute",
            Bound::Memory => "memory",
            Bound::Latency => "latency",
            Bound::Comm => "comm",
        }
    }
}

/// Cost estimate of one op, as returned by [`PerfModel::breakdown`].
///
/// Every figure is for **one occurrence on one GPU** of the replica; the op runs `count`
/// times per iteration (the layer count for per-layer ops, 1 for per-iteration ones and for
/// the `total` row, whose figures are already summed).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct OpEstimate {
    /// Op name (`qkv_proj`, `attn_prefill`, …, `total`).
    pub name: &'static str,
    /// Occurrences per iteration.
    pub count: u32,
    /// Floating-point operations of one occurrence on one GPU.
    pub flops: f64,
    /// Bytes of one occurrence: HBM traffic for kernels, the buffer size for collectives.
    pub bytes: f64,
    /// FLOPs / effective FLOP/s, seconds.
    pub compute_s: f64,
    /// Bytes / effective bandwidth (HBM, or link for collectives), seconds.
    pub memory_s: f64,
    /// Fixed overhead (kernel launch, link latency, scheduler), seconds.
    pub overhead_s: f64,
    /// Chosen time of one occurrence, seconds: `max(compute_s, memory_s) + overhead_s`.
    pub time_s: f64,
    /// What limits it.
    pub bound: Bound,
}

/// Why a [`PerfModel`] cannot be built.
#[derive(Debug, Clone, PartialEq, Error)]
pub enum PerfError {
    /// `tp` is zero.
    #[error("tp must be at least 1 (got 0)")]
    ZeroTp,
    /// `tp` exceeds the GPUs of one node (a replica never spans nodes).
    #[error("tp = {tp} exceeds gpus_per_node = {gpus_per_node}: a replica must fit in one node")]
    TpExceedsNode {
        /// Requested tensor-parallel degree.
        tp: u32,
        /// GPUs in one node.
        gpus_per_node: u32,
    },
    /// `tp` does not divide the query heads.
    #[error("tp = {tp} does not divide heads = {heads} of {model}")]
    HeadsNotDivisible {
        /// Requested tensor-parallel degree.
        tp: u32,
        /// Query heads of the model.
        heads: u32,
        /// Model name.
        model: &'static str,
    },
    /// Neither `tp` divides the KV heads nor the KV heads divide `tp` (vLLM's rule).
    #[error("tp = {tp} and kv_heads = {kv_heads} of {model}: one must divide the other")]
    KvHeadsNotDivisible {
        /// Requested tensor-parallel degree.
        tp: u32,
        /// KV heads of the model.
        kv_heads: u32,
        /// Model name.
        model: &'static str,
    },
    /// The weights do not fit in the usable memory of `tp` GPUs.
    #[error(
        "{model} weights ({weight_bytes} bytes) do not fit on tp = {tp} GPUs \
         ({usable_bytes} usable bytes after memory_utilization and activation reserve)"
    )]
    WeightsDoNotFit {
        /// Model name.
        model: &'static str,
        /// Tensor-parallel degree.
        tp: u32,
        /// Bytes of all weights.
        weight_bytes: u64,
        /// Usable bytes of the replica.
        usable_bytes: u64,
    },
    /// A cluster figure is out of range (negative, not finite, or zero where it divides).
    #[error("cluster field `{field}` must be finite and {requirement} (got {value})")]
    InvalidCluster {
        /// Name of the `ClusterSpec`/`GpuSpec` field.
        field: &'static str,
        /// The offending value.
        value: f64,
        /// The range it must be in (`"> 0"` or `">= 0"`).
        requirement: &'static str,
    },
    /// An SP group is empty or a node entry does not fit in a node.
    #[error(
        "SpGroup replicas_per_node = {replicas_per_node:?} is invalid: every entry must be \
         ≥ 1 and entry·tp (tp = {tp}) ≤ gpus_per_node = {gpus_per_node}"
    )]
    InvalidSpGroup {
        /// The group's entries.
        replicas_per_node: Vec<u32>,
        /// GPUs per replica.
        tp: u32,
        /// GPUs per node.
        gpus_per_node: u32,
    },
    /// The calibration holds an invalid value.
    #[error("invalid calibration: {0}")]
    Calibration(#[from] CalibrationError),
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn batch_shape_counts_causal_pairs() {
        let mut b = BatchShape::default();
        assert!(b.is_empty());
        b.add_prefill_chunk(4, 0); // 4·5/2 = 10
        b.add_prefill_chunk(3, 10); // 3·10 + 3·4/2 = 36
        b.add_prefill_chunk(0, 99); // ignored
        b.add_decode(100);
        b.add_decode(50);
        assert_eq!(b.prefill_seqs, 2);
        assert_eq!(b.prefill_tokens, 7);
        assert_eq!(b.prefill_attn_pairs, 46);
        assert_eq!(b.prefill_prefix_tokens, 10);
        assert_eq!(b.decode_seqs, 2);
        assert_eq!(b.decode_kv_tokens, 150);
        assert_eq!(b.total_tokens(), 9);
        assert!(!b.is_empty());
    }

    #[test]
    fn bound_labels() {
        let all = [Bound::Compute, Bound::Memory, Bound::Latency, Bound::Comm];
        let names: Vec<_> = all.iter().map(|b| b.as_str()).collect();
        assert_eq!(names, ["compute", "memory", "latency", "comm"]);
        assert_eq!(serde_json::to_string(&Bound::Comm).unwrap(), "\"comm\"");
    }
}
