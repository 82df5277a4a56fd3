//! The check of a learned sparsity pattern: a JVP along a pseudo-random direction `Δ`
//! (2 evaluations; 4, fourth order, for the fourth-order scheme) against `J_p Δ`, the
//! product of the Jacobian computed with the pattern (by grouped columns) with the same
//! direction.
//!
//! Its accuracy must be below the scheme's own error (probe11 finding 3: checked at the
//! forward step with the tolerance below, a coupling 1,800 times the forward error passed,
//! and under a central check 6.8e6 times the fourth-order error): forward and backward
//! schemes are checked at the central step, where the check's rounding is far below
//! their error, with their columns' own truncation in the tolerance; the fourth-order
//! scheme by a fourth-order check at its step. Where the call's bound is NaN and cannot
//! carry what a passing check leaves unexplained, a doubt ([`Verdict::doubtful`]) makes
//! the call dense (`learned.rs`). Where f is not finite at a check point, the check is
//! taken again closer to x ([`Check::verify`]); elements far below their typical
//! magnitude move on their own scale from the start, as the columns take them.
//!
//! Why it finds a wrong pattern: a coupling `J[i][k]` outside the pattern is dropped from
//! row i of `J_p`, or lent to the column of k's group that owns row i; either way row i of
//! `J_p Δ` misses `J[i][k] Δ_k`, or gains a multiple of `Δ_j - Δ_k h_k / h_j`. The
//! magnitudes `|Δ_j|` are drawn from a continuous distribution, so neither vanishes but
//! by accident, and every row and column is checked at once.
//!
//! Direction: `Δ_j = ± s_j h_j / max_k s_k` with `s_j` in [1, 2) and `h_j` the scheme's
//! step for column j, made exact (`(x_j + Δ_j) - x_j`): every element moves by between
//! half and all of its own step, so both sides see f on the same scale. Within each
//! column group the signs alternate (in column order, the first drawn at random) and the
//! columns of one sign take `s = 1 + (q + ξ/2) / c`, `q` a random rank among the `c`
//! columns of that sign and `ξ` uniform in [0, 1): no two columns of a group move alike
//! (`|Δ_k / h_k - Δ_j / h_j| >= 1/(4c)`, and at least 1 across signs). Why: a coupling
//! lent to another column of its group shows only times that difference; with every
//! `s_j` drawn independently it was small by chance (2 columns: 0.02 of the step in
//! probe7's case, the check passing at 0.035 with an error 50 times the bound).
//! Central (`f(x ± Δ)`) when both points fit in the bounds; otherwise, near a bound, the
//! second-order one-sided stencil `(-3 f(x) + 4 f(x + Δ) - f(x + 2Δ)) / 2` with each
//! element's sign pointing into the box and `|Δ_j|` shrunk to fit.
//!
//! Tolerance, per output i, in units of f (both sides are changes of f over the step):
//! `T_i = 8 (R_i + C_i)`, with `k_i` the pattern's entries in row i,
//!
//! - rounding and noise: `R_i = max(64 eps F_i, ε_i) (w + 2 k_i)`, `F_i` the largest
//!   `|f_i|` seen, `ε_i` the noise level the grouped pass used (declared or estimated),
//!   `w = 1` central, 4 one-sided (the stencils' weights);
//! - truncation: `C_i = c_i (w' + 4 k_i)` with the third-order term per step
//!   `c_i = max(eps M_i, b_i^1.5 / sqrt(M_i))`: `b_i` is half the second difference of
//!   the check's stencil, `M_i = max(a_i / r, 0.01 F_i)` the change of f over the scale the
//!   step rule assumes (`a_i` the larger of the two sides, `r = eps^(1/3)`); a function
//!   varying on that scale has `c ≈ eps M`, one varying faster shows it in `b` (its scale
//!   is `sqrt(M / b)` steps, `c ≈ M / scale^3`). `w' = 1` central, 2 one-sided; the
//!   grouped steps are up to twice the check's (4 = 2^2);
//! - first-order schemes (forward, backward) add their own truncation,
//!   `2 k_i max(b_i, 4 sqrt(eps) a_i)`.
//!
//! Measured (`tests/fd_learned.rs`, 300 random tridiagonal functions varying up to 10
//! times faster than the scale of x): right patterns pass with ratios below 0.5 (below
//! 0.05 on the tridiagonal loop). A coupling dropped from the pattern is caught
//! once `|J[i][k] Δ_k|` exceeds `T_i`, about `1e-12 |f_i|` for a well-scaled central
//! check; one lent to another column is seen times `|Δ_j / h_j - Δ_k / h_k|`, at least
//! `1/(4c)` of the step by the construction above (1 or more between neighbours of a group
//! of 2), so a single coupling near the threshold is caught with a probability (a single
//! coupling of 1e-5 of the row's derivatives is missed in about 1 call in 6, one of 1e-3
//! never was). Below the tolerance, the check's unexplained disagreement divided by the
//! smallest such sensitivity ([`Check::sensitivity`]) widens the call's bound.

