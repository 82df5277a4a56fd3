//! Refining the step of a suspect direction: the one step logic behind "accurate by
//! default" and "noisy black boxes".
//!
//! The plain central stencil at step t gives, per output, the first difference D1, the
//! second difference `D2 = f(x+t) - 2 f(x) + f(x-t)` and the rounding scale ρ (so the
//! rounding error of D1 is about `eps ρ`). Let `M = max(|f|, |D1| t / r)`: the size of f
//! and of its change over the scale `t / r` the step rule assumes (`max(|x_j|, typ_j)`
//! along an axis). A function varying on that scale has `|D2| ≈ r^2 M`. A direction is
//! suspect when (sums over outputs, weighted by |v| for a VJP):
//!
//! - **step too large**: along an axis with `x_j != 0`, a priori when `t > |x_j|` or
//!   `|x_j| > 1e3 typ_j` (three points cannot see aliasing: sin at 1e6 near an inflection
//!   point has a tiny D2); a posteriori when `|D2| > 30 r^2 M` (f varies on a scale `ρ =
//!   sqrt(|D2| / (r^2 M))` times shorter than assumed) and `|x_j| < typ_j / 100`. Refined
//!   at x_j's own scale: steps `e = min(r |x_j|, t / ρ)` (`r typ_j` when `|x_j|` is far
//!   above typ_j) and `e / 2` (4 evaluations). A declared `typ_j > 1` with `1e3 < |x_j| <=
//!   1e3 typ_j` that such a D2 refutes: refined as the default typ 1 would refine it a
//!   priori (from `r`), since the step rests on the caller's typ_j alone
//!   ([`above_default`]).
//! - **noise or curvature** (`|D2| > 30 r^2 M` elsewhere): f is noisy or varies on a
//!   shorter scale; the three points cannot tell which. Under `NoiseMode::Auto` the noise
//!   is estimated once per call (`noise.rs`, 12 evaluations) when at least two directions,
//!   and a quarter of them, show it ([`noise_trigger`]). If it is significant every
//!   direction takes the noise step (below); otherwise the direction keeps its plain value.
//! - **faint noise** (`|D2| > 6 r^2 M`, against its own M and the call's largest): noise
//!   ε costs the plain step about `ε / t` against `|D1| ≈ M r / t`, i.e. `|D2| / (r M)`
//!   relative: `30 r^2 M` means 1.8e-4 of the derivative (ε ≈ 1e-9 for f of size 1), `6
//!   r^2 M` 3.6e-5 (ε ≈ 1e-10, whose plain step loses 1.2e-5). Curvature reaches `6 r^2 M`
//!   too (a sine of frequency 2 away from its extrema), so this weaker sign must show in
//!   at least 5 directions and a quarter of them before the noise is estimated; never a
//!   refinement by itself. Smooth sums of sines of frequency up to 2 (the property tests
//!   of `tests/fd_refine.rs` and `tests/fd_counts.rs`, n <= 7) never met it in 6,700
//!   simulated draws, so they cost and return what they did; hash noise of 1e-10 on a sum
//!   of 20 sines meets it in 84% of draws (3e-10: all). An exact f that meets it pays the
//!   12 evaluations of the estimate and keeps its plain values (its noise is rounding,
//!   below the significance floor).
//! - **noise spread over every direction** (the root mean square of `|D2|` over the
//!   call's directions not refined, at least 8 of them, above `3.5 r^2 M`, M the call's
//!   largest): the faint sign counts directions above a threshold, so it misses when f(x)'s
//!   own noise is near 0 (`D2 = u(x+t) + u(x-t) - 2 u(x)` loses its common part, and
//!   only 3-4 of 20 directions pass `6 r^2 M` at ε = 1e-10: the 7 misses of 50 draws);
//!   the mean square uses every direction's evidence. Hash noise of 1e-10 (loses 1.5e-5
//!   at the plain step) is then noticed at 95-100% of random points for n = 8..50 (before:
//!   37-82%). An exact f reaches that root mean square too (random sums of sines of
//!   frequency up to 2 at n = 8..12 did in about 1% of draws, n = 13..30: 0.2%, paying
//!   the 12 evaluations of the estimate), but from a few directions of large curvature,
//!   where noise shares it evenly: the rule also asks that the nonzero `|D2|` have a
//!   coefficient of variation below 0.9 ([`noise::spread_evenly`]). Simulated, that
//!   leaves 0.05% of those sums at n = 8..9 and none of 16,000 at n >= 10, and 92-94%
//!   (n = 8..12; was 96-98%) and 98-100% (n = 20..50) of hash noise of 1e-10.
//!   Noise costing 1e-6 relative (`|D2| ≈ 0.2 r^2 M`; ε = 1e-11 here) cannot be told
//!   from curvature by three points per direction: declare it or use
//!   `NoiseMode::Estimate`.
//! - **rounding swamps the difference**: `|x_j| < typ_j / 1e3` and `eps ρ > 1e-8 |D1|`
//!   (cos near 0: f ≈ 1, f' ≈ 1e-7). The step grows tenfold up to four times (2
//!   evaluations each) while the truncation seen between levels stays below rounding,
//!   then is extrapolated from the level where truncation shows (`grow.rs`, 2 more).
//! - **own scale unseen**: nothing above, and some moved element has `0 < |x_j| < typ_j /
//!   100`: f may vary on x_j's own scale at an inflection point, where D2 vanishes. One
//!   more stencil at `r |x_j|` decides (`own_scale.rs`, 2 evaluations): the plain value
//!   is kept where it agrees, else the direction is refined as for a step too large.
//! - **inflection unseen**: nothing above, an axis with `4 typ_j < |x_j| <= 1e3 typ_j`
//!   whose bound's truncation terms fall below the floor at the scale `typ_j / 4`: f may
//!   vary on typ_j at an inflection point. One more stencil at half the step estimates
//!   the plain value's truncation (`inflection.rs`, 2 evaluations); refined from `r
//!   typ_j` where that exceeds the plain bound beyond rounding.
//!
//! Under `NoiseMode::Auto` with nothing known, an axis direction to refine, or to check
//! at its own scale, is left until the trigger has spoken ([`Probe::deferred`]): if f is
//! noisy the second pass at the noise step redoes it anyway (a column with `|x_j| < typ_j
//! / 100` and noise above `30 r^2 M` cost 6 wasted evaluations: 95 for n = 20, against 89
//! = 2(2n+1)+7 with the 8-point estimate of then; an own-scale check would cost 2 to 4,
//! and its level at `r |x_j|` sees the noise magnified `typ_j / |x_j|` times), and takes
//! no own-scale check (a noise step is not refined); if not, it is refined or checked
//! then, with the same evaluations and values.
//!
//! Choosing: each level k has an error estimate `E_k` (truncation from the difference to
//! its neighbouring level, rounding, and `ε / t_k` for noise ε); for each output, the
//! value with the smallest estimate is kept, the plain one on ties (and, fourth order,
//! wherever the refined levels cannot refute it: its modelled estimate is pessimistic), so
//! that a direction that only looked suspect keeps its plain value bit for bit. A value refined down
//! (central) must beat the rounding its levels show, not only `eps ρ` (their spread, and
//! the grid f's values lie on, [`quantum`]), and wins only where the plain value is
//! demonstrably further from it than its own error ([`shrink`]); a plain value the levels
//! can neither confirm nor refute is checked at one step between them ([`shrink_from`]).
//!
//! Noise step: with a noise level ε (declared, or estimated), the step is `c t` with
//! `c = (κ ε_rel / eps)^(1/(p+1))` (κ = 3 central, 4 one-sided, 1 fourth order; p the
//! order; `ε_rel = max ε_i / max |f_i|` over f(x) and the change of f over the plain scale seen so
//! far), which is `(3 ε / |f'''|)^(1/3)` central and
//! `2 sqrt(ε / |f''|)` one-sided for a function of size M varying on the scale of the
//! plain rule; used only when `c > 1.5` (and at most `0.1 / r`), so refining never walks
//! down into a function's noise.

use super::alloc::{self, scratch_for};
use super::derivative::Direction;
use super::error::FdError;
use super::function::Function;
use super::noise;
use super::options::{NoiseMode, Options};
use super::probe::Probe;
use super::quantum;
use super::report::NoiseSource;
use super::scheme::{Placed, Scheme};
use grow::grow;
use nonfinite::Tried;
pub(crate) use nonfinite::{after_fallback, column_suspect};

pub(crate) mod ahead;
mod argument;
mod exact;
mod far_above;
mod fourth;
mod grow;
mod grow_one_sided;
mod inflection;
pub(crate) mod lone;
mod lone_noise;
#[cfg(test)]
mod need_tests;
mod noise_step;
mod nonfinite;
mod own_scale;
mod plain_agrees;
pub(crate) mod sparse;
mod unresolved;
mod vector;

/// `|D2| > LARGE r^2 M`: f far from what the step rule assumes.
const LARGE: f64 = 30.0;
/// `|D2| > FAINT r^2 M` in at least [`FAINT_DIRECTIONS`] directions and a quarter of them:
/// faint noise (module doc), worth a noise estimate, never a refinement. A weaker sign
/// than `LARGE`, so more directions must show it: smooth sums of sines (the property
/// tests' functions) met `|D2| > 6 r^2 M` in 5 directions in none of 6,700 simulated
/// draws (`5 r^2 M` in 4 directions: 0.05% of draws, in 3: 0.4%).
const FAINT: f64 = 6.0;
const FAINT_DIRECTIONS: usize = 5;
/// The root mean square of `|D2|` over the call's directions above `SPREAD r^2 M` (M the
/// call's largest), over at least [`SPREAD_DIRECTIONS`] directions: noise spread over
/// every direction (module doc).
const SPREAD: f64 = 3.5;
const SPREAD_DIRECTIONS: usize = 8;
/// The weight of |f| in M (the change of f over the assumed scale dominates; |f| only
/// guards against f' = 0).
pub(crate) const SIZE: f64 = 0.01;
/// `|x_j|` above `FAR_ABOVE typ_j`: f may vary on the scale typ_j, not |x_j|.
const FAR_ABOVE: f64 = 1e3;
/// `|x_j|` above `ABOVE typ_j`: the truncation floor's scale `max(|x_j|, typ_j) / 4` is
/// above typ_j, so a function varying on typ_j at an inflection point (`D2 ≈ 0`) is
/// beyond what the plain bound covers (`inflection.rs`).
const ABOVE: f64 = 4.0;
/// `|x_j|` below `typ_j / SMALL_X`: a large D2 means x_j's own scale.
const SMALL_X: f64 = 100.0;
/// `|x_j|` below `typ_j / FAR_BELOW`: f' may be tiny next to f (cos near 0).
const FAR_BELOW: f64 = 1e3;
/// Relative rounding error of D1 above which the step grows.
const ROUNDING: f64 = 1e-8;
/// The noise step is used when it is at least this multiple of the plain step.
const NOISE_SIGNIFICANT: f64 = 1.5;
/// ... and when the noise is at least this many times `eps` relative to f's size: below,
/// it is the rounding of f computed as a sum of terms (a sum of six sines of size 1 near
/// an extremum measured 1.2 eps of its size, which sent a well-scaled function to the
/// noise step), which the plain step already balances.
const NOISE_FLOOR: f64 = 16.0;

#[derive(Clone, Copy)]
enum Suspect {
    /// Refine down from the step `target`; true when the second difference alone called
    /// for it (no a priori test): a refined value further from the plain one than D2
    /// explains is then in doubt ([`doubtful`]).
    Large(f64, bool),
    /// Nothing seen, but some moved element has `0 < |x_j| < typ_j / 100`: checked at
    /// the own-scale step `target` (`own_scale.rs`).
    Own(f64),
    /// Nothing seen along an axis with `4 typ_j < |x_j| <= 1e3 typ_j` whose bound cannot
    /// cover f varying on the scale typ_j: checked at half the step, refined down from
    /// `target` (`r typ_j`) where the check disagrees (`inflection.rs`).
    Inflection(f64),
    /// Noise, or f varying on a shorter scale.
    NoiseLike,
    Rounding,
}

/// After the plain central stencil succeeded at step `t` (result in `out`, its rounding
/// scale and second difference in the workspace): refines suspect directions and records
/// the error bound of the direction.
pub(crate) fn after_plain<F: Function + ?Sized>(
    p: &mut Probe<'_, '_, F>,
    dir: Direction<'_>,
    t: f64,
    out: &mut [f64],
) -> Result<(), FdError> {
    if p.opts.steps().is_some() || p.opts.relative_step().is_some() {
        return Ok(()); // the caller chose the steps
    }
    match p.opts.scheme() {
        Scheme::Central => {}
        Scheme::Forward | Scheme::Backward => return one_sided(p, dir, t, out),
        Scheme::Central4 => return fourth::after_plain(p, dir, t, out),
    }
    let s = sums(p, t, out, None);
    let suspect = classify(p, dir, t, &s);
    if let (Direction::Group(u, cols), true) = (dir, p.step_scale <= 1.0) {
        // Judged column by column: the group as a whole only counts for noise.
        if let Some(bound) = sparse::refine(p, u, cols, t, out)? {
            p.bound(entry_bound(p, dir, &bound));
            return Ok(());
        }
        if let None | Some(Suspect::NoiseLike) = suspect {
            note_second_difference(p, s.d2);
        }
    }
    if let (
        Some(
            suspect @ (Suspect::Large(..)
            | Suspect::Own(_)
            | Suspect::Inflection(_)
            | Suspect::Rounding),
        ),
        Direction::Axis(j),
        Some(list),
    ) = (suspect, dir, p.deferred.as_mut())
    {
        let m = out.len();
        list.push(Deferred {
            j,
            t,
            suspect,
            column: out.to_vec(),
            second: p.ws.second[..m].to_vec(),
            magnitude: p.ws.magnitude[..m].to_vec(),
            last: p.ws.y[..m].to_vec(),
        });
        return Ok(());
    }
    // Serially, the first levels a batch would plan for an axis refined in place (only
    // where a batch would have left it for later: review 30).
    if let (Some(kind), Direction::Axis(j), true) = (suspect, dir, p.batch_defers) {
        if !matches!(kind, Suspect::NoiseLike) {
            p.ahead_plan = ahead::serial_plan(p, (j, t), kind);
        }
    }
    let entry = after_plain_as(p, dir, t, suspect, &s, out);
    p.ahead_plan = None;
    if let Some(entry) = entry? {
        p.bound(entry);
    }
    Ok(())
}

