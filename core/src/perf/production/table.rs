//! Readers of the production-kernel tables (`shared/data/production_kernels/*.csv`: vLLM
//! attention and GEMMs, NCCL and vLLM custom all-reduce, measured by NVIDIA's aiconfigurator,
//! Apache-2.0): `&str` in, typed rows out. The caller reads the file; errors name the file,
//! the 1-based line and column, and the value.

use crate::hardware::GpuKind;
use thiserror::Error;

/// The five tables of one GPU.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum TableKind {
    /// `<gpu>_vllm_context_attention.csv`: prefill attention, no cached prefix.
    ContextAttention,
    /// `<gpu>_vllm_generation_attention.csv`: decode attention, one token per sequence.
    GenerationAttention,
    /// `<gpu>_vllm_gemm.csv`: bf16 GEMMs `y[m, n] = x[m, k]·Wᵀ`.
    Gemm,
    /// `<gpu>_nccl.csv`: NCCL collectives inside one NVSwitch node.
    Nccl,
    /// `<gpu>_vllm_custom_allreduce.csv`: vLLM's custom all-reduce.
    CustomAllreduce,
}

impl TableKind {
    /// Every table, in report order.
    pub const ALL: [TableKind; 5] = [
        TableKind::ContextAttention,
        TableKind::GenerationAttention,
        TableKind::Gemm,
        TableKind::Nccl,
        TableKind::CustomAllreduce,
    ];

    /// The file name of this table for `gpu` (`a100_vllm_gemm.csv`).
    pub fn file_name(self, gpu: GpuKind) -> String {
        let stem = match self {
            TableKind::ContextAttention => "vllm_context_attention",
            TableKind::GenerationAttention => "vllm_generation_attention",
            TableKind::Gemm => "vllm_gemm",
            TableKind::Nccl => "nccl",
            TableKind::CustomAllreduce => "vllm_custom_allreduce",
        };
        format!("{}_{stem}.csv", gpu.id())
    }

    /// The columns this reader needs (any order; others are ignored).
    pub fn columns(self) -> &'static [&'static str] {
        match self {
            TableKind::ContextAttention | TableKind::GenerationAttention => &[
                "kernel_source",
                "batch_size",
                "isl",
                "step",
                "num_heads",
                "num_key_value_heads",
                "head_dim",
                "latency_ms",
            ],
            TableKind::Gemm => &["kernel_source", "m", "n", "k", "latency_ms"],
            TableKind::Nccl => &[
                "op_name",
                "nccl_dtype",
                "num_gpus",
                "message_elements",
                "latency_ms",
            ],
            TableKind::CustomAllreduce => &[
                "kernel_source",
                "backend",
                "allreduce_dtype",
                "num_gpus",
                "message_elements",
                "latency_ms",
            ],
        }
    }
}

/// One attention row (context or generation): per-GPU heads, as the tables give them.
#[derive(Clone, Debug, PartialEq)]
pub struct AttentionRow {
    /// The kernel (`vllm_flash_attn`, `vllm_flash_attn_fa3`).
    pub kernel_source: String,
    /// Sequences in the call.
    pub batch_size: u32,
    /// New tokens per sequence (context) or the prompt length (generation).
    pub isl: u32,
    /// Decode step (generation: the query attends to `isl + step` tokens; context: 0).
    pub step: u32,
    /// Query heads on one GPU.
    pub num_heads: u32,
    /// KV heads on one GPU.
    pub num_key_value_heads: u32,
    /// Head dimension.
    pub head_dim: u32,
    /// Measured seconds of one call (the table's milliseconds / 1000).
    pub latency_s: f64,
}

/// One GEMM row.
#[derive(Clone, Debug, PartialEq)]
pub struct GemmRow {
    /// The kernel (`vllm_default`, `torch.nn.functional.linear`).
    pub kernel_source: String,
    /// Rows (tokens).
    pub m: u32,
    /// Output features.
    pub n: u32,
    /// Input features.
    pub k: u32,
    /// Measured seconds of one call.
    pub latency_s: f64,
}

