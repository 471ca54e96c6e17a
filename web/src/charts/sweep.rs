//! The load sweep: a metric against load for each policy. The line follows the scenario's
//! seed (so at 1× it meets the comparison above); where several seeds ran, a band spans
//! their minimum to maximum.

use super::axis::{Frame, INK, legend, legend_rows, svg, x_axis, y_axis};
use super::card::ChartCard;
use super::palette;
use super::scale::{Scale, nice_max, seconds};
use crate::protocol::SweepPoint;
use crate::runner::FACTORS;
use pecsched_core::metrics::Summary;
use pecsched_core::policy::PolicyKind;
use yew::prelude::*;

/// What the sweep chart plots.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum SweepMetric {
    /// p99 queueing delay of short requests.
    ShortP99Delay,
    /// Completed short requests per second.
    ShortThroughput,
    /// Mean JCT of long requests.
    LongMeanJct,
    /// SLO attainment of the worse of the two classes (the share of its requests that met
    /// their SLO: what `pecsched-worker capacity` holds to a target).
    SloAttainment,
}

impl SweepMetric {
    /// The number for one run.
    pub fn value(self, s: &Summary) -> f64 {
        match self {
            SweepMetric::ShortP99Delay => s.short.queueing_delay.p99,
            SweepMetric::ShortThroughput => s.short.throughput_rps,
            SweepMetric::LongMeanJct => s.long.jct.mean,
            SweepMetric::SloAttainment => s.short.slo.attainment.min(s.long.slo.attainment),
        }
    }
    fn title(self) -> &'static str {
        match self {
            SweepMetric::ShortP99Delay => "Short p99 delay vs load",
            SweepMetric::ShortThroughput => "Short throughput vs load",
            SweepMetric::LongMeanJct => "Long mean JCT vs load",
            SweepMetric::SloAttainment => "SLO attainment vs load",
        }
    }
    fn axis(self) -> &'static str {
        match self {
            SweepMetric::ShortP99Delay => "p99 queueing delay (s, log)",
            SweepMetric::ShortThroughput => "throughput (req/s)",
            SweepMetric::LongMeanJct => "mean JCT (s)",
            SweepMetric::SloAttainment => "SLO attained, worse class (share)",
        }
    }
    /// The hover text of one point: policy, load, value, and the spread over seeds.
    pub fn hover(self, policy: &str, factor: f64, v: f64, lo: f64, hi: f64) -> String {
        let show = |x: f64| match self {
            SweepMetric::ShortThroughput => format!("{x:.3} req/s"),
            SweepMetric::SloAttainment => format!("{:.1} % met their SLO", x * 100.0),
            _ => seconds(x),
        };
        let spread = if hi > lo {
            format!(" (seeds: {} to {})", show(lo), show(hi))
        } else {
            String::new()
        };
        format!("{policy} at {factor}× load: {}{spread}", show(v))
    }

    fn id(self) -> &'static str {
        match self {
            SweepMetric::ShortP99Delay => "chart-sweep-delay",
            SweepMetric::ShortThroughput => "chart-sweep-throughput",
            SweepMetric::LongMeanJct => "chart-sweep-jct",
            SweepMetric::SloAttainment => "chart-sweep-slo",
        }
    }
}

/// The runs of one policy at one load, one per seed that ran: `(seed, value of the metric)`.
#[derive(Clone, Debug, PartialEq)]
pub struct SeedRuns(Vec<(u64, f64)>);

impl SeedRuns {
    /// The runs of `policy` at load `factor` among `points`, valued by `m`.
    pub fn of(points: &[SweepPoint], policy: PolicyKind, factor: f64, m: SweepMetric) -> SeedRuns {
        SeedRuns(
            points
                .iter()
                .filter(|p| p.factor == factor && p.summary.policy == policy)
                .map(|p| (p.seed, m.value(&p.summary)))
                .collect(),
        )
    }

    /// How many seeds ran.
    pub fn seeds(&self) -> usize {
        self.0.len()
    }

    /// The value at `seed`, if that seed ran.
    pub fn at(&self, seed: u64) -> Option<f64> {
        self.0.iter().find(|v| v.0 == seed).map(|v| v.1)
    }

    /// `(min, max)` over the seeds (`(∞, −∞)` when none ran).
    pub fn range(&self) -> (f64, f64) {
        let lo = self.0.iter().map(|v| v.1).fold(f64::INFINITY, f64::min);
        let hi = self.0.iter().map(|v| v.1).fold(f64::NEG_INFINITY, f64::max);
        (lo, hi)
    }
}

/// Per load: (value at the scenario's seed, min, max) over the seeds that ran.
pub fn series(
    points: &[SweepPoint],
    policy: PolicyKind,
    seed: u64,
    m: SweepMetric,
) -> Vec<(f64, Option<f64>, f64, f64)> {
    FACTORS
        .iter()
        .filter_map(|&f| {
            let runs = SeedRuns::of(points, policy, f, m);
            let (lo, hi) = runs.range();
            (runs.seeds() > 0).then(|| (f, runs.at(seed), lo, hi))
        })
        .collect()
}

/// Props of [`SweepChart`].
#[derive(Properties, PartialEq)]
pub struct Props {
    /// Points so far.
    pub points: Vec<SweepPoint>,
    /// Policies, in display order.
    pub policies: Vec<PolicyKind>,
    /// The scenario's seed.
    pub seed: u64,
    /// What to plot.
    pub metric: SweepMetric,
}

