//! Every error path of the Rust tape API, with the error kind, a message naming the thing
//! at fault, the tape unchanged afterwards and still usable.

use fdvjp::fd::{FdError, Options};
use fdvjp::tape::{BinaryOp, Phase, ReduceOp, Tape, TapeError, UnaryOp, Var};
use ndarray::{ArrayD, IxDyn};
use std::cell::Cell;
use std::rc::Rc;

fn arr(shape: &[usize], data: Vec<f64>) -> ArrayD<f64> {
    ArrayD::from_shape_vec(IxDyn(shape), data).unwrap()
}

/// A small tape: x (3), sum(x^2) as a scalar output, and a constant matrix.
fn small() -> (Tape, Var, Var, Var) {
    let mut t = Tape::new();
    let x = t.input_slice(&[1.0, -2.0, 0.5]).unwrap();
    let sq = t.unary(UnaryOp::Square, x).unwrap();
    let loss = t.reduce(ReduceOp::Sum, sq).unwrap();
    let m = t.constant(arr(&[2, 2], vec![1.0, 2.0, 3.0, 4.0])).unwrap();
    (t, x, loss, m)
}

/// The tape still records, runs backward, and gives the exact gradient 2x.
fn assert_usable(t: &mut Tape, x: Var) {
    let sq = t.unary(UnaryOp::Square, x).unwrap();
    let loss = t.reduce(ReduceOp::Sum, sq).unwrap();
    t.backward(loss, None).unwrap();
    let x0: Vec<f64> = t.value(x).unwrap().iter().copied().collect();
    let g: Vec<f64> = t.grad(x).unwrap().iter().copied().collect();
    assert_eq!(g, x0.iter().map(|v| 2.0 * v).collect::<Vec<_>>());
}

#[test]
fn unknown_vars_are_named() {
    let (mut t, x, _, _) = small();
    let (other, ox, _, _) = small();
    let len = t.len();
    for (v, why) in [
        (ox, "another tape"),
        (Var::from_raw(0), "0 is never"),
        (Var::from_raw(x.raw() + 100), "only 4 nodes"),
        (Var::from_raw(u64::MAX), "no tape issued it"),
        (Var::from_raw(1 << 63), "no tape issued it"),
    ] {
        let e = t.unary(UnaryOp::Exp, v).unwrap_err();
        let msg = e.to_string();
        assert!(
            matches!(e, TapeError::UnknownVar { id, .. } if id == v.raw()),
            "{msg}"
        );
        assert!(
            msg.contains(&format!("id {}", v.raw())) && msg.contains(why),
            "{msg}"
        );
        // "var N" names a node of some tape; an id no tape drew shows as the id alone.
        assert_eq!(
            msg.starts_with("var "),
            why == "another tape" || why == "only 4 nodes",
            "{msg}"
        );
        assert!(t.value(v).is_err() && t.grad(v).is_err() && t.backward(v, None).is_err());
        assert!(t.set_input(v, &[1.0, 2.0, 3.0]).is_err());
        assert!(
            t.concat(&[x, v]).is_err()
                && t.call(
                    Box::new(|_: &[f64], _: &mut [f64]| Ok(())),
                    &[v],
                    1,
                    Options::new()
                )
                .is_err()
        );
    }
    assert_eq!(t.len(), len, "failed records add no node");
    drop(other);
    // A var from before a clear.
    t.clear();
    let e = t.value(x).unwrap_err();
    assert!(e.to_string().contains("cleared"), "{e}");
    let x2 = t.input_slice(&[3.0]).unwrap();
    assert_usable(&mut t, x2);
}

#[test]
fn shape_mismatches_name_both_shapes() {
    let (mut t, x, _, m) = small();
    let y = t.input(arr(&[2, 2], vec![0.0; 4])).unwrap();
    let len = t.len();
    let cases: Vec<(Result<Var, TapeError>, &str)> = vec![
        (t.binary(BinaryOp::Add, x, y), "[3] and [2, 2]"),
        (t.dot(x, y), "[3] and [2, 2]"),
        (t.matmul(m, x), "[2, 2] and [3]"),
        (t.matmul(x, m), "[3] and [2, 2]"),
        (t.reshape(x, &[2, 2]), "[3] and [2, 2]"),
    ];
    for (r, shapes) in cases {
        let e = r.unwrap_err();
        assert!(matches!(e, TapeError::ShapeMismatch { .. }), "{e}");
        assert!(e.to_string().contains(shapes), "{e}");
    }
    let e = t.slice(x, 2, 2).unwrap_err();
    assert!(
        matches!(e, TapeError::InvalidArgument(_)) && e.to_string().contains("start = 2"),
        "{e}"
    );
    let e = t.pow_scalar(x, f64::NAN).unwrap_err();
    assert!(e.to_string().contains("p = NaN"), "{e}");
    assert_eq!(t.len(), len);
    assert_usable(&mut t, x);
}

