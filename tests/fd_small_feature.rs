//! Issue 11 (probe15 finding 1): a small bounded feature at x far below typ under a
//! constant, `c + a g(x / a)` with x ≲ a ≪ typ = 1 and |c| up to 1e6.
//!
//! The constant's rounding swamps the plain difference, so the central step grows tenfold
//! up to four times, far past the feature: the grown levels read plateau differences of
//! size `a / t` whose spread, and so the bound, is tiny (`1000 + 1e-8 tanh(x / 1e-8)` at
//! 1e-8: 1.65e-7 for 0.42 with a bound of 1e-6). Every entry must lie within its bound (a
//! NaN bound is honest and counted apart).
//!
//! The tester's 11 families (`fwdfeat.c`), a log-uniform in 1e-9..1e-1 (cells of two
//! decades), x = a 10^U(-3.5, 0.5), c = 0 for 30% of the points, else ±10^U(-1, 6);
//! central, forward and backward; VJP, JVP and Jacobian.
//!
//! On main (d2da40f): 136 of 4,752 calls uncovered (central 82, forward 34, backward 20;
//! worst 3.6e9 times the bound). Then 92 (central 38, forward 34, backward 20; worst
//! 4.2e7): the one-sided levels aliased on `a sin(x / a)` (forward 26, backward 18). Now
//! 50 (central 38, forward 8, backward 4; NaN bounds 1,423 -> 1,465), asserted as a
//! ratchet: a grown one-sided value kept where the plain stencil saw a second difference
//! above rounding and no noise is known has no bound, and gives way to the plain value
//! (without a bound) where the two disagree (`grow_one_sided::offer`). Left:
//! central features within the plain step's rounding (the levels agree on the plain
//! value), refinements down whose middle check at `sqrt(r |x_j| t)` nears x_j's own
//! scale and is taken as exact, and one-sided values of features just below the plain
//! step (`a tanh`, `a erf`, `x / (1 + (x / a)^2)`: 2 to 4 calls each).

use crate::common;

use common::Rng;
use fdvjp::fd::{Options, Scheme};

const NAMES: [&str; 11] = [
    "sqrt(x+a)",
    "log(x+a)",
    "a atan(x/a)",
    "x^2/(x+a)",
    "a sin(x/a)",
    "exp(-x/a)",
    "a tanh(x/a)+x",
    "(x+a)log(x+a)",
    "a tanh(x/a)",
    "x/(1+(x/a)^2)",
    "a erf(x/a)",
];

/// `g` of family `k` at x (feature scale a) and its derivative.
fn family(k: usize, a: f64, x: f64) -> (f64, f64) {
    let z = x / a;
    match k {
        0 => ((x + a).sqrt(), 0.5 / (x + a).sqrt()),
        1 => ((x + a).ln(), 1.0 / (x + a)),
        2 => (a * z.atan(), 1.0 / (1.0 + z * z)),
        3 => (x * x / (x + a), (x * x + 2.0 * a * x) / ((x + a) * (x + a))),
        4 => (a * z.sin(), z.cos()),
        5 => ((-z).exp(), -(-z).exp() / a),
        6 => (a * z.tanh() + x, 1.0 / (z.cosh() * z.cosh()) + 1.0),
        7 => ((x + a) * (x + a).ln(), (x + a).ln() + 1.0),
        8 => (a * z.tanh(), 1.0 / (z.cosh() * z.cosh())),
        9 => (
            x / (1.0 + z * z),
            (1.0 - z * z) / ((1.0 + z * z) * (1.0 + z * z)),
        ),
        _ => (
            a * erf(z),
            2.0 / std::f64::consts::PI.sqrt() * (-z * z).exp(),
        ),
    }
}

/// The error function (std has none): its Taylor series below 3, `1 - erfc` by the
/// continued fraction above, both to about 1e-14.
fn erf(z: f64) -> f64 {
    if z.abs() > 6.0 {
        return z.signum();
    }
    if z.abs() < 3.0 {
        // Taylor series: erf z = 2/sqrt(pi) sum (-1)^n z^(2n+1) / (n! (2n+1)).
        let (mut term, mut sum, z2) = (z, z, z * z);
        for n in 1..80 {
            term *= -z2 / n as f64;
            let add = term / (2 * n + 1) as f64;
            sum += add;
            if add.abs() < 1e-18 * sum.abs() {
                break;
            }
        }
        return 2.0 / std::f64::consts::PI.sqrt() * sum;
    }
    // erfc z = exp(-z^2) / sqrt(pi) * 1 / (z + 1/2 / (z + 1 / (z + 3/2 / (z + ...)))).
    let x = z.abs();
    let mut frac = x;
    for k in (1..400).rev() {
        frac = x + (k as f64 / 2.0) / frac;
    }
    let erfc = (-x * x).exp() / std::f64::consts::PI.sqrt() / frac;
    z.signum() * (1.0 - erfc)
}

