//! Values on a grid coarser than f's rounding (probe13 finding 3): f computed in float32
//! from `(float)x`, or a difference that cancels a large offset (`(c + x) - c`), gives
//! values whose every difference is a multiple of the grid step Q, far above `eps |f|`.
//! Under the default (central, nothing declared) the plain bound counts `2 Q / t` where
//! the stencil's values show such a grid (`quantum::coarse`: f(x) and the differences
//! both on it). Not yet the property (the tests assert ceilings): the branch without that
//! term left 15 of 5,100 float32 entries uncovered (worst 7.0) and 638 of 4,500 offset
//! entries (worst 1.8e10); now 6 (worst 1.5) and 185 (worst 5.5e4). Left: differences
//! of exactly 0 show no grid (f did not move over the step: a linear f on a grid, `a b +
//! 1000` in float32), and values off by more than two grid steps (an input `(float)x`
//! moves f by `|f'| ulp32(x) / 2`, more than a grid step where `|f' x| > |f|`).
//!
//! Reference: the exact derivative of the real function the float32 code approximates
//! (1 for the offset). An entry is uncovered when `|error| > bound + 2e-15
//! |exact|`. Figures with `--nocapture`.

mod common;

use common::Rng;
use fdvjp::fd::{self, last_report, Options};

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
            println!("uncovered {what}: {g} for {w}, bound {bound:e}");
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
) {
    let g = |x: &[f64], y: &mut [f64]| {
        f(x, y);
        Ok(())
    };
    let o = Options::new();
    let v: Vec<f64> = rng.uniforms(m).into_iter().map(|u| 2.0 * u - 1.0).collect();
    let u: Vec<f64> = rng.uniforms(n).into_iter().map(|u| 2.0 * u - 1.0).collect();
    let vj: Vec<f64> = (0..n)
        .map(|j| (0..m).map(|i| v[i] * jac[i * n + j]).sum())
        .collect();
    let ju: Vec<f64> = (0..m)
        .map(|i| (0..n).map(|j| jac[i * n + j] * u[j]).sum())
        .collect();
    if let Ok(got) = fd::jacobian(&g, x, m, &o) {
        count(t, &got, jac, &format!("jacobian at {x:?}"));
    }
    if let Ok(got) = fd::vjp(&g, x, &v, &o) {
        count(t, &got, &vj, &format!("vjp at {x:?}"));
    }
    if let Ok(got) = fd::jvp(&g, x, m, &u, &o) {
        count(t, &got, &ju, &format!("jvp at {x:?}"));
    }
}

/// float32 outputs at 300 random points in [0.3, 2.3]^2.
fn float32(seed: u64) -> Tally {
    let mut rng = Rng::new(seed);
    let mut t = Tally::default();
    for _ in 0..300 {
        let x: Vec<f64> = rng.uniforms(2).into_iter().map(|u| 0.3 + 2.0 * u).collect();
        let jac = f32_jacobian(&x);
        check(&mut t, &f32_outputs, (2, 5, &jac), &x, &mut rng);
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
        check(&mut t, &f, (3, 3, &jac), &x, &mut rng);
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
        t.uncovered <= 9,
        "{} uncovered, worst {}",
        t.uncovered,
        t.worst
    );
}

#[test]
fn offset_values_are_bounded_by_their_grid() {
    let t = offsets(1702);
    assert!(
        t.uncovered <= 613,
        "{} uncovered, worst {}",
        t.uncovered,
        t.worst
    );
}
