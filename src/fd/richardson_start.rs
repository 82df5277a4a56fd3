//! Where the Richardson tableaus of the estimates start, and which one is believed.
//!
//! Why: the tableau needs a starting step on the scale over which f varies. The default
//! `max(|x_j|, typ_j) / 8` is that scale for a well-scaled f, and costs nothing more; but
//! f may vary on a scale far from it: `sin` at `x = 1e4` (a period, not `|x|`), `log`,
//! `sqrt` or `1/x` near 0 (the scale `|x_j|`), `arcsin` near 1 (the distance to the edge
//! of the domain). A tableau started far above f's scale gives garbage, and aliasing can
//! make garbage look converged (`cos` at 8e4 from a step of 1e4: an estimate of 1e-13 on
//! an error of 0.5). So, per direction:
//!
//! 1. The tableau from the default start.
//! 2. A tableau from the elements' own scale, when `|x_j| > 8 typ_j` (a priori: f may
//!    vary on the scale `typ_j`, start `typ_j / 8`), when the first tableau's smallest
//!    step exceeds `|x_j| > 0` (a priori, [`far_below`]), or when the first tableau is not to
//!    be trusted (its central stencil did not fit or met a non-finite value, its
//!    estimate exceeds [`POOR`] times the value, or its noise probe saw f vary below its
//!    steps: `sin(x / 1e-9)` at 8.5e-11 from a start of 1/8 converged by aliasing to
//!    -5.685 for 9.96e8) and `0 < |x_j| < typ_j / 2` (start `|x_j|
//!    / 8`). Along a vector `u`, the smallest of these over the elements, divided by
//!    `|u_j|`. Not when f's noise, declared or estimated above rounding earlier in the
//!    call, accounts for the poor estimate and the noise estimate's points stayed within
//!    `|x_j| / 8` ([`beyond_noise_table`], [`super::richardson::Tableau::noise_explains`]):
//!    a smaller start only carries more noise (hash noise on 20 sines, nothing declared:
//!    337..373 evaluations at n = 20 before, 253 now, the same coverage).
//! 3. When the central stencil meets a non-finite value at a start (a domain edge), the
//!    edge is bracketed by steps divided by 8 (then doubled back up to twice) until the
//!    central stencil is finite, and a tableau starts at 1/8 of the largest such step:
//!    near an edge f varies on the scale of the distance to it.
//!
//! Each costs 12 evaluations (plus at most 2 per bracketing step). Along a vector, when
//! the own-scale start leaves an element unmoved at its smallest steps, starts 4, 16, ...
//! times larger below half the default are tried ([`larger_own`]); if none serves, the
//! tableaus that saw f vary below their steps get NaN estimates. Of the tableaus, the
//! smaller total estimate wins, except that two tableaus whose values differ by more than
//! the sum of their estimates cannot both be right: the one from the smaller start is
//! then believed (a tableau started too far above f's scale can be fooled; one from a
//! smaller start can only lose to rounding, which its estimate bounds). So is the smaller
//! start when the larger one fell back or saw f vary below its steps and the smaller
//! one's value lies outside its estimate ([`disputed`]): sin sums at 1e12 along u gave
//! 1.9e-10 for -0.0357 with an estimate of 1.5e-9 from the default start, beside an
//! own-scale tableau whose estimate (0.2, the rounding of its points) covered its error.
//! Last, the believed tableau is checked by a quotient off its lattice of steps, and
//! smaller starts follow where it misses (`richardson/resolve.rs`).

use super::derivative::{apply, fits, Direction};
use super::edge_scan::moves;
use super::error::FdError;
use super::function::Function;
use super::noise::NOISE_POINTS;
use super::options::Options;
use super::probe::Probe;
use super::quantum::lowest_bit;
use super::richardson::resolve::resolve;
use super::richardson::{one_tableau, Channels, Estimate, Tableau, LEVELS};
use super::richardson_alias::descend;
use super::scheme::Scheme;

/// `|x_j|` above `LARGE_X typ_j`: f may vary on the scale `typ_j`.
const LARGE_X: f64 = 8.0;

