//! The paper's claims (paper §5) beside our figures, as Markdown tables.

use crate::repro::ModelRun;
use pecsched_core::metrics::Summary;
use pecsched_core::policy::PolicyKind;

fn find(r: &ModelRun, p: PolicyKind) -> &Summary {
    r.summaries
        .iter()
        .find(|s| s.policy == p)
        .expect("every policy ran")
}

fn ratio(a: f64, b: f64) -> String {
    if b == 0.0 {
        "n/a (÷0)".into()
    } else {
        format!("{:.2}×", a / b)
    }
}

fn delta(a: f64, b: f64) -> String {
    if b == 0.0 {
        "n/a (÷0)".into()
    } else {
        format!("{:+.0}%", (a / b - 1.0) * 100.0)
    }
}

/// One claim: its text, the paper's per-model values, and how to compute ours.
struct Claim {
    text: &'static str,
    paper: &'static str,
    ours: fn(&ModelRun) -> String,
}

const CLAIMS: &[Claim] = &[
    Claim {
        text: "FIFO short p99 queueing delay, with ÷ without long requests",
        paper: "2.5× / 2.78× / 3.84× / 10.2×",
        ours: |r| {
            ratio(
                find(r, PolicyKind::Fifo).short.queueing_delay.p99,
                r.fifo_no_long.short.queueing_delay.p99,
            )
        },
    },
    Claim {
        text: "FIFO short throughput, with ÷ without long requests",
        paper: "0.64× / 0.56× / 0.39× / 0.19×",
        ours: |r| {
            ratio(
                find(r, PolicyKind::Fifo).short.throughput_rps,
                r.fifo_no_long.short.throughput_rps,
            )
        },
    },
    Claim {
        text: "GPU idle rate, FIFO",
        paper: "0.0004 / 0.00009 / 0.0005 / 0.00008",
        ours: |r| format!("{:.3}", find(r, PolicyKind::Fifo).gpu_idle_rate),
    },
    Claim {
        text: "GPU idle rate, Reservation",
        paper: "0.16 / 0.22 / 0.25 / 0.41",
        ours: |r| format!("{:.3}", find(r, PolicyKind::Reservation).gpu_idle_rate),
    },
    Claim {
        text: "Reservation ÷ FIFO short p99 queueing delay",
        paper: "1.2× / 1.35× / 1.8× / 1.94×",
        ours: |r| {
            ratio(
                find(r, PolicyKind::Reservation).short.queueing_delay.p99,
                find(r, PolicyKind::Fifo).short.queueing_delay.p99,
            )
        },
    },
    Claim {
        text: "Reservation ÷ FIFO short throughput",
        paper: "0.49× / 0.47× / 0.46× / 0.44×",
        ours: |r| {
            ratio(
                find(r, PolicyKind::Reservation).short.throughput_rps,
                find(r, PolicyKind::Fifo).short.throughput_rps,
            )
        },
    },
    Claim {
        text: "Priority: long requests never served",
        paper: "92% / 97% / 100% / 100%",
        ours: |r| {
            format!(
                "{:.0}%",
                find(r, PolicyKind::Priority).long.starvation_share * 100.0
            )
        },
    },
    Claim {
        text: "PecSched vs FIFO, short p99 queueing delay",
        paper: "−58% … −87%",
        ours: |r| {
            delta(
                find(r, PolicyKind::PecSched).short.queueing_delay.p99,
                find(r, PolicyKind::Fifo).short.queueing_delay.p99,
            )
        },
    },
    Claim {
        text: "PecSched vs Reservation, short p99 queueing delay",
        paper: "−61% … −92%",
        ours: |r| {
            delta(
                find(r, PolicyKind::PecSched).short.queueing_delay.p99,
                find(r, PolicyKind::Reservation).short.queueing_delay.p99,
            )
        },
    },
    Claim {
        text: "PecSched vs Priority, short p99 queueing delay",
        paper: "≈ equal",
        ours: |r| {
            delta(
                find(r, PolicyKind::PecSched).short.queueing_delay.p99,
                find(r, PolicyKind::Priority).short.queueing_delay.p99,
            )
        },
    },
    Claim {
        text: "PecSched vs FIFO, short throughput",
        paper: "+42% … +318%",
        ours: |r| {
            delta(
                find(r, PolicyKind::PecSched).short.throughput_rps,
                find(r, PolicyKind::Fifo).short.throughput_rps,
            )
        },
    },
    Claim {
        text: "PecSched vs Reservation, short throughput",
        paper: "+193% … +595%",
        ours: |r| {
            delta(
                find(r, PolicyKind::PecSched).short.throughput_rps,
                find(r, PolicyKind::Reservation).short.throughput_rps,
            )
        },
    },
    Claim {
        text: "PecSched vs FIFO, long mean JCT",
        paper: "+4% … +7%",
        ours: |r| {
            delta(
                find(r, PolicyKind::PecSched).long.jct.mean,
                find(r, PolicyKind::Fifo).long.jct.mean,
            )
        },
    },
    Claim {
        text: "PecSched vs Reservation, long mean JCT",
        paper: "+6% … +13%",
        ours: |r| {
            delta(
                find(r, PolicyKind::PecSched).long.jct.mean,
                find(r, PolicyKind::Reservation).long.jct.mean,
            )
        },
    },
    Claim {
        text: "/PE vs PecSched, short p99 queueing delay",
        paper: "+75% … +376%",
        ours: |r| {
            delta(
                find(r, PolicyKind::PecSchedNoPreemption)
                    .short
                    .queueing_delay
                    .p99,
                find(r, PolicyKind::PecSched).short.queueing_delay.p99,
            )
        },
    },
    Claim {
        text: "/PE vs PecSched, short throughput",
        paper: "−21% … −48%",
        ours: |r| {
            delta(
                find(r, PolicyKind::PecSchedNoPreemption)
                    .short
                    .throughput_rps,
                find(r, PolicyKind::PecSched).short.throughput_rps,
            )
        },
    },
    Claim {
        text: "/PE vs PecSched, long mean JCT",
        paper: "−14% … −18%",
        ours: |r| {
            delta(
                find(r, PolicyKind::PecSchedNoPreemption).long.jct.mean,
                find(r, PolicyKind::PecSched).long.jct.mean,
            )
        },
    },
    Claim {
        text: "/Dis vs PecSched, long mean JCT",
        paper: "+21% … +29%",
        ours: |r| {
            delta(
                find(r, PolicyKind::PecSchedNoDisaggregation).long.jct.mean,
                find(r, PolicyKind::PecSched).long.jct.mean,
            )
        },
    },
    Claim {
        text: "/CoL vs PecSched, long mean JCT",
        paper: "+23% … +26%",
        ours: |r| {
            delta(
                find(r, PolicyKind::PecSchedNoColocation).long.jct.mean,
                find(r, PolicyKind::PecSched).long.jct.mean,
            )
        },
    },
    Claim {
        text: "/FSP vs PecSched, long mean JCT",
        paper: "+39% … +55%",
        ours: |r| {
            delta(
                find(r, PolicyKind::PecSchedNoFastSp).long.jct.mean,
                find(r, PolicyKind::PecSched).long.jct.mean,
            )
        },
    },
    Claim {
        text: "Preemptions, PecSched",
        paper: "94,057 / 116,290 / 139,247 / 170,914",
        ours: |r| find(r, PolicyKind::PecSched).long.preemptions.to_string(),
    },
    Claim {
        text: "Preemptions, /Dis",
        paper: "108,552 / 133,784 / 156,891 / 203,628",
        ours: |r| {
            find(r, PolicyKind::PecSchedNoDisaggregation)
                .long
                .preemptions
                .to_string()
        },
    },
    Claim {
        text: "Preemptions, /CoL",
        paper: "130,925 / 167,607 / 209,834 / 261,720",
        ours: |r| {
            find(r, PolicyKind::PecSchedNoColocation)
                .long
                .preemptions
                .to_string()
        },
    },
    Claim {
        text: "Preemptions, /FSP",
        paper: "167,394 / 205,947 / 278,504 / 379,305",
        ours: |r| {
            find(r, PolicyKind::PecSchedNoFastSp)
                .long
                .preemptions
                .to_string()
        },
    },
    Claim {
        text: "Pause state (one layer's activation) ÷ request KV",
        paper: "< 5%",
        ours: |r| format!("{:.2}%", r.pause_state_share * 100.0),
    },
    Claim {
        text: "PecSched p99 scheduling time ÷ JCT, short",
        paper: "0.354% / 0.282% / 0.196% / 0.071%",
        ours: |r| format!("{:.4}%", r.overhead_p99_pct.0),
    },
    Claim {
        text: "PecSched p99 scheduling time ÷ JCT, long",
        paper: "0.183% / 0.147% / 0.055% / 0.019%",
        ours: |r| format!("{:.5}%", r.overhead_p99_pct.1),
    },
    Claim {
        text: "PecSched p99 decision time (this machine)",
        paper: "—",
        ours: |r| format!("{:.1} µs", r.decision_p99_us),
    },
];