/// [`after_plain`]'s refinement by the suspect's kind: the direction's bound to record,
/// or `None` where it recorded its own.
fn after_plain_as<F: Function + ?Sized>(
    p: &mut Probe<'_, '_, F>,
    dir: Direction<'_>,
    t: f64,
    suspect: Option<Suspect>,
    s: &Sums,
    out: &mut [f64],
) -> Result<Option<f64>, FdError> {
    let bound = match suspect {
        None => None,
        Some(Suspect::Large(target, curved)) => {
            p.report.refined_large += 1;
            (p.curved, p.a_priori) = (curved, !curved);
            let bound = match dir {
                Direction::Vector(u) => vector::shrink_along(p, u, t, target, out),
                _ => shrink(p, dir, t, target, &central(), out),
            };
            (p.curved, p.a_priori) = (false, false);
            Some(bound?)
        }
        Some(Suspect::Own(target)) => Some(match dir {
            // Along a vector the check's level serves a refinement only when its steps are
            // exact enough (`vector.rs`); otherwise the refinement takes its own.
            Direction::Vector(u) => {
                let reuse = vector::exact_enough(p.x, u, target);
                match own_scale::check(p, dir, t, target, &central(), reuse, out)? {
                    Some(bound) => bound,
                    None => {
                        p.report.refined_large += 1;
                        vector::shrink_along(p, u, t, target, out)?
                    }
                }
            }
            _ => own_scale::check(p, dir, t, target, &central(), true, out)?
                .expect("a check that may reuse its level decides"),
        }),
        Some(Suspect::Rounding) => {
            p.report.refined_rounding += 1;
            Some(grow(p, dir, t, out)?)
        }
        Some(Suspect::Inflection(target)) if matches!(dir, Direction::Axis(_)) => {
            let (bound, floor) = inflection::check(p, dir, t, target, out)?;
            p.bound(entry_bound(p, dir, &bound) + floor);
            return Ok(None);
        }
        // Noise, or a point where f' is tiny next to f'' (one column cannot tell):
        // counted by `classify`; the call decides when all directions are done
        // ([`noise_trigger`]), and checks it where it finds no noise (`lone.rs`).
        Some(Suspect::NoiseLike) => {
            lone::note(p, dir, t, s);
            None
        }
        Some(Suspect::Inflection(_)) => None,
    };
    let entry = match bound {
        Some(bound) => entry_bound(p, dir, &bound),
        // The plain bound output by output, without a vector (a JVP allocates nothing).
        None => {
            // At the noise step `c t_0` the bound's model of f's scale stays the plain
            // rule's `t_0 / r` (where f varies): `t / (r c)`, not `t / r`, which read f's
            // third derivative `c` times too small (a JVP with declared noise 1e-7 / sqrt 3,
            // n = 20: error 1.55e-4 with a bound of 1.39e-5, probe8 finding 17).
            let (weights, r) = (p.weights, relative_step(p) * p.step_scale.max(1.0));
            let b = |i: usize| {
                truncation(out[i], p.ws.second[i], t, r)
                    + truncation_floor(out[i], r)
                    + f64::EPSILON * p.ws.magnitude[i]
                    + noise_of(p, i) / t
                    + grid_error(p.y0[i], [p.ws.second[i], p.ws.y[i] - p.y0[i]], t)
            };
            let total = match weights {
                Some(w) => (0..out.len()).map(|i| b(i) * w[i].abs()).sum::<f64>(),
                None => (0..out.len()).fold(0.0f64, |a, i| a.max(b(i))),
            };
            let beyond = beyond_noise_step(p, s);
            let plain = if beyond {
                f64::NAN
            } else {
                scale_entry(dir, total + refuted_floor(p, s, t))
            };
            // A noise step on |x_j|'s scale a few times above typ_j: checked at typ_j's.
            match noise_step::target(p, dir, t) {
                None => plain,
                Some(target) => {
                    let mut plain_b = alloc::zeros(out.len(), "a noise step's bounds")?;
                    plain_b.iter_mut().enumerate().for_each(|(i, e)| *e = b(i));
                    let (bounds, replaced) =
                        noise_step::check(p, dir, t, target, &plain_b, beyond, out)?;
                    let checked = entry_bound(p, dir, &bounds);
                    if replaced {
                        checked
                    } else if plain.is_nan() {
                        plain
                    } else {
                        plain.max(checked)
                    }
                }
            }
        }
    };
    Ok(Some(entry))
}

/// Whether the second difference at a noise step `c t_0` shows f varying on a scale
/// shorter than the step: `|D2| > LARGE c r^2 M` (sums over outputs at that step; M's
/// change is taken over `c t_0 / r`, and at least c times f's size: near an extremum
/// along the direction f' vanishes, not f''), where an f varying on the plain rule's
/// scale `t_0 / r` gives `c r^2 M` and the noise ε, balanced against it, `c^2 r^3 M / 3`
/// at most. Sums of sines along random directions with the noise declared: 0 of 420 JVPs
/// (2 with M from the change alone).
/// Then neither the bound's truncation model nor the value holds (`sin(x / 1.1e-4)` plus
/// noise of 1e-12..1e-8, declared: -535 for 8830 with a bound of 2.2; probe12 finding
/// 2): no bound.
fn beyond_noise_step<F: Function + ?Sized>(p: &Probe<'_, '_, F>, s: &Sums) -> bool {
    let c = p.step_scale;
    let r = relative_step(p);
    c > 1.0 && s.d2 > LARGE * c * r * r * s.m.max(c * s.size)
}

/// An axis direction to refine (down, or up when rounding swamps it) or to check at its
/// own scale (`own_scale.rs`), left until the noise trigger has spoken
/// ([`Probe::deferred`]): its plain column and what the refinement reads of the
/// workspace after the plain stencil.
pub(crate) struct Deferred {
    pub j: usize,
    t: f64,
    /// Why: refined down from a step (`Large`), checked at its own scale first (`Own`),
    /// or the step grows (`Rounding`).
    suspect: Suspect,
    column: Vec<f64>,
    second: Vec<f64>,
    magnitude: Vec<f64>,
    last: Vec<f64>,
}

/// Refines a [`Deferred`] direction as [`after_plain`] would have (same evaluations, same
/// values): its column into `out`, its bound recorded.
pub(crate) fn refine_deferred<F: Function + ?Sized>(
    p: &mut Probe<'_, '_, F>,
    d: &Deferred,
    out: &mut [f64],
) -> Result<(), FdError> {
    let m = out.len();
    p.ws.columns(m);
    p.ws.second[..m].copy_from_slice(&d.second);
    p.ws.magnitude[..m].copy_from_slice(&d.magnitude);
    p.ws.y[..m].copy_from_slice(&d.last);
    out.copy_from_slice(&d.column);
    let dir = Direction::Axis(d.j);
    p.ahead_plan = ahead::serial_plan(p, (d.j, d.t), d.suspect);
    let bound = refine_deferred_as(p, d, dir, out);
    p.ahead_plan = None;
    let Some(bound) = bound? else {
        return Ok(());
    };
    // Left out of the sweep's count of unbounded directions ([`Probe::end_direction`]):
    // counted here.
    let mark = p.start_direction();
    p.bound(entry_bound(p, dir, &bound));
    p.end_direction(mark);
    Ok(())
}

/// [`refine_deferred`]'s refinement by the suspect's kind: the bounds to record, or
/// `None` where it recorded its own.
fn refine_deferred_as<F: Function + ?Sized>(
    p: &mut Probe<'_, '_, F>,
    d: &Deferred,
    dir: Direction<'_>,
    out: &mut [f64],
) -> Result<Option<Vec<f64>>, FdError> {
    Ok(Some(match d.suspect {
        Suspect::Large(target, curved) => {
            p.report.refined_large += 1;
            (p.curved, p.a_priori) = (curved, !curved);
            let bound = shrink(p, dir, d.t, target, &central(), out);
            (p.curved, p.a_priori) = (false, false);
            bound?
        }
        Suspect::Own(target) => own_scale::check(p, dir, d.t, target, &central(), true, out)?
            .expect("a check that may reuse its level decides"),
        Suspect::Inflection(target) => {
            let (bound, floor) = inflection::check(p, dir, d.t, target, out)?;
            let mark = p.start_direction();
            p.bound(entry_bound(p, dir, &bound) + floor);
            p.end_direction(mark);
            return Ok(None);
        }
        Suspect::Rounding | Suspect::NoiseLike => {
            p.report.refined_rounding += 1;
            grow(p, dir, d.t, out)?
        }
    }))
}

/// Before the first direction: the step scale of a declared noise level, or the noise
/// estimate under `NoiseMode::Estimate`.
pub(crate) fn prepare<F: Function + ?Sized>(p: &mut Probe<'_, '_, F>) -> Result<(), FdError> {
    if p.report.noise_source == NoiseSource::Declared {
        p.step_scale = noise_scale(p);
    } else if p.opts.noise_mode() == NoiseMode::Estimate {
        p.noise_tried = true;
        estimate_noise(p)?;
    }
    Ok(())
}

/// After all directions, under `NoiseMode::Auto` with no noise declared: when at least
/// two directions, and a quarter of them, showed second differences far above what the
/// step rule assumes (`|D2| > 30 r^2 M` both for their own M and for the largest M of
/// the call: a smooth f near an extremum along one direction has f' -> 0 there, but not
/// along all), or at least five, and a quarter of them, faint noise (`|D2| > 6 r^2 M`
/// likewise; module doc), or the root mean square of `|D2|` over at least 8 directions
/// above `3.5 r^2 M` and shared evenly between them (noise spread over every direction;
/// module doc, [`noise::spread_evenly`]), estimates the noise;
/// true when it is significant, so that every direction is to be done again at the noise
/// step.
pub(crate) fn noise_trigger<F: Function + ?Sized>(
    p: &mut Probe<'_, '_, F>,
    directions: usize,
) -> Result<bool, FdError> {
    if p.opts.noise_mode() != NoiseMode::Auto {
        return Ok(false);
    }
    if p.noise_mid_pass {
        // Estimated by a refinement of this pass ([`doubtful`]): its verdict.
        p.noise_mid_pass = false;
        p.step_scale = noise_scale(p);
        return Ok(p.step_scale > 1.0);
    }
    if p.noise_tried || p.report.noise_source != NoiseSource::None {
        return Ok(false);
    }
    // Each |D2| is weighed against the largest M of the call, not its direction's own:
    // near an extremum of a smooth f along one direction, f' -> 0 there, but not along
    // all (curvature, not noise).
    let r = relative_step(p);
    let evidence = Evidence {
        kept: &p.second_differences,
        count: p.second_difference_count,
        squares: p.second_difference_squares,
        nonzero: p.second_difference_nonzero,
        sum: p.second_difference_sum,
    };
    if !evidence.calls_for_estimate(r * r * p.max_change, directions) {
        return Ok(false);
    }
    p.noise_tried = true;
    estimate_noise(p)?;
    if p.step_scale > 1.0 && !noise::everywhere(p) {
        // Not noise: features of f in a few directions (`noise::everywhere`). Those
        // directions are checked at half their step (`lone.rs`).
        noise::reject(p);
    }
    Ok(p.step_scale > 1.0)
}

/// What the noise trigger weighs at the end of a pass ([`noise_trigger`]): the second
/// differences kept ([`note_second_difference`]), how many it saw, the sum of their
/// squares, how many are not zero and their sum.
pub(crate) struct Evidence<'a> {
    pub kept: &'a [f64],
    pub count: usize,
    pub squares: noise::Squares,
    pub nonzero: usize,
    pub sum: f64,
}

impl Evidence<'_> {
    /// Whether the evidence of a pass over `directions` directions calls for a noise
    /// estimate, `unit` being `r^2 M` with M the pass's largest change (the rules of
    /// [`noise_trigger`]). Shared with the small calls' flat path (`small.rs`).
    pub(crate) fn calls_for_estimate(&self, unit: f64, directions: usize) -> bool {
        let above = |factor: f64| self.kept.iter().filter(|&&v| v > factor * unit).count();
        let (noisy, faint) = (above(LARGE), above(FAINT));
        let strong = noisy >= 2 && 4 * noisy >= directions;
        let weak = faint >= FAINT_DIRECTIONS && 4 * faint >= directions;
        let (count, squares) = (self.count, &self.squares);
        let (nonzero, sum) = (self.nonzero, self.sum);
        let spread = count >= SPREAD_DIRECTIONS
            && squares.above(SPREAD * unit, count)
            && noise::spread_evenly(nonzero, sum, squares);
        let loud = noise::loud_spread(count, nonzero, sum, squares, unit);
        strong || weak || spread || loud
    }
}

/// Whether [`note_second_difference`] keeps a second difference `d2` in the trigger's list,
/// with `r` the relative step and `max_change` the largest change seen so far.
pub(crate) fn kept_for_trigger(d2: f64, r: f64, max_change: f64) -> bool {
    d2 > FAINT * r * r * max_change
}

