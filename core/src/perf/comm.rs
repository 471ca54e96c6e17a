//! Communication costs: `latency·steps + bytes/(bandwidth·efficiency)`, in seconds.
//!
//! A [`Link`] is one class of connection with its *effective* bandwidth (datasheet ×
//! calibration efficiency) and one-way latency. NVLink bandwidth is per GPU and direction
//! ([`crate::hardware::GpuSpec::nvlink_bytes_per_s`]); network bandwidth is per node and
//! direction ([`crate::hardware::ClusterSpec::network_bytes_per_s`]), shared by the node's
//! GPUs. Collectives use the ring algorithms NCCL uses for large messages; with `n ≤ 1`
//! participants they cost nothing.

use crate::hardware::ClusterSpec;
use crate::perf::Calibration;

/// One class of connection.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Link {
    /// Effective bandwidth, bytes/s (one direction).
    pub bytes_per_s: f64,
    /// One-way latency of one message, seconds.
    pub latency_s: f64,
    /// How an all-reduce departs from the plain ring (neutral on the network).
    pub all_reduce: AllReduceTerms,
}

/// The all-reduce terms of a calibration: fixed latency, per-step latency scale, bus bandwidth
/// by GPU count, and the engine's small-message path. [`AllReduceTerms::RING`] is the plain
/// ring (every term neutral).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct AllReduceTerms {
    /// `allreduce_latency_s`: fixed latency on top of the steps.
    pub latency_s: f64,
    /// `allreduce_step_latency_scale`: factor on the link latency per ring step.
    pub step_scale: f64,
    /// `allreduce_bw_half_gpus`: GPUs at half the bus-bandwidth asymptote (0: off).
    pub bw_half_gpus: f64,
    /// `custom_allreduce_max_bytes`: messages below this take the small-message path.
    pub small_max_bytes: f64,
    /// `custom_allreduce_latency_s`.
    pub small_latency_s: f64,
    /// `custom_allreduce_step_s`.
    pub small_step_s: f64,
    /// NVLink bandwidth × `custom_allreduce_bw_efficiency`, bytes/s.
    pub small_bytes_per_s: f64,
}

impl AllReduceTerms {
    /// The plain ring: no fixed latency, the link's latency per step, one bandwidth, no
    /// small-message path.
    pub const RING: AllReduceTerms = AllReduceTerms {
        latency_s: 0.0,
        step_scale: 1.0,
        bw_half_gpus: 0.0,
        small_max_bytes: 0.0,
        small_latency_s: 0.0,
        small_step_s: 0.0,
        small_bytes_per_s: 1.0,
    };
}

impl Link {
    /// NVLink between two GPUs of one node: per-GPU bandwidth × `nvlink_efficiency`.
    pub fn nvlink(cluster: &ClusterSpec, calib: &Calibration) -> Link {
        Link {
            bytes_per_s: cluster.gpu.nvlink_bytes_per_s * calib.nvlink_efficiency,
            latency_s: cluster.nvlink_latency_s,
            all_reduce: AllReduceTerms {
                latency_s: calib.allreduce_latency_s,
                step_scale: calib.allreduce_step_latency_scale,
                bw_half_gpus: calib.allreduce_bw_half_gpus,
                small_max_bytes: calib.custom_allreduce_max_bytes,
                small_latency_s: calib.custom_allreduce_latency_s,
                small_step_s: calib.custom_allreduce_step_s,
                small_bytes_per_s: cluster.gpu.nvlink_bytes_per_s
                    * calib.custom_allreduce_bw_efficiency,
            },
        }
    }

    /// The network between nodes: per-node bandwidth × `network_efficiency`.
    pub fn network(cluster: &ClusterSpec, calib: &Calibration) -> Link {
        Link {
            bytes_per_s: cluster.network_bytes_per_s * calib.network_efficiency,
            latency_s: cluster.network_latency_s,
            all_reduce: AllReduceTerms::RING,
        }
    }

    /// Seconds to move `bytes` at this link's bandwidth, without latency.
    pub fn wire_s(&self, bytes: f64) -> f64 {
        bytes / self.bytes_per_s
    }

    /// Point-to-point send of `bytes`: `latency + bytes/bw`.
    pub fn p2p(&self, bytes: f64) -> f64 {
        self.latency_s + self.wire_s(bytes)
    }

    /// All-reduce of a `bytes`-sized buffer over `n` participants. The plain ring:
    /// `2(n−1)·latency + 2(n−1)/n · bytes/bw`; with the calibration's [`AllReduceTerms`],
    /// `fixed + 2(n−1)·latency·scale + 2(n−1)/n · bytes/(bw·n/(n + h))`, and below the
    /// small-message size `small_fixed + 2(n−1)·small_step + 2(n−1)/n · bytes/small_bw`.
    pub fn all_reduce(&self, n: u32, bytes: f64) -> f64 {
        let (wire, latency) = self.all_reduce_parts(n, bytes);
        wire + latency
    }

