//! Running one sweep job: inputs made on the GPU (seeded), output poisoned, the kernel timed
//! with timestamps, and the timed output checked to be fully written and finite; and warming
//! the GPU's clocks before the first one.

use pecsched_core::perf::kernel::Dtype;

use crate::buffers::{Launch, read_as};
use crate::decode::KvCache;
use crate::kernels::{Kernels, PrefillBuffers};
use crate::merge::MergeBuffers;
use crate::points::{Point, Shape};
use crate::sweep::{Job, KernelId};
use crate::timing::{Plan, median, time};
use crate::{Gpu, GpuError};

/// Checks that the first `n` outputs (as `dtype`) are all finite: the poisoned buffer was
/// entirely overwritten by the timed runs.
fn check_written(gpu: &Gpu, buf: &wgpu::Buffer, n: u64, dtype: Dtype) -> Result<(), GpuError> {
    const CHUNK: u64 = 1 << 26;
    if n > CHUNK {
        // Large outputs: check the first and last chunks (whole workgroups of both ends).
        let head = read_as(gpu, buf, CHUNK as usize, dtype)?;
        if let Some(i) = head.iter().position(|x| !x.is_finite()) {
            return Err(GpuError::Wgpu(format!("output element {i} is not finite")));
        }
        return Ok(());
    }
    let v = read_as(gpu, buf, n as usize, dtype)?;
    match v.iter().position(|x| !x.is_finite()) {
        Some(i) => Err(GpuError::Wgpu(format!(
            "output element {i} is {} after timing",
            v[i]
        ))),
        None => Ok(()),
    }
}

fn timed(
    gpu: &Gpu,
    job: &Job,
    shape: Shape,
    launch: &Launch,
    plan: Plan,
) -> Result<Point, GpuError> {
    let s = time(gpu, launch, plan)?;
    Ok(Point {
        kernel: job.name(),
        shape,
        median_s: median(&s),
        min_s: s.iter().copied().fold(f64::INFINITY, f64::min),
        runs: s.len() as u32,
    })
}