/// Counts a direction's second difference for the noise trigger: in the sum of squares
/// always, in the list only while it exceeds the faint threshold of the largest change
/// seen so far. That change only grows, so a value below it now stays below it at the end
/// of the pass, where the trigger counts the list against both thresholds (`LARGE >
/// FAINT`): the trigger decides exactly as if every value were kept.
fn note_second_difference<F: Function + ?Sized>(p: &mut Probe<'_, '_, F>, d2: f64) {
    p.second_difference_count += 1;
    p.second_difference_squares.add(d2);
    p.second_difference_sum += d2;
    p.second_difference_largest = p.second_difference_largest.max(d2.abs());
    p.second_difference_nonzero += usize::from(d2 != 0.0);
    if p.report.noise_source == NoiseSource::None
        && p.opts.noise_mode() == NoiseMode::Auto
        && p.every_second.len() < noise::EVERY_KEPT
    {
        if p.every_second.capacity() == 0 {
            p.every_second = scratch_for(0, p.x.len().min(noise::EVERY_KEPT));
        }
        p.every_second.push(d2);
    }
    let r = relative_step(p);
    if kept_for_trigger(d2, r, p.max_change) {
        if p.second_differences.capacity() == 0 {
            // Room for one per axis direction, from the thread's spare vectors.
            p.second_differences = scratch_for(0, p.x.len());
        }
        p.second_differences.push(d2);
    }
}

/// Runs the noise estimate and, when the noise is significant, sets the step scale.
pub(crate) fn estimate_noise<F: Function + ?Sized>(
    p: &mut Probe<'_, '_, F>,
) -> Result<(), FdError> {
    if p.report.noise_source == NoiseSource::Declared {
        return Ok(());
    }
    if let Some(levels) = noise::estimate(p)? {
        p.report.noise = levels.iter().map(|l| l.unwrap_or(0.0)).collect();
        p.report.noise_source = NoiseSource::Estimated;
        p.step_scale = noise_scale(p);
    }
    Ok(())
}

/// The multiple of the plain step that balances the known noise against truncation
/// (module doc), or 1 when that is not significantly larger. The noise is taken relative
/// to the larger of `max |f_i(x)|` and the change of f over the step rule's scale seen so
/// far ([`Probe::f_scale`]): a well-scaled sum of sines near 0 rounds on its terms' scale,
/// and that rounding is not noise the plain step needs to avoid.
pub(crate) fn noise_scale<F: Function + ?Sized>(p: &Probe<'_, '_, F>) -> f64 {
    let eps = f64::EPSILON;
    let top = p.y0.iter().fold(0.0f64, |a, &b| a.max(b.abs()));
    let noise = p.report.noise.iter().fold(0.0f64, |a, &b| a.max(b));
    if noise <= 0.0 {
        return 1.0;
    }
    let top = top.max(p.f_scale);
    let rel = noise / if top > 0.0 { top } else { 1.0 };
    let scheme = p.opts.scheme();
    let c = match scheme {
        Scheme::Central => (3.0 * rel / eps).cbrt(),
        Scheme::Forward | Scheme::Backward => (4.0 * rel / eps).sqrt(),
        Scheme::Central4 => (rel / eps).powf(0.2),
    };
    let r = p
        .opts
        .relative_step()
        .unwrap_or_else(|| scheme.default_relative_step());
    // Under the estimate mode the estimate precedes every direction: the change along its
    // table stands for f's scale in the floor (an exact sin at 40.8 measured 2.2e-15, the
    // rounding of x's moves `|f'| eps |x|`, and took a step 32 times the plain one: 1e-5
    // off with a bound of 1e-7, probe15 finding 3). The default keeps its columns' scale.
    let sampled = if p.opts.noise_mode() == NoiseMode::Estimate {
        p.sampled_change
    } else {
        0.0
    };
    if c < NOISE_SIGNIFICANT || rel < NOISE_FLOOR * eps || noise < NOISE_FLOOR * eps * sampled {
        1.0
    } else {
        c.min(0.1 / r).max(1.0)
    }
}

pub(crate) fn relative_step<F: Function + ?Sized>(p: &Probe<'_, '_, F>) -> f64 {
    relative_step_of(p.opts)
}

/// The relative step `r` of the step rule: the caller's, or the scheme's default.
pub(crate) fn relative_step_of(opts: &Options) -> f64 {
    opts.relative_step()
        .unwrap_or_else(|| opts.scheme().default_relative_step())
}

fn weight<F: Function + ?Sized>(p: &Probe<'_, '_, F>, i: usize) -> f64 {
    p.weights.map_or(1.0, |w| w[i].abs())
}

/// The v-weighted sums over outputs that decide whether a central direction is suspect
/// (`d2`, `m`, `round`, `d1`: see the module doc) and its error bound (`noise`: the
/// weighted sum of the outputs' noise levels). Computed from a column here, or straight
/// from the stencil's outputs by `fused.rs`.
pub(crate) struct Sums {
    pub d2: f64,
    pub m: f64,
    /// `sum |v_i| |f_i|` over the stencil's points (f's own size).
    pub size: f64,
    pub round: f64,
    pub d1: f64,
    pub noise: f64,
    /// The weighted truncation terms of [`plain_bound`] (`max(|D2| r / 6t, own)` per
    /// output, see there).
    pub trunc: f64,
    /// The largest `|D1_i| t / r` (unweighted), for [`Probe::f_scale`].
    pub f_scale: f64,
    /// The weighted grid terms [`grid_error`]: values on a grid coarser than f's rounding.
    pub grid: f64,
}

/// How many grid steps (`quantum::coarse`) each value of an f on a coarse grid is taken
/// to be off: its result's rounding to the grid and its input's (float32: `(float)x`
/// moves f by up to `|f'| ulp32(x) / 2`, a grid step where `|f' x|` is about `|f|`).
const GRID_SHARE: f64 = 2.0;

/// The error a coarse grid of values puts on a central first difference at step `t`, for
/// output values `y0 = f(x)` and `differences` (the second, and the last point's from
/// f(x), or both points' from f(x)): 0 where no coarse grid shows. A stale last point
/// (`Level::grid`) is still one of f's values, or a product term whose low bits only
/// make the grid finer, so that no term is added.
#[inline]
pub(crate) fn grid_error<const K: usize>(y0: f64, differences: [f64; K], t: f64) -> f64 {
    let q = quantum::coarse(y0, differences);
    if q == 0.0 {
        0.0
    } else {
        GRID_SHARE * q / t
    }
}

/// The truncation term of [`plain_bound`] for one output with first difference quotient
/// `d1` and second difference `d2` at step `t`.
#[inline(always)]
pub(crate) fn truncation(d1: f64, d2: f64, t: f64, r: f64) -> f64 {
    let d2 = d2.abs();
    let own = square_over(1.0, d2, 2.0 * t * t * d1.abs()).min(d2 / (2.0 * t));
    (d2 * r / (6.0 * t)).max(own)
}

/// `k a^2 / b` (`k >= 1`, `a >= 0`), the truncation models' `f''^2 / f'`, as `k a a / b`
/// where `k a a` is a normal number (the bits they always had) and as `k a (a / b)` where
/// it underflows: a D2 below 1.5e-154 squared to 0, and x e^-x at 590 (f about 1e-254)
/// reported a bound of 8e-9 relative for an error of 2.1e-6 (note28, "found by the lead";
/// VJP, JVP and Jacobian alike); and where it overflows: a D2 above 1.3e154 squared to
/// infinity, and the bound fell back to a cruder term, up to 60 times wider, for outputs
/// above about 1e158 (review 4). Only the bound.
#[inline(always)]
fn square_over(k: f64, a: f64, b: f64) -> f64 {
    let square = k * a * a;
    if (f64::MIN_POSITIVE..f64::INFINITY).contains(&square) || a == 0.0 {
        square / b
    } else {
        k * a * (a / b)
    }
}

/// The floor of [`plain_bound`]'s truncation term, in units of `r^2 |D1| / 6`: the error
/// `t^2 |f'''| / 6` of a function varying on no scale shorter than a quarter of the step
/// rule's `t / r = max(|x_j|, typ_j)` (`|f'''| <= 16 |f'| / (t / r)^2`). The second
/// difference reads f''' from f'', which vanishes at an inflection point: there the
/// truncation term alone held only rounding (sin at π: a bound of 2e-16 for an error of
/// 6e-11, `tests/fd_report_bound_inflection.rs`).
const CURVATURE_FLOOR: f64 = 16.0;

/// The relative step of [`truncation_floor`] for a stencil of this probe: `r`, times the
/// step scale at a noise step. The floor is f's variation on a quarter of the step rule's
/// scale over the step actually taken: at a noise step `c t` with the plain `r` it was `c^2`
/// too small, and noise steps near an inflection point of f (where the stencil sees no
/// f'') had bounds short (`tests/noisy_step_bound_floor.rs`: 59 of 2,400 by up to 3.6
/// times, 10 now by up to 2.9, the median bound over the error unchanged at 47).
#[inline]
pub(crate) fn floor_step<F: Function + ?Sized>(p: &Probe<'_, '_, F>, r: f64) -> f64 {
    if p.step_scale > 1.0 {
        r * p.step_scale
    } else {
        r
    }
}

/// [`CURVATURE_FLOOR`]'s term for a (weighted sum of) first difference quotient(s) `d1`.
#[inline(always)]
pub(crate) fn truncation_floor(d1: f64, r: f64) -> f64 {
    CURVATURE_FLOOR * r * r * d1.abs() / 6.0
}

/// The [`Sums`] of a central stencil's column `d1` over all outputs, or over `rows` (a
/// column of a group).
fn sums<F: Function + ?Sized>(
    p: &Probe<'_, '_, F>,
    t: f64,
    d1: &[f64],
    rows: Option<&[usize]>,
) -> Sums {
    let r = relative_step(p);
    let eps = f64::EPSILON;
    let (mut sum_d2, mut sum_m, mut sum_round, mut sum_d1) = (0.0, 0.0, 0.0, 0.0);
    let (mut trunc, mut f_scale, mut size, mut grid) = (0.0, 0.0f64, 0.0, 0.0);
    let mut add = |i: usize| {
        let (d, w) = (d1[i], weight(p, i));
        let mag = p.ws.magnitude[i];
        grid += w * grid_error(p.y0[i], [p.ws.second[i], p.ws.y[i] - p.y0[i]], t);
        sum_d2 += w * p.ws.second[i].abs();
        sum_m += w * (SIZE * mag * t).max(d.abs() * t / r);
        size += w * mag * t;
        sum_round += w * eps * mag;
        sum_d1 += w * d.abs();
        trunc += w * truncation(d, p.ws.second[i], t, r);
        f_scale = f_scale.max(d.abs() * t / r);
    };
    match rows {
        None => (0..d1.len()).for_each(&mut add),
        Some(rows) => rows.iter().for_each(|&i| add(i)),
    }
    Sums {
        d2: sum_d2,
        m: sum_m,
        size,
        round: sum_round,
        d1: sum_d1,
        noise: 0.0,
        trunc,
        f_scale,
        grid,
    }
}

/// What the refinement needs of a direction's plain stencil before it is evaluated.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum Need {
    /// Nothing: no test, no bound (steps chosen by the caller, one-sided or fourth-order
    /// directions not suspect a priori).
    Nothing,
    /// The weighted sums ([`Sums`]) only, unless they show a suspect direction.
    Sums,
    /// The column output by output: suspect a priori (see [`classify`]), so refined.
    Columns,
}

/// What [`after_plain`] will need for the direction `dir` at step `t` (the choice of
/// `fused.rs`): the a priori tests of [`classify`] and [`one_sided`], without evaluating.
pub(crate) fn need<F: Function + ?Sized>(p: &Probe<'_, '_, F>, dir: Direction<'_>, t: f64) -> Need {
    need_at(p.opts, p.x, p.step_scale, dir, t)
}

/// [`need`] from what it reads of the probe: the options, the point and the step scale
/// (the small calls' flat path asks it before it has a probe, `small.rs`).
#[inline]
pub(crate) fn need_at(
    opts: &Options,
    x: &[f64],
    step_scale: f64,
    dir: Direction<'_>,
    t: f64,
) -> Need {
    if opts.steps().is_some() || opts.relative_step().is_some() {
        return Need::Nothing;
    }
    let axis = match dir {
        Direction::Axis(j) => Some((x[j].abs(), opts.typical().map_or(1.0, |t| t[j]))),
        Direction::Vector(_) | Direction::Group(..) => None,
    };
    match opts.scheme() {
        // Fourth order: only the axis directions `fourth.rs` may refine, as central ones
        // (below `typ_j / 100` too: from D2 or at its own scale; a VJP's fused column
        // there kept a plain value 5e-3 off, without a bound, where the Jacobian's was
        // refined).
        Scheme::Central4 => match axis {
            Some((ax, typ))
                if step_scale <= 1.0
                    && ax != 0.0
                    && (t > ax
                        || ax > FAR_ABOVE * typ
                        || ax < typ / SMALL_X
                        || fourth::shorter_scale(ax, typ)
                        || above_default(ax, typ)) =>
            {
                Need::Columns
            }
            _ => Need::Nothing,
        },
        Scheme::Forward | Scheme::Backward => match axis {
            Some((ax, typ))
                if step_scale <= 1.0
                    && ax != 0.0
                    && (t > ax || ax < typ / FAR_BELOW || ax > FAR_ABOVE * typ) =>
            {
                Need::Columns
            }
            _ => Need::Nothing,
        },
        // A noise step's bound is the general path's (`after_plain`), which the fused
        // sums cannot give (its truncation model at the scale `c r`, and the check of
        // `noise_step.rs`): a VJP's bound must be the Jacobian's.
        // Under the default (the noise estimated after a plain pass) the fused bound stays.
        // Under the default, the axes whose noise step is checked at typ_j's scale
        // (`noise_step.rs`: the inflection range) too.
        Scheme::Central
            if step_scale > 1.0
                && axis.is_some_and(|(ax, typ)| {
                    opts.noise().is_some()
                        || opts.noise_mode() == NoiseMode::Estimate
                        || inflection_range(ax, typ)
                }) =>
        {
            Need::Columns
        }
        Scheme::Central => match axis {
            Some((ax, typ)) if step_scale <= 1.0 && central_axis_suspect(ax, typ, t) => {
                Need::Columns
            }
            _ => Need::Sums,
        },
    }
}

