//! The black-box function the core differentiates.

/// A function `y = f(x)` from `R^n` to `R^m`, evaluated into a caller-provided `y`.
///
/// `Err(code)` (a non-zero code of the function's choosing) aborts the computation; the
/// code is reported with the evaluation that failed. Closures
/// `Fn(&[f64], &mut [f64]) -> Result<(), i32>` implement it.
pub trait Function {
    /// Writes `f(x)` into `y` (`y.len() == m`).
    fn eval(&self, x: &[f64], y: &mut [f64]) -> Result<(), i32>;
}

impl<F> Function for F
where
    F: Fn(&[f64], &mut [f64]) -> Result<(), i32>,
{
    fn eval(&self, x: &[f64], y: &mut [f64]) -> Result<(), i32> {
        self(x, y)
    }
}
