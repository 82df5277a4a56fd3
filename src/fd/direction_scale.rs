//! Scaling a direction `u` by a power of two, so that the step along it neither underflows
//! nor overflows whatever the magnitude of u (1e305, or a subnormal 1e-320). A JVP is
//! linear in u, so `J u = 2^e J (2^-e u)`, and multiplying by a power of two is exact
//! (unless the product itself leaves the range of doubles, which is then reported).

use super::error::FdError;

/// The exponent e with `2^e` near `max_j |u_j|`; 0 for u = 0 and for a maximum in
/// `[2^-256, 2^256]`, where steps along u are safe unscaled (so ordinary directions give
/// bit-for-bit the results they always gave).
pub(crate) fn direction_exponent(u: &[f64]) -> i32 {
    let max = u.iter().fold(0.0f64, |a, b| a.max(b.abs()));
    if max == 0.0 || (2f64.powi(-256)..=2f64.powi(256)).contains(&max) {
        return 0;
    }
    max.log2().floor() as i32
}

/// `v * 2^e`, exact unless the result underflows or overflows: the power is applied as two
/// factors, each a normal double, so any e from -2200 to 2200 works.
pub(crate) fn times_pow2(v: f64, e: i32) -> f64 {
    let half = e / 2;
    v * 2f64.powi(half) * 2f64.powi(e - half)
}

/// `u * 2^-e` (a direction of largest entry near 1) for the exponent of
/// [`direction_exponent`].
pub(crate) fn scaled(u: &[f64], e: i32) -> Vec<f64> {
    u.iter().map(|&v| times_pow2(v, -e)).collect()
}

/// Scales the JVP along the scaled direction back, `out * 2^e`; an entry that overflows is
/// an error (J u is beyond the doubles), never an infinity returned as a result.
pub(crate) fn unscale(out: &mut [f64], e: i32, u: &[f64]) -> Result<(), FdError> {
    if e == 0 {
        return Ok(());
    }
    for (i, o) in out.iter_mut().enumerate() {
        let v = times_pow2(*o, e);
        if !v.is_finite() {
            return Err(FdError::InvalidArgument(format!(
                "J u overflows along u (max |u_j| = {:e}): entry {i} is {:e} * 2^{e}",
                u.iter().fold(0.0f64, |a, b| a.max(b.abs())),
                *o
            )));
        }
        *o = v;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ordinary_directions_are_not_scaled_and_extreme_ones_come_near_one() {
        assert_eq!(direction_exponent(&[0.0, 0.0]), 0);
        assert_eq!(direction_exponent(&[1e-70, -1e70]), 0);
        for u in [
            [1e305, -2e304],
            [1e-320, 3e-321],
            [f64::MAX, 0.0],
            [5e-324, 0.0],
        ] {
            let e = direction_exponent(&u);
            let s = scaled(&u, e);
            let max = s[0].abs().max(s[1].abs());
            assert!((0.5..=2.0).contains(&max), "{u:?}: {max}");
            // exact round trip
            assert_eq!(times_pow2(s[0], e), u[0]);
        }
    }

    #[test]
    fn an_overflowing_result_is_an_error() {
        let u = [f64::MAX];
        let e = direction_exponent(&u);
        assert!(unscale(&mut [4.0], e, &u).is_err());
        let mut ok = [0.25];
        unscale(&mut ok, e, &u).unwrap();
        assert_eq!(ok[0], 2f64.powi(e - 2));
    }
}
