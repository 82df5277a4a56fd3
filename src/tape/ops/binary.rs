//! Elementwise functions of two arrays, with a scalar (shape `[]`) operand broadcast
//! against an array of any shape, and their pull-backs.
//!
//! Broadcasting is deliberately only "equal shapes, or one side a scalar": anything else is
//! a shape mismatch rather than a guess. A broadcast scalar's gradient is the sum over the
//! elements it met.

use super::power::{d_base, d_exponent};
use crate::tape::error::TapeError;
use crate::tape::spare;
use crate::tape::value::{array, flat};
use ndarray::ArrayD;

/// An elementwise function of two operands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BinaryOp {
    /// `a + b`.
    Add,
    /// `a - b`.
    Sub,
    /// `a * b`.
    Mul,
    /// `a / b` (IEEE: division by 0 gives ±inf or NaN values, not an error).
    Div,
    /// `a^b`; see [`crate::tape`] for the conventions at 0 and at negative bases.
    Pow,
}

impl BinaryOp {
    /// Every binary op, in the order of the C enum `fdvjp_binary_op`.
    pub const ALL: [BinaryOp; 5] = [
        BinaryOp::Add,
        BinaryOp::Sub,
        BinaryOp::Mul,
        BinaryOp::Div,
        BinaryOp::Pow,
    ];

    /// The op's name in messages.
    pub fn name(self) -> &'static str {
        match self {
            BinaryOp::Add => "add",
            BinaryOp::Sub => "sub",
            BinaryOp::Mul => "mul",
            BinaryOp::Div => "div",
            BinaryOp::Pow => "pow",
        }
    }

    /// The function at one pair of elements.
    pub fn apply(self, a: f64, b: f64) -> f64 {
        match self {
            BinaryOp::Add => a + b,
            BinaryOp::Sub => a - b,
            BinaryOp::Mul => a * b,
            BinaryOp::Div => a / b,
            BinaryOp::Pow => a.powf(b),
        }
    }

    /// Checks that the shapes go together: equal, or one side a scalar (the result then
    /// has the other's shape). Nothing is allocated unless they do not (a check runs at
    /// every record, issue 15).
    pub(crate) fn check_shapes(self, a: &[usize], b: &[usize]) -> Result<(), TapeError> {
        if a == b || b.is_empty() || a.is_empty() {
            Ok(())
        } else {
            Err(TapeError::ShapeMismatch {
                op: self.name().to_string(),
                left: a.to_vec(),
                right: b.to_vec(),
                rule: "elementwise ops need equal shapes, or one operand a scalar of shape []",
            })
        }
    }

    /// `a op b`, elementwise with broadcasting; the shapes were checked by `check_shapes`.
    pub(crate) fn forward(self, a: &ArrayD<f64>, b: &ArrayD<f64>) -> ArrayD<f64> {
        fn zip(a: &ArrayD<f64>, b: &ArrayD<f64>, f: impl Fn(f64, f64) -> f64) -> ArrayD<f64> {
            let (fa, fb) = (flat(a), flat(b));
            let mut y = spare::take(fa.len().max(fb.len()));
            if a.shape() == b.shape() {
                y.extend(fa.iter().zip(fb).map(|(&x, &y)| f(x, y)));
                array(a.shape(), y)
            } else if b.ndim() == 0 {
                y.extend(fa.iter().map(|&x| f(x, fb[0])));
                array(a.shape(), y)
            } else {
                y.extend(fb.iter().map(|&y| f(fa[0], y)));
                array(b.shape(), y)
            }
        }
        match self {
            BinaryOp::Add => zip(a, b, |x, y| x + y),
            BinaryOp::Sub => zip(a, b, |x, y| x - y),
            BinaryOp::Mul => zip(a, b, |x, y| x * y),
            BinaryOp::Div => zip(a, b, |x, y| x / y),
            BinaryOp::Pow => zip(a, b, f64::powf),
        }
    }

    /// The gradients of `<g, a op b>` with respect to `a` and `b` (each only if asked for),
    /// in the operands' shapes. `y` is the recorded result.
    pub(crate) fn pullback(
        self,
        a: &ArrayD<f64>,
        b: &ArrayD<f64>,
        y: &ArrayD<f64>,
        g: ArrayD<f64>,
        need: (bool, bool),
    ) -> (Option<ArrayD<f64>>, Option<ArrayD<f64>>) {
        match self {
            // Linear ops reuse g itself where they can.
            BinaryOp::Add | BinaryOp::Sub if a.shape() == b.shape() => {
                let gb = need.1.then(|| match self {
                    _ if g.len() < spare::SMALLEST && self == BinaryOp::Sub => g.mapv(|v| -v),
                    _ if g.len() < spare::SMALLEST => g.clone(),
                    // A long one in a buffer the thread kept (`tape/spare.rs`).
                    BinaryOp::Sub => array(g.shape(), spare::mapped(flat(&g), |v| -v)),
                    _ => array(g.shape(), spare::copy(flat(&g))),
                });
                (need.0.then_some(g), gb)
            }
            BinaryOp::Add => partials(a, b, y, &g, need, |_, _, _| (1.0, 1.0)),
            BinaryOp::Sub => partials(a, b, y, &g, need, |_, _, _| (1.0, -1.0)),
            BinaryOp::Mul => partials(a, b, y, &g, need, |x, z, _| (z, x)),
            BinaryOp::Div => partials(a, b, y, &g, need, |_, z, q| (1.0 / z, -q / z)),
            BinaryOp::Pow => partials(a, b, y, &g, need, |x, z, p| {
                (d_base(x, z), d_exponent(x, p))
            }),
        }
    }
}

/// The gradients `g * d(a op b)/da` and `g * d(a op b)/db`, summed over the elements a
/// broadcast scalar met; `d(a_k, b_k, y_k)` gives both partial derivatives.
fn partials(
    a: &ArrayD<f64>,
    b: &ArrayD<f64>,
    y: &ArrayD<f64>,
    g: &ArrayD<f64>,
    need: (bool, bool),
    d: impl Fn(f64, f64, f64) -> (f64, f64),
) -> (Option<ArrayD<f64>>, Option<ArrayD<f64>>) {
    let (fa, fb, fy, fg) = (flat(a), flat(b), flat(y), flat(g));
    let (a_scalar, b_scalar) = (a.len() == 1 && a.ndim() == 0, b.len() == 1 && b.ndim() == 0);
    let mut ga = spare::filled(if need.0 { fa.len() } else { 0 }, 0.0);
    let mut gb = spare::filled(if need.1 { fb.len() } else { 0 }, 0.0);
    for k in 0..fy.len() {
        let ia = if a_scalar { 0 } else { k };
        let ib = if b_scalar { 0 } else { k };
        let (da, db) = d(fa[ia], fb[ib], fy[k]);
        if need.0 {
            ga[ia] += fg[k] * da;
        }
        if need.1 {
            gb[ib] += fg[k] * db;
        }
    }
    (
        need.0.then(|| array(a.shape(), ga)),
        need.1.then(|| array(b.shape(), gb)),
    )
}
