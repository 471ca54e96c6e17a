//! Fuzzes "decode a scenario, then simulate it": the path a link from a stranger or an
//! uploaded scenario file takes through the explorer and the native worker.
//!
//! The first byte picks how the rest becomes a scenario:
//!
//! - 0: scenario JSON (`Scenario::from_json`);
//! - 1: a link token as pasted (`link::decode_scenario`);
//! - 2: a postcard payload wrapped in a valid link header and checksum;
//! - 3: structured: the bytes drive the choice of each wire field (mostly valid ids and
//!   values, sometimes out of range), optional calibration overrides, and, for a file source,
//!   the trace text itself.
//!
//! The decoded wire form is bounded so that one input runs in milliseconds (at most
//! [`MAX_NODES`] nodes and [`MAX_REQUESTS`] requests, embedded traces cut to their first rows,
//! [`MAX_EVENTS`] events over all policies) and validated; a scenario that validates has its
//! requests built, and every policy it names is stepped. Errors are fine; panics are not, and neither are: a broken engine invariant
//! (`Simulation::check_invariants`, checked every [`CHECK_EVERY`] events and at the end), a
//! record whose timestamps go backwards, or a summary with non-finite or inconsistent figures.

#![no_main]

use libfuzzer_sys::arbitrary::{Result as ArbResult, Unstructured};
use libfuzzer_sys::fuzz_target;
use pecsched_core::metrics::{ClassSummary, RequestRecord, Summary};
use pecsched_core::model::ModelKind;
use pecsched_core::perf::CalibrationField;
use pecsched_core::policy::{ColocationCap, PolicyKind, ReservationPool};
use pecsched_core::scenario::prefix_wire::{
    PrefixDispatch, PrefixWire, SessionWire, SharedPromptWire,
};
use pecsched_core::scenario::wire::{
    CalibrationWire, ClassSloWire, ClusterWire, ElasticSpWire, EngineWire, KnobsWire, LongInputWire,
    MedhaParamsWire, PolicyParamsWire, ScenarioWire, SloWire, SourceWire, SyntheticWire, WIRE_VERSION, WorkloadWire,
};
use pecsched_core::scenario::{EmbeddedTrace, Scenario, link};
use pecsched_core::workload::TraceFormat;
use std::sync::OnceLock;

/// Most nodes simulated (scenarios may name up to 2048).
const MAX_NODES: u32 = 4;
/// Most requests simulated.
const MAX_REQUESTS: u32 = 200;
/// Rows of an embedded trace kept (parsing all 19,366 would dominate every run).
const EMBEDDED_ROWS: usize = 400;
/// Most events processed per input, over all policies.
const MAX_EVENTS: u64 = 20_000;
/// Events between two invariant checks.
const CHECK_EVERY: u64 = 61;

fuzz_target!(|data: &[u8]| {
    let Some((&mode, rest)) = data.split_first() else {
        return;
    };
    let decoded = match mode % 4 {
        0 => ScenarioWire::from_json(&pecsched_fuzz::text(rest))
            .ok()
            .and_then(|w| validated(w, None, &[])),
        1 => link::decode(&pecsched_fuzz::text(rest))
            .ok()
            .and_then(|w| validated(w, None, &[])),
        2 => pecsched_fuzz::link_token(rest)
            .and_then(|t| link::decode(&t).ok())
            .and_then(|w| validated(w, None, &[])),
        _ => structured(&mut Unstructured::new(rest)).ok().flatten(),
    };
    if let Some((scenario, trace)) = decoded {
        simulate(scenario, trace);
    }
});

/// `w` bounded to fuzzing size and validated, with its calibration overrides applied, and the
/// trace text it reads; `None` if it is refused.
fn validated(
    mut w: ScenarioWire,
    trace: Option<String>,
    calibration_overrides: &[(usize, f64)],
) -> Option<(Scenario, Option<String>)> {
    let trace = bound(&mut w, trace);
    let scenario = Scenario::from_wire(&w).ok()?;
    let mut calibration = scenario.calibration().clone();
    for &(i, v) in calibration_overrides {
        let _ = calibration.set(CalibrationField::ALL[i], v);
    }
    Some((scenario.with_calibration(calibration), trace))
}

