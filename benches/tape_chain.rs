//! The tape's gradient of a chain of built-in vector ops against a hand-written gradient of
//! the same chain, at vector lengths 10, 1 000 and 100 000.
//!
//! Chain: `loss = sum(exp(-tanh(x^2 + sin x)) * x)` — 7 elementwise ops and a sum.
//! - `hand`: one fused loop computing the loss and its gradient (the floor).
//! - `tape_record`: record the chain, backward, read the gradient (a fresh tape each time).
//! - `tape_replay`: the chain recorded once; set_input, forward, backward, grad.
//!
//! Before measuring it checks that the tape's gradient equals the hand-written one (to
//! 1e-12) and prints the tape's bytes per recorded node. Run with `cargo bench --bench
//! tape_chain`; measurement times are short on purpose (the figures are ratios).

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion};
use fdvjp::tape::{BinaryOp, ReduceOp, Tape, UnaryOp, Var};
use std::hint::black_box;
use std::time::Duration;

/// The loss and its gradient, written by hand in one pass.
fn hand(x: &[f64], grad: &mut [f64]) -> f64 {
    let mut loss = 0.0;
    for (g, &xi) in grad.iter_mut().zip(x) {
        let (s, c) = xi.sin_cos();
        let d = (xi * xi + s).tanh();
        let e = (-d).exp();
        loss += e * xi;
        // d/dx [e x] = e + x de/dx, de/dx = -e (1 - d^2) (2x + cos x)
        *g = e - xi * e * (1.0 - d * d) * (2.0 * xi + c);
    }
    loss
}

/// Records the chain on `t` over a new input `x`; returns (input, loss).
fn record(t: &mut Tape, x: &[f64]) -> (Var, Var) {
    let xv = t.input_slice(x).unwrap();
    let sq = t.unary(UnaryOp::Square, xv).unwrap();
    let s = t.unary(UnaryOp::Sin, xv).unwrap();
    let c = t.binary(BinaryOp::Add, sq, s).unwrap();
    let d = t.unary(UnaryOp::Tanh, c).unwrap();
    let nd = t.unary(UnaryOp::Neg, d).unwrap();
    let e = t.unary(UnaryOp::Exp, nd).unwrap();
    let f = t.binary(BinaryOp::Mul, e, xv).unwrap();
    let loss = t.reduce(ReduceOp::Sum, f).unwrap();
    (xv, loss)
}

fn point(n: usize) -> Vec<f64> {
    (0..n)
        .map(|i| ((i * 37 % 101) as f64 / 50.0) - 1.0)
        .collect()
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
