//! Column groups near bounds: each column of a group perturbed with its own stencil and
//! its own step.
//!
//! Why: with a sparsity pattern, one evaluation serves a whole group of structurally
//! orthogonal columns (see [`super::colouring`]). Sharing one stencil and one step
//! multiplier, a group holding columns near opposite bounds would shrink its step until a
//! single stencil fits every column (1000-fold for a tridiagonal problem near alternating
//! bounds). But the columns of a group share no row: row `i` of each evaluation changes
//! only with the column that owns it. So each column takes what it would take alone (the
//! first attempt of [`super::fit`] along its axis: the scheme's own stencil at its nominal
//! step where that fits, else the stencil with the largest step that fits, forward or
//! backward), and each row is weighted by its own column's stencil. Every candidate stencil
//! of a scheme has the same number of points besides f(x), so the group costs what it
//! costs without bounds.
//!
//! A group is "mixed" only when the bounds bind for one of its columns; the others go the
//! shared way of [`super::derivative`], bit for bit as without bounds. When a mixed
//! attempt meets a NaN or an infinity, the group falls back to that shared way and its
//! policy for non-finite values. Adaptive steps scan one step multiplier for the whole
//! group, so they keep the shared way too.

use super::derivative::{fits, Direction, NonFinite};
use super::error::FdError;
use super::fit::attempts;
use super::function::Function;
use super::options::Options;
use super::probe::{Probe, Workspace};
use super::scheme::Placed;
use super::sparsity::Sparsity;
use super::step::nominal_step;
use super::subnormal;

/// Each column's stencil (an index into the scheme's candidates) and step when it is
/// differentiated alone; `None` when no candidate fits inside the bounds.
pub(crate) struct Choices {
    pick: Vec<Option<(usize, f64)>>,
}

impl Choices {
    /// `None` without bounds (every column then takes the shared way). `steps[j]` is
    /// column `j`'s exact nominal step.
    pub fn new(opts: &Options, x: &[f64], steps: &[f64]) -> Option<Self> {
        opts.bounds()?;
        let scheme = opts.scheme();
        let candidates = scheme.candidates();
        let pick = (0..x.len())
            .map(|j| {
                let dir = Direction::Axis(j);
                if steps[j] > 0.0 && fits(opts, x, dir, steps[j], &candidates[0]) {
                    return Some((0, steps[j]));
                }
                let t0 = nominal_step(opts, x, j);
                attempts(opts, x, dir, t0, candidates).list.first().copied()
            })
            .collect();
        Some(Self { pick })
    }

    /// Whether the bounds bind for some column of `cols` and every column has a stencil
    /// that fits (if one has none, the shared way reports it).
    pub fn mixed(&self, cols: &[usize], steps: &[f64]) -> bool {
        let mut binds = false;
        for &j in cols {
            match self.pick[j] {
                None => return false,
                Some(pick) => binds |= pick != (0, steps[j]),
            }
        }
        binds
    }

    /// Column `j`'s (stencil, step).
    fn of(&self, j: usize) -> (usize, f64) {
        self.pick[j].expect("mixed groups have a pick for every column")
    }

    /// Column `j`'s step in a mixed group.
    pub fn step(&self, j: usize) -> f64 {
        self.of(j).1
    }

    /// Column `j`'s stencil in a mixed group, and whether the bounds bind for it.
    pub fn stencil(&self, j: usize, steps: &[f64]) -> (usize, bool) {
        let pick = self.of(j);
        (pick.0, pick != (0, steps[j]))
    }
}

/// The points besides f(x) of the candidate stencils, point by point: `[q][c]` is the
/// (offset, weight) of candidate `c`'s `q`-th point.
fn points(candidates: &[Placed]) -> Vec<Vec<(f64, f64)>> {
    let nonzero = |c: &Placed| c.terms().filter(|&(o, _)| o != 0.0).collect::<Vec<_>>();
    let per_candidate: Vec<_> = candidates.iter().map(nonzero).collect();
    (0..per_candidate[0].len())
        .map(|q| per_candidate.iter().map(|terms| terms[q]).collect())
        .collect()
}

/// The differences of a mixed group into `out` (m entries): row `i` holds
/// `sum_k w_k (f_i(x + o_k s_j e_j ...) - f_i(x))` with the stencil `(o_k, w_k)` and step
/// `s_j` of the column `j` owning row `i`, not yet divided by `s_j`; rows no column of the
/// group owns hold 0. The rounding scale goes to `ws.magnitude`, likewise undivided.
/// `Ok(Some(..))` names the first non-finite output met.
pub(crate) fn apply<F: Function + ?Sized>(
    p: &mut Probe<'_, '_, F>,
    cols: &[usize],
    choices: &Choices,
    sparsity: &Sparsity,
    out: &mut [f64],
) -> Result<Option<NonFinite>, FdError> {
    let m = out.len();
    let scheme = p.opts.scheme();
    let candidates = scheme.candidates();
    let points = points(candidates);
    let count = points.len();
    let mut row_stencil = vec![0usize; m];
    for &j in cols {
        let c = choices.of(j).0;
        for &i in sparsity.rows_of(j) {
            row_stencil[i] = c;
        }
    }
    p.ws.columns(m);
    let Probe { ev, x, y0, ws, .. } = p;
    let Workspace {
        xp,
        y,
        magnitude,
        second,
        ..
    } = ws;
    let (y0, mag, second) = (&y0[..m], &mut magnitude[..m], &mut second[..m]);
    out.fill(0.0);
    mag.fill(0.0);
    second.fill(0.0);
    // f(x)'s share of the rounding scale: offset 0 comes first in every stencil with it.
    for i in 0..m {
        for (o, w) in candidates[row_stencil[i]].terms() {
            if o == 0.0 {
                mag[i] += w.abs() * subnormal::size(y0[i]);
            }
        }
    }
    for (q, point) in points.iter().enumerate() {
        for &j in cols {
            let (c, s) = choices.of(j);
            xp[j] = x[j] + point[c].0 * s;
        }
        let result = ev.eval(xp, y, || {
            format!(
                "x + per-column steps (column group of {} columns), point {} of {count}",
                cols.len(),
                q + 1
            )
        });
        for &j in cols {
            xp[j] = x[j];
        }
        result?;
        let y = &y[..m];
        let mut finite = true;
        for i in 0..m {
            let w = point[row_stencil[i]].1;
            finite &= y[i].is_finite();
            out[i] += w * (y[i] - y0[i]);
            mag[i] += w.abs() * subnormal::size(y[i]);
            // As `derivative::apply`: the points at offset +-1, for the truncation sign
            // of `bound_edge::peel`.
            if point[row_stencil[i]].0.abs() == 1.0 {
                second[i] += y[i] - y0[i];
            }
        }
        if !finite {
            let i = y.iter().position(|v| !v.is_finite()).unwrap_or(0);
            let at = format!("x + per-column steps, point {} of {count}", q + 1);
            return Ok(Some((i, y[i], at)));
        }
    }
    Ok(None)
}