/// Builds the requests of a bounded scenario and steps every policy; panics on a broken
/// invariant or an inconsistent result.
fn simulate(scenario: Scenario, trace: Option<String>) {
    let Ok(requests) = scenario.requests(trace.as_deref()) else {
        return;
    };
    assert!(!requests.is_empty(), "requests() returned no requests");
    assert!(requests.len() <= MAX_REQUESTS as usize);
    let mut budget = MAX_EVENTS;
    for &policy in scenario.policies() {
        let Ok(mut sim) = scenario.simulation(policy, requests.clone()) else {
            continue;
        };
        let mut events = 0u64;
        while events < budget && sim.step() {
            events += 1;
            if events.is_multiple_of(CHECK_EVERY)
                && let Err(e) = sim.check_invariants()
            {
                panic!(
                    "{}: invariant broken after {events} events: {e}",
                    policy.id()
                );
            }
        }
        budget -= events;
        if let Err(e) = sim.check_invariants() {
            panic!(
                "{}: invariant broken at the end ({events} events): {e}",
                policy.id()
            );
        }
        let (summary, records) = sim.finish();
        check_results(policy, &summary, &records, requests.len());
        if budget == 0 {
            break;
        }
    }
}

/// Shrinks a wire scenario to fuzzing size; returns the trace text to read.
fn bound(w: &mut ScenarioWire, trace: Option<String>) -> Option<String> {
    w.cluster.nodes = w.cluster.nodes.min(MAX_NODES);
    let wl = &mut w.workload;
    wl.max_requests = Some(wl.max_requests.unwrap_or(MAX_REQUESTS).min(MAX_REQUESTS));
    match &mut wl.source {
        SourceWire::Synthetic(syn) => {
            syn.requests = syn.requests.min(MAX_REQUESTS);
            trace
        }
        SourceWire::Embedded(id) => {
            let t = id.parse::<EmbeddedTrace>().ok()?;
            wl.source = SourceWire::File {
                name: t.id().to_string(),
                format: TraceFormat::AzureCsv.id().to_string(),
            };
            Some(embedded_head(t).to_string())
        }
        SourceWire::File { .. } => Some(trace.unwrap_or_else(|| {
            "arrival_s,input_tokens,output_tokens\n0,100,10\n0.5,200000,20\n1,300,1\n".to_string()
        })),
    }
}

/// The first [`EMBEDDED_ROWS`] rows of an embedded trace, with its header.
fn embedded_head(t: EmbeddedTrace) -> &'static str {
    static HEADS: [OnceLock<String>; 2] = [OnceLock::new(), OnceLock::new()];
    let i = EmbeddedTrace::ALL
        .iter()
        .position(|&e| e == t)
        .expect("listed");
    HEADS[i].get_or_init(|| {
        let text = t.text();
        let end = text
            .match_indices('\n')
            .nth(EMBEDDED_ROWS)
            .map_or(text.len(), |(i, _)| i);
        text[..end].to_string()
    })
}

/// What every run's results must satisfy, whether it ended or hit the event cap.
fn check_results(policy: PolicyKind, summary: &Summary, records: &[RequestRecord], n: usize) {
    let p = policy.id();
    assert_eq!(records.len(), n, "{p}: one record per request");
    for (i, r) in records.iter().enumerate() {
        assert_eq!(r.id as usize, i, "{p}: records in id order");
        let stamps = [r.dispatched, r.prefill_start, r.first_token, r.completion];
        let mut last = r.arrival;
        for t in stamps.into_iter().flatten() {
            assert!(
                t >= last,
                "{p}: request {i}'s timestamps go backwards: {r:?}"
            );
            last = t;
        }
        if r.completion.is_some() {
            assert!(
                r.first_token.is_some() && r.prefill_start.is_some(),
                "{p}: request {i} completed without a first token: {r:?}"
            );
        }
        if r.rejected {
            assert!(
                r.completion.is_none(),
                "{p}: rejected request {i} completed"
            );
        }
    }
    assert_eq!(summary.policy, policy);
    assert_eq!(
        summary.short.count + summary.long.count,
        n as u64,
        "{p}: counts"
    );
    assert!(
        (0.0..=1.0).contains(&summary.gpu_idle_rate),
        "{p}: idle rate {}",
        summary.gpu_idle_rate
    );
    assert!(summary.makespan_s.is_finite() && summary.makespan_s >= 0.0);
    for c in [&summary.short, &summary.long] {
        check_class(p, c);
    }
}

