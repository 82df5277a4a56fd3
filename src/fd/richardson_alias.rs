//! Aliasing between a direction's tableaus: a converged tableau that a smaller start
//! contradicts.
//!
//! Why: a tableau's steps halve from its start, so a function that oscillates on a scale
//! far below them can be sampled at points that all look alike: `sin(1e6 x)` at `x = 1e3`
//! from the default start `t = 125` sees `sin(1e9 ± 1.25e8 / 2^k)`, and `1.25e8 / 2^k`
//! falls near a multiple of the period at every level, so the quotients follow a smooth law
//! in `t^2` and the tableau converges to -0.00478 with an estimate of 4.2e-15 (the
//! derivative is 837887). A tableau from a smaller start (`richardson_start.rs`) then shows
//! what the larger one missed: its quotients vary far beyond its polynomial model, by the
//! size of f's oscillation. A variation of that size reaches the larger tableau's
//! extrapolant too, at `1 / t` of its smaller step; an estimate far below that was not
//! earned by convergence but by aliasing.
//!
//! So, when the smallest start's tableau shows such a variation (its noise probe above
//! rounding: f's noise, or f varying below its steps) and it exceeds [`MARGIN`] times
//! a larger start's estimate once carried to that tableau's steps
//! ([`super::richardson::Tableau::carried`]), tableaus are started [`RATIO`] times smaller,
//! at most [`DESCENT`] times, until the smallest resolves f (shows no such variation); it
//! then disagrees with the aliased one, and the smaller start is believed
//! (`richardson_start.rs`). If none resolves f, the aliased tableaus' estimates become NaN:
//! nothing supports them (the direction counts as unbounded). f's noise gives every
//! tableau's probe a sample of its own size, so a larger tableau's estimate already holds
//! it: [`MARGIN`] keeps a sample small by chance from starting a descent.

use super::derivative::Direction;
use super::error::FdError;
use super::function::Function;
use super::probe::Probe;
use super::richardson::{one_tableau, Channels, Tableau};

/// A larger start's estimate this many times below the variation carried from the
/// smallest start is aliased.
const MARGIN: f64 = 100.0;

/// Each new start is this many times smaller than the smallest so far.
const RATIO: f64 = 64.0;

/// At most this many more tableaus (12 evaluations each) per direction.
const DESCENT: usize = 4;

/// Descends below an aliased tableau (see the module documentation): adds tableaus to
/// `tableaus` and marks the aliased ones' estimates NaN when no smaller start resolves f.
pub(crate) fn descend<F: Function + ?Sized>(
    p: &mut Probe<'_, '_, F>,
    dir: Direction<'_>,
    channels: Channels<'_>,
    tableaus: &mut Vec<Tableau>,
) -> Result<(), FdError> {
    for _ in 0..DESCENT {
        let smallest = smallest(tableaus);
        if aliased(tableaus, smallest).is_empty() {
            return Ok(());
        }
        let start = tableaus[smallest].start / RATIO;
        match one_tableau(p, dir, start, channels) {
            Ok(t) => tableaus.push(t),
            Err(FdError::NonFinitePerturbed { .. } | FdError::InvalidArgument(_)) => break,
            Err(e) => return Err(e),
        }
    }
    let smallest = smallest(tableaus);
    for (k, c) in aliased(tableaus, smallest) {
        tableaus[k].estimate.error[c] = f64::NAN;
    }
    Ok(())
}

/// The index of the tableau with the smallest start.
fn smallest(tableaus: &[Tableau]) -> usize {
    (0..tableaus.len())
        .min_by(|&a, &b| tableaus[a].start.total_cmp(&tableaus[b].start))
        .expect("at least one tableau")
}

/// The (tableau, channel) pairs whose estimate the variation seen by tableau `s` belies.
fn aliased(tableaus: &[Tableau], s: usize) -> Vec<(usize, usize)> {
    let small = &tableaus[s];
    if !small.shows_noise {
        return Vec::new();
    }
    let sigma = small.variation();
    let mut out = Vec::new();
    for (k, t) in tableaus.iter().enumerate() {
        if t.start <= small.start {
            continue;
        }
        for (c, carried) in t.carried(&sigma).into_iter().enumerate() {
            if MARGIN * t.estimate.error[c] < carried {
                out.push((k, c));
            }
        }
    }
    out
}
