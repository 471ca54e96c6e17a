//! Seed repeats beside the main comparison: where the scenario is random (long-input
//! transform, synthetic arrivals), the load sweep also runs it at 1× load with other seeds;
//! this table shows, per policy, the range of the headline metrics over those seeds, so a
//! difference between policies can be told from seed noise.

use crate::charts::scale::seconds;
use crate::charts::{SeedRuns, SweepMetric};
use crate::protocol::SweepPoint;
use pecsched_core::policy::PolicyKind;
use yew::prelude::*;

/// Props of [`SeedSpread`].
#[derive(Properties, PartialEq)]
pub struct Props {
    /// Policies, in column order.
    pub policies: Vec<PolicyKind>,
    /// The load sweep's points so far.
    pub points: Vec<SweepPoint>,
}

/// `(min, max, seeds)` of `m` at 1× load for `policy`, over the seeds that ran (at least two).
pub fn spread(
    points: &[SweepPoint],
    policy: PolicyKind,
    m: SweepMetric,
) -> Option<(f64, f64, usize)> {
    let runs = SeedRuns::of(points, policy, 1.0, m);
    let (lo, hi) = runs.range();
    (runs.seeds() >= 2).then_some((lo, hi, runs.seeds()))
}

const METRICS: [(SweepMetric, &str); 3] = [
    (SweepMetric::ShortP99Delay, "Short queueing delay, p99"),
    (SweepMetric::ShortThroughput, "Short throughput"),
    (SweepMetric::LongMeanJct, "Long JCT, mean"),
];

/// The seed-spread table (nothing until two seeds have run at 1× load).
#[component]
pub fn SeedSpread(p: &Props) -> Html {
    let any = p
        .policies
        .iter()
        .any(|&k| spread(&p.points, k, SweepMetric::ShortP99Delay).is_some());
    if !any {
        return html! {};
    }
    let show = |m: SweepMetric, v: f64| match m {
        SweepMetric::ShortThroughput => format!("{v:.3}"),
        _ => seconds(v),
    };
    html! {
        <section class="card" id="seed-spread">
            <header><h3>{ "Across seeds (1× load)" }</h3></header>
            <div class="table-wrap">
            <table class="results">
                <thead><tr><th>{ "metric" }</th>
                    { for p.policies.iter().map(|k| html! { <th data-policy={k.id()}>{ k.label() }</th> }) }
                </tr></thead>
                <tbody>
                { for METRICS.iter().map(|&(m, label)| html! {
                    <tr>
                        <th>{ label }</th>
                        { for p.policies.iter().map(|&k| match spread(&p.points, k, m) {
                            Some((lo, hi, n)) => html! {
                                <td data-policy={k.id()} title={format!("{n} seeds")}>{ format!("{} – {}", show(m, lo), show(m, hi)) }</td>
                            },
                            None => html! { <td data-policy={k.id()}>{ "…" }</td> },
                        }) }
                    </tr>
                }) }
                </tbody>
            </table>
            </div>
            <p class="note">{ "Minimum – maximum over the seeds the load sweep ran at the scenario's own load (its seed and the next ones; throughput in req/s). Differences between policies smaller than these ranges are within seed noise." }</p>
        </section>
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::fixtures::point;

    #[test]
    fn spread_needs_two_seeds_at_one_times_load() {
        let m = SweepMetric::ShortP99Delay;
        let pts = vec![point(1.0, 42, 2.0), point(0.5, 43, 9.0)];
        assert_eq!(spread(&pts, PolicyKind::Fifo, m), None);
        let pts = vec![
            point(1.0, 42, 2.0),
            point(1.0, 43, 1.0),
            point(1.0, 44, 3.0),
            point(0.5, 43, 9.0),
        ];
        assert_eq!(spread(&pts, PolicyKind::Fifo, m), Some((1.0, 3.0, 3)));
    }
}