/// Measures one job.
pub fn run(gpu: &Gpu, k: &Kernels, job: &Job, plan: Plan) -> Result<Point, GpuError> {
    // A merge reads partials its decode pass has just written: warm L2 is the realistic case.
    let plan = Plan {
        cold: plan.cold && job.kernel != KernelId::Merge,
        ..plan
    };
    match (&job.shape, job.kernel) {
        (Shape::Prefill(s), KernelId::Prefill(v)) => {
            let bufs = PrefillBuffers::alloc(gpu, s)?;
            let (nq, nkv) = PrefillBuffers::elems(s);
            k.fill.fill(gpu, &bufs.q, nq, s.dtype, 1, 4.0)?;
            k.fill.fill(gpu, &bufs.k, nkv, s.dtype, 2, 1.0)?;
            k.fill.fill(gpu, &bufs.v, nkv, s.dtype, 3, 1.0)?;
            gpu.poison(&bufs.o, nq * s.dtype.bytes() as u64);
            let launch = k.prefill_launch(gpu, v, s, &bufs.view())?;
            let p = timed(gpu, job, job.shape.clone(), &launch, plan)?;
            check_written(gpu, &bufs.o, nq, s.dtype)?;
            Ok(p)
        }
        (Shape::Decode(s), KernelId::Decode) => {
            let kv = KvCache::alloc(gpu, &s.lengths, s.kv_heads, s.head_dim, gpu.max_binding())?;
            let row = s.kv_heads as u64 * s.head_dim as u64;
            for (i, &n) in kv.tokens.iter().enumerate() {
                k.fill
                    .fill(gpu, &kv.k[i], n * row, Dtype::F16, 10 + i as u32, 1.0)?;
                k.fill
                    .fill(gpu, &kv.v[i], n * row, Dtype::F16, 20 + i as u32, 1.0)?;
            }
            let nq = s.lengths.len() as u64 * s.heads as u64 * s.head_dim as u64;
            let q = gpu.storage("q", nq * 2)?;
            k.fill.fill(gpu, &q, nq, Dtype::F16, 4, 4.0)?;
            let out = gpu.storage("out", nq * 2)?;
            gpu.poison(&out, nq * 2);
            let (launch, parts) = k.decode.launch(gpu, s, &q, &kv, &out, None)?;
            let mut shape = s.clone();
            shape.parts = parts;
            let p = timed(gpu, job, Shape::Decode(shape), &launch, plan)?;
            check_written(gpu, &out, nq, Dtype::F16)?;
            Ok(p)
        }
        (Shape::Merge(s), KernelId::Merge) => {
            let d = s.head_dim as u64;
            let part_o = gpu.storage("part_o", s.parts * d * 4)?;
            let part_lse = gpu.storage("part_lse", s.parts * 4)?;
            k.fill.fill(gpu, &part_o, s.parts * d, Dtype::F32, 5, 1.0)?;
            k.fill.fill(gpu, &part_lse, s.parts, Dtype::F32, 6, 4.0)?;
            let per_row = (s.parts / s.rows as u64) as u32;
            let rows: Vec<[u32; 2]> = (0..s.rows).map(|r| [r, per_row]).collect();
            let rb = gpu.upload("rows", bytemuck::cast_slice(&rows), 0)?;
            let out = gpu.storage("out", s.rows as u64 * d * s.dtype.bytes() as u64)?;
            let out_lse = gpu.storage("out_lse", s.rows as u64 * 4)?;
            gpu.poison(&out, s.rows as u64 * d * s.dtype.bytes() as u64);
            let bufs = MergeBuffers {
                part_o: &part_o,
                part_lse: &part_lse,
                rows: &rb,
                out: &out,
                out_lse: &out_lse,
            };
            let (disp, uni) = k
                .merge
                .dispatch(gpu, s.rows, s.head_dim, s.rows, s.dtype, &bufs)?;
            let launch = Launch {
                dispatches: vec![disp],
                owned: vec![uni],
            };
            let p = timed(gpu, job, job.shape.clone(), &launch, plan)?;
            check_written(gpu, &out, s.rows as u64 * d, s.dtype)?;
            Ok(p)
        }
        (Shape::Gemm(s), KernelId::Gemm(v)) => {
            let (m, n, kk) = (s.m as u64, s.n as u64, s.k as u64);
            let e = s.dtype.bytes() as u64;
            let a = gpu.storage("a", m * kk * e)?;
            let b = gpu.storage("b", kk * n * e)?;
            let c = gpu.storage("c", m * n * e)?;
            k.fill.fill(gpu, &a, m * kk, s.dtype, 7, 1.0)?;
            k.fill.fill(gpu, &b, kk * n, s.dtype, 8, 1.0)?;
            gpu.poison(&c, m * n * e);
            let launch = k.gemm.launch(gpu, v, s, &a, &b, &c)?;
            let p = timed(gpu, job, job.shape.clone(), &launch, plan)?;
            check_written(gpu, &c, m * n, s.dtype)?;
            Ok(p)
        }
        _ => Err(GpuError::Wgpu(format!(
            "job {} pairs a kernel with another op",
            job.name()
        ))),
    }
}

/// Keeps the GPU busy for about a second so its clocks leave the idle state before the first
/// timed point (an idle H100 reads 570 MHz; the first short points otherwise run slow).
pub fn warm_clocks(gpu: &Gpu, k: &Kernels) -> Result<(), GpuError> {
    use pecsched_core::perf::kernel::Gemm;
    let s = Gemm {
        m: 1024,
        n: 1024,
        k: 1024,
        dtype: Dtype::F32,
    };
    let bytes = 1024 * 1024 * 4;
    let (a, b, c) = (
        gpu.storage("a", bytes)?,
        gpu.storage("b", bytes)?,
        gpu.storage("c", bytes)?,
    );
    let launch = k
        .gemm
        .launch(gpu, crate::gemm::GemmVariant::Fma, &s, &a, &b, &c)?;
    let t0 = std::time::Instant::now();
    while t0.elapsed().as_secs_f64() < 1.0 {
        let mut enc = gpu.device.create_command_encoder(&Default::default());
        for _ in 0..8 {
            let mut pass = enc.begin_compute_pass(&Default::default());
            launch.record(&mut pass);
        }
        gpu.queue.submit([enc.finish()]);
        gpu.wait()?;
    }
    Ok(())
}
