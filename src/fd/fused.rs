//! A VJP's column in one pass: `v^T (f(x + o_k t e_j) - f(x))` summed straight from the
//! stencil's outputs, never forming the column `J[:, j]`.
//!
//! Why: the general path ([`super::derivative::apply`]) builds each column output by output
//! (difference, rounding scale, second difference, division), tests it and then dots it
//! with v: several passes over m where a hand-written loop makes one. For large m that
//! doubled the cost of a cheap f (issue 15). Here each stencil point is only checked
//! finite as it arrives; one pass over the outputs then accumulates the product with v
//! and the v-weighted sums the step refinement looks at (`refine::Sums`), in four
//! independent lanes so that the pass vectorises (`fused/pass.rs`).
//!
//! Only the common case comes here: an axis direction whose scheme stencil fits at the
//! nominal step and that the refinement does not suspect before evaluating (such a
//! column is never refined after it either: `refine::after_sums`). A point that meets a
//! NaN or infinity hands the column to the general path with the values already computed
//! (no evaluation is repeated).
//!
//! Results: those of the general path, bit for bit in everything that decides (the same
//! operations on each output; the refinement's sums in lanes). The product with v is
//! summed in lanes and divided by t once (`fused/product.rs`): for 4 outputs or more it
//! agrees with the general path's column dotted in order to the sum's rounding, not in
//! every last bit. The reported bound is not bit for bit the general path's either (see
//! `fused/pass.rs`).

use super::alloc::resize;
use super::derivative::{after_nonfinite, complete_plan, move_to, Direction};
use super::directional::directional;
use super::error::{all_finite, FdError};
use super::function::Function;
use super::options::Options;
use super::probe::Probe;
use super::quantum;
use super::refine::{self, Need, Sums};
use super::scheme::Scheme;
use super::subnormal;
pub(crate) use pass::y0_size;
use pass::{central_pass, change, change_may_exceed, small_pass, Column, LANES, R, WEIGHTS};
use std::sync::OnceLock;

mod pass;
mod product;

/// More terms than any stencil has.
const MAX_TERMS: usize = 8;

/// What the fused columns of one computation share, worked out once per computation (by
/// the column loop) rather than again for every column: the offsets and weights of the
/// scheme's stencil's points other than x, its reach, and whether the pass serves it. On a
/// small call (n = 4, m = 1) this
/// bookkeeping per column was a large part of the fixed cost (issue 15); the values are
/// the ones each column computed before, so every result is bit for bit the same.
#[derive(Clone, Copy)]
pub(crate) struct Plan {
    /// The offsets and weights of the terms other than x itself, in order, the first
    /// `points`.
    offsets: [f64; MAX_TERMS],
    weights: [f64; MAX_TERMS],
    points: usize,
    /// The lowest and highest offset (0 included), as `Placed::reach`.
    reach: (f64, f64),
    /// Whether the stencil and step rule are those of `pass.rs` (the central stencil at
    /// the default relative step, the only ones whose refinement takes sums,
    /// `refine::need`).
    central: bool,
}

impl Plan {
    /// The plan of a computation with `opts`.
    pub(crate) fn new(opts: &Options) -> Self {
        Self::of(opts.scheme(), opts.relative_step())
    }

    /// The plan of the central scheme at the default relative step, made once: what
    /// [`Plan::new`] gives for the options the small calls' flat path takes (`small.rs`),
    /// where building it per call was about 90 instructions of a VJP at n = 4 (issue 15).
    pub(crate) fn default_central() -> &'static Self {
        static CENTRAL: OnceLock<Plan> = OnceLock::new();
        CENTRAL.get_or_init(|| Self::of(Scheme::Central, None))
    }

    /// The plan of `scheme` with the caller's relative step, if any.
    fn of(scheme: Scheme, relative_step: Option<f64>) -> Self {
        let stencil = scheme.candidates()[0];
        // As `refine::relative_step`.
        let r = relative_step.unwrap_or_else(|| scheme.default_relative_step());
        let mut plan = Self {
            offsets: [0.0; MAX_TERMS],
            weights: [0.0; MAX_TERMS],
            points: 0,
            reach: stencil.reach(),
            central: false,
        };
        for (o, w) in stencil.terms().take(MAX_TERMS) {
            if o != 0.0 {
                plan.offsets[plan.points] = o;
                plan.weights[plan.points] = w;
                plan.points += 1;
            }
        }
        let mut terms = stencil.terms();
        plan.central = r == R
            && terms.next() == Some((-1.0, WEIGHTS.0))
            && terms.next() == Some((1.0, WEIGHTS.1))
            && terms.next().is_none();
        plan
    }

    /// Whether [`column_sums`] serves this plan's stencil and step rule.
    pub(crate) fn central(&self) -> bool {
        self.central
    }

    /// The offsets of the stencil's points other than x itself, in the order they are
    /// evaluated.
    pub(crate) fn offsets(&self) -> &[f64] {
        &self.offsets[..self.points]
    }

    /// [`super::derivative::fits`] along the axis `j` for this plan's stencil, from its
    /// reach.
    #[inline]
    pub(crate) fn fits(&self, opts: &Options, x: &[f64], j: usize, t: f64) -> bool {
        let (lo, hi) = (self.reach.0 * t, self.reach.1 * t);
        let xj = x[j];
        (xj + lo).is_finite()
            && (xj + hi).is_finite()
            && opts.bounds().is_none_or(|b| b.admits(j, xj, (lo, hi)))
    }
}

