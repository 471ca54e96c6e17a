//! [`GpuOracle`]: the core's [`IterationOracle`] answered by the GPU. Each iteration is split
//! into components (the layer's GEMMs, each prefill chunk's attention, the decode attention),
//! each timed on the GPU over the measured layers the first time its bucket is seen and cached
//! after (see [`super::bucket`]); the per-layer sum is scaled to the model's layer count, and
//! the terms the replay does not launch (LM head, TP all-reduces, the fixed per-iteration
//! overhead) are added from the core's own per-op pricing ([`PerfModel::breakdown`]).

use std::cell::RefCell;
use std::collections::HashMap;
use std::rc::Rc;
use std::time::Instant;

use pecsched_core::perf::{BatchShape, PerfModel};
use pecsched_core::sim::oracle::{IterKind, IterationDetail, IterationOracle};
use pecsched_core::time::SimDuration;

use super::bucket::Component;
use super::rig::Rig;

/// Ops of the core's breakdown that the replay launches on the GPU; every other row (LM head,
/// TP all-reduces, iteration overhead) is taken from the core as priced.
pub const LAUNCHED_OPS: [&str; 6] = [
    "qkv_proj",
    "attn_prefill",
    "attn_decode",
    "o_proj",
    "mlp_gate_up",
    "mlp_down",
];

/// One timed iteration.
#[derive(Clone, Debug, serde::Serialize)]
pub struct IterRecord {
    /// Iteration kind.
    pub kind: IterKind,
    /// The performance model's time, seconds.
    pub predicted_s: f64,
    /// The replay's time (GPU-measured layers scaled, plus core-priced unlaunched terms).
    pub measured_s: f64,
    /// Of `measured_s`: the core-priced terms not launched.
    pub modelled_part_s: f64,
    /// The four GEMMs over all layers: [measured, predicted] seconds.
    pub gemm_s: [f64; 2],
    /// Prefill and decode attention over all layers: [measured, predicted] seconds.
    pub attn_s: [f64; 2],
    /// Components measured fresh on the GPU for this iteration (the rest came from the cache).
    pub fresh: u32,
    /// Components in the iteration.
    pub components: u32,
    /// Context lengths were scaled down to fit the KV pool.
    pub capped: bool,
}

/// What the oracle measured, shared with the caller (the oracle itself cannot be downcast).
#[derive(Default)]
pub struct OracleLog {
    /// Every iteration the core asked about, in order.
    pub iters: Vec<IterRecord>,
    /// Cached per-layer seconds by component bucket.
    pub cache: HashMap<Component, f64>,
    /// Wall seconds spent measuring on the GPU (cache misses).
    pub measure_wall_s: f64,
    /// First GPU error; the run stops at the next step when set.
    pub error: Option<String>,
}

/// The oracle: a [`Rig`], the core's performance model for the unlaunched terms, and the log.
pub struct GpuOracle {
    rig: Rc<Rig>,
    perf: PerfModel,
    log: Rc<RefCell<OracleLog>>,
}

impl GpuOracle {
    /// An oracle measuring on `rig`, pricing unlaunched terms with `perf`.
    pub fn new(rig: Rc<Rig>, perf: PerfModel, log: Rc<RefCell<OracleLog>>) -> GpuOracle {
        GpuOracle { rig, perf, log }
    }

    /// Per-layer seconds of `c` (cached, else measured with the representative arguments).
    fn component(
        &self,
        c: Component,
        measure: impl FnOnce(&Rig) -> Result<f64, pecsched_gpu::GpuError>,
        fresh: &mut u32,
    ) -> f64 {
        if let Some(&t) = self.log.borrow().cache.get(&c) {
            return t;
        }
        let t0 = Instant::now();
        let t = match measure(&self.rig) {
            Ok(t) => t,
            Err(e) => {
                let mut log = self.log.borrow_mut();
                log.error.get_or_insert(format!("{c:?}: {e}"));
                return 0.0;
            }
        };
        let mut log = self.log.borrow_mut();
        log.measure_wall_s += t0.elapsed().as_secs_f64();
        log.cache.insert(c, t);
        *fresh += 1;
        t
    }

