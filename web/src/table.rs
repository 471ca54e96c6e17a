//! The rows of the results table (and of the CSV export): which field of the core's
//! [`Summary`] each shows, with its unit and meaning. Keys are the field paths of the
//! summary's JSON (as `pecsched-worker simulate --json` prints it).

use crate::charts::scale::seconds;
use pecsched_core::metrics::Summary;

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
        }
    };
}

/// Every row, in display order.
pub const ROWS: &[Row] = &[
    row!(
        "short.count",
        "Short requests",
        Count,
        None,
        "Requests served by one replica.",
        |s| Value::U(s.short.count)
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
        "long.count",
        "Long requests",
        Count,
        None,
        "Requests served by sequence parallelism over several replicas.",
        |s| Value::U(s.long.count)
    ),
    row!(
        "long.completed",
        "Long requests completed",
        Count,
        Some(Higher),
        "Long requests that completed before the end of the run.",
        |s| Value::U(s.long.completed)
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

/// The value as the table shows it.
pub fn shown(unit: Unit, v: &Value) -> String {
    match (unit, v) {
        (_, Value::S(s)) => s.clone(),
        (Unit::Seconds, Value::F(x)) => seconds(*x),
        (Unit::Rps, Value::F(x)) => format!("{x:.3} req/s"),
        (Unit::Share, Value::F(x)) => format!("{:.1} %", x * 100.0),
        (_, v) => v.exact(),
    }
}

/// Which columns of a row hold its best value (none if all are equal or the row has no
/// direction).
pub fn best(row: &Row, summaries: &[&Summary]) -> Vec<bool> {
    let vals: Vec<Option<f64>> = summaries.iter().map(|s| (row.get)(s).number()).collect();
    let Some(b) = row.better else {
        return vec![false; vals.len()];
    };
    let nums = vals.iter().flatten();
    let target = match b {
        Lower => nums.fold(f64::INFINITY, |a, &v| a.min(v)),
        Higher => nums.fold(f64::NEG_INFINITY, |a, &v| a.max(v)),
    };
    let all_equal = vals.iter().all(|v| *v == Some(target));
    vals.iter()
        .map(|v| !all_equal && *v == Some(target))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use pecsched_core::scenario::Scenario;

    #[test]
    fn every_key_is_a_path_of_the_summary_json_with_the_same_value() {
        let s = Scenario::default_scenario();
        let reqs = s.requests(None).unwrap();
        let mut small = reqs;
        small.truncate(300);
        let (sum, _) = s.run(s.policies[0], small).unwrap();
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
                other => panic!("{}: {other:?}", row.key),
            }
        }
    }

    fn summary(p99: f64) -> Summary {
        let mut short = pecsched_core::metrics::ClassSummary::default();
        short.queueing_delay.p99 = p99;
        Summary {
            policy: "x".into(),
            short,
            long: Default::default(),
            gpu_idle_rate: 0.0,
            makespan_s: 0.0,
            events: 0,
            log_hash: String::new(),
            stopped: None,
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
}
