//! The one pass over a central stencil's outputs behind `fused.rs`: the product with v and
//! the v-weighted sums of `refine::Sums`, with no division per output but the truncation
//! term's.
//!
//! Why so: the pass runs once per column over all m outputs, so for a cheap f with large m
//! it costs about as much as f (issue 15: a 1000 -> 1000 VJP spent 34 instructions per
//! output in it, against 7 for a hand-written loop's `g += v_i (f+_i - f-_i)`). So:
//!
//! - Everything that is the same for all outputs is a constant or hoisted: the pass serves
//!   one stencil and one step rule (the central stencil at the default relative step, the
//!   only ones whose refinement takes sums), so its weights, `1 / r` and `r / 3` are
//!   constants and take no register; the divisions by t of the sums are applied once to
//!   each sum; the maxima are comparisons.
//! - One loop, in blocks of [`LANES`] outputs of element-wise code on pairs of doubles,
//!   which the compiler turns into paired (SSE2) operations. The product's `n_i v_i` are
//!   summed in the lanes too and divided by t once (`product.rs`): as the general path's
//!   ordered sum of `(n_i / t) v_i` it cost a division per output and a chain of m
//!   dependent additions.
//! - The sum that only feeds a maximum over the call, M (`refine::Sums::m`, the change of
//!   f over the step rule's scale, whose largest over the directions is
//!   `Probe::max_change`), is not formed in the loop: [`change`] forms it, in a second
//!   pass, only for a column whose M might raise that maximum, which the loop's sums bound
//!   from above ([`change_may_exceed`]). A column whose M cannot raise the maximum leaves
//!   it as it was: with or without its M, the same maximum at every step, so the noise
//!   trigger's thresholds (made from it) decide as before. With M's sum (and four lanes
//!   for every sum) the loop's sums overflowed SSE2's sixteen registers and went through
//!   the stack at every block.
//!
//! Bit for bit: the sums that decide (|D2|, and M when formed) are formed per output exactly as
//! before and added in the same lanes (output i in lane `i % LANES` within whole blocks,
//! the tail from lane 0; the lanes added up as `(a0 + a1) + (a2 + a3)`), so every
//! threshold decides as before; the largest `|n_i|` gives `f_scale` exactly (a monotone
//! function of the largest argument is the largest value). The sums that only bound the
//! error in the report (|n|, the truncation term, see [`trunc_2t`]) are added in two
//! lanes: the reported bound may differ from the column-by-column code's in its last bits
//! (by 4e-16 relative at most over a differential run of 3,000 calls), and is as honest.
//! The rounding scale ρ is not summed per output at all: [`rho_cover`] bounds it from
//! f(x)'s size (once per computation) and the sums above, slightly above the old sum.
//! Fewer outputs than [`LANES`] (a small call's m) take [`small_pass`], which forms M too.

use super::super::refine::SIZE;
use super::super::scheme::Scheme;
use super::product;

/// The lanes of the deciding sums (their grouping, hence their last bits, depends on it:
/// changing it may change a threshold's decision in the last ulp).
pub(super) const LANES: usize = 4;

/// The stencil and step rule the pass serves, the only ones whose refinement takes sums
/// (`refine::need`): the central stencil's weights of `f(x - t e_j)` and `f(x + t e_j)`,
/// and the default relative step r (`Plan::new` checks both).
pub(super) const WEIGHTS: (f64, f64) = (-0.5, 0.5);
pub(super) const R: f64 = Scheme::Central.default_relative_step();
/// `1 / r` (M's change term) and `r / 3` (the truncation's floor, see [`trunc_2t`]).
const INV_R: f64 = 1.0 / R;
const R3: f64 = R / 3.0;

/// One column's inputs to a pass: the central stencil's outputs at `x - t e_j` (`ya`) and
/// `x + t e_j` (`yb`), f(x) (`y0`), the cotangent v (its length is m; the others are at
/// least as long), and the step t.
#[derive(Clone, Copy)]
pub(super) struct Column<'a> {
    pub ya: &'a [f64],
    pub yb: &'a [f64],
    pub y0: &'a [f64],
    pub v: &'a [f64],
    pub t: f64,
}

