//! Custom-VJP nodes: a black-box function whose caller also supplies its adjoint, used
//! instead of finite differences.

use super::opaque::evaluate_once;
use crate::fd::{FdError, Function};

/// A hand-written adjoint: writes `v^T J(x)` into `grad` (n entries, overwritten, not
/// accumulated) given `x` (n), `y = f(x)` (m) and `v` (m). `Err(code)` (non-zero) aborts the
/// backward pass. Closures `Fn(&[f64], &[f64], &[f64], &mut [f64]) -> Result<(), i32>`
/// implement it.
pub trait Vjp {
    /// Overwrites `grad` with `v^T J(x)`.
    fn vjp(&self, x: &[f64], y: &[f64], v: &[f64], grad: &mut [f64]) -> Result<(), i32>;

    /// As [`Function::explain_failure`].
    fn explain_failure(&self, _code: i32) -> Option<String> {
        None
    }
}

impl<F> Vjp for F
where
    F: Fn(&[f64], &[f64], &[f64], &mut [f64]) -> Result<(), i32>,
{
    fn vjp(&self, x: &[f64], y: &[f64], v: &[f64], grad: &mut [f64]) -> Result<(), i32> {
        self(x, y, v, grad)
    }
}

/// A recorded function with its caller-supplied adjoint.
pub(crate) struct Custom {
    f: Box<dyn Function>,
    vjp: Box<dyn Vjp>,
    /// The output length.
    m: usize,
}

impl Custom {
    pub fn new(f: Box<dyn Function>, vjp: Box<dyn Vjp>, m: usize) -> Self {
        Self { f, vjp, m }
    }

    /// The output length.
    pub fn m(&self) -> usize {
        self.m
    }

    /// The function at `x` (one evaluation); `x` must be finite.
    pub fn forward(&self, x: &[f64]) -> Result<Vec<f64>, FdError> {
        if let Some(j) = x.iter().position(|v| !v.is_finite()) {
            return Err(FdError::InvalidArgument(format!(
                "x[{j}] = {} (the concatenated arguments) is not finite",
                x[j]
            )));
        }
        evaluate_once(&*self.f, x, self.m)
    }

    /// `v^T J` from the caller's adjoint at the recorded point.
    pub fn pullback(&self, x: &[f64], y: &[f64], v: &[f64]) -> Result<Vec<f64>, FdError> {
        let mut grad = vec![0.0; x.len()];
        if let Err(code) = self.vjp.vjp(x, y, v, &mut grad) {
            let point = "the vjp callback at the recorded x".to_string();
            let fault = self.vjp.explain_failure(code);
            return Err(FdError::callback(code, fault, 1, point));
        }
        // A non-finite entry from a finite cotangent is the callback's fault: reported here,
        // naming the entry, rather than spreading NaN into every gradient.
        if v.iter().all(|vi| vi.is_finite()) {
            if let Some(j) = grad.iter().position(|g| !g.is_finite()) {
                return Err(FdError::CallbackOutput(format!(
                    "the vjp callback wrote grad[{j}] = {} (not finite) for a finite v",
                    grad[j]
                )));
            }
        }
        Ok(grad)
    }
}
