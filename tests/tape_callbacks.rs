//! Opaque (finite-difference) and custom-VJP nodes on the tape: the seed flow
//! `f2(g(f1(x)))`, the least-squares slope with two arguments, mixed nodes, and the
//! Jacobian cache proven by counting evaluations.

use fdvjp::fd::{Function, Options, Scheme};
use fdvjp::tape::{BinaryOp, ReduceOp, Tape, UnaryOp, Var};
use std::cell::Cell;
use std::rc::Rc;

fn assert_close(got: &[f64], want: &[f64], tol: f64, what: &str) {
    assert_eq!(got.len(), want.len(), "{what}: lengths");
    for (k, (g, w)) in got.iter().zip(want).enumerate() {
        assert!(
            (g - w).abs() <= tol * w.abs().max(1.0),
            "{what}[{k}]: got {g:.17e}, want {w:.17e}"
        );
    }
}

fn grad(t: &Tape, v: Var) -> Vec<f64> {
    t.grad(v).unwrap().iter().copied().collect()
}

/// g(u) = [u0 u1, exp(u0) + u2, u1^2]: the opaque middle stage.
fn g(u: &[f64], y: &mut [f64]) -> Result<(), i32> {
    y[0] = u[0] * u[1];
    y[1] = u[0].exp() + u[2];
    y[2] = u[1] * u[1];
    Ok(())
}

/// A function that counts its evaluations.
fn counted(f: fn(&[f64], &mut [f64]) -> Result<(), i32>) -> (Box<dyn Function>, Rc<Cell<usize>>) {
    let count = Rc::new(Cell::new(0));
    let c = count.clone();
    let boxed = Box::new(move |x: &[f64], y: &mut [f64]| {
        c.set(c.get() + 1);
        f(x, y)
    });
    (boxed, count)
}

/// fun(x) = sum(tanh(g(sin(x) * x))): f1 and f2 built-in, g opaque. The exact gradient by
/// the chain rule, written out; central differences inside g give ~1e-10, tolerance 1e-8.
#[test]
fn seed_flow_through_an_opaque_stage() {
    for x in [[0.3, -0.7, 1.1], [-1.2, 0.4, 0.05], [2.0, 1.5, -0.3]] {
        let mut t = Tape::new();
        let xv = t.input_slice(&x).unwrap();
        let s = t.unary(UnaryOp::Sin, xv).unwrap();
        let u = t.binary(BinaryOp::Mul, s, xv).unwrap();
        let gv = t.call(Box::new(g), &[u], 3, Options::new()).unwrap();
        let th = t.unary(UnaryOp::Tanh, gv).unwrap();
        let loss = t.reduce(ReduceOp::Sum, th).unwrap();
        t.backward(loss, None).unwrap();

        let u: Vec<f64> = x.iter().map(|v| v.sin() * v).collect();
        let du: Vec<f64> = x.iter().map(|v| v.cos() * v + v.sin()).collect();
        let mut y = [0.0; 3];
        g(&u, &mut y).unwrap();
        let w: Vec<f64> = y.iter().map(|v| 1.0 - v.tanh().powi(2)).collect();
        // w^T J_g, J_g = [[u1, u0, 0], [e^u0, 0, 1], [0, 2 u1, 0]]
        let wg = [
            w[0] * u[1] + w[1] * u[0].exp(),
            w[0] * u[0] + w[2] * 2.0 * u[1],
            w[1],
        ];
        let want: Vec<f64> = (0..3).map(|i| wg[i] * du[i]).collect();
        assert_close(&grad(&t, xv), &want, 1e-8, "d loss/dx");
        let value = t.value(loss).unwrap()[[]];
        assert_close(&[value], &[y.iter().map(|v| v.tanh()).sum()], 1e-15, "loss");
    }
}

