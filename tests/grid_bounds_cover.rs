//! Values on a grid coarser than f's rounding (probe13 finding 3): f computed in float32
//! from `(float)x`, or a difference that cancels a large offset (`(c + x) - c`), gives
//! values whose every difference is a multiple of the grid step Q, far above `eps |f|`.
//! The plain bound counts `2 Q / t` where the stencil's values show such a grid
//! (`quantum::coarse`: f(x) and the differences both on it), 4 times that for a one-sided
//! fall-back beside a bound, and where f did not move at all over the stencil (every
//! difference 0) f(x)'s own grid unless f(x) is round (`quantum::unmoved`); Richardson's
//! tableaus likewise. Stop 28's main: float32 6 of 5,100 entries uncovered, offsets 185 of
//! 4,500 (worst 5.5e4), unmoved float32 (`a b + C`, every driver and noise mode, with and
//! without a bound beside x) 6,880 of 20,400 (worst 9.1e7); now 6, 27 and 0. Not yet the
//! property: values off by more than two grid steps (an input `(float)x` moves f by `|f'|
//! ulp32(x) / 2`), and a grid hidden in the low bits by an added smooth term (`(c + x) -
//! c + cos x`: 1,827 of 4,800 on main, 1,634 now; its differences' low bits are cos x's,
//! and three points cannot tell the grid from curvature).
//!
//! Reference: the exact derivative of the real function the float32 code approximates
//! (1 for the offset). An entry is uncovered when `|error| > bound + 2e-15
//! |exact|`. Figures with `--nocapture`.

use crate::common;

use common::Rng;
use fdvjp::fd::{self, last_report, NoiseMode, Options};

/// Outputs (computed in float32 from `a = (float)x0`, `b = (float)x1`) and their exact
/// Jacobian (row-major, 5 x 2).
fn f32_outputs(x: &[f64], y: &mut [f64]) {
    let (a, b) = (x[0] as f32, x[1] as f32);
    y[0] = f64::from(a.sin() * b);
    y[1] = f64::from(b.exp() - a);
    y[2] = f64::from(a.ln() + b * b);
    y[3] = f64::from((3.0 * a).sin() + b.cos());
    y[4] = f64::from((a + b).sqrt());
}

fn f32_jacobian(x: &[f64]) -> Vec<f64> {
    let (a, b) = (x[0], x[1]);
    let s = 0.5 / (a + b).sqrt();
    vec![
        a.cos() * b,
        a.sin(),
        -1.0,
        b.exp(),
        1.0 / a,
        2.0 * b,
        3.0 * (3.0 * a).cos(),
        -b.sin(),
        s,
        s,
    ]
}

#[derive(Default)]
struct Tally {
    entries: usize,
    uncovered: usize,
    worst: f64,
}

fn count(t: &mut Tally, got: &[f64], want: &[f64], what: &str) {
    let bound = last_report().error_bound;
    if bound.is_nan() {
        return;
    }
    for (g, w) in got.iter().zip(want) {
        t.entries += 1;
        let err = (g - w).abs();
        if err > bound + 2e-15 * w.abs() {
            t.uncovered += 1;
            t.worst = t.worst.max(err / bound);
            println!(
                "uncovered {what}: {g} for {w}, bound {bound:e} {:?}",
                last_report()
            );
        }
    }
}

/// The Jacobian, a VJP and a JVP of `f` (n inputs, m outputs, exact Jacobian `jac`) at x.
fn check(
    t: &mut Tally,
    f: &dyn Fn(&[f64], &mut [f64]),
    (n, m, jac): (usize, usize, &[f64]),
    x: &[f64],
    rng: &mut Rng,
    (o, what): (&Options, &str),
) {
    let g = |x: &[f64], y: &mut [f64]| {
        f(x, y);
        Ok(())
    };
    let v: Vec<f64> = rng.uniforms(m).into_iter().map(|u| 2.0 * u - 1.0).collect();
    let u: Vec<f64> = rng.uniforms(n).into_iter().map(|u| 2.0 * u - 1.0).collect();
    let vj: Vec<f64> = (0..n)
        .map(|j| (0..m).map(|i| v[i] * jac[i * n + j]).sum())
        .collect();
    let ju: Vec<f64> = (0..m)
        .map(|i| (0..n).map(|j| jac[i * n + j] * u[j]).sum())
        .collect();
    if let Ok(got) = fd::jacobian(&g, x, m, o) {
        count(t, &got, jac, &format!("jacobian {what}at {x:?}"));
    }
    if let Ok(got) = fd::vjp(&g, x, &v, o) {
        count(t, &got, &vj, &format!("vjp {what}at {x:?}"));
    }
    if let Ok(got) = fd::jvp(&g, x, m, &u, o) {
        count(t, &got, &ju, &format!("jvp {what}at {x:?}"));
    }
}

