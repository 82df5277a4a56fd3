//! The one pass over a central (or any) stencil's outputs behind `fused.rs`: the product
//! with v and the v-weighted sums of `refine::Sums`, with no division per output but the
//! product's own and the truncation term's.
//!
//! Why so: the pass runs once per column over all m outputs, so for a cheap f with large m
//! it costs about as much as f (issue 15: 135 instructions per output, against 7 for a
//! hand-written loop's `g += v_i (f+_i - f-_i)`). Everything that is the same for all
//! outputs is hoisted (`1 / r`, `r / 3`; the divisions by t of the sums are applied once
//! to each sum), the maxima are comparisons, and the outputs go through in blocks of
//! [`LANES`] of straight-line code, which the compiler turns into paired (SSE2) operations.
//!
//! Bit for bit: the product is the general path's (`n_i / t` times `v_i`, added in
//! order); the sums that decide (|D2|, M, ρ, |n|) are formed per output exactly as
//! before and added in the same lanes, so every threshold decides as before; the largest
//! `|n_i|` gives `f_scale` exactly (a monotone function of the largest argument is the
//! largest value). Only the truncation term of the error bound is computed differently
//! (one division, see [`trunc_2t`]): the reported bound may differ in its last bits.

use super::super::refine::SIZE;

/// The lanes of the accumulating pass (the sums' grouping, hence their last bits,
/// depends on it: changing it may change a threshold's decision in the last ulp).
pub(super) const LANES: usize = 4;

/// The constants of a pass: `1 / r` (M's change term) and `r / 3` (the truncation's
/// floor, see [`trunc_2t`]).
#[derive(Clone, Copy)]
pub(super) struct Consts {
    inv_r: f64,
    r3: f64,
}

impl Consts {
    pub(super) fn new(r: f64) -> Self {
        Self {
            inv_r: 1.0 / r,
            r3: r / 3.0,
        }
    }
}

/// What one pass over the outputs accumulates: the product `sum_i (n_i / t) v_i` in order
/// (`dot`, bit for bit the general path's), and per lane (output i in lane `i % LANES`
/// within whole blocks of [`LANES`], the tail from lane 0) the sums over i of `|v_i|`
/// times `|n_i|`, `|D2_i|`, `ρ_i t` (`rho`), `max(SIZE ρ_i t, |n_i| / r)` (`m`) and the
/// truncation term times 2t (`trunc`, [`trunc_2t`]), and the largest `|n_i|` (`top`).
/// Here `n_i = sum_k w_k (y_k,i - f_i(x))` is t times the column's entry, `D2_i` the
/// second difference.
pub(super) struct Pass {
    pub dot: f64,
    pub n: [f64; LANES],
    pub d2: [f64; LANES],
    pub rho: [f64; LANES],
    pub m: [f64; LANES],
    pub trunc: [f64; LANES],
    pub top: [f64; LANES],
}

impl Pass {
    fn new() -> Self {
        let z = [0.0; LANES];
        Self {
            dot: -0.0,
            n: z,
            d2: z,
            rho: z,
            m: z,
            trunc: z,
            top: z,
        }
    }

    /// Adds the terms of an output with weight `av = |v_i|`, `n_i`, `D2_i` and `ρ_i t` to
    /// lane `l` (the product is added by the caller, in order). No division but the
    /// truncation's one.
    #[inline(always)]
    fn add(&mut self, l: usize, av: f64, (n, d2, rho): (f64, f64, f64), k: Consts) {
        let (an, ad2) = (n.abs(), d2.abs());
        self.n[l] += av * an;
        self.d2[l] += av * ad2;
        self.rho[l] += av * rho;
        self.m[l] += av * larger(SIZE * rho, an * k.inv_r);
        self.trunc[l] += av * trunc_2t(an, ad2, k.r3);
        self.top[l] = larger(self.top[l], an);
    }
}

/// `max(a, b)` as one comparison (it vectorises; `f64::max` treats NaN apart): the same
/// value as `a.max(b)` unless one is NaN. The pass only sees finite outputs
/// (`axis_product` checks every point), so a NaN needs two finite values whose difference
/// overflows; the product is then NaN as well, and `axis_product` returns it as it did.
#[inline(always)]
pub(super) fn larger(a: f64, b: f64) -> f64 {
    if b > a {
        b
    } else {
        a
    }
}

