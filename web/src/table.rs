//! The rows of the results table (and of the CSV export): which field of the core's
//! [`Summary`] each shows, with its unit and meaning. Keys are the field paths of the
//! summary's JSON (as `pecsched-worker simulate --json` prints it).

use crate::charts::scale::seconds;
use pecsched_core::metrics::{Class, Summary};

/// A cell value.
#[derive(Clone, Debug, PartialEq)]
pub enum Value {
    /// A float (seconds, rates, shares).
    F(f64),
    /// A count.
    U(u64),
    /// Text.
    S(String),
}

impl Value {
    /// The exact value: integers and text as they are, floats in Rust's shortest round-trip
    /// form (so the page's numbers can be compared bit for bit with the CLI's JSON).
    pub fn exact(&self) -> String {
        match self {
            Value::F(v) => format!("{v:?}"),
            Value::U(v) => v.to_string(),
            Value::S(s) => s.clone(),
        }
    }

    fn number(&self) -> Option<f64> {
        match self {
            Value::F(v) => Some(*v),
            Value::U(v) => Some(*v as f64),
            Value::S(_) => None,
        }
    }
}

/// How a row's numbers are shown.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Unit {
    /// Seconds (shown in ms or s).
    Seconds,
    /// Requests per second.
    Rps,
    /// A share in [0, 1], shown in %.
    Share,
    /// A count.
    Count,
    /// Text.
    Text,
}

/// Which way is better, for highlighting the best policy of a row.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Better {
    /// Smaller is better.
    Lower,
    /// Larger is better.
    Higher,
}

/// One row of the results table.
pub struct Row {
    /// JSON path in the summary (`short.queueing_delay.p99`).
    pub key: &'static str,
    /// Row label.
    pub label: &'static str,
    /// Unit.
    pub unit: Unit,
    /// Explanation (tooltip).
    pub tip: &'static str,
    /// Which way is better, if either.
    pub better: Option<Better>,
    /// The value.
    pub get: fn(&Summary) -> Value,
    /// How the table shows it, where not by [`shown`] (e.g. `served/total`).
    pub show: Option<fn(&Summary) -> String>,
}

impl Row {
    /// The request class the row is about (`short.…`, `long.…`), if any.
    pub fn class(&self) -> Option<Class> {
        if self.key.starts_with("short.") {
            Some(Class::Short)
        } else if self.key.starts_with("long.") {
            Some(Class::Long)
        } else {
            None
        }
    }

    /// Whether the row is a latency percentile (it covers only the requests that got there).
    pub fn percentile(&self) -> Option<&'static str> {
        let (_, last) = self.key.rsplit_once('.')?;
        matches!(last, "p50" | "p99" | "mean").then_some(last)
    }

    /// The cell text of `s`.
    pub fn text(&self, s: &Summary) -> String {
        match self.show {
            Some(f) => f(s),
            None => shown(self.unit, &(self.get)(s)),
        }
    }
}

use Better::{Higher, Lower};
use Unit::{Count, Rps, Seconds, Share, Text};

macro_rules! row {
    ($key:literal, $label:literal, $unit:expr, $better:expr, $tip:literal, $get:expr) => {
        Row {
            key: $key,
            label: $label,
            unit: $unit,
            tip: $tip,
            better: $better,
            get: $get,
            show: None,
        }
    };
    ($key:literal, $label:literal, $unit:expr, $better:expr, $tip:literal, $get:expr, $show:expr) => {
        Row {
            key: $key,
            label: $label,
            unit: $unit,
            tip: $tip,
            better: $better,
            get: $get,
            show: Some($show),
        }
    };
}

