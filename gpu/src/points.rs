//! Measured points: what `bench` writes and `calibrate` reads (`pecsched-bench/1` JSON), and
//! the predicted time of each point under a calibration (always from the core's
//! `perf::kernel`).

use pecsched_core::hardware::GpuSpec;
use pecsched_core::perf::Calibration;
use pecsched_core::perf::kernel::{
    AttentionMerge, DecodeAttention, Dtype, Gemm, KernelModel, PrefillAttention,
};
use serde::{Deserialize, Serialize};

/// Schema tag of a points file.
pub const SCHEMA: &str = "pecsched-bench/1";

/// A kernel family: the op a kernel computes, whatever its variant. Each is validated by its
/// own checks ([`crate::check::run_family`]) and priced by its own formula of the core (whose
/// calibration fields [`crate::fit`] fits).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum KernelFamily {
    /// Prefill attention.
    Prefill,
    /// Split-K decode attention.
    Decode,
    /// Log-sum-exp merge of partial attention.
    Merge,
    /// Dense matrix multiply (the linear layers).
    Gemm,
}

impl KernelFamily {
    /// Every family, in report order.
    pub const ALL: [KernelFamily; 4] = [
        KernelFamily::Prefill,
        KernelFamily::Decode,
        KernelFamily::Merge,
        KernelFamily::Gemm,
    ];

    /// `prefill`, `decode`, `merge` or `gemm` (the `op` tag of a point's shape).
    pub fn id(self) -> &'static str {
        match self {
            KernelFamily::Prefill => "prefill",
            KernelFamily::Decode => "decode",
            KernelFamily::Merge => "merge",
            KernelFamily::Gemm => "gemm",
        }
    }
}

impl std::fmt::Display for KernelFamily {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.id())
    }
}

/// A name that is not a [`KernelFamily`].
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("unknown kernel family `{0}` (prefill, decode, merge, gemm)")]
pub struct UnknownFamily(pub String);

impl std::str::FromStr for KernelFamily {
    type Err = UnknownFamily;

    fn from_str(name: &str) -> Result<KernelFamily, UnknownFamily> {
        KernelFamily::ALL
            .into_iter()
            .find(|f| f.id() == name)
            .ok_or_else(|| UnknownFamily(name.to_string()))
    }
}

/// The shape of a measured kernel call.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "op", rename_all = "lowercase")]
pub enum Shape {
    /// Prefill attention.
    Prefill(PrefillAttention),
    /// Split-K decode attention (decode pass + merge).
    Decode(DecodeAttention),
    /// Stand-alone LSE merge.
    Merge(AttentionMerge),
    /// GEMM.
    Gemm(Gemm),
}

impl Shape {
    /// The kernel family that computes it.
    pub fn family(&self) -> KernelFamily {
        match self {
            Shape::Prefill(_) => KernelFamily::Prefill,
            Shape::Decode(_) => KernelFamily::Decode,
            Shape::Merge(_) => KernelFamily::Merge,
            Shape::Gemm(_) => KernelFamily::Gemm,
        }
    }

    /// Element type.
    pub fn dtype(&self) -> Dtype {
        match self {
            Shape::Prefill(s) => s.dtype,
            Shape::Decode(s) => s.dtype,
            Shape::Merge(s) => s.dtype,
            Shape::Gemm(s) => s.dtype,
        }
    }

    /// Floating-point operations (0 for the merge).
    pub fn flops(&self) -> f64 {
        match self {
            Shape::Prefill(s) => s.flops(),
            Shape::Decode(s) => s.flops(),
            Shape::Merge(_) => 0.0,
            Shape::Gemm(s) => s.flops(),
        }
    }

    /// Bytes the GB/s column counts: the fewest bytes (decode: K and V, as SDPA's figures).
    pub fn bytes(&self) -> f64 {
        match self {
            Shape::Prefill(s) => s.bytes(),
            Shape::Decode(s) => s.kv_bytes(),
            Shape::Merge(s) => s.bytes(),
            Shape::Gemm(s) => s.bytes(),
        }
    }

    /// Predicted seconds under `calib` on `gpu`.
    pub fn predict(&self, gpu: &GpuSpec, calib: &Calibration) -> f64 {
        let m = KernelModel::new(gpu, calib);
        match self {
            Shape::Prefill(s) => m.prefill_attention(s).time_s(),
            Shape::Decode(s) => m.decode_attention(s).time_s(),
            Shape::Merge(s) => m.attention_merge(s).time_s(),
            Shape::Gemm(s) => m.gemm(s).time_s(),
        }
    }

