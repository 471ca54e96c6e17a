//! A kernel's compute pipelines, one per configuration (dtype, head dim, variant, …),
//! compiled on first use, outside any timed region, and reused afterwards.

use std::cell::RefCell;
use std::collections::BTreeMap;

use wgpu::ComputePipeline;

use crate::{Gpu, GpuError};

/// Pipelines keyed by configuration `K`, all built with or without runtime bounds checks.
pub struct PipelineCache<K> {
    trusted: bool,
    map: RefCell<BTreeMap<K, ComputePipeline>>,
}

impl<K: Ord> PipelineCache<K> {
    /// An empty cache; `trusted` drops the shaders' runtime bounds checks ([`Gpu::pipeline`]).
    pub fn new(trusted: bool) -> PipelineCache<K> {
        PipelineCache {
            trusted,
            map: RefCell::new(BTreeMap::new()),
        }
    }

    /// The pipeline of `key`; the first time, `source` gives its WGSL (or why it cannot be
    /// built) and it is compiled under `label`.
    pub fn get(
        &self,
        gpu: &Gpu,
        key: K,
        label: &str,
        source: impl FnOnce() -> Result<String, GpuError>,
    ) -> Result<ComputePipeline, GpuError> {
        if let Some(p) = self.map.borrow().get(&key) {
            return Ok(p.clone());
        }
        let p = gpu.pipeline(label, &source()?, self.trusted)?;
        self.map.borrow_mut().insert(key, p.clone());
        Ok(p)
    }
}