/// Every row, in display order.
pub const ROWS: &[Row] = &[
    row!(
        "short.completed",
        "Short requests served",
        Count,
        None,
        "Short requests (served by one replica) that completed, of all short requests in the workload.",
        |s| Value::U(s.short.completed),
        |s| s.short.served_label()
    ),
    row!(
        "short.starved",
        "Short never started",
        Count,
        None,
        "Short requests that never started executing by the end of the run (rejected ones apart).",
        |s| Value::U(s.short.starved)
    ),
    row!(
        "short.unfinished",
        "Short unfinished",
        Count,
        None,
        "Short requests that started but did not complete by the end of the run.",
        |s| Value::U(s.short.unfinished)
    ),
    row!(
        "short.rejected",
        "Short rejected",
        Count,
        None,
        "Short requests that can never be served on this cluster (too large); hover a cell for the reason.",
        |s| Value::U(s.short.rejected)
    ),
    row!(
        "short.queueing_delay.n",
        "Short latencies cover",
        Count,
        None,
        "Short requests the queueing-delay percentiles are taken over (those that started); TTFT covers those with a first token, TBT and JCT those that completed.",
        |s| Value::U(s.short.queueing_delay.n),
        |s| format!("{} started", s.short.queueing_delay.n)
    ),
    row!(
        "short.queueing_delay.p50",
        "Short queueing delay, median",
        Seconds,
        Some(Lower),
        "Arrival to first prefill execution, median over short requests that started.",
        |s| Value::F(s.short.queueing_delay.p50)
    ),
    row!(
        "short.queueing_delay.p99",
        "Short queueing delay, p99",
        Seconds,
        Some(Lower),
        "Arrival to first prefill execution, 99th percentile (nearest rank).",
        |s| Value::F(s.short.queueing_delay.p99)
    ),
    row!(
        "short.throughput_rps",
        "Short throughput",
        Rps,
        Some(Higher),
        "Completed short requests per second (first short arrival to last short completion).",
        |s| Value::F(s.short.throughput_rps)
    ),
    row!(
        "short.ttft.p50",
        "Short TTFT, median",
        Seconds,
        Some(Lower),
        "Time to first token of short requests, median.",
        |s| Value::F(s.short.ttft.p50)
    ),
    row!(
        "short.ttft.p99",
        "Short TTFT, p99",
        Seconds,
        Some(Lower),
        "Time to first token of short requests, 99th percentile.",
        |s| Value::F(s.short.ttft.p99)
    ),
    row!(
        "short.tbt.p50",
        "Short TBT, median",
        Seconds,
        Some(Lower),
        "Mean time between output tokens per short request, median over requests.",
        |s| Value::F(s.short.tbt.p50)
    ),
    row!(
        "short.tbt.p99",
        "Short TBT, p99",
        Seconds,
        Some(Lower),
        "Mean time between output tokens per short request, 99th percentile.",
        |s| Value::F(s.short.tbt.p99)
    ),
    row!(
        "long.completed",
        "Long requests served",
        Count,
        None,
        "Long requests (sequence parallelism over several replicas) that completed, of all long requests.",
        |s| Value::U(s.long.completed),
        |s| s.long.served_label()
    ),
    row!(
        "long.starved",
        "Long never started",
        Count,
        None,
        "Long requests that never started executing by the end of the run (rejected ones apart).",
        |s| Value::U(s.long.starved)
    ),
    row!(
        "long.unfinished",
        "Long unfinished",
        Count,
        None,
        "Long requests that started but did not complete by the end of the run.",
        |s| Value::U(s.long.unfinished)
    ),
    row!(
        "long.rejected",
        "Long rejected",
        Count,
        None,
        "Long requests that can never be served on this cluster (e.g. their KV cannot fit); hover a cell for the reason.",
        |s| Value::U(s.long.rejected)
    ),
    row!(
        "long.jct.mean",
        "Long JCT, mean",
        Seconds,
        Some(Lower),
        "Arrival to completion of long requests, mean over those that completed.",
        |s| Value::F(s.long.jct.mean)
    ),
    row!(
        "long.queueing_delay.p50",
        "Long queueing delay, median",
        Seconds,
        Some(Lower),
        "Arrival to first prefill execution of long requests, median.",
        |s| Value::F(s.long.queueing_delay.p50)
    ),
    row!(
        "short.starvation_share",
        "Short starvation",
        Share,
        Some(Lower),
        "Share of short requests never served (never started, or too large for the cluster).",
        |s| Value::F(s.short.starvation_share)
    ),
    row!(
        "long.starvation_share",
        "Long starvation",
        Share,
        Some(Lower),
        "Share of long requests never served (never started, or needing more replicas than the cluster has).",
        |s| Value::F(s.long.starvation_share)
    ),
    row!(
        "long.preemptions",
        "Preemptions of long requests",
        Count,
        None,
        "Times a long prefill or decode was paused for short work.",
        |s| Value::U(s.long.preemptions)
    ),
    row!(
        "short.slo.attainment",
        "Short SLO attainment",
        Share,
        Some(Higher),
        "Share of all short requests that completed within their TTFT limit (base + per 1K input tokens) and TBT limit (the scenario's SLO; docs/metrics.md). Unserved ones miss it.",
        |s| Value::F(s.short.slo.attainment)
    ),
    row!(
        "long.slo.attainment",
        "Long SLO attainment",
        Share,
        Some(Higher),
        "Share of all long requests that completed within their TTFT limit (base + per 1K input tokens) and TBT limit (the scenario's SLO; docs/metrics.md). Unserved ones miss it.",
        |s| Value::F(s.long.slo.attainment)
    ),
    row!(
        "short.slo.goodput_rps",
        "Short goodput",
        Rps,
        Some(Higher),
        "Short requests that met their SLO and completed inside the arrivals' span, per second of it.",
        |s| Value::F(s.short.slo.goodput_rps)
    ),
    row!(
        "long.slo.goodput_rps",
        "Long goodput",
        Rps,
        Some(Higher),
        "Long requests that met their SLO and completed inside the arrivals' span, per second of it.",
        |s| Value::F(s.long.slo.goodput_rps)
    ),
    row!(
        "prefix.short.token_hit_rate",
        "Short prefix hits, tokens",
        Share,
        Some(Higher),
        "Prompt tokens of short requests found in their replica's prefix cache, of all prompt tokens of the short requests that started (— without prefix caching; docs/prefix-caching.md).",
        |s| prefix(s, |p| Value::F(p.short.token_hit_rate))
    ),
    row!(
        "prefix.short.request_hit_rate",
        "Short prefix hits, requests",
        Share,
        Some(Higher),
        "Short requests that found at least one cached block, of the short requests that started (— without prefix caching).",
        |s| prefix(s, |p| Value::F(p.short.request_hit_rate))
    ),
    row!(
        "prefix.short.cached_tokens",
        "Prefill tokens saved",
        Count,
        Some(Higher),
        "Prompt tokens of short requests not recomputed thanks to the prefix cache (long requests never use it).",
        |s| prefix(s, |p| Value::U(p.short.cached_tokens))
    ),
    row!(
        "prefix.evictions",
        "Prefix-cache evictions",
        Count,
        None,
        "Blocks evicted from the replicas' prefix caches to make room (all replicas).",
        |s| prefix(s, |p| Value::U(p.evictions))
    ),
    row!(
        "gpu_idle_rate",
        "GPU idle rate",
        Share,
        Some(Lower),
        "The paper's Eq. 1: idle GPU time over all GPU time, from 0 to the end of the run.",
        |s| Value::F(s.gpu_idle_rate)
    ),
    row!(
        "makespan_s",
        "Makespan",
        Seconds,
        None,
        "Simulated time of the last event.",
        |s| Value::F(s.makespan_s)
    ),
    row!(
        "events",
        "Events",
        Count,
        None,
        "Events the engine processed.",
        |s| Value::U(s.events)
    ),
    row!(
        "log_hash",
        "Event-log hash",
        Text,
        None,
        "Hash of the engine's event log: equal hashes, identical runs.",
        |s| Value::S(s.log_hash.clone())
    ),
];

