//! Test helper: compiles WGSL to SPIR-V with naga, every capability enabled, so kernels the
//! local adapter cannot run (cooperative matrices on lavapipe) are still parsed, validated
//! and lowered in CI.

/// Parses, validates and writes SPIR-V; the error says which stage failed and why.
pub fn compile(src: &str) -> Result<Vec<u32>, String> {
    let module = naga::front::wgsl::parse_str(src)
        .map_err(|e| format!("parse: {}", e.emit_to_string(src)))?;
    let info = naga::valid::Validator::new(
        naga::valid::ValidationFlags::all(),
        naga::valid::Capabilities::all(),
    )
    .validate(&module)
    .map_err(|e| format!("validate: {}", e.emit_to_string(src)))?;
    let options = naga::back::spv::Options {
        lang_version: (1, 6),
        ..Default::default()
    };
    naga::back::spv::write_vec(&module, &info, &options, None).map_err(|e| format!("spirv: {e}"))
}
