//! Hardware catalog: GPUs, nodes and the cluster they form.
//!
//! Figures are vendor datasheet values (dense, no sparsity). Efficiencies — how much of a peak
//! a kernel reaches — belong to the performance model (`perf`), not here.

use serde::{Deserialize, Serialize};

/// GPU models the simulator knows.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum GpuKind {
    /// NVIDIA A100-SXM4 80 GB (the paper's testbed GPU).
    A100Sxm80,
    /// NVIDIA H100-SXM5 80 GB.
    H100Sxm80,
    /// NVIDIA H200-SXM 141 GB.
    H200Sxm141,
}

/// Datasheet figures of one GPU.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct GpuSpec {
    /// Which GPU this is.
    pub kind: GpuKind,
    /// Human-readable name.
    pub name: &'static str,
    /// Dense bf16 tensor-core peak, FLOP/s.
    pub bf16_flops: f64,
    /// HBM bandwidth, bytes/s.
    pub hbm_bytes_per_s: f64,
    /// Device memory, bytes.
    pub memory_bytes: u64,
    /// NVLink bandwidth per GPU per direction, bytes/s.
    pub nvlink_bytes_per_s: f64,
    /// Streaming multiprocessors: how many GEMM output tiles run at once (one wave), for the
    /// wave quantisation of `perf` (`gemm_tile_m`/`gemm_tile_n`).
    pub sm_count: u32,
}

const GIB: u64 = 1 << 30;

impl GpuKind {
    /// Every GPU in the catalog, in display order.
    pub const ALL: [GpuKind; 3] = [GpuKind::A100Sxm80, GpuKind::H100Sxm80, GpuKind::H200Sxm141];

    /// Datasheet figures of this GPU.
    pub fn spec(self) -> GpuSpec {
        match self {
            // NVIDIA A100 datasheet: 312 TFLOP/s dense BF16, 2,039 GB/s HBM2e (80 GB SXM),
            // NVLink 3: 600 GB/s bidirectional = 300 GB/s per direction. 108 SMs (NVIDIA A100
            // Tensor Core GPU Architecture whitepaper, table 1: "SMs 108").
            GpuKind::A100Sxm80 => GpuSpec {
                kind: self,
                name: "A100-SXM 80GB",
                bf16_flops: 312e12,
                hbm_bytes_per_s: 2039e9,
                memory_bytes: 80 * GIB,
                nvlink_bytes_per_s: 300e9,
                sm_count: 108,
            },
            // NVIDIA H100 datasheet (SXM5): 989.4 TFLOP/s dense BF16, 3.35 TB/s HBM3,
            // NVLink 4: 900 GB/s bidirectional = 450 GB/s per direction. 132 SMs (NVIDIA H100
            // Tensor Core GPU Architecture whitepaper, table 2: H100 SXM5 "SMs 132").
            GpuKind::H100Sxm80 => GpuSpec {
                kind: self,
                name: "H100-SXM 80GB",
                bf16_flops: 989.4e12,
                hbm_bytes_per_s: 3350e9,
                memory_bytes: 80 * GIB,
                nvlink_bytes_per_s: 450e9,
                sm_count: 132,
            },
            // NVIDIA H200 datasheet (SXM): 989.4 TFLOP/s dense BF16, 4.8 TB/s HBM3e, 141 GB;
            // the H100 SXM5's GH100 die (same compute figures), so 132 SMs as the H100.
            GpuKind::H200Sxm141 => GpuSpec {
                kind: self,
                name: "H200-SXM 141GB",
                bf16_flops: 989.4e12,
                hbm_bytes_per_s: 4800e9,
                memory_bytes: 141_000_000_000,
                nvlink_bytes_per_s: 450e9,
                sm_count: 132,
            },
        }
    }

    /// Short stable identifier used in scenario files and links.
    pub fn id(self) -> &'static str {
        match self {
            GpuKind::A100Sxm80 => "a100",
            GpuKind::H100Sxm80 => "h100",
            GpuKind::H200Sxm141 => "h200",
        }
    }

    /// Parses [`GpuKind::id`]; `None` for an unknown name.
    pub fn from_id(id: &str) -> Option<GpuKind> {
        GpuKind::ALL.into_iter().find(|g| g.id() == id)
    }
}

/// A homogeneous cluster: `nodes` machines of `gpus_per_node` GPUs each.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct ClusterSpec {
    /// The GPU every slot holds.
    pub gpu: GpuSpec,
    /// Number of nodes.
    pub nodes: u32,
    /// GPUs per node (NVLink-connected inside the node).
    pub gpus_per_node: u32,
    /// Network bandwidth between nodes, per node and direction, bytes/s
    /// (the paper's p4de nodes: 400 Gbps = 50 GB/s).
    pub network_bytes_per_s: f64,
    /// One-way latency of a network message between nodes.
    pub network_latency_s: f64,
    /// One-way latency of an NVLink message inside a node.
    pub nvlink_latency_s: f64,
}

impl ClusterSpec {
    /// The paper's testbed: 4 × p4de.24xlarge (8 × A100 80 GB each), 400 Gbps between nodes.
    pub fn paper_testbed() -> ClusterSpec {
        ClusterSpec {
            gpu: GpuKind::A100Sxm80.spec(),
            nodes: 4,
            gpus_per_node: 8,
            network_bytes_per_s: 400e9 / 8.0,
            // Typical RDMA (EFA) small-message latency, order of 10 µs.
            network_latency_s: 10e-6,
            // Typical NCCL NVLink small-message latency, order of a few µs.
            nvlink_latency_s: 3e-6,
        }
    }

    /// Total number of GPUs.
    pub fn total_gpus(&self) -> u32 {
        self.nodes * self.gpus_per_node
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_round_trip() {
        for g in GpuKind::ALL {
            assert_eq!(GpuKind::from_id(g.id()), Some(g));
        }
        assert_eq!(GpuKind::from_id("v100"), None);
    }

    #[test]
    fn paper_testbed_has_32_gpus() {
        let c = ClusterSpec::paper_testbed();
        assert_eq!(c.total_gpus(), 32);
        assert_eq!(c.network_bytes_per_s, 50e9);
    }
}