/// A tableau whose estimate exceeds `POOR` times the size of its value (summed over the
/// channels) is not trusted without a second opinion from x's own scale.
const POOR: f64 = 1e-9;

/// Bracketing a domain edge: the step is divided by [`EDGE_RATIO`] at most this often.
const EDGE_SEARCH: usize = 20;
const EDGE_RATIO: f64 = 8.0;

/// The tableaus along `dir` (see the module documentation; at least one), of which
/// [`believed`] gives the extrapolated derivative with its error estimate, one entry per
/// channel; `t0` is the default start; `caller` the caller's options (a check that misses
/// may estimate f's noise at their steps, `richardson/resolve.rs`).
pub(crate) fn tableaus<'a, F: Function + ?Sized>(
    p: &mut Probe<'a, '_, F>,
    caller: &'a Options,
    dir: Direction<'_>,
    t0: f64,
    channels: Channels<'_>,
) -> Result<Vec<Tableau>, FdError> {
    // The default start may meet a domain edge everywhere: other starts may still serve,
    // and its error is returned only when none does.
    let (first, failure) = match one_tableau(p, dir, t0, channels) {
        Ok(t) => (Some(t), None),
        Err(e @ (FdError::NonFinitePerturbed { .. } | FdError::InvalidArgument(_))) => {
            (None, Some(e))
        }
        Err(e) => return Err(e),
    };
    let own = own_start(p.opts, p.x, dir).filter(|&e| e < t0 / 2.0);
    let trusted = first.as_ref().is_some_and(|t| {
        t.central
            && (!(poor(&t.estimate) || t.shows_noise)
                || (beyond_noise_table(p, dir) && t.noise_explains(p, channels)))
    });
    let mut starts = Vec::new();
    let mut bound_edge = false;
    let mut edge = None;
    match own {
        Some(e) if large_x(p.opts, p.x, dir) || far_below(p.x, dir, t0) || !trusted => {
            starts.push(e)
        }
        _ => {}
    }
    if first.as_ref().is_none_or(|t| !t.central) {
        // A bound that stops the central stencil is an edge too where the one-sided
        // tableau it left is poor (asin at `1 - 1e-13` in [-1, 1]: 24 +- 37 for 1.6e6).
        bound_edge = first.as_ref().is_none_or(|t| poor(&t.estimate));
        let (start, met) = edge_start(p, dir, t0, bound_edge)?;
        starts.extend(start);
        edge = met;
    }
    let mut tableaus: Vec<Tableau> = first.into_iter().collect();
    let mut unresolved = false;
    for start in starts {
        match one_tableau(p, dir, start, channels) {
            Ok(t) => {
                let failed_central = !t.central;
                tableaus.push(t);
                if failed_central && own == Some(start) {
                    if let (Some(e), _) = edge_start(p, dir, start, false)? {
                        match one_tableau(p, dir, e, channels) {
                            Ok(t) => tableaus.push(t),
                            Err(err) if !err.is_stencil_miss() => return Err(err),
                            Err(_) => {}
                        }
                    }
                }
            }
            Err(FdError::InvalidArgument(_)) if own == Some(start) => {
                match larger_own(p, dir, start, t0, channels)? {
                    // One that still sees f vary below its steps has not resolved f, and
                    // nothing smaller can halve at x (sin(8192 x) at 1.2345e14, typ 1: -62.9
                    // for -6250 with an estimate of 853 from the start 1/2).
                    Some(t) => {
                        unresolved |= t.shows_noise;
                        tableaus.push(t)
                    }
                    None => unresolved = true,
                }
            }
            Err(FdError::NonFinitePerturbed { .. } | FdError::InvalidArgument(_)) => {}
            Err(e) => return Err(e),
        }
    }
    if tableaus.is_empty() {
        if unresolved && matches!(dir, Direction::Vector(_)) {
            // No start along u moves every element it should: the caller takes u element
            // by element (`estimate.rs`), where each column may find its own start.
            return Err(FdError::InvalidArgument(format!(
                "{}: no tableau along it moves every element",
                dir.name()
            )));
        }
        return Err(failure.expect("the first tableau failed"));
    }
    if far_below(p.x, dir, t0) && tableaus[0].start == t0 && !tableaus[0].central {
        // The default tableau met a domain edge from steps that all exceed |x_j| and fell
        // back to one side, where f varies on x_j's own scale: its estimate assumes a
        // smoothness it cannot see, and a tableau from x_j's scale is believed instead
        // (`1e10 + sqrt(x)` at 1.2e-10: the forward tableau read sqrt(t) / t and gave 24.5
        // for 4.5e4 with an estimate of 37, beside 0 with 1.6e7 from x's own scale).
        let finite = |t: &Tableau| t.estimate.error.iter().all(|e| e.is_finite());
        if tableaus[0].shows_noise && tableaus[1..].iter().any(finite) {
            tableaus.remove(0);
        }
    }
    if tableaus.len() > 1 && unround(p.x, dir) {
        // Competing tableaus are judged by their estimates: each must see f's rounding as
        // its values show it (`richardson.rs`, `on_grid`).
        tableaus.iter_mut().for_each(|t| t.fold_grid(p, channels));
    }
    descend(p, dir, channels, &mut tableaus)?;
    resolve(p, caller, dir, channels, &mut tableaus, unround(p.x, dir))?;
    if unresolved {
        // No tableau from the elements' own scale can back a tableau that saw variation
        // below its steps, nor, where an element lies far above its typical magnitude, one
        // whose steps all exceed that scale (f may vary on it, which they cannot see; a
        // tableau from a domain edge's scale below it can): its estimate is not earned.
        let own = own.unwrap_or(f64::INFINITY);
        let above = |t: &Tableau| t.start * 0.5f64.powi(LEVELS as i32 - 1) > own;
        let suspect = large_x(p.opts, p.x, dir);
        for t in tableaus
            .iter_mut()
            .filter(|t| t.shows_noise || (suspect && above(t)))
        {
            t.estimate.error.iter_mut().for_each(|e| *e = f64::NAN);
        }
    }
    if let (Some(own), true) = (own, large_x(p.opts, p.x, dir)) {
        uncorroborated_above_typical(&mut tableaus, own);
    }
    if let Some(reach) = edge {
        unearned_beside_edge(&mut tableaus, reach, |t| {
            dir.keeps_moving(
                p.x,
                t0,
                dir.step(p.x, t.start * 0.5f64.powi(LEVELS as i32 - 1)),
            )
        });
    }
    if bound_edge && tableaus.iter().all(|t| !t.central && rough(&t.estimate)) {
        // No central stencil fits below the bound (x on it), and no one-sided tableau
        // comes within [`ROUGH`] of its value: none can say how far off it is (asin at 1,
        // f' infinite: 24 +- 37 before). log on `[x, 10]` at x = 1e-3: the own-scale
        // one-sided tableau is right within 1e-8 and is kept.
        for t in &mut tableaus {
            t.estimate.error.fill(f64::NAN);
        }
    }
    Ok(tableaus)
}

