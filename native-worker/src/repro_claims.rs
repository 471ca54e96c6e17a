//! The paper's claims (docs/paper.md §5), one per model, judged on our runs: the checkable
//! objects `repro --claims-json` writes and the generated docs/reproduction.md reads.
//!
//! Each claim is judged at its model's chosen point (the paper's regime, see
//! `repro/points.rs`), except the pause-state share, a property of the model. A claim
//! states its quantity on the paper's scale (× ratio, % change, share, count, % of JCT); the
//! direction is the side of the neutral point (1×, 0 %) the paper's value lies on, or the
//! comparison the paper draws (Reservation idles more than FIFO; most long requests starve
//! under Priority; the preemption order PecSched < /Dis < /CoL < /FSP).

use crate::repro::judge::{Direction, Paper, judge, short};
use crate::repro::points::{ModelRun, Point, SATURATED_FIFO_IDLE};
use PolicyKind::{
    Fifo, PecSched, PecSchedNoColocation as Col, PecSchedNoDisaggregation as Dis,
    PecSchedNoFastSp as Fsp, PecSchedNoPreemption as Pe, Priority, Reservation,
};
use pecsched_core::metrics::{ClassSummary, Summary};
use pecsched_core::model::ModelKind;
use pecsched_core::policy::PolicyKind;
use serde::Serialize;

/// The unit a claim's numbers are stated in.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub enum Unit {
    /// A ratio (`2.5×`).
    #[serde(rename = "×")]
    Ratio,
    /// A relative change in percent (`−58 %`).
    #[serde(rename = "% change")]
    Change,
    /// A share between 0 and 1.
    #[serde(rename = "share")]
    Share,
    /// A count.
    #[serde(rename = "count")]
    Count,
    /// A percentage.
    #[serde(rename = "%")]
    Percent,
}

impl Unit {
    /// `x` as a claim table shows it.
    pub fn show(self, x: f64) -> String {
        match self {
            Unit::Ratio => format!("{}×", short(x)),
            Unit::Change => format!("{:+.1} %", x),
            Unit::Share | Unit::Count => short(x),
            Unit::Percent => format!("{} %", short(x)),
        }
    }
}

/// One claim judged on one model, as `--claims-json` writes it.
#[derive(Clone, Debug, Serialize)]
pub struct ClaimResult {
    /// `<§5 item>.<name>/<model id>`, e.g. `1.fifo_short_p99_with_vs_without_long/yi-34b`.
    pub id: String,
    /// The claim in words.
    pub claim: String,
    /// The model's id.
    pub model: String,
    /// The unit of `paper` and `ours`.
    pub unit: Unit,
    /// The paper's value, or range (`[lo, hi]`, `null` for an open side).
    pub paper: Paper,
    /// Our number (`null` when not measured or undefined).
    pub ours: Option<f64>,
    /// Whether our effect points the paper's way (see `rule`).
    pub direction_reproduced: bool,
    /// Whether ours lies inside the paper's range widened by ±25 %.
    pub within_25pct: bool,
    /// Where it was judged: the regime, its rate, FIFO's idle rate and whether the paper's
    /// regime (FIFO idle ≈ 0) holds there.
    pub regime: String,
    /// The measured operands and the direction rule.
    pub note: String,
    /// Measured reasons when the claim does not reproduce in direction or within ±25 %.
    pub why: String,
}

/// How a claim's paper value is given.
#[derive(Clone, Copy)]
enum Values {
    /// One value per model, in the order Mistral 7B, Phi-3 14B, Yi 34B, Llama-3.1 70B.
    PerModel([f64; 4]),
    /// One value or range for every model (the paper's range spans the four).
    All(Paper),
}

impl Values {
    fn for_model(self, m: ModelKind) -> Paper {
        match self {
            Values::All(p) => p,
            Values::PerModel(v) => match paper_index(m) {
                Some(i) => Paper::Value(v[i]),
                None => Paper::Range(
                    Some(v.iter().copied().fold(f64::INFINITY, f64::min)),
                    Some(v.iter().copied().fold(f64::NEG_INFINITY, f64::max)),
                ),
            },
        }
    }
}

