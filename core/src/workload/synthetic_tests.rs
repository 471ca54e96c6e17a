//! Tests of the synthetic generator: rate, burstiness, lengths, validation, determinism.

use super::*;

fn spec(arrival: Arrival, lengths: Lengths) -> SyntheticSpec {
    SyntheticSpec {
        requests: 20_000,
        rate_per_s: 8.0,
        arrival,
        lengths,
        seed: 11,
    }
}

fn lognormal() -> Lengths {
    Lengths::LogNormal {
        input_median: 1000.0,
        input_sigma: 0.8,
        output_median: 100.0,
        output_sigma: 0.5,
    }
}

/// Mean and coefficient of variation of the inter-arrival gaps, in seconds.
fn gap_stats(reqs: &[Request]) -> (f64, f64) {
    let gaps: Vec<f64> = reqs
        .windows(2)
        .map(|w| w[1].arrival.saturating_since(w[0].arrival).as_secs_f64())
        .collect();
    let n = gaps.len() as f64;
    let mean = gaps.iter().sum::<f64>() / n;
    let var = gaps.iter().map(|g| (g - mean) * (g - mean)).sum::<f64>() / n;
    (mean, libm::sqrt(var) / mean)
}

#[test]
fn poisson_rate_and_cv() {
    let reqs = spec(Arrival::Poisson, lognormal()).generate().unwrap();
    assert_eq!(reqs.len(), 20_000);
    assert_eq!(reqs[0].arrival, SimTime::ZERO);
    assert!(reqs.iter().enumerate().all(|(i, r)| r.id as usize == i));
    let (mean, cv) = gap_stats(&reqs);
    assert!((mean * 8.0 - 1.0).abs() < 0.03, "mean gap {mean}");
    assert!((cv - 1.0).abs() < 0.05, "cv {cv}");
}

#[test]
fn gamma_rate_and_cv() {
    for cv_want in [0.5, 2.0, 4.0] {
        let reqs = spec(Arrival::Gamma { cv: cv_want }, lognormal())
            .generate()
            .unwrap();
        let (mean, cv) = gap_stats(&reqs);
        // Bursty gaps converge slowly: allow more slack as cv grows.
        let tol = 0.03 * cv_want.max(1.0);
        assert!(
            (mean * 8.0 - 1.0).abs() < tol,
            "cv {cv_want}: mean gap {mean}"
        );
        assert!((cv / cv_want - 1.0).abs() < 0.1, "cv {cv_want}: got {cv}");
    }
}

#[test]
fn lognormal_medians() {
    let reqs = spec(Arrival::Poisson, lognormal()).generate().unwrap();
    let mut input: Vec<u32> = reqs.iter().map(|r| r.input_tokens).collect();
    let mut output: Vec<u32> = reqs.iter().map(|r| r.output_tokens).collect();
    input.sort_unstable();
    output.sort_unstable();
    let (mi, mo) = (input[input.len() / 2], output[output.len() / 2]);
    assert!((960..=1040).contains(&mi), "input median {mi}");
    assert!((96..=104).contains(&mo), "output median {mo}");
    assert!(input[0] >= 1 && output[0] >= 1);
}

#[test]
fn empirical_resamples_pairs_jointly() {
    let pairs = vec![(10, 1), (20, 2), (0, 0)];
    let reqs = spec(Arrival::Poisson, Lengths::Empirical(pairs))
        .generate()
        .unwrap();
    let mut seen = [0u32; 3];
    for r in &reqs {
        let k = match (r.input_tokens, r.output_tokens) {
            (10, 1) => 0,
            (20, 2) => 1,
            (1, 1) => 2, // zeros clamped to one
            other => panic!("unexpected pair {other:?}"),
        };
        seen[k] += 1;
    }
    assert!(
        seen.iter().all(|&c| (6_300..7_000).contains(&c)),
        "{seen:?}"
    );
}

#[test]
fn arrivals_do_not_depend_on_the_length_model() {
    let a = spec(Arrival::Poisson, lognormal()).generate().unwrap();
    let b = spec(Arrival::Poisson, Lengths::Empirical(vec![(5, 5)]))
        .generate()
        .unwrap();
    assert!(a.iter().zip(&b).all(|(x, y)| x.arrival == y.arrival));
    assert_eq!(spec(Arrival::Poisson, lognormal()).generate().unwrap(), a);
    let mut other = spec(Arrival::Poisson, lognormal());
    other.seed = 12;
    assert_ne!(other.generate().unwrap(), a);
}

