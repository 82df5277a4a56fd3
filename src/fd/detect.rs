//! Learning the sparsity pattern of a black box's Jacobian from its values.
//!
//! Why: a pattern cuts a VJP from `2n + 1` evaluations to `1 + 2 × groups` (7 for a
//! tridiagonal Jacobian at any n), but the caller of a black box rarely knows it.
//!
//! How: a forward difference along each axis at x, and again at one pseudo-random point
//! near x (each element moved by about `1e-3 max(|x_j|, typ_j)`, inside the bounds); an
//! entry belongs to the pattern when its output changed at either point (the two points
//! catch a derivative that happens to vanish at x, e.g. `x_i x_j` at `x_j = 0`). An output
//! that does not depend on `x_j` returns the same double when only `x_j` moves, so
//! unchanged means zero exactly, whatever the size of f; nothing is thresholded. The
//! forward step is the later calls' own step (the options' scheme, steps and typical
//! magnitudes), and never below `sqrt(eps) max(|x_j|, typ_j)`: an output moving by less
//! than half an ulp over that step looks constant, and at a smaller step than the calls
//! take a coupling they see could be lost (`1e9 + x_1` at `x_1 = 1` does not move over
//! `sqrt(eps)`, but moves by 6e-6 over the central step; the calls' rounding bound covers
//! what hides below half an ulp at their own step). Cost: `2 (n + 1)` evaluations
//! (`2n + 1` when f(x) is known), plus one per column where the calls' step meets a
//! non-finite value (the `sqrt(eps)` step is tried then) and one per retry of the nearby
//! point (moved 10 times less, at most [`NEARBY_RETRIES`] times) where f is not finite. The
//! pattern holds at these two points only: the drivers verify it on every later call
//! (see `learned.rs`).

use super::error::FdError;
use super::evaluator::Evaluator;
use super::function::Function;
use super::options::Options;
use super::report::{publish, Report};
use super::sparsity::Sparsity;
use super::step::nominal_step;

/// Relative distance of the second point from x.
const NEARBY: f64 = 1e-3;

/// Where f is not finite at the nearby point, it is moved 10 times closer to x, at most
/// this often (a domain edge within `1e-3 max(|x_j|, typ_j)` of x: asin at 0.9999).
const NEARBY_RETRIES: usize = 3;

/// Elements with `0 < |x_j| < OWN_SCALE max(|x_j|, typ_j)` move to the nearby point on
/// their own scale `|x_j|`, as the columns' refinement differences them.
const OWN_SCALE: f64 = 0.01;

/// The pattern of the Jacobian of `f: R^n -> R^m` at `x` and near it (see the module
/// documentation); `2 (n + 1)` evaluations. Bounds and typical magnitudes of `opts` apply;
/// its scheme and steps do not (the probe is a forward difference at `sqrt(eps)` of
/// `max(|x_j|, typ_j)`, backward where a bound is in the way). A NaN or infinity in f's
/// outputs at a probe point is an error naming the point (a pattern read from it would
/// be meaningless). The report of the detection is published as for a computation.
pub fn detect_sparsity(
    f: &dyn Function,
    x: &[f64],
    m: usize,
    opts: &Options,
) -> Result<Sparsity, FdError> {
    opts.check_point(x)?;
    let mut ev = Evaluator::new(f);
    ev.plan(2 * (x.len() + 1));
    let result = (|| {
        if x.is_empty() || m == 0 {
            return Ok(Vec::new());
        }
        let y0 = ev.base(x, m, None)?;
        detect(&mut ev, opts, x, &y0)
    })();
    publish(Report {
        completed: result.is_ok(),
        evaluations: ev.count(),
        outputs: m,
        ..Report::default()
    });
    let entries = result?;
    pattern(&entries)
}

/// The sparsity of COO `entries` (row, column).
pub(crate) fn pattern(entries: &[(usize, usize)]) -> Result<Sparsity, FdError> {
    let rows: Vec<usize> = entries.iter().map(|e| e.0).collect();
    let cols: Vec<usize> = entries.iter().map(|e| e.1).collect();
    Sparsity::new(&rows, &cols)
}

/// The (row, column) entries seen at x (with `y0 = f(x)`, finite) and at the nearby
/// point: `2n + 1` evaluations through `ev`.
pub(crate) fn detect<F: Function + ?Sized>(
    ev: &mut Evaluator<'_, F>,
    opts: &Options,
    x: &[f64],
    y0: &[f64],
) -> Result<Vec<(usize, usize)>, FdError> {
    let mut entries = Vec::new();
    probe_axes(ev, opts, x, y0, "x", &mut entries)?;
    let mut y1 = vec![0.0; y0.len()];
    let mut distance = NEARBY;
    let mut tries = 0;
    let near = loop {
        let near = nearby(opts, x, distance);
        ev.eval(&near, &mut y1, || {
            "the nearby point of the sparsity detection".to_string()
        })?;
        let Some(i) = y1.iter().position(|v| !v.is_finite()) else {
            break near;
        };
        if tries == NEARBY_RETRIES {
            return Err(FdError::NonFinitePerturbed {
                direction: "sparsity detection".to_string(),
                index: i,
                value: y1[i],
                point: format!(
                    "the nearby point x + {distance:e} max(|x_j|, typ_j) (random signs), \
                     after {tries} closer tries"
                ),
            });
        }
        tries += 1;
        distance /= 10.0;
    };
    probe_axes(ev, opts, &near, &y1, "the nearby point", &mut entries)?;
    entries.sort_unstable();
    entries.dedup();
    Ok(entries)
}

