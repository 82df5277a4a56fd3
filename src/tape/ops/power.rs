//! Powers: the partial derivatives of `a^b`, shared by the elementwise `pow` and by
//! `pow_scalar` (a fixed exponent).
//!
//! Conventions where the calculus gives no finite answer: with exponent 0 the base's
//! derivative is 0 (x^0 = 1 is constant, even at x = 0); with base 0 the exponent's
//! derivative is 0 (0^b is 0 for b > 0). A negative base with a non-integer exponent gives a
//! NaN value, and the exponent's derivative at a negative base is NaN (ln of a negative).

use crate::tape::value::{array, flat, flat_mut};
use ndarray::ArrayD;

/// `d(a^b)/da = b * a^(b-1)`, 0 when `b == 0`.
pub(crate) fn d_base(a: f64, b: f64) -> f64 {
    if b == 0.0 {
        0.0
    } else {
        b * a.powf(b - 1.0)
    }
}

/// `d(a^b)/db = ln(a) * a^b`, 0 when `a == 0`; `y = a^b`.
pub(crate) fn d_exponent(a: f64, y: f64) -> f64 {
    if a == 0.0 {
        0.0
    } else {
        a.ln() * y
    }
}

/// `a^p` elementwise for a fixed exponent `p`.
pub(crate) fn pow_scalar_forward(a: &ArrayD<f64>, p: f64) -> ArrayD<f64> {
    array(a.shape(), flat(a).iter().map(|&x| x.powf(p)).collect())
}

/// `g * p * a^(p-1)` elementwise, in `g`'s buffer.
pub(crate) fn pow_scalar_pullback(a: &ArrayD<f64>, p: f64, mut g: ArrayD<f64>) -> ArrayD<f64> {
    for (gi, &x) in flat_mut(&mut g).iter_mut().zip(flat(a)) {
        *gi *= d_base(x, p);
    }
    g
}
