//! `repro`'s reports from one set of runs and claims: the Markdown of docs/reproduction.md and
//! the terminal's regime and claim tables.

use crate::repro::judge::short;
use crate::repro::points::{ModelRun, SATURATED_FIFO_IDLE};
use crate::repro::sensitivity::RingSensitivity;
use crate::repro_claims::{ClaimResult, tally};
use pecsched_core::metrics::Summary;
use pecsched_core::scenario::Scenario;
use std::fmt::Write;

/// What the report says about how the runs were set up.
pub struct Header<'a> {
    /// The exact command line.
    pub command: &'a str,
    /// Trace id.
    pub trace: &'a str,
    /// Trace window, seconds (before rate scaling).
    pub window_s: (f64, f64),
    /// Drain after the last arrival, seconds.
    pub drain_s: f64,
    /// Seed of the long-input transform.
    pub seed: u64,
}

fn yes(b: bool) -> &'static str {
    if b { "✓" } else { "✗" }
}

/// The full report (docs/reproduction.md).
pub fn markdown(
    h: &Header<'_>,
    runs: &[ModelRun],
    claims: &[ClaimResult],
    ring: Option<&RingSensitivity>,
) -> String {
    let mut md = String::new();
    let w = &mut md;
    // Writing to a String cannot fail.
    let _ = writeln!(w, "# Reproduction of the paper's claims\n");
    let _ = writeln!(
        w,
        "Generated — do not edit; rerun to update (minutes on 2 cores):\n\n```sh\n{}\n```\n",
        h.command
    );
    let _ = writeln!(
        w,
        "Every number below comes from that command on the engine of the commit that holds this \
         file; the claims as JSON: `--claims-json`. The metric definitions are in \
         [metrics.md](metrics.md); the paper's claims are §5 of [paper.md](paper.md) (its \
         figures in §1.4 and §3.7).\n"
    );
    summary(w, claims, runs);
    setup(w, h, runs);
    workload(w, runs);
    regimes(w, runs);
    claims_tables(w, claims);
    misses(w, claims);
    if let Some(ring) = ring {
        w.push_str(&ring.markdown());
    }
    sweep(w, runs);
    md
}

fn summary(w: &mut String, claims: &[ClaimResult], runs: &[ModelRun]) {
    let (dir, within, both, n) = tally(claims);
    let _ = writeln!(w, "## Summary\n");
    let _ = writeln!(
        w,
        "Of **{n}** claims (each claim of §5 on each model): **{dir}** reproduce in direction, \
         **{within}** lie within ±25 % of the paper's value or range, **{both}** do both. \
         Claims `repro` does not measure count as not reproduced.\n"
    );
    let saturated: Vec<&str> = runs
        .iter()
        .filter(|r| r.at().saturated())
        .map(|r| r.name.as_str())
        .collect();
    let _ = writeln!(
        w,
        "The paper's regime (FIFO's GPU idle rate ≤ {SATURATED_FIFO_IDLE}) holds where the claims \
         are judged for {} of {} models{}.\n",
        saturated.len(),
        runs.len(),
        if saturated.is_empty() {
            String::new()
        } else {
            format!(" ({})", saturated.join(", "))
        }
    );
    let _ = writeln!(
        w,
        "| §5 item | claims | direction | within ±25 % | both |\n|---|---|---|---|---|"
    );
    let mut items: Vec<&str> = claims
        .iter()
        .map(|c| c.id.split('.').next().unwrap_or(""))
        .collect();
    items.dedup();
    for item in items {
        let these: Vec<ClaimResult> = claims
            .iter()
            .filter(|c| c.id.split('.').next() == Some(item))
            .cloned()
            .collect();
        let (d, wi, b, n) = tally(&these);
        let _ = writeln!(w, "| {item} | {n} | {d} | {wi} | {b} |");
    }
    let _ = writeln!(w);
}