/// Where an element lies far above its typical magnitude ([`large_x`]), a tableau whose
/// steps all exceed the own-scale start `own` sees f only averaged over that scale, and
/// its estimate cannot say what f does on it: `sin x + 3 x` at 3.7e12 (typ 1) gave 3.0 for
/// 4.0 with an estimate of 2.2e-11 from the default start, beside the own-scale tableau's
/// 3.4 with 0.9 (no conflict, so the smaller estimate won; `sin x + 1000 x` from 1e10 on).
/// So each such tableau's estimate is raised, channel by channel, to at least `e + |v -
/// w|` for every tableau that saw f on the own scale (value w, estimate e), on a channel
/// that one saw move ([`unseen`]: a 0 read from f's rounding vouches for nothing): covered
/// if either tableau's own estimate is honest. Where its value lies outside such a
/// tableau's own estimate, that tableau is believed (its estimate is the smaller); where
/// inside every one, its value is kept with the raised estimate (a smooth f at 1e9 with
/// typ 1: the own-scale steps round far more). Agreement within the larger start's
/// estimate is not enough: where f's rounding hides the short scale from both, they agree
/// on the slope alone (`cos(x / 0.3) + 1e3 x / 0.3` at 1.1e11 along u = (1, 0): both read
/// 3333.33 for 3333.31). Where f is smooth on every scale, `e` is the own-scale tableau's
/// rounding and `|v - w|` about as small.
fn uncorroborated_above_typical(tableaus: &mut [Tableau], own: f64) {
    let above = |t: &Tableau| t.start * 0.5f64.powi(LEVELS as i32 - 1) > own;
    let seen: Vec<(Estimate, Vec<bool>)> = tableaus
        .iter()
        .filter(|t| !above(t))
        .map(|t| {
            let own = Estimate {
                value: t.estimate.value.clone(),
                error: t.own_error(),
            };
            (own, t.blind())
        })
        .collect();
    if seen.is_empty() {
        return;
    }
    let mut kept = Vec::new();
    for t in tableaus.iter_mut().filter(|t| above(t)) {
        let v = &t.estimate.value;
        let distance = |s: &Estimate, c: usize| (v[c] - s.value[c]).abs();
        let floor: Vec<f64> = (0..v.len())
            .map(|c| {
                seen.iter()
                    .filter(|(_, blind)| !blind[c])
                    .map(|(s, _)| s.error[c] + distance(s, c))
                    .fold(0.0, largest_or_nan)
            })
            .collect();
        // Outside a seeing tableau's own estimate, the value is contradicted: that
        // tableau, with the smaller estimate, is then believed.
        let disputed = seen.iter().any(|(s, blind)| {
            (0..v.len()).any(|c| !blind[c] && beyond(distance(s, c), s.error[c]))
        });
        if floor.iter().any(|&f| beyond(f, 0.0)) {
            t.floor_errors(&floor);
            if !disputed {
                kept.push(t.estimate.error.clone());
            }
        }
    }
    // Within every seeing tableau's estimate, the larger start's value is kept (where f
    // is smooth on every scale, the more accurate: its steps round less), with the raised
    // estimate: the own-scale tableaus claim no less, so the choice does not move.
    for t in tableaus.iter_mut().filter(|t| !above(t)) {
        for r in &kept {
            t.floor_errors(r);
        }
    }
}

