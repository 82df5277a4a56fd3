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
            ReduceOp::Sum => x.iter().sum(),
            ReduceOp::Mean => x.iter().sum::<f64>() / x.len() as f64,
            ReduceOp::Norm2 => x.iter().map(|v| v * v).sum::<f64>().sqrt(),
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
