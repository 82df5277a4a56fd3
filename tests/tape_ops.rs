//! The built-in ops' gradients on the tape, against analytic derivatives written out here
//! (one op at a time, many random shapes and points) and against central differences of
//! whole random compositions.

use fdvjp::fd::{self, Options};
use fdvjp::tape::{BinaryOp, ReduceOp, Tape, UnaryOp, Var};
use ndarray::{ArrayD, IxDyn};
use proptest::prelude::*;

/// |got - want| <= tol * max(1, |want|) elementwise.
fn assert_close(got: &[f64], want: &[f64], tol: f64, what: &str) {
    assert_eq!(got.len(), want.len(), "{what}: lengths");
    for (k, (g, w)) in got.iter().zip(want).enumerate() {
        assert!(
            (g - w).abs() <= tol * w.abs().max(1.0),
            "{what}[{k}]: got {g:e}, want {w:e}"
        );
    }
}

fn arr(shape: &[usize], data: Vec<f64>) -> ArrayD<f64> {
    ArrayD::from_shape_vec(IxDyn(shape), data).unwrap()
}

fn flat(a: &ArrayD<f64>) -> Vec<f64> {
    a.iter().copied().collect()
}

/// A shape of 0 to 3 dimensions with 1 to 27 elements, and matching data in [lo, hi].
fn shaped(lo: f64, hi: f64) -> impl Strategy<Value = (Vec<usize>, Vec<f64>)> {
    prop::collection::vec(1usize..4, 0..4).prop_flat_map(move |shape| {
        let len = shape.iter().product::<usize>();
        (Just(shape), prop::collection::vec(lo..hi, len..=len))
    })
}

/// The analytic derivative of each unary op, written independently of the library.
fn unary_derivative(op: UnaryOp, x: f64) -> f64 {
    match op {
        UnaryOp::Neg => -1.0,
        UnaryOp::Exp => x.exp(),
        UnaryOp::Log => 1.0 / x,
        UnaryOp::Log1p => 1.0 / (1.0 + x),
        UnaryOp::Sqrt => 1.0 / (2.0 * x.sqrt()),
        UnaryOp::Sin => x.cos(),
        UnaryOp::Cos => -x.sin(),
        UnaryOp::Tan => 1.0 / (x.cos() * x.cos()),
        UnaryOp::Tanh => 1.0 / (x.cosh() * x.cosh()),
        UnaryOp::Abs => x.signum(),
        UnaryOp::Square => 2.0 * x,
    }
}

/// Each unary op's value, written independently of the library.
fn unary_value(op: UnaryOp, x: f64) -> f64 {
    match op {
        UnaryOp::Neg => 0.0 - x,
        UnaryOp::Exp => x.exp(),
        UnaryOp::Log => x.ln(),
        UnaryOp::Log1p => x.ln_1p(),
        UnaryOp::Sqrt => x.sqrt(),
        UnaryOp::Sin => x.sin(),
        UnaryOp::Cos => x.cos(),
        UnaryOp::Tan => x.sin() / x.cos(),
        UnaryOp::Tanh => x.tanh(),
        UnaryOp::Abs => x.max(-x),
        UnaryOp::Square => x.powi(2),
    }
}