use super::column::Column;
use super::detect::SplitMix;
use super::error::FdError;
use super::evaluator::Evaluator;
use super::function::Function;
use super::options::Options;
use super::scheme::Scheme;
use super::sparsity::Sparsity;
use super::step::{exact_step, nominal_step};

const SAFETY: f64 = 8.0;
const ROUNDING: f64 = 64.0;
const SIZE: f64 = 0.01;
/// A disagreement beyond this many times the error expected of both sides (rounding at
/// 1 eps |f_i|, no safety factor) is a doubt: where the call's bound is NaN and cannot
/// carry it, the call is computed densely (a doubt on a right pattern costs one dense
/// call; a coupling let through would be a quiet wrong number).
const DOUBT: f64 = 8.0;
/// Where f is not finite at a check point, the check is taken again with the elements of
/// the rows that met it moved less (first on their own scale `|x_j|`, then 16 times less
/// each time), at most this often.
const EDGE_RETRIES: usize = 4;
/// Elements with `0 < |x_j| < OWN_SCALE typ_j` are checked on their own scale `|x_j|`.
const OWN_SCALE: f64 = 0.01;

/// The check's stencil.
#[derive(Clone, Copy, PartialEq)]
enum Kind {
    /// `f(x ± Δ)`: second order.
    Central,
    /// `f(x ± Δ), f(x ± 2Δ)`: fourth order, for the fourth-order scheme.
    Fourth,
    /// `f(x + Δ), f(x + 2Δ)` near a bound: second order, one side.
    OneSided,
}

impl Kind {
    /// The offsets of the points evaluated (f(x) is known).
    fn offsets(self) -> &'static [f64] {
        match self {
            Kind::Central => &[1.0, -1.0],
            Kind::Fourth => &[1.0, -1.0, 2.0, -2.0],
            Kind::OneSided => &[1.0, 2.0],
        }
    }
}

/// A check direction and its stencil.
pub(crate) struct Check<'g> {
    /// The exact perturbation of each element.
    delta: Vec<f64>,
    kind: Kind,
    /// The steps the direction was built from (the check's step rule).
    steps: Vec<f64>,
    /// The largest ratio of the scheme's step to the check's: a one-sided scheme is
    /// checked at the central step, where the check's rounding is far below its error.
    ratio: f64,
    groups: &'g [Vec<usize>],
    /// See [`Check::sensitivity`].
    sensitivity: f64,
}

/// The entries of the grouped Jacobian, kept to form `J_p Δ` (Δ may shrink at an edge).
pub(crate) struct Product {
    entries: Vec<(usize, usize, f64)>,
    count: Vec<u32>,
}

impl Product {
    /// Adds column j's entries (the column loop must be asked for them).
    pub fn add(&mut self, j: usize, column: &Column<'_>) -> Result<(), FdError> {
        column.for_each(j, |i, d| {
            self.entries.push((i, j, d));
            self.count[i] = self.count[i].saturating_add(1);
        })
    }

    fn times(&self, delta: &[f64]) -> Vec<f64> {
        let mut sum = vec![0.0; self.count.len()];
        for &(i, j, d) in &self.entries {
            sum[i] += d * delta[j];
        }
        sum
    }
}

