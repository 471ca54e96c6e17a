//! The scenario in words where the page must say what was done to a workload: which
//! transforms apply (time window, load scaling, request limit, long-input transform), in the
//! order the core applies them. Display only: the core applies them.

use pecsched_core::scenario::wire::{Transform, WorkloadWire};

/// Every transform the workload applies (the core's list, in its order), in the page's words;
/// empty when it runs as given.
pub fn transforms(wl: &WorkloadWire) -> Vec<String> {
    wl.transforms()
        .into_iter()
        .map(|t| match t {
            Transform::Window { start_s, end_s } => format!("time window {start_s}–{end_s} s"),
            Transform::RateScale(r) => format!("arrival rate ×{r}"),
            Transform::MaxRequests(n) => format!("first {n} requests"),
            Transform::LongInput(l) => format!(
                "long-input transform (inputs above the {} percentile become {}–{} tokens)",
                l.percentile, l.min_tokens, l.max_tokens
            ),
        })
        .collect()
}

/// One sentence: "Runs as given (no transforms)." or "Transforms applied: …".
pub fn transforms_sentence(wl: &WorkloadWire) -> String {
    let t = transforms(wl);
    if t.is_empty() {
        "Runs as given: whole workload, rate ×1, lengths as recorded (no transforms).".into()
    } else {
        format!("Transforms applied: {}.", t.join("; "))
    }
}

/// A whole number with thousands separators, as the page writes counts: `10,000,000`.
pub fn grouped(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use pecsched_core::scenario::Scenario;

    #[test]
    fn the_default_scenario_names_every_transform_and_a_bare_workload_none() {
        let mut wl = Scenario::default_scenario().to_wire().workload;
        let s = transforms_sentence(&wl);
        assert!(
            s.contains("time window 0–1200 s")
                && s.contains("×0.05")
                && s.contains("long-input transform"),
            "{s}"
        );
        wl.window_s = None;
        wl.rate_scale = 1.0;
        wl.long_input = None;
        assert!(transforms_sentence(&wl).starts_with("Runs as given"));
    }

    #[test]
    fn counts_are_grouped_by_thousands() {
        assert_eq!(grouped(0), "0");
        assert_eq!(grouped(999), "999");
        assert_eq!(grouped(4096), "4,096");
        assert_eq!(grouped(250_000), "250,000");
        assert_eq!(grouped(10_000_000), "10,000,000");
    }
}
