//! The check of a learned sparsity pattern: a JVP along a pseudo-random direction `Δ`
//! (2 evaluations) against `J_p Δ`, the product of the Jacobian computed with the pattern
//! (by grouped columns) with the same direction.
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
use super::step::{exact_step, nominal_step};

const SAFETY: f64 = 8.0;
const ROUNDING: f64 = 64.0;
const SIZE: f64 = 0.01;

/// A check direction and its stencil.
pub(crate) struct Check {
    /// The exact perturbation of each element.
    delta: Vec<f64>,
    /// Central `f(x ± Δ)`, else one-sided `f(x + Δ)`, `f(x + 2Δ)`.
    central: bool,
    /// See [`Check::sensitivity`].
    sensitivity: f64,
}

/// `J_p Δ` accumulated column by column, and the pattern's entries per row.
pub(crate) struct Product<'c> {
    delta: &'c [f64],
    sum: Vec<f64>,
    entries: Vec<u32>,
}

impl Product<'_> {
    /// Adds column j's share (its entries: the column loop must be asked for them).
    pub fn add(&mut self, j: usize, column: &Column<'_>) -> Result<(), FdError> {
        let dj = self.delta[j];
        column.for_each(j, |i, d| {
            self.sum[i] += d * dj;
            self.entries[i] = self.entries[i].saturating_add(1);
        })
    }
}

impl Check {
    /// The direction for `x` (see the module documentation), from `seed`; `groups`: the
    /// pattern's column groups.
    pub fn new(opts: &Options, x: &[f64], seed: u64, groups: &[Vec<usize>]) -> Self {
        let n = x.len();
        let mut rng = SplitMix(seed);
        let (spread, sign) = spread(n, groups, &mut rng);
        let largest = spread.iter().fold(1.0, |a: f64, &b| a.max(b));
        let steps: Vec<f64> = (0..n).map(|j| nominal_step(opts, x, j)).collect();
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
        let central = (0..n).all(|j| fits(j, -raw[j], raw[j]));
        if !central {
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
            central,
            sensitivity,
        }
    }

    /// An empty product for `m` outputs.
    pub fn product(&self, m: usize) -> Product<'_> {
        Product {
            delta: &self.delta,
            sum: vec![0.0; m],
            entries: vec![0; m],
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

    /// Evaluates the check's 2 points and returns the largest ratio of disagreement to
    /// tolerance over the outputs (above 1: the pattern misses a coupling), and per output
    /// the part of the disagreement beyond the finite-difference error expected of both
    /// sides (see [`Verdict`]). `noise`: the grouped pass's per-output noise levels (empty:
    /// none).
    pub fn verify<F: Function + ?Sized>(
        &self,
        ev: &mut Evaluator<'_, F>,
        opts: &Options,
        x: &[f64],
        y0: &[f64],
        product: &Product<'_>,
        noise: &[f64],
    ) -> Result<Verdict, FdError> {
        let m = y0.len();
        let (o1, o2) = if self.central {
            (1.0, -1.0)
        } else {
            (1.0, 2.0)
        };
        let mut y1 = vec![0.0; m];
        let mut y2 = vec![0.0; m];
        let mut xp = x.to_vec();
        for (o, y) in [(o1, &mut y1), (o2, &mut y2)] {
            for (p, (&xj, &dj)) in xp.iter_mut().zip(x.iter().zip(&self.delta)) {
                *p = xj + o * dj;
            }
            ev.eval(&xp, y, || {
                format!("x {}Δ (check of the learned sparsity pattern)", signed(o))
            })?;
        }
        let r = Scheme::Central.default_relative_step();
        let one_sided_scheme = matches!(opts.scheme(), Scheme::Forward | Scheme::Backward);
        let (w, w3) = if self.central { (1.0, 1.0) } else { (4.0, 2.0) };
        let eps = f64::EPSILON;
        let mut worst = 0.0f64;
        let mut unexplained = vec![0.0; m];
        for i in 0..m {
            let (f0, f1, f2) = (y0[i], y1[i], y2[i]);
            if !(f1.is_finite() && f2.is_finite()) {
                // A NaN where the pattern's Jacobian is finite: nothing to compare; the
                // grouped pass met no NaN, so distrust the pattern rather than f.
                return Ok(Verdict {
                    ratio: f64::INFINITY,
                    unexplained,
                });
            }
            let (d1, d2) = (f1 - f0, f2 - f0);
            let (jvp, b) = if self.central {
                ((d1 - d2) / 2.0, (d1 + d2).abs() / 2.0)
            } else {
                ((4.0 * d1 - d2) / 2.0, (d2 - 2.0 * d1).abs() / 2.0)
            };
            let grouped = product.sum[i];
            let k = f64::from(product.entries[i]);
            let big_f = f0.abs().max(f1.abs()).max(f2.abs());
            let a = jvp.abs().max(grouped.abs());
            let level = noise.get(i).copied().unwrap_or(0.0);
            let rounding = (eps * big_f).max(level) * (w + 2.0 * k);
            let big_m = (a / r).max(SIZE * big_f);
            let c = if big_m > 0.0 {
                (eps * big_m).max(b.powf(1.5) / big_m.sqrt())
            } else {
                0.0
            };
            let mut truncation = c * (w3 + 4.0 * k);
            if one_sided_scheme {
                truncation += 2.0 * k * b.max(4.0 * eps.sqrt() * a);
            }
            let rounding_tol = (ROUNDING * eps * big_f).max(level) * (w + 2.0 * k);
            let tol = SAFETY * (rounding_tol + truncation);
            let diff = (jvp - grouped).abs();
            unexplained[i] = (diff - (rounding + truncation)).max(0.0);
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
        })
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