#[test]
fn bad_values_and_lengths() {
    let (mut t, x, loss, m) = small();
    let e = t.input_slice(&[1.0, f64::NAN]).unwrap_err();
    assert!(e.to_string().contains("input[1] = NaN"), "{e}");
    let e = t.constant_slice(&[f64::INFINITY]).unwrap_err();
    assert!(e.to_string().contains("constant[0] = inf"), "{e}");
    t.backward(loss, None).unwrap();
    let before = t.grad(x).unwrap();
    // seed: NULL needs a scalar output; wrong length; NaN.
    let e = t.backward(x, None).unwrap_err();
    assert!(
        matches!(e, TapeError::LengthMismatch { expected: 3, .. }),
        "{e}"
    );
    let e = t.backward(x, Some(&[1.0])).unwrap_err();
    assert!(
        matches!(
            e,
            TapeError::LengthMismatch {
                len: 1,
                expected: 3,
                ..
            }
        ),
        "{e}"
    );
    let e = t.backward(x, Some(&[1.0, f64::NAN, 0.0])).unwrap_err();
    assert!(e.to_string().contains("seed[1] = NaN"), "{e}");
    assert_eq!(
        t.grad(x).unwrap(),
        before,
        "failed backward keeps the gradients"
    );
    // grad of a non-input; set_input of a non-input, of the wrong length, with NaN.
    let e = t.grad(m).unwrap_err();
    assert!(e.to_string().contains("a constant, not an input"), "{e}");
    let e = t.set_input(loss, &[1.0]).unwrap_err();
    assert!(e.to_string().contains("a sum, not an input"), "{e}");
    let e = t.set_input(x, &[1.0]).unwrap_err();
    assert!(
        matches!(
            e,
            TapeError::LengthMismatch {
                len: 1,
                expected: 3,
                ..
            }
        ),
        "{e}"
    );
    let e = t.set_input(x, &[1.0, 2.0, f64::NAN]).unwrap_err();
    assert!(e.to_string().contains("x[2] = NaN"), "{e}");
    assert_eq!(
        t.grad(x).unwrap(),
        before,
        "failed set_input changes nothing"
    );
    assert_usable(&mut t, x);
}

#[test]
fn gradients_need_a_backward_and_fresh_values() {
    let (mut t, x, loss, _) = small();
    let e = t.grad(x).unwrap_err();
    assert!(e.to_string().contains("no backward"), "{e}");
    t.set_input(x, &[0.0, 1.0, 2.0]).unwrap();
    let e = t.backward(loss, None).unwrap_err();
    assert!(e.to_string().contains("call forward first"), "{e}");
    let e = t.unary(UnaryOp::Exp, x).unwrap_err();
    assert!(e.to_string().contains("stale"), "{e}");
    t.forward().unwrap();
    assert_eq!(t.value(loss).unwrap()[[]], 5.0);
    assert_usable(&mut t, x);
}

/// A function that fails (returns `code`) once `fail` is set, counting its calls.
fn switchable(fail: Rc<Cell<i32>>) -> Box<dyn fdvjp::fd::Function> {
    Box::new(move |x: &[f64], y: &mut [f64]| {
        if fail.get() != 0 {
            return Err(fail.get());
        }
        y[0] = x.iter().map(|v| v * v).sum();
        y[1] = x[0];
        Ok(())
    })
}

