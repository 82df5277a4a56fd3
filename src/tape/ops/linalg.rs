//! Inner products and matrix products, and their pull-backs.
//!
//! `dot` is the inner product of two arrays of the same shape (the sum of elementwise
//! products, a scalar). `matmul` multiplies a 2-D `[m, k]` array by a 2-D `[k, n]` array
//! (giving `[m, n]`) or by a 1-D `[k]` vector (a matrix-vector product giving `[m]`).

use crate::tape::error::TapeError;
use crate::tape::value::{array, element_count, flat, scalar, standard, with_capacity};
use ndarray::linalg::{general_mat_mul, general_mat_vec_mul};
use ndarray::{ArrayD, ArrayView1, ArrayView2, ArrayViewMut1, ArrayViewMut2, Ix1, Ix2};

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

/// `sum_i a_i b_i`, a scalar.
pub(crate) fn dot_forward(a: &ArrayD<f64>, b: &ArrayD<f64>) -> ArrayD<f64> {
    let s = flat(a).iter().zip(flat(b)).map(|(x, y)| x * y).sum();
    scalar(s)
}

/// The gradients of `g * dot(a, b)`: `g b` and `g a`.
pub(crate) fn dot_pullback(
    a: &ArrayD<f64>,
    b: &ArrayD<f64>,
    g: &ArrayD<f64>,
    need: (bool, bool),
) -> (Option<ArrayD<f64>>, Option<ArrayD<f64>>) {
    let g = flat(g)[0];
    (
        need.0.then(|| b.mapv(|v| g * v)),
        need.1.then(|| a.mapv(|v| g * v)),
    )
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

fn matrix(a: &ArrayD<f64>) -> ArrayView2<'_, f64> {
    a.view().into_dimensionality::<Ix2>().expect("checked 2-D")
}

fn vector(a: &ArrayD<f64>) -> ArrayView1<'_, f64> {
    a.view().into_dimensionality::<Ix1>().expect("checked 1-D")
}

/// `a b` (matrix product or matrix-vector product); shapes checked by `matmul_shape`. The
/// result's memory is allocated fallibly (its size is the caller's: `[m, 0]` times `[0, n]`
/// is m*n zeros), so a result too large for memory is `OutOfMemory`, not an abort.
pub(crate) fn matmul_forward(a: &ArrayD<f64>, b: &ArrayD<f64>) -> Result<ArrayD<f64>, TapeError> {
    let shape = matmul_shape(a.shape(), b.shape())?;
    let len = element_count(&shape, "matmul: the result of shape")?;
    let mut data = with_capacity(len, "the result of a matmul")?;
    data.resize(len, 0.0);
    if b.ndim() == 2 {
        let mut y =
            ArrayViewMut2::from_shape((shape[0], shape[1]), &mut data).expect("checked shape");
        general_mat_mul(1.0, &matrix(a), &matrix(b), 0.0, &mut y);
    } else {
        let mut y = ArrayViewMut1::from_shape(shape[0], &mut data).expect("checked shape");
        general_mat_vec_mul(1.0, &matrix(a), &vector(b), 0.0, &mut y);
    }
    Ok(array(&shape, data))
}

/// The gradients of `<g, a b>`: `g b^T` and `a^T g` (for a vector b, `g b^T` is the outer
/// product of g and b).
pub(crate) fn matmul_pullback(
    a: &ArrayD<f64>,
    b: &ArrayD<f64>,
    g: &ArrayD<f64>,
    need: (bool, bool),
) -> (Option<ArrayD<f64>>, Option<ArrayD<f64>>) {
    let a2 = matrix(a);
    if b.ndim() == 2 {
        let (b2, g2) = (matrix(b), matrix(g));
        (
            need.0.then(|| standard(g2.dot(&b2.t()).into_dyn())),
            need.1.then(|| standard(a2.t().dot(&g2).into_dyn())),
        )
    } else {
        let (b1, g1) = (flat(b), flat(g));
        let ga = need.0.then(|| {
            let data = g1
                .iter()
                .flat_map(|&gi| b1.iter().map(move |&bj| gi * bj))
                .collect();
            array(a.shape(), data)
        });
        (
            ga,
            need.1.then(|| standard(a2.t().dot(&vector(g)).into_dyn())),
        )
    }
}
