//! GPU ground truth: wgpu compute kernels for the ops the performance model prices, their
//! plain-Rust references, and the commands that measure them (`gpu-info`, `bench`,
//! `calibrate`).
//!
//! Layout (one topic per file, each kernel's WGSL beside its host code):
//! - [`device`]: adapter and device set-up, error plumbing (the only `unsafe`);
//! - [`buffers`], [`timing`], [`fill`]: buffers, GPU timestamps, seeded input generation;
//! - kernels: [`prefill`] (flash-style FMA, f32 or f16 storage), [`prefill_coop`] (f16 on
//!   cooperative matrices), [`decode`] (split-K over a ragged batch, KV in several buffers),
//!   [`merge`] (log-sum-exp merge of partial attention), [`gemm`] (FMA and cooperative);
//! - [`reference`]: the CPU references; [`check`]: the shape table every kernel is validated
//!   on (tests on lavapipe, and on the GPU before any timing);
//! - [`kernels`]: every kernel built once for a device; [`jobs`]: one timed sweep point;
//! - commands: [`info`], [`bench`] (with [`sweep`] and [`points`]), [`calibrate`] (with
//!   [`fit`]).
//!
//! Predicted times always come from `pecsched_core::perf::kernel`: nothing here re-derives a
//! performance formula.

pub mod bench;
pub mod buffers;
pub mod calibrate;
pub mod check;
pub mod decode;
pub mod device;
pub mod fill;
pub mod fit;
pub mod gemm;
pub mod info;
pub mod jobs;
pub mod kernels;
pub mod merge;
#[cfg(test)]
mod naga_check;
pub mod points;
pub mod prefill;
pub mod prefill_coop;
pub mod reference;
pub mod sweep;
pub mod template;
pub mod timing;

pub use device::Gpu;

/// What can go wrong on the GPU side, each with what to do about it.
#[derive(Debug, thiserror::Error)]
pub enum GpuError {
    /// No Vulkan adapter at all.
    #[error(
        "no Vulkan adapter found. On a machine without a GPU install Mesa's software \
         driver (Debian: `apt-get install mesa-vulkan-drivers libvulkan1`); on a GPU machine \
         install the Vulkan loader (libvulkan1) and check the driver's ICD \
         (VK_DRIVER_FILES=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json)"
    )]
    NoAdapter,
    /// `PECSCHED_GPU_ADAPTER` matched nothing.
    #[error("no Vulkan adapter name contains `{0}` (from {ADAPTER_ENV}); run `gpu-info`", ADAPTER_ENV = device::ADAPTER_ENV)]
    NoMatchingAdapter(String),
    /// The adapter lacks a feature every kernel needs.
    #[error("adapter `{adapter}` lacks the wgpu feature {feature}, which the kernels need")]
    MissingFeature {
        /// Adapter name.
        adapter: String,
        /// The missing feature.
        feature: &'static str,
    },
    /// A kernel needs a feature the device lacks (e.g. cooperative matrices).
    #[error("kernel `{kernel}` needs {feature}, which this adapter does not offer")]
    KernelUnsupported {
        /// Kernel name.
        kernel: &'static str,
        /// What is missing.
        feature: String,
    },
    /// `request_device` failed.
    #[error("could not open the device: {0}")]
    RequestDevice(String),
    /// A shader failed to compile or a pipeline to build.
    #[error("kernel `{kernel}` failed to build: {message}")]
    Shader {
        /// Kernel name.
        kernel: String,
        /// wgpu's message.
        message: String,
    },
    /// A shape the kernel cannot run.
    #[error("kernel `{kernel}`: {message}")]
    BadShape {
        /// Kernel name.
        kernel: &'static str,
        /// What is wrong.
        message: String,
    },
    /// An allocation failed.
    #[error("out of GPU memory: {0}")]
    OutOfMemory(String),
    /// The device was lost (driver reset, hang, removal).
    #[error("GPU device lost: {0}")]
    DeviceLost(String),
    /// Any other error wgpu reported.
    #[error("wgpu error: {0}")]
    Wgpu(String),
}

impl GpuError {
    /// A [`GpuError::BadShape`].
    pub fn shape(kernel: &'static str, message: impl Into<String>) -> GpuError {
        GpuError::BadShape {
            kernel,
            message: message.into(),
        }
    }
}