#[test]
fn callback_failures_name_the_node_and_evaluation() {
    let fail = Rc::new(Cell::new(0));
    let (mut t, x, _, _) = small();
    // Record: a failing f adds no node.
    fail.set(7);
    let len = t.len();
    let e = t
        .call(switchable(fail.clone()), &[x], 2, Options::new())
        .unwrap_err();
    assert!(
        matches!(
            &e,
            TapeError::Node {
                index: 4,
                phase: Phase::Record,
                source: FdError::Callback {
                    code: 7,
                    evaluation: 1,
                    ..
                },
                ..
            }
        ),
        "{e}"
    );
    assert!(
        e.to_string()
            .contains("node 4 (opaque call) failed in recording: callback returned 7"),
        "{e}"
    );
    assert_eq!(t.len(), len);
    // Non-finite output.
    let e = t
        .call(
            Box::new(|_: &[f64], y: &mut [f64]| {
                y[0] = 1.0;
                y[1] = f64::NAN;
                Ok(())
            }),
            &[x],
            2,
            Options::new(),
        )
        .unwrap_err();
    assert!(
        matches!(
            &e,
            TapeError::Node {
                source: FdError::NonFiniteAtX { index: 1, .. },
                ..
            }
        ),
        "{e}"
    );
    assert_eq!(t.len(), len);
    // Backward: keeps the previous gradients.
    fail.set(0);
    let y = t
        .call(switchable(fail.clone()), &[x], 2, Options::new())
        .unwrap();
    let s = t.reduce(ReduceOp::Sum, y).unwrap();
    let sq = t.unary(UnaryOp::Square, x).unwrap();
    t.backward(sq, Some(&[1.0, 1.0, 1.0])).unwrap();
    let before = t.grad(x).unwrap();
    fail.set(9);
    let e = t.backward(s, None).unwrap_err();
    assert!(
        matches!(
            &e,
            TapeError::Node {
                phase: Phase::Backward,
                source: FdError::Callback {
                    code: 9,
                    evaluation: 1,
                    ..
                },
                ..
            }
        ),
        "{e}"
    );
    assert!(
        e.to_string().contains("(x[0] - h, h = "),
        "names the perturbed point: {e}"
    );
    assert_eq!(t.grad(x).unwrap(), before);
    // Replay: restores every value.
    fail.set(0);
    t.backward(s, None).unwrap();
    let value_before = t.value(s).unwrap();
    let grad_before = t.grad(x).unwrap();
    t.set_input(x, &[0.5, 0.5, 0.5]).unwrap();
    fail.set(3);
    let e = t.forward().unwrap_err();
    assert!(
        matches!(
            &e,
            TapeError::Node {
                phase: Phase::Replay,
                source: FdError::Callback { code: 3, .. },
                ..
            }
        ),
        "{e}"
    );
    assert_eq!(t.value(s).unwrap(), value_before, "values restored");
    fail.set(0);
    t.forward().unwrap();
    t.backward(s, None).unwrap();
    assert_ne!(t.grad(x).unwrap(), grad_before);
    assert_usable(&mut t, x);
}

#[test]
fn custom_vjp_failure_in_backward() {
    let (mut t, x, _, _) = small();
    let y = t
        .call_vjp(
            Box::new(|x: &[f64], y: &mut [f64]| {
                y.copy_from_slice(x);
                Ok(())
            }),
            Box::new(|_: &[f64], _: &[f64], _: &[f64], _: &mut [f64]| Err(-2)),
            &[x],
            3,
        )
        .unwrap();
    let e = t.backward(y, Some(&[1.0, 1.0, 1.0])).unwrap_err();
    assert!(
        e.to_string()
            .contains("custom-VJP call) failed in backward: callback returned -2"),
        "{e}"
    );
    assert_usable(&mut t, x);
}

#[test]
fn domains_give_nan_values_not_errors() {
    let mut t = Tape::new();
    let x = t.input_slice(&[-1.0, 0.0, 4.0]).unwrap();
    let l = t.unary(UnaryOp::Log, x).unwrap();
    let v = t.value(l).unwrap();
    assert!(v[[0]].is_nan() && v[[1]] == f64::NEG_INFINITY && v[[2]] == 4f64.ln());
    let a = t.unary(UnaryOp::Abs, x).unwrap();
    t.backward(a, Some(&[1.0, 1.0, 1.0])).unwrap();
    assert_eq!(
        t.grad(x).unwrap().as_slice().unwrap(),
        &[-1.0, 0.0, 1.0],
        "subgradient 0 at 0"
    );
    // An opaque call on a NaN argument is refused at recording.
    let e = t
        .call(
            Box::new(|_: &[f64], _: &mut [f64]| Ok(())),
            &[l],
            1,
            Options::new(),
        )
        .unwrap_err();
    assert!(e.to_string().contains("x[0] = NaN"), "{e}");
}

