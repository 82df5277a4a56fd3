//! A central direction whose second difference looked like noise, checked at half its step
//! once the call has found no noise.
//!
//! Why: three points cannot tell noise from a feature of f below the step (a pole, a
//! narrow step or bump). Both make `|D2| > 30 r^2 M`; the direction keeps its plain value,
//! bounded as if f varied on the scale D2 shows (`|D2| / 2t` at most). A pole at a
//! distance `d` below the step t puts f(x) far from f(x ± t): `D2 ≈ 2c / d` and a bound
//! of `c / (d t)`, but the error is `c / d^2`, `t / d` times more (independent programs
//! with a pole or a narrow tanh within the step of well-scaled elements: VJP 177,
//! Jacobian 176, JVP 91 of 300 bounds short, up to 7e7 times). Where the noise trigger
//! fires, noise sets the step; where it declines (one direction, or too few, showed it)
//! nothing ruled the feature out. Checked: such directions whose `|D2|` also exceeds
//! [`LONE`] `r^2` times both M and f's size at x.
//!
//! One more stencil at half the step decides: a smooth f has `D2(q t) = q^2 D2(t)` to
//! within `(t / σ)^2` of f's scale σ (f near an extremum of an output along the
//! direction, where `f'` is tiny next to `f''`, is the smooth case that shows such a D2);
//! a feature below the step, or noise, does not scale so (a pole within `t / 2` keeps
//! `D2(t / 2) ≈ D2(t)`; a step of f between `t / 2` and t leaves `D2(t / 2) ≈ 0`). Where
//! the weighted `|D2|` at half the step lies within [`SCALING`] of `q^2` times the plain
//! one (plus rounding), the direction keeps its value and bound bit for bit; elsewhere its
//! value stays and it has no bound (the call's bound is NaN): a loud "cannot tell" in
//! place of a quiet wrong bound. Noise fails the check too: where one fails, the noise is
//! estimated (once, under `NoiseMode::Auto`), and where it reaches the call's directions
//! (`noise::everywhere`) and explains the failed second differences, those directions
//! keep their bounds, widened by the noise ([`explained`]).
//!
//! Cost: 2 evaluations per such direction, only where the call found no noise, and 12
//! for the estimate where a check fails. Every central direction: axes (VJP, Jacobian, a
//! JVP's columns), a JVP's vector and column groups of a sparsity pattern. A JVP along a
//! vector has one direction and no other to show noise (the estimate's table crosses a
//! feature too): where its check fails, its own second differences decide, output by
//! output, whether they vary as noise (bound kept) or as a feature ([`varies_as_noise`]).

use super::super::alloc::{recycle, zeros};
use super::super::derivative::Direction;
use super::super::error::FdError;
use super::super::function::Function;
use super::super::fused;
use super::super::noise;
use super::super::options::NoiseMode;
use super::super::probe::Probe;
use super::super::report::NoiseSource;
use super::{
    central, entry_bound, estimate_noise, lone_noise, own_scale, relative_step, weight, Level, Sums,
};

/// How far the ratio of the weighted `|D2|` at half the step to the plain one may lie
/// from `q^2`, relative: smooth functions stay within `(t / σ)^2 / 16` of it, a pole
/// within the step gives about `4 q^2`, a step of f between the two steps 0.
const SCALING: f64 = 0.25;

/// How far from `q^2` a direction that passes its check may lie, relative, and still be
/// taken for smooth where other columns are judged alone at their noise step (`check`):
/// an exact oscillation of P steps per period lies `tan^2(π / 2P)` from it (0.17 at 4
/// steps, 0.07 at 6, 0.05 at 7, 0.04 at 8), and keeps a bound its value breaks, which the
/// failed columns' NaN had hidden (beside a noisy column, 21..56 times short at 4..6
/// steps, up to 37 of 400 draws, stop 39's review 4; at 8 steps as before); a function
/// smooth on 20 steps or more lies within 0.006. Barring every passed check instead
/// (review 5) kept a noisy column at its plain value beside an exact one of 10 to 345
/// steps per period, 40 to 100 times further off, its bound NaN; below 7 steps it still is.
const MARGINAL: f64 = 0.05;