/// What a pass forms: the product `sum_i (n_i / t) v_i` (`dot`, as `product.rs` forms it;
/// in order for the small pass), the sums over i of `|v_i|` times `|n_i|`, `|D2_i|`, `ρ_i
/// t` (`rho`; an upper bound of it, [`rho_cover`], from [`central_pass`]) and the
/// truncation term times 2t (`trunc`, [`trunc_2t`]), the largest `|n_i|` (`top`), and
/// M when the pass formed it (`change`, see [`change`]). Here `n_i = w_a (y_a,i - f_i(x))
/// + w_b (y_b,i - f_i(x))` is t times the column's entry, `D2_i` the second difference.
pub(super) struct Totals {
    pub dot: f64,
    pub n: f64,
    pub d2: f64,
    pub rho: f64,
    pub trunc: f64,
    pub top: f64,
    pub change: Option<f64>,
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
/// `|D2| (|D2| / max(|n|, |D2|))` (no overflow; when both are 0 the quotient is NaN, which
/// [`larger`] passes over for the 0 of the other term). It only bounds the error in the
/// report (it decides nothing), and differs from the column path's value in the last bits
/// (|n| stands for t |D1|, `/ 2t` is applied to the sum). The maximum is taken of the
/// factors of |D2|: `max(|D2| a, |D2| b)` is `|D2| max(a, b)`, rounding being monotone.
#[inline(always)]
fn trunc_2t(an: f64, ad2: f64) -> f64 {
    ad2 * larger(R3, ad2 / larger(an, ad2))
}

/// `n = 0 + wa a + wb b` as the general path forms it (its zero has the general path's
/// sign).
#[inline(always)]
fn n_of(a: f64, b: f64) -> f64 {
    let (wa, wb) = WEIGHTS;
    let mut n = 0.0;
    n += wa * a;
    n += wb * b;
    n
}

/// `n`, `D2` and `ρ t = |wa| |ya| + |wb| |yb|` of one output.
#[inline(always)]
fn central_terms(ya: f64, yb: f64, y0: f64) -> (f64, f64, f64) {
    let (wa, wb) = WEIGHTS;
    let (a, b) = (ya - y0, yb - y0);
    (n_of(a, b), a + b, wa.abs() * ya.abs() + wb.abs() * yb.abs())
}

/// M's term of one output: `|v| max(SIZE ρ t, |n| / r)`.
#[inline(always)]
fn change_term(ya: f64, yb: f64, y0: f64, v: f64) -> f64 {
    let (n, _, rho) = central_terms(ya, yb, y0);
    v.abs() * larger(SIZE * rho, n.abs() * INV_R)
}

/// The pass for fewer outputs than [`LANES`], M included, in one loop with none of the
/// block machinery (a call with m = 1 spent more on it than on its one output, issue 15).
/// Its sums are those of the lanes: output i would go alone to lane i (added to 0.0) and
/// the lanes be added up as `(a0 + a1) + (a2 + a3)`, the missing ones 0.0; every term is
/// non-negative (or NaN), so adding 0.0 changes nothing, and that is `(t0 + t1) + t2`, as
/// adding the outputs in order from 0.0 gives.
#[inline(always)]
pub(super) fn small_pass(c: &Column<'_>) -> Totals {
    let mut s = Totals {
        dot: -0.0,
        n: 0.0,
        d2: 0.0,
        rho: 0.0,
        trunc: 0.0,
        top: 0.0,
        change: None,
    };
    let mut change = 0.0;
    for (i, &v) in c.v.iter().enumerate() {
        let (ya, yb, y0) = (c.ya[i], c.yb[i], c.y0[i]);
        let (n, d2, rho) = central_terms(ya, yb, y0);
        s.dot += (n / c.t) * v;
        let (av, an, ad2) = (v.abs(), n.abs(), d2.abs());
        s.n += av * an;
        s.d2 += av * ad2;
        s.rho += av * rho;
        s.trunc += av * trunc_2t(an, ad2);
        s.top = larger(s.top, an);
        change += change_term(ya, yb, y0, v);
    }
    s.change = Some(change);
    s
}

/// Two doubles, operated on element by element (the compiler pairs them).
type P = [f64; 2];

#[inline(always)]
fn zip2(a: P, b: P, f: impl Fn(f64, f64) -> f64) -> P {
    [f(a[0], b[0]), f(a[1], b[1])]
}

/// Outputs `2h` and `2h + 1` of a block.
#[inline(always)]
fn pair(s: Q, h: usize) -> P {
    [s[2 * h], s[2 * h + 1]]
}

/// A block of [`LANES`] doubles.
type Q = [f64; LANES];

/// The block of [`LANES`] outputs from `start` of each of `columns`.
#[inline(always)]
fn block([ya, yb, y0, v]: [&[f64]; 4], start: usize) -> [Q; 4] {
    let at = |s: &[f64]| -> Q {
        let b = &s[start..start + LANES];
        [b[0], b[1], b[2], b[3]]
    };
    [at(ya), at(yb), at(y0), at(v)]
}

/// The pass over the column `c`'s outputs, in one loop (module doc), M left to [`change`];
/// `y0_size` is [`y0_size`] of the column's y0 and v (the same for every column).
pub(super) fn central_pass(c: &Column<'_>, y0_size: f64) -> Totals {
    lanes_pass(c).totals(c, y0_size)
}

/// `sum_i |v_i| |f_i(x)|`, the part of [`rho_cover`] that no column changes: formed once
/// per computation.
pub(crate) fn y0_size(y0: &[f64], v: &[f64]) -> f64 {
    y0.iter()
        .zip(v)
        .map(|(y, v)| v.abs() * y.abs())
        .sum::<f64>()
}

/// An upper bound of the rounding scale `sum_i |v_i| (|w_a| |y_a,i| + |w_b| |y_b,i|)`
/// (`Totals::rho`) from sums the pass forms anyway: `Y + |D2| / 2 + |n|` with Y the
/// [`y0_size`] and `|D2|`, `|n|` the pass's v-weighted sums, so that the pass spends
/// nothing of its own on it (about 2.5 instructions per output, issue 15).
///
/// Why it covers: with the computed differences `a = y_a - y0`, `b = y_b - y0` (each
/// within a factor `1 + u` of the exact one, u = eps / 2), `|y_a| + |y_b| <= 2 |y0| + (|a| +
/// |b|)(1 + u)` and `|a| + |b| = max(|a + b|, |a - b|) <= |D2| + 2 |n|` up to a factor
/// `(1 + u)` each (D2 and n are one rounding of `a + b` and `(b - a) / 2`). So the old
/// sum's exact terms are at most those of `Y + |D2| / 2 + |n|` times `(1 + u)^3`; each
/// computed sum of m non-negative terms (three factors at most) lies within `(1 + u)^(m +
/// 4)` of its exact value either way, and the three sums' addition adds two roundings: the
/// factor `1 + 4 (m + 8) eps` exceeds `(1 + u)^(2m + 16)`, and `f64::MIN_POSITIVE` covers
/// underflow (as in [`change_may_exceed`]). Where f's outputs are not near 0 the bound is
/// the old one within a relative `t |f'| / |f|` (about 1e-5); near 0 it is at most twice.
/// Because it is at least the old sum, [`change_may_exceed`] stays an upper bound of M.
fn rho_cover(y0_size: f64, d2: f64, n: f64, m: usize) -> f64 {
    let slack = 1.0 + 4.0 * (m as f64 + 8.0) * f64::EPSILON;
    (y0_size + 0.5 * d2 + n) * slack + f64::MIN_POSITIVE
}

/// The lanes of [`central_pass`]: the product's `sum_i n_i v_i` and |D2| in [`LANES`]
/// (output i in lane `i % LANES` within whole blocks, the tail from lane 0), the bound's
/// sums and the largest |n| of whole blocks in lanes 0 and 1 (the tail's from lane 0).
/// The rounding scale ρ is not summed: [`rho_cover`] bounds it.
struct Lanes {
    dot: [f64; LANES],
    n: [f64; LANES],
    d2: [f64; LANES],
    trunc: [f64; LANES],
    top: [f64; LANES],
}

impl Lanes {
    /// Adds an output with weight `av = |v_i|`, `|n_i|` and `|D2_i|` to lane `l`.
    #[inline(always)]
    fn add(&mut self, l: usize, av: f64, (an, ad2): (f64, f64)) {
        self.n[l] += av * an;
        self.d2[l] += av * ad2;
        self.trunc[l] += av * trunc_2t(an, ad2);
    }