/// The claims table: one row per claim, the paper's values, then one column per model.
pub fn claims_markdown(runs: &[ModelRun]) -> String {
    let mut s = String::from("| claim | paper (Mistral / Phi-3 / Yi / Llama) |");
    for r in runs {
        s += &format!(" {} |", r.model);
    }
    s += "\n|---|---|";
    s += &"---|".repeat(runs.len());
    s += "\n";
    for c in CLAIMS {
        s += &format!("| {} | {} |", c.text, c.paper);
        for r in runs {
            s += &format!(" {} |", (c.ours)(r));
        }
        s += "\n";
    }
    s
}

/// One row per policy with the headline metrics: each class as served/total with the counts
/// never started, unfinished and rejected, latencies with the number of requests they cover,
/// and why a run stopped early, if it did.
pub fn summaries_markdown(rows: &[(&str, &Summary)]) -> String {
    let mut s = String::from(
        "| policy | short served | never / unfin / rej | qd n | qd p50 s | qd p99 s | TTFT p50 s | short RPS | long served | never / unfin / rej | JCT n | long JCT mean s | preemptions | idle | stop |\n|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|\n",
    );
    for &(label, r) in rows {
        s += &format!(
            "| {} | {} | {} / {} / {} | {} | {:.3} | {:.3} | {:.3} | {:.3} | {} | {} / {} / {} | {} | {:.1} | {} | {:.3} | {} |\n",
            label,
            r.short.served_label(),
            r.short.starved,
            r.short.unfinished,
            r.short.rejected,
            r.short.queueing_delay.n,
            r.short.queueing_delay.p50,
            r.short.queueing_delay.p99,
            r.short.ttft.p50,
            r.short.throughput_rps,
            r.long.served_label(),
            r.long.starved,
            r.long.unfinished,
            r.long.rejected,
            r.long.jct.n,
            r.long.jct.mean,
            r.long.preemptions,
            r.gpu_idle_rate,
            r.stopped
                .as_ref()
                .map_or("—".to_string(), ToString::to_string)
        );
    }
    s
}
