//! Each production-table row as the model's op on the same shape: attention rows give per-GPU
//! heads (the model's heads divided by TP) and become [`PrefillAttention`] /
//! [`UniformDecode`]; GEMM rows are [`Gemm`]s of the same `m, n, k`; all-reduce rows are an
//! all-reduce of the same bytes over `num_gpus` = TP GPUs on NVLink. Rows the model has no op
//! for (other collectives, int8, eager-mode custom all-reduce) map to nothing, and so do
//! attention rows whose head dimension no catalog model has (the H100 tables also time
//! 64/192/256/512, whose kernels — e.g. 4.8 ms for a 512-dim decode of 512 sequences — are
//! other code paths than the ones the simulated models run).

use crate::hardware::{ClusterSpec, GpuSpec};
use crate::perf::Calibration;
use crate::perf::comm::Link;
use crate::perf::kernel::{Dtype, Gemm, KernelModel, PrefillAttention, UniformDecode};
use crate::perf::production::table::{AttentionRow, CollectiveRow, GemmRow, Rows, TableKind};

/// An op family of the held-out report: each is priced by its own model terms.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Family {
    /// Prefill attention (vLLM context attention).
    ContextAttention,
    /// Decode attention (vLLM generation attention).
    GenerationAttention,
    /// Linear layers (cuBLAS through vLLM/PyTorch).
    Gemm,
    /// NCCL all-reduce (bf16/half), every size.
    NcclAllReduce,
    /// The engine's all-reduce as vLLM runs it in CUDA graphs: the custom all-reduce below
    /// its size limit, NCCL above.
    EngineAllReduce,
}

impl Family {
    /// Every family, in report order.
    pub const ALL: [Family; 5] = [
        Family::ContextAttention,
        Family::GenerationAttention,
        Family::Gemm,
        Family::NcclAllReduce,
        Family::EngineAllReduce,
    ];

    /// Stable name (`context_attention`, …).
    pub fn id(self) -> &'static str {
        match self {
            Family::ContextAttention => "context_attention",
            Family::GenerationAttention => "generation_attention",
            Family::Gemm => "gemm",
            Family::NcclAllReduce => "nccl_all_reduce",
            Family::EngineAllReduce => "engine_all_reduce",
        }
    }

    /// The size ranges of the report, smallest first.
    pub fn ranges(self) -> &'static [&'static str] {
        match self {
            Family::ContextAttention => &["tokens ≤ 1K", "tokens 1K–16K", "tokens > 16K"],
            Family::GenerationAttention => &["KV < 64K", "KV ≥ 64K"],
            Family::Gemm => &["m ≤ 16", "m 17–256", "m > 256"],
            Family::NcclAllReduce | Family::EngineAllReduce => {
                &["≤ 512 KiB", "512 KiB–8 MiB", "≥ 8 MiB"]
            }
        }
    }
}

/// Which all-reduce a row timed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AllReducePath {
    /// NCCL at every size: the model's NCCL terms, the small-message path off.
    Nccl,
    /// What vLLM runs: the model's all-reduce with its small-message path.
    Engine,
}

/// The model's op for one row.
#[derive(Clone, Debug, PartialEq)]
pub enum ProductionOp {
    /// Prefill attention of `batch` uncached causal chunks.
    Prefill(PrefillAttention),
    /// One decode step (the decode pass the iteration prices).
    Decode(UniformDecode),
    /// One GEMM.
    Gemm(Gemm),
    /// An all-reduce of `bytes` over `gpus` GPUs of one node.
    AllReduce {
        /// GPUs (the TP degree).
        gpus: u32,
        /// Message bytes.
        bytes: f64,
        /// Which implementation.
        path: AllReducePath,
    },
}

impl ProductionOp {
    /// Predicted seconds on `gpu` under `calib` (collectives on an 8-GPU NVLink node of the
    /// paper's testbed, with `gpu`'s NVLink).
    pub fn predict(&self, gpu: &GpuSpec, calib: &Calibration) -> f64 {
        match self {
            ProductionOp::Prefill(s) => KernelModel::new(gpu, calib).prefill_attention(s).time_s(),
            ProductionOp::Decode(s) => KernelModel::new(gpu, calib).decode_uniform(s).time_s(),
            ProductionOp::Gemm(s) => KernelModel::new(gpu, calib).gemm(s).time_s(),
            ProductionOp::AllReduce { gpus, bytes, path } => {
                let mut cluster = ClusterSpec::paper_testbed();
                cluster.gpu = *gpu;
                let mut link = Link::nvlink(&cluster, calib);
                if *path == AllReducePath::Nccl {
                    link.all_reduce.small_max_bytes = 0.0;
                }
                link.all_reduce(*gpus, *bytes)
            }
        }
    }
}