fn setup(w: &mut String, h: &Header<'_>, runs: &[ModelRun]) {
    let _ = writeln!(w, "## Setup\n");
    let _ = writeln!(
        w,
        "- Cluster: 4 nodes × 8 A100-SXM 80 GB (the paper's testbed). Models and TP: {}.",
        runs.iter()
            .map(|r| format!("{} TP = {}", r.name, r.tp))
            .collect::<Vec<_>>()
            .join(", ")
    );
    let _ = writeln!(
        w,
        "- Calibration: {} (`{}`, the default scenario's: the A100's production-kernel profile; \
         docs/fidelity.md).",
        Scenario::default_scenario().calibration_label(),
        Scenario::default_scenario().calibration_choice().profile
    );
    let _ = writeln!(
        w,
        "- Mistral-7B and Phi-3 at TP = 1: the paper's Table 5 lost these two cells; TP = 1 \
         makes their 4 decode replicas 1/8 of the cluster, the share of 1 of 8 for Yi and Llama."
    );
    let _ = writeln!(
        w,
        "- Workload: `{}` (the Azure LLM inference trace 2023; the paper used the 2024 trace, not \
         in `../shared`), trace seconds {}–{} — kept short by default so that every regime of \
         every model runs in minutes — with the paper's long-input transform (inputs above the \
         95th percentile → uniform in 100K–500K tokens, seed {}). Every regime runs the same \
         requests: a rate scale compresses their arrival times.",
        h.trace, h.window_s.0, h.window_s.1, h.seed
    );
    let _ = writeln!(
        w,
        "- Regimes: `--rate-scales` multiply the recorded rate, the same for every model (×1 is \
         the recorded arrival times, the paper's setting); `--short-load S` is, per model, the \
         rate at which its short requests alone would keep a share S of the cluster busy at \
         full batching (below). The former `--long-load` regime (long prefills at ring speed \
         take a share of the cluster; `repro`'s only one before) stays as an option, off by \
         default; no rate is capped. At high rates the arrivals' span is short (each regime \
         table prints its window), so rates measured there include the cluster's fill-up."
    );
    let _ = writeln!(
        w,
        "- Metrics window: the arrivals' span plus a drain of {} s (the engine's drain limit: \
         no run goes past it). Throughput and GPU idle rate are measured over the arrivals' \
         span; starvation and the censored long JCT at the horizon (last arrival + drain). See \
         [metrics.md](metrics.md).",
        h.drain_s
    );
    let _ = writeln!(
        w,
        "- Where a claim is judged: each model's claims at one point, chosen before looking at \
         any claim: ×1 (the recorded arrival times, the paper's setting) if FIFO's GPU idle rate \
         there is ≤ {SATURATED_FIFO_IDLE} (the paper's regime: Table 1 has FIFO at \
         0.00008–0.0005), else the lowest rate at which it is, else the point where FIFO idles \
         least (said so beside every claim). The pause-state share is a property of the model."
    );
    let _ = writeln!(
        w,
        "- Judging: `direction_reproduced` — our effect lies on the paper's side of the neutral \
         point (1× for a ratio, 0 % for a change), or the paper's comparison holds (Reservation \
         idles more than FIFO; most long requests starve under Priority; preemptions ordered \
         PecSched < /Dis < /CoL < /FSP; an overhead under the paper's bound); \"≈ equal\" is a \
         ratio within 0.75–1.25×. `within_25pct` — ours inside the paper's value or range with \
         each bound moved out by a quarter of its magnitude, on the paper's own scale (2.5× → \
         1.875–3.125×; −58 … −87 % → −43.5 … −108.75 %; < 5 % → ≤ 6.25 %).\n"
    );
}

