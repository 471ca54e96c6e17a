//! Named efficiencies and overheads of the performance model, and their JSON profile.
//!
//! A profile is `{"schema": "pecsched-calibration/1", "provenance": {...}, "overrides":
//! {"<field>": number, ...}}`. `provenance` is optional; every override is optional and
//! replaces the [`Calibration::datasheet_default`] value of that field. Field names are
//! stable: the native worker writes them from GPU measurements.
//!
//! Tags in the default comments: \[gpu.md\] = `docs/gpu.md` (H100 measurements of this project);
//! \[X\] = an external public figure; \[I\] = a modelling choice of this project.

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use thiserror::Error;

/// Schema tag this build reads and writes.
pub const SCHEMA: &str = "pecsched-calibration/1";
const SCHEMA_PREFIX: &str = "pecsched-calibration/";
const SCHEMA_VERSION: u32 = 1;

/// Where a calibration profile came from (written by the worker, informational only).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Provenance {
    /// GPU adapter name as the driver reports it.
    pub adapter: String,
    /// Driver version.
    pub driver: String,
    /// Date of the measurement (ISO 8601).
    pub date: String,
    /// Command line that produced the profile.
    pub command: String,
    /// Where the measurements came from when the profile was not fitted to this project's own
    /// GPU runs (tables, their versions and licence); empty otherwise.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub source: String,
}

/// Admissible range of a calibration field.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FieldKind {
    /// A fraction of a peak: `0 < x ≤ 1`.
    Efficiency,
    /// Seconds, bytes, tokens or a penalty factor: `x ≥ 0`.
    NonNegative,
}

macro_rules! calibration {
    ($( $(#[$doc:meta])* $name:ident / $variant:ident : $kind:ident = $default:expr; )*) => {
        /// Efficiencies and overheads that turn datasheet peaks into predicted times.
        ///
        /// All fields are public; [`Calibration::validate`] checks their ranges. Code that
        /// picks a field at run time names it with a [`CalibrationField`].
        #[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
        pub struct Calibration {
            /// Where the values came from (`None` for the datasheet defaults).
            pub provenance: Option<Provenance>,
            $( $(#[$doc])* pub $name: f64, )*
        }

        /// One numeric field of a [`Calibration`]: a typo in a field's name does not compile.
        /// [`CalibrationField::id`] is its JSON name (the profile's `overrides` key), which
        /// [`str::parse`] reads back.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub enum CalibrationField {
            $(
                #[doc = concat!("[`Calibration::", stringify!($name), "`].")]
                $variant,
            )*
        }

        impl CalibrationField {
            /// Every field, in declaration order.
            pub const ALL: [CalibrationField; [$( stringify!($name), )*].len()] =
                [$( CalibrationField::$variant, )*];

            /// The JSON name (`gemm_efficiency`, `kernel_overhead_s`, …).
            pub fn id(self) -> &'static str {
                match self { $( CalibrationField::$variant => stringify!($name), )* }
            }

            /// Its admissible range.
            pub fn kind(self) -> FieldKind {
                match self { $( CalibrationField::$variant => FieldKind::$kind, )* }
            }
        }

        impl Calibration {
            /// Every numeric field: its JSON name and admissible range (the by-name view of
            /// [`CalibrationField::ALL`]).
            pub const FIELDS: &'static [(&'static str, FieldKind)] =
                &[$( (stringify!($name), FieldKind::$kind), )*];

            /// The defaults (each cited at its field).
            pub fn datasheet_default() -> Calibration {
                Calibration { provenance: None, $( $name: $default, )* }
            }

            /// The value of a field.
            pub fn get(&self, field: CalibrationField) -> f64 {
                match field { $( CalibrationField::$variant => self.$name, )* }
            }

            fn slot(&mut self, field: CalibrationField) -> &mut f64 {
                match field { $( CalibrationField::$variant => &mut self.$name, )* }
            }
        }
    };
}