/// Whether [`need_at`] suspects the axis direction of an element `|x_j| = ax` (typical
/// magnitude `typ`) at step `t` for the central scheme at the default step rule and a step
/// scale of at most 1: `Need::Columns` then, `Need::Sums` otherwise. Apart so that the
/// small calls' flat path (`small.rs`, whose options are those) asks it per column without
/// the rest of `need_at` (about 40 instructions per column of a VJP at n = 8, issue 15).
#[inline(always)]
pub(crate) fn central_axis_suspect(ax: f64, typ: f64, t: f64) -> bool {
    ax != 0.0
        && (t > ax
            || ax > FAR_ABOVE * typ
            || ax < typ / SMALL_X
            || above_default(ax, typ)
            || inflection_range(ax, typ))
}

/// [`after_plain`] from the weighted sums alone, for an axis direction `e_j` whose
/// [`need`] was `Sums` (the only caller is `fused.rs`): notes its second difference for
/// the noise trigger and records its error bound, as [`classify`] and [`after_plain`]
/// would, without asking [`classify`] whether it is suspect, because it cannot be:
///
/// - with a noise step (`step_scale > 1`), [`classify`] returns `None` at once;
/// - otherwise [`need`] said `Sums`, so `x_j = 0` or none of `t > |x_j|`, `|x_j| > 1e3
///   typ_j`, `|x_j| < typ_j / 100`, [`above_default`] holds. The axis's [`Reach`] then
///   has `far_below` and `small` false (they need `0 < |x_j| < typ_j / 1e3`, resp. `/
///   100`), `a_priori` false (it needs `t > |x_j| != 0` or `|x_j| > 1e3 typ_j`) and
///   `above_default` false, so [`judge`] returns neither `Rounding`, `Large`, nor `Own`: only `NoiseLike` (when `|D2| > 30 r^2 M`)
///   or `None`, which [`after_plain`] treats alike (neither is refined; both count for
///   the noise trigger).
///
/// So the column keeps its plain value whatever its sums say; they only feed the trigger
/// and the bound. Skipping [`reach`] and [`judge`] saved about a fifth of a small call's
/// cost per column (issue 15). `refine/need_tests.rs` pins the argument: over random
/// points, typical magnitudes, steps and sums, a `Sums` direction is never one that
/// [`classify`] would refine.
pub(crate) fn after_sums<F: Function + ?Sized>(
    p: &mut Probe<'_, '_, F>,
    dir: Direction<'_>,
    t: f64,
    s: &Sums,
) {
    // As `classify` does before judging (a noise step skips it all; the scale is never
    // NaN: `noise_scale` is at least 1).
    if p.step_scale <= 1.0 {
        p.f_scale = p.f_scale.max(s.f_scale);
        p.max_change = p.max_change.max(s.m);
        note_second_difference(p, s.d2);
        lone::note(p, dir, t, s);
    }
    // plain_bound weighted by |v| (entry_bound), from the sums; an axis's entry is its
    // direction's.
    let r = relative_step(p);
    let bound = s.trunc + truncation_floor(s.d1, floor_step(p, r)) + s.round + s.noise / t + s.grid;
    p.bound(bound + refuted_floor(p, s, t));
}

/// The floor of [`truncation_floor`] at f's own scale where the second difference refutes
/// the step rule's (a direction kept at its plain value): with the weighted sums `|D1|`
/// and `|D2|`, f's own scale `|f' / f''| ≈ t^2 |D1| / |D2|` more than [`LARGE`] times
/// below the rule's `t / r` (`|D2| > 30 r t |D1|`), f''' is taken as `16 |f'| / s^2` for
/// that s, i.e. `16 D2^2 / (6 t^2 |D1|)`, capped at `|D2| / (2 t)` as the truncation
/// term is. The truncation term reads f''' as `3 f''^2 / f'`, which an oscillation
/// between its extrema exceeds (`f''' = -f'`: sin at 801.6 with typ 1, `tan x = -0.53`:
/// 1.5e-6 off with a bound of 1.28e-6, probe9 §2.6). 0 where the scales agree. At a
/// noise step see [`noise_step_floor`].
pub(crate) fn refuted_floor<F: Function + ?Sized>(p: &Probe<'_, '_, F>, s: &Sums, t: f64) -> f64 {
    if p.step_scale > 1.0 {
        return noise_step_floor(s.d1, s.d2, t, relative_step(p) * p.step_scale);
    }
    refuted_floor_of(s.d1, s.d2, t, relative_step(p))
}

/// The floor of [`refuted_floor`] at a noise step `t = c t_0` (`rc = c r`): f's own scale
/// `s = t^2 |D1| / |D2|` below the rule's `t / rc` at all takes f''' as `16 |f'| / s^2`,
/// which at `s = t / rc` is [`truncation_floor`]'s own term, so the floor grows
/// continuously as s shrinks. Why not [`LARGE`] times below, as at the plain step: the
/// noise step is `c` times longer and the bound's truncation term reads f''' as `3 f''^2 /
/// f'`, which a sine between its extrema exceeds by `cot^2`: `sin(x / 0.1)` plus noise of
/// 1e-9, declared, at -0.28: 4.6e-4 off with a bound of 2.5e-4 (probe12 finding 2,
/// `tests/noisy_step_scale.rs`). At such a step f's variation, not the noise, dominates
/// D2 (the noise is balanced against `t^3 |f'''|`, `t / s` times below `t^2 |f''|`), so
/// noise does not raise it. Only the bound.
fn noise_step_floor(d1: f64, d2: f64, t: f64, rc: f64) -> f64 {
    let (d1, d2) = (d1.abs(), d2.abs());
    if d2 > rc * t * d1 {
        square_over(CURVATURE_FLOOR, d2, 6.0 * t * t * d1).min(d2 / (2.0 * t))
    } else {
        0.0
    }
}

/// [`refuted_floor`] from the sums `d1`, `d2` at step `t` with relative step `r`.
#[inline]
pub(crate) fn refuted_floor_of(d1: f64, d2: f64, t: f64, r: f64) -> f64 {
    let (d1, d2) = (d1.abs(), d2.abs());
    if d2 > LARGE * r * t * d1 {
        square_over(CURVATURE_FLOOR, d2, 6.0 * t * t * d1).min(d2 / (2.0 * t))
    } else {
        0.0
    }
}

fn classify<F: Function + ?Sized>(
    p: &mut Probe<'_, '_, F>,
    dir: Direction<'_>,
    t: f64,
    s: &Sums,
) -> Option<Suspect> {
    if p.step_scale > 1.0 {
        return None; // a noise step: large second differences are expected
    }
    // An axis far above typ_j: f varies on the scale typ_j there, not |x_j|, so its change
    // over the step rule's scale is taken over typ_j. Over |x_j| it made the call's largest
    // change `|x_j| / typ_j` times too large, and the noise trigger then weighed every
    // other direction's D2 against it (sines plus hash noise of 1e-9..1e-6 with one
    // element at 1e4..1e6: the trigger never fired, 100..2,600 ε^(2/3) off).
    let far = match dir {
        Direction::Axis(j) => {
            let (ax, typ) = (p.x[j].abs(), p.opts.typical().map_or(1.0, |t| t[j]));
            if ax > FAR_ABOVE * typ {
                typ / ax
            } else {
                1.0
            }
        }
        _ => 1.0,
    };
    p.f_scale = p.f_scale.max(s.f_scale * far);
    p.max_change = p.max_change.max(s.m * far);
    let reach = match dir {
        Direction::Axis(j) => Some(reach(p, [(j, 1.0)], t)),
        Direction::Vector(u) => Some(reach(
            p,
            u.iter()
                .enumerate()
                .filter(|(_, &uj)| uj != 0.0)
                .map(|(j, &uj)| (j, uj.abs())),
            t,
        )),
        // A group is judged column by column (`sparse.rs`); as a whole, only for noise.
        Direction::Group(..) => None,
    };
    let suspect = judge(p, s, reach.as_ref(), t);
    // A direction only checked at its own scale (`Own`) counts as one not suspect.
    if let (None | Some(Suspect::NoiseLike | Suspect::Own(_) | Suspect::Inflection(_)), false) =
        (&suspect, matches!(dir, Direction::Group(..)))
    {
        // Counted once: such a direction is classified only once (a direction to refine
        // is classified again on its column; an axis direction checked at its own scale
        // needs its column a priori, [`need`], so it never reaches [`after_sums`]). A
        // group counts only when none of its columns is refined ([`after_plain`]).
        note_second_difference(p, s.d2);
    }
    suspect
}

/// How a direction's step compares with the elements it moves (element j moves by
/// `t u_j`): the a priori tests of the module doc, taken over every moved element, and
/// the step along the direction at the elements' own scales.
struct Reach {
    /// Some element has `0 < |x_j| < typ_j / 1e3` (f' may be tiny next to f).
    far_below: bool,
    /// Some element has `0 < |x_j| < typ_j / 100` (a large D2 means x_j's own scale).
    small: bool,
    /// Some element moves by more than `|x_j| != 0`, or has `|x_j| > 1e3 typ_j`.
    a_priori: bool,
    /// `min_j r s_j / u_j` with s_j the element's own scale: `|x_j|` below typ_j, typ_j
    /// far above it, else `max(|x_j|, typ_j)` (along an axis, `r |x_j|` or `r typ_j`).
    target: f64,
    /// Some element has `|x_j| > 1e3` but not `|x_j| > 1e3 typ_j` (a declared typ_j above
    /// 1): refined as without typ_j where D2 shows f varying on a shorter scale
    /// ([`judge`]).
    above_default: bool,
    /// [`Reach::target`] with every typ_j above 1 taken as 1 (the default's).
    default_target: f64,
    /// The smallest `typ_j / |u_j|` of the elements with `4 typ_j < |x_j| <= 1e3 typ_j`
    /// ([`inflection_range`]; infinite when there are none).
    inflection_typ: f64,
}

/// The [`Reach`] of a step `t` along the elements `(j, |u_j|)` (`u_j != 0`).
fn reach<F: Function + ?Sized>(
    p: &Probe<'_, '_, F>,
    moved: impl IntoIterator<Item = (usize, f64)>,
    t: f64,
) -> Reach {
    let r = relative_step(p);
    let mut a = Reach {
        far_below: false,
        small: false,
        a_priori: false,
        target: f64::INFINITY,
        above_default: false,
        default_target: f64::INFINITY,
        inflection_typ: f64::INFINITY,
    };
    for (j, uj) in moved {
        let (ax, typ) = (p.x[j].abs(), p.opts.typical().map_or(1.0, |t| t[j]));
        let nonzero = ax != 0.0;
        a.far_below |= nonzero && ax < typ / FAR_BELOW;
        a.small |= nonzero && ax < typ / SMALL_X;
        a.a_priori |= (nonzero && t * uj > ax) || ax > FAR_ABOVE * typ;
        a.above_default |= above_default(ax, typ);
        a.target = a.target.min(r * own_scale_of(ax, typ) / uj);
        a.default_target = a
            .default_target
            .min(r * own_scale_of(ax, typ.min(1.0)) / uj);
        if inflection_range(ax, typ) {
            a.inflection_typ = a.inflection_typ.min(typ / uj);
        }
    }
    a
}

/// Whether `|x_j| > 1e3 typ_j`, as [`Reach::a_priori`] reads it.
fn far_above_typ<F: Function + ?Sized>(p: &Probe<'_, '_, F>, j: usize) -> bool {
    p.x[j].abs() > FAR_ABOVE * p.opts.typical().map_or(1.0, |t| t[j])
}

/// The scale an element's refinement resolves ([`Reach::target`]): `|x_j|` below typ_j,
/// typ_j far above it, else `max(|x_j|, typ_j)`.
fn own_scale_of(ax: f64, typ: f64) -> f64 {
    if ax != 0.0 && ax < typ {
        ax
    } else if ax > FAR_ABOVE * typ {
        typ
    } else {
        ax.max(typ)
    }
}

/// `|x_j| > 1e3`, far above the default typical magnitude 1, but not far above a declared
/// typ_j: the step rule's `r |x_j|` then rests on the caller's typ_j alone (typ_j = |x_j|
/// makes sin at 1e7 a step of 74, where three points alias: [`judge`]).
fn above_default(ax: f64, typ: f64) -> bool {
    ax > FAR_ABOVE && ax <= FAR_ABOVE * typ
}

/// `4 typ_j < |x_j| <= 1e3 typ_j`: above the scale the truncation floor covers, below the
/// elements refined a priori (`inflection.rs`).
fn inflection_range(ax: f64, typ: f64) -> bool {
    ax > ABOVE * typ && ax <= FAR_ABOVE * typ
}

/// The typical magnitude a refinement of element j resolves: typ_j, or the default's 1
/// where [`above_default`] (the refinement was asked for because f varies on a scale far
/// below the declared typ_j).
pub(crate) fn resolved_typical(ax: f64, typ: f64) -> f64 {
    if above_default(ax, typ) {
        1.0
    } else {
        typ
    }
}