/// `sum_i v_i J[i][j]` along the axis `j` at the nominal step `t0` (the gradient entry of a
/// VJP); `plan` is the computation's ([`Plan::new`] of its options); `d` is scratch for
/// the general path (sized to m only when that path runs).
pub(crate) fn axis_product<F: Function + ?Sized>(
    p: &mut Probe<'_, '_, F>,
    plan: &Plan,
    j: usize,
    t0: f64,
    v: &[f64],
    d: &mut Vec<f64>,
) -> Result<f64, FdError> {
    let dir = Direction::Axis(j);
    let (opts, x, m) = (p.opts, p.x, v.len());
    let t = dir.step(x, t0);
    let need = refine::need(p, dir, t);
    // Sums are taken of the central stencil only (`refine::need` asks for them of no
    // other): any other stencil that were asked for them would take the general path.
    let general = need == Need::Columns || (need == Need::Sums && !plan.central);
    if opts.adaptive() || !(t > 0.0 && plan.fits(opts, x, j, t)) || general {
        resize(d, m);
        directional(p, (dir, t0), d)?;
        return Ok(plain_dot(d, v));
    }
    let planned = std::mem::take(&mut p.planned);
    // The stencil's points other than x itself, each checked finite as it arrives (the
    // last one by the pass below: a NaN or infinity there makes the product non-finite).
    let points = plan.points;
    p.ws.points.resize(points * m, 0.0);
    let mut last = (0.0, 0.0);
    for (k, &o) in plan.offsets[..points].iter().enumerate() {
        let Probe { ev, ws, .. } = &mut *p;
        move_to(&mut ws.xp, x, dir, o * t);
        let y = &mut ws.points[k * m..(k + 1) * m];
        let result = ev.eval(&ws.xp, y, || dir.point(o, t));
        move_to(&mut ws.xp, x, dir, 0.0);
        result?;
        last = (o, t);
        if k + 1 < points && !all_finite(y) {
            if planned {
                complete_plan(p, dir, t, k + 1)?;
            }
            return nonfinite(p, dir, t0, k, (o, t), v, d);
        }
    }
    let finite_last = |p: &Probe<'_, '_, F>| all_finite(&p.ws.points[(points - 1) * m..points * m]);
    if need == Need::Nothing {
        let dot = dot_only(&plan.weights[..points], &p.ws.points, &p.y0, v, m, t);
        if !dot.is_finite() && !finite_last(p) {
            return nonfinite(p, dir, t0, points - 1, last, v, d);
        }
        return Ok(dot);
    }
    let (dot, sums) = with_sums(p, v, t);
    if !dot.is_finite() && !finite_last(p) {
        return nonfinite(p, dir, t0, points - 1, last, v, d);
    }
    // Never refined: see `refine::after_sums`.
    refine::after_sums(p, dir, t, &sums);
    Ok(dot)
}

/// Point `k` (at `x + o t e_j`) met a NaN or infinity: the general path's fall-backs.
#[allow(clippy::too_many_arguments)]
fn nonfinite<F: Function + ?Sized>(
    p: &mut Probe<'_, '_, F>,
    dir: Direction<'_>,
    t0: f64,
    k: usize,
    (o, t): (f64, f64),
    v: &[f64],
    d: &mut Vec<f64>,
) -> Result<f64, FdError> {
    let m = v.len();
    resize(d, m);
    let y = &p.ws.points[k * m..(k + 1) * m];
    let i = y.iter().position(|v| !v.is_finite()).unwrap_or(0);
    let bad = (i, y[i], dir.point(o, t));
    after_nonfinite(p, dir, t0, bad, d)?;
    Ok(plain_dot(d, v))
}