fn workload(w: &mut String, runs: &[ModelRun]) {
    let _ = writeln!(w, "## What the workload asks of the cluster\n");
    let _ = writeln!(
        w,
        "From the core's performance model (`Scenario::short_capacity`, `Scenario::demand`): a \
         replica's short-request capacity is its steady-state iteration at full batching (as \
         many requests start as finish; decoding sequences capped by `max_num_seqs`, the KV \
         and the token budget); a long request's demand is its prefill at ring-attention speed \
         times its replicas (its decode is not counted, so the long share is a lower bound). \
         At ×1 (the recorded arrival times):\n"
    );
    let _ = writeln!(
        w,
        "| model | short capacity | iteration | short req/s offered | short load | long req | long prefill replica-s | short replica-s | long share of demand | total load |\n|---|---|---|---|---|---|---|---|---|---|"
    );
    for r in runs {
        let Some(p) = r
            .points
            .iter()
            .find(|p| p.rate_scale == 1.0)
            .or(r.points.first())
        else {
            continue;
        };
        let (Some(c), Some(d)) = (r.capacity, p.demand) else {
            continue;
        };
        let scale = p.rate_scale;
        let _ = writeln!(
            w,
            "| {} | {} req/s ({} per replica × {}) | {} ms: {} decodes + {} prefill tokens | {} | {:.3} | {} | {} | {} | **{:.1} %** | {:.2} |",
            r.name,
            short(c.cluster_rps),
            short(c.per_replica_rps),
            c.replicas,
            short(c.iteration_s * 1e3),
            short(c.decode_seqs),
            short(c.prefill_tokens),
            short(d.short_requests as f64 / d.span_s / scale),
            p.short_load() / scale,
            d.long_requests,
            short(d.long_prefill_replica_s),
            short(d.short_replica_s),
            d.long_share() * 100.0,
            d.load() / scale,
        );
    }
    if let Some((r, c, d)) = runs.iter().find_map(|r| {
        let p = r.points.iter().find(|p| p.rate_scale == 1.0)?;
        Some((r, r.capacity?, p.demand?))
    }) {
        let _ = writeln!(
            w,
            "\nThe arithmetic for {}: {} short requests ÷ {} req/s per replica = {} replica-s; \
             the {} long requests' prefills = {} replica-s; long share = {} ÷ ({} + {}) = \
             {:.1} % of the GPU demand from {:.1} % of the requests. Over the {} s of arrivals \
             the cluster offers {} replica-s, so the demand is {:.2}× what it can serve{}, \
             while the short requests use {:.1} % of it.\n",
            r.name,
            d.short_requests,
            short(c.per_replica_rps),
            short(d.short_replica_s),
            d.long_requests,
            short(d.long_prefill_replica_s),
            short(d.long_prefill_replica_s),
            short(d.long_prefill_replica_s),
            short(d.short_replica_s),
            d.long_share() * 100.0,
            d.long_requests as f64 * 100.0 / (d.long_requests + d.short_requests).max(1) as f64,
            short(d.span_s),
            short(d.available_replica_s),
            d.load(),
            if d.long_prefill_replica_s > d.available_replica_s {
                ": the long requests alone overload the cluster at ×1"
            } else {
                ""
            },
            d.short_replica_s * 100.0 / d.available_replica_s,
        );
    }
}

fn regimes(w: &mut String, runs: &[ModelRun]) {
    let _ = writeln!(w, "## Regimes\n");
    for r in runs {
        let _ = writeln!(
            w,
            "**{}** — claims judged at {}: {}.\n",
            r.name,
            r.at().label,
            r.chosen_why
        );
        let _ = writeln!(
            w,
            "| regime | requests (long) | short load | long load | FIFO idle | saturated | window | judged here |\n|---|---|---|---|---|---|---|---|"
        );
        for (i, p) in r.points.iter().enumerate() {
            let _ = writeln!(
                w,
                "| {} | {} ({}) | {:.3} | {:.2} | {:.4} | {} | {} | {} |",
                p.label,
                p.requests,
                p.long_requests,
                p.short_load(),
                p.long_load(),
                p.fifo_idle(),
                yes(p.saturated()),
                p.window,
                if i == r.chosen { "✓" } else { "" }
            );
        }
        let _ = writeln!(w);
    }
}

fn show(c: &ClaimResult) -> (String, String) {
    let paper = match c.paper {
        crate::repro::judge::Paper::Value(v) => c.unit.show(v),
        crate::repro::judge::Paper::Range(None, Some(hi)) => format!("< {}", c.unit.show(hi)),
        crate::repro::judge::Paper::Range(Some(lo), None) => format!("> {}", c.unit.show(lo)),
        crate::repro::judge::Paper::Range(lo, hi) => format!(
            "{} … {}",
            lo.map_or("?".into(), |v| c.unit.show(v)),
            hi.map_or("?".into(), |v| c.unit.show(v))
        ),
    };
    let ours = c.ours.map_or("—".into(), |v| c.unit.show(v));
    (paper, ours)
}

fn claims_tables(w: &mut String, claims: &[ClaimResult]) {
    let _ = writeln!(w, "## Claims\n");
    let _ = writeln!(
        w,
        "One row per claim and model; the regime of each model is in the table above (and in \
         every JSON object).\n"
    );
    let _ = writeln!(
        w,
        "| id | claim | paper | ours | direction | ±25 % | measured |\n|---|---|---|---|---|---|---|"
    );
    for c in claims {
        let (paper, ours) = show(c);
        let _ = writeln!(
            w,
            "| `{}` | {} | {} | {} | {} | {} | {} |",
            c.id,
            c.claim,
            paper,
            ours,
            yes(c.direction_reproduced),
            yes(c.within_25pct),
            c.note.replace('|', "\\|")
        );
    }
    let _ = writeln!(w);
}

