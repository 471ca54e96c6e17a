//! GPU time of a [`Launch`] from timestamp queries: warm-up runs first, then each timed run
//! is one compute pass with a timestamp at its start and end, many passes per submission, so
//! neither pipeline compilation nor submit-and-wait round trips enter the figures.

use std::time::Instant;

use crate::buffers::Launch;
use crate::{Gpu, GpuError};

/// Target wall time of one submission of timed passes, seconds.
const SUBMIT_BUDGET_S: f64 = 0.25;

/// Bytes read before each timed run of a cold plan: well over the L2 of any GPU we target
/// (50 MB on the H100).
pub const L2_SCRATCH_BYTES: u64 = 128 << 20;

/// Reads `src` (XOR of every word, stored only in an impossible case): leaves the L2 full of
/// clean lines of a buffer no kernel uses. A buffer clear would leave it full of dirty lines
/// whose write-back the next kernel would pay.
const EVICT_SRC: &str = "
@group(0) @binding(0) var<storage, read> src: array<vec4<u32>>;
@group(0) @binding(1) var<storage, read_write> sink: array<u32>;
@compute @workgroup_size(256)
fn main(@builtin(global_invocation_id) g: vec3<u32>, @builtin(num_workgroups) n: vec3<u32>) {
    var acc = 0u;
    let total = arrayLength(&src);
    for (var i = g.x; i < total; i += n.x * 256u) {
        let w = src[i];
        acc ^= w.x ^ w.y ^ w.z ^ w.w;
    }
    if (acc == 0x9e3779b9u && g.x == 0xffffffffu) {
        sink[0] = acc;
    }
}
";

/// The L2 evictor of a device: a pipeline reading a scratch buffer of [`L2_SCRATCH_BYTES`].
pub struct Evictor {
    pipeline: wgpu::ComputePipeline,
    group: wgpu::BindGroup,
    _buffers: [wgpu::Buffer; 2],
}

impl Evictor {
    fn new(gpu: &Gpu) -> Result<Evictor, GpuError> {
        let bytes = L2_SCRATCH_BYTES.min(gpu.max_binding() / 16 * 16);
        let src = gpu.storage("l2-scratch", bytes)?;
        let sink = gpu.storage("l2-sink", 16)?;
        let pipeline = gpu.pipeline("l2-evict", EVICT_SRC, false)?;
        let group = gpu.device.create_bind_group(&wgpu::BindGroupDescriptor {
            label: Some("l2-evict"),
            layout: &pipeline.get_bind_group_layout(0),
            entries: &[
                wgpu::BindGroupEntry {
                    binding: 0,
                    resource: src.as_entire_binding(),
                },
                wgpu::BindGroupEntry {
                    binding: 1,
                    resource: sink.as_entire_binding(),
                },
            ],
        });
        Ok(Evictor {
            pipeline,
            group,
            _buffers: [src, sink],
        })
    }

    fn record(&self, enc: &mut wgpu::CommandEncoder) {
        let mut pass = enc.begin_compute_pass(&wgpu::ComputePassDescriptor {
            label: Some("l2-evict"),
            timestamp_writes: None,
        });
        pass.set_pipeline(&self.pipeline);
        pass.set_bind_group(0, &self.group, &[]);
        pass.dispatch_workgroups(1024, 1, 1);
    }
}

/// Timing plan: how many warm-up and timed runs.
#[derive(Clone, Copy, Debug)]
pub struct Plan {
    /// Untimed runs first (caches, clocks, lazy driver work).
    pub warmup: u32,
    /// Timed runs (the median is reported).
    pub reps: u32,
    /// Evict the L2 cache before every timed run (an untimed pass reading 128 MiB), so
    /// a kernel re-run on the same inputs reads them from HBM as it would in a model, where
    /// each layer has its own weights and KV. Off for kernels whose inputs are fresh in L2
    /// in a model too (the merge right after the decode pass that wrote its partials).
    pub cold: bool,
}