/// The multiple of `r^2` times f's change and f's size a second difference must exceed to
/// be checked, above the noise-like threshold (30): a smooth f meets that one with f and
/// f' both within about 1/30 of f'' along the axis (0.1-0.25% of random points of smooth
/// test functions, each paying the check), this one within 1/100; a pole that moves f by
/// 1e-6 of its size within the step still shows 300 times above it. Measured on the
/// features of `tests/fd_feature_under_step.rs`: 147 / 139 uncovered of 600 at 30, 166 /
/// 158 at 100, 180 / 179 at 300.
const LONE: f64 = 100.0;

/// The directions kept to check (a call's memory stays within `2n + 6m` doubles plus a
/// constant); beyond, the call has no bound unless the noise trigger fires.
const KEPT: usize = 1024;

/// A direction to check: which ([`Along`]), its plain step and the weighted `|D2|` there.
#[derive(Clone, Copy)]
pub(crate) struct Lone {
    along: Along,
    t: f64,
    d2: f64,
}

/// Which direction a [`Lone`] is: an axis, the JVP's vector, or the column group whose
/// first column is the one given.
#[derive(Clone, Copy, PartialEq)]
enum Along {
    Axis(usize),
    Vector,
    Group(usize),
}

/// What [`check`] rebuilds the kept directions from, besides their axes: the JVP's
/// vector, and a sparsity pattern's column steps and groups.
#[derive(Clone, Copy, Default)]
pub(crate) struct Kept<'a> {
    pub vector: Option<&'a [f64]>,
    pub groups: Option<(&'a [f64], &'a [Vec<usize>])>,
}

impl<'a> Kept<'a> {
    fn direction(&self, along: Along) -> Option<Direction<'a>> {
        match along {
            Along::Axis(j) => Some(Direction::Axis(j)),
            Along::Vector => self.vector.map(Direction::Vector),
            Along::Group(first) => {
                let (steps, groups) = self.groups?;
                let cols = groups.iter().find(|g| g.first() == Some(&first))?;
                Some(Direction::Group(steps, cols))
            }
        }
    }
}

/// Notes a direction whose plain central stencil at step `t` gave the sums `s`, when its
/// second difference is large with no noise known and no noise step taken.
pub(crate) fn note<F: Function + ?Sized>(
    p: &mut Probe<'_, '_, F>,
    dir: Direction<'_>,
    t: f64,
    s: &Sums,
) {
    let along = match dir {
        Direction::Axis(j) => Along::Axis(j),
        Direction::Vector(_) => Along::Vector,
        Direction::Group(_, cols) => match cols.first() {
            Some(&first) => Along::Group(first),
            None => return,
        },
    };
    let r = relative_step(p);
    // Adaptive directions have no bound already (`Probe::end_direction`): nothing to check.
    if p.step_scale > 1.0
        || p.opts.adaptive()
        || p.report.noise_source != NoiseSource::None
        || !may_look_noisy(s.d2, s.m, r)
    {
        return;
    }
    let size = *p.lone_size.get_or_insert_with(|| match p.weights {
        Some(v) => fused::y0_size(&p.y0, v),
        None => p.y0.iter().map(|y| y.abs()).sum::<f64>(),
    });
    if looks_noisy(s.d2, s.m, size, r) {
        if p.lone.len() < KEPT {
            if along == Along::Vector {
                // The vector's plain stencil is the last one taken (`after_plain`). m
                // doubles, through the fallible path: without them a failed check has no
                // bound (loud), as where the outputs cannot decide.
                let m = p.y0.len();
                if let Ok(mut second) = zeros(m, "the JVP's second differences") {
                    second.copy_from_slice(&p.ws.second[..m]);
                    p.lone_second = second;
                }
            }
            p.lone.push(Lone { along, t, d2: s.d2 });
        } else {
            p.lone_overflow = true;
        }
    }
}

/// Whether a direction whose weighted sums hold `|D2|` and the change M (relative step
/// `r`) may be one [`note`] keeps: `|D2| > LONE r^2 M` ([`LONE`]).
#[inline]
pub(crate) fn may_look_noisy(d2: f64, change: f64, r: f64) -> bool {
    d2 > LONE * r * r * change
}

