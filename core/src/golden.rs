//! Comparing a rendered result with its committed golden text, for the golden tests that run
//! both natively and in wasm32 (the core's cross-target probe, the explorer's summaries). Pure:
//! the tests read the golden file with `include_str!` and, natively, rewrite it themselves.

/// The environment variable that makes a native golden test rewrite its file instead of
/// comparing (review the diff before committing).
pub const UPDATE_VAR: &str = "PECSCHED_UPDATE_GOLDEN";

/// `Ok` when `actual` equals `golden`; otherwise every differing line, numbered, and how to
/// regenerate the file named `file`.
pub fn compare(file: &str, golden: &str, actual: &str) -> Result<(), String> {
    if golden == actual {
        return Ok(());
    }
    let mut report = format!("{file} differs from the run:\n");
    let (mut g, mut a) = (golden.lines(), actual.lines());
    for line in 1.. {
        match (g.next(), a.next()) {
            (None, None) => break,
            (x, y) if x == y => {}
            (x, y) => report += &format!("line {line}:\n  golden: {x:?}\n  actual: {y:?}\n"),
        }
    }
    if golden.lines().eq(actual.lines()) {
        report += "(only line endings or the final newline differ)\n";
    }
    report += &format!(
        "If the change is intended, rerun natively with {UPDATE_VAR}=1, review the diff and explain it in the commit message."
    );
    Err(report)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn equal_texts_pass_and_different_ones_name_the_line() {
        assert_eq!(compare("f", "a\nb\n", "a\nb\n"), Ok(()));
        let e = compare("f", "a\nb\nc\n", "a\nB\nc\n").unwrap_err();
        assert!(
            e.contains("line 2:\n  golden: Some(\"b\")\n  actual: Some(\"B\")"),
            "{e}"
        );
        assert!(!e.contains("line 1:") && !e.contains("line 3:"), "{e}");
        let e = compare("f", "a\n", "a\nextra\n").unwrap_err();
        assert!(e.contains("line 2:\n  golden: None"), "{e}");
        assert!(
            compare("f", "a\n", "a")
                .unwrap_err()
                .contains("final newline")
        );
    }
}
