//! Buffers: allocation under an out-of-memory error scope, upload, read-back, NaN poisoning,
//! bind groups, and [`Launch`] (the dispatches of one kernel call, recordable into a pass).

use wgpu::{BindGroup, Buffer, BufferUsages, ComputePipeline};

use crate::{Gpu, GpuError};

/// One dispatch of a pipeline with its bind group.
pub struct Dispatch {
    /// The pipeline.
    pub pipeline: ComputePipeline,
    /// Its bind group 0.
    pub group: BindGroup,
    /// Workgroups in x, y, z.
    pub count: [u32; 3],
}

/// Everything one kernel call dispatches, in order, plus the buffers it owns (uniforms,
/// scratch). Recording it into one compute pass is one timed run.
#[derive(Default)]
pub struct Launch {
    /// The dispatches, in order (wgpu orders storage writes between them).
    pub dispatches: Vec<Dispatch>,
    /// Buffers kept alive for the dispatches (parameters, partial results).
    pub owned: Vec<Buffer>,
}

impl Launch {
    /// Records every dispatch into `pass`.
    pub fn record(&self, pass: &mut wgpu::ComputePass<'_>) {
        for d in &self.dispatches {
            pass.set_pipeline(&d.pipeline);
            pass.set_bind_group(0, &d.group, &[]);
            pass.dispatch_workgroups(d.count[0], d.count[1], d.count[2]);
        }
    }

    /// Runs the call once and waits for it.
    pub fn run(&self, gpu: &Gpu) -> Result<(), GpuError> {
        let mut enc = gpu.device.create_command_encoder(&Default::default());
        {
            let mut pass = enc.begin_compute_pass(&Default::default());
            self.record(&mut pass);
        }
        gpu.queue.submit([enc.finish()]);
        gpu.wait()
    }
}

/// Rounds up to a multiple of 4 bytes (and at least 4).
fn padded(size: u64) -> u64 {
    size.max(4).div_ceil(4) * 4
}

impl Gpu {
    /// A storage buffer of `size` bytes (zeroed), failing cleanly when memory runs out or the
    /// size exceeds the device's buffer limit.
    pub fn storage(&self, label: &str, size: u64) -> Result<Buffer, GpuError> {
        let size = padded(size);
        if size > self.limits.max_buffer_size {
            return Err(GpuError::OutOfMemory(format!(
                "buffer `{label}` of {size} bytes exceeds the device's max_buffer_size {}",
                self.limits.max_buffer_size
            )));
        }
        let scope = self.device.push_error_scope(wgpu::ErrorFilter::OutOfMemory);
        let buf = self.device.create_buffer(&wgpu::BufferDescriptor {
            label: Some(label),
            size,
            usage: BufferUsages::STORAGE | BufferUsages::COPY_SRC | BufferUsages::COPY_DST,
            mapped_at_creation: false,
        });
        if let Some(e) = pollster::block_on(scope.pop()) {
            return Err(GpuError::OutOfMemory(format!(
                "buffer `{label}` ({size} bytes): {e}"
            )));
        }
        Ok(buf)
    }

    /// A storage buffer holding `data` (then `extra` zero bytes of padding).
    pub fn upload(&self, label: &str, data: &[u8], extra: u64) -> Result<Buffer, GpuError> {
        let buf = self.storage(label, data.len() as u64 + extra)?;
        if !data.is_empty() {
            let mut bytes = data.to_vec();
            bytes.resize(data.len().div_ceil(4) * 4, 0);
            self.queue.write_buffer(&buf, 0, &bytes);
        }
        Ok(buf)
    }

    /// A uniform buffer holding `data` (a `#[repr(C)]` parameter block).
    pub fn uniform(&self, data: &[u8]) -> Buffer {
        let mut bytes = data.to_vec();
        bytes.resize(data.len().div_ceil(16).max(1) * 16, 0);
        let buf = self.device.create_buffer(&wgpu::BufferDescriptor {
            label: Some("params"),
            size: bytes.len() as u64,
            usage: BufferUsages::UNIFORM | BufferUsages::COPY_DST,
            mapped_at_creation: false,
        });
        self.queue.write_buffer(&buf, 0, &bytes);
        buf
    }