/// Domain-safe inputs: positive for log and sqrt, > -1 for log1p, inside (-pi/2, pi/2)
/// for tan, away from 0 for abs.
fn unary_point(op: UnaryOp, u: f64) -> f64 {
    match op {
        UnaryOp::Log | UnaryOp::Sqrt => 0.1 + 3.0 * u.abs(),
        UnaryOp::Log1p => -0.9 + 3.0 * u.abs(),
        UnaryOp::Tan => 1.4 * u.clamp(-1.0, 1.0),
        UnaryOp::Abs if u.abs() < 1e-3 => 0.5,
        _ => 3.0 * u,
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    /// Each unary op: value f(x) and gradient g * f'(x) elementwise, to 1e-13 relative.
    #[test]
    fn unary_ops_match_analytic_derivatives(op_i in 0usize..11, (shape, u) in shaped(-1.0, 1.0),
                                             seed in prop::collection::vec(-2.0f64..2.0, 27)) {
        let op = UnaryOp::ALL[op_i];
        let x: Vec<f64> = u.iter().map(|&u| unary_point(op, u)).collect();
        let g = &seed[..x.len()];
        let mut t = Tape::new();
        let a = t.input(arr(&shape, x.clone())).unwrap();
        let y = t.unary(op, a).unwrap();
        prop_assert_eq!(t.shape(y).unwrap(), &shape[..]);
        let want_y: Vec<f64> = x.iter().map(|&v| unary_value(op, v)).collect();
        assert_close(&flat(&t.value(y).unwrap()), &want_y, 1e-15, op.name());
        t.backward(y, Some(g)).unwrap();
        let want: Vec<f64> = x.iter().zip(g).map(|(&v, &gi)| gi * unary_derivative(op, v)).collect();
        assert_close(&flat(&t.grad(a).unwrap()), &want, 1e-13, op.name());
    }

    /// Each binary op with equal shapes, and with a scalar broadcast on either side: the
    /// gradient of the scalar is the sum over the elements it met. Tolerance 1e-12.
    #[test]
    fn binary_ops_match_analytic_derivatives(op_i in 0usize..5, (shape, u) in shaped(0.2, 2.0),
                                              w in prop::collection::vec(0.2f64..2.0, 27),
                                              seed in prop::collection::vec(-2.0f64..2.0, 27),
                                              broadcast in 0usize..3) {
        let op = BinaryOp::ALL[op_i];
        let n = u.len();
        let g = &seed[..n];
        // d(a op b)/da and d/db at one pair of elements, written out here.
        let partials = |a: f64, b: f64| match op {
            BinaryOp::Add => (1.0, 1.0),
            BinaryOp::Sub => (1.0, -1.0),
            BinaryOp::Mul => (b, a),
            BinaryOp::Div => (1.0 / b, -a / (b * b)),
            BinaryOp::Pow => (b * a.powf(b - 1.0), a.powf(b) * a.ln()),
        };
        let (a_data, a_shape, b_data, b_shape): (Vec<f64>, Vec<usize>, Vec<f64>, Vec<usize>) = match broadcast {
            0 => (u.clone(), shape.clone(), w[..n].to_vec(), shape.clone()),
            1 => (u.clone(), shape.clone(), vec![w[0]], vec![]),
            _ => (vec![w[0]], vec![], u.clone(), shape.clone()),
        };
        let mut t = Tape::new();
        let a = t.input(arr(&a_shape, a_data.clone())).unwrap();
        let b = t.input(arr(&b_shape, b_data.clone())).unwrap();
        let y = t.binary(op, a, b).unwrap();
        prop_assert_eq!(t.value(y).unwrap().len(), n);
        t.backward(y, Some(g)).unwrap();
        let mut ga = vec![0.0; a_data.len()];
        let mut gb = vec![0.0; b_data.len()];
        let value = |a: f64, b: f64| match op {
            BinaryOp::Add => a + b,
            BinaryOp::Sub => a - b,
            BinaryOp::Mul => a * b,
            BinaryOp::Div => a / b,
            BinaryOp::Pow => (b * a.ln()).exp(),
        };
        let y_got = flat(&t.value(y).unwrap());
        for (k, &gk) in g.iter().enumerate() {
            let ia = if a_data.len() == 1 && a_shape.is_empty() { 0 } else { k };
            let ib = if b_data.len() == 1 && b_shape.is_empty() { 0 } else { k };
            let (da, db) = partials(a_data[ia], b_data[ib]);
            ga[ia] += gk * da;
            gb[ib] += gk * db;
            assert_close(&[y_got[k]], &[value(a_data[ia], b_data[ib])], 1e-14, "value");
        }
        assert_close(&flat(&t.grad(a).unwrap()), &ga, 1e-12, "grad a");
        assert_close(&flat(&t.grad(b).unwrap()), &gb, 1e-12, "grad b");
    }

    /// sum, mean, L2 norm, dot and pow_scalar against their formulas.
    #[test]
    fn reductions_dot_and_pow_scalar(( shape, x) in shaped(-2.0, 2.0),
                                     w in prop::collection::vec(-2.0f64..2.0, 27),
                                     p in -2.5f64..2.5, s in -2.0f64..2.0) {
        let n = x.len();
        let mut t = Tape::new();
        let a = t.input(arr(&shape, x.clone())).unwrap();
        let b = t.input(arr(&shape, w[..n].to_vec())).unwrap();
        let norm = x.iter().map(|v| v * v).sum::<f64>().sqrt();
        let cases: [(ReduceOp, Vec<f64>); 3] = [
            (ReduceOp::Sum, vec![s; n]),
            (ReduceOp::Mean, vec![s / n as f64; n]),
            (ReduceOp::Norm2, x.iter().map(|v| s * v / norm).collect()),
        ];
        for (op, want) in cases {
            let r = t.reduce(op, a).unwrap();
            prop_assert_eq!(t.value(r).unwrap().ndim(), 0);
            t.backward(r, Some(&[s])).unwrap();
            assert_close(&flat(&t.grad(a).unwrap()), &want, 1e-13, op.name());
        }
        let d = t.dot(a, b).unwrap();
        let want_d: f64 = x.iter().zip(&w).map(|(p, q)| p * q).sum();
        assert_close(&flat(&t.value(d).unwrap()), &[want_d], 1e-14, "dot value");
        t.backward(d, Some(&[s])).unwrap();
        assert_close(&flat(&t.grad(a).unwrap()), &w[..n].iter().map(|v| s * v).collect::<Vec<_>>(), 1e-14, "dot a");
        assert_close(&flat(&t.grad(b).unwrap()), &x.iter().map(|v| s * v).collect::<Vec<_>>(), 1e-14, "dot b");
        // pow_scalar on |x| + 0.1 (positive base, any real exponent).
        let pos: Vec<f64> = x.iter().map(|v| v.abs() + 0.1).collect();
        let c = t.input(arr(&shape, pos.clone())).unwrap();
        let q = t.pow_scalar(c, p).unwrap();
        let sq = t.reduce(ReduceOp::Sum, q).unwrap();
        t.backward(sq, None).unwrap();
        let want: Vec<f64> = pos.iter().map(|v| p * v.powf(p - 1.0)).collect();
        assert_close(&flat(&t.grad(c).unwrap()), &want, 1e-12, "pow_scalar");
    }

    /// The L2 norm and its gradient at every scale of the doubles: no spurious overflow or
    /// underflow (norm2(3e200, 4e200) was inf and norm2(3e-200, 4e-200) was 0, both with a
    /// zero gradient: 2 of these scales' decades failed per sign of the exponent).
    #[test]
    fn norm2_at_every_scale(x in prop::collection::vec(-2.0f64..2.0, 1..6),
                            e in -305i32..305, s in -2.0f64..2.0) {
        prop_assume!(x.iter().any(|v| v.abs() > 1e-3));
        let scale = 10f64.powi(e);
        let xs: Vec<f64> = x.iter().map(|v| v * scale).collect();
        let unit = x.iter().map(|v| v * v).sum::<f64>().sqrt();
        let mut t = Tape::new();
        let a = t.input(arr(&[xs.len()], xs.clone())).unwrap();
        let r = t.reduce(ReduceOp::Norm2, a).unwrap();
        let got = flat(&t.value(r).unwrap())[0];
        prop_assert!((got / scale - unit).abs() <= 1e-14 * unit, "norm {got} for {unit} x {scale}");
        t.backward(r, Some(&[s])).unwrap();
        let want: Vec<f64> = x.iter().map(|v| s * v / unit).collect();
        assert_close(&flat(&t.grad(a).unwrap()), &want, 1e-14, "norm2 gradient");
    }

    /// matmul (matrix-matrix and matrix-vector) against explicit index loops.
    #[test]
    fn matmul_matches_index_loops(m in 1usize..5, k in 1usize..5, n in 1usize..5,
                                  data in prop::collection::vec(-2.0f64..2.0, 100),
                                  vector in any::<bool>()) {
        let a_data = data[..m * k].to_vec();
        let cols = if vector { 1 } else { n };
        let b_data = data[25..25 + k * cols].to_vec();
        let g = data[50..50 + m * cols].to_vec();
        let mut t = Tape::new();
        let a = t.input(arr(&[m, k], a_data.clone())).unwrap();
        let b_shape = if vector { vec![k] } else { vec![k, n] };
        let b = t.input(arr(&b_shape, b_data.clone())).unwrap();
        let y = t.matmul(a, b).unwrap();
        let mut want_y = vec![0.0; m * cols];
        let (mut ga, mut gb) = (vec![0.0; m * k], vec![0.0; k * cols]);
        for i in 0..m {
            for j in 0..cols {
                for l in 0..k {
                    want_y[i * cols + j] += a_data[i * k + l] * b_data[l * cols + j];
                    ga[i * k + l] += g[i * cols + j] * b_data[l * cols + j];
                    gb[l * cols + j] += g[i * cols + j] * a_data[i * k + l];
                }
            }
        }
        assert_close(&flat(&t.value(y).unwrap()), &want_y, 1e-14, "matmul value");
        t.backward(y, Some(&g)).unwrap();
        assert_close(&flat(&t.grad(a).unwrap()), &ga, 1e-14, "matmul a");
        assert_close(&flat(&t.grad(b).unwrap()), &gb, 1e-14, "matmul b");
    }

    /// reshape, slice and concat move gradients back exactly.
    #[test]
    fn shape_ops_move_gradients_back((shape, x) in shaped(-2.0, 2.0),
                                     w in prop::collection::vec(-2.0f64..2.0, 3),
                                     cut in 0usize..27, seed in prop::collection::vec(-2.0f64..2.0, 64)) {
        let n = x.len();
        let start = cut % n;
        let len = n - start;
        let mut t = Tape::new();
        let a = t.input(arr(&shape, x.clone())).unwrap();
        let b = t.input_slice(&w).unwrap();
        let r = t.reshape(a, &[n]).unwrap();
        prop_assert_eq!(t.shape(r).unwrap(), &[n][..]);
        let s = t.slice(r, start, len).unwrap();
        prop_assert_eq!(flat(&t.value(s).unwrap()), x[start..].to_vec());
        let c = t.concat(&[b, s, a]).unwrap();
        let total = 3 + len + n;
        let g = &seed[..total];
        t.backward(c, Some(g)).unwrap();
        let mut want_a = g[3 + len..].to_vec();
        for k in 0..len {
            want_a[start + k] += g[3 + k];
        }
        assert_close(&flat(&t.grad(a).unwrap()), &want_a, 0.0, "grad a");
        assert_close(&flat(&t.grad(b).unwrap()), &g[..3], 0.0, "grad b");
        prop_assert_eq!(t.grad(a).unwrap().shape().to_vec(), shape);
    }
}

/// One step of a random composition over vectors of a common length: each keeps every
/// intermediate value in a range where the op is smooth, so central differences are a fair
/// reference.
#[derive(Debug, Clone)]
enum Step {
    /// `op(v)` through a domain-safe wrapper (e.g. log(1 + v^2), tan(tanh v)).
    Unary(usize, usize),
    /// `a op b` with b made safe where needed (division by 1 + b^2, pow of 1 + a^2).
    Binary(usize, usize, usize),
    /// `reduce(a) * b`: a scalar broadcast against a vector.
    ReduceScale(usize, usize, usize),
    /// `dot(a, b) + c`: a scalar broadcast in an add.
    DotShift(usize, usize, usize),
    /// `M a` with a constant matrix M (entries from the index).
    MatVec(usize),
    /// `concat(slice(a, 0, k), slice(b, k, n - k))`, through a reshape to `[n, 1]`.
    SliceConcat(usize, usize, usize),
    /// `a^p` for |a| + 0.5 and p in (-2, 2).
    PowScalar(usize, i32),
}

fn step_strategy() -> impl Strategy<Value = Step> {
    prop_oneof![
        (0usize..11, any::<usize>()).prop_map(|(o, a)| Step::Unary(o, a)),
        (0usize..5, any::<usize>(), any::<usize>()).prop_map(|(o, a, b)| Step::Binary(o, a, b)),
        (0usize..3, any::<usize>(), any::<usize>())
            .prop_map(|(o, a, b)| Step::ReduceScale(o, a, b)),
        (any::<usize>(), any::<usize>(), any::<usize>())
            .prop_map(|(a, b, c)| Step::DotShift(a, b, c)),
        any::<usize>().prop_map(Step::MatVec),
        (any::<usize>(), any::<usize>(), any::<usize>())
            .prop_map(|(a, b, k)| Step::SliceConcat(a, b, k)),
        (any::<usize>(), -19i32..20).prop_map(|(a, p)| Step::PowScalar(a, p)),
    ]
}

/// Records the composition on `t` over the inputs `xs` (vectors of length `n`); returns the
/// final var (a vector of length `n`).
fn build(t: &mut Tape, xs: &[Var], n: usize, steps: &[Step]) -> Var {
    let one = t.scalar(1.0).unwrap();
    let mut vars: Vec<Var> = xs.to_vec();
    let pick = |vars: &Vec<Var>, i: usize| vars[i % vars.len()];
    for step in steps {
        let v = match *step {
            Step::Unary(o, a) => {
                let a = pick(&vars, a);
                let op = UnaryOp::ALL[o];
                let arg = match op {
                    UnaryOp::Log | UnaryOp::Sqrt | UnaryOp::Log1p => {
                        let sq = t.unary(UnaryOp::Square, a).unwrap();
                        t.binary(BinaryOp::Add, sq, one).unwrap()
                    }
                    UnaryOp::Tan | UnaryOp::Exp => t.unary(UnaryOp::Tanh, a).unwrap(),
                    UnaryOp::Abs => {
                        let th = t.unary(UnaryOp::Tanh, a).unwrap();
                        t.binary(BinaryOp::Add, th, one).unwrap()
                    }
                    _ => a,
                };
                t.unary(op, arg).unwrap()
            }
            Step::Binary(o, a, b) => {
                let (a, b) = (pick(&vars, a), pick(&vars, b));
                let op = BinaryOp::ALL[o];
                match op {
                    BinaryOp::Div => {
                        let sq = t.unary(UnaryOp::Square, b).unwrap();
                        let den = t.binary(BinaryOp::Add, sq, one).unwrap();
                        t.binary(op, a, den).unwrap()
                    }
                    BinaryOp::Pow => {
                        let sq = t.unary(UnaryOp::Square, a).unwrap();
                        let base = t.binary(BinaryOp::Add, sq, one).unwrap();
                        let ex = t.unary(UnaryOp::Tanh, b).unwrap();
                        t.binary(op, base, ex).unwrap()
                    }
                    _ => t.binary(op, a, b).unwrap(),
                }
            }
            Step::ReduceScale(o, a, b) => {
                let r = t.reduce(ReduceOp::ALL[o], pick(&vars, a)).unwrap();
                let r = t.unary(UnaryOp::Tanh, r).unwrap();
                t.binary(BinaryOp::Mul, r, pick(&vars, b)).unwrap()
            }
            Step::DotShift(a, b, c) => {
                let d = t.dot(pick(&vars, a), pick(&vars, b)).unwrap();
                let d = t.unary(UnaryOp::Sin, d).unwrap();
                t.binary(BinaryOp::Add, pick(&vars, c), d).unwrap()
            }
            Step::MatVec(a) => {
                let m: Vec<f64> = (0..n * n)
                    .map(|k| ((k * 7 % 11) as f64 - 5.0) / (3.0 * n as f64))
                    .collect();
                let m = t.constant(arr(&[n, n], m)).unwrap();
                t.matmul(m, pick(&vars, a)).unwrap()
            }
            Step::SliceConcat(a, b, k) => {
                let k = k % (n + 1);
                let col = t.reshape(pick(&vars, a), &[n, 1]).unwrap();
                let head = t.slice(col, 0, k).unwrap();
                let tail = t.slice(pick(&vars, b), k, n - k).unwrap();
                t.concat(&[head, tail]).unwrap()
            }
            Step::PowScalar(a, p) => {
                let ab = t.unary(UnaryOp::Abs, pick(&vars, a)).unwrap();
                let half = t.scalar(0.5).unwrap();
                let base = t.binary(BinaryOp::Add, ab, half).unwrap();
                t.pow_scalar(base, f64::from(p) / 10.0).unwrap()
            }
        };
        // Keep magnitudes moderate so the difference reference stays accurate.
        let v = t.unary(UnaryOp::Tanh, v).unwrap();
        vars.push(v);
    }
    *vars.last().unwrap()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    /// A random composition's backward pass equals `seed^T J` from central differences of a
    /// function that rebuilds the composition on a fresh tape, to 1e-7 relative to the
    /// largest entry (central differences carry ~1e-10 here; a wrong derivative is O(1)).
    #[test]
    fn random_compositions_match_central_differences(
        n in 1usize..6, nin in 1usize..3,
        steps in prop::collection::vec(step_strategy(), 1..7),
        x in prop::collection::vec(-1.5f64..1.5, 10),
        seed in prop::collection::vec(-1.0f64..1.0, 5),
    ) {
        let x = &x[..n * nin];
        let seed = &seed[..n];
        let mut t = Tape::new();
        let inputs: Vec<Var> = (0..nin).map(|i| t.input_slice(&x[i * n..(i + 1) * n]).unwrap()).collect();
        let out = build(&mut t, &inputs, n, &steps);
        t.backward(out, Some(seed)).unwrap();
        let got: Vec<f64> = inputs.iter().flat_map(|&v| flat(&t.grad(v).unwrap())).collect();

        let rebuild = |z: &[f64], y: &mut [f64]| -> Result<(), i32> {
            let mut t = Tape::new();
            let inputs: Vec<Var> = (0..nin).map(|i| t.input_slice(&z[i * n..(i + 1) * n]).unwrap()).collect();
            let out = build(&mut t, &inputs, n, &steps);
            y.copy_from_slice(t.value(out).unwrap().as_slice().unwrap());
            Ok(())
        };
        let jac = fd::jacobian(&rebuild, x, n, &Options::new()).unwrap();
        let want: Vec<f64> = (0..x.len()).map(|j| (0..n).map(|i| seed[i] * jac[i * x.len() + j]).sum()).collect();
        let scale = want.iter().fold(1.0f64, |m, w| m.max(w.abs()));
        for (k, (g, w)) in got.iter().zip(&want).enumerate() {
            prop_assert!((g - w).abs() <= 1e-7 * scale, "entry {}: tape {:e}, differences {:e}, steps {:?}", k, g, w, steps);
        }
    }
}
