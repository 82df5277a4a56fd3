//! The grid a function's values lie on, read from the differences a stencil saw.
//!
//! The rounding error of f is usually modelled as `eps |f|`. A function computed as a sum
//! of terms larger than itself (a sum of sines near 0, a residual) rounds on the scale of
//! its terms instead: its values lie on a grid of spacing `Q` far above `ulp(f)`, and every
//! difference `f(x + h) - f(x)` is a multiple of `Q`. The largest power of two dividing all
//! the differences seen (their lowest set bit) is therefore at least `Q`, and it is the
//! evidence that a difference quotient at a tiny step sees only a few grid steps, however
//! well its levels agree (they may agree by chance: the same count of grid steps).

/// The value of the lowest set bit of `d` (`2^k` with `d` an odd multiple of it); 0 for 0
/// and for non-finite values.
pub(crate) fn lowest_bit(d: f64) -> f64 {
    if d == 0.0 || !d.is_finite() {
        return 0.0;
    }
    let bits = d.abs().to_bits();
    let biased = (bits >> 52) as i32;
    let fraction = bits & ((1u64 << 52) - 1);
    // value = significand * 2^exponent, the significand an integer.
    let (significand, exponent) = if biased == 0 {
        (fraction, -1074)
    } else {
        (fraction | (1u64 << 52), biased - 1075)
    };
    power_of_two(exponent + significand.trailing_zeros() as i32)
}

/// The grid spacing shown by a set of differences: the smallest lowest set bit among the
/// non-zero ones; 0 when every difference is 0 (the stencil did not move f at all).
pub(crate) fn grid(differences: impl IntoIterator<Item = f64>) -> f64 {
    differences
        .into_iter()
        .map(lowest_bit)
        .filter(|&q| q > 0.0)
        .fold(0.0, |acc: f64, q| if acc == 0.0 { q } else { acc.min(q) })
}

/// `2^k` for any k a double can hold (subnormals included).
fn power_of_two(k: i32) -> f64 {
    if k >= -1022 {
        f64::from_bits(((k + 1023) as u64) << 52)
    } else {
        f64::from_bits(1u64 << (k + 1074))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lowest_bits_of_known_values() {
        assert_eq!(lowest_bit(1.0), 1.0);
        assert_eq!(lowest_bit(-6.0), 2.0);
        assert_eq!(lowest_bit(0.75), 0.25);
        assert_eq!(lowest_bit(1.0 + f64::EPSILON), f64::EPSILON);
        assert_eq!(lowest_bit(f64::from_bits(1)), f64::from_bits(1));
        assert_eq!(lowest_bit(f64::MIN_POSITIVE * 3.0), f64::MIN_POSITIVE);
        assert_eq!(lowest_bit(0.0), 0.0);
        assert_eq!(lowest_bit(f64::NAN), 0.0);
    }

    #[test]
    fn the_grid_is_the_finest_non_zero_bit() {
        assert_eq!(grid([0.0, 12.0, 40.0]), 4.0);
        assert_eq!(grid([0.0, -0.0]), 0.0);
        let q = 8.0 * f64::EPSILON;
        assert_eq!(grid([14.0 * q, -3.0 * q]), q);
    }
}