/// One collective row (NCCL or the custom all-reduce).
#[derive(Clone, Debug, PartialEq)]
pub struct CollectiveRow {
    /// `all_reduce`, `all_gather`, … (NCCL); `all_reduce` for the custom table.
    pub op_name: String,
    /// `half`, `int8` (NCCL) or `bfloat16` (custom).
    pub dtype: String,
    /// `vllm_graph` or `vllm_eager` (custom); empty for NCCL.
    pub backend: String,
    /// GPUs taking part (one node).
    pub num_gpus: u32,
    /// Elements of `dtype` in the message.
    pub message_elements: u64,
    /// Measured seconds of one call.
    pub latency_s: f64,
}

impl CollectiveRow {
    /// Bytes of the message: elements × the dtype's size (`int8` 1, else 2).
    pub fn bytes(&self) -> f64 {
        let size = if self.dtype == "int8" { 1.0 } else { 2.0 };
        self.message_elements as f64 * size
    }
}

/// The rows of one table.
#[derive(Clone, Debug, PartialEq)]
pub enum Rows {
    /// Context (prefill) attention.
    Context(Vec<AttentionRow>),
    /// Generation (decode) attention.
    Generation(Vec<AttentionRow>),
    /// GEMMs.
    Gemm(Vec<GemmRow>),
    /// NCCL collectives or the custom all-reduce.
    Collective(Vec<CollectiveRow>),
}

impl Rows {
    /// Number of data rows.
    pub fn len(&self) -> usize {
        match self {
            Rows::Context(r) | Rows::Generation(r) => r.len(),
            Rows::Gemm(r) => r.len(),
            Rows::Collective(r) => r.len(),
        }
    }

    /// True when the table holds no data row.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// Why a table was rejected: always names the file, and where a line or column is at fault,
/// those too (1-based).
#[derive(Clone, Debug, PartialEq, Eq, Error)]
pub enum TableError {
    /// No header line.
    #[error("{file}: empty file (expected a header line with {expected})")]
    Empty {
        /// File name.
        file: String,
        /// The columns needed, comma-separated.
        expected: String,
    },
    /// A needed column is absent from the header.
    #[error("{file}:1: missing column `{column}` (header: {header})")]
    MissingColumn {
        /// File name.
        file: String,
        /// The missing column.
        column: &'static str,
        /// The header as read (shortened).
        header: String,
    },
    /// A row has another number of fields than the header.
    #[error("{file}:{line}: {found} fields, the header has {expected}")]
    FieldCount {
        /// File name.
        file: String,
        /// 1-based line.
        line: usize,
        /// Fields found.
        found: usize,
        /// Fields in the header.
        expected: usize,
    },
    /// A field does not hold what its column needs.
    #[error("{file}:{line}:{column}: column `{name}` = \"{value}\": expected {expected}")]
    BadValue {
        /// File name.
        file: String,
        /// 1-based line.
        line: usize,
        /// 1-based column (field number).
        column: usize,
        /// Column name.
        name: &'static str,
        /// The field as read (shortened).
        value: String,
        /// What it must be.
        expected: &'static str,
    },
}

/// One data line split into fields, with what is needed to report an error in it.
struct Line<'a> {
    file: &'a str,
    line: usize,
    fields: Vec<&'a str>,
    index: &'a [usize],
    names: &'static [&'static str],
}

impl<'a> Line<'a> {
    fn bad(&self, i: usize, expected: &'static str) -> TableError {
        TableError::BadValue {
            file: self.file.to_string(),
            line: self.line,
            column: self.index[i] + 1,
            name: self.names[i],
            value: crate::text::shorten(self.fields[self.index[i]], 40),
            expected,
        }
    }

    /// The `i`-th needed column as text.
    fn text(&self, i: usize) -> Result<String, TableError> {
        let v = self.fields[self.index[i]].trim();
        if v.is_empty() {
            return Err(self.bad(i, "a non-empty name"));
        }
        Ok(v.to_string())
    }

    fn count(&self, i: usize) -> Result<u64, TableError> {
        self.fields[self.index[i]]
            .trim()
            .parse::<u64>()
            .map_err(|_| self.bad(i, "a whole number"))
    }

