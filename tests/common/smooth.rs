//! Random smooth, well-scaled functions for the bit-for-bit tests of the step rule:
//! `y_i = sum_j a_ij sin(b_ij x_j + c_ij)`, every output depending on every input and
//! varying on the scale the step rule assumes (`|b| <= 2`).

use proptest::prelude::*;
use std::cell::Cell;

#[derive(Debug, Clone)]
pub struct Smooth {
    pub n: usize,
    pub m: usize,
    coef: Vec<(f64, f64, f64)>,
}

impl Smooth {
    pub fn eval(&self, x: &[f64], y: &mut [f64]) {
        for (i, yi) in y.iter_mut().enumerate().take(self.m) {
            *yi = (0..self.n)
                .map(|j| {
                    let (a, b, c) = self.coef[i * self.n + j];
                    a * (b * x[j] + c).sin()
                })
                .sum();
        }
    }

    /// `self` as a [`fdvjp::fd::Function`] closure that adds one to `count` per evaluation.
    pub fn counted<'a>(
        &'a self,
        count: &'a Cell<usize>,
    ) -> impl Fn(&[f64], &mut [f64]) -> Result<(), i32> + 'a {
        move |x, y| {
            count.set(count.get() + 1);
            self.eval(x, y);
            Ok(())
        }
    }
}

/// A function with `n < n_end` inputs and `m < m_end` outputs, a point with
/// `min_abs <= |x_j| < 2` (either sign) and a cotangent in [-1, 1]^m.
///
/// `min_abs` keeps every column clear of the step rule's own-scale check (`|x_j| <
/// typ_j / 100`), which would refine a column near an extremum of f.
pub fn smooth(
    n_end: usize,
    m_end: usize,
    min_abs: f64,
) -> impl Strategy<Value = (Smooth, Vec<f64>, Vec<f64>)> {
    (1..n_end, 1..m_end).prop_flat_map(move |(n, m)| {
        (
            prop::collection::vec((0.2..3.0f64, 0.3..2.0f64, -3.0..3.0f64), n * m),
            prop::collection::vec((min_abs..2.0f64, prop::bool::ANY), n),
            prop::collection::vec(-1.0..1.0f64, m),
        )
            .prop_map(move |(coef, x, v)| {
                let x = x.into_iter().map(|(a, s)| if s { a } else { -a }).collect();
                (Smooth { n, m, coef }, x, v)
            })
    })
}