    /// Scales `lengths` down to fit the KV pool (one layer), if needed.
    fn fit_pool(&self, lengths: &[u32]) -> (Vec<u32>, bool) {
        let (per_buf, bufs) = self.rig.kv_layout();
        let cap = per_buf * bufs as u64;
        let total: u64 = lengths.iter().map(|&l| l as u64).sum();
        // Leave room for packing whole sequences into buffers.
        let room = cap.saturating_sub(per_buf / 8 * bufs as u64).max(1);
        if total <= room && lengths.iter().all(|&l| (l as u64) <= per_buf) {
            return (lengths.to_vec(), false);
        }
        let f = (room as f64 / total as f64).min(1.0);
        let v = lengths
            .iter()
            .map(|&l| ((l as f64 * f) as u64).clamp(1, per_buf) as u32)
            .collect();
        (v, true)
    }
}

impl IterationOracle for GpuOracle {
    fn time(
        &mut self,
        detail: &IterationDetail,
        kind: IterKind,
        predicted: SimDuration,
    ) -> SimDuration {
        let mut shape = BatchShape::default();
        for &(n, p) in &detail.prefill {
            shape.add_prefill_chunk(n as u64, p as u64);
        }
        for &l in &detail.decode {
            shape.add_decode(l as u64);
        }
        let m = shape.total_tokens() as u32;
        let mut fresh = 0;
        let mut comps = 1;
        let gemm = self.component(Component::gemms(m), |r| r.gemms(m), &mut fresh);
        let mut layer = 0.0;
        for &(n, p) in &detail.prefill {
            comps += 1;
            layer += self.component(Component::prefill(n, p), |r| r.prefill(n, p), &mut fresh);
        }
        let mut capped = false;
        if !detail.decode.is_empty() {
            comps += 1;
            let (lengths, c) = self.fit_pool(&detail.decode);
            capped = c;
            let t = self.component(
                Component::decode(&lengths),
                |r| r.decode(&lengths),
                &mut fresh,
            );
            // Capped batches are scaled back linearly in the context read (bandwidth-bound).
            let scale = if c {
                detail.decode.iter().map(|&l| l as f64).sum::<f64>()
                    / lengths.iter().map(|&l| l as f64).sum::<f64>()
            } else {
                1.0
            };
            layer += t * scale;
        }
        let rows = self.perf.breakdown(&shape);
        let sum = |keep: &dyn Fn(&str) -> bool| -> f64 {
            rows.iter()
                .filter(|r| r.name != "total" && keep(r.name))
                .map(|r| r.time_s * r.count as f64)
                .sum()
        };
        let modelled = sum(&|n| !LAUNCHED_OPS.contains(&n));
        let pred_attn = sum(&|n| n.starts_with("attn_"));
        let pred_gemm = sum(&|n| LAUNCHED_OPS.contains(&n) && !n.starts_with("attn_"));
        let layers = self.perf.model().layers as f64;
        let measured = (gemm + layer) * layers + modelled;
        let mut log = self.log.borrow_mut();
        if log.error.is_some() {
            return predicted;
        }
        log.iters.push(IterRecord {
            kind,
            predicted_s: predicted.as_secs_f64(),
            measured_s: measured,
            modelled_part_s: modelled,
            gemm_s: [gemm * layers, pred_gemm],
            attn_s: [layer * layers, pred_attn],
            fresh,
            components: comps,
            capped,
        });
        SimDuration::from_secs_f64(measured)
    }
}

/// A GPU-less stand-in for planning: answers with the model's time and counts the iterations
/// and the distinct component buckets a replay would measure.
#[derive(Default)]
pub struct PlanLog {
    /// Iterations asked about.
    pub iters: u64,
    /// Distinct buckets, with the per-layer token count (GEMM M, or prefill/decode tokens) of
    /// the first shape seen, for a cost estimate.
    pub buckets: HashMap<Component, u64>,
}

/// The planning oracle (`replay --plan`).
pub struct PlanOracle(pub Rc<RefCell<PlanLog>>);

impl IterationOracle for PlanOracle {
    fn time(&mut self, d: &IterationDetail, _: IterKind, predicted: SimDuration) -> SimDuration {
        let mut log = self.0.borrow_mut();
        log.iters += 1;
        let m = d.prefill.iter().map(|p| p.0 as u64).sum::<u64>() + d.decode.len() as u64;
        log.buckets.entry(Component::gemms(m as u32)).or_insert(m);
        for &(n, p) in &d.prefill {
            log.buckets
                .entry(Component::prefill(n, p))
                .or_insert(n as u64 * (p as u64 + n as u64 / 2));
        }
        if !d.decode.is_empty() {
            let kv = d.decode.iter().map(|&l| l as u64).sum();
            log.buckets
                .entry(Component::decode(&d.decode))
                .or_insert(kv);
        }
        predicted
    }
}