/// float32 outputs at 300 random points in [0.3, 2.3]^2.
fn float32(seed: u64) -> Tally {
    let mut rng = Rng::new(seed);
    let mut t = Tally::default();
    for _ in 0..300 {
        let x: Vec<f64> = rng.uniforms(2).into_iter().map(|u| 0.3 + 2.0 * u).collect();
        let jac = f32_jacobian(&x);
        check(
            &mut t,
            &f32_outputs,
            (2, 5, &jac),
            &x,
            &mut rng,
            (&Options::new(), ""),
        );
    }
    println!(
        "float32: {} of {} entries uncovered (worst {:.3e})",
        t.uncovered, t.entries, t.worst
    );
    t
}

/// `y_i = (c_i + x_i) - c_i` (values on the grid of ulp(c_i), every |c_i| in 1e6..1e12),
/// n = m = 3, at 300 random points in [-2, 2]^3.
fn offsets(seed: u64) -> Tally {
    let mut rng = Rng::new(seed);
    let mut t = Tally::default();
    let mut jac = vec![0.0; 9];
    for i in 0..3 {
        jac[i * 3 + i] = 1.0;
    }
    for _ in 0..300 {
        let x: Vec<f64> = rng.uniforms(3).into_iter().map(|u| 4.0 * u - 2.0).collect();
        let c: Vec<f64> = (0..3)
            .map(|_| {
                let sign = if rng.uniform() < 0.5 { -1.0 } else { 1.0 };
                sign * 10f64.powf(6.0 + 6.0 * rng.uniform())
            })
            .collect();
        let f = move |x: &[f64], y: &mut [f64]| {
            for i in 0..3 {
                y[i] = (c[i] + x[i]) - c[i];
            }
        };
        check(
            &mut t,
            &f,
            (3, 3, &jac),
            &x,
            &mut rng,
            (&Options::new(), ""),
        );
    }
    println!(
        "offsets: {} of {} entries uncovered (worst {:.3e})",
        t.uncovered, t.entries, t.worst
    );
    t
}

#[test]
fn float32_values_are_bounded_by_their_grid() {
    let t = float32(1701);
    assert!(
        t.uncovered <= 6,
        "{} uncovered, worst {}",
        t.uncovered,
        t.worst
    );
}

#[test]
fn offset_values_are_bounded_by_their_grid() {
    let t = offsets(1702);
    assert!(
        t.uncovered <= 27,
        "{} uncovered, worst {}",
        t.uncovered,
        t.worst
    );
}

