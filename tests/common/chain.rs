//! The chain of elementwise tape ops that `tests/tape_replay.rs` checks and
//! `benches/tape_chain.rs` measures, written once: `f(x) = exp(-tanh(x^2 + sin x)) * x`
//! recorded on a tape (7 built-in ops), its value and derivative written by hand, and the
//! points both use. Included by path (`#[path]`) from each, not through `common/mod.rs`.

use fdvjp::tape::{BinaryOp, Tape, UnaryOp, Var};

/// Records `f(x)` elementwise on `t` from the var `x` (7 ops).
pub fn record_f(t: &mut Tape, x: Var) -> Var {
    let sq = t.unary(UnaryOp::Square, x).unwrap();
    let s = t.unary(UnaryOp::Sin, x).unwrap();
    let c = t.binary(BinaryOp::Add, sq, s).unwrap();
    let d = t.unary(UnaryOp::Tanh, c).unwrap();
    let nd = t.unary(UnaryOp::Neg, d).unwrap();
    let e = t.unary(UnaryOp::Exp, nd).unwrap();
    t.binary(BinaryOp::Mul, e, x).unwrap()
}

/// `(f(x), f'(x))` by hand: with `d = tanh(x^2 + sin x)` and `e = exp(-d)`,
/// `d/dx [e x] = e + x de/dx` and `de/dx = -e (1 - d^2) (2x + cos x)`.
#[inline]
pub fn f_and_derivative(x: f64) -> (f64, f64) {
    let (s, c) = x.sin_cos();
    let d = (x * x + s).tanh();
    let e = (-d).exp();
    (e * x, e - x * e * (1.0 - d * d) * (2.0 * x + c))
}

/// `n` points in [-1, 1) shifted by `shift`, neighbours apart (37 is prime to 101).
pub fn point(n: usize, shift: f64) -> Vec<f64> {
    (0..n)
        .map(|i| ((i * 37 % 101) as f64 / 50.0 - 1.0) + shift)
        .collect()
}