/// Per-run GPU seconds of `launch`, one per timed rep.
pub fn time(gpu: &Gpu, launch: &Launch, plan: Plan) -> Result<Vec<f64>, GpuError> {
    let reps = plan.reps.max(1);
    // Warm-up, also giving a wall-clock estimate of one run to size the submissions.
    let t0 = Instant::now();
    let warm = plan.warmup.max(1);
    let mut enc = gpu.device.create_command_encoder(&Default::default());
    for _ in 0..warm {
        let mut pass = enc.begin_compute_pass(&Default::default());
        launch.record(&mut pass);
    }
    gpu.queue.submit([enc.finish()]);
    gpu.wait()?;
    let est = t0.elapsed().as_secs_f64() / warm as f64;
    let per_submit = ((SUBMIT_BUDGET_S / est.max(1e-6)) as u32).clamp(1, reps);

    let evictor = if plan.cold {
        Some(match gpu.l2_evictor.get() {
            Some(e) => e,
            None => {
                let e = Evictor::new(gpu)?;
                gpu.l2_evictor.get_or_init(|| e)
            }
        })
    } else {
        None
    };
    let count = 2 * reps;
    let set = gpu.device.create_query_set(&wgpu::QuerySetDescriptor {
        label: Some("timestamps"),
        ty: wgpu::QueryType::Timestamp,
        count,
    });
    let resolve = gpu.device.create_buffer(&wgpu::BufferDescriptor {
        label: Some("timestamps-resolve"),
        size: count as u64 * 8,
        usage: wgpu::BufferUsages::QUERY_RESOLVE | wgpu::BufferUsages::COPY_SRC,
        mapped_at_creation: false,
    });
    let mut done = 0;
    while done < reps {
        let n = per_submit.min(reps - done);
        let mut enc = gpu.device.create_command_encoder(&Default::default());
        for i in done..done + n {
            if let Some(ev) = evictor {
                ev.record(&mut enc);
            }
            let mut pass = enc.begin_compute_pass(&wgpu::ComputePassDescriptor {
                label: Some("timed"),
                timestamp_writes: Some(wgpu::ComputePassTimestampWrites {
                    query_set: &set,
                    beginning_of_pass_write_index: Some(2 * i),
                    end_of_pass_write_index: Some(2 * i + 1),
                }),
            });
            launch.record(&mut pass);
        }
        if done + n == reps {
            enc.resolve_query_set(&set, 0..count, &resolve, 0);
        }
        gpu.queue.submit([enc.finish()]);
        gpu.wait()?;
        done += n;
    }
    let bytes = gpu.read(&resolve, count as u64 * 8)?;
    let ticks: Vec<u64> = bytemuck::pod_collect_to_vec(&bytes);
    let period_ns = gpu.queue.get_timestamp_period() as f64;
    let samples: Vec<f64> = ticks
        .chunks_exact(2)
        .map(|p| p[1].wrapping_sub(p[0]) as f64 * period_ns * 1e-9)
        .collect();
    if samples.iter().any(|&s| !(s > 0.0 && s < 1e3)) {
        return Err(GpuError::Wgpu(format!(
            "timestamp queries returned implausible durations (first: {:?} s)",
            samples.first()
        )));
    }
    Ok(samples)
}

/// Median of `xs` (NaN-free), 0 when empty.
pub fn median(xs: &[f64]) -> f64 {
    let mut v = xs.to_vec();
    v.sort_by(f64::total_cmp);
    match v.len() {
        0 => 0.0,
        n if n % 2 == 1 => v[n / 2],
        n => 0.5 * (v[n / 2 - 1] + v[n / 2]),
    }
}

#[cfg(test)]
mod tests {
    use super::median;

    #[test]
    fn median_of_odd_and_even() {
        assert_eq!(median(&[3.0, 1.0, 2.0]), 2.0);
        assert_eq!(median(&[4.0, 1.0, 2.0, 3.0]), 2.5);
        assert_eq!(median(&[]), 0.0);
    }
}