/// `sum_i d_i v_i`: a column of the general path dotted with v, as the column visitor does.
fn plain_dot(d: &[f64], v: &[f64]) -> f64 {
    d.iter().zip(v).map(|(d, v)| d * v).sum::<f64>()
}

/// `sum_i (n_i / t) v_i`, `n_i = sum_k w_k (y_k,i - f_i(x))` over the points (not x
/// itself, whose `weights` these are), as [`product::dot`] forms it: the plain rule's
/// product, bit for bit that of the pass where both take the central stencil (`n_i` formed
/// by the same operations).
fn dot_only(weights: &[f64], points: &[f64], y0: &[f64], v: &[f64], m: usize, t: f64) -> f64 {
    match *weights {
        [w] => {
            let y = &points[..m];
            product::dot(v, t, |i| {
                let mut n = 0.0;
                n += w * (y[i] - y0[i]);
                n
            })
        }
        [wa, wb] => {
            let (ya, yb) = (&points[..m], &points[m..2 * m]);
            product::dot(v, t, |i| {
                let mut n = 0.0;
                n += wa * (ya[i] - y0[i]);
                n += wb * (yb[i] - y0[i]);
                n
            })
        }
        _ => product::dot(v, t, |i| {
            let mut n = 0.0;
            for (k, w) in weights.iter().enumerate() {
                n += w * (points[k * m + i] - y0[i]);
            }
            n
        }),
    }
}

/// The product with v and the refinement's v-weighted sums, in one pass over the central
/// stencil's outputs ([`column_sums`]).
fn with_sums<F: Function + ?Sized>(p: &mut Probe<'_, '_, F>, v: &[f64], t: f64) -> (f64, Sums) {
    let stored = &p.ws.points[..2 * v.len()];
    // A noise step uses none of the deciding sums (`refine::after_sums`): M is not formed.
    let max_change = if p.step_scale <= 1.0 {
        p.max_change
    } else {
        f64::INFINITY
    };
    // Keyed on v's address and length: a Probe serves one computation, whose v is fixed
    // (`vjp_with`); the debug check guards that against a future caller (review 29).
    let key = (v.as_ptr() as usize, v.len());
    let shared = match p.shared {
        Some((at, shared)) if at == key => shared,
        _ => {
            let shared = Shared::new(&p.y0, v);
            p.shared = Some((key, shared));
            shared
        }
    };
    debug_assert!(shared.same(&Shared::new(&p.y0, v)), "a Probe's v changed");
    column_sums(
        (stored, &p.y0[..]),
        v,
        t,
        &p.report.noise,
        (max_change, &shared),
    )
}

/// What every column of a computation's [`column_sums`] shares, from f(x) and v (neither
/// changes between its columns): worked out once, not per column (issue 15).
#[derive(Clone, Copy, Debug)]
pub(crate) struct Shared {
    /// Whether any output of f(x) may lie on a coarse grid ([`quantum::may_be_coarse`]) or
    /// has a weight in v that is not finite: where none does, every term of the grid sum,
    /// `|v_i|` times 0, is +0.0, at every step, and the sum is not formed.
    grid_possible: bool,
    /// `sum_i |v_i| |f_i(x)|` (`pass::y0_size`), for the rounding scale's bound.
    y0_size: f64,
    /// `sum_i |v_i| subnormal::FLOOR` over the outputs with `0 < |f_i(x)| < FLOOR`: their
    /// values' rounding is the subnormal spacing, not `eps |f_i|` (`subnormal.rs`); 0.0,
    /// and the rounding bit for bit, where none is.
    subnormal: f64,
    /// The same over the outputs with `f_i(x) = 0`, counted only in a column that moves:
    /// its values beside x may be subnormal (1e-315 sin x at 0 with v = 1e3 had a bound
    /// 250× short, review 30), and a column that stays 0 keeps the general path's
    /// rounding of 0 and its decisions (`subnormal.rs`).
    zeros: f64,
}

impl Shared {
    /// Bit for bit the same (a NaN weight gives a NaN size).
    fn same(&self, other: &Self) -> bool {
        self.grid_possible == other.grid_possible
            && self.y0_size.to_bits() == other.y0_size.to_bits()
            && self.subnormal.to_bits() == other.subnormal.to_bits()
            && self.zeros.to_bits() == other.zeros.to_bits()
    }

