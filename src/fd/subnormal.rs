//! The rounding of f's values in the subnormal range (probe14 finding 8).
//!
//! Why: the rounding model takes `eps |f|` per value, but below `f64::MIN_POSITIVE` the
//! doubles are spaced `MIN_POSITIVE eps` = 4.9e-324 apart, not `eps |f|`: s sin x with
//! s = 1e-312 came out 3.9e-7 off with a bound of 1.3e-10 relative, and with s = 1e-320
//! as 0 for 7.6e-321 with a bound of 0. A value's size in the rounding scale is therefore
//! at least [`FLOOR`] (times eps, 4 spacings: the value's own rounding and that of its
//! weighted difference, each half a spacing, with room: s exp(x) at s = 1e-310 was 1.16
//! spacings over t off); a value's of at least that size is `|y|`, bit for bit, so that
//! normal-range functions keep their results. A 0 keeps size 0: an output that is 0
//! wherever f is evaluated is constant as computed (derivative 0, bound 0; a derivative
//! below about `eps FLOOR / t`, 3e-318 at a step of 6e-6, is not resolved), and a column
//! that does not move is no sign that rounding swamps its difference (x0 x1 at (1e-4, 0)
//! keeps its 7 evaluations). Where f(x) = 0 and the values beside it are subnormal, those
//! values take the floor here; the fused VJP pass counts them from f(x)
//! (`fused::Shared::zeros`, review 30).

/// The smallest rounding size of a value `y != 0`.
pub(crate) const FLOOR: f64 = 4.0 * f64::MIN_POSITIVE;

/// `|y|` as a rounding size: [`FLOOR`] for `0 < |y| < FLOOR`.
#[inline]
pub(crate) fn size(y: f64) -> f64 {
    let a = y.abs();
    if a != 0.0 && a < FLOOR {
        FLOOR
    } else {
        a
    }
}

#[cfg(test)]
mod tests {
    use super::size;

    #[test]
    fn normal_values_and_zero_keep_their_size() {
        for y in [1.0, -3.5e-300, 4.0 * f64::MIN_POSITIVE, f64::MAX, 1e300] {
            assert_eq!(size(y).to_bits(), y.abs().to_bits());
        }
        for y in [
            5e-324,
            -1e-310,
            f64::MIN_POSITIVE,
            4.0 * f64::MIN_POSITIVE.next_down(),
        ] {
            assert_eq!(size(y), 4.0 * f64::MIN_POSITIVE);
        }
        assert!(size(f64::NAN).is_nan());
    }
}