impl<'g> Check<'g> {
    /// The direction for `x` (see the module documentation), from `seed`; `groups`: the
    /// pattern's column groups.
    pub fn new(opts: &Options, x: &[f64], seed: u64, groups: &'g [Vec<usize>]) -> Self {
        let n = x.len();
        let mut rng = SplitMix(seed);
        let (spread, sign) = spread(n, groups, &mut rng);
        let largest = spread.iter().fold(1.0, |a: f64, &b| a.max(b));
        let one_sided = matches!(opts.scheme(), Scheme::Forward | Scheme::Backward);
        let at_central;
        let check_opts = if one_sided {
            let mut o = opts.clone();
            o.set_scheme(Scheme::Central);
            at_central = o;
            &at_central
        } else {
            opts
        };
        // An element far below its typical magnitude moves on its own scale, as the
        // columns' refinement takes it (f may vary on that scale: log near 0).
        let steps: Vec<f64> = (0..n)
            .map(|j| {
                let h = nominal_step(check_opts, x, j);
                let typ = opts.typical().map_or(1.0, |t| t[j]);
                let ax = x[j].abs();
                if opts.steps().is_none() && ax > 0.0 && ax < OWN_SCALE * typ {
                    h * ax / ax.max(typ)
                } else {
                    h
                }
            })
            .collect();
        let ratio = if one_sided {
            (0..n)
                .map(|j| (nominal_step(opts, x, j) / nominal_step(check_opts, x, j)).abs())
                .fold(0.0, f64::max)
        } else {
            1.0
        };
        let mut raw: Vec<f64> = (0..n)
            .map(|j| sign[j] * spread[j] / largest * steps[j])
            .collect();
        let fits = |j: usize, lo: f64, hi: f64| {
            (x[j] + lo).is_finite()
                && (x[j] + hi).is_finite()
                && opts
                    .bounds()
                    .is_none_or(|b| b.admits(j, x[j], (lo.min(hi), lo.max(hi))))
        };
        let reach = if opts.scheme() == Scheme::Central4 {
            2.0
        } else {
            1.0
        };
        let both = (0..n).all(|j| fits(j, -reach * raw[j], reach * raw[j]));
        let kind = match (both, reach > 1.0) {
            (true, true) => Kind::Fourth,
            (true, false) => Kind::Central,
            (false, _) => Kind::OneSided,
        };
        if kind == Kind::OneSided {
            for (j, d) in raw.iter_mut().enumerate() {
                if !fits(j, 0.0, 2.0 * *d) {
                    *d = -*d;
                }
                let mut tries = 0;
                while !fits(j, 0.0, 2.0 * *d) && tries < 60 {
                    *d /= 2.0;
                    tries += 1;
                }
            }
        }
        let delta: Vec<f64> = (0..n).map(|j| exact_step(x[j], raw[j])).collect();
        let sensitivity = sensitivity(&delta, &steps, groups);
        Self {
            delta,
            kind,
            steps,
            ratio,
            groups,
            sensitivity,
        }
    }

    /// An empty product for `m` outputs.
    pub fn product(&self, m: usize) -> Product {
        Product {
            entries: Vec::new(),
            count: vec![0; m],
        }
    }

    /// How much a coupling outside the pattern moves the check at least, per unit of its
    /// size: a coupling `J[i][k]` dropped from row i moved that row's side of the check by
    /// `|J[i][k] Δ_k|`; one lent to column j of k's group (credited to `J[i][j]` times
    /// `h_k / h_j`) by `|J[i][k]| |Δ_k - Δ_j h_k / h_j| = |J[i][k]| h_k |r_k - r_j|`
    /// (`r = Δ / h`), and it left an error of `|J[i][k]|` in entry (i, k) and of
    /// `|J[i][k]| h_k / h_j` in entry (i, j). So the smallest of `|Δ_j|` and, over each
    /// group, its smallest `|r_k - r_j|` times its smallest step: an error of at most the
    /// row's disagreement divided by this, per entry.
    pub fn sensitivity(&self) -> f64 {
        self.sensitivity
    }

