//! Replay: record once, then values and gradients at new inputs equal those of a fresh
//! recording at those inputs, exactly (the same operations in the same order).

use fdvjp::fd::Options;
use fdvjp::tape::{BinaryOp, ReduceOp, Tape, UnaryOp, Var};

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
