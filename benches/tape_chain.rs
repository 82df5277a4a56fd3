//! The tape's gradient of a chain of built-in vector ops against a hand-written gradient of
//! the same chain, at vector lengths 10, 1 000 and 100 000.
//!
//! Chain: `loss = sum(exp(-tanh(x^2 + sin x)) * x)` — 7 elementwise ops and a sum (the
//! ops, the hand-written derivative and the points are `tests/common/chain.rs`, which
//! `tests/tape_replay.rs` checks too).
//! - `hand`: one fused loop computing the loss and its gradient (the floor).
//! - `tape_record`: record the chain, backward, read the gradient (a fresh tape each time).
//! - `tape_replay`: the chain recorded once; set_input, forward, backward, grad.
//!
//! Before measuring it checks that the tape's gradient equals the hand-written one (to
//! 1e-12) and prints the tape's bytes per recorded node. Run with `cargo bench --bench
//! tape_chain`; measurement times are short on purpose (the figures are ratios).

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion};
use fdvjp::tape::{ReduceOp, Tape, Var};
use std::hint::black_box;
use std::time::Duration;

#[path = "../tests/common/chain.rs"]
mod chain;

/// The loss and its gradient, written by hand in one pass.
fn hand(x: &[f64], grad: &mut [f64]) -> f64 {
    let mut loss = 0.0;
    for (g, &xi) in grad.iter_mut().zip(x) {
        let (value, derivative) = chain::f_and_derivative(xi);
        loss += value;
        *g = derivative;
    }
    loss
}

/// Records the chain on `t` over a new input `x`; returns (input, loss).
fn record(t: &mut Tape, x: &[f64]) -> (Var, Var) {
    let xv = t.input_slice(x).unwrap();
    let f = chain::record_f(t, xv);
    let loss = t.reduce(ReduceOp::Sum, f).unwrap();
    (xv, loss)
}

fn point(n: usize) -> Vec<f64> {
    chain::point(n, 0.0)
}

/// The tape's gradient equals the hand-written one; prints the bytes per node.
fn check_and_report(n: usize) {
    let x = point(n);
    let mut want = vec![0.0; n];
    let loss = hand(&x, &mut want);
    let mut t = Tape::new();
    let (xv, lv) = record(&mut t, &x);
    t.backward(lv, None).unwrap();
    let got = t.grad(xv).unwrap();
    for (g, w) in got.iter().zip(&want) {
        assert!(
            (g - w).abs() <= 1e-12 * w.abs().max(1.0),
            "tape {g} vs hand {w}"
        );
    }
    assert!((t.value(lv).unwrap()[[]] - loss).abs() <= 1e-12 * loss.abs().max(1.0));
    println!(
        "n = {n}: {} nodes, {} bytes recorded = {:.1} bytes per node ({:.2} x 8n)",
        t.len(),
        t.bytes(),
        t.bytes() as f64 / t.len() as f64,
        t.bytes() as f64 / t.len() as f64 / (8.0 * n as f64)
    );
}

fn bench(c: &mut Criterion) {
    let mut group = c.benchmark_group("tape_chain");
    group
        .warm_up_time(Duration::from_millis(300))
        .measurement_time(Duration::from_secs(1))
        .sample_size(20);
    for n in [10usize, 1_000, 100_000] {
        check_and_report(n);
        let x = point(n);
        let mut grad = vec![0.0; n];
        group.bench_with_input(BenchmarkId::new("hand", n), &x, |b, x| {
            b.iter(|| black_box(hand(black_box(x), &mut grad)))
        });
        group.bench_with_input(BenchmarkId::new("tape_record", n), &x, |b, x| {
            b.iter(|| {
                let mut t = Tape::new();
                let (xv, lv) = record(&mut t, black_box(x));
                t.backward(lv, None).unwrap();
                black_box(t.grad(xv).unwrap())
            })
        });
        let mut t = Tape::new();
        let (xv, lv) = record(&mut t, &x);
        group.bench_with_input(BenchmarkId::new("tape_replay", n), &x, |b, x| {
            b.iter(|| {
                t.set_input(xv, black_box(x)).unwrap();
                t.forward().unwrap();
                t.backward(lv, None).unwrap();
                black_box(t.grad(xv).unwrap())
            })
        });
    }
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