    /// Evaluates the check's points (2, or 4 for the fourth-order scheme) and returns the
    /// largest ratio of disagreement to tolerance over the outputs (above 1: the pattern
    /// misses a coupling), and per output the part of the disagreement beyond the
    /// finite-difference error expected of both sides (see [`Verdict`]). `noise`: the
    /// grouped pass's per-output noise levels (empty: none).
    ///
    /// Where f is not finite at a check point (a domain edge within the check's reach,
    /// which the grouped columns avoided by their own fall-backs), the elements of the
    /// rows that met it are moved less and the check is taken again (at most
    /// [`EDGE_RETRIES`] times, each costing the same points again: the same count on
    /// every call at the same x, with any batch size); when f stays non-finite, the ratio
    /// is NaN: the check could not be taken.
    #[allow(clippy::too_many_arguments)]
    pub fn verify<F: Function + ?Sized>(
        &mut self,
        ev: &mut Evaluator<'_, F>,
        opts: &Options,
        x: &[f64],
        y0: &[f64],
        product: &Product,
        pattern: &Sparsity,
        noise: &[f64],
    ) -> Result<Verdict, FdError> {
        let m = y0.len();
        let offsets = self.kind.offsets();
        let mut ys = vec![vec![0.0; m]; offsets.len()];
        let mut xp = x.to_vec();
        let mut tries = 0;
        loop {
            for (&o, y) in offsets.iter().zip(ys.iter_mut()) {
                for (p, (&xj, &dj)) in xp.iter_mut().zip(x.iter().zip(&self.delta)) {
                    *p = xj + o * dj;
                }
                ev.eval(&xp, y, || {
                    format!("x {}Δ (check of the learned sparsity pattern)", signed(o))
                })?;
            }
            let bad: Vec<usize> = (0..m)
                .filter(|&i| ys.iter().any(|y| !y[i].is_finite()))
                .collect();
            if bad.is_empty() {
                break;
            }
            if tries == EDGE_RETRIES {
                return Ok(Verdict {
                    ratio: f64::NAN,
                    unexplained: vec![0.0; m],
                    doubtful: true,
                });
            }
            self.shrink(opts, x, m, &bad, pattern, tries);
            tries += 1;
        }
        let sum = product.times(&self.delta);
        let r = match self.kind {
            Kind::Fourth => Scheme::Central4.default_relative_step(),
            _ => Scheme::Central.default_relative_step(),
        };
        let one_sided_scheme = matches!(opts.scheme(), Scheme::Forward | Scheme::Backward);
        // The stencil's rounding weight, the grouped columns' per entry, and the
        // stencil's own truncation weight.
        let (w, wk, w3) = match self.kind {
            Kind::Central => (1.0, 2.0, 1.0),
            Kind::OneSided => (4.0, 2.0, 2.0),
            Kind::Fourth => (1.5, 3.0, 1.0),
        };
        let eps = f64::EPSILON;
        let mut worst = 0.0f64;
        let mut unexplained = vec![0.0; m];
        let mut doubtful = false;
        for i in 0..m {
            let f0 = y0[i];
            let f = |k: usize| ys[k][i] - f0;
            let (jvp, b, odd3) = match self.kind {
                Kind::Central => ((f(0) - f(1)) / 2.0, (f(0) + f(1)).abs() / 2.0, 0.0),
                Kind::OneSided => (
                    (4.0 * f(0) - f(1)) / 2.0,
                    (f(1) - 2.0 * f(0)).abs() / 2.0,
                    0.0,
                ),
                Kind::Fourth => {
                    let (d1, d2) = ((f(0) - f(1)) / 2.0, (f(2) - f(3)) / 4.0);
                    (
                        (4.0 * d1 - d2) / 3.0,
                        (f(0) + f(1)).abs() / 2.0,
                        2.0 * (d2 - d1),
                    )
                }
            };
            let grouped = sum[i];
            let k = f64::from(product.count[i]);
            let big_f = ys.iter().fold(f0.abs(), |a, y| a.max(y[i].abs()));
            let a = jvp.abs().max(grouped.abs());
            let level = noise.get(i).copied().unwrap_or(0.0);
            let rounding = (eps * big_f).max(level) * (w + wk * k);
            let big_m = (a / r).max(SIZE * big_f);
            let mut truncation = if big_m <= 0.0 {
                0.0
            } else if self.kind == Kind::Fourth {
                // The fifth-order term per step, on the scale the third-order one shows
                // (a change M over L steps has a third-order term M / L^3 and a fifth-order
                // one M / L^5); the grouped steps are up to twice the check's (16 = 2^4).
                // No floor at the step rule's scale (`eps M`, the nominal fourth-order
                // error, thousands of times a smooth function's): the fourth-order
                // scheme's error is what the check must resolve, and a function whose
                // fifth-order term hides from the third-order one costs a dense call.
                let t = odd3.abs();
                let c5 = (eps * a).max(t.powf(5.0 / 3.0) / big_m.powf(2.0 / 3.0));
                c5 * (w3 + 16.0 * k)
            } else {
                let c = (eps * big_m).max(b.powf(1.5) / big_m.sqrt());
                c * (w3 + 4.0 * k)
            };
            if one_sided_scheme {
                // The grouped columns' own truncation, half the second derivative times
                // h Δ per entry: the check's half second difference (Δ^2) scaled to the
                // scheme's step (up to twice `ratio` Δ).
                truncation += 2.0 * k * (2.0 * self.ratio * b).max(4.0 * eps.sqrt() * a);
            }
            let rounding_tol = (ROUNDING * eps * big_f).max(level) * (w + wk * k);
            let tol = SAFETY * (rounding_tol + truncation);
            let diff = (jvp - grouped).abs();
            unexplained[i] = (diff - (rounding + truncation)).max(0.0);
            doubtful |= diff > DOUBT * (rounding + truncation);
            let ratio = if diff == 0.0 {
                0.0
            } else if tol > 0.0 {
                diff / tol
            } else {
                f64::INFINITY
            };
            worst = worst.max(ratio);
        }
        Ok(Verdict {
            ratio: worst,
            unexplained,
            doubtful,
        })
    }