calibration! {
    /// Fraction of dense bf16 peak reached by the linear layers (GEMMs). Default 0.66:
    /// cuBLAS bf16 8192³ reaches 657 of 989.4 TFLOP/s on the H100 \[gpu.md\].
    gemm_efficiency / GemmEfficiency: Efficiency = 0.66;
    /// Fraction of HBM bandwidth reached when streaming weights and activations. Default 0.90:
    /// a 1 GiB copy moves 3005–3018 of 3350 GB/s on the H100 \[gpu.md\].
    hbm_efficiency / HbmEfficiency: Efficiency = 0.90;
    /// Fraction of HBM bandwidth reached by the linear layers (GEMMs) when memory-bound:
    /// streaming their weights and activations at small M (decode batches). Priced apart from
    /// `hbm_efficiency` (attention's Q/O, merges) because a GEMM kernel's small-M streaming
    /// rate is set by its tiling, not by the copy ceiling: our wgpu GEMM streams 0.3–0.4 TB/s
    /// at M ≤ 16 while our merge streams 2.7 TB/s on the same H100 (docs/benchmarks.md).
    /// Default 0.90, the `hbm_efficiency` default: a 1 GiB copy moves 3005–3018 of 3350 GB/s
    /// on the H100 \[gpu.md\] (the datasheet results predate the split and stay unchanged).
    gemm_stream_efficiency / GemmStreamEfficiency: Efficiency = 0.90;
    /// Fraction of the shorter of a GEMM's compute and streaming times that is *not* hidden
    /// under the longer one: `time = max(c, m) + f·min(c, m) + kernel_overhead_s`. Default 0
    /// \[I\]: the roofline's assumption that a GEMM kernel overlaps its loads with its math
    /// (double-buffered tiles, as cuBLAS does). Our staged wgpu GEMM does not: with `f` = 1
    /// all 9 of its H100 f16 points (M = 1…8192) fit within 6 %, with `f` = 0 the M = 512 point
    /// is 30 % off (docs/fidelity.md).
    gemm_serial_fraction / GemmSerialFraction: NonNegative = 0.0;
    /// Output tiles (64×64) at which a GEMM runs at half its ceilings: both its compute and
    /// its streaming times are divided by `tiles/(tiles + h)`, `tiles = ⌈M/64⌉·⌈N/64⌉`, so a
    /// GEMM with too few output tiles to fill the GPU runs slower per byte. Default 0 \[I\]:
    /// off (cuBLAS picks its tiling to fill the GPU). Our staged wgpu GEMM streams 0.34 TB/s
    /// with 64 tiles and 0.95 TB/s with 448 (M = 8, N = 4 096 vs 28 672, docs/fidelity.md).
    gemm_half_tiles / GemmHalfTiles: NonNegative = 0.0;
    /// Fraction of HBM bandwidth reached by decode attention reading the KV cache. Default
    /// 0.90: SDPA decode reads 2991–3104 of 3350 GB/s at long KV on the H100 \[gpu.md\].
    decode_attn_bw_efficiency / DecodeAttnBwEfficiency: Efficiency = 0.90;
    /// Fraction of dense bf16 peak reached by decode attention's arithmetic (QKᵀ and PV per
    /// KV token and query head): decode is `max(bytes/bw, FLOPs/this)`, so with grouped-query
    /// heads sharing each KV row a kernel can become compute-bound. Default 0.66, the
    /// `gemm_efficiency` default \[gpu.md\] (SDPA decode is memory-bound at every anchor).
    /// The fit to our H100 decode kernel puts it near 1 %: with 4 query heads per KV head it
    /// runs slower than its bytes explain (docs/benchmarks.md).
    decode_attn_flop_efficiency / DecodeAttnFlopEfficiency: Efficiency = 0.66;
    /// Asymptotic fraction of bf16 peak of prefill attention, `e_max` in
    /// `eff(S) = e_max·S/(S + S_half)`. Default 0.634: minimax fit (with
    /// `attention_overhead_s` = 15 µs) to the cuDNN SDPA anchors 244/521/595/627 TFLOP/s at
    /// S = 1K/4K/16K/32K of 989.4 on the H100 \[gpu.md\]; every anchor within ±1.7 %.
    prefill_attn_max_efficiency / PrefillAttnMaxEfficiency: Efficiency = 0.634;
    /// Tokens at which prefill attention reaches half of `e_max` (`S_half`). Default 530,
    /// from the same fit \[gpu.md\].
    prefill_attn_half_tokens / PrefillAttnHalfTokens: NonNegative = 530.0;
    /// Extra cost of prefill attention per (query, key) pair and query head, in FLOP
    /// equivalents on top of the `4·head_dim` FLOPs of QKᵀ and PV: the softmax, masking and
    /// (on cooperative matrices) the round trip of the scores through workgroup memory, which
    /// do not shrink with the head dimension. Default 0 \[I\]: the SDPA anchors are all at
    /// head dim 128, where it folds into `prefill_attn_max_efficiency`. Our H100 kernel runs
    /// D = 64 only 1.4× faster than D = 128, not 2× (docs/fidelity.md).
    prefill_attn_pair_flops / PrefillAttnPairFlops: NonNegative = 0.0;
    /// Fixed cost of one GEMM kernel (launch, ramp, tail), seconds. Default 4.7 µs: one
    /// dispatch costs ~4.7 µs on the H100 \[gpu.md\].
    kernel_overhead_s / KernelOverheadS: NonNegative = 4.7e-6;
    /// Serial time per partial result merged into one output row by the log-sum-exp merge
    /// (split-K decode, ring attention), seconds: a merge of `P/R` partials per row takes at
    /// least `P/R` of these. Default 0 \[I\]: bandwidth-bound merges. Ours takes ~0.14 µs per
    /// partial at 32 partials per row on the H100 (docs/fidelity.md).
    merge_part_s / MergePartS: NonNegative = 0.0;
    /// Fixed cost of one prefill-attention kernel call (and of decode attention in a profile
    /// that does not set `decode_attn_overhead_s`), seconds. Default 15 µs: SDPA decode at small
    /// KV takes 14–19 µs more than its bytes at 0.9·3350 GB/s explain (e.g. 41 µs measured vs
    /// 22 µs of traffic at L = 4096, H_kv = 32) \[gpu.md\].
    attention_overhead_s / AttentionOverheadS: NonNegative = 15e-6;
    /// Per-iteration CPU cost (scheduling, input preparation, sampling), seconds. Default
    /// 1 ms \[I\]: the order of vLLM's per-step host overhead.
    iteration_overhead_s / IterationOverheadS: NonNegative = 1e-3;
    /// Fraction of NVLink per-direction bandwidth reached by NCCL collectives. Default 0.80
    /// \[X\]: nccl-tests all-reduce bus bandwidth ≈ 230–240 GB/s on A100 NVLink (300 GB/s)
    /// and ≈ 360 GB/s on H100 (450 GB/s).
    nvlink_efficiency / NvlinkEfficiency: Efficiency = 0.80;
    /// Fraction of the per-node network bandwidth reached by transfers between nodes.
    /// Default 0.80 \[I\]: RDMA (EFA) message rates at large sizes.
    network_efficiency / NetworkEfficiency: Efficiency = 0.80;
    /// Fraction of GPU memory the engine may use. Default 0.90 \[X\]: vLLM's
    /// `gpu_memory_utilization` default.
    memory_utilization / MemoryUtilization: Efficiency = 0.90;
    /// Bytes per GPU held back for activations, CUDA graphs, NCCL and allocator slack.
    /// Default 2 GiB \[I\]: vLLM's profile-run peak for an 8K-token batch of a 70B model on
    /// TP = 4 plus graph and NCCL buffers is of this order.
    activation_reserve_bytes_per_gpu / ActivationReserveBytesPerGpu: NonNegative =
        2_147_483_648.0;
    /// Ring-attention efficiency penalty per extra ring participant `p`: a ring of `k`
    /// participants runs attention at `1/(1 + p·(k − 1))` of the plain kernel's efficiency.
    /// Default 0.031 \[X\], measured: zig-zag ring flash-attention (forward, causal, Llama-3-8B
    /// heads, 8K tokens per GPU) on 8×A100 NVLink runs at 81.7 % of the plain kernel on the
    /// same 8K (zhuzilin/ring-flash-attention README, benchmark/benchmark_kvpacked_func.py),
    /// so `1 + 7p = 1/0.817` less the ≈ 0.7 % this model charges apart as
    /// `ring_step_overhead_s` + `attention_overhead_s` (perf/sp.rs; docs/fidelity.md). The
    /// paper (citing USP) says only that the efficiency is low and falls with the ring.
    ring_attn_step_penalty / RingAttnStepPenalty: NonNegative = 0.031;
    /// Synchronisation cost of one ring-attention step in one layer (online-softmax merge,
    /// send/receive hand-off), seconds. Default 20 µs \[I\].
    ring_step_overhead_s / RingStepOverheadS: NonNegative = 20e-6;
    /// Rows (`M`) of one GEMM output tile, for wave quantisation: with `gemm_tile_m` and
    /// `gemm_tile_n` both > 0 a GEMM's compute term is that of `⌈tiles/SMs⌉` full waves of
    /// `tile_m × tile_n` tiles (`tiles = ⌈M/tile_m⌉·⌈N/tile_n⌉`, SMs from the GPU catalog), never
    /// less than the plain FLOPs. Default 0 \[I\]: off (the plain roofline). cuBLAS shows the
    /// steps: A100 bf16 4096×4096 reaches 0.51 of peak at M = 256 and 0.82 at M = 4096, with a
    /// step between M = 96 and 136 (`a100_vllm_gemm.csv` of `shared/data/production_kernels`,
    /// aiconfigurator; issue 15).
    gemm_tile_m / GemmTileM: NonNegative = 0.0;
    /// Columns (`N`) of one GEMM output tile for wave quantisation (see `gemm_tile_m`). Default 0
    /// \[I\]: off.
    gemm_tile_n / GemmTileN: NonNegative = 0.0;
    /// Fixed cost of one decode-attention call (launch, split-KV reduction, the KV-cache write),
    /// seconds; `attention_overhead_s` is then prefill attention's alone. Default 15 µs, the
    /// `attention_overhead_s` default \[gpu.md\] (a profile that sets only
    /// `attention_overhead_s` sets both, as before this field existed). vLLM's decode kernels
    /// floor at 11–12.5 µs including the KV write (`*_vllm_generation_attention.csv`, batch 1,
    /// 2 KV tokens: A100 12.2–12.6 µs, H100 11.1–11.8 µs).
    decode_attn_overhead_s / DecodeAttnOverheadS: NonNegative = 15e-6;
    /// Decode-attention time per (sequence × KV head) on this GPU, seconds: per-sequence work
    /// (block-table walk, softmax state, output write) that does not scale with the KV read.
    /// Default 0 \[I\]. Measured slope at 2 KV tokens: ~25–30 ns on the H100 (FA3), 37–42 ns on
    /// the A100 (FA2): e.g. 32/8 heads, 1,024 sequences take 215 µs vs 12 µs for one
    /// (`*_vllm_generation_attention.csv`).
    decode_attn_seq_head_s / DecodeAttnSeqHeadS: NonNegative = 0.0;
    /// Share of HBM bandwidth one decode work unit (one sequence × one KV head) can draw: the
    /// KV read takes at least `bytes/units / (hbm·share)`, so a batch of few sequences and few
    /// KV heads cannot fill the GPU. Default 0 \[I\]: off. At 131K KV tokens and one KV head
    /// vLLM's decode reads at 0.36–0.39 of HBM bandwidth with 1 sequence vs 0.68–0.77 with 4
    /// (A100 and H100, `*_vllm_generation_attention.csv`).
    decode_attn_unit_bw_share / DecodeAttnUnitBwShare: NonNegative = 0.0;
    /// Prefill-attention time per (sequence × KV head) on this GPU, seconds (varlen setup,
    /// per-sequence tiles that are partly empty). Default 0 \[I\]. vLLM's context attention at
    /// 1 token per sequence grows ~0.2 µs per sequence (`*_vllm_context_attention.csv`).
    prefill_attn_seq_head_s / PrefillAttnSeqHeadS: NonNegative = 0.0;
    /// Fixed latency of one NVLink all-reduce on top of its per-step latency, seconds.
    /// Default 0 \[I\]: the ring's `2(n−1)` steps of the cluster's NVLink latency only. NCCL
    /// measures ~10/14/22 µs (A100) and ~6/9.5/15.6 µs (H100) for small all-reduces over
    /// 2/4/8 GPUs (`*_nccl.csv`), where `2(n−1)·3 µs` gives 6/18/42.
    allreduce_latency_s / AllreduceLatencyS: NonNegative = 0.0;
    /// Factor on the cluster's NVLink latency per ring step of an all-reduce (see
    /// `allreduce_latency_s`). Default 1 \[I\]: the cluster figure as is.
    allreduce_step_latency_scale / AllreduceStepLatencyScale: NonNegative = 1.0;
    /// GPU count at which an all-reduce's bus bandwidth is half its asymptote: the NVLink
    /// efficiency of an all-reduce over `n` GPUs is `nvlink_efficiency·n/(n + h)`. Default 0
    /// \[I\]: the same at every `n`. NCCL's large-message bus bandwidth grows with `n`:
    /// A100 193/217/222 GB/s, H100 318/350/445 GB/s at 2/4/8 GPUs (512 MiB, `*_nccl.csv`).
    allreduce_bw_half_gpus / AllreduceBwHalfGpus: NonNegative = 0.0;
    /// Largest message (bytes) of the engine's small-message all-reduce (vLLM's custom
    /// all-reduce); larger ones use NCCL. Default 0 \[I\]: off (NCCL only). vLLM's
    /// `CustomAllreduce` takes messages below its `max_size` of 8 MiB; the measured custom
    /// all-reduce equals NCCL from 8 MiB on (`*_vllm_custom_allreduce.csv` vs `*_nccl.csv`).
    custom_allreduce_max_bytes / CustomAllreduceMaxBytes: NonNegative = 0.0;
    /// Fixed latency of the small-message all-reduce, seconds. Default 0 \[I\] (unused while
    /// `custom_allreduce_max_bytes` is 0). Measured in CUDA graphs: 4.9–5.7 µs on the A100,
    /// 4.2–4.7 µs on the H100 at 256 bytes, 2–8 GPUs (`*_vllm_custom_allreduce.csv`).
    custom_allreduce_latency_s / CustomAllreduceLatencyS: NonNegative = 0.0;
    /// Latency per ring-equivalent step `2(n−1)` of the small-message all-reduce, seconds.
    /// Default 0 \[I\].
    custom_allreduce_step_s / CustomAllreduceStepS: NonNegative = 0.0;
    /// Fraction of NVLink per-direction bandwidth the small-message all-reduce reaches (bus
    /// bandwidth, `2(n−1)/n · bytes / time`). Default 0.80, the `nvlink_efficiency` default
    /// \[I\] (unused while `custom_allreduce_max_bytes` is 0).
    custom_allreduce_bw_efficiency / CustomAllreduceBwEfficiency: Efficiency = 0.80;
    /// Memory-bound elementwise ops of one layer (two fused residual-add + RMSNorms, RoPE on Q
    /// and K, SiLU·mul), as a multiple of their fewest bytes per token: `4·d` (read x and the
    /// residual, write both) per norm, `2·(H + H_kv)·d_h/tp` for RoPE, `3·I/tp` for SiLU·mul,
    /// all bf16, streamed at `hbm_efficiency`. Default 0 \[I\]: not priced (the datasheet
    /// results predate it). The issue 15 comparison found them 9–14 % of measured
    /// non-attention layer time in vLLM; no production table here times them, so the vLLM
    /// profiles use 1 (their fewest bytes).
    elementwise_traffic / ElementwiseTraffic: NonNegative = 0.0;
    /// Fixed cost of each of the 4 elementwise kernels of one layer (see
    /// `elementwise_traffic`), seconds. Default 0 \[I\].
    elementwise_kernel_s / ElementwiseKernelS: NonNegative = 0.0;
    /// Per-iteration CPU cost per sequence in the batch (the engine's scheduler, input
    /// preparation, sampler), seconds, on top of `iteration_overhead_s`. Default 0 \[I\]
    /// (the datasheet results predate it).
    iteration_overhead_per_seq_s / IterationOverheadPerSeqS: NonNegative = 0.0;
    /// Fixed cost of each request on its path to the first token that the GPU does not see (API
    /// server, tokenisation, detokenisation and streaming of the first token), seconds: added
    /// to every request's first-token and completion times. Default 0 \[I\] (the datasheet
    /// results predate it). Issue 15's end-to-end comparison with published vLLM runs of
    /// Llama-3.1-8B on H100 measured 33–40 ms TTFT where the engine's own work predicts
    /// ~21 ms: a 12–16 ms fixed cost per request.
    request_overhead_s / RequestOverheadS: NonNegative = 0.0;
}

