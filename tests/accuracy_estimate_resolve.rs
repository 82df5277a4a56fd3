//! Issue 11 item 3 (probe12 finding 4): the estimates' error estimates cover the true
//! error on functions that oscillate far below the tableau's steps, over random points
//! and scales, with all three estimate entry points.
//!
//! A tableau's steps `t0 / 2^k` form a lattice on which f varying on a scale W far below
//! them can look smooth (`sin(x / W)` at x = 2.13, W = 4.4e-4: 1.109 for 1033.5 with an
//! estimate of 1.1e-10). Families, x/W from 1 to 1e10:
//! - `sin(x / W)`, x log-uniform in 1e-2..1e9, W in 1e-4..1e2 (one input);
//! - `sin(x) + a x`, x log-uniform in 1e9..1e13 (one input);
//! - a coupling of two inputs: `y0 = sin(x0 / W) + a x0 x1`, `y1 = cos(x0) + sin(x1 / W)`.
//!
//! Covered: `|value - exact| <= estimate + R`, R the reference's own rounding (its
//! argument `x / W` is rounded: `4 eps (|x / W| + 1) / W` per oscillating term, plus
//! `4 eps` of the entry's terms). A NaN estimate (unbounded, loud) is allowed.
//!
//! The goal is at most 2% of the entries uncovered and none by more than 10 times; it is
//! not met yet, so each family asserts a ceiling at what is reached (a ratchet, to be
//! lowered). Now, with a tableau that saw f vary far below its steps counted as missed
//! (`shaky` in `src/fd/richardson/resolve.rs`; far above typ, unless f's rounding of its
//! own argument explains the variation) and a miss taken for noise only output by
//! output; in brackets before those two, before `shaky`, and before the check off the
//! lattice: sin(x / W) 3 (9, 71, 111) of 900 uncovered, 2 (8, 14, 42) beyond 10 times;
//! sin(x) + a x 0 (0, 12, 54) of 900 (the far-above-typ rule of stop 42 took the rest: x
//! above 1e12, where the default tableau's steps cannot see the sine at all); coupled
//! 12 (19, 120, 173) of 2400, 1 (4, 17, 51) beyond 10 times.

use crate::common;

use common::estimates::{all_three, Checker};
use common::Rng;
use fdvjp::fd::Estimate;

/// Random points per family.
const CALLS: usize = 300;

/// Entries checked, the uncovered ones, and those short by more than 10 times.
#[derive(Default)]
struct Tally {
    entries: usize,
    uncovered: usize,
    far: Vec<String>,
}

impl Checker for Tally {
    fn check(&mut self, what: &str, e: &Estimate, want: &[f64], slack: &[f64]) {
        for k in 0..want.len() {
            self.entries += 1;
            let (got, err) = (e.value[k], e.error[k]);
            let error = (got - want[k]).abs() - slack[k];
            if err.is_nan() || error <= err {
                continue;
            }
            self.uncovered += 1;
            if error > 10.0 * err {
                self.far.push(format!(
                    "{what} entry {k}: {got:e} for {:e}, estimate {err:e} ({:.3e}x)",
                    want[k],
                    error / err
                ));
            }
        }
    }
}

impl Tally {
    /// At most `uncovered` entries uncovered and `far` of them by more than 10 times.
    fn assert(&self, family: &str, uncovered: usize, far: usize) {
        for o in self.far.iter().take(20) {
            eprintln!("{o}");
        }
        eprintln!(
            "{family}: {} of {} entries uncovered, {} by more than 10x",
            self.uncovered,
            self.entries,
            self.far.len()
        );
        assert!(
            self.far.len() <= far && self.uncovered <= uncovered,
            "{family}: {} of {} entries uncovered, {} by more than 10x",
            self.uncovered,
            self.entries,
            self.far.len()
        );
    }
}

/// `4 eps (|z| + 1) / w`: the rounding of a derivative `cos(z) / w` whose argument
/// `z = x / w` was rounded, plus its own.
fn argument_rounding(z: f64, w: f64) -> f64 {
    4.0 * f64::EPSILON * (z.abs() + 1.0) / w
}

fn log_uniform(rng: &mut Rng, lo: f64, hi: f64) -> f64 {
    lo * (hi / lo).powf(rng.uniform())
}

#[test]
fn sin_x_over_w_is_resolved_or_unbounded() {
    let mut rng = Rng::new(0x5eed_0101);
    let mut tally = Tally::default();
    let mut calls = 0;
    while calls < CALLS {
        let x = log_uniform(&mut rng, 1e-2, 1e9);
        let w = log_uniform(&mut rng, 1e-4, 1e2);
        if !(1.0..=1e10).contains(&(x / w)) {
            continue;
        }
        calls += 1;
        let f = move |x: &[f64], y: &mut [f64]| {
            y[0] = (x[0] / w).sin();
            Ok(())
        };
        let d = (x / w).cos() / w;
        let round = argument_rounding(x / w, w) + 4.0 * f64::EPSILON * d.abs();
        all_three(&f, &[x], 1, &[d], &[round], &mut rng, &mut tally);
    }
    tally.assert("sin(x / W)", 3, 2);
}

#[test]
fn sin_plus_linear_at_huge_x_keeps_the_sine() {
    let mut rng = Rng::new(0x5eed_0102);
    let mut tally = Tally::default();
    for _ in 0..CALLS {
        let x = log_uniform(&mut rng, 1e9, 1e13);
        let a = 0.5 + rng.uniform();
        let f = move |x: &[f64], y: &mut [f64]| {
            y[0] = x[0].sin() + a * x[0];
            Ok(())
        };
        let d = x.cos() + a;
        let round = argument_rounding(x, 1.0) + 4.0 * f64::EPSILON * a;
        all_three(&f, &[x], 1, &[d], &[round], &mut rng, &mut tally);
    }
    tally.assert("sin(x) + a x", 0, 0);
}

#[test]
fn coupled_oscillations_are_resolved_or_unbounded() {
    let mut rng = Rng::new(0x5eed_0103);
    let mut tally = Tally::default();
    let mut calls = 0;
    while calls < CALLS {
        let w = log_uniform(&mut rng, 1e-4, 1e2);
        let x0 = log_uniform(&mut rng, 1e-2, 1e9);
        let x1 = log_uniform(&mut rng, 1e-2, 1e9);
        if !(1.0..=1e10).contains(&(x0 / w)) || !(1.0..=1e10).contains(&(x1 / w)) {
            continue;
        }
        calls += 1;
        let a = (0.5 + rng.uniform()) / x0.max(x1);
        let f = move |x: &[f64], y: &mut [f64]| {
            y[0] = (x[0] / w).sin() + a * x[0] * x[1];
            y[1] = x[0].cos() + (x[1] / w).sin();
            Ok(())
        };
        let jac = [
            (x0 / w).cos() / w + a * x1,
            a * x0,
            -x0.sin(),
            (x1 / w).cos() / w,
        ];
        let e4 = 4.0 * f64::EPSILON;
        let round = [
            argument_rounding(x0 / w, w) + e4 * (a * x1).abs(),
            e4 * (a * x0).abs(),
            argument_rounding(x0, 1.0),
            argument_rounding(x1 / w, w),
        ];
        all_three(&f, &[x0, x1], 2, &jac, &round, &mut rng, &mut tally);
    }
    tally.assert("coupled", 12, 1);
}
