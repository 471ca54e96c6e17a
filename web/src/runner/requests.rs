//! Per-request results: the slowest requests of a run (for the page's table) and every
//! request as CSV, in the columns and format of `pecsched-worker simulate --requests-csv`.

use pecsched_core::metrics::RequestRecord;
use pecsched_core::policy::PolicyKind;
use std::fmt::Write as _;

/// Every request record of a comparison, per policy id; `Err` says why none were kept.
pub type Records = Result<Vec<(PolicyKind, Vec<RequestRecord>)>, String>;

/// Slowest requests sent to the page per policy.
pub const SLOWEST: usize = 50;

/// Most records (requests × policies) the worker keeps for the CSV download.
pub const MAX_KEPT_RECORDS: usize = 1_000_000;

/// The `n` slowest requests: never completed first (earliest arrival first), then by
/// completion time (JCT), longest first; ties by id.
pub fn slowest(records: &[RequestRecord], n: usize) -> Vec<RequestRecord> {
    let mut v: Vec<RequestRecord> = records.to_vec();
    v.sort_by_key(|r| match r.jct_ns() {
        None => (0u8, r.arrival.0, r.id),
        Some(j) => (1, u64::MAX - j, r.id),
    });
    v.truncate(n);
    v
}

/// The CSV header (the CLI's `--requests-csv` columns, from the core).
pub const HEADER: &str = pecsched_core::metrics::CSV_HEADER;

/// Every request of every policy as CSV, formatted as the CLI writes it (the core's
/// `RequestRecord::csv_row`).
pub fn csv(runs: &[(PolicyKind, Vec<RequestRecord>)]) -> String {
    let mut out = String::from(HEADER);
    out.push('\n');
    for (policy, recs) in runs {
        for r in recs {
            let _ = writeln!(out, "{}", r.csv_row(*policy));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use pecsched_core::metrics::Class;
    use pecsched_core::time::SimTime;

    fn rec(id: u32, arrival: u64, completion: Option<u64>) -> RequestRecord {
        let mut r = RequestRecord::new(id, Class::Short, 10, 5, SimTime(arrival));
        r.completion = completion.map(SimTime);
        r
    }

    #[test]
    fn unserved_requests_come_first_then_the_longest_jct() {
        let recs = [
            rec(0, 0, Some(5)),
            rec(1, 0, Some(9)),
            rec(2, 3, None),
            rec(3, 1, None),
        ];
        let ids: Vec<u32> = slowest(&recs, 3).iter().map(|r| r.id).collect();
        assert_eq!(ids, [3, 2, 1]);
    }

    #[test]
    fn csv_has_the_clis_columns_and_one_line_per_request() {
        let text = csv(&[(PolicyKind::Fifo, vec![rec(0, 0, Some(2_000_000_000))])]);
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines[0], HEADER);
        assert!(
            lines[1].starts_with("fifo,0,Short,10,5,0.000000,"),
            "{}",
            lines[1]
        );
        assert!(lines[1].contains(",2.000000,"), "{}", lines[1]);
        assert_eq!(lines[1].split(',').count(), HEADER.split(',').count());
    }
}
