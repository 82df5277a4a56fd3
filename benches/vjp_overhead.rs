//! fdvjp's dense central VJP against the floor, a bare loop doing the same 1 + 2n
//! evaluations of the same closure, for n = 10, 100, 1000; and batched evaluation on two
//! threads against one. `cargo bench --bench vjp_overhead`; the figures are ratios of the
//! reported times within one run.

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion};
use fdvjp::fd::{self, Options, Threaded};
use std::hint::black_box;
use std::time::Duration;

/// About 1 us per call at n = 1000: a pass over x and a short dependent recurrence.
fn cheap(x: &[f64], y: &mut [f64]) -> Result<(), i32> {
    let mut w = 0.5f64;
    for _ in 0..200 {
        w = 3.7 * w * (1.0 - w);
    }
    y[0] = x.iter().map(|v| 0.5 * v * v).sum::<f64>() + black_box(w) * 0.0;
    y[1] = x.iter().sum();
    Ok(())
}

/// The floor: central differences written by hand.
fn bare_vjp(x: &[f64], v: &[f64]) -> Vec<f64> {
    let (mut y0, mut yp, mut ym) = ([0.0; 2], [0.0; 2], [0.0; 2]);
    let mut xp = x.to_vec();
    cheap(x, &mut y0).unwrap();
    let r = f64::EPSILON.cbrt();
    (0..x.len())
        .map(|j| {
            let h = r * x[j].abs().max(1.0);
            let h = (x[j] + h) - x[j];
            xp[j] = x[j] + h;
            cheap(&xp, &mut yp).unwrap();
            xp[j] = x[j] - h;
            cheap(&xp, &mut ym).unwrap();
            xp[j] = x[j];
            (0..2).map(|i| v[i] * (yp[i] - ym[i]) / (2.0 * h)).sum()
        })
        .collect()
}

fn overhead(c: &mut Criterion) {
    let mut group = c.benchmark_group("dense_central_vjp");
    group
        .measurement_time(Duration::from_secs(2))
        .warm_up_time(Duration::from_millis(300));
    let v = [1.0, -0.5];
    for n in [10usize, 100, 1000] {
        let x: Vec<f64> = (0..n).map(|j| 0.5 + 0.001 * (j % 997) as f64).collect();
        let opts = Options::new();
        group.bench_with_input(BenchmarkId::new("fdvjp", n), &x, |b, x| {
            b.iter(|| fd::vjp(&cheap, black_box(x), &v, &opts).unwrap())
        });
        group.bench_with_input(BenchmarkId::new("bare_loop", n), &x, |b, x| {
            b.iter(|| bare_vjp(black_box(x), &v))
        });
    }
    group.finish();
}

/// About 1 ms per call: the work a thread pool can share.
fn expensive(x: &[f64], y: &mut [f64]) -> Result<(), i32> {
    let mut w = 0.5f64;
    for _ in 0..300_000 {
        w = 3.7 * w * (1.0 - w);
    }
    y[0] = x.iter().map(|v| v.sin()).sum::<f64>() + black_box(w) * 0.0;
    Ok(())
}

fn threads(c: &mut Criterion) {
    let mut group = c.benchmark_group("threads_n32_expensive");
    group
        .sample_size(10)
        .measurement_time(Duration::from_secs(3));
    let x: Vec<f64> = (0..32).map(|j| 0.1 * j as f64).collect();
    for threads in [1usize, 2] {
        let mut opts = Options::new();
        opts.set_batch(4 * threads).unwrap();
        let f = Threaded::new(&expensive, threads);
        group.bench_with_input(BenchmarkId::new("threads", threads), &x, |b, x| {
            b.iter(|| fd::vjp(&f, black_box(x), &[1.0], &opts).unwrap())
        });
    }
    group.finish();
}

criterion_group!(benches, overhead, threads);
criterion_main!(benches);