    fn small(&self, i: usize) -> Result<u32, TableError> {
        u32::try_from(self.count(i)?).map_err(|_| self.bad(i, "a whole number below 2^32"))
    }

    fn positive(&self, i: usize) -> Result<u32, TableError> {
        match self.small(i)? {
            0 => Err(self.bad(i, "a whole number ≥ 1")),
            v => Ok(v),
        }
    }

    /// A latency in milliseconds, returned in seconds.
    fn latency(&self, i: usize) -> Result<f64, TableError> {
        let v: f64 = self.fields[self.index[i]]
            .trim()
            .parse()
            .map_err(|_| self.bad(i, "a number of milliseconds"))?;
        if v.is_finite() && v > 0.0 {
            Ok(v / 1e3)
        } else {
            Err(self.bad(i, "a finite number of milliseconds > 0"))
        }
    }
}

/// Parses one table. `file` names it in errors (the caller's path or file name).
pub fn parse_table(file: &str, kind: TableKind, text: &str) -> Result<Rows, TableError> {
    let names = kind.columns();
    let mut lines = text.lines().enumerate();
    let header = loop {
        match lines.next() {
            None => {
                return Err(TableError::Empty {
                    file: file.to_string(),
                    expected: names.join(","),
                });
            }
            Some((_, l)) if l.trim().is_empty() => continue,
            Some((_, l)) => break l,
        }
    };
    let header_fields: Vec<&str> = header.split(',').map(str::trim).collect();
    let mut index = Vec::with_capacity(names.len());
    for &name in names {
        let i = header_fields
            .iter()
            .position(|h| *h == name)
            .ok_or_else(|| TableError::MissingColumn {
                file: file.to_string(),
                column: name,
                header: crate::text::shorten(header, 120),
            })?;
        index.push(i);
    }
    let mut rows = match kind {
        TableKind::ContextAttention => Rows::Context(Vec::new()),
        TableKind::GenerationAttention => Rows::Generation(Vec::new()),
        TableKind::Gemm => Rows::Gemm(Vec::new()),
        TableKind::Nccl | TableKind::CustomAllreduce => Rows::Collective(Vec::new()),
    };
    for (i, l) in lines {
        if l.trim().is_empty() {
            continue;
        }
        let fields: Vec<&str> = l.split(',').collect();
        if fields.len() != header_fields.len() {
            return Err(TableError::FieldCount {
                file: file.to_string(),
                line: i + 1,
                found: fields.len(),
                expected: header_fields.len(),
            });
        }
        let line = Line {
            file,
            line: i + 1,
            fields,
            index: &index,
            names,
        };
        match &mut rows {
            Rows::Context(v) | Rows::Generation(v) => v.push(AttentionRow {
                kernel_source: line.text(0)?,
                batch_size: line.positive(1)?,
                isl: line.positive(2)?,
                step: line.small(3)?,
                num_heads: line.positive(4)?,
                num_key_value_heads: line.positive(5)?,
                head_dim: line.positive(6)?,
                latency_s: line.latency(7)?,
            }),
            Rows::Gemm(v) => v.push(GemmRow {
                kernel_source: line.text(0)?,
                m: line.positive(1)?,
                n: line.positive(2)?,
                k: line.positive(3)?,
                latency_s: line.latency(4)?,
            }),
            Rows::Collective(v) => v.push(if kind == TableKind::Nccl {
                CollectiveRow {
                    op_name: line.text(0)?,
                    dtype: line.text(1)?,
                    backend: String::new(),
                    num_gpus: line.positive(2)?,
                    message_elements: line.count(3)?,
                    latency_s: line.latency(4)?,
                }
            } else {
                CollectiveRow {
                    op_name: "all_reduce".to_string(),
                    backend: line.text(1)?,
                    dtype: line.text(2)?,
                    num_gpus: line.positive(3)?,
                    message_elements: line.count(4)?,
                    latency_s: line.latency(5)?,
                }
            }),
        }
    }
    Ok(rows)
}
