//! Powers: the partial derivatives of `a^b`, shared by the elementwise `pow` and by
//! `pow_scalar` (a fixed exponent).
//!
//! Conventions where the calculus gives no finite answer: with exponent 0 the base's
//! derivative is 0 (x^0 = 1 is constant, even at x = 0); with base 0 the exponent's
//! derivative is 0 (0^b is 0 for b > 0). A negative base with a non-integer exponent gives a
//! NaN value, and the exponent's derivative at a negative base is NaN (ln of a negative).

use crate::tape::adjoint::Sink;

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

/// `a^p` elementwise for a fixed exponent `p`, into `out`.
pub(crate) fn pow_scalar_forward(a: &[f64], p: f64, out: &mut [f64]) {
    for (o, &x) in out.iter_mut().zip(a) {
        *o = x.powf(p);
    }
}

/// Adds `g * p * a^(p-1)` elementwise to node `to`'s adjoint.
pub(crate) fn pow_scalar_pullback(a: &[f64], p: f64, g: &[f64], to: usize, sink: &mut Sink) {
    sink.put(to, g.iter().zip(a).map(|(&gi, &x)| gi * d_base(x, p)));
}
