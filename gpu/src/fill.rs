//! Seeded, non-zero inputs made on the GPU (no upload of gigabytes of KV) and reproducible
//! element by element on the CPU: element `i` of a fill with `seed` is [`value`]`(seed, i, amp)`.

use pecsched_core::perf::kernel::Dtype;
use wgpu::{Buffer, ComputePipeline};

use crate::template::{elem_vars, render};
use crate::{Gpu, GpuError};

const SRC: &str = include_str!("fill.wgsl");
const WG: u64 = 256;

fn mix(mut x: u32) -> u32 {
    x ^= x >> 16;
    x = x.wrapping_mul(0x7feb_352d);
    x ^= x >> 15;
    x = x.wrapping_mul(0x846c_a68b);
    x ^= x >> 16;
    x
}

/// Element `i` of a fill with `seed`: a multiple of `amp/1024` in `[-amp, amp)`, exact in f16
/// when `amp` is a power of two.
pub fn value(seed: u32, i: u32, amp: f32) -> f32 {
    let h = mix(i ^ mix(seed));
    let k = (h >> 21) as i32 - 1024;
    k as f32 / 1024.0 * amp
}

/// `n` values of a fill (the CPU side).
pub fn values(seed: u32, n: usize, amp: f32) -> Vec<f32> {
    (0..n as u32).map(|i| value(seed, i, amp)).collect()
}

/// The fill pipelines (f16 and f32).
pub struct Filler {
    f16: ComputePipeline,
    f32: ComputePipeline,
}

#[repr(C)]
#[derive(Clone, Copy, bytemuck::Pod, bytemuck::Zeroable)]
struct Params {
    n: u32,
    seed: u32,
    amp: f32,
    row: u32,
}

impl Filler {
    /// Builds both pipelines.
    pub fn new(gpu: &Gpu) -> Result<Filler, GpuError> {
        let build = |d: Dtype| gpu.pipeline("fill", &render(SRC, &elem_vars(d)), false);
        Ok(Filler {
            f16: build(Dtype::F16)?,
            f32: build(Dtype::F32)?,
        })
    }

    /// Fills the first `n` elements of `buf` (stored as `dtype`) with [`value`]`(seed, i, amp)`.
    pub fn fill(
        &self,
        gpu: &Gpu,
        buf: &Buffer,
        n: u64,
        dtype: Dtype,
        seed: u32,
        amp: f32,
    ) -> Result<(), GpuError> {
        if n == 0 {
            return Ok(());
        }
        if n > u32::MAX as u64 || n * dtype.bytes() as u64 > buf.size() {
            return Err(GpuError::shape(
                "fill",
                format!("{n} elements do not fit the buffer"),
            ));
        }
        let groups = n.div_ceil(WG);
        let x = groups.min(32768);
        let y = groups.div_ceil(x);
        let params = Params {
            n: n as u32,
            seed,
            amp,
            row: (x * WG) as u32,
        };
        let pipe = match dtype {
            Dtype::F16 => &self.f16,
            Dtype::F32 => &self.f32,
        };
        let uni = gpu.uniform(bytemuck::bytes_of(&params));
        let group = gpu.bind(pipe, &uni, &[buf]);
        let mut enc = gpu.device.create_command_encoder(&Default::default());
        {
            let mut pass = enc.begin_compute_pass(&Default::default());
            pass.set_pipeline(pipe);
            pass.set_bind_group(0, &group, &[]);
            pass.dispatch_workgroups(x as u32, y as u32, 1);
        }
        gpu.queue.submit([enc.finish()]);
        gpu.wait()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_are_seeded_bounded_and_exact_in_f16() {
        let a = values(7, 1000, 4.0);
        assert_eq!(a, values(7, 1000, 4.0));
        assert_ne!(a, values(8, 1000, 4.0));
        assert!(a.iter().all(|v| (-4.0..4.0).contains(v)));
        assert!(a.iter().filter(|&&v| v == 0.0).count() < 10);
        for v in a {
            assert_eq!(half::f16::from_f32(v).to_f32(), v);
        }
    }
}