    /// A compact label (`B1 H32/8 D128 S4096 P0 causal`, `32x4096x4096`, …).
    pub fn label(&self) -> String {
        match self {
            Shape::Prefill(s) => format!(
                "B{} H{}/{} D{} S{} P{}{}",
                s.batch,
                s.heads,
                s.kv_heads,
                s.head_dim,
                s.chunk,
                s.prefix,
                if s.causal { " causal" } else { " full" }
            ),
            Shape::Decode(s) => {
                let (lo, hi) = (
                    s.lengths.iter().min().copied().unwrap_or(0),
                    s.lengths.iter().max().copied().unwrap_or(0),
                );
                let l = if lo == hi {
                    format!("L{lo}")
                } else {
                    format!("L{lo}..{hi}")
                };
                format!(
                    "B{} H{}/{} D{} {l}",
                    s.lengths.len(),
                    s.heads,
                    s.kv_heads,
                    s.head_dim
                )
            }
            Shape::Merge(s) => format!("rows{} parts{} D{}", s.rows, s.parts, s.head_dim),
            Shape::Gemm(s) => format!("{}x{}x{}", s.m, s.n, s.k),
        }
    }
}

/// One measured kernel call.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Point {
    /// Kernel and variant (`prefill-coop-f16`, `decode-f16`, `gemm-fma-f32`, …).
    pub kernel: String,
    /// Its shape.
    pub shape: Shape,
    /// Median GPU seconds over the timed runs.
    pub median_s: f64,
    /// Fastest run, seconds.
    pub min_s: f64,
    /// Timed runs.
    pub runs: u32,
}

impl Point {
    /// Achieved TFLOP/s at the median.
    pub fn tflops(&self) -> f64 {
        self.shape.flops() / self.median_s / 1e12
    }

    /// Achieved GB/s at the median.
    pub fn gbs(&self) -> f64 {
        self.shape.bytes() / self.median_s / 1e9
    }
}

/// A points file.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Points {
    /// [`SCHEMA`].
    pub schema: String,
    /// Where and how they were measured.
    pub provenance: pecsched_core::perf::Provenance,
    /// Kernels whose validation failed (not timed).
    pub failed_validation: Vec<String>,
    /// The measurements.
    pub points: Vec<Point>,
    /// Whether the sweep finished. `bench` rewrites the file after every point with `false`
    /// (so a cut-off run keeps what it measured, plainly marked) and with `true` at the end;
    /// `calibrate` refuses a partial file unless asked. Files from before this field read as
    /// complete.
    #[serde(default = "complete_by_default")]
    pub complete: bool,
}

fn complete_by_default() -> bool {
    true
}

/// Why a points file was refused.
#[derive(Debug, thiserror::Error)]
pub enum PointsError {
    /// Not JSON of a points file.
    #[error(transparent)]
    Json(#[from] serde_json::Error),
    /// Another schema (or version).
    #[error("points file has schema `{found}`, expected `{SCHEMA}`")]
    Schema {
        /// The schema the file names.
        found: String,
    },
}

impl Points {
    /// Parses a points file, checking its schema.
    pub fn from_json(text: &str) -> Result<Points, PointsError> {
        let p: Points = serde_json::from_str(text)?;
        if p.schema != SCHEMA {
            return Err(PointsError::Schema { found: p.schema });
        }
        Ok(p)
    }
}

/// Today's date (UTC, ISO 8601) from the system clock.
pub fn today() -> String {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs()) as i64;
    let (y, m, d) = pecsched_core::workload::civil_from_days(secs.div_euclid(86_400));
    format!("{y:04}-{m:02}-{d:02}")
}

#[cfg(test)]
mod tests {
    use super::*;
    use pecsched_core::hardware::GpuKind;

    #[test]
    fn shapes_round_trip_and_predict() {
        let s = Shape::Gemm(Gemm {
            m: 4096,
            n: 4096,
            k: 4096,
            dtype: Dtype::F16,
        });
        let text = serde_json::to_string(&s).unwrap();
        assert!(text.contains("\"op\":\"gemm\""), "{text}");
        assert_eq!(serde_json::from_str::<Shape>(&text).unwrap(), s);
        let t = s.predict(&GpuKind::H100Sxm80.spec(), &Calibration::default());
        assert!(t > 0.0 && t < 1e-3);
        assert_eq!(s.label(), "4096x4096x4096");
        assert_eq!(s.family(), KernelFamily::Gemm);
    }

    #[test]
    fn families_parse_their_ids() {
        for f in KernelFamily::ALL {
            assert_eq!(f.id().parse::<KernelFamily>(), Ok(f));
        }
        assert!("gem".parse::<KernelFamily>().is_err());
    }

    #[test]
    fn a_points_file_of_another_schema_is_refused() {
        let e = Points::from_json(
            r#"{"schema":"pecsched-bench/2","provenance":{},"failed_validation":[],"points":[]}"#,
        )
        .unwrap_err();
        assert_eq!(
            e.to_string(),
            "points file has schema `pecsched-bench/2`, expected `pecsched-bench/1`"
        );
    }

    #[test]
    fn today_is_iso() {
        let d = today();
        assert_eq!(d.len(), 10);
        assert!(d.starts_with("20"));
    }
}