/// The larger of two estimates, NaN if either is (an unbounded one bounds nothing).
fn largest_or_nan(a: f64, b: f64) -> f64 {
    if a.is_nan() || b.is_nan() {
        f64::NAN
    } else {
        a.max(b)
    }
}

/// `a > b`, or either NaN (nothing bounds it).
fn beyond(a: f64, b: f64) -> bool {
    a > b || a.is_nan() || b.is_nan()
}

/// Near a domain edge that [`edge_start`] met (its central stencil non-finite at the
/// step `reach`, the smallest that met it, so the edge lies within `reach` of x): where no
/// central tableau gives finite values that saw f move, with every element the default
/// start moved still moving at its smallest step (`moving`), the one-sided tableaus whose
/// smallest step exceeds `reach` have not seen f on the scale it varies on there, nor has
/// a central one whose points left an element of x where it is (steps below its ulp):
/// their estimates are not earned, NaN. log(x - 1) at 5..200 ulps above 1 gave 1.4e4 +- 3.6e4 for 9e14
/// (the default start's one-sided tableau, every step 1e12 times the distance; the edge's
/// own tableau NaN); along u = (1, 0.25) at 3 ulps, 0 +- 2.9e4 for 1.5e15 (the edge's
/// tableau, x_0 unmoved), and sqrt(x - 1e3) at 2 ulps 0.21 +- 1.1 for 1e6 (the edge's
/// tableau moved x_1 only). Farther from the edge (300 ulps) the edge's tableau is finite
/// and believed.
fn unearned_beside_edge(tableaus: &mut [Tableau], reach: f64, moving: impl Fn(&Tableau) -> bool) {
    let blind: Vec<Vec<bool>> = tableaus.iter().map(Tableau::blind).collect();
    let seen = |c: usize| blind.iter().any(|b| !b[c]);
    // Channels a tableau did not see move while another did.
    let missed = |k: usize| -> Vec<bool> {
        blind[k]
            .iter()
            .enumerate()
            .map(|(c, &b)| b && seen(c))
            .collect()
    };
    let finite = |e: &Estimate| e.value.iter().chain(&e.error).all(|v| v.is_finite());
    let serves = |k: usize| {
        let t = &tableaus[k];
        t.central && finite(&t.estimate) && !missed(k).contains(&true) && moving(t)
    };
    if (0..tableaus.len()).any(serves) {
        return;
    }
    let missed: Vec<Vec<bool>> = (0..tableaus.len()).map(missed).collect();
    let still: Vec<bool> = tableaus.iter().map(|t| t.central && !moving(t)).collect();
    for ((t, missed), still) in tableaus.iter_mut().zip(missed).zip(still) {
        if still || (!t.central && t.start * 0.5f64.powi(LEVELS as i32 - 1) > reach) {
            t.estimate.error.fill(f64::NAN);
        }
        for (e, _) in t.estimate.error.iter_mut().zip(missed).filter(|(_, m)| *m) {
            *e = f64::NAN;
        }
    }
}

