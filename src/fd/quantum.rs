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

/// Below this many ulps of f a grid is f's own rounding: a coarser one needs evidence.
/// An exact f's value and second difference both have their lowest set bit this far
/// above an ulp of f by chance in about `2^-32` of directions.
const COARSE: f64 = 65536.0;

/// The grid a central stencil's values lie on where it is coarser than f's rounding (f
/// computed in float32, or on a grid of a larger term's ulp), else 0: the finest lowest
/// set bit of `f(x)` (unless 0) and of the `differences` (the second, or those of the
/// points from f(x)), when above [`COARSE`] ulps of `|f(x)|`; where every difference is
/// 0, f(x)'s alone ([`unmoved`]).
///
/// Why: such an f's every value is off by up to a grid step or so (its own rounding and
/// its input's), which the plain bound's `eps |f|` misses by the grid's `2^29` ulps
/// (float32: `sqrtf(a + b)` at 0.5 with a = (float)x, 6.7e-3 off with a bound of 1.2e-10,
/// probe13 finding 3).
pub(crate) fn coarse<const K: usize>(y0: f64, differences: [f64; K]) -> f64 {
    if !y0.is_finite() || differences.iter().any(|d| !d.is_finite()) {
        return 0.0;
    }
    if differences.iter().all(|&d| d == 0.0) {
        return unmoved(y0);
    }
    let q = grid(differences).min(if y0 == 0.0 {
        f64::INFINITY
    } else {
        lowest_bit(y0)
    });
    let size = differences.iter().fold(y0.abs(), |a, d| a.max(d.abs()));
    if q > COARSE * f64::EPSILON * size {
        q
    } else {
        0.0
    }
}

/// Whether an output whose value at x is `y0` may show a coarse grid ([`coarse`] not 0,
/// at any step and for any differences): `y0` is 0, not normal, or the low 16 bits of its
/// fraction are 0. Why: [`coarse`] needs a grid q at most y0's lowest set bit and above
/// `2^-36 |y0|` (`COARSE` ulps); a normal `y0 = M 2^E` (M an integer of 53 bits) with one
/// of those 16 bits set has its lowest bit at most `2^(E+15)`, while `2^-36 |y0|` is at
/// least `2^(E+16)` (rounded, still so: that is a double). A smooth f's value has its
/// last 16 bits zero in one output of 65,536, so a VJP's columns skip the grid term's
/// pass where no output may have one (`fused::column_sums`, issue 15).
#[inline]
pub(crate) fn may_be_coarse(y0: f64) -> bool {
    !y0.is_normal() || y0.to_bits() & 0xFFFF == 0
}

/// Fewer significant bits than this in f(x) mark a round value (a constant, a sum of a
/// few binary fractions), not a grid: a float32 value has this few by chance in about
/// `2^-13` of points.
const ROUND_BITS: i32 = 12;

/// The grid of an f that did not move over the stencil (every difference 0): f(x)'s
/// lowest set bit where it is above [`COARSE`] ulps of `|f(x)|` and f(x) is not a round
/// value ([`ROUND_BITS`]), else 0.
///
/// Why: on a grid of spacing Q, a difference of 0 says only that f moved by less than
/// about Q, not that it is constant (float32 `a b + 1000` at b = 2.29 moves by 1.4e-5
/// over the step, below its grid of 6.1e-5: a derivative of 0 for 2.29, probe13 finding
/// 3). An exact f whose output does not depend on the direction has a value with all its
/// bits (or a round one): it is left alone but in about `2^-17` of points.
fn unmoved(y0: f64) -> f64 {
    let exponent = |v: f64| ((v.abs().to_bits() >> 52) as i32) - 1023;
    if y0 == 0.0 || !y0.is_normal() {
        return 0.0;
    }
    let q = lowest_bit(y0);
    let bits = exponent(y0) - exponent(q) + 1;
    if q > COARSE * f64::EPSILON * y0.abs() && bits >= ROUND_BITS {
        q
    } else {
        0.0
    }
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
    fn an_unmoved_value_shows_its_grid_unless_round_or_full() {
        let f32_value = f64::from(0.838_f32 * 2.294_f32 + 1000.0_f32);
        assert_eq!(coarse(f32_value, [0.0, 0.0]), lowest_bit(f32_value));
        assert!(lowest_bit(f32_value) >= 512.0 * f64::from(f32::EPSILON));
        assert_eq!(coarse(1000.0, [0.0, 0.0]), 0.0);
        assert_eq!(coarse(0.1, [0.0, 0.0]), 0.0);
        assert_eq!(coarse(0.0, [0.0, 0.0]), 0.0);
        assert_eq!(coarse(f64::NAN, [0.0, 0.0]), 0.0);
    }

    #[test]
    fn the_grid_is_the_finest_non_zero_bit() {
        assert_eq!(grid([0.0, 12.0, 40.0]), 4.0);
        assert_eq!(grid([0.0, -0.0]), 0.0);
        let q = 8.0 * f64::EPSILON;
        assert_eq!(grid([14.0 * q, -3.0 * q]), q);
    }

    /// `may_be_coarse` never excludes an output `coarse` finds: values with 12 to 20 low
    /// fraction bits zero (the edge is 16), normal and subnormal, with differences on
    /// grids from y0's lowest bit upwards.
    #[test]
    fn may_be_coarse_covers_every_coarse_output() {
        let mut state = 0x9E37_79B9_7F4A_7C15u64;
        let mut next = move || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state
        };
        let cases = if cfg!(miri) { 200 } else { 200_000 };
        let mut coarse_seen = 0;
        for _ in 0..cases {
            let zeros = 12 + next() % 9;
            let exponent = next() % 2047;
            let fraction = (next() & ((1u64 << 52) - 1)) >> zeros << zeros;
            let y0 = f64::from_bits((exponent << 52) | fraction | (next() & (1 << 63)));
            let q = lowest_bit(y0).max(f64::from_bits(1)) * (1u64 << (next() % 8)) as f64;
            let d = [q * (next() % 1000) as f64, -q * (next() % 1000) as f64];
            if coarse(y0, d) != 0.0 {
                coarse_seen += 1;
                assert!(may_be_coarse(y0), "y0 {y0:e}, d {d:?}");
            }
        }
        assert!(coarse_seen > cases / 100, "{coarse_seen} coarse cases");
    }
}
