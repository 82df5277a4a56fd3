//! Counts evaluations and turns a function's failure code into an error that says where.

use super::error::FdError;
use super::function::Function;

/// Wraps a [`Function`] for one computation: numbers its evaluations from 1.
pub(crate) struct Evaluator<'f, F: Function + ?Sized> {
    f: &'f F,
    count: usize,
}

impl<'f, F: Function + ?Sized> Evaluator<'f, F> {
    pub fn new(f: &'f F) -> Self {
        Self { f, count: 0 }
    }

    /// Evaluates `f(x)` into `y`; `point` describes `x` for the error message.
    pub fn eval(
        &mut self,
        x: &[f64],
        y: &mut [f64],
        point: impl FnOnce() -> String,
    ) -> Result<(), FdError> {
        self.count += 1;
        self.f.eval(x, y).map_err(|code| FdError::Callback {
            code,
            evaluation: self.count,
            point: point(),
        })
    }

    /// `f(x)` at the unperturbed point, or the caller's recorded value of it; either must be
    /// finite.
    pub fn base(
        &mut self,
        x: &[f64],
        m: usize,
        known: Option<&[f64]>,
    ) -> Result<Vec<f64>, FdError> {
        let y0 = match known {
            Some(fx) => fx.to_vec(),
            None => {
                let mut y = vec![0.0; m];
                self.eval(x, &mut y, || "x".to_string())?;
                y
            }
        };
        match y0.iter().position(|v| !v.is_finite()) {
            None => Ok(y0),
            Some(index) => Err(FdError::NonFiniteAtX {
                index,
                value: y0[index],
            }),
        }
    }
}
