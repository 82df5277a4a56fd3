//! Inner products and matrix products, and their pull-backs.
//!
//! `dot` is the inner product of two arrays of the same shape (the sum of elementwise
//! products, a scalar). `matmul` multiplies a 2-D `[m, k]` array by a 2-D `[k, n]` array
//! (giving `[m, n]`) or by a 1-D `[k]` vector (a matrix-vector product giving `[m]`).

use super::binary::Operand;
use crate::tape::adjoint::Sink;
use crate::tape::error::TapeError;
use crate::tape::value::element_count;
use ndarray::linalg::{general_mat_mul, general_mat_vec_mul};
use ndarray::{ArrayView1, ArrayView2, ArrayViewMut1, ArrayViewMut2};

/// Checks the shapes of `dot(a, b)`.
pub(crate) fn dot_shape(a: &[usize], b: &[usize]) -> Result<Vec<usize>, TapeError> {
    if a == b {
        Ok(Vec::new())
    } else {
        Err(TapeError::ShapeMismatch {
            op: "dot".to_string(),
            left: a.to_vec(),
            right: b.to_vec(),
            rule: "dot needs operands of the same shape",
        })
    }
}

/// `sum_i a_i b_i`, a scalar: +0 for empty operands (`Iterator::sum` would give -0.0).
pub(crate) fn dot_forward(a: &[f64], b: &[f64]) -> f64 {
    if a.is_empty() {
        return 0.0;
    }
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}

/// Adds the gradients of `g * dot(a, b)`, `g b` and `g a`, to the adjoints of nodes
/// `to.0` and `to.1` (each only if `need` asks for it).
pub(crate) fn dot_pullback(
    (a, b): (&[f64], &[f64]),
    g: f64,
    (to, need): ([usize; 2], (bool, bool)),
    sink: &mut Sink,
) {
    if need.0 {
        sink.put(to[0], b.iter().map(|v| g * v));
    }
    if need.1 {
        sink.put(to[1], a.iter().map(|v| g * v));
    }
}

/// Checks the shapes of `matmul(a, b)` and gives the result's, which must be a shape an
/// array can have (`[2^40, 0]` times `[0, 2^40]` is refused: 2^80 elements).
pub(crate) fn matmul_shape(a: &[usize], b: &[usize]) -> Result<Vec<usize>, TapeError> {
    let shape = match (a, b) {
        ([m, k], [k2, n]) if k == k2 => vec![*m, *n],
        ([m, k], [k2]) if k == k2 => vec![*m],
        _ => {
            return Err(TapeError::ShapeMismatch {
                op: "matmul".to_string(),
                left: a.to_vec(),
                right: b.to_vec(),
                rule: "matmul needs [m, k] times [k, n] or [m, k] times [k]",
            })
        }
    };
    element_count(&shape, "matmul: the result of shape")?;
    Ok(shape)
}

fn matrix<'v>((a, shape): Operand<'v>) -> ArrayView2<'v, f64> {
    ArrayView2::from_shape((shape[0], shape[1]), a).expect("checked 2-D")
}

/// `a b` (matrix product or matrix-vector product) into `out`, of the result's length;
/// shapes checked by `matmul_shape`.
pub(crate) fn matmul_forward(a: Operand, b: Operand, out: &mut [f64]) {
    out.fill(0.0); // as before the arenas: a product into zeros, whatever `out` held
    let m = a.1[0];
    if b.1.len() == 2 {
        let n = b.1[1];
        let mut y = ArrayViewMut2::from_shape((m, n), out).expect("checked shape");
        general_mat_mul(1.0, &matrix(a), &matrix(b), 0.0, &mut y);
    } else {
        let mut y = ArrayViewMut1::from(out);
        general_mat_vec_mul(1.0, &matrix(a), &ArrayView1::from(b.0), 0.0, &mut y);
    }
}

/// Adds the gradients of `<g, a b>`, `g b^T` and `a^T g` (for a vector b, `g b^T` is the
/// outer product of g and b), to the adjoints of nodes `to.0` and `to.1`.
pub(crate) fn matmul_pullback(
    a: Operand,
    b: Operand,
    g: &[f64],
    (to, need): ([usize; 2], (bool, bool)),
    sink: &mut Sink,
) {
    let a2 = matrix(a);
    if b.1.len() == 2 {
        let b2 = matrix(b);
        let g_shape = [a.1[0], b.1[1]];
        let g2 = matrix((g, &g_shape));
        if need.0 {
            put_array(sink, to[0], g2.dot(&b2.t()));
        }
        if need.1 {
            put_array(sink, to[1], a2.t().dot(&g2));
        }
    } else {
        let b1 = b.0;
        if need.0 {
            let outer = g.iter().flat_map(|&gi| b1.iter().map(move |&bj| gi * bj));
            sink.put(to[0], outer);
        }
        if need.1 {
            put_array(sink, to[1], a2.t().dot(&ArrayView1::from(g)));
        }
    }
}

/// Puts an array's elements in row-major order.
fn put_array<D: ndarray::Dimension>(sink: &mut Sink, to: usize, a: ndarray::Array<f64, D>) {
    match a.as_slice() {
        Some(s) => sink.put_slice(to, s),
        None => sink.put(to, a.iter().copied()),
    }
}