#[test]
fn a_small_bounded_feature_under_a_constant_is_within_its_bound() {
    let mut rng = Rng::new(0x5a11_f3a7);
    let mut failures = Vec::new();
    let (mut cases, mut unbounded, mut uncovered) = (0usize, 0usize, 0usize);
    let mut worst = 0.0f64;
    for scheme in [Scheme::Central, Scheme::Forward, Scheme::Backward] {
        for (k, name) in NAMES.iter().enumerate() {
            let mut here = 0;
            for cell in 0..4 {
                for _ in 0..12 {
                    let a = 10f64.powf(-9.0 + 2.0 * cell as f64 + 2.0 * rng.uniform());
                    let x = a * 10f64.powf(0.5 - 4.0 * rng.uniform());
                    let c = if rng.uniform() < 0.3 {
                        0.0
                    } else {
                        let s = if rng.uniform() < 0.5 { -1.0 } else { 1.0 };
                        s * 10f64.powf(7.0 * rng.uniform() - 1.0)
                    };
                    let f = |z: &[f64], y: &mut [f64]| -> Result<(), i32> {
                        y[0] = c + family(k, a, z[0]).0;
                        Ok(())
                    };
                    let exact = [family(k, a, x).1];
                    let mut o = Options::new();
                    o.set_scheme(scheme);
                    for driver in 0..3 {
                        let ans = common::scalar_driver(driver, &f, &[x], &exact, &[1.0], &o);
                        cases += 1;
                        if ans.bound.is_nan() {
                            unbounded += 1;
                            continue;
                        }
                        let ratio = ans.ratio();
                        if ratio > 1.0 {
                            here += 1;
                            worst = worst.max(ratio);
                            if failures.len() < 12 {
                                failures.push(format!(
                                    "{scheme:?} {name} driver {driver} a = {a:e} c = {c:e} \
                                     x = {x:e}: {:?} for {:?}, bound {:e}",
                                    ans.got, ans.want, ans.bound
                                ));
                            }
                        }
                    }
                }
            }
            println!("{scheme:?} {name}: {here} of 144 uncovered");
            uncovered += here;
        }
    }
    println!("{cases} calls, {unbounded} with a NaN bound, {uncovered} uncovered, worst {worst:e}");
    for f in &failures {
        println!("{f}");
    }
    assert!(
        uncovered <= CEILING,
        "{uncovered} uncovered (ceiling {CEILING})"
    );
}

/// Uncovered calls allowed (a ratchet; see the module doc for what is left).
const CEILING: usize = 50;

/// probe18 finding 3: `c + a sin(x / a)` with a = 2.1e-5 above the central step but far
/// below the one-sided grown levels (from typ / 16), at x = 6.8e-12, forward: the grown
/// levels stepped over the feature and gave -1.6e-3 for cos(x / a) = 1 with a bound of
/// 8.6e-7. The value may stand (nothing at hand sees the feature), but not its bound.
#[test]
fn a_feature_between_the_plain_step_and_the_grown_levels_has_no_bound() {
    let (a, c, x) = (
        2.0755564713701894e-05,
        2159.9509330742403,
        6.814_276_512_223_373e-12,
    );
    let f = |z: &[f64], y: &mut [f64]| -> Result<(), i32> {
        y[0] = c + a * (z[0] / a).sin();
        Ok(())
    };
    let exact = [(x / a).cos()];
    for scheme in [Scheme::Forward, Scheme::Backward] {
        let mut o = Options::new();
        o.set_scheme(scheme);
        for driver in 0..3 {
            let ans = common::scalar_driver(driver, &f, &[x], &exact, &[1.0], &o);
            assert!(
                ans.bound.is_nan() || ans.ratio() <= 1.0,
                "{scheme:?} driver {driver}: {:?} for {:?}, bound {:e}",
                ans.got,
                ans.want,
                ans.bound
            );
        }
    }
}