/// The suspicion of the module doc from a direction's sums and, for directions whose
/// moved elements are known, their [`Reach`].
fn judge<F: Function + ?Sized>(
    p: &Probe<'_, '_, F>,
    s: &Sums,
    reach: Option<&Reach>,
    t: f64,
) -> Option<Suspect> {
    let r = relative_step(p);
    let large = s.d2 > LARGE * r * r * s.m;
    if let Some(a) = reach {
        // Rounding first: f' tiny next to f; a step larger than x_j is then no sign of a
        // shorter scale (cos near 0), nor is a D2 that only M's small weight of |f| calls
        // large (cos(x) alone has |D2| = t^2 |f|; so has a vector moving 40 such terms at
        // once): a smaller step could only add rounding. A D2 large against |f| itself
        // (log|x| straddled by the stencil) does mean a shorter scale.
        let ordinary = s.d2 <= LARGE * r * r * s.size;
        if a.far_below && s.round > ROUNDING * s.d1 && (!large || ordinary) {
            return Some(Suspect::Rounding);
        }
        if a.a_priori {
            // Refined whatever D2 says: D2 does not predict the plain value's truncation
            // (a step beyond x_j straddles f's own scale; aliasing far above typ_j).
            return Some(Suspect::Large(a.target, false));
        }
        if large && a.above_default {
            // A declared typ_j far above the scale D2 shows: refined as the default would
            // have been, a priori (at 1e3..1e12, typ_j = |x_j|, sin kept its plain value at
            // 6 of 6 decades from 1e7 with bounds up to 1e9 times too small).
            return Some(Suspect::Large(a.default_target, false));
        }
    }
    if large {
        let shorter = t / (s.d2 / (r * r * s.m)).sqrt();
        return Some(match reach {
            Some(a) if a.small => Suspect::Large(shorter.min(a.target), true),
            // With no noise trigger to speak (the noise declared, estimated before the
            // pass, or off), a large D2 in the inflection range is curvature, and the
            // inflection check runs as below: near sin's zeros the refuted floor reads
            // the third derivative short (sin at 392.49 under the estimate mode: 9.2e-7
            // off with a bound of 8.1e-7; the default widens such bounds by its noise
            // band instead).
            Some(a)
                if p.opts.noise_mode() != NoiseMode::Auto
                    && inflection::inconclusive(s, t, r, a.inflection_typ) =>
            {
                Suspect::Inflection(r * a.inflection_typ)
            }
            _ => Suspect::NoiseLike,
        });
    }
    match reach {
        Some(a) if a.small => Some(Suspect::Own(a.target)),
        Some(a) if inflection::inconclusive(s, t, r, a.inflection_typ) => {
            Some(Suspect::Inflection(r * a.inflection_typ))
        }
        _ => None,
    }
}

/// The error model of an unrefined central difference, per output: truncation
/// `t^2 |f'''| / 6` with `f''' ≈ f'' / s` for the smaller of two scales s of f: the step
/// rule's `t / r`, and f's own `|f' / f''|` (log near 0 varies on the scale x_j, not 1),
/// taken three times (`f''' = 2 f''^2 / f'` for log: a margin of 1.5) and capped at `|D2| / (2 t)` (the error of
/// a one-sided difference, for f' near 0), plus a floor for f varying on a quarter of the
/// step rule's scale ([`truncation_floor`], where f'' vanishes); rounding `eps ρ`; noise
/// `ε / t`. The fourth-order scheme's truncation is its own ([`fourth::truncation`]).
fn plain_bound<F: Function + ?Sized>(p: &Probe<'_, '_, F>, t: f64, d1: &[f64]) -> Vec<f64> {
    let r = relative_step(p);
    let floor_r = floor_step(p, r);
    let fourth = p.opts.scheme() == Scheme::Central4;
    (0..d1.len())
        .map(|i| {
            if fourth {
                return fourth::truncation(d1[i], p.ws.second[i], t, r)
                    + f64::EPSILON * p.ws.magnitude[i]
                    + noise_of(p, i) / t;
            }
            truncation(d1[i], p.ws.second[i], t, r)
                + truncation_floor(d1[i], floor_r)
                + f64::EPSILON * p.ws.magnitude[i]
                + noise_of(p, i) / t
        })
        .collect()
}

/// The per-output error bounds of a fall-back stencil just applied at step `t` (its
/// quotient in `d1`, its rounding scale and the sums `ws.second` in the workspace); NaN
/// where the stencil gives none (forward, backward or fourth-order schemes, or steps the
/// caller chose, as for the plain stencil).
///
/// Central scheme: the central stencil at a smaller step has the plain model
/// ([`plain_bound`]). A one-sided stencil of second order `(-3 f_0 + 4 f_1 - f_2) / 2t`
/// holds the first-order quotient `(f_1 - f_0) / t` too (`ws.second` is `f_1 - f_0`): the
/// two differ by `(f_0 - 2 f_1 + f_2) / 2t ≈ t |f''| / 2`, the first-order one's
/// truncation, which exceeds the second-order one's (`t^2 |f'''| / 3`) while t is below
/// the scale on which f varies; twice that difference, plus rounding and noise `ε / t`, is
/// the bound. A fall-back's step is often far below the plain one (a few 1e-9 inside
/// tight bounds), where rounding dominates: it is taken as [`FALLBACK_ROUNDING`]` eps ρ`
/// (f computed in a few operations carries a few half-ulps; one `eps ρ` was exceeded by
/// 1.3 times the bound's own value on the issue's tight-bounds function).
pub(crate) fn fallback_bounds<F: Function + ?Sized>(
    p: &Probe<'_, '_, F>,
    stencil: &Placed,
    t: f64,
    d1: &[f64],
) -> Vec<f64> {
    let candidates = Scheme::Central.candidates();
    let caller_steps = p.opts.steps().is_some() || p.opts.relative_step().is_some();
    if caller_steps || p.opts.scheme() != Scheme::Central {
        return vec![f64::NAN; d1.len()];
    }
    if *stencil == candidates[0] {
        let plain = plain_bound(p, t, d1);
        return (0..d1.len())
            .map(|i| plain[i] + fallback_rounding(p, i) + grid(p, t, i))
            .collect();
    }
    (0..d1.len())
        .map(|i| {
            let first_order = stencil.side * p.ws.second[i] / t;
            ONE_SIDED_SAFETY * (d1[i] - first_order).abs() + one_sided_rounding(p, t, i)
        })
        .collect()
}

/// The part of a one-sided fall-back's bound ([`fallback_bounds`]) for output `i` that is
/// not truncation: rounding, noise and the grid, at the step `t` of the stencil that
/// `derivative::apply` evaluated last.
pub(crate) fn one_sided_rounding<F: Function + ?Sized>(
    p: &Probe<'_, '_, F>,
    t: f64,
    i: usize,
) -> f64 {
    fallback_rounding(p, i) + noise_of(p, i) / t + ONE_SIDED_GRID * grid(p, t, i)
}

/// A fall-back quotient's rounding, [`FALLBACK_ROUNDING`]` eps ρ`.
fn fallback_rounding<F: Function + ?Sized>(p: &Probe<'_, '_, F>, i: usize) -> f64 {
    FALLBACK_ROUNDING * f64::EPSILON * p.ws.magnitude[i]
}

/// One grid step of f's values, from the points' differences from f(x) (`ws.y` holds the
/// last point's values).
fn grid<F: Function + ?Sized>(p: &Probe<'_, '_, F>, t: f64, i: usize) -> f64 {
    grid_error(p.y0[i], [p.ws.second[i], p.ws.y[i] - p.y0[i]], t)
}

/// A one-sided second-order quotient weighs its values `(3, 4, 1) / 2t`: a grid step on
/// each moves it 4 times as far as the central quotient's `(1, 1) / 2t`.
const ONE_SIDED_GRID: f64 = 4.0;

/// The rounding of a fall-back's quotient, in units of `eps ρ` (see [`fallback_bounds`]).
const FALLBACK_ROUNDING: f64 = 4.0;

/// The multiple of the difference between the first- and second-order one-sided
/// quotients taken as the second-order one's error (see [`fallback_bounds`]).
const ONE_SIDED_SAFETY: f64 = 2.0;

/// After a JVP's direction took a stencil at a step `t` the bounds shrank:
/// counts its second difference for the noise the call may carry unseen, and keeps `t`
/// as the step the call's noise widening divides by ([`Probe::fallback_step`]). Why: the
/// widening took the nominal step and no second difference (none was counted), so noise
/// at a step shrunk to the room left in the box went unbounded: hash noise of 1.4e-9 on a
/// sum of sines at x just inside its lower bounds, 1.7e-4 off with a bound of 1.2e-7
/// (probe18 finding 4; with the noise declared, 1.46 times its bound). A JVP has one
/// direction, which the noise trigger never acts on alone: counting it changes no value.
pub(crate) fn note_vector_fallback<F: Function + ?Sized>(
    p: &mut Probe<'_, '_, F>,
    dir: Direction<'_>,
    stencil: &Placed,
    t: f64,
    d1: &[f64],
) -> Result<(), FdError> {
    let Direction::Vector(_) = dir else {
        return Ok(());
    };
    // A one-sided stencil's quotient weighs its three values (3, 4, 1) / 2t: noise counts
    // four times as much as in the central one's (1, 1) / 2t, as at a step 4 times shorter.
    let one_sided = *stencil != central();
    let as_central = if one_sided { t / 4.0 } else { t };
    p.fallback_step = Some(p.fallback_step.map_or(as_central, |s| s.min(as_central)));
    if p.report.noise_source != NoiseSource::None || p.step_scale > 1.0 {
        return Ok(());
    }
    let m = d1.len();
    let kept = if one_sided {
        let mut near = alloc::zeros(m, "a fall-back's first differences")?;
        near.copy_from_slice(&p.ws.second[..m]);
        // The workspace holds `f(x + s t) - f(x)` of a one-sided stencil, and `ws.y` its
        // last point's values: its second difference `f(x + 2st) - 2 f(x + st) + f(x)`
        // in place for the sums, as `one_sided` forms it.
        let (second, last, y0) = (&mut p.ws.second[..m], &p.ws.y[..m], &p.y0[..m]);
        for (((d2, &y), &f0), &step) in second.iter_mut().zip(last).zip(y0).zip(&near) {
            *d2 = (y - f0) - 2.0 * step;
        }
        Some(near)
    } else {
        None
    };
    let s = sums(p, t, d1, None);
    if let Some(near) = kept {
        p.ws.second[..m].copy_from_slice(&near);
        alloc::recycle(near);
    }
    p.max_change = p.max_change.max(s.m);
    note_second_difference(p, s.d2);
    Ok(())
}

/// Raises the report's bound to that of one direction from its per-output bounds.
pub(crate) fn bound_direction<F: Function + ?Sized>(
    p: &mut Probe<'_, '_, F>,
    dir: Direction<'_>,
    b: &[f64],
) {
    let e = entry_bound(p, dir, b);
    p.bound(e);
}

fn noise_of<F: Function + ?Sized>(p: &Probe<'_, '_, F>, i: usize) -> f64 {
    p.report.noise.get(i).copied().unwrap_or(0.0)
}

/// The bound of one entry of the result from per-output bounds in direction units; NaN
/// when some output has none (a fall-back of a scheme without a bound model: forward,
/// backward, fourth order), so that the direction counts as unbounded. `f64::max` drops a
/// NaN: the unweighted maximum (a JVP, a Jacobian) once reported 0 for such a direction.
fn entry_bound<F: Function + ?Sized>(p: &Probe<'_, '_, F>, dir: Direction<'_>, b: &[f64]) -> f64 {
    let total = match p.weights {
        Some(w) => b.iter().zip(w).map(|(b, w)| b * w.abs()).sum::<f64>(),
        None if b.iter().any(|e| e.is_nan()) => f64::NAN,
        None => b.iter().fold(0.0f64, |a, &e| a.max(e)),
    };
    scale_entry(dir, total)
}

/// An entry's bound in the result's units from one in direction units (a group's
/// direction moves each column by its own step).
fn scale_entry(dir: Direction<'_>, total: f64) -> f64 {
    match dir {
        Direction::Group(u, cols) => {
            total / cols.iter().map(|&j| u[j]).fold(f64::INFINITY, f64::min)
        }
        Direction::Axis(_) | Direction::Vector(_) => total,
    }
}

/// `stencil` at step `t` into `out`; false when it does not fit or meets a non-finite
/// value (`out` is then meaningless).
fn try_stencil<F: Function + ?Sized>(
    p: &mut Probe<'_, '_, F>,
    dir: Direction<'_>,
    t: f64,
    stencil: &Placed,
    out: &mut [f64],
) -> Result<bool, FdError> {
    Ok(nonfinite::try_at(p, dir, t, stencil, out)? == Tried::Done)
}

/// The central stencil.
fn central() -> Placed {
    Scheme::Central.candidates()[0]
}