/// Why a calibration profile or value was rejected.
#[derive(Debug, Clone, PartialEq, Error)]
pub enum CalibrationError {
    /// The text is not valid JSON.
    #[error("calibration JSON: {0}")]
    Json(String),
    /// The top level is not a JSON object.
    #[error("calibration JSON: the top level must be an object")]
    NotAnObject,
    /// `schema` is missing or not a string.
    #[error("calibration JSON: missing string field `schema` (expected \"{SCHEMA}\")")]
    MissingSchema,
    /// `schema` names another format.
    #[error("calibration JSON: unknown schema \"{found}\" (expected \"{SCHEMA}\")")]
    UnknownSchema {
        /// The schema string found.
        found: String,
    },
    /// `schema` is a newer version than this build reads.
    #[error(
        "calibration JSON: schema version {found} is newer than this build supports \
         ({supported}); upgrade pecsched"
    )]
    FutureSchema {
        /// Version found.
        found: u32,
        /// Highest version this build reads.
        supported: u32,
    },
    /// A top-level key other than `schema`, `provenance`, `overrides`.
    #[error("calibration JSON: unknown top-level key `{key}`")]
    UnknownKey {
        /// The key.
        key: String,
    },
    /// `provenance` is malformed.
    #[error("calibration JSON: bad `provenance`: {0}")]
    Provenance(String),
    /// `overrides` is not an object.
    #[error("calibration JSON: `overrides` must be an object of field → number")]
    OverridesNotAnObject,
    /// An override names no calibration field.
    #[error(
        "calibration: unknown field `{field}`; known fields: {}",
        known_fields()
    )]
    UnknownField {
        /// The field name.
        field: String,
    },
    /// An override is not a number.
    #[error("calibration: field `{field}` must be a number (got {value})")]
    NotANumber {
        /// The field name.
        field: String,
        /// The value as JSON text (shortened to 80 characters).
        value: String,
    },
    /// A value is NaN or infinite.
    #[error("calibration: field `{field}` must be finite (got {value})")]
    NonFinite {
        /// The field name.
        field: String,
        /// The value.
        value: f64,
    },
    /// A value is negative.
    #[error("calibration: field `{field}` must not be negative (got {value})")]
    Negative {
        /// The field name.
        field: String,
        /// The value.
        value: f64,
    },
    /// An efficiency is zero.
    #[error("calibration: efficiency `{field}` must be > 0 (got {value})")]
    ZeroEfficiency {
        /// The field name.
        field: String,
        /// The value.
        value: f64,
    },
    /// An efficiency exceeds 1.
    #[error("calibration: efficiency `{field}` must be ≤ 1 (got {value})")]
    EfficiencyAboveOne {
        /// The field name.
        field: String,
        /// The value.
        value: f64,
    },
}