/// Where the own-scale start's tableau leaves an element unmoved at its smallest steps
/// (`x_j` = 1e12, where ulp(x_j) is 1e-4): the nearest start above it, by factors of
/// [`LARGER_OWN`] below `t0 / 2`, that moves every element it moves at first; `None` when
/// there is none. Such a tableau carries the rounding of its points in its estimate
/// (`displacement_rounding`), honest where the default start's may not be. Its smallest
/// step stays at most the own-scale start, so that it still sees f on that scale: sin at
/// 1e17 (typ 1, ulp 16) from a start of 2048 gave 0.030 for -0.886 with an estimate of
/// 0.58.
fn larger_own<F: Function + ?Sized>(
    p: &mut Probe<'_, '_, F>,
    dir: Direction<'_>,
    own: f64,
    t0: f64,
    channels: Channels<'_>,
) -> Result<Option<Tableau>, FdError> {
    let mut start = own * LARGER_OWN;
    while start < t0 / 2.0 && start * 0.5f64.powi(LEVELS as i32 - 1) <= own {
        match one_tableau(p, dir, start, channels) {
            Ok(t) => return Ok(Some(t)),
            Err(FdError::InvalidArgument(_)) => start *= LARGER_OWN,
            Err(FdError::NonFinitePerturbed { .. }) => return Ok(None),
            Err(e) => return Err(e),
        }
    }
    Ok(None)
}

/// The factor between the starts [`larger_own`] tries.
const LARGER_OWN: f64 = 4.0;

/// Along an axis, whether the noise estimate's points (`x_j ± 6 h_j`, h_j the plain
/// step of the options' scheme, `noise.rs`) stay within `|x_j| / 8`, the own-scale
/// start: then f's estimated noise was measured where f is smooth on x_j's own scale,
/// and can explain a poor first tableau ([`super::richardson::Tableau::noise_explains`]).
/// Nearer 0 the points reach x_j's own scale (1/x at 1e-5: across the pole) and the
/// "noise" they measure is f's own variation, which only the own-scale tableau follows.
fn beyond_noise_table<F: Function + ?Sized>(p: &Probe<'_, '_, F>, dir: Direction<'_>) -> bool {
    let Direction::Axis(j) = dir else {
        return false;
    };
    let a = p.x[j].abs();
    let typ = p.opts.typical().map_or(1.0, |t| t[j]);
    let h = p.opts.scheme().default_relative_step() * a.max(typ);
    (NOISE_POINTS / 2) as f64 * h < a / 8.0
}

/// Whether the default tableau's smallest step `t0 / 2^(L-1)` moves some element `x_j`
/// by more than `|x_j|` itself (`0 < |x_j| < typ_j / 256` at the default start): every
/// point of that tableau then lies farther from x than x_j's own scale, so f is never
/// seen on that scale, and a tableau from there can converge by aliasing to a value
/// unrelated to the derivative with a small estimate that nothing disputes (`sin(x /
/// 1e-9)` at 1.39e-9 in a tridiagonal VJP: 0.17 for -2.98e7 with an estimate of
/// 3.8e-11, probe9 2.4). A priori suspect, as a step above `|x_j|` is for the plain
/// schemes.
fn far_below(x: &[f64], dir: Direction<'_>, t0: f64) -> bool {
    let smallest = t0 * 0.5f64.powi(LEVELS as i32 - 1);
    let beyond = |xj: f64, uj: f64| xj != 0.0 && smallest * uj.abs() > xj.abs();
    match dir {
        Direction::Axis(j) => beyond(x[j], 1.0),
        Direction::Vector(u) => x.iter().zip(u).any(|(&xj, &uj)| beyond(xj, uj)),
        Direction::Group(..) => false,
    }
}

