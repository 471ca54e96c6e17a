//! `pecsched-worker gpu-info`: every Vulkan adapter, its features, cooperative-matrix
//! configurations and limits, and which kernels can run on it.

use pecsched_gpu::device::{adapters, has_coop_f16};
use pecsched_gpu::{Gpu, GpuError};

/// Arguments of `gpu-info`.
#[derive(clap::Args, Debug)]
pub struct InfoArgs {
    /// Also check the chosen adapter's cooperative-matrix operations one usage pattern at a
    /// time against a CPU emulation (non-zero exit if any fails).
    #[arg(long)]
    pub coop_selftest: bool,
}

/// Prints every adapter; fails (non-zero exit) when there is none.
pub fn run(args: InfoArgs) -> anyhow::Result<()> {
    let list = adapters();
    if list.is_empty() {
        return Err(GpuError::NoAdapter.into());
    }
    for (i, a) in list.iter().enumerate() {
        let info = a.get_info();
        let f = a.features();
        let l = a.limits();
        println!("adapter {i}: {}", info.name);
        println!(
            "  type: {:?}, backend: {:?}",
            info.device_type, info.backend
        );
        println!(
            "  driver: {} {} (vendor {:#06x}, device {:#06x})",
            info.driver, info.driver_info, info.vendor, info.device
        );
        println!(
            "  subgroup size: {}..{}",
            info.subgroup_min_size, info.subgroup_max_size
        );
        let has = |x: wgpu::Features| if f.contains(x) { "yes" } else { "no" };
        println!(
            "  SHADER_F16 {}, SUBGROUP {}, TIMESTAMP_QUERY {}, EXPERIMENTAL_COOPERATIVE_MATRIX {}",
            has(wgpu::Features::SHADER_F16),
            has(wgpu::Features::SUBGROUP),
            has(wgpu::Features::TIMESTAMP_QUERY),
            has(wgpu::Features::EXPERIMENTAL_COOPERATIVE_MATRIX),
        );
        for p in a.cooperative_matrix_properties() {
            println!(
                "  cooperative matrix {}x{}x{} {:?} -> {:?}",
                p.m_size, p.n_size, p.k_size, p.ab_type, p.cr_type
            );
        }
        println!(
            "  limits: storage binding {} B, buffer {} B, workgroup storage {} B, \
             invocations/workgroup {}, storage buffers/stage {}",
            l.max_storage_buffer_binding_size,
            l.max_buffer_size,
            l.max_compute_workgroup_storage_size,
            l.max_compute_invocations_per_workgroup,
            l.max_storage_buffers_per_shader_stage
        );
        let coop = if has_coop_f16(a) {
            "f16 prefill and GEMM on cooperative matrices"
        } else {
            "FMA kernels only (no 16x16x16 f16->f32 cooperative matrices)"
        };
        println!("  kernels: {coop}");
    }
    if args.coop_selftest {
        let gpu = Gpu::open()?;
        pecsched_gpu::prefill_coop::check_coop(&gpu, "coop-selftest")?;
        println!("cooperative-matrix self-test on {}:", gpu.describe());
        let failed = pecsched_gpu::coop_probe::run(&gpu)?;
        if failed > 0 {
            anyhow::bail!("{failed} cooperative-matrix checks failed");
        }
    }
    Ok(())
}
