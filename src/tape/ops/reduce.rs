//! Reductions of a whole array to a scalar (shape `[]`), and their pull-backs.

use crate::tape::adjoint::Sink;

/// A reduction of every element to one scalar.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReduceOp {
    /// The sum (0 for an empty array).
    Sum,
    /// The arithmetic mean (NaN for an empty array).
    Mean,
    /// The Euclidean norm `sqrt(sum x_i^2)`; its subgradient at x = 0 is taken as 0.
    Norm2,
}

impl ReduceOp {
    /// Every reduction, in the order of the C enum `fdvjp_reduce_op`.
    pub const ALL: [ReduceOp; 3] = [ReduceOp::Sum, ReduceOp::Mean, ReduceOp::Norm2];

    /// The op's name in messages.
    pub fn name(self) -> &'static str {
        match self {
            ReduceOp::Sum => "sum",
            ReduceOp::Mean => "mean",
            ReduceOp::Norm2 => "norm2",
        }
    }

    /// The reduction of `a`, a scalar.
    pub(crate) fn forward(self, x: &[f64]) -> f64 {
        match self {
            // `Iterator::sum` starts at -0.0: an empty sum would be -0.0 and 1/sum -inf
            // (probe13 finding 14).
            ReduceOp::Sum if x.is_empty() => 0.0,
            ReduceOp::Sum => x.iter().sum(),
            ReduceOp::Mean => x.iter().sum::<f64>() / x.len() as f64,
            ReduceOp::Norm2 => norm2(x),
        }
    }

    /// Adds the gradient of `g * reduce(a)` with respect to `a` to node `to`'s adjoint; `y`
    /// is the recorded result.
    pub(crate) fn pullback(self, x: &[f64], y: f64, g: f64, to: usize, sink: &mut Sink) {
        let n = x.len();
        match self {
            ReduceOp::Sum => sink.put(to, std::iter::repeat_n(g, n)),
            ReduceOp::Mean => sink.put(to, std::iter::repeat_n(g / n as f64, n)),
            ReduceOp::Norm2 if y == 0.0 => sink.put(to, std::iter::repeat_n(0.0, n)),
            ReduceOp::Norm2 => sink.put(to, x.iter().map(|v| g * v / y)),
        }
    }
}

/// Squares summing to at least this lose nothing to underflow that their sum's own
/// rounding would not (a square below 2.2e-308, where precision is lost, is under 1e-37 of
/// the sum).
const NORMAL_SQUARES: f64 = 1e-270;

/// `sqrt(sum x_i^2)` without spurious overflow or underflow: the plain sum of squares where
/// it neither overflows nor loses terms to underflow (bit for bit as before), else the sum
/// of `(x_i / s)^2` with `s` the largest `|x_i|`, times `s` (norm2(3e200, 4e200) was inf
/// and norm2(3e-200, 4e-200) was 0, both with a zero gradient; probe12 finding 7).
fn norm2(x: &[f64]) -> f64 {
    let squares: f64 = x.iter().map(|v| v * v).sum();
    if squares.is_nan() || (squares.is_finite() && squares >= NORMAL_SQUARES) {
        return squares.sqrt();
    }
    let s = x.iter().fold(0.0f64, |m, v| m.max(v.abs()));
    if s == 0.0 || s.is_infinite() {
        return s;
    }
    s * x.iter().map(|v| (v / s) * (v / s)).sum::<f64>().sqrt()
}
