//! KV-cache capacity of a replica and the cost of moving KV between replicas.

use crate::perf::PerfModel;
use crate::time::SimDuration;

impl PerfModel {
    /// KV-cache bytes one token occupies on the whole replica, all layers (bf16). Equals
    /// [`crate::model::ModelSpec::kv_bytes_per_token`] unless `tp` exceeds the KV heads, in
    /// which case each GPU keeps a replica of one KV head (vLLM's rule) and the replica stores
    /// more.
    pub fn kv_bytes_per_token(&self) -> u64 {
        (self.kv_layer_bytes * self.model.layers as f64) as u64
    }

    /// KV tokens one replica can hold:
    /// `(tp·memory·memory_utilization − weights − tp·activation_reserve_bytes_per_gpu) /
    /// kv_bytes_per_token`, rounded down; 0 if negative.
    pub fn kv_capacity_tokens(&self) -> u64 {
        self.kv_capacity
    }

    /// Seconds to send one layer's (`layers = 1`) or all layers' KV of `tokens` tokens.
    fn kv_send_s(&self, tokens: u64, same_node: bool, layer_fraction: f64) -> f64 {
        let bytes = tokens as f64 * self.kv_layer_bytes * layer_fraction;
        if same_node {
            // Each of the tp GPUs sends its own KV heads to its counterpart, in parallel.
            self.nvlink.p2p(bytes / self.tp as f64)
        } else {
            // All tp GPUs share the node's network bandwidth.
            self.network.p2p(bytes)
        }
    }

    /// Time to copy a sequence's KV (`tokens` tokens, all layers) from one replica to another:
    /// `latency + bytes/tp / (nvlink·eff)` inside a node (the tp GPUs send their shards in
    /// parallel), `latency + bytes / (network·eff)` between nodes. Zero for zero tokens.
    pub fn kv_transfer_time(&self, tokens: u64, same_node: bool) -> SimDuration {
        if tokens == 0 {
            return SimDuration::ZERO;
        }
        SimDuration::from_secs_f64(self.kv_send_s(tokens, same_node, self.model.layers as f64))
    }

    /// The part of a layer-wise KV stream not hidden behind the prefill that produces it.
    ///
    /// PecSched sends each layer's KV (transfer `x`) to the decode replica as soon as the
    /// layer finishes, while the next layer computes (`c = prefill_time / layers`). The last
    /// transfer ends at `max_i (i·c + (N − i + 1)·x)`, so the time exposed after the prefill
    /// is `x` when `x ≤ c` and `N·(x − c) + c` otherwise — the exact pipeline form of
    /// `max(0, x − c)·N + x`. Zero for zero tokens.
    pub fn layer_kv_stream_exposed_time(
        &self,
        tokens: u64,
        same_node: bool,
        prefill_time: SimDuration,
    ) -> SimDuration {
        if tokens == 0 {
            return SimDuration::ZERO;
        }
        let n = self.model.layers as f64;
        let x = self.kv_send_s(tokens, same_node, 1.0);
        let c = prefill_time.as_secs_f64() / n;
        let exposed = if x <= c { x } else { n * (x - c) + c };
        SimDuration::from_secs_f64(exposed)
    }

    /// The exposed time of moving `tokens` KV tokens held evenly by `senders` replicas to
    /// `receivers` replicas (a long job's sharded KV changing groups, `sim/long_move.rs`):
    /// every sender streams to the receivers in parallel, so the busiest link carries
    /// `ceil(tokens / min(senders, receivers))` tokens, streamed layer by layer as
    /// [`PerfModel::layer_kv_stream_exposed_time`] prices a short hand-over (hidden behind
    /// `overlap`, the prefill that produces the KV, when the move follows it; nothing hidden
    /// when `overlap` is zero). Zero for zero tokens or an empty side.
    pub fn sharded_kv_move_exposed_time(
        &self,
        tokens: u64,
        senders: u32,
        receivers: u32,
        same_node: bool,
        overlap: SimDuration,
    ) -> SimDuration {
        let links = senders.min(receivers) as u64;
        if links == 0 {
            return SimDuration::ZERO;
        }
        self.layer_kv_stream_exposed_time(tokens.div_ceil(links), same_node, overlap)
    }
}

#[cfg(test)]
mod tests {
    use crate::hardware::ClusterSpec;
    use crate::model::ModelKind;
    use crate::perf::{Calibration, PerfModel};
    use crate::time::SimDuration;

    fn llama70_tp4() -> PerfModel {
        let c = ClusterSpec::paper_testbed();
        let m = ModelKind::Llama31_70B.spec();
        PerfModel::new(&c, &m, 4, &Calibration::datasheet_default()).unwrap()
    }