#[test]
fn invalid_specs_name_the_parameter() {
    let cases: [(SyntheticSpec, &str); 6] = [
        (
            SyntheticSpec {
                requests: 0,
                ..spec(Arrival::Poisson, lognormal())
            },
            "synthetic requests: 0 is not at least 1",
        ),
        (
            SyntheticSpec {
                rate_per_s: 0.0,
                ..spec(Arrival::Poisson, lognormal())
            },
            "synthetic rate_per_s: 0.0 is not a finite number > 0",
        ),
        (
            SyntheticSpec {
                rate_per_s: f64::INFINITY,
                ..spec(Arrival::Poisson, lognormal())
            },
            "synthetic rate_per_s: inf is not a finite number > 0",
        ),
        (
            spec(Arrival::Gamma { cv: -1.0 }, lognormal()),
            "synthetic gamma cv: -1.0 is not a finite number > 0",
        ),
        (
            spec(Arrival::Poisson, Lengths::Empirical(vec![])),
            "synthetic empirical lengths: \"[]\" is not a non-empty list of (input, output) pairs",
        ),
        (
            spec(
                Arrival::Poisson,
                Lengths::LogNormal {
                    input_median: 1.0,
                    input_sigma: f64::NAN,
                    output_median: 1.0,
                    output_sigma: 0.0,
                },
            ),
            "synthetic input_sigma: NaN is not a finite number >= 0",
        ),
    ];
    for (s, want) in cases {
        assert_eq!(s.generate().unwrap_err().to_string(), want);
    }
}

/// Found by the `simulate` fuzz target (docs/reliability.md): a cv so large that `cv²`
/// overflowed reached `SimRng::gamma` with shape 0 and panicked; so small that it underflowed,
/// with an infinite shape. Both are now parameter errors.
#[test]
fn extreme_gamma_cv_is_an_error_not_a_panic() {
    let want = "a number whose gamma shape 1/cv² and scale cv²/rate_per_s are finite and > 0";
    for cv in [1e200, 1e-200, f64::MAX] {
        let e = spec(Arrival::Gamma { cv }, lognormal())
            .generate()
            .unwrap_err();
        assert_eq!(
            e.to_string(),
            format!("synthetic gamma cv: {cv:?} is not {want}"),
            "cv {cv}"
        );
    }
    // The scale cv²/rate overflows for a tiny rate even when cv² is finite.
    let e = SyntheticSpec {
        rate_per_s: 1e-300,
        ..spec(Arrival::Gamma { cv: 1e10 }, lognormal())
    }
    .generate()
    .unwrap_err();
    assert_eq!(
        e.to_string(),
        format!("synthetic gamma cv: 10000000000.0 is not {want}")
    );
    // Large but representable values still generate.
    let mut ok = spec(Arrival::Gamma { cv: 1e100 }, lognormal());
    ok.requests = 50;
    assert_eq!(ok.generate().unwrap().len(), 50);
}

/// A rate of 1e-9 per second used to push arrivals past 2⁶⁴ ns, where the clock
/// saturated and every latency read 0. A rate too slow on average is refused up front; a draw
/// that lands past the limit anyway is refused when generated, never saturated.
#[test]
fn arrivals_past_the_simulable_span_are_errors() {
    let slow = SyntheticSpec {
        requests: 50,
        rate_per_s: 1e-9,
        ..spec(Arrival::Poisson, lognormal())
    };
    assert_eq!(
        slow.generate().unwrap_err().to_string(),
        "synthetic rate_per_s: 1e-9 is not high enough that the requests arrive, on average, within limits::MAX_ARRIVAL_S (1000000000 s)"
    );
    // Two requests at a mean gap of exactly the limit: about a third of the seeds draw a gap
    // past it. Each outcome is either an error naming the request or arrivals within the limit.
    let (mut refused, mut fitted) = (0, 0);
    for seed in 0..30 {
        let edge = SyntheticSpec {
            requests: 2,
            rate_per_s: 1e-9,
            seed,
            ..spec(Arrival::Poisson, lognormal())
        };
        match edge.generate() {
            Ok(reqs) => {
                assert!(reqs[1].arrival <= MAX_ARRIVAL, "seed {seed}");
                fitted += 1;
            }
            Err(e) => {
                let e = e.to_string();
                assert!(e.starts_with("synthetic arrivals: request 1 after "), "{e}");
                assert!(e.ends_with("is not within limits::MAX_ARRIVAL_S (1000000000 s) of the first request: fewer requests or a higher rate_per_s"), "{e}");
                refused += 1;
            }
        }
    }
    assert!(
        refused > 0 && fitted > 0,
        "{refused} refused, {fitted} fitted"
    );
}
