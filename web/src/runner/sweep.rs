//! The load sweep: the same scenario at several multiples of its arrival rate, for each
//! policy, with several seeds where the scenario draws random numbers and the budget allows.

use super::limits::Budget;
use super::run::{Run, Slice};
use crate::protocol::{FromWorker, Stage, SweepPoint};
use pecsched_core::metrics::Summary;
use pecsched_core::scenario::{Scenario, Source};
use pecsched_core::workload::Request;

/// Loads, relative to the scenario's rate.
pub const FACTORS: [f64; 6] = [0.25, 0.5, 0.75, 1.0, 1.25, 1.5];

/// Seeds per load where the scenario is random and the budget allows.
pub const SEEDS: u64 = 3;

/// One (load, seed) pair of the sweep.
#[derive(Clone, Copy, Debug, PartialEq)]
struct Point {
    factor: f64,
    seed: u64,
}

/// The sweep in progress.
pub(crate) struct Sweep {
    points: Vec<Point>,
    next: usize,
    /// The current point's requests and the index of the next policy.
    current: Option<(Point, Vec<Request>, usize)>,
    run: Option<Run>,
    /// The scenario's own results (load 1, its seed), reused instead of re-run.
    own: Vec<Summary>,
    cap: u64,
    budget: u64,
    events: u64,
    /// Why the sweep is smaller than asked, if it is.
    pub note: Option<String>,
}

impl Point {
    /// The scenario at this point's load and seed (validated by the core).
    fn scenario(&self, base: &Scenario) -> Result<Scenario, String> {
        base.at_load(self.factor, self.seed)
            .map_err(|e| format!("{}× load: {e}", self.factor))
    }
}

/// Whether the scenario's numbers depend on its seed.
fn is_random(s: &Scenario) -> bool {
    s.long_input().is_some() || matches!(s.source(), Source::Synthetic(_))
}

impl Sweep {
    /// Plans the sweep from the comparison's cost (`compare_events`) and results (`own`);
    /// `None` (with the reason) if even one seed would exceed the budget.
    pub fn plan(
        scenario: &Scenario,
        compare_events: u64,
        own: Vec<Summary>,
        budget: Budget,
    ) -> Result<Sweep, String> {
        let limit = budget.sweep_events;
        let per_seed = compare_events.saturating_mul(FACTORS.len() as u64);
        let seeds = if !is_random(scenario) {
            1
        } else if per_seed.saturating_mul(SEEDS) <= limit {
            SEEDS
        } else {
            1
        };
        let mut note = None;
        if per_seed > limit {
            return Err(format!(
                "The load sweep was skipped: it would take about {per_seed} simulation events, \
                 more than the explorer's budget of {limit}. Narrow the time window \
                 or use the command line."
            ));
        }
        if seeds == 1 && is_random(scenario) {
            note = Some("One seed per load (more would exceed the explorer's budget).".into());
        }
        let points = FACTORS
            .iter()
            .flat_map(|&factor| {
                (0..seeds).map(move |k| Point {
                    factor,
                    seed: scenario.seed().wrapping_add(k),
                })
            })
            .collect();
        Ok(Sweep {
            points,
            next: 0,
            current: None,
            run: None,
            own,
            cap: budget.per_policy(scenario.policies().len()),
            budget: limit,
            events: 0,
            note,
        })
    }

    fn done(&self, scenario: &Scenario) -> f64 {
        let per_point = scenario.policies().len().max(1) as f64;
        let policy = self.current.as_ref().map_or(0, |c| c.2) as f64;
        let run = self.run.as_ref().map_or(0.0, |r| r.progress());
        let point = self
            .next
            .saturating_sub(usize::from(self.current.is_some())) as f64;
        ((point * per_point + policy + run) / (self.points.len() as f64 * per_point)).min(1.0)
    }

    /// Runs for the events of `slice`; returns whether the sweep is over.
    pub fn advance(
        &mut self,
        scenario: &Scenario,
        trace: Option<&str>,
        slice: &mut Slice,
    ) -> Result<bool, String> {
        while slice.has_room() {
            if self.events >= self.budget && self.run.is_none() {
                self.note = Some(format!(
                    "The load sweep stopped at the explorer's budget of {} events; the points \
                     shown are complete.",
                    self.budget
                ));
                return Ok(true);
            }
            if let Some(run) = &mut self.run {
                if slice.advance(run) {
                    let f = self.run.take().expect("a run").finish();
                    self.events += f.events;
                    let (p, _, _) = self.current.as_ref().expect("a point");
                    slice.send(point(slice.generation, *p, f.summary, f.stopped.is_some()));
                }
                continue;
            }
            // Next policy of the current point, or the next point.
            let Some((p, reqs, i)) = &mut self.current else {
                let Some(&p) = self.points.get(self.next) else {
                    return Ok(true);
                };
                self.next += 1;
                let reqs = p
                    .scenario(scenario)?
                    .requests(trace)
                    .map_err(|e| e.to_string())?;
                self.current = Some((p, reqs, 0));
                continue;
            };
            let Some(&policy) = scenario.policies().get(*i) else {
                self.current = None;
                continue;
            };
            let own = (p.factor == 1.0 && p.seed == scenario.seed())
                .then(|| self.own.get(*i).cloned())
                .flatten();
            *i += 1;
            if let Some(summary) = own {
                slice.send(point(slice.generation, *p, summary, false));
                continue;
            }
            let at_point = p.scenario(scenario)?;
            self.run = Some(Run::start(&at_point, policy, reqs, 0, self.cap)?);
        }
        let label = match (&self.current, &self.run) {
            (Some((p, _, _)), Some(r)) => format!("{} at {}× load", r.policy.label(), p.factor),
            _ => String::new(),
        };
        slice.progress(Stage::Sweep, self.done(scenario), label);
        Ok(false)
    }
}

fn point(generation: u32, p: Point, summary: Summary, stopped: bool) -> FromWorker {
    FromWorker::SweepPoint {
        generation,
        point: Box::new(SweepPoint {
            factor: p.factor,
            seed: p.seed,
            summary,
            stopped,
        }),
    }
}
