//! WGSL templating: kernels are written once with `{{NAME}}` placeholders (element type,
//! tile sizes, head dimension) and specialised on the host before compilation.

use pecsched_core::perf::kernel::Dtype;

/// Replaces every `{{NAME}}` of `src` by its value.
///
/// Panics if a placeholder is left unreplaced: that is a defect of the calling code, found by
/// the first test that builds the kernel.
pub fn render(src: &str, vars: &[(&str, String)]) -> String {
    let mut out = src.to_string();
    for (name, value) in vars {
        out = out.replace(&format!("{{{{{name}}}}}"), value);
    }
    if let Some(i) = out.find("{{") {
        let end = out[i..].find("}}").map_or(out.len(), |e| i + e + 2);
        panic!("WGSL template: unreplaced placeholder {}", &out[i..end]);
    }
    out
}

/// The `enable` line and the WGSL scalar type of a storage element type.
pub fn elem_vars(dtype: Dtype) -> [(&'static str, String); 2] {
    match dtype {
        Dtype::F16 => [("ENABLE_F16", "enable f16;".into()), ("ELEM", "f16".into())],
        Dtype::F32 => [("ENABLE_F16", String::new()), ("ELEM", "f32".into())],
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replaces_every_placeholder() {
        let s = render(
            "a {{X}} b {{Y}} {{X}}",
            &[("X", "1".into()), ("Y", "two".into())],
        );
        assert_eq!(s, "a 1 b two 1");
    }

    #[test]
    #[should_panic(expected = "{{Z}}")]
    fn a_missing_value_is_a_defect() {
        render("{{Z}}", &[]);
    }
}
