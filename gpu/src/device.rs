//! Device set-up: one Vulkan adapter, one device with every feature the kernels can use, and
//! the error plumbing that turns wgpu's asynchronous failures (validation, out-of-memory,
//! device lost) into [`GpuError`]s instead of panics.
//!
//! This is the only module of the crate that uses `unsafe`: opting into wgpu's experimental
//! cooperative-matrix feature and creating shader modules without runtime bounds checks both
//! require it (see the `SAFETY` notes).
#![allow(unsafe_code)]

use std::sync::{Arc, Mutex};

use wgpu::{
    Backends, CooperativeScalarType, Device, DeviceType, Features, Instance, InstanceDescriptor,
    Limits, Queue,
};

use crate::GpuError;

/// Environment variable that picks an adapter by a substring of its name (case-insensitive).
pub const ADAPTER_ENV: &str = "PECSCHED_GPU_ADAPTER";

/// A device ready to run the kernels, with what it supports.
pub struct Gpu {
    /// The device (all supported kernel features enabled).
    pub device: Device,
    /// Its queue.
    pub queue: Queue,
    /// Name, driver and type of the adapter.
    pub info: wgpu::AdapterInfo,
    /// Features enabled on the device.
    pub features: Features,
    /// Limits of the device (the adapter's best).
    pub limits: Limits,
    /// True when 16×16×16 cooperative matrices with f16 inputs and f32 accumulators are usable.
    pub coop_f16: bool,
    /// Reads a large buffer between timed runs to evict the L2 cache (built on first use).
    pub l2_evictor: std::cell::OnceCell<crate::timing::Evictor>,
    errors: Arc<Mutex<Vec<String>>>,
    lost: Arc<Mutex<Option<String>>>,
}

/// The features the kernels use when the adapter has them.
fn wanted_features() -> Features {
    Features::SHADER_F16
        | Features::SUBGROUP
        | Features::TIMESTAMP_QUERY
        | Features::TIMESTAMP_QUERY_INSIDE_ENCODERS
        | Features::EXPERIMENTAL_COOPERATIVE_MATRIX
}

fn type_rank(t: DeviceType) -> u32 {
    match t {
        DeviceType::DiscreteGpu => 0,
        DeviceType::IntegratedGpu => 1,
        DeviceType::VirtualGpu => 2,
        DeviceType::Other => 3,
        DeviceType::Cpu => 4,
    }
}

/// Every Vulkan adapter wgpu finds (for `gpu-info`).
pub fn adapters() -> Vec<wgpu::Adapter> {
    let instance = Instance::new(InstanceDescriptor {
        backends: Backends::VULKAN,
        ..InstanceDescriptor::new_without_display_handle()
    });
    pollster::block_on(instance.enumerate_adapters(Backends::VULKAN))
}

/// True when `adapter` offers 16×16×16 f16×f16→f32 cooperative matrices.
pub fn has_coop_f16(adapter: &wgpu::Adapter) -> bool {
    adapter
        .features()
        .contains(Features::EXPERIMENTAL_COOPERATIVE_MATRIX)
        && adapter.cooperative_matrix_properties().iter().any(|p| {
            p.m_size == 16
                && p.n_size == 16
                && p.k_size == 16
                && p.ab_type == CooperativeScalarType::F16
                && p.cr_type == CooperativeScalarType::F32
        })
}

impl Gpu {
    /// Opens the best Vulkan adapter (discrete first; [`ADAPTER_ENV`] picks by name).
    ///
    /// Fails with [`GpuError::NoAdapter`] when none exists and [`GpuError::MissingFeature`]
    /// when the adapter lacks `SHADER_F16` or `TIMESTAMP_QUERY`, which every kernel needs.
    pub fn open() -> Result<Gpu, GpuError> {
        let mut list = adapters();
        if list.is_empty() {
            return Err(GpuError::NoAdapter);
        }
        if let Ok(want) = std::env::var(ADAPTER_ENV) {
            let want = want.to_lowercase();
            list.retain(|a| a.get_info().name.to_lowercase().contains(&want));
            if list.is_empty() {
                return Err(GpuError::NoMatchingAdapter(want));
            }
        }
        list.sort_by_key(|a| type_rank(a.get_info().device_type));
        let adapter = list.swap_remove(0);
        Gpu::with_adapter(adapter)
    }

