//! Plain-text tables for the terminal, honest about what each run served.
//!
//! Each class shows served/total and how many requests were never started, unfinished or
//! rejected; latency columns say how many requests they cover (`n`); rejected requests are
//! labelled rejected with their reason; a run that stalled, hit its event limit or reached its
//! drain horizon with work unserved says so above the table and in the `stop` column.

use crate::output::StdoutError;
use pecsched_core::metrics::{ClassSummary, Percentiles, Summary};
use std::fmt::Write;

/// Prints the tables for `rows`, each labelled with its policy's id (see [`render`]).
pub fn print_summaries<'a>(rows: impl Iterator<Item = &'a Summary>) -> Result<(), StdoutError> {
    let rows: Vec<(&str, &Summary)> = rows.map(|s| (s.policy.id(), s)).collect();
    crate::output::stdout_text(&render(&rows))
}

/// Prints the tables for rows with labels of their own (e.g. `fifo-no-long`).
pub fn print_labelled(rows: &[(&str, &Summary)]) -> Result<(), StdoutError> {
    crate::output::stdout_text(&render(rows))
}

/// `v` with `prec` decimals, or `—` when no request was measured (`n` = 0): never a 0 that
/// reads as a perfect latency.
fn val(p: &Percentiles, v: f64, prec: usize) -> String {
    if p.n == 0 {
        "—".into()
    } else {
        format!("{v:.prec$}")
    }
}

/// `done/total` with a `!` when some servable request was not served.
fn served(c: &ClassSummary) -> String {
    let mark = if c.fully_served() { "" } else { " !" };
    format!("{}{mark}", c.served_label())
}