/// Whether such a direction is one [`note`] keeps: [`may_look_noisy`], and `|D2|` above
/// `LONE r^2` times f's own size at x too (`size`: `sum |v_i| |f_i(x)|`, or unweighted). At
/// an extremum of a smooth f along an axis, `f'` is tiny next to `f''` (cos at 0) and
/// `|D2| ≈ t^2 |f''|` stays below `r^2 |f|` unless f itself nearly vanishes there: exact
/// functions at such points keep their count. The fused pass forms M only where the
/// second difference passes the size test (`fused::column_sums`), so both paths decide
/// alike, bit for bit.
#[inline]
pub(crate) fn looks_noisy(d2: f64, change: f64, size: f64, r: f64) -> bool {
    may_look_noisy(d2, change, r) && above_size(d2, size, r)
}

/// `|D2| > LONE r^2 size`, the test of [`looks_noisy`] that needs no M.
#[inline]
pub(crate) fn above_size(d2: f64, size: f64, r: f64) -> bool {
    d2 > LONE * r * r * size
}

/// Checks the directions [`note`] kept (the call's noise trigger has declined): each whose
/// second difference does not scale as a smooth f's has no bound, unless noise explains
/// it ([`explained`]). `kept`: what rebuilds the vector and group directions [`note`] kept.
///
/// `redo`: whether the caller can take a new value for the call's one direction. Where
/// the call has one direction only, its check failed, and `redo` holds, the direction is
/// taken again at its noise step where the noise estimated along it and a check at that
/// step allow (`lone_noise.rs`): the new value is returned, its bound recorded.
pub(crate) fn check<F: Function + ?Sized>(
    p: &mut Probe<'_, '_, F>,
    kept: Kept<'_>,
    redo: bool,
) -> Result<Vec<Redone>, FdError> {
    let lone = std::mem::take(&mut p.lone);
    if lone.is_empty() || p.report.noise_source == NoiseSource::Declared {
        return Ok(Vec::new());
    }
    if p.lone_overflow {
        p.report.unbounded_direction();
        return Ok(Vec::new());
    }
    // The call's one direction (the axis of a function of one variable, or a JVP's
    // vector; a column group's columns are the sweep's to hand over): nothing else shows
    // its noise, so its own table decides.
    let alone = match lone[0].along {
        Along::Axis(_) => p.x.len() == 1,
        Along::Vector => true,
        Along::Group(_) => false,
    };
    let one = redo
        && alone
        && lone.len() == 1
        && p.opts.noise_mode() == NoiseMode::Auto
        && !p.noise_tried
        && p.report.noise_source == NoiseSource::None;
    let m = p.y0.len();
    p.ws.columns(m);
    // The second differences, plain and at half the step, of the directions that failed,
    // and the failed axes with their plain steps.
    let (mut failed, mut axes) = (Vec::new(), Vec::new());
    // Whether a direction passed its check only just: see `some_columns` below.
    let mut marginal = false;
    for c in &lone {
        // Every kept direction is the call's own, so `kept` rebuilds it.
        let plain = match c.along {
            Along::Vector => std::mem::take(&mut p.lone_second),
            _ => Vec::new(),
        };
        let dir = kept.direction(c.along);
        let checked = match dir {
            Some(dir) => half_step_d2(p, dir, c, &plain)?,
            None => None,
        };
        recycle(plain);
        let (half, level) = match checked {
            Some((half, level)) => (Some(half), Some(level)),
            None => (None, None),
        };
        let smooth = half.is_some_and(|h| (h.d2 - h.expected).abs() <= h.allowed);
        marginal |=
            smooth && half.is_some_and(|h| (h.d2 - h.expected).abs() > MARGINAL * h.expected);
        if let (false, true, Some(dir), Some(level)) = (smooth, one, dir, &level) {
            if let Some(taken) = lone_noise::take(p, dir, c.t, level)? {
                return Ok(vec![record(p, dir, c.along, taken, true)]);
            }
        }
        let level = level.filter(|_| redo && !smooth);
        // A JVP's vector has no other direction to show noise: its own second differences
        // decide, output by output ([`varies_as_noise`]).
        let noise = c.along == Along::Vector && half.is_some_and(|h| h.noise_share > 0.5);
        if !smooth && !noise {
            failed.push((c.d2, half.map_or(f64::INFINITY, |h| h.d2)));
            if let (Some(level), Along::Axis(j)) = (level, c.along) {
                axes.push((j, c.t, level));
            }
        }
    }
    if failed.is_empty() {
        return Ok(Vec::new());
    }
    let (explained, fresh) = explained(p, &failed)?;
    if explained {
        return Ok(Vec::new());
    }
    // Noise the call's other directions refute (here, or at the noise trigger) may still
    // be some columns' own (noise that enters f through a few inputs): each failed axis at
    // its noise step, checked.
    let refuted = p.report.noise_source == NoiseSource::None && !p.refuted_noise.is_empty();
    if refuted && p.opts.noise_mode() == NoiseMode::Auto {
        p.report.noise = std::mem::take(&mut p.refuted_noise);
        p.report.noise_source = NoiseSource::Estimated;
    }
    // (Not the call's one direction again: `lone_noise::take` has judged it.) Nor where
    // another direction passed its check only just ([`MARGINAL`]).
    let judged = !one && !marginal;
    let redone = if judged && p.report.noise_source == NoiseSource::Estimated && (fresh || refuted)
    {
        lone_noise::some_columns(p, axes)?
    } else {
        Vec::new()
    };
    if (fresh || refuted) && redone.is_empty() {
        noise::reject(p);
    }
    (redone.len()..failed.len()).for_each(|_| p.report.unbounded_direction());
    Ok(redone
        .into_iter()
        .map(|(j, taken)| record(p, Direction::Axis(j), Along::Axis(j), taken, false))
        .collect())
}

