//! A tridiagonal test function with its analytic Jacobian, for the sparse and bounds tests.

/// `y_i = x_{i-1} x_i + sin(x_i) - x_{i+1}^2 / 3`: a tridiagonal Jacobian.
pub fn tridiagonal(x: &[f64], y: &mut [f64]) {
    let n = x.len();
    for i in 0..n {
        let left = if i > 0 { x[i - 1] * x[i] } else { 0.0 };
        let right = if i + 1 < n {
            x[i + 1] * x[i + 1] / 3.0
        } else {
            0.0
        };
        y[i] = left + x[i].sin() - right;
    }
}

/// Analytic row-major Jacobian of [`tridiagonal`].
pub fn tridiagonal_jacobian(x: &[f64]) -> Vec<f64> {
    let n = x.len();
    let mut jac = vec![0.0; n * n];
    for i in 0..n {
        if i > 0 {
            jac[i * n + i - 1] = x[i];
        }
        jac[i * n + i] = x[i].cos() + if i > 0 { x[i - 1] } else { 0.0 };
        if i + 1 < n {
            jac[i * n + i + 1] = -2.0 * x[i + 1] / 3.0;
        }
    }
    jac
}