/// Forward and backward differences have no third point. Far above typ_j (`|x_j| > 1e3
/// typ_j`) the direction is refined by extrapolated levels (`far_above.rs`); where an
/// output's rounding swamps its difference, grown levels are offered to it after the
/// refinement below (`grow_one_sided.rs`). Otherwise, only for axis directions suspect a
/// priori (`x_j != 0` and `t > |x_j|` or `|x_j| < typ_j / 1e3`), one more evaluation, at `x + 2t` on the stencil's side, gives the second
/// difference; if it shows f varying on a scale shorter than the rule assumes (`|D2| > 30
/// r^2 M`, `r^2 = eps`), the direction is refined at its own scale as central ones are (2
/// more evaluations). Where it does not and `0 < |x_j| < typ_j / 1e3`, the direction is
/// checked at its own scale (`own_scale.rs`: 1 more evaluation, and 1 more where the check
/// disagrees): an inflection point hides a short scale from D2 as it does centrally (the
/// one-sided step `r typ_j` leaves `(t / s)^2 / 6`, 4e-3 at s = 1e-7). Between `typ_j /
/// 1e3` and `typ_j / 100` nothing is checked: there f's own scale is at least about
/// `|x_j| / 10`, where that error stays below 1e-7.
fn one_sided<F: Function + ?Sized>(
    p: &mut Probe<'_, '_, F>,
    dir: Direction<'_>,
    t: f64,
    out: &mut [f64],
) -> Result<(), FdError> {
    let Direction::Axis(j) = dir else {
        return Ok(());
    };
    if p.step_scale > 1.0 {
        return Ok(());
    }
    let (xj, typ) = (p.x[j].abs(), p.opts.typical().map_or(1.0, |t| t[j]));
    let target = if xj == 0.0 {
        return Ok(());
    } else if t > xj || xj < typ / FAR_BELOW {
        xj
    } else if xj > FAR_ABOVE * typ {
        typ
    } else {
        return Ok(());
    };
    let stencil = p.opts.scheme().candidates()[0];
    let swamped = grow_one_sided::swamped(p, xj, typ, out);
    if xj > FAR_ABOVE * typ {
        // Aliasing the plain step's points cannot see (`far_above.rs`), unless the plain
        // step is the better one where f varies on |x_j| itself (`far_above::or_plain`).
        let m = out.len();
        let mut plain = alloc::zeros(2 * m, "a far-above column's plain values")?;
        plain[..m].copy_from_slice(out);
        plain[m..].copy_from_slice(&p.ws.magnitude[..m]);
        if let Some(mut b) = far_above::one_sided(p, dir, typ, &stencil, out)? {
            p.report.refined_large += 1;
            let plain = (&plain[..m], &plain[m..]);
            far_above::or_plain(p, j, t, typ, &stencil, plain, out, &mut b)?;
            p.bound(entry_bound(p, dir, &b));
            return Ok(());
        }
    }
    let side = stencil.side;
    let far = 2.0 * side * t;
    let (lo, hi) = (far.min(0.0), far.max(0.0));
    let fits_far = p
        .opts
        .bounds()
        .is_none_or(|b| b.admits(j, p.x[j], (lo, hi)));
    let r = relative_step(p);
    let m = out.len();
    let mut edge = !fits_far;
    if fits_far {
        p.ws.xp[j] = p.x[j] + far;
        let result =
            p.ev.eval(&p.ws.xp, &mut p.ws.y, || dir.point(2.0 * side, t));
        p.ws.xp[j] = p.x[j];
        result?;
        edge = p.ws.y[..m].iter().any(|v| !v.is_finite());
    }
    if edge {
        // A bound or a domain edge within 2t: refine at x_j's own scale. The plain value
        // has no bound of its own without its third point: where the refinement cannot
        // take its levels, none (NaN), not the central model's with no second difference
        // (sin at 1e8, forward, NaN at x + 2t: error 0.73, bound 1.7e-16).
        if fits_far {
            p.report.nonfinite_fallbacks += 1;
        }
        p.report.refined_large += 1;
        p.ws.second.fill(0.0);
        let plain = Level::take(p, t, out)?;
        let mut none = alloc::zeros(m, "a one-sided refinement's bounds")?;
        none.fill(f64::NAN);
        let mut b = shrink_from(p, dir, (plain, none), r * target, &stencil, None, out)?;
        grow_one_sided::offer(p, dir, typ, &stencil, (&swamped, &[]), None, out, &mut b)?;
        p.bound(entry_bound(p, dir, &b));
        return Ok(());
    }
    let eps = f64::EPSILON;
    let (mut sum_d2, mut sum_m) = (0.0, 0.0);
    #[allow(clippy::needless_range_loop)] // p is borrowed inside
    for i in 0..m {
        let w = weight(p, i);
        let near = side * out[i] * t; // f(x + s t) - f(x)
        let d2 = (p.ws.y[i] - p.y0[i]) - 2.0 * near;
        p.ws.second[i] = d2;
        sum_d2 += w * d2.abs();
        sum_m += w * (p.ws.magnitude[i] * t).max(out[i].abs() * t / r);
    }
    let seen = grow_one_sided::seen(p, t, &p.ws.second[..m], &swamped);
    let at_t = grow_one_sided::plain(p, t, out, &swamped)?;
    let swamped = (&swamped[..], &seen[..]);
    if sum_d2 <= LARGE * r * r * sum_m {
        let mut b: Vec<f64> = (0..m)
            .map(|i| p.ws.second[i].abs() / (2.0 * t) + eps * p.ws.magnitude[i])
            .collect();
        if target == xj && xj < typ / SMALL_X {
            // x_j far below typ_j and D2 small: f may vary on x_j's own scale at an
            // inflection point (`own_scale.rs`), checked by one more difference there.
            let plain = out.to_vec();
            let checked = own_scale::check(p, dir, t, r * target, &stencil, true, out)?
                .expect("a check that may reuse its level decides");
            for i in 0..m {
                let kept = out[i].to_bits() == plain[i].to_bits();
                b[i] = if kept {
                    b[i].max(checked[i])
                } else {
                    checked[i]
                };
            }
        }
        grow_one_sided::offer(p, dir, typ, &stencil, swamped, at_t.as_ref(), out, &mut b)?;
        p.bound(entry_bound(p, dir, &b));
        return Ok(());
    }
    p.report.refined_large += 1;
    let (plain, second) = (out.to_vec(), p.ws.second[..m].to_vec());
    let pole: Vec<bool> = (0..m)
        .map(|i| stands_out(p.y0[i], second[i], p.ws.magnitude[i], t, false))
        .collect();
    let mut b = shrink(p, dir, t, r * target, &stencil, out)?;
    if TAYLOR * t <= xj {
        explained_by_curvature(t, (&plain, &second, &pole), out, &mut b);
    }
    grow_one_sided::offer(p, dir, typ, &stencil, swamped, at_t.as_ref(), out, &mut b)?;
    p.bound(entry_bound(p, dir, &b));
    Ok(())
}

/// One-sided levels at x_j's own scale whose spread `|L1 - L2|` exceeds this share of
/// `|L2|` carry noise or rounding: a smooth f leaves `t_2 |f''| / 2`, about `t_2 / s` of
/// `|f'|` on its scale s (`r / 2` for s = |x_j|), while noise ε puts `ε / t_2` on both
/// and their spread is one sample of it. The refined value's bound is then also `|P -
/// L2|` plus P's own bound (the triangle inequality; P's noise is `t / t_2` times
/// smaller): the spread alone fell short (a sum of 8 cosines at 1e-9..1e-7 plus hash
/// noise of 3.2e-11..1e-6, forward and backward: up to 7.3 times,
/// `tests/noisy_bounds_cover.rs`). P's own bound reads its noise from one sample of its
/// second difference, so it counts [`NOISE_SAMPLE`] times (the same, noise 1e-6: L2 4.9e10
/// off, P 42 off with a bound of 8.5, and `|P - L2| +` that bound 3.4e1 short). At most
/// [`NOISE_SAMPLE`] times the levels' own
/// estimate: f's rounding passes the test too (a product of 50 square roots near 1e-10,
/// its values near the subnormals), where P's distance is P's truncation, not L2's noise.
/// Only the bound: the choice stays the estimates'.
const SPREAD_OF_NOISE: f64 = 1e-3;

/// See [`SPREAD_OF_NOISE`]: as `noise.rs` counts one direction's second difference (a
/// single sample falls below an eighth of the noise error in a few percent of draws).
const NOISE_SAMPLE: f64 = 8.0;

/// A one-sided step at most `|x_j| / TAYLOR`: f is smooth across the stencil on x_j's own
/// scale, where its second difference predicts the plain value's truncation
/// ([`explained_by_curvature`]).
const TAYLOR: f64 = 4.0;

/// How many times the truncation `|D2| / 2t` that the plain one-sided stencil's second
/// difference shows a refined value may differ from the plain one (plus its own error
/// estimate) and still be taken ([`explained_by_curvature`]).
const EXPLAINED: f64 = 4.0;

/// After a one-sided refinement down from step `t` (`plain` the plain values, `second` the
/// second differences `f(x + 2t) - 2 f(x + t) + f(x)` that called for it, `out` and
/// `bounds` what the refinement chose): keeps the plain value, with the bound `|P - L| +
/// E_L`, of every output whose refined value L is further from the plain P than the
/// truncation P's own second difference shows, [`EXPLAINED`]` |D2| / 2t + E_L`.
///
/// Why: with `t <= |x_j| / 4` on a smooth f (log, 1/x, sqrt near 0: the cases refined),
/// P's error is `t f'' / 2 + O(t^2 f''')` and `|D2| / 2t = t |f''| / 2 + O(t^2 f''')`: the
/// refinement removes what D2 predicted. Noise ε, which nothing here knows of, passes the
/// refinement's test `|D2| > 30 eps M` from ε ≈ 1e-14 on (eps is the one-sided `r^2`),
/// and the refined levels at `r |x_j|` carry `ε / (r |x_j|)`, thousands of times more
/// than P's `ε / t`, so that `|P - L|` is far above `|D2| / 2t ≈ ε / t`: hash noise of
/// 1e-12..1e-7 on a sum of sines with elements at 1e-6..3e-4 was refined at every random
/// point and came out up to 2e6 times worse than the plain step
/// (`tests/noisy_own_scale_paths.rs`).
///
/// A P whose stencil f(x) stands out of ([`stands_out`]: a pole or a singularity
/// nearer x than t) has no error of its own that the levels' estimate E_L, one sample of
/// their spread, bounds with a margin: its bound takes E_L [`OBSERVED`] times (1/(x - p)
/// at 1e-6, p = x - 1e-11, forward: -6.7e18 for -1e22 with a bound 7e15 short of it).
fn explained_by_curvature(
    t: f64,
    (plain, second, pole): (&[f64], &[f64], &[bool]),
    out: &mut [f64],
    bounds: &mut [f64],
) {
    for i in 0..out.len() {
        let apart = (out[i] - plain[i]).abs();
        let explained = EXPLAINED * second[i].abs() / (2.0 * t);
        // A refined value whose own levels disagree by more than P's whole truncation
        // (their error estimate E_L, at least their spread) removed none of it: the levels
        // carry noise or rounding magnified `t / t_L` times.
        let noisy_levels = apart > 0.0 && bounds[i] > explained;
        if apart > explained + bounds[i] || noisy_levels {
            bounds[i] = apart + if pole[i] { OBSERVED } else { 1.0 } * bounds[i];
            out[i] = plain[i];
        }
    }
}

/// A refined value L whose distance from the plain value P lies within this many times
/// the noise its step carries (`ε / t_L`, ε the output's noise level) is read as that
/// noise ([`doubtful`]): uniform noise of standard deviation ε puts L at most `sqrt 3 ε /
/// t_L` from f's difference quotient, and the estimate may read ε low by a third.
const NOISE_APART: f64 = 4.0;

/// A refined pair of levels whose spread (and the part of the finer one's second
/// difference that the coarser one's does not explain) lies this many times below the
/// noise estimated at their step sees f smooth there: the estimate, taken at the plain
/// steps, read f's variation on a scale shorter than them, not noise ([`doubtful`]). Noise
/// makes the spread one sample of `ε / t_L`, below a thousandth of it about once in a
/// thousand, and the second difference's part independently so.
const SMOOTH_AT_L: f64 = 1e3;

/// Settles the refined values `(i, |P - L|, the levels' spread)` of a central refinement called for by the
/// plain second difference alone (`Probe::curved`) that won although their distance
/// from P exceeds [`EXPLAINED`]` |D2_i| / 2t + E_L`, what P's truncation can be for an f
/// smooth across the stencil (`t <= |x_j|`; `t^2 |f'''| / 6` against `t |f''| / 2`: a
/// ratio `t / 3|x|` for log, `t / |x|` for 1/x): either f varies on a scale the plain
/// stencil's D2 does not show (an output at an inflection point), or the levels at the
/// refined steps carry noise magnified `t / t_L` times (hash noise at `t_L = r |x_j| / 2`:
/// a JVP of n = 8 at ε = 1e-7 came out 5.2 off against the plain step's 1.2e-3 when the
/// levels' noise happened to agree). Their spread cannot tell: it is one sample of that
/// noise. The noise level decides: the declared or estimated one, else (under
/// `NoiseMode::Auto`) the noise estimate runs now (12 evaluations, once per call;
/// `noise.rs`), and the trigger takes its verdict at the end of the pass
/// (`Probe::noise_mid_pass`). A distance within [`NOISE_APART`]` ε / t_L` is noise, unless
/// the levels agree far better than that noise allows ([`SMOOTH_AT_L`]: f varying on a
/// scale below the plain step, `sin(x / 1e-12)` at 4e-13, looks like noise to the
/// estimate's plain steps): P is kept with its own bound plus its noise `ε / t`. Under `NoiseMode::Off`, or where the
/// estimate fails, L stays (the refinement as for an exact function).
fn doubtful<F: Function + ?Sized>(
    p: &mut Probe<'_, '_, F>,
    doubted: &[(usize, f64, f64)],
    (plain, plain_b): (&Level, &[f64]),
    t_l: f64,
    out: &mut [f64],
    bounds: &mut [f64],
) -> Result<(), FdError> {
    if p.report.noise_source == NoiseSource::None {
        if p.opts.noise_mode() != NoiseMode::Auto || p.noise_tried {
            return Ok(());
        }
        p.noise_tried = true;
        let Some(levels) = noise::estimate(p)? else {
            return Ok(());
        };
        p.report.noise = levels.iter().map(|l| l.unwrap_or(0.0)).collect();
        p.report.noise_source = NoiseSource::Estimated;
        p.noise_mid_pass = true;
    }
    for &(i, apart, seen) in doubted {
        let at_l = noise_of(p, i) / t_l;
        if apart <= NOISE_APART * at_l && seen >= at_l / SMOOTH_AT_L {
            out[i] = plain.d[i];
            bounds[i] = plain_b[i] + noise_of(p, i) / plain.t;
        }
    }
    Ok(())
}

/// The middle step of [`side_with_middle`] is at most the refined scale `target / r` over
/// this, where f varying on that scale leaves M within about `1 / (6 MIDDLE_WITHIN^2)` of
/// L, relative. Beyond (a straddled x_j below `MIDDLE_WITHIN^2 r^2 typ_j`, 3.6e-9 typ_j
/// central), M may alias: no check.
const MIDDLE_WITHIN: f64 = 10.0;