fn check_class(p: &str, c: &ClassSummary) {
    assert!(c.completed <= c.count, "{p}: completed > count: {c:?}");
    assert!(c.rejected <= c.count && c.starved <= c.count, "{p}: {c:?}");
    assert!(
        c.completed + c.starved + c.rejected <= c.count,
        "{p}: a request counted twice: {c:?}"
    );
    for x in [c.starvation_share, c.throughput_rps] {
        assert!(x.is_finite() && x >= 0.0, "{p}: figure {x}: {c:?}");
    }
    for q in [&c.queueing_delay, &c.ttft, &c.tbt, &c.jct] {
        let xs = [q.p1, q.p25, q.p50, q.p75, q.p90, q.p99, q.max, q.mean];
        assert!(xs.iter().all(|x| x.is_finite() && *x >= 0.0), "{p}: {q:?}");
        assert!(
            q.p1 <= q.p50 && q.p50 <= q.p99 && q.p99 <= q.max,
            "{p}: {q:?}"
        );
    }
}

/// Picks one of `items` (the last one rarely, as the "invalid" choice).
fn pick<T: Copy>(u: &mut Unstructured<'_>, items: &[T]) -> ArbResult<T> {
    Ok(*u.choose(items)?)
}

/// A number: usually one of `usual`, sometimes any `f64` the bytes spell (NaN, ±inf, huge).
fn number(u: &mut Unstructured<'_>, usual: &[f64]) -> ArbResult<f64> {
    if u.ratio(1, 8)? {
        Ok(f64::from_bits(u.arbitrary()?))
    } else {
        pick(u, usual)
    }
}