/// One measured row mapped to the model.
#[derive(Clone, Debug, PartialEq)]
pub struct ProductionPoint {
    /// Its family.
    pub family: Family,
    /// Index into [`Family::ranges`].
    pub range: usize,
    /// The model's op on the row's shape.
    pub op: ProductionOp,
    /// Measured seconds.
    pub measured_s: f64,
    /// The table it came from.
    pub table: TableKind,
    /// 1-based data row of the table (the header is row 0), for the worst-points list.
    pub row: usize,
    /// The shape in words (`b=4 isl=512 h=32/8 d=128`).
    pub label: String,
}

fn attention(r: &AttentionRow, decode: bool) -> Option<ProductionOp> {
    let catalog = crate::model::ModelKind::ALL
        .iter()
        .any(|m| m.spec().head_dim == r.head_dim);
    if !r.num_heads.is_multiple_of(r.num_key_value_heads) || !catalog {
        return None;
    }
    if decode {
        let context = r.isl.checked_add(r.step)?;
        Some(ProductionOp::Decode(UniformDecode {
            heads: r.num_heads,
            kv_heads: r.num_key_value_heads,
            head_dim: r.head_dim,
            seqs: r.batch_size,
            context,
            dtype: Dtype::F16,
        }))
    } else {
        Some(ProductionOp::Prefill(PrefillAttention {
            batch: r.batch_size,
            heads: r.num_heads,
            kv_heads: r.num_key_value_heads,
            head_dim: r.head_dim,
            chunk: r.isl,
            prefix: r.step,
            causal: true,
            dtype: Dtype::F16,
        }))
    }
}

fn range_of(edges: &[f64], x: f64) -> usize {
    edges.iter().take_while(|&&e| x > e).count()
}

fn attention_point(i: usize, r: &AttentionRow, table: TableKind) -> Option<ProductionPoint> {
    let decode = table == TableKind::GenerationAttention;
    let op = attention(r, decode)?;
    let b = f64::from(r.batch_size);
    let (family, range) = if decode {
        let kv = b * (f64::from(r.isl) + f64::from(r.step));
        (Family::GenerationAttention, usize::from(kv >= 65536.0))
    } else {
        let tokens = b * f64::from(r.isl);
        (
            Family::ContextAttention,
            range_of(&[1024.0, 16384.0], tokens),
        )
    };
    let label = if decode {
        format!(
            "b={} kv={} h={}/{} d={}",
            r.batch_size,
            r.isl + r.step,
            r.num_heads,
            r.num_key_value_heads,
            r.head_dim
        )
    } else {
        format!(
            "b={} isl={} h={}/{} d={}",
            r.batch_size, r.isl, r.num_heads, r.num_key_value_heads, r.head_dim
        )
    };
    Some(ProductionPoint {
        family,
        range,
        op,
        measured_s: r.latency_s,
        table,
        row: i + 1,
        label,
    })
}

fn gemm_point(i: usize, r: &GemmRow) -> ProductionPoint {
    ProductionPoint {
        family: Family::Gemm,
        range: range_of(&[16.0, 256.0], f64::from(r.m)),
        op: ProductionOp::Gemm(Gemm {
            m: r.m,
            n: r.n,
            k: r.k,
            dtype: Dtype::F16,
        }),
        measured_s: r.latency_s,
        table: TableKind::Gemm,
        row: i + 1,
        label: format!("m={} n={} k={}", r.m, r.n, r.k),
    }
}

fn collective_point(i: usize, r: &CollectiveRow, table: TableKind) -> Option<ProductionPoint> {
    let (family, path) = match table {
        TableKind::Nccl if r.op_name == "all_reduce" && r.dtype == "half" => {
            (Family::NcclAllReduce, AllReducePath::Nccl)
        }
        TableKind::CustomAllreduce if r.backend == "vllm_graph" => {
            (Family::EngineAllReduce, AllReducePath::Engine)
        }
        _ => return None,
    };
    if r.num_gpus < 2 {
        return None;
    }
    let bytes = r.bytes();
    Some(ProductionPoint {
        family,
        range: range_of(&[512.0 * 1024.0, 8.0 * 1024.0 * 1024.0 - 1.0], bytes),
        op: ProductionOp::AllReduce {
            gpus: r.num_gpus,
            bytes,
            path,
        },
        measured_s: r.latency_s,
        table,
        row: i + 1,
        label: format!("{} GPUs, {} KiB", r.num_gpus, bytes / 1024.0),
    })
}

/// The rows of one table the model has an op for, in file order.
pub fn map_rows(table: TableKind, rows: &Rows) -> Vec<ProductionPoint> {
    match rows {
        Rows::Context(v) | Rows::Generation(v) => v
            .iter()
            .enumerate()
            .filter_map(|(i, r)| attention_point(i, r, table))
            .collect(),
        Rows::Gemm(v) => v
            .iter()
            .enumerate()
            .map(|(i, r)| gemm_point(i, r))
            .collect(),
        Rows::Collective(v) => v
            .iter()
            .enumerate()
            .filter_map(|(i, r)| collective_point(i, r, table))
            .collect(),
    }
}