    fn with_adapter(adapter: wgpu::Adapter) -> Result<Gpu, GpuError> {
        let info = adapter.get_info();
        let have = adapter.features();
        for (need, name) in [
            (Features::SHADER_F16, "SHADER_F16"),
            (Features::TIMESTAMP_QUERY, "TIMESTAMP_QUERY"),
        ] {
            if !have.contains(need) {
                return Err(GpuError::MissingFeature {
                    adapter: info.name.clone(),
                    feature: name,
                });
            }
        }
        let coop_f16 = has_coop_f16(&adapter);
        let mut features = have & wanted_features();
        if !coop_f16 {
            features.remove(Features::EXPERIMENTAL_COOPERATIVE_MATRIX);
        }
        let limits = adapter.limits();
        // SAFETY: the experimental feature in use is cooperative matrices. Its known hazards
        // are shader-level (undefined results for unsupported shapes); the kernels only use
        // the 16×16×16 f16→f32 configuration checked by `has_coop_f16`, and every
        // cooperative-matrix kernel is validated against a CPU reference before it is timed.
        let experimental = unsafe { wgpu::ExperimentalFeatures::enabled() };
        let desc = wgpu::DeviceDescriptor {
            label: Some("pecsched-gpu"),
            required_features: features,
            required_limits: limits.clone(),
            experimental_features: experimental,
            ..Default::default()
        };
        let (device, queue) = pollster::block_on(adapter.request_device(&desc))
            .map_err(|e| GpuError::RequestDevice(e.to_string()))?;
        let errors = Arc::new(Mutex::new(Vec::new()));
        let sink = errors.clone();
        device.on_uncaptured_error(Arc::new(move |e: wgpu::Error| {
            if let Ok(mut v) = sink.lock() {
                v.push(e.to_string());
            }
        }));
        let lost = Arc::new(Mutex::new(None));
        let lost_sink = lost.clone();
        device.set_device_lost_callback(move |reason, msg| {
            if let Ok(mut v) = lost_sink.lock() {
                *v = Some(format!("{reason:?}: {msg}"));
            }
        });
        Ok(Gpu {
            device,
            queue,
            info,
            features,
            limits,
            coop_f16,
            l2_evictor: std::cell::OnceCell::new(),
            errors,
            lost,
        })
    }

    /// One line naming the adapter and driver.
    pub fn describe(&self) -> String {
        format!(
            "{} ({:?}, {} {})",
            self.info.name, self.info.device_type, self.info.driver, self.info.driver_info
        )
    }

    /// Largest storage binding, bytes.
    pub fn max_binding(&self) -> u64 {
        self.limits.max_storage_buffer_binding_size
    }

    /// Returns the first error wgpu reported since the last check (device lost first).
    pub fn check(&self) -> Result<(), GpuError> {
        if let Some(msg) = self.lost.lock().ok().and_then(|l| l.clone()) {
            return Err(GpuError::DeviceLost(msg));
        }
        let mut errs = self.errors.lock().map(|mut v| std::mem::take(&mut *v));
        match errs.as_mut().ok().and_then(|v| v.drain(..).next()) {
            Some(e) if e.to_lowercase().contains("out of memory") => Err(GpuError::OutOfMemory(e)),
            Some(e) => Err(GpuError::Wgpu(e)),
            None => Ok(()),
        }
    }

    /// Blocks until the queue is idle; reports device loss and uncaptured errors.
    pub fn wait(&self) -> Result<(), GpuError> {
        self.device
            .poll(wgpu::PollType::wait_indefinitely())
            .map_err(|e| GpuError::DeviceLost(e.to_string()))?;
        self.check()
    }

    /// A compute pipeline from WGSL `source` (entry point `main`).
    ///
    /// `trusted` drops the shader's runtime bounds checks (9–29 % faster in hot loops, per
    /// gpu.md); use it only for kernels already validated against their reference.
    pub fn pipeline(
        &self,
        label: &str,
        source: &str,
        trusted: bool,
    ) -> Result<wgpu::ComputePipeline, GpuError> {
        let scope = self.device.push_error_scope(wgpu::ErrorFilter::Validation);
        let desc = wgpu::ShaderModuleDescriptor {
            label: Some(label),
            source: wgpu::ShaderSource::Wgsl(source.into()),
        };
        let module = if trusted {
            // SAFETY: without runtime checks an out-of-bounds access is undefined behaviour.
            // Trusted modules are only built for kernels whose indexing is validated against
            // the CPU reference (checked build) over the shape table before any timing, and
            // the host code checks every shape against its buffers before dispatch.
            unsafe {
                self.device
                    .create_shader_module_trusted(desc, wgpu::ShaderRuntimeChecks::unchecked())
            }
        } else {
            self.device.create_shader_module(desc)
        };
        let pipeline = self
            .device
            .create_compute_pipeline(&wgpu::ComputePipelineDescriptor {
                label: Some(label),
                layout: None,
                module: &module,
                entry_point: Some("main"),
                compilation_options: Default::default(),
                cache: None,
            });
        if let Some(e) = pollster::block_on(scope.pop()) {
            return Err(GpuError::Shader {
                kernel: label.to_string(),
                message: e.to_string(),
            });
        }
        self.check()?;
        Ok(pipeline)
    }
}