/// The middle step `sqrt(target t)` of [`shrink_levels`]'s check relative to the scale
/// `nominal / r` f is taken to vary on: its quotient's relative step.
fn middle_reach(t: f64, target: f64, nominal: f64, r: f64) -> f64 {
    (target * t).sqrt() * r / nominal
}

/// Whether the direction moves an element far above its typical magnitude (`|x_j| > 1e3
/// typ_j`): refined a priori for aliasing, where the middle step of [`side_with_middle`]
/// lies beyond f's scale typ_j from about 3e8 typ_j on and saw noise in aliasing (sin
/// and cos at 1e10..1e12 came out of a JVP with the plain value, 1.0 off). A declared
/// typ_j is taken as [`resolved_typical`] resolves it: refined as the default typ 1
/// would be, whose middle step aliases alike (typ = |x| at 8e9: the plain value 0.64
/// off kept).
fn moves_far_above<F: Function + ?Sized>(p: &Probe<'_, '_, F>, dir: Direction<'_>) -> bool {
    let far = |j: usize| {
        let ax = p.x[j].abs();
        ax > FAR_ABOVE * resolved_typical(ax, p.opts.typical().map_or(1.0, |t| t[j]))
    };
    match dir {
        Direction::Axis(j) => far(j),
        Direction::Vector(u) => u.iter().enumerate().any(|(j, &uj)| uj != 0.0 && far(j)),
        Direction::Group(_, cols) => cols.iter().any(|&j| far(j)),
    }
}

/// Settles the refined values `(i, |P - L|, E_L)` of an a priori refinement whose plain
/// step straddles x_j (not far above typ_j: [`moves_far_above`]) whose levels disagree by more than
/// their rounding allowance (`64 eps ρ`, [`ROUNDING_SAFETY`]) by the quotient M at the
/// middle step `sqrt(t_L t)` (2 evaluations, shared with [`shrink_from`]'s check): L
/// stays where M sides with it, `|M - L| <= |M - P|`; else P does, with the bound `|P -
/// L| + E_L`.
///
/// There the plain second difference predicts nothing (that is why the direction was
/// refined), so the noise test of [`doubtful`] has no reference, and the noise estimate
/// reads f's variation on a scale below the plain step (`sin(x / 1.66e-12)` at 4e-13) as
/// noise. The middle step tells them apart: f varying on x_j's own scale `s` has `M ≈ L`
/// (M's truncation is `(t_M / s)^2 = r t / |x_j|` relative: 4e-4 at x_j = 1e-7, t = 6e-6)
/// and P far off;
/// noise ε puts L off by `ε / t_L` (L wins a close call when its levels' two samples of
/// that noise happen to agree), M by `ε / t_M`, `sqrt(t / t_L)` (400 or more) times
/// less, and P by less still. Levels within their rounding allowance are the exact
/// functions' case (they resolve f at its own scale): nothing is checked, nothing is
/// paid. Hash noise of 1e-12..1e-6 on sines with elements at 1e-7..1e-2, diagonal and
/// tridiagonal Jacobians: 8 of 2,240 calls came out up to 5.7e6 times worse than the
/// plain step before (`tests/noisy_never_worse.rs`).
fn side_with_middle(
    straddled: &[(usize, f64, f64)],
    middle: &Level,
    (plain, plain_b): (&Level, &[f64]),
    refined: &Level,
    out: &mut [f64],
    bounds: &mut [f64],
) {
    for &(i, apart, e2) in straddled {
        if (middle.d[i] - plain.d[i]).abs() < (middle.d[i] - refined.d[i]).abs() {
            out[i] = plain.d[i];
            bounds[i] = plain_b[i].max(apart + e2);
        }
    }
}

/// How many times `eps * |f|` the rounding error of a central difference may be when the
/// plain value and a refined one are weighed: f computed as a sum of terms larger than itself (a
/// sum of sines near 0) rounds on the scale of its terms, not of its value, and a refined
/// step at x_j's own scale must not win on an underestimated rounding error (the tape fuzz
/// target found a gradient 5e-4 off that way).
const ROUNDING_SAFETY: f64 = 64.0;

/// How many times the rounding seen between the refined levels (module doc of [`shrink`])
/// is taken as the error of the refined value: one sample of a rounding error may be
/// small by chance.
const OBSERVED: f64 = 2.0;

/// A level of a refinement: its step, quotients, rounding scales and (central stencils)
/// second differences.
struct Level {
    t: f64,
    d: Vec<f64>,
    mag: Vec<f64>,
    second: Vec<f64>,
    /// Per output, the grid its differences lie on ([`quantum::grid`]), from the last
    /// point the workspace holds (`ws.y`). Read only for levels evaluated by
    /// [`try_stencil`] just before [`Level::take`] (refined, own-scale and middle levels:
    /// [`grid_rounding`], [`shrink_from`]'s confirmation): a plain level's `ws.y` may be
    /// stale (the fused path puts its product terms there, one-sided stencils `x + 2t`,
    /// a deferred direction's copy is the fused path's), so its grid is never read.
    grid: Vec<f64>,
    /// The stencil that gave it: the refinement's own, or a fall-back of the same order
    /// where that met a non-finite value (`nonfinite.rs`).
    stencil: Placed,
}

impl Level {
    /// The values left in `out` and the workspace by the stencil just applied at `t`.
    /// Its four vectors of m are allocated fallibly ([`alloc::zeros`]): m is the
    /// caller's, and a refinement must fail with `OutOfMemory`, not abort the host.
    fn take<F: Function + ?Sized>(
        p: &Probe<'_, '_, F>,
        t: f64,
        out: &[f64],
    ) -> Result<Self, FdError> {
        let m = out.len();
        let copy = |from: &[f64], what| -> Result<Vec<f64>, FdError> {
            let mut v = alloc::zeros(m, what)?;
            v.copy_from_slice(&from[..m]);
            Ok(v)
        };
        let mut grid = alloc::zeros(m, "a refinement level's grid")?;
        for (i, g) in grid.iter_mut().enumerate() {
            // The last point's difference from f(x) and the sum of the two at ±t.
            *g = quantum::grid([p.ws.y[i] - p.y0[i], p.ws.second[i]]);
        }
        Ok(Self {
            t,
            d: copy(out, "a refinement level's values")?,
            mag: copy(&p.ws.magnitude, "a refinement level's rounding scales")?,
            second: copy(&p.ws.second, "a refinement level's second differences")?,
            grid,
            stencil: central(),
        })
    }
}

/// The rounding error of the finer level's quotient that the grid of f's values shows
/// ([`quantum`]): one grid step `Q` over the step (each value off by up to `Q / 2`). When
/// neither level moved output i at all, it saw nothing: infinite, unless the plain value
/// agrees (`apart == 0`).
fn grid_rounding(l1: &Level, l2: &Level, i: usize, apart: f64) -> f64 {
    match quantum::grid([l1.grid[i], l2.grid[i]]) {
        q if q > 0.0 => q / l2.t,
        _ if apart == 0.0 => 0.0,
        _ => f64::INFINITY,
    }
}

/// Refines down from `target`: the stencil at `e` and `e / 2`; per output keeps the value
/// whose error the evidence bounds best. Returns the per-output bounds.
///
/// Central refinements (`order >= 2`) weigh the plain value P against the refined one L
/// (at `e / 2`) by what the three stencils show, not by a rounding model alone: at
/// x_j's own scale the refined levels often see only rounding, and a sum of terms larger
/// than f (a sum of sines near 0) rounds far above `eps |f|`. L's error is estimated as
/// `OBSERVED` times the largest of three samples of its rounding: the spread `|L_e - L|`
/// between the levels (which also bounds L's truncation, a third of it) and the part of
/// L's second difference that the first level's, scaled by `(t_2 / t_1)^2`, does not
/// explain (`/ 2 t_2`, the rounding of a difference quotient) and one step of the grid of
/// f's values over `t_2` ([`grid_rounding`]), plus `64 eps |f|` of rounding
/// ([`ROUNDING_SAFETY`]) and the rounding of f's own arguments (`argument.rs`: levels a
/// power of two apart can agree on it). P is demonstrably wrong only by more than `|P - L| - E_L`; its
/// estimate is the larger of that and its own stencil's (truncation from D2, rounding).
/// L wins when its estimate is smaller, except that a fourth-order P within E_L of L,
/// which the levels cannot refute, is kept with the bound `|P - L| + E_L` even where its
/// own (modelled) estimate is larger; otherwise P is kept, and its bound is raised to
/// `|P - L| + E_L` (P's own stencil cannot see aliasing, which is why the direction was
/// refined), or checked at one step between them where that raises it (see
/// [`shrink_from`]). First-order (one-sided) refinements have no second difference and
/// keep the model `eps |f|` (their plain error is of order 1; a safety factor would keep
/// the plain value on a sum of logs near 0).
/// Also the refinement of an edge nearer x than every step the fall-back tried
/// (`edge_deep.rs`, with the one-sided stencil just applied at `t`).
pub(crate) fn shrink<F: Function + ?Sized>(
    p: &mut Probe<'_, '_, F>,
    dir: Direction<'_>,
    t: f64,
    target: f64,
    stencil: &Placed,
    out: &mut [f64],
) -> Result<Vec<f64>, FdError> {
    let plain = Level::take(p, t, out)?;
    let plain_b = plain_bound(p, t, out);
    shrink_from(p, dir, (plain, plain_b), target, stencil, None, out)
}

/// The smallest step a refinement along `dir` takes at x (a few ulps of the moved
/// elements, `far_above.rs`): the edge scan's refinement has no bound where it lies on
/// f's own scale.
pub(crate) fn step_floor(x: &[f64], dir: Direction<'_>) -> f64 {
    far_above::floor(x, dir)
}

/// [`shrink`] with the central stencil, whose level at `t` was just applied (its values
/// in `out`, its sums in the workspace): the edge scan's refinement (`edge_scan.rs`).
/// Along a vector with exact steps ([`vector::shrink_along`]): its refined steps lie
/// within a few hundred units in the last place of x near the edge, where a step along
/// u rounds by a per mille.
pub(crate) fn shrink_central<F: Function + ?Sized>(
    p: &mut Probe<'_, '_, F>,
    dir: Direction<'_>,
    t: f64,
    target: f64,
    out: &mut [f64],
) -> Result<Vec<f64>, FdError> {
    match dir {
        Direction::Vector(u) => vector::shrink_along(p, u, t, target, out),
        _ => shrink(p, dir, t, target, &central(), out),
    }
}

/// [`shrink`] from the plain level and its bounds taken before, and (`first`) the level
/// at `target` when already evaluated (the own-scale check's, `own_scale.rs`): it is not
/// evaluated again.
fn shrink_from<F: Function + ?Sized>(
    p: &mut Probe<'_, '_, F>,
    dir: Direction<'_>,
    (plain, plain_b): (Level, Vec<f64>),
    target: f64,
    stencil: &Placed,
    first: Option<Level>,
    out: &mut [f64],
) -> Result<Vec<f64>, FdError> {
    // Along an axis the steps are exact (`Direction::step`): at least a few ulps of x_j,
    // and no bound where that floor is too coarse for the scale the refinement resolves
    // (`far_above.rs`); a vector's or group's steps are made so by their callers.
    let Direction::Axis(_) = dir else {
        // Along a vector its caller floored the target (`Probe::nominal`).
        let nominal = if p.nominal > 0.0 {
            p.nominal.min(target)
        } else {
            target
        };
        let steps = (nominal, target);
        return shrink_levels(p, dir, (plain, plain_b), steps, stencil, first, out);
    };
    let floor = far_above::floor(p.x, dir);
    if far_above::unresolved(floor, target / relative_step(p)) {
        return far_above::unbounded(out.len());
    }
    shrink_levels(
        p,
        dir,
        (plain, plain_b),
        (target, target.max(2.0 * floor)),
        stencil,
        first,
        out,
    )
}

/// [`shrink_from`] at the steps it chose: `(nominal, target)`, the target before and
/// after the floor (`nominal / r` is the scale f is taken to vary on).
fn shrink_levels<F: Function + ?Sized>(
    p: &mut Probe<'_, '_, F>,
    dir: Direction<'_>,
    (plain, plain_b): (Level, Vec<f64>),
    (nominal, target): (f64, f64),
    stencil: &Placed,
    first: Option<Level>,
    out: &mut [f64],
) -> Result<Vec<f64>, FdError> {
    let t = plain.t;
    // Every level with one stencil: the first's (`stencil`, or the own-scale check's),
    // else, where a level meets a non-finite value, the same-order fall-backs in turn
    // (`nonfinite.rs`), all levels again.
    let mut first = first;
    let start = first.as_ref().map_or(*stencil, |l| l.stencil);
    let (mut used, mut met) = (start, false);
    let mut levels = Vec::with_capacity(2);
    // A first level that leaves the bounds (x on or near one: `bound_edge.rs`) goes to
    // the next stencil, as one meeting a non-finite value does; none fitting: no bound.
    let mut unfit = false;
    for s in nonfinite::alternatives(start) {
        levels.clear();
        levels.extend(first.take());
        let mut bad = false;
        unfit = false;
        for nominal in [target, target / 2.0].into_iter().skip(levels.len()) {
            let tk = dir.step(p.x, nominal);
            if tk >= t || tk.is_nan() {
                break;
            }
            match nonfinite::try_at(p, dir, tk, &s, out)? {
                Tried::Done => {
                    let mut level = Level::take(p, tk, out)?;
                    level.stencil = s;
                    levels.push(level);
                }
                Tried::Unfit if levels.is_empty() && p.opts.bounds().is_some() => {
                    unfit = true;
                    break;
                }
                Tried::Unfit => break,
                Tried::NonFinite => {
                    bad = true;
                    break;
                }
            }
        }
        used = s;
        met |= bad;
        if !bad && !unfit {
            break;
        }
    }
    out.copy_from_slice(&plain.d);
    if met {
        p.report.nonfinite_fallbacks += 1;
    }
    let [l1, l2] = &levels[..] else {
        if !met && !unfit {
            return Ok(plain_b);
        }
        // The plain value, which the direction's evidence called suspect, without the
        // levels that would bound it: no bound.
        let mut none = alloc::zeros(out.len(), "a refinement's bounds")?;
        none.fill(f64::NAN);
        return Ok(none);
    };
    let mut bounds = weigh_levels(
        p,
        dir,
        (&plain, &plain_b),
        (nominal, target),
        &used,
        [l1, l2],
        out,
    )?;
    settle_poles(p.y0.as_slice(), &plain, [l1, l2], &used, out, &mut bounds);
    Ok(bounds)
}