/// slope(x, y) = sum((x - xm)(y - ym)) / sum((x - xm)^2).
fn slope(z: &[f64], out: &mut [f64]) -> Result<(), i32> {
    let (x, y) = z.split_at(z.len() / 2);
    let n = x.len() as f64;
    let (xm, ym) = (x.iter().sum::<f64>() / n, y.iter().sum::<f64>() / n);
    let sxy: f64 = x.iter().zip(y).map(|(a, b)| (a - xm) * (b - ym)).sum();
    let sxx: f64 = x.iter().map(|a| (a - xm) * (a - xm)).sum();
    out[0] = sxy / sxx;
    Ok(())
}

/// The least-squares slope with x and y as two arguments of one opaque call. At
/// x = [1, 2, 3, 4], y = [0.4, 1.6, 2.1, 3.9] (slope 1.1) the exact gradients are
/// d/dx = ((y - ym) - 2 b (x - xm)) / Sxx = [0.34, 0.14, -0.2, -0.28] and
/// d/dy = (x - xm) / Sxx = [-0.3, -0.1, 0.1, 0.3]; tolerance 1e-8.
#[test]
fn least_squares_slope_with_two_arguments() {
    let mut t = Tape::new();
    let x = t.input_slice(&[1.0, 2.0, 3.0, 4.0]).unwrap();
    let y = t.input_slice(&[0.4, 1.6, 2.1, 3.9]).unwrap();
    let b = t.call(Box::new(slope), &[x, y], 1, Options::new()).unwrap();
    assert_close(&[t.value(b).unwrap()[[0]]], &[1.1], 1e-14, "slope");
    t.backward(b, None).unwrap();
    assert_close(&grad(&t, x), &[0.34, 0.14, -0.2, -0.28], 1e-8, "d slope/dx");
    assert_close(&grad(&t, y), &[-0.3, -0.1, 0.1, 0.3], 1e-8, "d slope/dy");
}

/// h(x) = [x0^2, x0 x1, sin(x1)] with its exact adjoint (custom-VJP), then g opaque, then a
/// dot with a constant: the gradient equals the chain rule written out (1e-8).
#[test]
fn mixed_opaque_and_custom_vjp_nodes() {
    let h = |x: &[f64], y: &mut [f64]| -> Result<(), i32> {
        y[0] = x[0] * x[0];
        y[1] = x[0] * x[1];
        y[2] = x[1].sin();
        Ok(())
    };
    let h_vjp = |x: &[f64], _y: &[f64], v: &[f64], grad: &mut [f64]| -> Result<(), i32> {
        grad[0] = 2.0 * x[0] * v[0] + x[1] * v[1];
        grad[1] = x[0] * v[1] + x[1].cos() * v[2];
        Ok(())
    };
    let c = [0.5, -1.5, 2.0];
    for x in [[0.7, -0.2], [-1.1, 0.9]] {
        let mut t = Tape::new();
        let xv = t.input_slice(&x).unwrap();
        let hv = t.call_vjp(Box::new(h), Box::new(h_vjp), &[xv], 3).unwrap();
        let gv = t.call(Box::new(g), &[hv], 3, Options::new()).unwrap();
        let cv = t.constant_slice(&c).unwrap();
        let loss = t.dot(gv, cv).unwrap();
        t.backward(loss, None).unwrap();
        let u = [x[0] * x[0], x[0] * x[1], x[1].sin()];
        // c^T J_g(u)
        let w = [
            c[0] * u[1] + c[1] * u[0].exp(),
            c[0] * u[0] + c[2] * 2.0 * u[1],
            c[1],
        ];
        let want = [
            2.0 * x[0] * w[0] + x[1] * w[1],
            x[0] * w[1] + x[1].cos() * w[2],
        ];
        assert_close(&grad(&t, xv), &want, 1e-8, "mixed");
    }
}