/// Vars appear in messages as the node they name ("var 2"), never as the raw id in hex
/// (`0x…00000002`, the tape serial in the high bits), which means nothing to the caller.
#[test]
fn messages_name_vars_by_node_number() {
    let (mut t, x, loss, m) = small();
    let seed_err = t.backward(loss, Some(&[1.0, 2.0])).unwrap_err().to_string();
    assert!(
        seed_err.contains("the number of elements of out var 2 = 1"),
        "{seed_err}"
    );
    t.backward(loss, None).unwrap();
    let grad_err = t.grad(m).unwrap_err().to_string();
    assert!(grad_err.starts_with("var 3 is "), "{grad_err}");
    let set_err = t.set_input(x, &[1.0]).unwrap_err().to_string();
    assert!(set_err.contains("elements of input var 0 = 3"), "{set_err}");
    let (_, other_x, _, _) = small();
    let unknown = t.value(other_x).unwrap_err().to_string();
    let want = format!("var 0 (id {}) is unknown to this tape", other_x.raw());
    assert!(unknown.starts_with(&want), "{unknown}");
    for msg in [seed_err, grad_err, set_err, unknown] {
        assert!(!msg.contains("0x"), "{msg}");
    }
}

/// A pull-back that is NaN from overflow alone (seeds 1e308 and -1e308 on two equal rows:
/// inf - inf, exactly 0) says that an intermediate sum overflowed, not a defect.
#[test]
fn opaque_pullback_nan_from_overflow_says_so() {
    let twins = || -> Box<dyn fdvjp::fd::Function> {
        Box::new(|x: &[f64], y: &mut [f64]| {
            y[0] = 3.0 * (x[0] + x[1]);
            y[1] = y[0];
            Ok(())
        })
    };
    let mut t = Tape::new();
    let x = t.input_slice(&[3.0, 4.0]).unwrap();
    let y = t.call(twins(), &[x], 2, Options::new()).unwrap();
    let e = t
        .backward(y, Some(&[1e308, -1e308]))
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("grad[0] = NaN: terms of opposite signs overflowed"),
        "{e}"
    );
    assert!(
        e.contains("(inf - inf)") && e.contains("scale the seed down"),
        "{e}"
    );
    assert!(!e.contains("defect"), "{e}");
}

/// An opaque node's pull-back beyond the doubles is an error, as `fdvjp_vjp`'s is (a seed
/// of 1e308 through y = 10 x gave an infinite gradient with success; probe12 finding 8);
/// the earlier gradients are kept, and a seed that is already infinite (IEEE arithmetic of
/// the built-in ops upstream) still propagates as through a built-in op.
#[test]
fn opaque_pullback_beyond_the_doubles_is_an_error() {
    let ten = || -> Box<dyn fdvjp::fd::Function> {
        Box::new(|x: &[f64], y: &mut [f64]| {
            for (yi, xi) in y.iter_mut().zip(x) {
                *yi = 10.0 * xi;
            }
            Ok(())
        })
    };
    let mut t = Tape::new();
    let x = t.input_slice(&[3.0, 4.0]).unwrap();
    let y = t.call(ten(), &[x], 2, Options::new()).unwrap();
    t.backward(y, Some(&[1.0, 2.0])).unwrap();
    let before: Vec<f64> = t.grad(x).unwrap().iter().copied().collect();
    assert!((before[0] - 10.0).abs() < 1e-6 && (before[1] - 20.0).abs() < 1e-6);
    for seed in [[1e308, 0.0], [0.0, -1e308], [1e308, 1e308]] {
        let e = t.backward(y, Some(&seed)).unwrap_err();
        assert!(
            matches!(
                &e,
                TapeError::Node {
                    phase: Phase::Backward,
                    source: FdError::InvalidArgument(_),
                    ..
                }
            ),
            "{e}"
        );
        assert!(e.to_string().contains("beyond the doubles"), "{e}");
        let kept: Vec<f64> = t.grad(x).unwrap().iter().copied().collect();
        assert_eq!(kept, before);
    }
    // An infinite adjoint from a built-in op (1/x at 0) passes through as IEEE says.
    let mut t = Tape::new();
    let x = t.input_slice(&[0.0, 1.0]).unwrap();
    let y = t.call(ten(), &[x], 2, Options::new()).unwrap();
    let s = t.unary(UnaryOp::Sqrt, y).unwrap();
    let loss = t.reduce(ReduceOp::Sum, s).unwrap();
    t.backward(loss, None).unwrap();
    let g: Vec<f64> = t.grad(x).unwrap().iter().copied().collect();
    assert!(g[0].is_infinite() || g[0].is_nan(), "{g:?}");
}
