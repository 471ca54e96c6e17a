//! The GPU commands on a machine where Vulkan finds no adapter: a clear message and a non-zero
//! exit, never a panic. The Vulkan loader is pointed at a driver list that does not exist.

use std::process::Command;

fn without_gpu(args: &[&str]) -> (Option<i32>, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_pecsched-worker"))
        .args(args)
        .env("VK_DRIVER_FILES", "/nonexistent/icd.json")
        .env("VK_ICD_FILENAMES", "/nonexistent/icd.json")
        .env("RUST_BACKTRACE", "0")
        .output()
        .expect("the binary runs");
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn gpu_commands_without_an_adapter_fail_with_a_clear_message() {
    let dir = std::env::temp_dir().join(format!("pecsched-no-gpu-{}", std::process::id()));
    let out = dir.to_string_lossy().into_owned();
    for args in [vec!["gpu-info"], vec!["bench", "--out", out.as_str()]] {
        let (code, stderr) = without_gpu(&args);
        assert_eq!(code, Some(1), "{args:?}: {stderr}");
        assert!(
            stderr.starts_with("Error: no Vulkan adapter found."),
            "{args:?}: {stderr}"
        );
        assert!(
            stderr.contains("mesa-vulkan-drivers"),
            "{args:?} says how to get one: {stderr}"
        );
        assert!(!stderr.contains("panicked"), "{args:?}: {stderr}");
    }
    let _ = std::fs::remove_dir_all(dir);
}