    /// [`Link::all_reduce`] split into `(wire seconds, latency seconds)`.
    pub fn all_reduce_parts(&self, n: u32, bytes: f64) -> (f64, f64) {
        if n <= 1 {
            return (0.0, 0.0);
        }
        let n = n as f64;
        let t = &self.all_reduce;
        if bytes < t.small_max_bytes {
            return (
                2.0 * (n - 1.0) / n * bytes / t.small_bytes_per_s,
                t.small_latency_s + 2.0 * (n - 1.0) * t.small_step_s,
            );
        }
        let mut wire = 2.0 * (n - 1.0) / n * self.wire_s(bytes);
        if t.bw_half_gpus > 0.0 {
            wire *= (n + t.bw_half_gpus) / n;
        }
        // Neutral terms (0 + x·1) leave the plain ring's figures bit for bit.
        let latency = t.latency_s + 2.0 * (n - 1.0) * self.latency_s * t.step_scale;
        (wire, latency)
    }

    /// Ring all-gather producing a `bytes`-sized buffer on each of `n` participants (each
    /// contributes `bytes/n`): `(n−1)·latency + (n−1)/n · bytes/bw`.
    pub fn all_gather(&self, n: u32, bytes: f64) -> f64 {
        if n <= 1 {
            return 0.0;
        }
        let n = n as f64;
        (n - 1.0) * self.latency_s + (n - 1.0) / n * self.wire_s(bytes)
    }

    /// Ring reduce-scatter of a `bytes`-sized buffer per participant (each ends with
    /// `bytes/n`): same cost as [`Link::all_gather`].
    pub fn reduce_scatter(&self, n: u32, bytes: f64) -> f64 {
        self.all_gather(n, bytes)
    }

    /// All-to-all where each of `n` participants holds `bytes` and keeps `1/n` of it:
    /// `(n−1)·latency + (n−1)/n · bytes/bw`.
    pub fn all_to_all(&self, n: u32, bytes: f64) -> f64 {
        if n <= 1 {
            return 0.0;
        }
        let n = n as f64;
        (n - 1.0) * self.latency_s + (n - 1.0) / n * self.wire_s(bytes)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn links() -> (Link, Link) {
        let c = ClusterSpec::paper_testbed();
        let k = Calibration::datasheet_default();
        (Link::nvlink(&c, &k), Link::network(&c, &k))
    }

    #[test]
    fn links_use_datasheet_times_efficiency() {
        let (nv, net) = links();
        // A100 NVLink 3: 300 GB/s per direction × 0.8; p4de: 400 Gbps = 50 GB/s × 0.8.
        assert_eq!(nv.bytes_per_s, 300e9 * 0.8);
        assert_eq!(nv.latency_s, 3e-6);
        assert_eq!(net.bytes_per_s, 50e9 * 0.8);
        assert_eq!(net.latency_s, 10e-6);
    }

    #[test]
    fn collectives_match_hand_formulas() {
        let (nv, net) = links();
        let b = 64e6; // 64 MB
        let close = |a: f64, e: f64| assert!((a - e).abs() <= 1e-12 * e.max(1.0), "{a} vs {e}");
        // p2p: 3 µs + 64e6 / 240e9.
        close(nv.p2p(b), 3e-6 + 64e6 / 240e9);
        close(net.p2p(b), 10e-6 + 64e6 / 40e9);
        // Ring all-reduce over 4: 6 steps of latency, 2·3/4 of the buffer on the wire.
        close(nv.all_reduce(4, b), 6.0 * 3e-6 + 1.5 * 64e6 / 240e9);
        // All-gather / reduce-scatter over 8: 7 steps, 7/8 of the buffer.
        close(nv.all_gather(8, b), 7.0 * 3e-6 + 0.875 * 64e6 / 240e9);
        close(nv.reduce_scatter(8, b), nv.all_gather(8, b));
        close(net.all_to_all(2, b), 10e-6 + 0.5 * 64e6 / 40e9);
        for n in [0, 1] {
            assert_eq!(nv.all_reduce(n, b), 0.0);
            assert_eq!(nv.all_gather(n, b), 0.0);
            assert_eq!(nv.all_to_all(n, b), 0.0);
        }
        // An all-reduce is a reduce-scatter plus an all-gather.
        close(nv.all_reduce(4, b), 2.0 * nv.all_gather(4, b));
    }
}