    /// The totals of the column `c`, ρ's sum from [`rho_cover`] (`y0_size` of its
    /// outputs), the product from [`product`].
    fn totals(&self, c: &Column<'_>, y0_size: f64) -> Totals {
        let (n, d2) = (lanes_total(&self.n), lanes_total(&self.d2));
        let top = self.top.into_iter().fold(0.0, larger);
        Totals {
            dot: product::from_lanes(lanes_total(&self.dot), n, c.v, c.t, |i| {
                central_terms(c.ya[i], c.yb[i], c.y0[i]).0
            }),
            n,
            d2,
            rho: rho_cover(y0_size, d2, n, c.v.len()),
            trunc: lanes_total(&self.trunc),
            top,
            change: None,
        }
    }
}

/// The loop of [`central_pass`]. Not inlined: inlined into its callers, the compiler paired
/// the sums across blocks and lanes differently, spilled them and turned maxima into
/// branches (45% more instructions on a 1000 -> 1000 VJP than standing alone).
#[inline(never)]
fn lanes_pass(c: &Column<'_>) -> Lanes {
    let m = c.v.len();
    let (ya, yb, y0, v) = (&c.ya[..m], &c.yb[..m], &c.y0[..m], c.v);
    let full = m - m % LANES;
    let mut d2 = [[0.0; 2]; 2];
    let mut dot = [[-0.0; 2]; 2];
    let (mut an_sum, mut trunc_sum, mut top) = ([0.0; 2], [0.0; 2], [0.0; 2]);
    for start in (0..full).step_by(LANES) {
        let [ya, yb, y0, v] = block([ya, yb, y0, v], start);
        for h in 0..2 {
            let (ya, yb, y0, v) = (pair(ya, h), pair(yb, h), pair(y0, h), pair(v, h));
            let a = zip2(ya, y0, |y, y0| y - y0);
            let b = zip2(yb, y0, |y, y0| y - y0);
            let n = zip2(a, b, n_of);
            dot[h] = zip2(dot[h], zip2(n, v, |n, v| n * v), |s, x| s + x);
            let av = [v[0].abs(), v[1].abs()];
            let an = [n[0].abs(), n[1].abs()];
            let ad2 = zip2(a, b, |a, b| (a + b).abs());
            let weighted = |x: P| zip2(av, x, |av, x| av * x);
            d2[h] = zip2(d2[h], weighted(ad2), |s, x| s + x);
            top = zip2(top, an, larger);
            an_sum = zip2(an_sum, weighted(an), |s, x| s + x);
            let trunc = zip2(an, ad2, trunc_2t);
            trunc_sum = zip2(trunc_sum, weighted(trunc), |s, x| s + x);
        }
    }
    let mut lanes = Lanes {
        dot: [dot[0][0], dot[0][1], dot[1][0], dot[1][1]],
        d2: [d2[0][0], d2[0][1], d2[1][0], d2[1][1]],
        n: [an_sum[0], an_sum[1], 0.0, 0.0],
        trunc: [trunc_sum[0], trunc_sum[1], 0.0, 0.0],
        top: [top[0], top[1], 0.0, 0.0],
    };
    for i in full..m {
        let (n, d2, _) = central_terms(ya[i], yb[i], y0[i]);
        let l = i - full;
        lanes.dot[l] += n * v[i];
        let an = n.abs();
        lanes.top[l] = larger(lanes.top[l], an);
        lanes.add(l, v[i].abs(), (an, d2.abs()));
    }
    lanes
}

/// Four lanes added up as `(a0 + a1) + (a2 + a3)`.
#[inline(always)]
fn lanes_total(a: &[f64; LANES]) -> f64 {
    (a[0] + a[1]) + (a[2] + a[3])
}

/// M of the column `c` (`refine::Sums::m`): the sum over i of `|v_i| max(SIZE ρ_i t, |n_i|
/// / r)`, in the lanes of the deciding sums: bit for bit the sum the pass formed when it
/// formed all of them.
pub(super) fn change(c: &Column<'_>) -> f64 {
    let m = c.v.len();
    let (ya, yb, y0, v) = (&c.ya[..m], &c.yb[..m], &c.y0[..m], c.v);
    let full = m - m % LANES;
    let mut lanes = [0.0; LANES];
    for start in (0..full).step_by(LANES) {
        let [ya, yb, y0, v] = block([ya, yb, y0, v], start);
        for l in 0..LANES {
            lanes[l] += change_term(ya[l], yb[l], y0[l], v[l]);
        }
    }
    for i in full..m {
        lanes[i - full] += change_term(ya[i], yb[i], y0[i], v[i]);
    }
    lanes_total(&lanes)
}

/// Whether M of a column of m outputs whose pass gave the totals `sums` may exceed `max`
/// (false: it cannot, so [`change`] need not run to raise a maximum `max`).
///
/// Why it is safe: each term `|v_i| max(SIZE ρ_i t, |n_i| / r)` is at most `SIZE |v_i| ρ_i
/// t + |v_i| |n_i| / r` (all non-negative), so in exact arithmetic M is at most `SIZE R +
/// N / r` with R and N the pass's sums of `|v_i| ρ_i t` and `|v_i| |n_i|`. Each computed
/// sum of m non-negative terms, in any order, each term a rounded product of at most three
/// factors, lies within a factor `(1 + u)^(m + 4)` of the exact one (u = eps / 2), either
/// way, while no value underflows; so the computed M is at most `SIZE R + N / r`, computed,
/// times `(1 + u)^(2m + 10)`, which `1 + 4 (m + 8) eps` exceeds (for any m below 2^40).
/// Underflow adds at most half the smallest subnormal per operation, under 4m of them in
/// all, which `f64::MIN_POSITIVE` (2^52 of them) covers. A NaN or infinite sum makes the
/// test true (M is then formed, as before). `fused/pass/tests.rs` pins it on random
/// columns, flat ones (where M is `SIZE R` alone) and ones near underflow.
pub(super) fn change_may_exceed(sums: &Totals, m: usize, max: f64) -> bool {
    let slack = 1.0 + 4.0 * (m as f64 + 8.0) * f64::EPSILON;
    let above = (SIZE * sums.rho + sums.n * INV_R) * slack + f64::MIN_POSITIVE;
    // A NaN bound says "may exceed".
    above > max || above.is_nan()
}

#[cfg(test)]
mod tests;