/// [`super::refine::truncation`] times 2t from `|n| = t |D1|` and `|D2|`, with one division
/// instead of three: `max(|D2| r / 3, min(|D2|^2 / |n|, |D2|))`, the minimum written as
/// `|D2| (|D2| / max(|n|, |D2|))` (no overflow; 0 when both are 0). It only bounds the
/// error in the report (it decides nothing), and differs from the column path's value in
/// the last bits (|n| stands for t |D1|, `/ 2t` is applied to the sum).
#[inline(always)]
fn trunc_2t(an: f64, ad2: f64, r3: f64) -> f64 {
    let below = larger(larger(an, ad2), f64::MIN_POSITIVE);
    larger(ad2 * r3, ad2 * (ad2 / below))
}

/// The central stencil's pass: per output the two differences, `n = w_a a + w_b b` as the
/// general path forms it (so the product is bit for bit its), the rounding scale and the
/// lane sums, in blocks of [`LANES`] outputs so that everything but the in-order product
/// vectorises.
pub(super) fn central_pass(
    ya: &[f64],
    yb: &[f64],
    y0: &[f64],
    v: &[f64],
    (wa, wb): (f64, f64),
    t: f64,
    k: Consts,
) -> Pass {
    let m = v.len();
    let (ya, yb, y0) = (&ya[..m], &yb[..m], &y0[..m]);
    let (aa, ab) = (wa.abs(), wb.abs());
    let terms_of = |ya: f64, yb: f64, y0: f64| {
        let (a, b) = (ya - y0, yb - y0);
        let mut n = 0.0;
        n += wa * a;
        n += wb * b;
        (n, a + b, aa * ya.abs() + ab * yb.abs())
    };
    let mut pass = Pass::new();
    let full = m - m % LANES;
    let blocks = ya[..full]
        .chunks_exact(LANES)
        .zip(yb[..full].chunks_exact(LANES))
        .zip(y0[..full].chunks_exact(LANES))
        .zip(v[..full].chunks_exact(LANES));
    for (((ya, yb), y0), v) in blocks {
        // Straight-line code over fixed-size blocks: the compiler pairs the lanes.
        let (ya, yb, y0, v) = (block(ya), block(yb), block(y0), block(v));
        let mut s = [(0.0, 0.0, 0.0); LANES];
        for l in 0..LANES {
            s[l] = terms_of(ya[l], yb[l], y0[l]);
        }
        for l in 0..LANES {
            pass.dot += (s[l].0 / t) * v[l];
        }
        for l in 0..LANES {
            pass.add(l, v[l].abs(), s[l], k);
        }
    }
    for i in full..m {
        let s = terms_of(ya[i], yb[i], y0[i]);
        pass.dot += (s.0 / t) * v[i];
        pass.add(i - full, v[i].abs(), s, k);
    }
    pass
}

/// A block of [`LANES`] values (`chunks_exact` gives exactly that many).
#[inline(always)]
fn block(c: &[f64]) -> [f64; LANES] {
    [c[0], c[1], c[2], c[3]]
}

/// [`central_pass`] for any stencil (`terms` as `Placed::terms` gives them; the points
/// other than x itself stored in order in `points`).
pub(super) fn general_pass(
    terms: &[(f64, f64)],
    points: &[f64],
    y0: &[f64],
    v: &[f64],
    t: f64,
    k: Consts,
) -> Pass {
    let m = v.len();
    let mut pass = Pass::new();
    let full = m - m % LANES;
    for i in 0..m {
        let (mut n, mut rho, mut d2, mut at) = (0.0, 0.0, 0.0, 0);
        for &(o, w) in terms {
            if o == 0.0 {
                rho += w.abs() * y0[i].abs();
                continue;
            }
            let y = points[at * m + i];
            at += 1;
            n += w * (y - y0[i]);
            rho += w.abs() * y.abs();
            if o.abs() == 1.0 {
                d2 += y - y0[i];
            }
        }
        pass.dot += (n / t) * v[i];
        let l = if i < full { i % LANES } else { i - full };
        pass.add(l, v[i].abs(), (n, d2, rho), k);
    }
    pass
}

#[cfg(test)]
mod tests;