fn misses(w: &mut String, claims: &[ClaimResult]) {
    let _ = writeln!(
        w,
        "## Claims that do not reproduce, with measured reasons\n"
    );
    let _ = writeln!(
        w,
        "Each line: the paper's number, ours, which verdict fails, and the measurements that \
         explain it (from the same runs).\n"
    );
    for c in claims
        .iter()
        .filter(|c| !(c.direction_reproduced && c.within_25pct))
    {
        let (paper, ours) = show(c);
        let fails = match (c.direction_reproduced, c.within_25pct) {
            (false, false) => "neither direction nor ±25 %",
            (true, false) => "direction holds, outside ±25 %",
            (false, true) => "inside ±25 %, direction fails",
            (true, true) => unreachable!("filtered"),
        };
        let why = if c.why.is_empty() { &c.note } else { &c.why };
        let _ = writeln!(
            w,
            "- `{}`: paper {paper}, ours {ours} ({fails}). {}.",
            c.id,
            why.replace('|', "\\|")
        );
    }
    let _ = writeln!(w);
}

fn sweep(w: &mut String, runs: &[ModelRun]) {
    let _ = writeln!(w, "## Every point run\n");
    for r in runs {
        for p in &r.points {
            let _ = writeln!(
                w,
                "### {} at {} ({} requests, {} long; {})\n",
                r.name, p.label, p.requests, p.long_requests, p.window
            );
            w.push_str(&summaries_markdown(&p.rows()));
            let _ = writeln!(w);
        }
    }
}

/// One row per policy with the headline metrics: each class as served/total with the counts
/// never started, unfinished and rejected, latencies with the number of requests they cover,
/// the long JCT over every long request (censored) and over the completed ones, and why a run
/// stopped early, if it did.
pub fn summaries_markdown(rows: &[(&str, &Summary)]) -> String {
    let mut s = String::from(
        "| policy | short served | never / unfin / rej | qd n | qd p50 s | qd p99 s | short RPS | long served | never / unfin / rej | long JCT all s (censored) | long JCT completed s (n) | preemptions | idle | stop |\n|---|---|---|---|---|---|---|---|---|---|---|---|---|---|\n",
    );
    for &(label, r) in rows {
        let _ = writeln!(
            s,
            "| {} | {} | {} / {} / {} | {} | {:.3} | {:.3} | {:.3} | {} | {} / {} / {} | {:.1} ({}) | {:.1} ({}) | {} | {:.4} | {} |",
            label,
            r.short.served_label(),
            r.short.starved,
            r.short.unfinished,
            r.short.rejected,
            r.short.queueing_delay.n,
            r.short.queueing_delay.p50,
            r.short.queueing_delay.p99,
            r.short.throughput_rps,
            r.long.served_label(),
            r.long.starved,
            r.long.unfinished,
            r.long.rejected,
            r.long.jct_all.mean_s,
            r.long.jct_all.censored,
            r.long.jct.mean,
            r.long.jct.n,
            r.long.preemptions,
            r.gpu_idle_rate,
            r.stopped.as_ref().map_or("—", |s| s.label())
        );
    }
    s
}

/// The terminal's view of one model: its points and where its claims are judged.
pub fn regime_text(r: &ModelRun) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "\n{} (TP = {})", r.name, r.tp);
    let _ = writeln!(
        out,
        "  {:<34} {:>9} {:>6} {:>10} {:>9} {:>9}  window",
        "regime", "requests", "long", "short load", "long load", "FIFO idle"
    );
    for (i, p) in r.points.iter().enumerate() {
        let _ = writeln!(
            out,
            "{} {:<34} {:>9} {:>6} {:>10.3} {:>9.2} {:>9.4}  {}",
            if i == r.chosen { "*" } else { " " },
            p.label,
            p.requests,
            p.long_requests,
            p.short_load(),
            p.long_load(),
            p.fifo_idle(),
            p.window
        );
    }
    let _ = writeln!(out, "  * claims judged here: {}", r.chosen_why);
    out
}

/// The terminal's claim table: one line per claim.
pub fn claims_text(claims: &[ClaimResult]) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{:<58} {:>16} {:>12} {:>4} {:>5}",
        "claim", "paper", "ours", "dir", "±25%"
    );
    for c in claims {
        let (paper, ours) = show(c);
        let _ = writeln!(
            out,
            "{:<58} {:>16} {:>12} {:>4} {:>5}",
            c.id,
            paper,
            ours,
            yes(c.direction_reproduced),
            yes(c.within_25pct)
        );
    }
    let (dir, within, both, n) = tally(claims);
    let _ = writeln!(
        out,
        "{n} claims: {dir} reproduce in direction, {within} within ±25 %, {both} both"
    );
    out
}
