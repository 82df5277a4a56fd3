//! Replay: record once, then values and gradients at new inputs equal those of a fresh
//! recording at those inputs, exactly (the same operations in the same order).

use fdvjp::fd::Options;
use fdvjp::tape::{BinaryOp, ReduceOp, Tape, UnaryOp, Var};

use crate::chain;

/// loss = sum(tanh(A g(x) + c)) * norm2(x) with g opaque and a custom-VJP square on the way.
fn record(t: &mut Tape, x0: &[f64]) -> (Var, Var) {
    let x = t.input_slice(x0).unwrap();
    let g = |u: &[f64], y: &mut [f64]| -> Result<(), i32> {
        y[0] = u[0].sin() * u[1];
        y[1] = u[1].exp() - u[2];
        Ok(())
    };
    let sq = |u: &[f64], y: &mut [f64]| -> Result<(), i32> {
        y.iter_mut().zip(u).for_each(|(y, u)| *y = u * u);
        Ok(())
    };
    let sq_vjp = |u: &[f64], _: &[f64], v: &[f64], out: &mut [f64]| -> Result<(), i32> {
        out.iter_mut()
            .zip(u.iter().zip(v))
            .for_each(|(o, (u, v))| *o = 2.0 * u * v);
        Ok(())
    };
    let gx = t.call(Box::new(g), &[x], 2, Options::new()).unwrap();
    let s = t
        .call_vjp(Box::new(sq), Box::new(sq_vjp), &[gx], 2)
        .unwrap();
    let a = t
        .constant(ndarray::arr2(&[[1.0, -0.5], [0.25, 2.0], [0.0, 1.0]]).into_dyn())
        .unwrap();
    let c = t.constant_slice(&[0.1, 0.2, 0.3]).unwrap();
    let m = t.matmul(a, s).unwrap();
    let m = t.binary(BinaryOp::Add, m, c).unwrap();
    let th = t.unary(UnaryOp::Tanh, m).unwrap();
    let sum = t.reduce(ReduceOp::Sum, th).unwrap();
    let nrm = t.reduce(ReduceOp::Norm2, x).unwrap();
    let loss = t.binary(BinaryOp::Mul, sum, nrm).unwrap();
    (x, loss)
}

#[test]
fn replay_equals_a_fresh_recording() {
    let points = [[0.3, -0.2, 0.9], [1.2, 0.4, -0.6], [-0.8, 1.1, 0.05]];
    let mut t = Tape::new();
    let (x, loss) = record(&mut t, &points[0]);
    let nodes = t.len();
    for p in &points[1..] {
        t.set_input(x, p).unwrap();
        assert_eq!(
            t.value(x).unwrap().as_slice().unwrap(),
            p,
            "set_input shows at once"
        );
        t.forward().unwrap();
        t.backward(loss, None).unwrap();
        assert_eq!(t.len(), nodes, "replay records nothing");

        let mut fresh = Tape::new();
        let (fx, floss) = record(&mut fresh, p);
        fresh.backward(floss, None).unwrap();
        assert_eq!(
            t.value(loss).unwrap(),
            fresh.value(floss).unwrap(),
            "values"
        );
        assert_eq!(t.grad(x).unwrap(), fresh.grad(fx).unwrap(), "gradients");
    }
}

#[test]
fn clear_empties_the_tape_for_reuse() {
    let mut t = Tape::new();
    let (x, loss) = record(&mut t, &[0.3, -0.2, 0.9]);
    t.backward(loss, None).unwrap();
    t.clear();
    assert!(t.is_empty());
    assert!(t.value(x).is_err() && t.value(loss).is_err());
    let (x2, loss2) = record(&mut t, &[0.3, -0.2, 0.9]);
    assert_ne!(x2, x, "a new var id after clear");
    t.backward(loss2, None).unwrap();
    let mut fresh = Tape::new();
    let (fx, floss) = record(&mut fresh, &[0.3, -0.2, 0.9]);
    fresh.backward(floss, None).unwrap();
    assert_eq!(t.grad(x2).unwrap(), fresh.grad(fx).unwrap());
}

/// The long-vector chain of the benchmark (`loss = sum(exp(-tanh(x^2 + sin x)) * x)`, plus
/// a broadcast scalar, a subtraction and a norm so that every pull-back that takes a
/// buffer runs), with its hand-written gradient.
fn long_chain(t: &mut Tape, x0: &[f64]) -> (Var, Var) {
    let x = t.input_slice(x0).unwrap();
    let f = chain::record_f(t, x);
    let half = t.scalar(0.5).unwrap();
    let h = t.binary(BinaryOp::Mul, half, x).unwrap(); // 0.5 x, broadcast
    let k = t.binary(BinaryOp::Sub, f, h).unwrap();
    let sum = t.reduce(ReduceOp::Sum, k).unwrap();
    let nrm = t.reduce(ReduceOp::Norm2, x).unwrap();
    let loss = t.binary(BinaryOp::Add, sum, nrm).unwrap();
    (x, loss)
}

fn long_chain_gradient(x: &[f64]) -> Vec<f64> {
    let norm = x.iter().map(|v| v * v).sum::<f64>().sqrt();
    x.iter()
        .map(|&xi| chain::f_and_derivative(xi).1 - 0.5 + xi / norm)
        .collect()
}

/// Arrays of 4096 doubles and more reuse the buffers the thread's earlier tapes gave
/// back (`src/tape/spare.rs`): recording, replaying and freeing tapes of long vectors in
/// turn, longer then shorter (a reused buffer larger than needed), must give every time
/// the gradient of a first recording on fresh memory bit for bit, and the hand-written
/// gradient to 1e-13.
#[test]
fn reused_buffers_change_no_value() {
    let point = chain::point;
    let gradient = |t: &mut Tape, x: Var, loss: Var| {
        t.backward(loss, None).unwrap();
        t.grad(x).unwrap().iter().copied().collect::<Vec<f64>>()
    };
    let mut first: Vec<(usize, Vec<f64>)> = Vec::new();
    for round in 0..3 {
        for n in [10_000, 5_000, 20_000, 4_096] {
            let x0 = point(n, 0.0);
            let mut t = Tape::new();
            let (x, loss) = long_chain(&mut t, &x0);
            let g = gradient(&mut t, x, loss);
            if round == 0 {
                for (gi, hi) in g.iter().zip(long_chain_gradient(&x0)) {
                    assert!((gi - hi).abs() <= 1e-13 * hi.abs().max(1.0), "n = {n}");
                }
                first.push((n, g.clone()));
            } else {
                let (_, g0) = first.iter().find(|(m, _)| *m == n).unwrap();
                assert_eq!(&g, g0, "n = {n}, round {round}: recorded");
            }
            // Replayed at another point and back: the same numbers again.
            let x1 = point(n, 0.125);
            t.set_input(x, &x1).unwrap();
            t.forward().unwrap();
            let g1 = gradient(&mut t, x, loss);
            for (gi, hi) in g1.iter().zip(long_chain_gradient(&x1)) {
                assert!(
                    (gi - hi).abs() <= 1e-13 * hi.abs().max(1.0),
                    "n = {n}, replay"
                );
            }
            t.set_input(x, &x0).unwrap();
            t.forward().unwrap();
            let (_, g0) = first.iter().find(|(m, _)| *m == n).unwrap();
            assert_eq!(
                &gradient(&mut t, x, loss),
                g0,
                "n = {n}, round {round}: replayed"
            );
        }
    }
}
