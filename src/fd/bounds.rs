//! Per-element bounds: the box a stencil must stay inside.

use super::error::{check_len, FdError, Num};

/// Per-element bounds `lower[j] < upper[j]`; infinite values mean unbounded.
#[derive(Debug, Clone, PartialEq)]
pub struct Bounds {
    lower: Vec<f64>,
    upper: Vec<f64>,
}

impl Bounds {
    /// Validates: equal lengths, no NaN, `lower[j] < upper[j]`.
    pub fn new(lower: Vec<f64>, upper: Vec<f64>) -> Result<Self, FdError> {
        check_len("upper", &upper, lower.len(), "the length of lower")?;
        for (j, (&lo, &hi)) in lower.iter().zip(&upper).enumerate() {
            if lo.is_nan() || hi.is_nan() || lo >= hi {
                return Err(FdError::InvalidArgument(format!(
                    "lower[{j}] = {} must be below upper[{j}] = {}",
                    Num(lo),
                    Num(hi)
                )));
            }
        }
        Ok(Self { lower, upper })
    }

    /// Lower bounds.
    pub fn lower(&self) -> &[f64] {
        &self.lower
    }

    /// Upper bounds.
    pub fn upper(&self) -> &[f64] {
        &self.upper
    }

    /// Checks the length against `x` and that `x` lies in the box.
    pub(crate) fn check_contains(&self, x: &[f64]) -> Result<(), FdError> {
        check_len("config bounds", &self.lower, x.len(), "n")?;
        for (j, &xj) in x.iter().enumerate() {
            if !(self.lower[j] <= xj && xj <= self.upper[j]) {
                return Err(FdError::InvalidArgument(format!(
                    "x[{j}] = {} lies outside its bounds [{}, {}]",
                    Num(xj),
                    Num(self.lower[j]),
                    Num(self.upper[j])
                )));
            }
        }
        Ok(())
    }

    /// Whether `xj + o` stays in element `j`'s interval for both offsets `o`.
    pub(crate) fn admits(&self, j: usize, xj: f64, offsets: (f64, f64)) -> bool {
        let inside = |o: f64| {
            let p = xj + o;
            self.lower[j] <= p && p <= self.upper[j]
        };
        inside(offsets.0) && inside(offsets.1)
    }

    /// The largest `t >= 0` for which `xj + o t` stays in element `j`'s interval for both
    /// offsets `o` (per unit step; infinite when neither offset moves towards a finite
    /// bound), computed without regard to rounding: [`Self::admits`] has the last word.
    pub(crate) fn room(&self, j: usize, xj: f64, offsets: (f64, f64)) -> f64 {
        let limit = |o: f64| {
            if o > 0.0 {
                (self.upper[j] - xj) / o
            } else if o < 0.0 {
                (xj - self.lower[j]) / -o
            } else {
                f64::INFINITY
            }
        };
        limit(offsets.0).min(limit(offsets.1)).max(0.0)
    }
}
