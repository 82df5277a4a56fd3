//! Reductions of a whole array to a scalar (shape `[]`), and their pull-backs.

use crate::tape::spare;
use crate::tape::value::{array, flat, scalar};
use ndarray::ArrayD;

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

    /// The reduction of `a`, as a scalar array.
    pub(crate) fn forward(self, a: &ArrayD<f64>) -> ArrayD<f64> {
        let x = flat(a);
        let s = match self {
            ReduceOp::Sum => x.iter().sum(),
            ReduceOp::Mean => x.iter().sum::<f64>() / x.len() as f64,
            ReduceOp::Norm2 => x.iter().map(|v| v * v).sum::<f64>().sqrt(),
        };
        scalar(s)
    }

    /// The gradient of `g * reduce(a)` with respect to `a`; `y` is the recorded result.
    pub(crate) fn pullback(self, a: &ArrayD<f64>, y: &ArrayD<f64>, g: &ArrayD<f64>) -> ArrayD<f64> {
        let (x, g, y) = (flat(a), flat(g)[0], flat(y)[0]);
        let data = match self {
            ReduceOp::Sum => spare::filled(x.len(), g),
            ReduceOp::Mean => spare::filled(x.len(), g / x.len() as f64),
            ReduceOp::Norm2 if y == 0.0 => spare::filled(x.len(), 0.0),
            ReduceOp::Norm2 => {
                let mut d = spare::take(x.len());
                d.extend(x.iter().map(|v| g * v / y));
                d
            }
        };
        array(a.shape(), data)
    }
}