/// The Jacobian cache: with forward differences one pull-back costs n = 5 evaluations
/// (reusing the recorded y); k = 4 more backward passes with other seeds cost none; a
/// replay costs 1 and the next pull-back n again. Central costs 2n. Nodes not upstream of
/// the output cost nothing. The full Jacobian assembled from the m passes is exact for this
/// linear-plus-quadratic g to 1e-6 (forward differences: error ~ h * |f''|).
#[test]
fn jacobian_is_computed_once_per_point() {
    fn f(x: &[f64], y: &mut [f64]) -> Result<(), i32> {
        for (i, yi) in y.iter_mut().enumerate() {
            *yi = x
                .iter()
                .enumerate()
                .map(|(j, v)| ((i + 2 * j) as f64) * v)
                .sum::<f64>()
                + x[i] * x[i];
        }
        Ok(())
    }
    let n = 5;
    for (scheme, per_pullback) in [
        (Scheme::Forward, n),
        (Scheme::Central, 2 * n),
        (Scheme::Central4, 4 * n),
    ] {
        let mut opts = Options::new();
        opts.set_scheme(scheme);
        let mut t = Tape::new();
        let x0 = [0.1, -0.4, 0.8, 1.3, -2.0];
        let x = t.input_slice(&x0).unwrap();
        let (boxed, count) = counted(f);
        let y = t.call(boxed, &[x], 4, opts.clone()).unwrap();
        assert_eq!(count.get(), 1, "recording evaluates once");
        // A second opaque node that the output does not depend on.
        let (unused, unused_count) = counted(f);
        t.call(unused, &[x], 4, opts.clone()).unwrap();
        let mut rows = Vec::new();
        for i in 0..4 {
            let mut seed = [0.0; 4];
            seed[i] = 1.0;
            t.backward(y, Some(&seed)).unwrap();
            rows.push(grad(&t, x));
            assert_eq!(
                count.get(),
                1 + per_pullback,
                "{scheme:?}: after backward {i}"
            );
        }
        assert_eq!(
            unused_count.get(),
            1,
            "a node not upstream is never pulled back"
        );
        for (i, row) in rows.iter().enumerate() {
            let want: Vec<f64> = (0..n)
                .map(|j| (i + 2 * j) as f64 + if i == j { 2.0 * x0[j] } else { 0.0 })
                .collect();
            assert_close(row, &want, 1e-6, "Jacobian row");
        }
        t.set_input(x, &[0.2, 0.1, -0.3, 0.5, 0.9]).unwrap();
        t.forward().unwrap();
        assert_eq!(count.get(), 2 + per_pullback, "replay evaluates once");
        t.backward(y, Some(&[1.0, 0.0, 0.0, 0.0])).unwrap();
        assert_eq!(
            count.get(),
            2 + 2 * per_pullback,
            "the Jacobian is recomputed at the new point"
        );
    }
}

/// An opaque node whose arguments include a constant: the gradient goes only to the input,
/// split in the args' shapes.
#[test]
fn opaque_gradient_is_split_over_shaped_args() {
    let mut t = Tape::new();
    let a = t
        .input(ndarray::arr2(&[[1.0, 2.0], [3.0, 4.0]]).into_dyn())
        .unwrap();
    let c = t.scalar(3.0).unwrap();
    let b = t.input_slice(&[0.5]).unwrap();
    // f(z) = [sum_k z_k^2 * k] over z = [a (4), c (1), b (1)]
    let f = |z: &[f64], y: &mut [f64]| -> Result<(), i32> {
        y[0] = z
            .iter()
            .enumerate()
            .map(|(k, v)| v * v * (k as f64 + 1.0))
            .sum();
        Ok(())
    };
    let y = t.call(Box::new(f), &[a, c, b], 1, Options::new()).unwrap();
    t.backward(y, Some(&[2.0])).unwrap();
    let ga = t.grad(a).unwrap();
    assert_eq!(ga.shape(), &[2, 2]);
    let want_a: Vec<f64> = [1.0, 2.0, 3.0, 4.0]
        .iter()
        .enumerate()
        .map(|(k, v)| 2.0 * 2.0 * v * (k as f64 + 1.0))
        .collect();
    assert_close(
        &ga.iter().copied().collect::<Vec<_>>(),
        &want_a,
        1e-8,
        "grad a",
    );
    assert_close(&grad(&t, b), &[2.0 * 2.0 * 0.5 * 6.0], 1e-8, "grad b");
}
