//! A VJP column's product with v, `sum_i (n_i / t) v_i` with `n_i` t times the column's
//! entry: summed as `sum_i n_i v_i` in [`LANES`] lanes and divided by t once.
//!
//! Why: the ordered sum of `(n_i / t) v_i` (the column formed, then dotted) costs a
//! division per output and a chain of m dependent additions; on a 1000 -> 1000 VJP these
//! were a third of what the library added to the bare loop (issue 15). The lanes' sum is
//! as accurate (its rounding grows with m / 4 instead of m) but not bit for bit the
//! ordered one. Every path that forms a product from the stencil's outputs (the pass of
//! `pass.rs`, the plain rule's `fused::dot_only`, the small calls' flat path) forms it here
//! or in the same lanes, so that the default and the plain rule give the same bits where
//! they take the same step. Fewer outputs than [`LANES`] keep the ordered sum: there is no
//! chain to break, and a VJP with m < 4 keeps its bits.

use super::pass::LANES;

/// Below this a sum's or quotient's last bits may have gone to underflow: 2^-900, so that
/// the terms lost to underflow (at most m half-ulps of the smallest subnormal) weigh less
/// than 2^-120 of it for any m below 2^50.
pub(super) const TINY: f64 = f64::from_bits((1023 - 900) << 52);

/// The product of a column of `v.len()` outputs whose `n_i` is `n_at(i)`, at the step t.
#[inline(always)]
pub(super) fn dot(v: &[f64], t: f64, n_at: impl Fn(usize) -> f64) -> f64 {
    let m = v.len();
    if m < LANES {
        return ordered(v, t, n_at);
    }
    let full = m - m % LANES;
    let (mut lanes, mut size) = ([-0.0; LANES], 0.0);
    for (i, &w) in v.iter().enumerate() {
        let n = n_at(i);
        lanes[if i < full { i % LANES } else { i - full }] += n * w;
        size += n.abs() * w.abs();
    }
    let raw = (lanes[0] + lanes[1]) + (lanes[2] + lanes[3]);
    from_lanes(raw, size, v, t, n_at)
}

/// The product from the lanes' `raw = sum_i n_i v_i` (each output i in lane `i % LANES`
/// within whole blocks of [`LANES`], the tail from lane 0, the lanes added as `(l0 + l1) +
/// (l2 + l3)`) and `size`, the computed `sum_i |n_i| |v_i|` in any order: `raw / t`.
///
/// Where that could be less accurate than the ordered sum of `(n_i / t) v_i`, the ordered
/// sum is taken instead ([`ordered`]):
/// - `raw / t` is not finite (a term, the sum or the quotient overflowed). Where the
///   ordered sum is not finite either and `raw / t` is, `raw / t` is kept: an entry
///   `n_i / t` can overflow where its product with a small or cancelling weight does not,
///   and the value is then right where the ordered sum gave an infinity or a NaN.
/// - `size` or `size / t` is below [`TINY`] but not 0: terms, or the quotient, may have
///   lost bits to underflow. Above it they cannot weigh: at most m half-ulps of the
///   smallest subnormal in the sum, one in the quotient, against the product's own
///   rounding of about `m eps size / t`. An exact 0 from cancellation, or from weights
///   that are 0 where the column is not (a unit seed, a sparse v), stays on the fast path.
/// - `size` is 0 while some output has both `n_i` and `v_i` non-zero: their products
///   underflowed to 0 (looked for only when `size` is 0). Otherwise every term is a zero
///   with the sign of `(n_i / t) v_i` (t > 0), and a sum of zeros is -0 exactly when every
///   term is: `raw / t` is the ordered sum's zero.
#[inline(always)]
pub(super) fn from_lanes(
    raw: f64,
    size: f64,
    v: &[f64],
    t: f64,
    n_at: impl Fn(usize) -> f64,
) -> f64 {
    let dot = raw / t;
    let tiny = |x: f64| x < TINY;
    let suspect = !dot.is_finite()
        || (size != 0.0 && (tiny(size) || tiny(size / t)))
        || (size == 0.0 && (0..v.len()).any(|i| v[i] != 0.0 && n_at(i) != 0.0));
    if !suspect {
        return dot;
    }
    let ordered = ordered(v, t, n_at);
    if ordered.is_finite() || !dot.is_finite() {
        ordered
    } else {
        dot
    }
}

/// `sum_i (n_i / t) v_i` in order from -0.0: the column formed and dotted with v, as the
/// general path does, bit for bit.
#[inline]
fn ordered(v: &[f64], t: f64, n_at: impl Fn(usize) -> f64) -> f64 {
    let mut dot = -0.0;
    for (i, &w) in v.iter().enumerate() {
        dot += (n_at(i) / t) * w;
    }
    dot
}