    #[test]
    fn kv_capacity_of_llama70b_tp4_on_a100_by_hand() {
        let p = llama70_tp4();
        assert_eq!(p.kv_bytes_per_token(), 320 * 1024);
        let gib = (1u64 << 30) as f64;
        let weights = ModelKind::Llama31_70B.spec().weight_bytes() as f64; // ≈ 141.1 GB
        let usable = 4.0 * 80.0 * gib * 0.9 - weights - 4.0 * 2.0 * gib;
        let expected = (usable / (320.0 * 1024.0)) as u64;
        assert_eq!(p.kv_capacity_tokens(), expected);
        // ≈ 148 GiB of KV space: ~486K tokens, so a 500K request needs two replicas (docs/paper.md §3.2).
        assert!((480_000..495_000).contains(&expected), "{expected}");
    }

    #[test]
    fn kv_capacity_floors_at_zero_and_replicates_kv_heads() {
        let c = ClusterSpec::paper_testbed();
        let mut calib = Calibration::datasheet_default();
        // Llama-8B on one A100: 16 GB of weights, lots of room.
        let m8 = ModelKind::Llama31_8B.spec();
        let p = PerfModel::new(&c, &m8, 1, &calib).unwrap();
        assert!(p.kv_capacity_tokens() > 400_000);
        // tp = 8 = kv_heads: one KV head per GPU, no replication.
        let p8 = PerfModel::new(&c, &m8, 8, &calib).unwrap();
        assert_eq!(p8.kv_bytes_per_token(), m8.kv_bytes_per_token());
        // A reserve that eats everything but the weights leaves no KV room.
        let gpu_mem = c.gpu.memory_bytes as f64;
        calib.activation_reserve_bytes_per_gpu = gpu_mem * 0.9 - m8.weight_bytes() as f64;
        let p0 = PerfModel::new(&c, &m8, 1, &calib).unwrap();
        assert_eq!(p0.kv_capacity_tokens(), 0);
    }

    #[test]
    fn kv_transfer_by_hand() {
        let p = llama70_tp4();
        let tokens = 2000u64;
        let bytes = 2000.0 * 327680.0;
        let nv = 3e-6 + bytes / 4.0 / (300e9 * 0.8);
        let net = 10e-6 + bytes / (50e9 * 0.8);
        assert_eq!(
            p.kv_transfer_time(tokens, true),
            SimDuration::from_secs_f64(nv)
        );
        assert_eq!(
            p.kv_transfer_time(tokens, false),
            SimDuration::from_secs_f64(net)
        );
        assert_eq!(p.kv_transfer_time(0, false), SimDuration::ZERO);
    }

    #[test]
    fn a_sharded_move_is_priced_by_its_busiest_link() {
        let p = llama70_tp4();
        let slow = SimDuration::from_millis(1000);
        // 4 senders to 2 receivers: two links' worth of parallelism, 6000 tokens each.
        assert_eq!(
            p.sharded_kv_move_exposed_time(12_000, 4, 2, false, slow),
            p.layer_kv_stream_exposed_time(6000, false, slow)
        );
        // One sender, three receivers: the sender's link carries everything.
        assert_eq!(
            p.sharded_kv_move_exposed_time(12_000, 1, 3, true, SimDuration::ZERO),
            p.layer_kv_stream_exposed_time(12_000, true, SimDuration::ZERO)
        );
        // More links, less exposed time.
        assert!(
            p.sharded_kv_move_exposed_time(12_000, 4, 4, false, SimDuration::ZERO)
                < p.sharded_kv_move_exposed_time(12_000, 2, 2, false, SimDuration::ZERO)
        );
        assert_eq!(
            p.sharded_kv_move_exposed_time(12_000, 0, 2, false, slow),
            SimDuration::ZERO
        );
    }

    #[test]
    fn layer_streaming_hides_behind_compute() {
        let p = llama70_tp4();
        let tokens = 2000u64;
        let x = 10e-6 + 2000.0 * 4096.0 / (50e9 * 0.8); // one layer over the network
        // Slow prefill (1 s / 80 layers = 12.5 ms per layer ≫ x): only the last layer shows.
        let slow = p.layer_kv_stream_exposed_time(tokens, false, SimDuration::from_millis(1000));
        assert_eq!(slow, SimDuration::from_secs_f64(x));
        // Instant prefill: the whole transfer is exposed (N·x).
        let instant = p.layer_kv_stream_exposed_time(tokens, false, SimDuration::ZERO);
        let whole = SimDuration::from_secs_f64(80.0 * x).0 as i64;
        assert!((instant.0 as i64 - whole).abs() <= 1);
        // In between: N·(x − c) + c.
        let c = x / 2.0;
        let mid =
            p.layer_kv_stream_exposed_time(tokens, false, SimDuration::from_secs_f64(80.0 * c));
        let expected = 80.0 * (x - c) + c;
        assert!((mid.as_secs_f64() - expected).abs() < 1e-8);
        assert_eq!(
            p.layer_kv_stream_exposed_time(0, true, SimDuration::ZERO),
            SimDuration::ZERO
        );
    }
}