/// `|D2|` at least this many times `|f(x)|`: f(x) stands out from its stencil's other
/// values by a good part of its own size, which a function the stencil resolves does only
/// where it is near 0 ([`settle_poles`]). Across a pole `|D2| ≈ 2 |f(x)|` (central) or
/// `|f(x)|` (one-sided).
const POLE: f64 = 0.5;

/// Whether f(x) (`y0`) stands out of a stencil with second difference `second` and
/// rounding scale `mag` at step `t` ([`POLE`]): `|D2| >= POLE |f(x)|`, and f(x) at least as
/// large as the stencil's other values (their mean central, `mag t` holding `|f(x + t)| +
/// |f(x - t)|` halved; one-sided `|f(x + t)|`, `mag t` holding `|f(x)| + |f(x + t)|`). The
/// second test keeps out a smooth f near a zero (sin at an inflection point: f(x) ≈ 0,
/// its `|D2|` rounding above it), which a pole never is.
fn stands_out(y0: f64, second: f64, mag: f64, t: f64, central: bool) -> bool {
    let others = if central { mag * t } else { mag * t / 2.0 };
    second != 0.0 && second.abs() >= POLE * y0.abs() && y0.abs() >= others
}

/// A refined quotient at half the step at least this many times the other: it grows as
/// the step shrinks, where a smooth f's converges ([`settle_poles`]).
const GROWS: f64 = 1.5;

/// Outputs of a refinement whose stencils straddle a pole or a singularity of f nearer x
/// than their steps (f = 1/(x - p) at x = 1e-3, p = x + 1e-9: the own-scale levels at
/// `r |x|` and the middle step all lie across it) get no bound, or one that covers them.
///
/// Why: every check of the refinement reads its levels through a Taylor model (truncation
/// shrinking as `t^2`, or `t` one-sided); across a pole the quotients grow as the step
/// shrinks and no level sees f' at all (2.7e10 for -1e18, with a bound of 3.1e14). The
/// sign, central: f(x) stands out of a level's stencil ([`POLE`]) and the second
/// difference does not shrink between the levels as a smooth f's does (`|D2_2| > |D2_1| /
/// 2`, where `t^2` gives a quarter) or the quotient grows ([`GROWS`]); one-sided: a
/// level moves f by half of f(x) or more, and its quotient grows or f(x) stands out of
/// the plain stencil. Then nothing resolved f at x: no bound (NaN). Where only the plain
/// central stencil straddles it and its value is kept (read as noise, [`doubtful`], or
/// confirmed by a middle step that straddles it too), its bound must cover its distance
/// from the finer level plus that level's error: `|P - L| + E_L`.
fn settle_poles(
    y0: &[f64],
    plain: &Level,
    [l1, l2]: [&Level; 2],
    stencil: &Placed,
    out: &[f64],
    bounds: &mut [f64],
) {
    let central_levels = *stencil == central();
    for i in 0..out.len() {
        let out_of = |l: &Level| stands_out(y0[i], l.second[i], l.mag[i], l.t, central_levels);
        let across = if central_levels {
            let grows = l2.d[i].abs() >= GROWS * l1.d[i].abs();
            (out_of(l1) || out_of(l2)) && (l2.second[i].abs() > l1.second[i].abs() / 2.0 || grows)
        } else if stencil.order() < 2 {
            let moved = (l1.d[i] * l1.t).abs().max((l2.d[i] * l2.t).abs());
            let grows = l2.d[i].abs() >= GROWS * l1.d[i].abs();
            moved != 0.0 && moved >= y0[i].abs() / 2.0 && (grows || out_of(plain))
        } else {
            false
        };
        if across {
            bounds[i] = f64::NAN;
            continue;
        }
        let apart = (plain.d[i] - l2.d[i]).abs();
        if central_levels && out[i] == plain.d[i] && out_of(plain) && bounds[i] < apart {
            let spread = (l1.d[i] - l2.d[i]).abs();
            bounds[i] = apart + OBSERVED * spread + ROUNDING_SAFETY * f64::EPSILON * l2.mag[i];
        }
    }
}

/// [`shrink_levels`]' choice between the plain value and the refined levels `l1`, `l2`
/// (taken with `stencil`): the values in `out`, their bounds returned.
fn weigh_levels<F: Function + ?Sized>(
    p: &mut Probe<'_, '_, F>,
    dir: Direction<'_>,
    (plain, plain_b): (&Level, &[f64]),
    (nominal, target): (f64, f64),
    stencil: &Placed,
    [l1, l2]: [&Level; 2],
    out: &mut [f64],
) -> Result<Vec<f64>, FdError> {
    let t = plain.t;
    let eps = f64::EPSILON;
    let order = stencil.order();
    let q2 = (l2.t / l1.t).powi(order);
    if order < 2 {
        return Ok((0..out.len())
            .map(|i| {
                let noise = noise_of(p, i);
                let rich = (l1.d[i] - l2.d[i]).abs();
                // Rounding as a far-above level's ([`far_above::ROUNDING`]): `rich` holds
                // both levels' rounding too, and `eps ρ` alone left z exp(-z) at 3.9e-8,
                // forward, 1.67e-9 relative off with a bound of 1.48e-9.
                let e2 =
                    rich * q2 / (1.0 - q2) + far_above::ROUNDING * eps * l2.mag[i] + noise / l2.t;
                let e0 = (plain.d[i] - l2.d[i]).abs() + eps * plain.mag[i] + noise / t;
                if e2 < e0 {
                    out[i] = l2.d[i];
                    if rich > SPREAD_OF_NOISE * l2.d[i].abs() {
                        // Their spread reads as noise (or rounding): one sample of it.
                        let beside = (plain.d[i] - l2.d[i]).abs() + NOISE_SAMPLE * plain_b[i];
                        return e2.max(beside.min(NOISE_SAMPLE * e2));
                    }
                    e2
                } else {
                    // P's distance from L bounds P's error only with L's own: exp(1e6 x)
                    // at 1e-12, forward, kept P 7.5e3 off with a bound of 5.8e3.
                    e0.max((plain.d[i] - l2.d[i]).abs() + e2)
                }
            })
            .collect());
    }
    let curvature = (l2.t / l1.t).powi(2);
    let central_levels = *stencil == central();
    // Outputs whose plain value is kept with a bound raised by levels too coarse to
    // confirm it (their rounding covers |P - L|).
    let mut unconfirmed = Vec::new();
    // Refined values further from the plain one than its second difference explains
    // ([`doubtful`]).
    let mut doubted = Vec::new();
    let curved = p.curved && central_levels;
    // Refined values of an a priori refinement whose levels disagree by more than their
    // rounding: `(i, |P - L|, E_L)`, checked between the steps ([`side_with_middle`]).
    let mut straddled = Vec::new();
    let a_priori = p.a_priori
        && central_levels
        && (target * t).sqrt() * MIDDLE_WITHIN * relative_step(p) <= target
        && !moves_far_above(p, dir);
    let mut bounds: Vec<f64> = (0..out.len())
        .map(|i| {
            let noise = noise_of(p, i);
            let spread = (l1.d[i] - l2.d[i]).abs();
            // A one-sided fall-back's `second` is a first difference: its levels' spread
            // alone (three times L's truncation at q = 1/4) is their evidence.
            let unexplained = if central_levels {
                (l2.second[i] - curvature * l1.second[i]).abs() / (2.0 * l2.t)
            } else {
                0.0
            };
            let apart = (plain.d[i] - l2.d[i]).abs();
            let grid = grid_rounding(l1, l2, i, apart);
            let e2 = OBSERVED * spread.max(unexplained).max(grid)
                + ROUNDING_SAFETY * eps * l2.mag[i]
                + noise / l2.t;
            // Only the bound: the choice stays the estimates' (the term is a worst case,
            // far above the error of an f computed from exact arguments, and would keep
            // aliased plain values: sums of sines at 1e4..1e8 along u = ones).
            let arg = argument::rounding(p.x, dir, l2.t, l2.d[i]);
            let e0 = plain_b[i].max(apart - e2);
            // The fourth order's plain bound models f^(5) from `|f' / f''|`, far too short
            // a scale near an extremum of f (f' -> 0), and can dwarf E_L: taking L on it
            // traded an exact P for L's rounding (a polynomial's column at x_j = 1e-4 came
            // out 8e-7 off; `tests/fd_accuracy_near_zero.rs`). A P the levels cannot
            // refute (`|P - L| <= E_L`) is kept there, bounded by them: its error is at
            // most twice L's. The central bound reads D2 and is not so pessimistic: there L
            // keeps winning on it (C + sin(x / 1e-4) at 1e-3: P 30 times L's error).
            if order == 4 && apart <= e2 && e2 < plain_b[i] {
                return apart + e2 + arg;
            }
            if e2 < e0 {
                out[i] = l2.d[i];
                if curved && apart > EXPLAINED * plain.second[i].abs() / (2.0 * t) + e2 {
                    doubted.push((i, apart, spread.max(unexplained)));
                }
                let seen = spread.max(unexplained);
                if a_priori && seen > ROUNDING_SAFETY * eps * l2.mag[i] {
                    straddled.push((i, apart, e2 + arg));
                }
                return e2 + arg;
            }
            if apart + e2 > plain_b[i] {
                unconfirmed.push(i);
            }
            plain_b[i].max(apart + e2 + arg)
        })
        .collect();
    // The fourth order's symmetric levels (`fourth.rs`, far from typ_j) and a feature
    // under their steps (`unresolved.rs`): no bound, and no check between the steps.
    // Unbounded where the levels did not resolve f, or the plain value is kept and
    // the first level saw f vary where the plain one did not.
    if stencil.order() == 4 && *stencil == p.opts.scheme().candidates()[0] {
        for (i, b) in bounds.iter_mut().enumerate() {
            let kept = out[i] == plain.d[i];
            if unresolved::levels(l1, l2, i)
                || (kept && unresolved::plain(l1, i, t, plain.second[i]))
            {
                *b = f64::NAN;
            }
        }
        unconfirmed.retain(|&i| !bounds[i].is_nan());
    }
    if !doubted.is_empty() {
        doubtful(p, &doubted, (plain, plain_b), l2.t, out, &mut bounds)?;
    }
    // Far above typ_j, where f may vary on typ_j, the middle step's quotient M aliases
    // as P does once its step nears that scale (sin(x) + 0.87 x at 1.6e11: M at 13.4
    // agreed with P's 0.87 for 1.11, bound 0.012; probe12 finding 3): its truncation at
    // the relative step `r_m` enters its error below. Below typ_j the refined scale
    // `|x_j|` is only the shortest f may vary on, and M is taken as exact (as before).
    let far = moves_far_above(p, dir);
    let r_m = middle_reach(t, target, nominal, relative_step(p));
    if unconfirmed.is_empty() && straddled.is_empty() {
        return Ok(bounds);
    }
    // A plain value P that the levels could neither confirm nor refute (at x_j's own scale
    // they saw only f's rounding grid) is checked at one step between them, sqrt(target t)
    // (2 evaluations): its quotient M has a rounding error E_M far below theirs, and
    // |P - M| + E_M bounds P's error where that is below the bound the levels gave, E_M
    // holding (far above typ_j) M's truncation at its relative step `r_m`. P is kept
    // either way: that truncation is a model, not seen.
    let Ok(middle) = own_scale::level(p, dir, t, (target * t).sqrt(), stencil)? else {
        return Ok(bounds);
    };
    side_with_middle(&straddled, &middle, (plain, plain_b), l2, out, &mut bounds);
    // M's truncation is unknown: where its own step still moves an element by more than
    // |x_j| it straddles x_j's scale too, and |P - M| says nothing of P's error (cbrt at
    // 4e-13 plus 1.3e5: 2005 for 4.1e7 with a bound of 2.7e7, probe13 finding 2).
    if grow::straddled(p, dir, middle.t).is_some() {
        return Ok(bounds);
    }
    for i in unconfirmed {
        let grid = match middle.grid[i] {
            q if q > 0.0 => q / middle.t,
            _ if middle.d[i] == out[i] => 0.0,
            _ => continue, // M saw nothing either
        };
        // The grid is the rounding seen (at least eps |f|): no safety factor on eps |f|.
        // M's truncation is modelled as the plain bound's at the relative step `r_m`
        // (its second difference, floored as for f varying on a quarter of the scale).
        let size = middle.d[i].abs().max(out[i].abs());
        let truncated = if far {
            truncation(middle.d[i], middle.second[i], middle.t, r_m) + truncation_floor(size, r_m)
        } else {
            0.0
        };
        let e_m = OBSERVED * grid
            + eps * middle.mag[i]
            + argument::rounding(p.x, dir, middle.t, middle.d[i])
            + truncated
            + noise_of(p, i) / middle.t;
        // M keeps `(t_M / t)^2` of P's truncation, on the same side: `|P - M|` sees the
        // rest (x sin x at 9.62, typ 1: 5.67e-9 off with a bound of 5.15e-9).
        let seen = 1.0 - (middle.t / t).powi(2);
        let checked = plain_b[i].max(((out[i] - middle.d[i]).abs() + e_m) / seen);
        bounds[i] = bounds[i].min(checked);
    }
    Ok(bounds)
}
