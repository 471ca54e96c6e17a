//! Wall time to simulate the Azure 2023 conversation trace (19,366 requests) on the paper's
//! cluster (32 A100, 4 nodes, Llama-3.1-70B at TP = 4: 8 replicas).
//!
//! - `fifo/conv-raw`: FIFO on the trace as recorded (no long-input transform, real rate);
//! - `fifo/conv-long`: FIFO on the trace with the paper's long-input transform at 0.05× rate;
//! - `main4/conv-long`: FIFO, Reservation, Priority and PecSched one after another, same input.

#![allow(missing_docs)] // criterion_group! generates an undocumented function

use criterion::{Criterion, criterion_group, criterion_main};
use pecsched_core::policy::PolicyKind;
use pecsched_core::scenario::Scenario;
use std::hint::black_box;

fn scenario(long: bool) -> Scenario {
    let mut w = Scenario::default_scenario().to_wire();
    w.workload.window_s = None;
    if !long {
        w.workload.long_input = None;
        w.workload.rate_scale = 1.0;
    }
    Scenario::from_wire(&w).unwrap()
}

fn bench(c: &mut Criterion) {
    let raw = scenario(false);
    let raw_reqs = raw.requests(None).unwrap();
    assert_eq!(raw_reqs.len(), 19_366);
    let long = scenario(true);
    let long_reqs = long.requests(None).unwrap();
    let mut g = c.benchmark_group("simulate");
    g.sample_size(20);
    g.bench_function("fifo/conv-raw", |b| {
        b.iter(|| {
            black_box(
                raw.run(PolicyKind::Fifo, raw_reqs.clone())
                    .unwrap()
                    .0
                    .events,
            )
        })
    });
    g.bench_function("fifo/conv-long", |b| {
        b.iter(|| {
            black_box(
                long.run(PolicyKind::Fifo, long_reqs.clone())
                    .unwrap()
                    .0
                    .events,
            )
        })
    });
    g.bench_function("main4/conv-long", |b| {
        b.iter(|| {
            for p in PolicyKind::MAIN {
                black_box(long.run(p, long_reqs.clone()).unwrap().0.events);
            }
        })
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