/// Every field name, comma-separated, for [`CalibrationError::UnknownField`] (a typo's fix is
/// usually in this list).
fn known_fields() -> String {
    let names: Vec<&str> = CalibrationField::ALL.map(CalibrationField::id).to_vec();
    names.join(", ")
}

impl std::fmt::Display for CalibrationField {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.id())
    }
}

impl std::str::FromStr for CalibrationField {
    type Err = CalibrationError;

    /// Reads a JSON name; [`CalibrationError::UnknownField`] lists the known ones.
    fn from_str(name: &str) -> Result<CalibrationField, CalibrationError> {
        CalibrationField::ALL
            .into_iter()
            .find(|f| f.id() == name)
            .ok_or_else(|| CalibrationError::UnknownField {
                field: name.to_string(),
            })
    }
}

fn check(field: CalibrationField, value: f64) -> Result<(), CalibrationError> {
    let kind = field.kind();
    let field = field.id().to_string();
    if !value.is_finite() {
        return Err(CalibrationError::NonFinite { field, value });
    }
    if value < 0.0 {
        return Err(CalibrationError::Negative { field, value });
    }
    if kind == FieldKind::Efficiency {
        if value == 0.0 {
            return Err(CalibrationError::ZeroEfficiency { field, value });
        }
        if value > 1.0 {
            return Err(CalibrationError::EfficiencyAboveOne { field, value });
        }
    }
    Ok(())
}