/// The model's column in the paper's per-model tables.
fn paper_index(m: ModelKind) -> Option<usize> {
    match m {
        ModelKind::Mistral7B => Some(0),
        ModelKind::Phi3Medium14B => Some(1),
        ModelKind::Yi34B => Some(2),
        ModelKind::Llama31_70B => Some(3),
        _ => None,
    }
}

/// Our number with the operands it came from, in words.
type Ours = Option<(f64, String)>;

/// One claim of §5.
struct Def {
    id: &'static str,
    text: &'static str,
    unit: Unit,
    values: Values,
    /// Which way the effect must point, given the point and the paper's value.
    direction: fn(&Point, Paper) -> Direction,
    /// Our number at the judged point.
    ours: fn(&Point, &ModelRun) -> Ours,
    /// Not measured by `repro`: why (then `ours` is never called).
    not_run: Option<&'static str>,
    /// Measured reasons to show when it does not reproduce.
    why: fn(&Point, &ModelRun) -> String,
}

fn ratio_dir(_: &Point, p: Paper) -> Direction {
    Direction::from_paper(p, 1.0)
}

fn change_dir(_: &Point, p: Paper) -> Direction {
    Direction::from_paper(p, 0.0)
}

fn s(p: &Point, k: PolicyKind) -> &Summary {
    p.summary(k)
}

/// `a ÷ b` with both named, `None` when `b` is 0 or either is not finite.
fn ratio(a: f64, b: f64, what: &str, na: &str, nb: &str, unit: &str) -> Ours {
    let words = format!(
        "{what}: {na} {} {unit} ÷ {nb} {} {unit}",
        short(a),
        short(b)
    );
    (b > 0.0 && a.is_finite() && b.is_finite()).then(|| (a / b, words.clone()))
}

/// `(a ÷ b − 1) × 100`.
fn change(a: f64, b: f64, what: &str, na: &str, nb: &str, unit: &str) -> Ours {
    ratio(a, b, what, na, nb, unit).map(|(r, w)| ((r - 1.0) * 100.0, w))
}

/// Short p99 queueing delay over every request (never-started ones counted at the horizon:
/// docs/metrics.md), so a policy that leaves most short requests unserved cannot look fast.
fn p99(c: &ClassSummary) -> f64 {
    c.queueing_delay_all.p99_s
}

fn qd(p: &Point, a: PolicyKind, b: PolicyKind) -> (f64, f64) {
    (p99(&s(p, a).short), p99(&s(p, b).short))
}

fn tput(p: &Point, a: PolicyKind, b: PolicyKind) -> (f64, f64) {
    (s(p, a).short.throughput_rps, s(p, b).short.throughput_rps)
}

fn jct(p: &Point, a: PolicyKind, b: PolicyKind) -> (f64, f64) {
    (s(p, a).long.jct_all.mean_s, s(p, b).long.jct_all.mean_s)
}

/// Short requests' side of the story: offered rate against capacity, then per policy what
/// it completed inside the arrivals' span and its p99 over the requests that started.
fn short_context(p: &Point, run: &ModelRun, policies: &[PolicyKind]) -> String {
    let offered = p.demand.map_or(0.0, |d| d.short_requests as f64 / d.span_s);
    let cap = run.capacity.map_or(0.0, |c| c.cluster_rps);
    let mut out = format!(
        "shorts arrive at {} req/s = {} of the short capacity ({} req/s at full batching)",
        short(offered),
        short(p.short_load()),
        short(cap)
    );
    for &k in policies {
        let c = &s(p, k).short;
        let all = c.queueing_delay_all;
        let p99 = format!(
            "p99 {} s over all {} ({} never started, counted at the horizon; {} s over the {} started)",
            short(all.p99_s),
            all.n,
            all.censored,
            short(c.queueing_delay.p99),
            c.queueing_delay.n
        );
        out += &format!(
            "; {}: {} req/s in the span, {}/{} served, {p99}",
            k.id(),
            short(c.throughput_rps),
            c.completed,
            c.count,
        );
    }
    out
}

