//! Tests of the workload transforms, on small hand-made workloads and on the Azure trace.

use super::*;
use crate::limits::MAX_ARRIVAL;
use crate::workload::parse_azure_csv;
use crate::workload::test_data::AZURE_CONV;

fn req(id: u32, t: u64, input: u32) -> Request {
    Request {
        id,
        arrival: SimTime(t),
        input_tokens: input,
        output_tokens: 10 + id,
        prefix: crate::workload::PrefixGroup::NONE,
    }
}

fn sample() -> Vec<Request> {
    (0..10)
        .map(|i| req(i, u64::from(i) * 1_000, 100 + i))
        .collect()
}

#[test]
fn window_keeps_half_open_range_and_rebases() {
    let w = window(&sample(), SimTime(3_000), SimTime(6_000));
    let got: Vec<(u32, u64, u32)> = w
        .iter()
        .map(|r| (r.id, r.arrival.0, r.input_tokens))
        .collect();
    assert_eq!(got, [(0, 0, 103), (1, 1_000, 104), (2, 2_000, 105)]);
    assert!(window(&sample(), SimTime(6_000), SimTime(6_000)).is_empty());
}

#[test]
fn renumbering_sorts_stably_by_arrival() {
    let reqs = vec![req(0, 50, 1), req(1, 10, 2), req(2, 10, 3)];
    let out = truncate(&reqs, 10);
    let got: Vec<(u32, u64, u32)> = out
        .iter()
        .map(|r| (r.id, r.arrival.0, r.input_tokens))
        .collect();
    assert_eq!(got, [(0, 10, 2), (1, 10, 3), (2, 50, 1)]);
    assert_eq!(truncate(&reqs, 1).len(), 1);
    assert_eq!(truncate(&reqs, 0).len(), 0);
}

#[test]
fn scale_rate_divides_arrivals_exactly() {
    let reqs = vec![
        req(0, 0, 1),
        req(1, 3, 1),
        req(2, 1_000_000_007, 1),
        req(3, MAX_ARRIVAL.0 - 1, 1),
    ];
    let at = |v: &[Request]| v.iter().map(|r| r.arrival.0).collect::<Vec<_>>();
    assert_eq!(at(&scale_rate(&reqs, 1.0).unwrap()), at(&reqs));
    assert_eq!(
        at(&scale_rate(&reqs, 2.0).unwrap()),
        [0, 2, 500_000_004, MAX_ARRIVAL.0 / 2]
    );
    // 0.1 is not exactly 1/10 in binary: the result is the exact quotient by the f64 value.
    let tenth = scale_rate(&reqs[..3], 0.1).unwrap();
    assert_eq!(at(&tenth), [0, 30, 10_000_000_070]);
    let third = scale_rate(&reqs[..3], 3.0).unwrap();
    assert_eq!(at(&third), [0, 1, 333_333_336]);
    assert_eq!(at(&scale_rate(&reqs, 1e300).unwrap()), [0, 0, 0, 0]);
}

#[test]
fn scale_rate_rejects_bad_factors_and_overflow() {
    for bad in [0.0, -1.0, f64::NAN, f64::INFINITY] {
        let e = scale_rate(&sample(), bad).unwrap_err();
        assert!(e.to_string().starts_with("scale_rate factor: "), "{e}");
    }
    assert_eq!(
        scale_rate(&sample(), 0.0).unwrap_err().to_string(),
        "scale_rate factor: 0.0 is not a finite number > 0"
    );
    let far = [req(0, u64::MAX / 2, 1)];
    assert!(scale_rate(&far, 0.25).is_err());
    assert!(scale_rate(&far, 1e-300).is_err());
    // Arrivals may not be scaled past limits::MAX_ARRIVAL_S, to the nanosecond.
    let last = [req(0, MAX_ARRIVAL.0 / 2, 1)];
    assert_eq!(scale_rate(&last, 0.5).unwrap()[0].arrival, MAX_ARRIVAL);
    let e = scale_rate(&[req(0, MAX_ARRIVAL.0 / 2 + 1, 1)], 0.5).unwrap_err();
    assert_eq!(
        e.to_string(),
        "scale_rate factor: 0.5 is not large enough to keep arrivals within limits::MAX_ARRIVAL_S (1000000000 s)"
    );
    assert_eq!(
        scale_rate(&[req(0, 0, 1)], 1e-300).unwrap()[0].arrival,
        SimTime(0)
    );
}

#[test]
fn long_input_transform_on_small_workload() {
    // Inputs 100..=109: p80 is 107 (rank 8), so 108 and 109 become long.
    let mut rng = SimRng::new(1, "long");
    let r = long_input_transform(&sample(), 80.0, 1_000, 2_000, &mut rng).unwrap();
    assert_eq!((r.transformed, r.threshold), (2, 107));
    for (before, after) in sample().iter().zip(&r.requests) {
        assert_eq!(
            (before.arrival, before.output_tokens),
            (after.arrival, after.output_tokens)
        );
        if before.input_tokens > 107 {
            assert!((1_000..=2_000).contains(&after.input_tokens));
        } else {
            assert_eq!(before.input_tokens, after.input_tokens);
        }
    }
    let none = long_input_transform(&sample(), 100.0, 1, 1, &mut rng).unwrap();
    assert_eq!(none.transformed, 0);
    assert_eq!(
        long_input_transform(&[], 95.0, 1, 1, &mut rng)
            .unwrap()
            .threshold,
        0
    );
}

#[test]
fn long_input_transform_rejects_bad_parameters() {
    let mut rng = SimRng::new(1, "long");
    let e = long_input_transform(&sample(), 101.0, 1, 2, &mut rng).unwrap_err();
    assert_eq!(
        e.to_string(),
        "long_input_transform percentile: 101.0 is not within 0..=100"
    );
    assert!(long_input_transform(&sample(), f64::NAN, 1, 2, &mut rng).is_err());
    assert!(long_input_transform(&sample(), 95.0, 0, 2, &mut rng).is_err());
    let e = long_input_transform(&sample(), 95.0, 3, 2, &mut rng).unwrap_err();
    assert_eq!(
        e.to_string(),
        "long_input_transform token range: (3, 2) is not a range min..=max with 1 <= min <= max"
    );
}

#[test]
fn long_input_transform_on_the_conv_trace() {
    let reqs = parse_azure_csv(AZURE_CONV).unwrap();
    let (p, lo, hi) = LONG_INPUT_DEFAULTS;
    let run = |seed| {
        let mut rng = SimRng::new(seed, crate::rng::streams::LONG_INPUT);
        long_input_transform(&reqs, p, lo, hi, &mut rng).unwrap()
    };
    let a = run(7);
    let share = f64::from(a.transformed) / reqs.len() as f64;
    assert!((0.04..=0.05).contains(&share), "share {share}");
    let long: Vec<u32> = a
        .requests
        .iter()
        .map(|r| r.input_tokens)
        .filter(|&x| x >= lo)
        .collect();
    assert_eq!(long.len() as u32, a.transformed);
    assert!(long.iter().all(|x| (lo..=hi).contains(x)));
    let mean = long.iter().map(|&x| f64::from(x)).sum::<f64>() / long.len() as f64;
    assert!(
        (280_000.0..320_000.0).contains(&mean),
        "mean long input {mean}"
    );
    assert_eq!(run(7), a, "deterministic for a seed");
    assert_ne!(run(8).requests, a.requests);
}