/// The tables as text: an alert line per partial or overloaded run, the short-request table,
/// the long-request table, then notes (unserved counts in words, rejection reasons, stop
/// reasons in full).
pub fn render(rows: &[(&str, &Summary)]) -> String {
    let mut out = String::new();
    // Writing to a String cannot fail.
    for &(label, s) in rows {
        if let Some(why) = &s.stopped {
            let what = if why.is_partial() {
                "PARTIAL RESULTS"
            } else {
                "OVERLOADED"
            };
            let _ = writeln!(out, "{what}: {label}: {why}");
        }
    }
    let _ = writeln!(
        out,
        "{:<14} {:>13} {:>6} {:>6} {:>6} {:>7} {:>9} {:>9} {:>9} {:>9} {:>9} {:>6} {:>14}",
        "short",
        "served",
        "never",
        "unfin",
        "rej",
        "qd n",
        "qd p50 s",
        "qd p99 s",
        "ttft p50",
        "tbt p50",
        "RPS",
        "idle",
        "stop"
    );
    for &(label, s) in rows {
        let c = &s.short;
        let _ = writeln!(
            out,
            "{:<14} {:>13} {:>6} {:>6} {:>6} {:>7} {:>9} {:>9} {:>9} {:>9} {:>9.3} {:>6.3} {:>14}",
            label,
            served(c),
            c.starved,
            c.unfinished,
            c.rejected,
            c.queueing_delay.n,
            val(&c.queueing_delay, c.queueing_delay.p50, 3),
            val(&c.queueing_delay, c.queueing_delay.p99, 3),
            val(&c.ttft, c.ttft.p50, 3),
            val(&c.tbt, c.tbt.p50, 4),
            c.throughput_rps,
            s.gpu_idle_rate,
            s.stopped.as_ref().map_or("—", |r| r.label()),
        );
    }
    let _ = writeln!(
        out,
        "{:<14} {:>13} {:>6} {:>6} {:>6} {:>7} {:>10} {:>10} {:>8}",
        "long", "served", "never", "unfin", "rej", "JCT n", "JCT mean s", "JCT p99 s", "preempt"
    );
    for &(label, s) in rows {
        let c = &s.long;
        let _ = writeln!(
            out,
            "{:<14} {:>13} {:>6} {:>6} {:>6} {:>7} {:>10} {:>10} {:>8}",
            label,
            served(c),
            c.starved,
            c.unfinished,
            c.rejected,
            c.jct.n,
            val(&c.jct, c.jct.mean, 1),
            val(&c.jct, c.jct.p99, 1),
            c.preemptions,
        );
    }
    let _ = writeln!(
        out,
        "{:<14} {:>13} {:>7} {:>13} {:>7} {:>11}",
        "SLO", "short met", "short %", "long met", "long %", "goodput RPS"
    );
    for &(label, s) in rows {
        let met = |c: &ClassSummary| format!("{}/{}", c.slo.met, c.count);
        let pct = |c: &ClassSummary| {
            if c.count == 0 {
                "—".to_string()
            } else {
                format!("{:.1}", c.slo.attainment * 100.0)
            }
        };
        let _ = writeln!(
            out,
            "{:<14} {:>13} {:>7} {:>13} {:>7} {:>11.3}",
            label,
            met(&s.short),
            pct(&s.short),
            met(&s.long),
            pct(&s.long),
            s.goodput_rps(),
        );
    }
    let mut notes = Vec::new();
    for &(label, s) in rows {
        for (name, c) in [("short", &s.short), ("long", &s.long)] {
            if !c.fully_served() {
                notes.push(format!(
                    "{label}: {name}: {} served of {}: {} never started, {} unfinished; its latencies \
                     cover only the requests that started (qd n = {}) or completed (JCT n = {})",
                    c.completed,
                    c.count,
                    c.starved,
                    c.unfinished,
                    c.queueing_delay.n,
                    c.jct.n
                ));
            }
            if c.rejected > 0 {
                notes.push(format!(
                    "{label}: {name}: {} rejected (can never be served on this cluster): {}",
                    c.rejected,
                    c.rejection.as_deref().unwrap_or("no reason recorded")
                ));
            }
        }
    }
    if !notes.is_empty() {
        let _ = writeln!(out, "notes (! marks a class with requests not served):");
        for n in notes {
            let _ = writeln!(out, "  {n}");
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use pecsched_core::metrics::StopReason;
    use pecsched_core::policy::PolicyKind;

    fn summary(policy: PolicyKind) -> Summary {
        let mut short = ClassSummary {
            count: 10,
            completed: 10,
            ..ClassSummary::default()
        };
        short.queueing_delay.n = 10;
        Summary {
            policy,
            short,
            long: ClassSummary::default(),
            gpu_idle_rate: 0.5,
            makespan_s: 100.0,
            events: 1000,
            log_hash: "0".into(),
            stopped: None,
            prefix: None,
        }
    }

    #[test]
    fn a_complete_run_has_no_alert_and_no_notes() {
        let s = summary(PolicyKind::Fifo);
        let t = render(&[(s.policy.id(), &s)]);
        assert!(!t.contains("PARTIAL") && !t.contains("notes"), "{t}");
        assert!(t.contains("10/10"), "{t}");
    }

    #[test]
    fn a_stalled_run_says_so_and_counts_what_it_left() {
        let mut s = summary(PolicyKind::PecSched);
        s.short.completed = 7;
        s.short.starved = 2;
        s.short.unfinished = 1;
        s.short.queueing_delay.n = 8;
        // From its JSON form, as `simulate --json` prints it.
        let stalled: StopReason = serde_json::from_str(
            r#"{"kind": "stalled", "at_s": 405.7, "detected": "event_queue_empty", "stranded_count": 3, "stranded": []}"#,
        )
        .unwrap();
        s.stopped = Some(stalled);
        let t = render(&[(s.policy.id(), &s)]);
        let first = t.lines().next().unwrap();
        assert!(
            first.starts_with("PARTIAL RESULTS: pecsched: STALLED (engine bug) at 405.700 s"),
            "{t}"
        );
        assert!(t.contains("7/10 !"), "{t}");
        assert!(t.contains(" stalled"), "{t}");
        assert!(
            t.contains(
                "pecsched: short: 7 served of 10: 2 never started, 1 unfinished; its latencies cover only the requests that started (qd n = 8)"
            ),
            "{t}"
        );
    }

    #[test]
    fn rejected_requests_are_labelled_rejected_with_the_reason() {
        let mut s = summary(PolicyKind::Fifo);
        s.long = ClassSummary {
            count: 3,
            rejected: 3,
            rejection: Some(
                "needs 12 replicas for its KV and compute; the cluster offers 8 replicas".into(),
            ),
            ..ClassSummary::default()
        };
        let t = render(&[(s.policy.id(), &s)]);
        assert!(t.contains("0/3"), "{t}");
        assert!(!t.contains("0/3 !"), "rejected ones are not unserved: {t}");
        assert!(
            t.contains(
                "fifo: long: 3 rejected (can never be served on this cluster): needs 12 replicas for its KV and compute; the cluster offers 8 replicas"
            ),
            "{t}"
        );
        assert!(!t.contains("starved"), "{t}");
    }

    #[test]
    fn the_slo_table_counts_met_over_every_request_and_dashes_an_empty_class() {
        let mut s = summary(PolicyKind::Sjf);
        s.short.slo.met = 9;
        s.short.slo.attainment = 0.9;
        s.short.slo.goodput_rps = 0.25;
        let t = render(&[(s.policy.id(), &s)]);
        let row = t
            .lines()
            .skip_while(|l| !l.starts_with("SLO"))
            .nth(1)
            .unwrap();
        let cells: Vec<&str> = row.split_whitespace().collect();
        assert_eq!(cells, ["sjf", "9/10", "90.0", "0/0", "—", "0.250"], "{t}");
    }
}