/// Whether every element of x that `dir` moves has more than [`ROUND_BITS`] significant
/// bits: then the points `x + o t` have as many, products of them round, and a grid
/// coarser than `eps |f|` in f's values is rounding on a larger scale than |f|
/// (cancellation). At a round point (1, 0.5, 1000, 0) a polynomial may be computed
/// exactly on a coarse grid of its own, and no rounding is to be read from it.
fn unround(x: &[f64], dir: Direction<'_>) -> bool {
    let long = |v: f64| v != 0.0 && v.abs() >= lowest_bit(v) * 2f64.powi(ROUND_BITS);
    match dir {
        Direction::Axis(j) => long(x[j]),
        Direction::Vector(u) | Direction::Group(u, _) => {
            x.iter().zip(u).all(|(&xj, &uj)| uj == 0.0 || long(xj))
        }
    }
}

/// See [`unround`]: a product of two such numbers is exact.
const ROUND_BITS: i32 = 26;

/// Whether any element of `dir` is far above its typical magnitude.
pub(crate) fn large_x(opts: &Options, x: &[f64], dir: Direction<'_>) -> bool {
    let typ = |j: usize| opts.typical().map_or(1.0, |t| t[j]);
    match dir {
        Direction::Axis(j) => x[j].abs() > LARGE_X * typ(j),
        Direction::Vector(u) => (0..x.len()).any(|j| u[j] != 0.0 && x[j].abs() > LARGE_X * typ(j)),
        Direction::Group(..) => false,
    }
}

/// A tableau whose estimate exceeds this fraction of its value (summed over the
/// channels) says nothing about the derivative at a bound it cannot look past.
const ROUGH: f64 = 1e-3;

fn rough(e: &Estimate) -> bool {
    let size: f64 = e.value.iter().map(|v| v.abs()).sum();
    let error: f64 = e.error.iter().sum();
    error.is_nan() || error > ROUGH * size
}

fn poor(e: &Estimate) -> bool {
    let size: f64 = e.value.iter().map(|v| v.abs()).sum();
    let error: f64 = e.error.iter().sum();
    error.is_nan() || error > POOR * size
}

/// The start at the elements' own scale: `r typ_j` when `|x_j| > 8 typ_j`, `r |x_j|` when
/// `0 < |x_j| < typ_j / 2`, else `r max(|x_j|, typ_j)` (`r` the relative start); along a
/// vector, the smallest over the elements of that divided by `|u_j|`. `None` with the
/// caller's absolute steps, along a column group, or when nothing differs from the
/// default.
fn own_start(opts: &Options, x: &[f64], dir: Direction<'_>) -> Option<f64> {
    if opts.steps().is_some() {
        return None;
    }
    let e = match dir {
        Direction::Axis(j) => own_scale_start(opts, x, j)?,
        Direction::Vector(u) => (0..x.len())
            .filter(|&j| u[j] != 0.0)
            .map(|j| own_scale_start(opts, x, j).map(|s| s / u[j].abs()))
            .try_fold(f64::INFINITY, |a, s| s.map(|s| a.min(s)))?,
        Direction::Group(..) => return None,
    };
    (e.is_finite() && e > 0.0).then_some(e)
}

/// Element j's own-scale start along its axis, as [`own_start`] describes it; `None` with
/// the caller's absolute steps.
pub(crate) fn own_scale_start(opts: &Options, x: &[f64], j: usize) -> Option<f64> {
    if opts.steps().is_some() {
        return None;
    }
    let r = opts.relative_step()?;
    let typ = opts.typical().map_or(1.0, |t| t[j]);
    let a = x[j].abs();
    Some(
        r * if a > LARGE_X * typ {
            typ
        } else if a > 0.0 && a < typ / 2.0 {
            a
        } else {
            a.max(typ)
        },
    )
}