/// A prefix-caching value of `s`, or `—` for a run without prefix caching.
fn prefix(s: &Summary, f: fn(&pecsched_core::metrics::PrefixSummary) -> Value) -> Value {
    s.prefix.as_ref().map_or(Value::S("—".into()), f)
}

/// The value as the table shows it.
pub fn shown(unit: Unit, v: &Value) -> String {
    match (unit, v) {
        (_, Value::S(s)) => s.clone(),
        (Unit::Seconds, Value::F(x)) => seconds(*x),
        (Unit::Rps, Value::F(x)) => format!("{x:.3} req/s"),
        (Unit::Share, Value::F(x)) => format!("{:.1} %", x * 100.0),
        (Unit::Count, Value::F(x)) => format!("{x}"),
        (_, v) => v.exact(),
    }
}

/// Whether a column's value of `row` may be ranked: its run is not partial and, for a
/// class's row, every request of that class was served or rejected (the core's rule).
pub fn rankable(row: &Row, s: &Summary) -> bool {
    match row.class() {
        Some(c) => s.rankable(c),
        None => !s.is_partial(),
    }
}

/// Which columns of a row hold its best value: among rankable columns, those whose value *as
/// shown* equals the best shown value (two cells that read the same are both best). None when
/// the row has no direction or every column reads the same.
pub fn best(row: &Row, summaries: &[&Summary]) -> Vec<bool> {
    let none = vec![false; summaries.len()];
    let Some(b) = row.better else {
        return none;
    };
    let ranked: Vec<Option<f64>> = summaries
        .iter()
        .map(|s| (row.get)(s).number().filter(|_| rankable(row, s)))
        .collect();
    let nums = ranked.iter().flatten();
    let target = match b {
        Lower => nums.fold(f64::INFINITY, |a, &v| a.min(v)),
        Higher => nums.fold(f64::NEG_INFINITY, |a, &v| a.max(v)),
    };
    if !target.is_finite() {
        return none;
    }
    let target = shown(row.unit, &Value::F(target));
    let texts: Vec<String> = summaries
        .iter()
        .map(|s| match (row.get)(s) {
            Value::U(v) => shown(row.unit, &Value::F(v as f64)),
            v => shown(row.unit, &v),
        })
        .collect();
    if texts.iter().all(|t| *t == target) {
        return none;
    }
    ranked
        .iter()
        .zip(&texts)
        .map(|(r, t)| r.is_some() && *t == target)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use pecsched_core::scenario::Scenario;

    #[test]
    fn every_key_is_a_path_of_the_summary_json_with_the_same_value() {
        // Without and with prefix caching (whose rows read "—" without it).
        let plain = Scenario::default_scenario();
        let mut w = plain.to_wire();
        w.prefix = Some(pecsched_core::scenario::prefix_wire::PrefixWire {
            sessions: Some(crate::state::DEFAULT_SESSIONS),
            ..Default::default()
        });
        let cached = Scenario::from_wire(&w).unwrap();
        for s in [plain, cached] {
            check_keys(&s);
        }
    }

    fn check_keys(s: &Scenario) {
        let reqs = s.requests(None).unwrap();
        let mut small = reqs;
        small.truncate(300);
        let (sum, _) = s.run(s.policies()[0], small).unwrap();
        let json = serde_json::to_value(&sum).unwrap();
        for row in ROWS {
            let v = row.key.split('.').fold(&json, |j, k| &j[k]);
            let exact = (row.get)(&sum).exact();
            match v {
                serde_json::Value::String(t) => assert_eq!(&exact, t, "{}", row.key),
                serde_json::Value::Number(n) => {
                    assert_eq!(
                        exact.parse::<f64>().unwrap(),
                        n.as_f64().unwrap(),
                        "{}",
                        row.key
                    )
                }
                // A run without prefix caching has no `prefix` key; the page shows "—".
                serde_json::Value::Null if row.key.starts_with("prefix.") => {
                    assert_eq!(exact, "—", "{}", row.key)
                }
                other => panic!("{}: {other:?}", row.key),
            }
        }
    }

    fn summary(p99: f64) -> Summary {
        let mut short = pecsched_core::metrics::ClassSummary::default();
        short.queueing_delay.p99 = p99;
        Summary {
            policy: pecsched_core::policy::PolicyKind::Fifo,
            short,
            long: Default::default(),
            gpu_idle_rate: 0.0,
            makespan_s: 0.0,
            events: 0,
            log_hash: String::new(),
            stopped: None,
            prefix: None,
        }
    }

    #[test]
    fn best_marks_the_extreme_unless_all_tie() {
        let row = ROWS
            .iter()
            .find(|r| r.key == "short.queueing_delay.p99")
            .unwrap();
        let (a, b, c) = (summary(3.0), summary(0.5), summary(0.5));
        assert_eq!(best(row, &[&a, &b, &c]), vec![false, true, true]);
        assert_eq!(best(row, &[&b, &c]), vec![false, false]);
        assert_eq!(shown(Unit::Seconds, &Value::F(0.5)), "500.0 ms");
        assert_eq!(shown(Unit::Share, &Value::F(0.184)), "18.4 %");
    }

    #[test]
    fn best_compares_the_values_as_shown() {
        let row = ROWS.iter().find(|r| r.key == "gpu_idle_rate").unwrap();
        let (mut a, mut b, mut c) = (summary(0.0), summary(0.0), summary(0.0));
        // 23.71 %, 23.74 % and 30 %: the first two read "23.7 %", both best.
        (a.gpu_idle_rate, b.gpu_idle_rate, c.gpu_idle_rate) = (0.2374, 0.2371, 0.3);
        assert_eq!(best(row, &[&a, &b, &c]), vec![true, true, false]);
    }

    #[test]
    fn a_class_not_fully_served_or_a_partial_run_is_never_best() {
        let row = ROWS
            .iter()
            .find(|r| r.key == "short.queueing_delay.p99")
            .unwrap();
        let (mut a, b, mut c) = (summary(0.1), summary(0.5), summary(0.9));
        // a served 9 of 10 short requests: its low p99 covers only those.
        a.short.count = 10;
        a.short.completed = 9;
        a.short.starved = 1;
        assert!(!rankable(row, &a));
        assert_eq!(best(row, &[&a, &b, &c]), vec![false, true, false]);
        let idle = ROWS.iter().find(|r| r.key == "gpu_idle_rate").unwrap();
        c.gpu_idle_rate = -1.0;
        c.stopped = Some(pecsched_core::metrics::StopReason::EventLimit {
            events: 5,
            at_s: 1.0,
        });
        assert_eq!(best(idle, &[&a, &b, &c]), vec![true, true, false]);
    }

    #[test]
    fn served_rows_read_served_of_total() {
        let row = ROWS.iter().find(|r| r.key == "short.completed").unwrap();
        let mut a = summary(0.0);
        a.short.count = 5693;
        a.short.completed = 5678;
        assert_eq!(row.text(&a), "5678/5693");
        assert_eq!((row.get)(&a).exact(), "5678");
    }
}
