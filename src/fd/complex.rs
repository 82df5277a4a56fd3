//! Complex-valued black-box functions, and their view as real functions of interleaved
//! real and imaginary parts (the memory layout of C99 `double _Complex`, Fortran
//! `complex(c_double_complex)` and Julia `ComplexF64`).

pub use num_complex::Complex64;

use super::function::Function;

/// A function `w = f(z)` from `C^n` to `C^m`, evaluated into a caller-provided `w`.
///
/// `Err(code)` (non-zero) aborts the computation, as for [`Function`]. Closures
/// `Fn(&[Complex64], &mut [Complex64]) -> Result<(), i32>` implement it.
pub trait ComplexFunction {
    /// Writes `f(z)` into `w` (`w.len() == m`).
    fn eval(&self, z: &[Complex64], w: &mut [Complex64]) -> Result<(), i32>;

    /// As [`Function::explain_failure`].
    fn explain_failure(&self, _code: i32) -> Option<String> {
        None
    }

    /// Told after each evaluation how many are done of how many planned; `false` cancels
    /// the computation (as [`Function::progress`]).
    fn progress(&self, _done: usize, _total: usize) -> bool {
        true
    }
}

impl<G> ComplexFunction for G
where
    G: Fn(&[Complex64], &mut [Complex64]) -> Result<(), i32>,
{
    fn eval(&self, z: &[Complex64], w: &mut [Complex64]) -> Result<(), i32> {
        self(z, w)
    }
}

/// `g` seen as a real function `R^(2n) -> R^(2m)` of the interleaved parts:
/// `x[2j] = Re z_j`, `x[2j+1] = Im z_j`, and likewise for the outputs.
pub(crate) struct Interleaved<'g, G: ComplexFunction + ?Sized>(pub &'g G);

impl<G: ComplexFunction + ?Sized> Function for Interleaved<'_, G> {
    fn eval(&self, x: &[f64], y: &mut [f64]) -> Result<(), i32> {
        let z = to_complex(x);
        let mut w = vec![Complex64::new(0.0, 0.0); y.len() / 2];
        self.0.eval(&z, &mut w)?;
        y.copy_from_slice(&to_interleaved(&w));
        Ok(())
    }

    fn explain_failure(&self, code: i32) -> Option<String> {
        self.0.explain_failure(code)
    }

    fn progress(&self, done: usize, total: usize) -> bool {
        self.0.progress(done, total)
    }
}

/// `[re0, im0, re1, im1, ...]` as complex numbers (`x.len()` is even).
pub(crate) fn to_complex(x: &[f64]) -> Vec<Complex64> {
    x.chunks_exact(2)
        .map(|p| Complex64::new(p[0], p[1]))
        .collect()
}

/// Complex numbers as `[re0, im0, re1, im1, ...]`.
pub(crate) fn to_interleaved(z: &[Complex64]) -> Vec<f64> {
    z.iter().flat_map(|c| [c.re, c.im]).collect()
}