/// Brackets a domain edge below `t`: the largest step `s = t / 8^a * 2^b` at which the
/// central stencil fits and gives finite values, and the start `s / 8` from it; `None`
/// when the central stencil at `t` is finite already, or no step is found. A step at
/// which the central stencil leaves the bounds counts as one meeting a non-finite value
/// when `bound_edge` (no evaluation: the bound is the edge), else ends the search (the
/// one-sided tableaus serve there). Also the smallest step at which the central stencil
/// met a non-finite value of f (not a bound), if any: the edge lies within it.
fn edge_start<F: Function + ?Sized>(
    p: &mut Probe<'_, '_, F>,
    dir: Direction<'_>,
    t: f64,
    bound_edge: bool,
) -> Result<(Option<f64>, Option<f64>), FdError> {
    let central = Scheme::Central.candidates()[0];
    let mut out = vec![0.0; p.y0.len()];
    let mut met: Option<f64> = None;
    let mut finite = |p: &mut Probe<'_, '_, F>, s: f64| -> Result<Option<bool>, FdError> {
        let step = dir.step(p.x, s);
        if !dir.keeps_moving(p.x, t, step) || (bound_edge && !moves(p.x, dir, step)) {
            return Ok(None);
        }
        if !fits(p.opts, p.x, dir, step, &central) {
            return Ok(bound_edge.then_some(false));
        }
        let ok = apply(p, dir, step, &central, &mut out)?.is_none();
        if !ok {
            met = Some(met.map_or(step, |m| m.min(step)));
        }
        Ok(Some(ok))
    };
    if finite(p, t)? != Some(false) {
        return Ok((None, met));
    }
    let mut s = t;
    for _ in 0..EDGE_SEARCH {
        s /= EDGE_RATIO;
        match finite(p, s)? {
            None => return Ok((None, met)),
            Some(false) => continue,
            Some(true) => {
                for up in [4.0, 2.0] {
                    if finite(p, s * up)? == Some(true) {
                        s *= up;
                        break;
                    }
                }
                return Ok((Some(s / 8.0), met));
            }
        }
    }
    Ok((None, met))
}

/// The tableau to believe (see the module documentation): its index in `tableaus`, which
/// this sorts by start, largest first (the order [`super::richardson_outputs`] relies on).
pub(crate) fn believed(tableaus: &mut [Tableau]) -> usize {
    tableaus.sort_by(|a, b| b.start.total_cmp(&a.start));
    let blind: Vec<Vec<bool>> = tableaus.iter().map(Tableau::blind).collect();
    let mut estimates: Vec<&mut Estimate> = tableaus.iter_mut().map(|t| &mut t.estimate).collect();
    unseen(&mut estimates, &blind);
    let mut best = 0;
    for k in 1..tableaus.len() {
        let (e, b) = (&tableaus[k].estimate, &tableaus[best].estimate);
        let conflict =
            (0..e.value.len()).any(|c| (e.value[c] - b.value[c]).abs() > e.error[c] + b.error[c]);
        if conflict || disputed(e, &blind[k], &tableaus[best]) || total(e) < total(b) {
            best = k;
        }
    }
    best
}

/// Whether the tableau from the smaller start, `small`, disputes `large`: `large` saw
/// variation its model does not explain (its noise probe) or fell back from its central
/// stencil, and `small`'s value lies outside `large`'s error estimate on some channel
/// that `small` saw move (not `blind`, see [`unseen`]). Then `large`'s estimate is not
/// earned and `small` is believed, whatever its estimate.
fn disputed(small: &Estimate, blind: &[bool], large: &Tableau) -> bool {
    let b = &large.estimate;
    (large.shows_noise || !large.central)
        && (0..small.value.len())
            .any(|c| !blind[c] && (small.value[c] - b.value[c]).abs() > b.error[c])
}