/// Long requests' side: the demand split, then per policy served, never started and the
/// long JCT over all (censored) and over the completed.
fn long_context(p: &Point, policies: &[PolicyKind]) -> String {
    let mut out = match p.demand {
        Some(d) => format!(
            "long prefills = {:.1} % of the GPU demand ({} of {} requests), {}× the cluster over the arrivals",
            d.long_share() * 100.0,
            d.long_requests,
            d.long_requests + d.short_requests,
            short(p.long_load()),
        ),
        None => "no demand figures".into(),
    };
    for &k in policies {
        let c = &s(p, k).long;
        let completed = if c.jct.n == 0 {
            "none completed".to_string()
        } else {
            format!("completed {} s", short(c.jct.mean))
        };
        out += &format!(
            "; {}: {}/{} long served, {} never started, JCT all {} s ({} censored), {completed}",
            k.id(),
            c.completed,
            c.count,
            c.starved,
            short(c.jct_all.mean_s),
            c.jct_all.censored,
        );
    }
    out
}

const DEFS: &[Def] = &[
    Def {
        id: "1.fifo_short_p99_with_vs_without_long",
        text: "FIFO: short p99 queueing delay with ÷ without long requests",
        unit: Unit::Ratio,
        values: Values::PerModel([2.5, 2.78, 3.84, 10.2]),
        direction: ratio_dir,
        ours: |p, _| {
            ratio(
                p99(&s(p, Fifo).short),
                p99(&p.fifo_no_long.short),
                "short p99 queueing delay",
                "fifo",
                "fifo-no-long",
                "s",
            )
        },
        not_run: None,
        why: |p, _| long_context(p, &[Fifo]),
    },
    Def {
        id: "1.fifo_short_throughput_with_vs_without_long",
        text: "FIFO: short throughput with ÷ without long requests",
        unit: Unit::Ratio,
        values: Values::PerModel([0.64, 0.56, 0.39, 0.19]),
        direction: ratio_dir,
        ours: |p, _| {
            ratio(
                s(p, Fifo).short.throughput_rps,
                p.fifo_no_long.short.throughput_rps,
                "short throughput over the arrivals",
                "fifo",
                "fifo-no-long",
                "req/s",
            )
        },
        not_run: None,
        why: |p, r| {
            format!(
                "{}; {}",
                short_context(p, r, &[Fifo]),
                long_context(p, &[Fifo])
            )
        },
    },
    Def {
        id: "2.fifo_gpu_idle",
        text: "FIFO: GPU idle rate (Eq. 1) ≈ 0",
        unit: Unit::Share,
        values: Values::PerModel([0.0004, 0.00009, 0.0005, 0.00008]),
        direction: |p, _| Direction::Below(s(p, Reservation).gpu_idle_rate),
        ours: |p, _| {
            let (f, r) = (s(p, Fifo).gpu_idle_rate, s(p, Reservation).gpu_idle_rate);
            Some((
                f,
                format!(
                    "GPU idle rate over the arrivals: fifo {}, reservation {}",
                    short(f),
                    short(r)
                ),
            ))
        },
        not_run: None,
        why: |p, _| {
            format!(
                "the paper's 0.00008–0.0005 is a cluster busy in all but 1/2000 of its GPU-time (we call ≤ {SATURATED_FIFO_IDLE} saturated); {}",
                long_context(p, &[Fifo])
            )
        },
    },
    Def {
        id: "2.reservation_gpu_idle",
        text: "Reservation: GPU idle rate (Eq. 1)",
        unit: Unit::Share,
        values: Values::PerModel([0.16, 0.22, 0.25, 0.41]),
        direction: |p, _| Direction::Above(s(p, Fifo).gpu_idle_rate),
        ours: |p, _| {
            let (r, f) = (s(p, Reservation).gpu_idle_rate, s(p, Fifo).gpu_idle_rate);
            Some((
                r,
                format!(
                    "GPU idle rate over the arrivals: reservation {}, fifo {}",
                    short(r),
                    short(f)
                ),
            ))
        },
        not_run: None,
        why: |p, _| long_context(p, &[Reservation]),
    },
    Def {
        id: "2.reservation_vs_fifo_short_p99",
        text: "Reservation ÷ FIFO: short p99 queueing delay",
        unit: Unit::Ratio,
        values: Values::PerModel([1.2, 1.35, 1.8, 1.94]),
        direction: ratio_dir,
        ours: |p, _| {
            let (a, b) = qd(p, Reservation, Fifo);
            ratio(a, b, "short p99 queueing delay", "reservation", "fifo", "s")
        },
        not_run: None,
        why: |p, r| {
            format!(
                "{}; {}",
                short_context(p, r, &[Reservation, Fifo]),
                long_context(p, &[])
            )
        },
    },
    Def {
        id: "2.reservation_vs_fifo_short_throughput",
        text: "Reservation ÷ FIFO: short throughput",
        unit: Unit::Ratio,
        values: Values::PerModel([0.49, 0.47, 0.46, 0.44]),
        direction: ratio_dir,
        ours: |p, _| {
            let (a, b) = tput(p, Reservation, Fifo);
            ratio(a, b, "short throughput", "reservation", "fifo", "req/s")
        },
        not_run: None,
        why: |p, r| short_context(p, r, &[Reservation, Fifo]),
    },
    Def {
        id: "3.priority_long_starvation",
        text: "Priority: share of long requests never served",
        unit: Unit::Share,
        values: Values::PerModel([0.92, 0.97, 1.0, 1.0]),
        direction: |_, _| Direction::Above(0.5),
        ours: |p, _| {
            let c = &s(p, Priority).long;
            Some((
                c.starvation_share,
                format!(
                    "priority: {} of {} long requests never started and {} rejected by the horizon (fifo: {} never started)",
                    c.starved,
                    c.count,
                    c.rejected,
                    s(p, Fifo).long.starved
                ),
            ))
        },
        not_run: None,
        why: |p, r| {
            format!(
                "{}; {}",
                long_context(p, &[Priority]),
                short_context(p, r, &[Priority])
            )
        },
    },
    Def {
        id: "4.pecsched_vs_fifo_short_p99",
        text: "PecSched vs FIFO: short p99 queueing delay",
        unit: Unit::Change,
        values: Values::All(Paper::Range(Some(-87.0), Some(-58.0))),
        direction: change_dir,
        ours: |p, _| {
            let (a, b) = qd(p, PecSched, Fifo);
            change(a, b, "short p99 queueing delay", "pecsched", "fifo", "s")
        },
        not_run: None,
        why: |p, r| short_context(p, r, &[PecSched, Fifo]),
    },
    Def {
        id: "4.pecsched_vs_reservation_short_p99",
        text: "PecSched vs Reservation: short p99 queueing delay",
        unit: Unit::Change,
        values: Values::All(Paper::Range(Some(-92.0), Some(-61.0))),
        direction: change_dir,
        ours: |p, _| {
            let (a, b) = qd(p, PecSched, Reservation);
            change(
                a,
                b,
                "short p99 queueing delay",
                "pecsched",
                "reservation",
                "s",
            )
        },
        not_run: None,
        why: |p, r| short_context(p, r, &[PecSched, Reservation]),
    },
    Def {
        id: "4.pecsched_vs_priority_short_p99",
        text: "PecSched ÷ Priority: short p99 queueing delay ≈ equal",
        unit: Unit::Ratio,
        values: Values::All(Paper::Value(1.0)),
        direction: ratio_dir,
        ours: |p, _| {
            let (a, b) = qd(p, PecSched, Priority);
            ratio(
                a,
                b,
                "short p99 queueing delay",
                "pecsched",
                "priority",
                "s",
            )
        },
        not_run: None,
        why: |p, r| short_context(p, r, &[PecSched, Priority]),
    },
    Def {
        id: "5.pecsched_vs_fifo_short_throughput",
        text: "PecSched vs FIFO: short throughput",
        unit: Unit::Change,
        values: Values::All(Paper::Range(Some(42.0), Some(318.0))),
        direction: change_dir,
        ours: |p, _| {
            let (a, b) = tput(p, PecSched, Fifo);
            change(a, b, "short throughput", "pecsched", "fifo", "req/s")
        },
        not_run: None,
        why: |p, r| short_context(p, r, &[PecSched, Fifo]),
    },
    Def {
        id: "5.pecsched_vs_reservation_short_throughput",
        text: "PecSched vs Reservation: short throughput",
        unit: Unit::Change,
        values: Values::All(Paper::Range(Some(193.0), Some(595.0))),
        direction: change_dir,
        ours: |p, _| {
            let (a, b) = tput(p, PecSched, Reservation);
            change(a, b, "short throughput", "pecsched", "reservation", "req/s")
        },
        not_run: None,
        why: |p, r| short_context(p, r, &[PecSched, Reservation]),
    },
    Def {
        id: "5.pecsched_vs_priority_short_throughput",
        text: "PecSched ÷ Priority: short throughput ≈ equal",
        unit: Unit::Ratio,
        values: Values::All(Paper::Value(1.0)),
        direction: ratio_dir,
        ours: |p, _| {
            let (a, b) = tput(p, PecSched, Priority);
            ratio(a, b, "short throughput", "pecsched", "priority", "req/s")
        },
        not_run: None,
        why: |p, r| short_context(p, r, &[PecSched, Priority]),
    },
    Def {
        id: "6.pecsched_vs_fifo_long_jct",
        text: "PecSched vs FIFO: mean long JCT (all long requests, unfinished censored)",
        unit: Unit::Change,
        values: Values::All(Paper::Range(Some(4.0), Some(7.0))),
        direction: change_dir,
        ours: |p, _| {
            let (a, b) = jct(p, PecSched, Fifo);
            change(a, b, "censored mean long JCT", "pecsched", "fifo", "s")
        },
        not_run: None,
        why: |p, _| long_context(p, &[PecSched, Fifo]),
    },
    Def {
        id: "6.pecsched_vs_reservation_long_jct",
        text: "PecSched vs Reservation: mean long JCT (all long requests, unfinished censored)",
        unit: Unit::Change,
        values: Values::All(Paper::Range(Some(6.0), Some(13.0))),
        direction: change_dir,
        ours: |p, _| {
            let (a, b) = jct(p, PecSched, Reservation);
            change(
                a,
                b,
                "censored mean long JCT",
                "pecsched",
                "reservation",
                "s",
            )
        },
        not_run: None,
        why: |p, _| long_context(p, &[PecSched, Reservation]),
    },
    Def {
        id: "6.priority_long_jct_unbounded",
        text: "Priority: long JCT unbounded (share of long requests without a JCT by the horizon)",
        unit: Unit::Share,
        values: Values::All(Paper::Range(Some(0.9), Some(1.0))),
        direction: |_, _| Direction::Above(0.5),
        ours: |p, _| {
            let c = &s(p, Priority).long;
            let n = c.count - c.rejected;
            (n > 0).then(|| {
                (
                    c.jct_all.censored as f64 / n as f64,
                    format!(
                        "priority: {} of {} servable long requests unfinished at the horizon",
                        c.jct_all.censored, n
                    ),
                )
            })
        },
        not_run: None,
        why: |p, _| long_context(p, &[Priority]),
    },
    Def {
        id: "7.pe_vs_pecsched_short_p99",
        text: "/PE vs PecSched: short p99 queueing delay",
        unit: Unit::Change,
        values: Values::All(Paper::Range(Some(75.0), Some(376.0))),
        direction: change_dir,
        ours: |p, _| {
            let (a, b) = qd(p, Pe, PecSched);
            change(
                a,
                b,
                "short p99 queueing delay",
                "pecsched/pe",
                "pecsched",
                "s",
            )
        },
        not_run: None,
        why: |p, r| short_context(p, r, &[Pe, PecSched]),
    },
    Def {
        id: "7.pe_vs_pecsched_short_throughput",
        text: "/PE vs PecSched: short throughput",
        unit: Unit::Change,
        values: Values::All(Paper::Range(Some(-48.0), Some(-21.0))),
        direction: change_dir,
        ours: |p, _| {
            let (a, b) = tput(p, Pe, PecSched);
            change(a, b, "short throughput", "pecsched/pe", "pecsched", "req/s")
        },
        not_run: None,
        why: |p, r| short_context(p, r, &[Pe, PecSched]),
    },
    Def {
        id: "7.pe_vs_pecsched_long_jct",
        text: "/PE vs PecSched: mean long JCT",
        unit: Unit::Change,
        values: Values::All(Paper::Range(Some(-18.0), Some(-14.0))),
        direction: change_dir,
        ours: |p, _| {
            let (a, b) = jct(p, Pe, PecSched);
            change(
                a,
                b,
                "censored mean long JCT",
                "pecsched/pe",
                "pecsched",
                "s",
            )
        },
        not_run: None,
        why: |p, _| long_context(p, &[Pe, PecSched]),
    },
    Def {
        id: "7.dis_vs_pecsched_long_jct",
        text: "/Dis vs PecSched: mean long JCT",
        unit: Unit::Change,
        values: Values::All(Paper::Range(Some(21.0), Some(29.0))),
        direction: change_dir,
        ours: |p, _| {
            let (a, b) = jct(p, Dis, PecSched);
            change(
                a,
                b,
                "censored mean long JCT",
                "pecsched/dis",
                "pecsched",
                "s",
            )
        },
        not_run: None,
        why: |p, _| long_context(p, &[Dis, PecSched]),
    },
    Def {
        id: "7.col_vs_pecsched_long_jct",
        text: "/CoL vs PecSched: mean long JCT",
        unit: Unit::Change,
        values: Values::All(Paper::Range(Some(23.0), Some(26.0))),
        direction: change_dir,
        ours: |p, _| {
            let (a, b) = jct(p, Col, PecSched);
            change(
                a,
                b,
                "censored mean long JCT",
                "pecsched/col",
                "pecsched",
                "s",
            )
        },
        not_run: None,
        why: |p, _| long_context(p, &[Col, PecSched]),
    },
    Def {
        id: "7.fsp_vs_pecsched_long_jct",
        text: "/FSP vs PecSched: mean long JCT",
        unit: Unit::Change,
        values: Values::All(Paper::Range(Some(39.0), Some(55.0))),
        direction: change_dir,
        ours: |p, _| {
            let (a, b) = jct(p, Fsp, PecSched);
            change(
                a,
                b,
                "censored mean long JCT",
                "pecsched/fsp",
                "pecsched",
                "s",
            )
        },
        not_run: None,
        why: |p, _| long_context(p, &[Fsp, PecSched]),
    },
    Def {
        id: "8.preemptions_pecsched",
        text: "Preemptions of long requests, PecSched (order PecSched < /Dis < /CoL < /FSP)",
        unit: Unit::Count,
        values: Values::PerModel([94_057.0, 116_290.0, 139_247.0, 170_914.0]),
        direction: |p, _| Direction::Below(preempt(p, Dis)),
        ours: |p, _| preemptions(p, PecSched),
        not_run: None,
        why: |p, _| preemption_context(p),
    },
    Def {
        id: "8.preemptions_dis",
        text: "Preemptions of long requests, /Dis (order PecSched < /Dis < /CoL < /FSP)",
        unit: Unit::Count,
        values: Values::PerModel([108_552.0, 133_784.0, 156_891.0, 203_628.0]),
        direction: |p, _| Direction::Between(preempt(p, PecSched), preempt(p, Col)),
        ours: |p, _| preemptions(p, Dis),
        not_run: None,
        why: |p, _| preemption_context(p),
    },
    Def {
        id: "8.preemptions_col",
        text: "Preemptions of long requests, /CoL (order PecSched < /Dis < /CoL < /FSP)",
        unit: Unit::Count,
        values: Values::PerModel([130_925.0, 167_607.0, 209_834.0, 261_720.0]),
        direction: |p, _| Direction::Between(preempt(p, Dis), preempt(p, Fsp)),
        ours: |p, _| preemptions(p, Col),
        not_run: None,
        why: |p, _| preemption_context(p),
    },
    Def {
        id: "8.preemptions_fsp",
        text: "Preemptions of long requests, /FSP (order PecSched < /Dis < /CoL < /FSP)",
        unit: Unit::Count,
        values: Values::PerModel([167_394.0, 205_947.0, 278_504.0, 379_305.0]),
        direction: |p, _| Direction::Above(preempt(p, Col)),
        ours: |p, _| preemptions(p, Fsp),
        not_run: None,
        why: |p, _| preemption_context(p),
    },
    Def {
        id: "9.pause_state_share",
        text: "Pause state (one inter-kernel activation) ÷ the request's KV",
        unit: Unit::Percent,
        values: Values::All(Paper::Range(None, Some(5.0))),
        direction: |_, p| Direction::from_paper(p, 0.0),
        ours: |_, r| {
            let m = r.model.spec();
            Some((
                r.pause_state_share * 100.0,
                format!(
                    "one layer's hidden state per token (d = {} × 2 B) ÷ KV per token over all layers (2 × {} layers × {} KV heads × {} head dim × 2 B)",
                    m.hidden, m.layers, m.kv_heads, m.head_dim
                ),
            ))
        },
        not_run: None,
        why: |_, _| {
            "a model property, not a run: the paper says 'typically < 5 %' without its accounting; ours counts one layer's hidden state (d values per token) against the KV of every layer".into()
        },
    },
    Def {
        id: "10.overhead_short_p99",
        text: "PecSched: p99 of scheduling time ÷ JCT, short requests (≤ 0.354 %)",
        unit: Unit::Percent,
        values: Values::PerModel([0.354, 0.282, 0.196, 0.071]),
        direction: |_, _| Direction::Below(0.354),
        ours: |p, _| {
            Some((
                p.overhead_p99_pct.0,
                format!(
                    "p99 over short requests of (decision time of the dispatch calls that placed them ÷ JCT); PecSched's p99 decision time {} µs on this machine",
                    short(p.decision_p99_us)
                ),
            ))
        },
        not_run: None,
        why: |_, _| {
            "the paper times a Python scheduler inside vLLM, plus context switches; ours times the simulator's Rust policy, whose decisions take microseconds".into()
        },
    },
    Def {
        id: "10.overhead_long_p99",
        text: "PecSched: p99 of scheduling time ÷ JCT, long requests (≤ 0.183 %)",
        unit: Unit::Percent,
        values: Values::PerModel([0.183, 0.147, 0.055, 0.019]),
        direction: |_, _| Direction::Below(0.183),
        ours: |p, _| {
            Some((
                p.overhead_p99_pct.1,
                format!(
                    "p99 over long requests; PecSched's p99 decision time {} µs on this machine",
                    short(p.decision_p99_us)
                ),
            ))
        },
        not_run: None,
        why: |_, _| {
            "the paper times a Python scheduler and the SP-plan search; ours times the simulator's Rust policy".into()
        },
    },
    Def {
        id: "10.overhead_8192_gpus",
        text: "PecSched: p99 scheduling time ÷ JCT at 8,192 GPUs (< 5.2 %; < 1.1 % for Llama-3.1 70B)",
        unit: Unit::Percent,
        values: Values::PerModel([5.2, 5.2, 5.2, 1.1]),
        direction: |_, p| Direction::from_paper(p, 0.0),
        ours: |_, _| None,
        not_run: Some(
            "not measured by repro (a cluster of 8,192 GPUs per model): `pecsched-worker scale` times the decisions",
        ),
        why: |_, _| String::new(),
    },
];