#[derive(Serialize)]
struct Wire<'a> {
    schema: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    provenance: Option<&'a Provenance>,
    overrides: BTreeMap<&'static str, f64>,
}

impl Calibration {
    /// Checks every field's range; the error names the first bad field.
    pub fn validate(&self) -> Result<(), CalibrationError> {
        for field in CalibrationField::ALL {
            check(field, self.get(field))?;
        }
        Ok(())
    }

    /// Sets a field after checking its range. A name read at run time is parsed first
    /// (`name.parse::<CalibrationField>()`, which names the known fields when it fails).
    pub fn set(&mut self, field: CalibrationField, value: f64) -> Result<(), CalibrationError> {
        check(field, value)?;
        *self.slot(field) = value;
        Ok(())
    }

    /// Parses a profile: the datasheet defaults with the profile's overrides applied.
    pub fn from_json(text: &str) -> Result<Calibration, CalibrationError> {
        use serde_json::Value;
        let root: Value =
            serde_json::from_str(text).map_err(|e| CalibrationError::Json(e.to_string()))?;
        let Value::Object(root) = root else {
            return Err(CalibrationError::NotAnObject);
        };
        for key in root.keys() {
            if !matches!(key.as_str(), "schema" | "provenance" | "overrides") {
                return Err(CalibrationError::UnknownKey { key: key.clone() });
            }
        }
        let Some(Value::String(schema)) = root.get("schema") else {
            return Err(CalibrationError::MissingSchema);
        };
        let version = schema
            .strip_prefix(SCHEMA_PREFIX)
            .and_then(|v| v.parse::<u32>().ok())
            .ok_or_else(|| CalibrationError::UnknownSchema {
                found: schema.clone(),
            })?;
        if version > SCHEMA_VERSION {
            return Err(CalibrationError::FutureSchema {
                found: version,
                supported: SCHEMA_VERSION,
            });
        }
        if version != SCHEMA_VERSION {
            return Err(CalibrationError::UnknownSchema {
                found: schema.clone(),
            });
        }
        let mut calib = Calibration::datasheet_default();
        if let Some(p) = root.get("provenance") {
            let p = Provenance::deserialize(p)
                .map_err(|e| CalibrationError::Provenance(e.to_string()))?;
            calib.provenance = Some(p);
        }
        match root.get("overrides") {
            None => {}
            Some(Value::Object(map)) => {
                for (name, value) in map {
                    let field: CalibrationField = name.parse()?;
                    let v = value.as_f64().ok_or_else(|| CalibrationError::NotANumber {
                        field: name.clone(),
                        value: crate::text::shorten(&value.to_string(), 80),
                    })?;
                    calib.set(field, v)?;
                }
                // A profile older than `decode_attn_overhead_s` priced both attentions with
                // `attention_overhead_s`: it keeps meaning that.
                let decode = CalibrationField::DecodeAttnOverheadS.id();
                if map.contains_key(CalibrationField::AttentionOverheadS.id())
                    && !map.contains_key(decode)
                {
                    calib.decode_attn_overhead_s = calib.attention_overhead_s;
                }
            }
            Some(_) => return Err(CalibrationError::OverridesNotAnObject),
        }
        Ok(calib)
    }

    /// Writes the profile with every field listed as an override (so it reads back identically
    /// even if the defaults change later).
    pub fn to_json(&self) -> String {
        let overrides = CalibrationField::ALL
            .into_iter()
            .map(|field| (field.id(), self.get(field)))
            .collect();
        let wire = Wire {
            schema: SCHEMA,
            provenance: self.provenance.as_ref(),
            overrides,
        };
        serde_json::to_string_pretty(&wire).unwrap_or_default()
    }
}

impl Default for Calibration {
    fn default() -> Calibration {
        Calibration::datasheet_default()
    }
}