/// A direction taken again at its noise step (`lone_noise.rs`): its new value (per
/// output, in direction units) and, for an axis, which.
pub(crate) struct Redone {
    pub axis: Option<usize>,
    pub values: Vec<f64>,
    pub step: f64,
}

/// Records the bound of a direction's value at the noise step: in place of the plain
/// one's where it is the call's only direction (`alone`), else beside the others' (the
/// report keeps the largest, the plain value's among them).
fn record<F: Function + ?Sized>(
    p: &mut Probe<'_, '_, F>,
    dir: Direction<'_>,
    along: Along,
    taken: lone_noise::Taken,
    alone: bool,
) -> Redone {
    if alone {
        p.report.error_bound = f64::NAN;
        p.report.unbounded = 0;
    }
    let mark = p.start_direction();
    p.bound(entry_bound(p, dir, &taken.bounds));
    p.end_direction(mark);
    recycle(taken.bounds);
    Redone {
        axis: match along {
            Along::Axis(j) => Some(j),
            _ => None,
        },
        values: taken.values,
        step: taken.step,
    }
}

/// The noise a failed check may still be: a second difference that does not scale is
/// what noise makes too. Without an estimate yet (`NoiseMode::Auto`), the noise is
/// estimated now (12 evaluations, `noise.rs`); where it reaches the call's directions
/// ([`noise::everywhere`], and some direction besides the failed ones) and the failed
/// directions' second differences, plain and at half the step, lie within [`EXPLAINED`]
/// times it, they keep their bounds, widened by
/// the noise at the end of the call (`noise::widen_bound`); their values stay the plain
/// step's (the noise step would redo every direction). Otherwise the estimate does not
/// explain them: a pole in one direction of three makes the estimate's table, which
/// crosses it, look noisy, but leaves the other directions smooth; the caller takes it
/// back unless a failed column's own noise step passes its check (`lone_noise.rs`).
/// Returns whether it explains them, and whether the estimate was made here (`fresh`).
fn explained<F: Function + ?Sized>(
    p: &mut Probe<'_, '_, F>,
    failed: &[(f64, f64)],
) -> Result<(bool, bool), FdError> {
    if p.every_second.len() <= failed.len() {
        return Ok((false, false)); // no direction besides them: see below
    }
    let fresh = p.opts.noise_mode() == NoiseMode::Auto
        && !p.noise_tried
        && p.report.noise_source == NoiseSource::None;
    if fresh {
        p.noise_tried = true;
        estimate_noise(p)?;
        // The values stay at the plain step, and so does the bound's smallest step.
        p.step_scale = 1.0;
    }
    if p.report.noise_source != NoiseSource::Estimated {
        return Ok((false, fresh));
    }
    // Some direction beyond the failed ones must show the noise: one direction alone
    // (n = 1) cannot tell a pole from noise even with the estimate, whose table crosses
    // the pole too (`sin x + 1e-6 / (x - a)`, a 2e-9 from x: "noise" of 139 and a bound
    // 1,185 times short; probe19).
    let level = noise::weighted_level(p);
    let explained = noise::everywhere(p)
        && noise::reached(p) > failed.len()
        && failed
            .iter()
            .all(|&(plain, half)| plain.max(half) <= EXPLAINED * level);
    Ok((explained, fresh))
}