/// A channel that did not move at any point of a tableau (every quotient exactly 0) while
/// another tableau of the same direction measured a derivative D on it: f's outputs there
/// do not resolve the change `D t` of that tableau's steps, whatever its rounding model
/// (`eps |f|`) says. A function computed with cancellation (tridiagonal atan, `atan(x_i)`
/// plus half its neighbours', at 1e9 with mixed signs: |f| about 1e-9, its rounding that
/// of terms of 1.57) is accurate to far less than an ulp of |f|, and the own-scale tableau
/// returned 0 for 2.75e-19 with an estimate of 1.9e-23, which contradicted the default
/// tableau's right value and won as the smaller start (probe8 finding 10: 132 of 4000
/// entries uncovered, up to 3.1e5 times). So such a channel's estimate is raised to
/// [`UNSEEN`] times the largest `|D|` the other tableaus measured (its 0 may be off by
/// that much), and it cannot dispute another tableau. Nor can its 0 claim more than the
/// tableaus from smaller starts resolve (`estimates` in the order of their starts,
/// largest first): its own estimate, the rounding `eps |f| / t` of its steps, holds only
/// if f is smooth on their scale, and a smaller start comes nearer f's own. So it is
/// raised to the largest estimate of a smaller start too (`1e25 + 1/x` at 1e-9: the
/// default start, far above x's scale, read 0 for -1e18 with an estimate of 2.3e10, the
/// own-scale start 1.2e10 with 1.9e21). An output that does not depend on the direction
/// reads 0 in every tableau, with the smallest start's estimate.
pub(crate) fn unseen(estimates: &mut [&mut Estimate], blind: &[Vec<bool>]) {
    for k in 0..estimates.len() {
        for (c, &still) in blind[k].iter().enumerate() {
            if still {
                // A NaN below (unearned) leaves no bound here either; a NaN here stays.
                let below = estimates[k + 1..]
                    .iter()
                    .map(|e| e.error[c])
                    .fold(0.0, largest_or_nan);
                let e = &mut estimates[k].error[c];
                if below.is_nan() || *e < below {
                    *e = below;
                }
            }
        }
    }
    for k in 0..estimates.len() {
        for (c, &still) in blind[k].iter().enumerate() {
            if !still || estimates[k].error[c].is_nan() {
                continue;
            }
            let seen = (0..estimates.len())
                .filter(|&o| o != k && !blind[o][c])
                .map(|o| estimates[o].value[c].abs())
                .filter(|d| d.is_finite())
                .fold(0.0, f64::max);
            let e = &mut estimates[k].error[c];
            *e = e.max(UNSEEN * seen);
        }
    }
}

/// See [`unseen`].
const UNSEEN: f64 = 2.0;

fn total(e: &Estimate) -> f64 {
    e.error.iter().sum()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_output_never_seen_moving_takes_the_size_another_tableau_measured() {
        let mut a = Estimate {
            value: vec![0.0, 0.0],
            error: vec![1e-23, 0.0],
        };
        let mut b = Estimate {
            value: vec![2.75e-19, 0.0],
            error: vec![1e-23, 0.0],
        };
        // Output 1 reads 0 in both (independent of the direction): left as it is.
        let blind = vec![vec![true, true], vec![false, true]];
        unseen(&mut [&mut a, &mut b], &blind);
        assert_eq!(a.error, vec![5.5e-19, 0.0]);
        assert_eq!(b.error, vec![1e-23, 0.0]);
    }

    #[test]
    fn round_points_are_told_from_long_mantissas() {
        for x in [1.0, 0.5, 1000.0, 0.0, -3.0] {
            assert!(!unround(&[x], Direction::Axis(0)), "{x}");
        }
        for x in [0.1, -1e9 / 3.0, 1.3932500382165203e-09] {
            assert!(unround(&[x], Direction::Axis(0)), "{x}");
        }
        let u = [1.0, 0.0];
        assert!(unround(&[0.1, 1.0], Direction::Vector(&u)));
        assert!(!unround(&[0.1, 1.0], Direction::Vector(&[1.0, 1.0])));
    }

    #[test]
    fn a_default_tableau_entirely_above_x_is_suspect() {
        // Smallest step of a tableau from 1/8: 1/256.
        assert!(far_below(&[1e-3], Direction::Axis(0), 0.125));
        assert!(!far_below(&[0.01], Direction::Axis(0), 0.125));
        assert!(!far_below(&[0.0], Direction::Axis(0), 0.125));
    }
}