/// A scenario built field by field from the bytes, validated; `Ok(None)` if it is refused.
fn structured(u: &mut Unstructured<'_>) -> ArbResult<Option<(Scenario, Option<String>)>> {
    let models: Vec<&str> = ModelKind::ALL.iter().map(|m| m.id()).collect();
    let gpus_per_node = pick(u, &[1u32, 2, 4, 8, 8, 16, 0, 3])?;
    let mut trace = None;
    let source = match u.int_in_range(0..=5)? {
        0..=2 => SourceWire::Synthetic(SyntheticWire {
            requests: u.int_in_range(1..=MAX_REQUESTS)?,
            rate_per_s: number(u, &[0.5, 2.0, 10.0, 100.0, 1e-3])?,
            cv: number(u, &[1.0, 0.5, 2.0, 4.0])?,
            lengths_from: if u.ratio(1, 4)? {
                Some(pick(u, &["azure-conv-2023", "azure-code-2023", "nope"])?.to_string())
            } else {
                None
            },
            lognormal: if u.ratio(7, 8)? {
                Some((
                    number(u, &[800.0, 100.0, 50_000.0, 400_000.0])?,
                    number(u, &[0.0, 0.5, 1.0, 2.0])?,
                    number(u, &[200.0, 10.0, 1.0, 2_000.0])?,
                    number(u, &[0.0, 0.5, 1.0])?,
                ))
            } else {
                None
            },
        }),
        3 => SourceWire::Embedded(pick(u, &["azure-conv-2023", "azure-code-2023", "x"])?.into()),
        _ => {
            let format = pick(u, &["plain", "azure", "mooncake", "burstgpt", "csv"])?;
            let name = "fuzz.trace".to_string();
            // The trace text comes last: it takes the rest of the bytes below.
            let source = SourceWire::File {
                name,
                format: format.into(),
            };
            trace = Some(format);
            source
        }
    };
    let window_s = if u.ratio(1, 4)? {
        let a = number(u, &[0.0, 0.0, 1.0, 10.0])?;
        Some((a, a + number(u, &[1.0, 30.0, 600.0, -1.0])?))
    } else {
        None
    };
    let long_input = if u.ratio(1, 3)? {
        let min_tokens = pick(u, &[40_000u32, 100_000, 1, 200_000])?;
        Some(LongInputWire {
            percentile: number(u, &[95.0, 50.0, 99.0, 100.0, 0.0])?,
            min_tokens,
            max_tokens: min_tokens.saturating_add(pick(u, &[0u32, 1000, 400_000])?),
        })
    } else {
        None
    };
    let policies = {
        let n = u.int_in_range(1..=3)?;
        let mut ids = Vec::new();
        for _ in 0..n {
            ids.push(match u.ratio(1, 32)? {
                true => "unknown-policy".to_string(),
                false => pick(u, &PolicyKind::ALL)?.id().to_string(),
            });
        }
        ids
    };
    let engine = if u.ratio(1, 2)? {
        let d = EngineWire::default();
        Some(EngineWire {
            max_batched_tokens: pick(u, &[d.max_batched_tokens, 16, 512, 2048, 1 << 20])?,
            max_num_seqs: pick(u, &[d.max_num_seqs, 1, 2, 16, 4096])?,
            local_queue_cap_tokens: pick(u, &[d.local_queue_cap_tokens, 1, 512, 1 << 24])?,
            long_threshold_tokens: pick(u, &[d.long_threshold_tokens, 1, 1000, 1 << 26])?,
            max_short_kv_permille: pick(u, &[d.max_short_kv_permille, 1, 100, 1000])?,
            sp_tokens_per_replica: pick(u, &[d.sp_tokens_per_replica, 1024, 8192, 1 << 26])?,
            kernels_per_layer: pick(u, &[d.kernels_per_layer, 1, 3, 1000])?,
            context_switch: pick(u, &[50_000u64, 0, 1, 1_000_000_000, u64::MAX])?,
            drain_limit: pick(u, &[d.drain_limit, 1, 1_000_000, 60_000_000_000, u64::MAX])?,
        })
    } else {
        None
    };
    let knobs = if u.ratio(1, 3)? {
        Some(KnobsWire {
            decode_replicas: if u.arbitrary()? {
                Some(u.int_in_range(0..=9)?)
            } else {
                None
            },
            colocation_cap: if u.arbitrary()? {
                ColocationCap::Fixed {
                    tokens_per_gpu: pick(u, &[512u32, 0, 1, 64, 1 << 20, u32::MAX])?,
                }
            } else {
                ColocationCap::Derived {
                    max_slowdown_permille: pick(u, &[50u32, 0, 1, 10_000, u32::MAX])?,
                }
            },
            reservation_pool: if u.arbitrary()? {
                ReservationPool::Replicas(pick(u, &[0u32, 1, 4, 1 << 20])?)
            } else {
                ReservationPool::ForRequest {
                    input_tokens: pick(u, &[500_000u32, 0, 1, u32::MAX])?,
                    output_tokens: pick(u, &[2048u32, 0, u32::MAX])?,
                }
            },
            priority_placement: pick(u, &["no-queued-short-work", "completely-idle", "", "x"])?
                .to_string(),
        })
    } else {
        None
    };
    let wire = ScenarioWire {
        version: if u.ratio(1, 64)? { 2 } else { WIRE_VERSION },
        cluster: ClusterWire {
            gpu: pick(u, &["a100", "h100", "h200", "a100", "v100"])?.into(),
            nodes: u.int_in_range(0..=MAX_NODES + 1)?,
            gpus_per_node,
            network_gbps: number(u, &[400.0, 100.0, 3200.0, 1.0, 1e5])?,
        },
        model: pick(u, &models)?.into(),
        tp: pick(u, &[1u32, 2, 4, 8, 4, 3, 0])?,
        workload: WorkloadWire {
            source,
            window_s,
            rate_scale: number(u, &[1.0, 1.0, 0.05, 0.5, 4.0, 1000.0])?,
            max_requests: if u.arbitrary()? {
                Some(u.int_in_range(0..=MAX_REQUESTS + 10)?)
            } else {
                None
            },
            long_input,
        },
        policies,
        engine,
        knobs,
        calibration: if u.ratio(1, 4)? {
            Some(CalibrationWire::builtin(pick(
                u,
                &["datasheet", "h100-wgpu", "a100-vllm", "nope"],
            )?))
        } else {
            None
        },
        seed: u.arbitrary()?,
        slo: if u.ratio(1, 4)? {
            let mut class = || -> ArbResult<ClassSloWire> {
                Ok(ClassSloWire {
                    ttft_s: number(u, &[2.5, 0.0, 1e-9, 1e9])?,
                    ttft_per_1k_input_s: number(u, &[0.1, 0.0, -1.0, 1e9])?,
                    tbt_s: number(u, &[0.15, 0.0, 1e-9, 1e9])?,
                })
            };
            Some(SloWire {
                short: class()?,
                long: class()?,
            })
        } else {
            None
        },
        policy_params: if u.ratio(1, 4)? {
            Some(PolicyParamsWire {
                rank_noise_sigma: number(u, &[1.0, 0.0, -1.0, 100.0])?,
                chunk_tokens_per_member: pick(u, &[2048u32, 0, 1, u32::MAX])?,
                pd_decode_share: number(u, &[0.3, 0.0, 1.0, 0.999, -0.5])?,
            })
        } else {
            None
        },
        prefix: if u.ratio(1, 4)? {
            Some(PrefixWire {
                cache: u.arbitrary()?,
                block_tokens: pick(u, &[512u32, 16, 0, 1, u32::MAX])?,
                shared_prompt: if u.arbitrary()? {
                    Some(SharedPromptWire {
                        tokens: pick(u, &[100u32, 0, 1, 1 << 20])?,
                        prompts: pick(u, &[4u32, 0, 1, u32::MAX])?,
                    })
                } else {
                    None
                },
                sessions: if u.arbitrary()? {
                    Some(SessionWire {
                        turns_mean: number(u, &[8.0, 1.0, 0.0, 1e6])?,
                        open_conversations: pick(u, &[64u32, 0, 1, u32::MAX])?,
                        max_context_tokens: pick(u, &[16384u32, 0, 1, u32::MAX])?,
                        documents: pick(u, &[0u32, 1, 4, u32::MAX])?,
                        document_tokens: pick(u, &[0u32, 1000, u32::MAX])?,
                    })
                } else {
                    None
                },
                dispatch: if u.arbitrary()? {
                    PrefixDispatch::CacheAware {
                        weight: number(u, &[1.0, 0.0, -1.0, 1e9])?,
                    }
                } else {
                    PrefixDispatch::Policy
                },
            })
        } else {
            None
        },
        medha: if u.ratio(1, 4)? {
            Some(MedhaParamsWire {
                tbt_target_s: if u.arbitrary()? {
                    Some(number(u, &[0.15, 0.0, -1.0, 1e-9, 1e9])?)
                } else {
                    None
                },
                min_chunk_tokens_per_member: pick(u, &[1u32, 0, 64, u32::MAX])?,
            })
        } else {
            None
        },
        elastic_sp: if u.ratio(1, 4)? {
            Some(ElasticSpWire {
                max_prefill_degree: pick(u, &[8u32, 0, 1, 2, 3, u32::MAX])?,
            })
        } else {
            None
        },
    };
    let calibration_overrides: Vec<(usize, f64)> = if u.ratio(1, 4)? {
        let n = u.int_in_range(1..=3)?;
        (0..n)
            .map(|_| {
                Ok((
                    u.choose_index(CalibrationField::ALL.len())?,
                    number(u, &[1.0, 0.01, 1e-6, 0.5, 10.0, 0.0])?,
                ))
            })
            .collect::<ArbResult<_>>()?
    } else {
        Vec::new()
    };
    let trace = match trace {
        Some(_) => Some(pecsched_fuzz::text(u.bytes(u.len())?).into_owned()),
        None => None,
    };
    Ok(validated(wire, trace, &calibration_overrides))
}
