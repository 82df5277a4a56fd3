//! Elementwise functions of two arrays, with a scalar (shape `[]`) operand broadcast
//! against an array of any shape, and their pull-backs.
//!
//! Broadcasting is deliberately only "equal shapes, or one side a scalar": anything else is
//! a shape mismatch rather than a guess. A broadcast scalar's gradient is the sum over the
//! elements it met.

use super::power::{d_base, d_exponent};
use crate::tape::adjoint::Sink;
use crate::tape::error::TapeError;

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
        if same_shape(a, b) || b.is_empty() || a.is_empty() {
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

    /// `a op b`, elementwise with broadcasting, into `out`; the shapes `sa` of `a` and `sb`
    /// of `b` were checked by `check_shapes`.
    pub(crate) fn forward(self, (a, sa): Operand, (b, sb): Operand, out: &mut [f64]) {
        fn zip(a: Operand, b: Operand, out: &mut [f64], f: impl Fn(f64, f64) -> f64) {
            let ((fa, sa), (fb, sb)) = (a, b);
            if same_shape(sa, sb) {
                for ((o, &x), &y) in out.iter_mut().zip(fa).zip(fb) {
                    *o = f(x, y);
                }
            } else if sb.is_empty() {
                out.iter_mut().zip(fa).for_each(|(o, &x)| *o = f(x, fb[0]));
            } else {
                out.iter_mut().zip(fb).for_each(|(o, &y)| *o = f(fa[0], y));
            }
        }
        let (a, b) = ((a, sa), (b, sb));
        match self {
            BinaryOp::Add => zip(a, b, out, |x, y| x + y),
            BinaryOp::Sub => zip(a, b, out, |x, y| x - y),
            BinaryOp::Mul => zip(a, b, out, |x, y| x * y),
            BinaryOp::Div => zip(a, b, out, |x, y| x / y),
            BinaryOp::Pow => zip(a, b, out, f64::powf),
        }
    }

    /// Adds the gradients of `<g, a op b>` with respect to `a` and `b` to the adjoints of
    /// nodes `to.0` and `to.1` (each only if `need` asks for it). `y` is the recorded
    /// result. The gradient of `a` is put in full before that of `b`, as two separate
    /// gradients were added before (`x * x` puts into one node twice).
    pub(crate) fn pullback(
        self,
        a: Operand,
        b: Operand,
        (y, g): (&[f64], &[f64]),
        (to, need): ([usize; 2], (bool, bool)),
        sink: &mut Sink,
    ) {
        let ab = (a, b);
        match self {
            // Linear ops pass g itself on.
            BinaryOp::Add | BinaryOp::Sub if same_shape(a.1, b.1) => {
                if need.0 {
                    sink.put_slice(to[0], g);
                }
                if need.1 {
                    match self {
                        BinaryOp::Sub => sink.put(to[1], g.iter().map(|&v| -v)),
                        _ => sink.put_slice(to[1], g),
                    }
                }
            }
            BinaryOp::Add => partials(ab, (y, g), (to, need), sink, |_, _, _| 1.0, |_, _, _| 1.0),
            BinaryOp::Sub => partials(ab, (y, g), (to, need), sink, |_, _, _| 1.0, |_, _, _| -1.0),
            BinaryOp::Mul => partials(ab, (y, g), (to, need), sink, |_, z, _| z, |x, _, _| x),
            BinaryOp::Div => partials(
                ab,
                (y, g),
                (to, need),
                sink,
                |_, z, _| 1.0 / z,
                |_, z, q| -q / z,
            ),
            BinaryOp::Pow => partials(
                ab,
                (y, g),
                (to, need),
                sink,
                |x, z, _| d_base(x, z),
                |x, _, p| d_exponent(x, p),
            ),
        }
    }
}

/// Whether two shapes are equal, compared in line: shapes have a handful of dimensions,
/// and a slice comparison calls `memcmp` (three calls per binary op, issue 15).
#[inline]
fn same_shape(a: &[usize], b: &[usize]) -> bool {
    a.len() == b.len() && a.iter().zip(b).all(|(x, y)| x == y)
}

/// An operand's flat values and its shape.
pub(crate) type Operand<'v> = (&'v [f64], &'v [usize]);

/// Puts `g * d(a op b)/da` and `g * d(a op b)/db`, each summed over the elements a broadcast
/// scalar met; `da(a_k, b_k, y_k)` and `db(...)` give the partial derivatives. Each term is
/// `0.0 + g_k d_k` (or a sum from `0.0`) as when the gradients were zero-filled arrays.
fn partials(
    ((fa, sa), (fb, sb)): (Operand, Operand),
    (fy, fg): (&[f64], &[f64]),
    (to, need): ([usize; 2], (bool, bool)),
    sink: &mut Sink,
    da: impl Fn(f64, f64, f64) -> f64,
    db: impl Fn(f64, f64, f64) -> f64,
) {
    let (a_scalar, b_scalar) = (
        fa.len() == 1 && sa.is_empty(),
        fb.len() == 1 && sb.is_empty(),
    );
    if !a_scalar && !b_scalar {
        // Equal shapes: one pass per operand without index arithmetic (the general loop
        // below cost 42 instructions per element at length 100,000).
        let terms = || fg.iter().zip(fa).zip(fb).zip(fy);
        if need.0 {
            sink.put(
                to[0],
                terms().map(|(((&g, &x), &z), &q)| 0.0 + g * da(x, z, q)),
            );
        }
        if need.1 {
            sink.put(
                to[1],
                terms().map(|(((&g, &x), &z), &q)| 0.0 + g * db(x, z, q)),
            );
        }
        return;
    }
    let at = |k: usize| {
        let ia = if a_scalar { 0 } else { k };
        let ib = if b_scalar { 0 } else { k };
        (fa[ia], fb[ib], fy[k], fg[k])
    };
    if need.0 {
        put_partial(sink, to[0], (a_scalar, fy.len()), |k| {
            let (x, z, q, gk) = at(k);
            gk * da(x, z, q)
        });
    }
    if need.1 {
        put_partial(sink, to[1], (b_scalar, fy.len()), |k| {
            let (x, z, q, gk) = at(k);
            gk * db(x, z, q)
        });
    }
}

/// Puts the `n` terms `term(k)` into node `to`'s adjoint: their sum from 0.0 for a
/// broadcast scalar operand, else each as `0.0 + term(k)`.
fn put_partial(
    sink: &mut Sink,
    to: usize,
    (scalar, n): (bool, usize),
    term: impl Fn(usize) -> f64,
) {
    if scalar {
        let mut total = 0.0;
        for k in 0..n {
            total += term(k);
        }
        sink.put(to, std::iter::once(total));
    } else {
        sink.put(to, (0..n).map(|k| 0.0 + term(k)));
    }
}