/// Whether an output's `|D2|` at half the step (`half`) and at the plain step (`plain`),
/// which do not scale as a smooth f's, vary as noise does: noise draws a new second
/// difference at each step, of the same size. A feature within both stencils does not (a
/// pole at `d` below both steps gives `D2 ≈ 2c / d` at each, equal to within `(2d / t)^2`;
/// a jump of f gives its height at each); one between the two steps leaves `D2 ≈ 0` at
/// half the step. So equal within [`SAME`], or below [`VANISHED`] of the plain one, reads
/// as a feature. Decided per output (sums over many noisy outputs come out nearly equal):
/// a JVP's vector reads as noise where outputs holding more than half its weighted `|D2|`
/// vary so. Noise falls in the feature's windows about 10% of the time for one output,
/// rarely for several, and then has no bound: loud, not wrong.
fn varies_as_noise(half: f64, plain: f64) -> bool {
    half > VANISHED * plain && (half - plain).abs() > SAME * plain
}

/// See [`varies_as_noise`].
const SAME: f64 = 0.1;
const VANISHED: f64 = 1.0 / 40.0;

/// The multiple of the (weighted) noise level up to which a second difference is taken
/// for noise: `|D2|` of noise ε is at most `4 ε` for bounded noise, and the estimate lies
/// within a factor 3 of ε.
const EXPLAINED: f64 = 30.0;

/// A direction's second difference at half the step, against its plain one.
#[derive(Clone, Copy)]
struct Half {
    /// The weighted `|D2|` at half the step.
    d2: f64,
    /// What a smooth f gives there: `q^2` times the plain one.
    expected: f64,
    /// How far from it it may lie: [`SCALING`] of it plus rounding.
    allowed: f64,
    /// The share of the plain weighted `|D2|` in outputs whose two vary as noise
    /// ([`varies_as_noise`]); 0 without the plain ones output by output.
    noise_share: f64,
}

/// The direction's [`Half`] and its level at half the step (`plain`: its plain second differences output by output, or
/// empty); `None` where no central stencil at half the step can be taken (outside the
/// bounds, or a NaN within: nothing tells a feature apart).
fn half_step_d2<F: Function + ?Sized>(
    p: &mut Probe<'_, '_, F>,
    dir: Direction<'_>,
    c: &Lone,
    plain: &[f64],
) -> Result<Option<(Half, Level)>, FdError> {
    let level = match own_scale::level(p, dir, c.t, c.t / 2.0, &central())? {
        Ok(level) if level.stencil == central() => level,
        _ => return Ok(None),
    };
    let q = level.t / c.t;
    let m = level.second.len();
    let (mut half, mut rounding, mut noisy, mut total) = (0.0, 0.0, 0.0, 0.0);
    for i in 0..m {
        let w = weight(p, i);
        let here = w * level.second[i].abs();
        half += here;
        rounding += w * 8.0 * f64::EPSILON * level.mag[i] * level.t;
        if let Some(&before) = plain.get(i) {
            let before = w * before.abs();
            total += before;
            if varies_as_noise(here, before) {
                noisy += before;
            }
        }
    }
    let expected = q * q * c.d2;
    let half = Half {
        d2: half,
        expected,
        allowed: SCALING * expected + rounding,
        noise_share: if total > 0.0 { noisy / total } else { 0.0 },
    };
    Ok(Some((half, level)))
}