    /// Moves less the elements of the pattern's columns in the rows `bad` (f not finite
    /// there at a check point): at the first retry to their own scale `|x_j|` where that
    /// is below the step rule's `max(|x_j|, typ_j)` (as the columns' fall-back does),
    /// else and later 16 times less. Every column when the pattern has none in those rows.
    fn shrink(
        &mut self,
        opts: &Options,
        x: &[f64],
        m: usize,
        bad: &[usize],
        pattern: &Sparsity,
        tries: usize,
    ) {
        let n = x.len();
        let mut row_bad = vec![false; m];
        for &i in bad {
            row_bad[i] = true;
        }
        let mut hit = vec![false; n];
        for (i, j) in pattern.entries() {
            if row_bad[i] {
                hit[j] = true;
            }
        }
        if !hit.iter().any(|&h| h) {
            hit.iter_mut().for_each(|h| *h = true);
        }
        for j in (0..n).filter(|&j| hit[j]) {
            let scale = x[j].abs().max(opts.typical().map_or(1.0, |t| t[j]));
            let own = x[j].abs() / scale;
            let factor = if tries == 0 && own > 0.0 && own < 0.5 {
                own
            } else {
                1.0 / 16.0
            };
            self.delta[j] = exact_step(x[j], self.delta[j] * factor);
        }
        self.sensitivity = sensitivity(&self.delta, &self.steps, self.groups);
    }
}

/// Per column, `s_j` in [1, 2) and a sign (see the module documentation): alternating
/// within each group, the magnitudes of one sign a random permutation of `c` bins of width
/// `1/c`, each drawn in the lower half of its bin. Columns in no group (none when the
/// groups cover every column) draw both at random.
fn spread(n: usize, groups: &[Vec<usize>], rng: &mut SplitMix) -> (Vec<f64>, Vec<f64>) {
    let coin = |rng: &mut SplitMix| if rng.next() >> 63 == 0 { 1.0 } else { -1.0 };
    let mut spread: Vec<f64> = (0..n).map(|_| 1.0 + rng.uniform()).collect();
    let mut sign: Vec<f64> = (0..n).map(|_| coin(rng)).collect();
    for group in groups {
        let first = coin(rng);
        for parity in 0..2 {
            let members: Vec<usize> = group.iter().skip(parity).step_by(2).copied().collect();
            let c = members.len();
            // Fisher-Yates: a random rank per member.
            let mut rank: Vec<usize> = (0..c).collect();
            for i in (1..c).rev() {
                let k = (rng.next() % (i as u64 + 1)) as usize;
                rank.swap(i, k);
            }
            for (q, &j) in members.iter().enumerate() {
                spread[j] = 1.0 + (rank[q] as f64 + 0.5 * rng.uniform()) / c as f64;
                sign[j] = if parity == 0 { first } else { -first };
            }
        }
    }
    (spread, sign)
}

/// [`Check::sensitivity`] of the direction `delta` (steps `steps`, groups `groups`).
fn sensitivity(delta: &[f64], steps: &[f64], groups: &[Vec<usize>]) -> f64 {
    let mut s = delta.iter().fold(f64::INFINITY, |a, d| a.min(d.abs()));
    for group in groups.iter().filter(|g| g.len() > 1) {
        let mut r: Vec<f64> = group.iter().map(|&j| delta[j] / steps[j]).collect();
        r.sort_by(f64::total_cmp);
        let gap = r
            .windows(2)
            .map(|w| w[1] - w[0])
            .fold(f64::INFINITY, f64::min);
        let step = group
            .iter()
            .map(|&j| steps[j])
            .fold(f64::INFINITY, f64::min);
        s = s.min(gap * step);
    }
    s
}

/// What the check found.
pub(crate) struct Verdict {
    /// The largest ratio of disagreement to tolerance over the outputs.
    pub ratio: f64,
    /// Per output, the disagreement beyond the error expected of both sides without the
    /// tolerance's safety factors (rounding at 1 eps |f_i|, or the noise level, instead of
    /// 64 eps |f_i|; the truncation as in the tolerance, without its factor 8): what a
    /// coupling below the tolerance may have left. 0 where the two agree that well.
    pub unexplained: Vec<f64>,
    /// Some output disagrees by more than [`DOUBT`] times the error expected of both
    /// sides: a coupling the check passes may be there, which a NaN bound cannot carry.
    pub doubtful: bool,
}

fn signed(o: f64) -> String {
    if o == 1.0 {
        "+ ".to_string()
    } else if o == -1.0 {
        "- ".to_string()
    } else {
        format!("+ {o}")
    }
}
