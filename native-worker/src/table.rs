//! Plain-text tables for the terminal.

use pecsched_core::metrics::Summary;

/// Prints one row per policy with the paper's headline metrics.
pub fn print_summaries<'a>(
    rows: impl Iterator<Item = &'a Summary>,
) -> Result<(), crate::output::StdoutError> {
    crate::outln!(
        "{:<14} {:>7} {:>9} {:>9} {:>9} {:>9} {:>6} {:>10} {:>8} {:>8} {:>9} {:>7}",
        "policy",
        "short",
        "qd p50 s",
        "qd p99 s",
        "ttft p50",
        "tbt p50",
        "long",
        "JCT mean s",
        "starved",
        "preempt",
        "short RPS",
        "idle"
    )?;
    for s in rows {
        crate::outln!(
            "{:<14} {:>7} {:>9.3} {:>9.3} {:>9.3} {:>9.4} {:>6} {:>10.1} {:>7.1}% {:>8} {:>9.3} {:>7.3}",
            s.policy,
            s.short.completed,
            s.short.queueing_delay.p50,
            s.short.queueing_delay.p99,
            s.short.ttft.p50,
            s.short.tbt.p50,
            format!("{}/{}", s.long.completed, s.long.count),
            s.long.jct.mean,
            s.long.starvation_share * 100.0,
            s.long.preemptions,
            s.short.throughput_rps,
            s.gpu_idle_rate,
        )?;
    }
    Ok(())
}