/// Every noise mode, with no bounds and with a bound 10^-6..10^-4 beside one element
/// (above or below), through [`check`], and `jacobian_estimate`'s errors: `f` (n inputs,
/// m outputs, exact Jacobian `jac`) at x.
fn check_everywhere(
    t: &mut Tally,
    f: &dyn Fn(&[f64], &mut [f64]),
    (n, m, jac): (usize, usize, &[f64]),
    x: &[f64],
    rng: &mut Rng,
) {
    for mode in [NoiseMode::Auto, NoiseMode::Estimate, NoiseMode::Off] {
        for bounded in [false, true] {
            let mut o = Options::new();
            o.set_noise_mode(mode);
            if bounded {
                let j = (rng.uniform() * n as f64) as usize;
                let d = 10f64.powf(-6.0 + 2.0 * rng.uniform());
                let (mut lower, mut upper) = (vec![f64::NEG_INFINITY; n], vec![f64::INFINITY; n]);
                if rng.uniform() < 0.5 {
                    upper[j] = x[j] + d;
                } else {
                    lower[j] = x[j] - d;
                }
                o.set_bounds(Some((lower, upper))).unwrap();
            }
            let what = format!("{mode:?} bounded {bounded} ");
            check(t, f, (n, m, jac), x, rng, (&o, &what));
            let g = |x: &[f64], y: &mut [f64]| {
                f(x, y);
                Ok(())
            };
            if let Ok(e) = fd::jacobian_estimate(&g, x, m, &o) {
                for ((v, err), want) in e.value.iter().zip(&e.error).zip(jac) {
                    t.entries += 1;
                    let miss = (v - want).abs();
                    if miss > err + 2e-15 * want.abs() {
                        t.uncovered += 1;
                        t.worst = t.worst.max(miss / err);
                        println!(
                            "uncovered estimate {mode:?} at {x:?}: {v} for {want}, err {err:e}"
                        );
                    }
                }
            }
        }
    }
}

/// float32 outputs that often do not move over the plain step: `a b + C`, `(a + 3 b) +
/// C` (linear) and `100 a b + 100 C`, C = 10^2..10^5 (a grid of ulp32(C), up to 0.008,
/// against changes of about 1e-5 over the step), at 200 random points in [0.3, 2.3]^2.
fn unmoved(seed: u64) -> Tally {
    let mut rng = Rng::new(seed);
    let mut t = Tally::default();
    for _ in 0..200 {
        let x: Vec<f64> = rng.uniforms(2).into_iter().map(|u| 0.3 + 2.0 * u).collect();
        let c = 10f64.powf(2.0 + 3.0 * rng.uniform()) as f32;
        let f = move |x: &[f64], y: &mut [f64]| {
            let (a, b) = (x[0] as f32, x[1] as f32);
            y[0] = f64::from(a * b + c);
            y[1] = f64::from((a + 3.0 * b) + c);
            y[2] = f64::from(100.0 * a * b + 100.0 * c);
        };
        let (a, b) = (x[0], x[1]);
        let jac = [b, a, 1.0, 3.0, 100.0 * b, 100.0 * a];
        check_everywhere(&mut t, &f, (2, 3, &jac), &x, &mut rng);
    }
    println!(
        "unmoved: {} of {} entries uncovered (worst {:.3e})",
        t.uncovered, t.entries, t.worst
    );
    t
}

/// `(c + x) - c + cos x` (the grid of ulp(c) hidden in the low bits by cos x), |c| in
/// 1e6..1e10, at 200 random points in [0.2, 2.2].
fn hidden_offsets(seed: u64) -> Tally {
    let mut rng = Rng::new(seed);
    let mut t = Tally::default();
    for _ in 0..200 {
        let x = [0.2 + 2.0 * rng.uniform()];
        let sign = if rng.uniform() < 0.5 { -1.0 } else { 1.0 };
        let c = sign * 10f64.powf(6.0 + 4.0 * rng.uniform());
        let f = move |x: &[f64], y: &mut [f64]| y[0] = (c + x[0]) - c + x[0].cos();
        let jac = [1.0 - x[0].sin()];
        check_everywhere(&mut t, &f, (1, 1, &jac), &x, &mut rng);
    }
    println!(
        "hidden offsets: {} of {} entries uncovered (worst {:.3e})",
        t.uncovered, t.entries, t.worst
    );
    t
}

#[test]
fn unmoved_values_are_bounded_by_their_grid() {
    let t = unmoved(1703);
    assert_eq!(t.uncovered, 0, "worst {}", t.worst);
}

/// A ceiling, not yet the property (module doc). 1,634 with grid12 alone; 1,667 with the
/// estimates' kink and noise rules of est12/est13: the estimate entries 173 -> 206, the
/// plain drivers' unchanged (stop 30).
#[test]
fn hidden_offsets_are_bounded() {
    let t = hidden_offsets(1704);
    assert!(
        t.uncovered <= 1667,
        "{} uncovered, worst {}",
        t.uncovered,
        t.worst
    );
}