/// One metric of the load sweep.
#[component]
pub fn SweepChart(p: &Props) -> Html {
    let m = p.metric;
    let labels: Vec<String> = p
        .policies
        .iter()
        .map(|k| palette::policy_short(*k).to_string())
        .collect();
    let rows = legend_rows(&labels, 320.0) as f64;
    let mut f = Frame::new(400.0, 270.0 + 16.0 * rows);
    f.top = 24.0 + 16.0 * rows;
    let all: Vec<_> = p
        .policies
        .iter()
        .map(|&k| (k, series(&p.points, k, p.seed, m)))
        .collect();
    let max = all
        .iter()
        .flat_map(|(_, s)| s.iter().map(|v| v.3))
        .fold(0.0, f64::max);
    let x = Scale::linear(0.2, 1.55, f.x0(), f.x1());
    let y = if m == SweepMetric::ShortP99Delay {
        Scale::log(
            1e-3,
            10f64.powf(max.max(1.0).log10().ceil()),
            f.y0(),
            f.y1(),
        )
    } else if m == SweepMetric::SloAttainment {
        Scale::linear(0.0, 1.0, f.y0(), f.y1())
    } else {
        Scale::linear(0.0, nice_max(max), f.y0(), f.y1())
    };
    let lines = all.iter().map(|(k, s)| {
        let colour = palette::policy(*k);
        let band: Vec<String> = s.iter().map(|v| format!("{:.1},{:.1}", x.map(v.0), y.map(v.3)))
            .chain(s.iter().rev().map(|v| format!("{:.1},{:.1}", x.map(v.0), y.map(v.2))))
            .collect();
        let own: Vec<(f64, f64)> = s.iter().filter_map(|v| v.1.map(|o| (x.map(v.0), y.map(o)))).collect();
        let path: Vec<String> = own.iter().map(|(a, b)| format!("{a:.1},{b:.1}")).collect();
        html! {
            <g data-policy={k.id()}>
                if s.iter().any(|v| v.3 > v.2) {
                    <polygon points={band.join(" ")} fill={colour} fill-opacity="0.18" stroke="none" />
                }
                <polyline points={path.join(" ")} fill="none" stroke={colour} stroke-width="2" />
                { for s.iter().filter_map(|v| v.1.map(|o| (v, o))).map(|(v, o)| {
                    let tip = m.hover(k.label(), v.0, o, v.2, v.3);
                    html! {
                        <circle cx={format!("{:.1}", x.map(v.0))} cy={format!("{:.1}", y.map(o))} r="4" fill={colour}
                            data-factor={v.0.to_string()} tabindex="0" aria-label={tip.clone()}>
                            <title>{ tip }</title>
                        </circle>
                    }
                }) }
            </g>
        }
    });
    let items: Vec<(String, &str)> = p
        .policies
        .iter()
        .map(|k| (palette::policy_short(*k).to_string(), palette::policy(*k)))
        .collect();
    let body = html! { <>
        { y_axis(&f, &y, &y.ticks(5), m.axis()) }
        { x_axis(&f, &x, &FACTORS, "load (× the scenario's rate)") }
        { for lines }
        { legend(&items, f.x0(), 16.0, f.x1() - f.x0()) }
        if p.points.is_empty() {
            <text x={((f.x0() + f.x1()) / 2.0).to_string()} y={((f.y0() + f.y1()) / 2.0).to_string()} text-anchor="middle" fill={INK}>{ "waiting for the sweep…" }</text>
        }
    </> };
    html! {
        <ChartCard id={m.id()} title={m.title()} file={format!("{}.svg", m.id())}>
            { svg(&f, m.title(), body) }
        </ChartCard>
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::fixtures::point;

    #[test]
    fn the_line_follows_the_scenarios_seed_and_the_band_spans_all_seeds() {
        let pts = [
            point(0.5, 42, 2.0),
            point(0.5, 43, 1.0),
            point(0.5, 44, 5.0),
            point(1.0, 43, 3.0),
        ];
        let s = series(&pts, PolicyKind::Fifo, 42, SweepMetric::ShortP99Delay);
        assert_eq!(s, vec![(0.5, Some(2.0), 1.0, 5.0), (1.0, None, 3.0, 3.0)]);
        assert!(series(&pts, PolicyKind::PecSched, 42, SweepMetric::ShortP99Delay).is_empty());
        let slo = SweepMetric::SloAttainment.hover("SJF", 2.0, 0.875, 0.875, 0.875);
        assert_eq!(slo, "SJF at 2× load: 87.5 % met their SLO");
        let t = SweepMetric::ShortP99Delay.hover("FIFO", 0.5, 2.0, 1.0, 5.0);
        assert!(
            t.starts_with("FIFO at 0.5× load: ") && t.contains("seeds"),
            "{t}"
        );
    }

    #[test]
    fn slo_attainment_is_the_worse_class() {
        let mut s = point(1.0, 42, 1.0).summary;
        s.short.slo.attainment = 0.95;
        s.long.slo.attainment = 0.5;
        assert_eq!(SweepMetric::SloAttainment.value(&s), 0.5);
    }
}