    /// Fills `size` bytes of `buf` with 0xFF: NaN as f32 and as f16, so an element a kernel
    /// fails to write shows up as NaN.
    pub fn poison(&self, buf: &Buffer, size: u64) {
        const CHUNK: u64 = 64 << 20;
        let size = padded(size).min(buf.size());
        let ones = vec![0xFFu8; CHUNK.min(size) as usize];
        let mut off = 0;
        while off < size {
            let n = CHUNK.min(size - off);
            self.queue.write_buffer(buf, off, &ones[..n as usize]);
            off += n;
        }
    }

    /// Copies the first `size` bytes of `buf` back to the host.
    pub fn read(&self, buf: &Buffer, size: u64) -> Result<Vec<u8>, GpuError> {
        let size = padded(size);
        let staging = self.device.create_buffer(&wgpu::BufferDescriptor {
            label: Some("readback"),
            size,
            usage: BufferUsages::MAP_READ | BufferUsages::COPY_DST,
            mapped_at_creation: false,
        });
        let mut enc = self.device.create_command_encoder(&Default::default());
        enc.copy_buffer_to_buffer(buf, 0, &staging, 0, size);
        self.queue.submit([enc.finish()]);
        let (tx, rx) = std::sync::mpsc::channel();
        staging.slice(..).map_async(wgpu::MapMode::Read, move |r| {
            let _ = tx.send(r);
        });
        self.wait()?;
        match rx.recv() {
            Ok(Ok(())) => {}
            Ok(Err(e)) => return Err(GpuError::Wgpu(format!("map read-back: {e}"))),
            Err(_) => return Err(GpuError::DeviceLost("read-back never completed".into())),
        }
        let view = staging
            .slice(..)
            .get_mapped_range()
            .map_err(|e| GpuError::Wgpu(format!("map read-back: {e}")))?;
        let out = view.to_vec();
        drop(view);
        staging.unmap();
        Ok(out)
    }

    /// Reads `n` f32 values.
    pub fn read_f32(&self, buf: &Buffer, n: usize) -> Result<Vec<f32>, GpuError> {
        let bytes = self.read(buf, n as u64 * 4)?;
        Ok(bytemuck::pod_collect_to_vec::<u8, f32>(&bytes[..n * 4]))
    }

    /// Reads `n` f16 values, widened to f32.
    pub fn read_f16(&self, buf: &Buffer, n: usize) -> Result<Vec<f32>, GpuError> {
        let bytes = self.read(buf, n as u64 * 2)?;
        let h: Vec<half::f16> = bytemuck::pod_collect_to_vec(&bytes[..n * 2]);
        Ok(h.into_iter().map(f32::from).collect())
    }

    /// Bind group 0 of `pipeline`: `uniform` at binding 0, then `buffers` at 1, 2, …
    pub fn bind(
        &self,
        pipeline: &ComputePipeline,
        uniform: &Buffer,
        buffers: &[&Buffer],
    ) -> BindGroup {
        let mut entries = vec![wgpu::BindGroupEntry {
            binding: 0,
            resource: uniform.as_entire_binding(),
        }];
        for (i, b) in buffers.iter().enumerate() {
            entries.push(wgpu::BindGroupEntry {
                binding: i as u32 + 1,
                resource: b.as_entire_binding(),
            });
        }
        self.device.create_bind_group(&wgpu::BindGroupDescriptor {
            label: None,
            layout: &pipeline.get_bind_group_layout(0),
            entries: &entries,
        })
    }
}

/// Bytes of `values` stored as `dtype`.
pub fn encode(values: &[f32], dtype: pecsched_core::perf::kernel::Dtype) -> Vec<u8> {
    use pecsched_core::perf::kernel::Dtype;
    match dtype {
        Dtype::F32 => bytemuck::cast_slice(values).to_vec(),
        Dtype::F16 => {
            let h: Vec<half::f16> = values.iter().map(|&v| half::f16::from_f32(v)).collect();
            bytemuck::cast_slice(&h).to_vec()
        }
    }
}

/// Reads `n` values stored as `dtype`.
pub fn read_as(
    gpu: &Gpu,
    buf: &Buffer,
    n: usize,
    dtype: pecsched_core::perf::kernel::Dtype,
) -> Result<Vec<f32>, GpuError> {
    match dtype {
        pecsched_core::perf::kernel::Dtype::F32 => gpu.read_f32(buf, n),
        pecsched_core::perf::kernel::Dtype::F16 => gpu.read_f16(buf, n),
    }
}
