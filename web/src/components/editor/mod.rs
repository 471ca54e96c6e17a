//! The scenario editor, one component per section.

mod cluster;
mod field;
mod params;
mod policies;
mod prefix;
mod slo;
mod upload;
mod workload;

pub use cluster::ClusterEditor;
pub use policies::PolicyEditor;
pub use workload::WorkloadEditor;