    /// From f(x) = `y0` and the cotangent `v`. Inlined: for the flat path's one output
    /// its passes fold to a few operations (issue 15).
    #[inline(always)]
    pub(crate) fn new(y0: &[f64], v: &[f64]) -> Self {
        Self {
            grid_possible: y0
                .iter()
                .zip(v)
                .any(|(&y, &v)| quantum::may_be_coarse(y) || !v.is_finite()),
            // Only the pass for m >= LANES reads it.
            y0_size: if v.len() >= LANES {
                y0_size(y0, v)
            } else {
                0.0
            },
            subnormal: y0
                .iter()
                .zip(v)
                .filter(|(&y, _)| subnormal::size(y) != y.abs())
                .map(|(_, v)| v.abs() * subnormal::FLOOR)
                .sum(),
            zeros: y0
                .iter()
                .zip(v)
                .filter(|(&y, _)| y == 0.0)
                .map(|(_, v)| v.abs() * subnormal::FLOOR)
                .sum(),
        }
    }
}

/// [`with_sums`] from the central stencil's outputs `stored` (at `x - t e_j`, then at `x +
/// t e_j`, m each) and `y0 = f(x)`, for a plan that serves the pass (`Plan::central`: the
/// callers ask only for directions whose `refine::need` is `Sums`); `noise` the outputs'
/// noise levels (empty: none). `Sums::m` is formed only where it may raise `max_change`,
/// the largest M of the call so far (`Probe::max_change`, the one use `refine::after_sums`
/// makes of it), and is 0 elsewhere, which leaves that maximum as it was ([`change_may_exceed`]).
/// Shared with the small calls' flat path (`small.rs`), so that both compute every sum
/// alike. Always inlined: as a call it cost about 60 instructions per column of a small
/// VJP beyond its sums (issue 15). `shared`: [`Shared::new`] of y0 and v.
#[inline(always)]
pub(crate) fn column_sums(
    (stored, y0): (&[f64], &[f64]),
    v: &[f64],
    t: f64,
    noise: &[f64],
    (max_change, shared): (f64, &Shared),
) -> (f64, Sums) {
    let m = v.len();
    let column = Column {
        ya: &stored[..m],
        yb: &stored[m..2 * m],
        y0,
        v,
        t,
    };
    let total = if m < LANES {
        small_pass(&column)
    } else {
        central_pass(&column, shared.y0_size)
    };
    let m_sum = match total.change {
        Some(formed) => formed,
        // And where a check may follow (`refine/lone.rs` decides from M).
        None if change_may_exceed(&total, m, max_change)
            || refine::lone::above_size(total.d2, shared.y0_size, R) =>
        {
            change(&column)
        }
        None => 0.0,
    };
    let noise = if noise.is_empty() {
        0.0
    } else {
        v.iter().zip(noise).map(|(v, e)| v.abs() * e).sum::<f64>()
    };
    // Every term is +0.0 where no output may be on a coarse grid (v is finite): their
    // sum too, without the pass (about half a 1000 -> 1000 VJP's own work, issue 15).
    let grid = if !shared.grid_possible {
        0.0
    } else {
        (0..m)
            .map(|i| {
                let (da, db) = (column.ya[i] - y0[i], column.yb[i] - y0[i]);
                v[i].abs() * refine::grid_error(y0[i], [da, db], t)
            })
            .sum::<f64>()
    };
    let moved_zeros = if total.n != 0.0 || total.d2 != 0.0 {
        shared.zeros
    } else {
        0.0
    };
    let sums = Sums {
        d2: total.d2,
        m: m_sum,
        size: total.rho,
        round: f64::EPSILON * (total.rho + shared.subnormal + moved_zeros) / t,
        d1: total.n / t,
        noise,
        // `refine::truncation` summed: each lane term carries it times 2t.
        trunc: total.trunc / (2.0 * t),
        // max_i (|n_i| / t) t / r: each operation is monotone in |n_i|, so this is that
        // of the largest |n_i|, bit for bit.
        f_scale: total.top / t * t / R,
        grid,
    };
    (total.dot, sums)
}

#[cfg(test)]
mod plan_tests {
    use super::*;

    /// The flat path's shared plan is bit for bit `Plan::new` of the options it takes (the
    /// default central scheme, no relative step given).
    #[test]
    fn default_central_is_the_plan_of_default_options() {
        let opts = Options::default();
        assert_eq!(opts.scheme(), Scheme::Central);
        let (a, b) = (Plan::new(&opts), Plan::default_central());
        let bits = |p: &Plan| {
            let mut v: Vec<u64> = p
                .offsets
                .iter()
                .chain(&p.weights)
                .map(|w| w.to_bits())
                .collect();
            v.extend([p.reach.0.to_bits(), p.reach.1.to_bits(), p.points as u64]);
            v.push(u64::from(p.central));
            v
        };
        assert_eq!(bits(&a), bits(b));
        assert!(b.central() && b.offsets().len() == 2);
    }
}