/// Appends `(i, j)` for every output `i` that changes when `x_j` alone moves.
fn probe_axes<F: Function + ?Sized>(
    ev: &mut Evaluator<'_, F>,
    opts: &Options,
    x: &[f64],
    y0: &[f64],
    at: &str,
    entries: &mut Vec<(usize, usize)>,
) -> Result<(), FdError> {
    let mut xp = x.to_vec();
    let mut y = vec![0.0; y0.len()];
    for j in 0..x.len() {
        let small = f64::EPSILON.sqrt() * scale(opts, x, j);
        let calls = nominal_step(opts, x, j).abs();
        // The calls' own step first; the sqrt(eps) step where it meets a non-finite value.
        let steps = [calls.max(small), small];
        let mut bad = None;
        for &d in &steps[..if calls > small { 2 } else { 1 }] {
            let h = inside(opts, x, j, d);
            xp[j] = x[j] + h;
            let result = ev.eval(&xp, &mut y, || {
                format!("{at} with x[{j}] + h, h = {h:e} (sparsity detection)")
            });
            xp[j] = x[j];
            result?;
            bad = y.iter().position(|v| !v.is_finite()).map(|i| (i, h));
            if bad.is_none() {
                break;
            }
        }
        if let Some((i, h)) = bad {
            return Err(FdError::NonFinitePerturbed {
                direction: format!("column {j} (sparsity detection)"),
                index: i,
                value: y[i],
                point: format!("{at} with x[{j}] + h, h = {h:e}"),
            });
        }
        for (i, (&yi, &y0i)) in y.iter().zip(y0).enumerate() {
            if yi != y0i {
                entries.push((i, j));
            }
        }
    }
    Ok(())
}

/// `max(|x_j|, typ_j)`.
fn scale(opts: &Options, x: &[f64], j: usize) -> f64 {
    x[j].abs().max(opts.typical().map_or(1.0, |t| t[j]))
}

/// A move of `x_j` by about `d` that stays inside the bounds and the finite doubles:
/// `d`, else `-d`, else half the room on the roomier side.
fn inside(opts: &Options, x: &[f64], j: usize, d: f64) -> f64 {
    let fits =
        |o: f64| (x[j] + o).is_finite() && opts.bounds().is_none_or(|b| b.admits(j, x[j], (o, o)));
    if fits(d) {
        return d;
    }
    if fits(-d) {
        return -d;
    }
    let (up, down) = match opts.bounds() {
        Some(b) => (b.upper()[j] - x[j], x[j] - b.lower()[j]),
        None => (f64::MAX - x[j].max(0.0), f64::MAX + x[j].min(0.0)),
    };
    if up >= down {
        0.5 * up.min(d.abs())
    } else {
        -0.5 * down.min(d.abs())
    }
}

/// The second point: each element moved by `(0.5 .. 1.5) * distance * max(|x_j|, typ_j)`
/// (`|x_j|` for an element far below typ_j, [`OWN_SCALE`]) with a pseudo-random sign (fixed sequence: detection is reproducible), inside the
/// bounds.
fn nearby(opts: &Options, x: &[f64], distance: f64) -> Vec<f64> {
    let mut rng = SplitMix(0x5eed_0f5b_a751_7e00 ^ x.len() as u64);
    (0..x.len())
        .map(|j| {
            let sign = if rng.next() >> 63 == 0 { 1.0 } else { -1.0 };
            // An element far below its typical magnitude moves on its own scale (log near
            // 0 at x_j = 1e-9 is not finite 1e-3 typ_j away, however many closer tries).
            let own = x[j].abs();
            let s = if own > 0.0 && own < OWN_SCALE * scale(opts, x, j) {
                own
            } else {
                scale(opts, x, j)
            };
            let d = sign * (0.5 + rng.uniform()) * distance * s;
            x[j] + inside(opts, x, j, d)
        })
        .collect()
}

/// SplitMix64: a tiny reproducible generator for probe points and check directions.
pub(crate) struct SplitMix(pub u64);

impl SplitMix {
    pub(crate) fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// Uniform in [0, 1).
    pub(crate) fn uniform(&mut self) -> f64 {
        (self.next() >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
    }
}