fn preempt(p: &Point, k: PolicyKind) -> f64 {
    s(p, k).long.preemptions as f64
}

fn preemptions(p: &Point, k: PolicyKind) -> Ours {
    let c = &s(p, k).long;
    Some((
        c.preemptions as f64,
        format!(
            "{}: {} preemptions over {} long requests (pecsched {}, /dis {}, /col {}, /fsp {})",
            k.id(),
            c.preemptions,
            c.count,
            preempt(p, PecSched),
            preempt(p, Dis),
            preempt(p, Col),
            preempt(p, Fsp)
        ),
    ))
}

fn preemption_context(p: &Point) -> String {
    let c = &s(p, PecSched).long;
    let per = if c.count > 0 {
        c.preemptions as f64 / c.count as f64
    } else {
        0.0
    };
    format!(
        "{} long requests here, {} preemptions each under PecSched (the paper does not say over how many long requests its counts are); {}",
        c.count,
        short(per),
        long_context(p, &[])
    )
}

/// Every claim judged on every model run.
pub fn evaluate(runs: &[ModelRun]) -> Vec<ClaimResult> {
    let mut out = Vec::new();
    for d in DEFS {
        for r in runs {
            let p = r.at();
            let paper = d.values.for_model(r.model);
            let direction = (d.direction)(p, paper);
            let ours = match d.not_run {
                Some(_) => None,
                None => (d.ours)(p, r),
            };
            let (direction_reproduced, within_25pct) =
                judge(paper, direction, ours.as_ref().map(|o| o.0));
            let regime = if d.id.starts_with("9.") {
                "any (a property of the model)".to_string()
            } else if d.not_run.is_some() {
                "not run".to_string()
            } else {
                r.regime_words()
            };
            let note = match (&ours, d.not_run) {
                (_, Some(why)) => why.to_string(),
                (Some((_, words)), None) => {
                    format!("{words}; direction: ours {}", direction.words())
                }
                (None, None) => "undefined (a zero or missing denominator)".into(),
            };
            let why = if (direction_reproduced && within_25pct) || d.not_run.is_some() {
                String::new()
            } else {
                let mut w = Vec::new();
                if !p.saturated() && !d.id.starts_with("9.") {
                    w.push(format!(
                        "Not the paper's regime (FIFO idle {:.4} > {SATURATED_FIFO_IDLE} at every point run)",
                        p.fifo_idle()
                    ));
                }
                w.push((d.why)(p, r));
                let mut w = w.join("; ");
                if let Some(first) = w.get(..1) {
                    w = first.to_uppercase() + &w[1..];
                }
                w
            };
            out.push(ClaimResult {
                id: format!("{}/{}", d.id, r.model.id()),
                claim: d.text.to_string(),
                model: r.model.id().to_string(),
                unit: d.unit,
                paper,
                ours: ours.map(|o| o.0),
                direction_reproduced,
                within_25pct,
                regime,
                note,
                why,
            });
        }
    }
    out
}

/// How many claims reproduce: (in direction, within ±25 %, both, all).
pub fn tally(claims: &[ClaimResult]) -> (usize, usize, usize, usize) {
    let dir = claims.iter().filter(|c| c.direction_reproduced).count();
    let within = claims.iter().filter(|c| c.within_25pct).count();
    let both = claims
        .iter()
        .filter(|c| c.direction_reproduced && c.within_25pct)
        .count();
    (dir, within, both, claims.len())
}
