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
/// `L` lanes: [`central_pass`] also accumulates two lanes at a time in a `Pass<2>` (its
/// `dot` unused).
pub(super) struct Pass<const L: usize = LANES> {
    pub dot: f64,
    pub n: [f64; L],
    pub d2: [f64; L],
    pub rho: [f64; L],
    pub m: [f64; L],
    pub trunc: [f64; L],
    pub top: [f64; L],
}

impl<const L: usize> Pass<L> {
    fn new() -> Self {
        let z = [0.0; L];
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

/// A pass's lane sums added up (`top`: the largest).
pub(super) struct Totals {
    pub n: f64,
    pub d2: f64,
    pub rho: f64,
    pub m: f64,
    pub trunc: f64,
    pub top: f64,
}

impl<const L: usize> Pass<L> {
    /// Each sum's lanes added up, four lanes as `(a0 + a1) + (a2 + a3)`, one as itself.
    pub(super) fn totals(&self) -> Totals {
        let total = |a: &[f64; L]| match a.as_slice() {
            [a0] => *a0,
            [a0, a1, a2, a3] => (a0 + a1) + (a2 + a3),
            _ => unreachable!("passes have one or four lanes to add up"),
        };
        Totals {
            n: total(&self.n),
            d2: total(&self.d2),
            rho: total(&self.rho),
            m: total(&self.m),
            trunc: total(&self.trunc),
            top: self.top.iter().fold(0.0, |a, &b| larger(a, b)),
        }
    }
}

impl Pass<2> {
    /// Its two lanes as lanes `first` and `first + 1` of `pass`.
    fn into_lanes(self, pass: &mut Pass, first: usize) {
        let lanes = first..first + 2;
        pass.n[lanes.clone()].copy_from_slice(&self.n);
        pass.d2[lanes.clone()].copy_from_slice(&self.d2);
        pass.rho[lanes.clone()].copy_from_slice(&self.rho);
        pass.m[lanes.clone()].copy_from_slice(&self.m);
        pass.trunc[lanes.clone()].copy_from_slice(&self.trunc);
        pass.top[lanes].copy_from_slice(&self.top);
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
/// lane sums; `products` (m entries, scratch) receives each output's term `(n_i / t) v_i`
/// of the product, which is then summed in order.
///
/// Why in this shape: the six sums of four lanes are twelve register pairs, which with
/// the constants overflow SSE2's sixteen registers (every sum went through the stack at
/// each block, about a quarter of the pass's instructions), and the in-order product
/// interleaved scalar divisions with the paired work. So the lanes are taken two at a
/// time ([`half_pass`]: lanes 0-1 of every block of [`LANES`], then lanes 2-3), the
/// products are formed paired and stored, and one loop adds them in order. Each lane
/// still adds its outputs in the same order (blocks in turn, then the tail from lane 0),
/// and each product term is the same division and multiplication, so every sum and the
/// product are bit for bit what the one-loop pass gave.
#[allow(clippy::too_many_arguments)]
pub(super) fn central_pass(
    ya: &[f64],
    yb: &[f64],
    y0: &[f64],
    v: &[f64],
    w: (f64, f64),
    t: f64,
    k: Consts,
    products: &mut [f64],
) -> Pass {
    let m = v.len();
    let (ya, yb, y0, products) = (&ya[..m], &yb[..m], &y0[..m], &mut products[..m]);
    let mut pass = Pass::new();
    let full = m - m % LANES;
    for half in [0, LANES / 2].into_iter().filter(|_| full > 0) {
        let sums = half_pass(half, (ya, yb, y0, v), w, t, k, &mut products[..full]);
        sums.into_lanes(&mut pass, half);
    }
    for i in full..m {
        let s = central_terms(ya[i], yb[i], y0[i], w);
        products[i] = (s.0 / t) * v[i];
        pass.add(i - full, v[i].abs(), s, k);
    }
    let mut dot = -0.0;
    for &q in products.iter() {
        dot += q;
    }
    pass.dot = dot;
    pass
}

/// [`central_pass`] for fewer outputs than [`LANES`] (a small call's m), in one lane, with
/// none of the lane machinery (issue 15: a call with m = 1 spent more on it than on its
/// one output). Bit for bit the same totals: there output i went alone to lane i (added to
/// 0.0), and the four lanes were added up as `(a0 + a1) + (a2 + a3)`, the missing ones
/// 0.0; every term is non-negative (or NaN), so adding 0.0 changes nothing, and that is
/// `(t0 + t1) + t2`, as one lane adding the outputs in order from 0.0 gives; the largest
/// `|n_i|` likewise. The product is added in order as there.
#[inline]
pub(super) fn central_small(
    ya: &[f64],
    yb: &[f64],
    y0: &[f64],
    v: &[f64],
    w: (f64, f64),
    t: f64,
    k: Consts,
) -> Pass<1> {
    let mut pass = Pass::new();
    for (i, &vi) in v.iter().enumerate() {
        let s = central_terms(ya[i], yb[i], y0[i], w);
        pass.dot += (s.0 / t) * vi;
        pass.add(0, vi.abs(), s, k);
    }
    pass
}

/// `n`, `D2` and `ρ t` of one output of a central stencil with weights `(wa, wb)` (`n`
/// formed as the general path forms it).
#[inline(always)]
fn central_terms(ya: f64, yb: f64, y0: f64, (wa, wb): (f64, f64)) -> (f64, f64, f64) {
    let (a, b) = (ya - y0, yb - y0);
    let mut n = 0.0;
    n += wa * a;
    n += wb * b;
    (n, a + b, wa.abs() * ya.abs() + wb.abs() * yb.abs())
}

/// Lanes `half` and `half + 1` of every whole block of [`LANES`] outputs (`products` is
/// as long as the whole blocks): their sums, as [`Pass::add`] forms them, and their
/// product terms.
#[inline(always)]
fn half_pass(
    half: usize,
    (ya, yb, y0, v): (&[f64], &[f64], &[f64], &[f64]),
    w: (f64, f64),
    t: f64,
    k: Consts,
    products: &mut [f64],
) -> Pass<2> {
    let mut h = Pass::new();
    let full = products.len();
    let blocks = pairs(ya, half, full)
        .zip(pairs(yb, half, full))
        .zip(pairs(y0, half, full))
        .zip(pairs(v, half, full))
        .zip(products[half..].chunks_mut(LANES));
    for ((((ya, yb), y0), v), q) in blocks {
        // Straight-line code on two outputs: the compiler pairs them.
        let mut s = [(0.0, 0.0, 0.0); 2];
        for l in 0..2 {
            s[l] = central_terms(ya[l], yb[l], y0[l], w);
        }
        for l in 0..2 {
            q[l] = (s[l].0 / t) * v[l];
        }
        for l in 0..2 {
            h.add(l, v[l].abs(), s[l], k);
        }
    }
    h
}

/// Lanes `half` and `half + 1` of the whole blocks of `s[..full]` (`half < full`).
#[inline(always)]
fn pairs(s: &[f64], half: usize, full: usize) -> impl Iterator<Item = [f64; 2]> + '_ {
    s[half..full].chunks(LANES).map(|c| [c[0], c[1]])
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
