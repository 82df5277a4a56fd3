//! probe14 finding 8: outputs in the subnormal range must be within their bounds, whose
//! rounding takes the spacing of the doubles there (4.9e-324), not `eps |f|`.
//!
//! f_0 = s_0 sin(x_0 + x_1 / 2), f_1 = s_1 exp(x_0 / 3 - x_1) at x of order 1, with s_i =
//! 10^-(300..323) (some cases one output normal, the other subnormal); every driver: the
//! Jacobian, VJP and JVP (default central, and with bounds declared around x), their
//! `_estimate`s, and the complex-step VJP. Each entry must lie within the bound (the
//! estimate's error) plus `2e-15 |exact|` and one subnormal spacing, or the bound be NaN
//! (counted).
//!
//! Before the fix (this test): 442 of 4,200 cases uncovered (Jacobian 59, VJP 67, JVP 63,
//! their estimates 132, 30 and 91, complex step 0; s sin x at s = 1e-312 was 3.9e-7
//! relative off with a bound of 1.3e-10 relative, at 1e-320 0 with a bound of 0).

use crate::common;

use common::Rng;
use fdvjp::fd::{self, last_report, vjp_complex_step, Complex64, Options};

/// Four spacings of the subnormals: the exact entries are rounded to one, and an output
/// of a few spacings (s = 5e-324..1.5e-323) changes by less than one over the estimates'
/// steps: it is a constant as evaluated, whose `_estimate` gives 0 with an error of 0 for
/// an entry of 1.5e-323.
const SPACING: f64 = 2e-323;

const DRIVERS: [&str; 7] = [
    "jacobian",
    "vjp",
    "jvp",
    "jacobian_estimate",
    "vjp_estimate",
    "jvp_estimate",
    "vjp_complex_step",
];

/// The default options, with bounds 0.5 either side of `x` where `boxed`.
fn options(x: [f64; 2], boxed: bool) -> Options {
    let mut o = Options::new();
    if boxed {
        o.set_bounds(Some((
            vec![x[0] - 0.5, x[1] - 0.5],
            vec![x[0] + 0.5, x[1] + 0.5],
        )))
        .unwrap();
    }
    o
}

#[test]
fn subnormal_outputs_are_within_their_bounds() {
    let mut rng = Rng::new(0x5b9e_0a11);
    let calls = if cfg!(debug_assertions) { 60 } else { 600 };
    let mut failures = Vec::new();
    let (mut uncovered, mut nan, mut cases) = ([0usize; 7], [0usize; 7], 0usize);
    for k in 0..calls {
        let scale = |rng: &mut Rng| 10f64.powf(-300.0 - 23.5 * rng.uniform());
        let s = [
            scale(&mut rng),
            if k % 4 == 0 { 1.0 } else { scale(&mut rng) },
        ];
        let x = [2.0 * rng.uniform() - 1.0, 2.0 * rng.uniform() - 1.0];
        let f = |z: &[f64], y: &mut [f64]| -> Result<(), i32> {
            y[0] = s[0] * (z[0] + z[1] / 2.0).sin();
            y[1] = s[1] * (z[0] / 3.0 - z[1]).exp();
            Ok(())
        };
        let g = |z: &[Complex64], w: &mut [Complex64]| -> Result<(), i32> {
            w[0] = (z[0] + z[1] / 2.0).sin() * s[0];
            w[1] = (z[0] / 3.0 - z[1]).exp() * s[1];
            Ok(())
        };
        let (c, e) = ((x[0] + x[1] / 2.0).cos(), (x[0] / 3.0 - x[1]).exp());
        // Row-major: J = [[s0 c, s0 c / 2], [s1 e / 3, -s1 e]].
        let jac = [s[0] * c, s[0] * c / 2.0, s[1] * e / 3.0, -s[1] * e];
        let v = [0.5 + rng.uniform(), 0.5 + rng.uniform()];
        let u = [0.5 + rng.uniform(), -0.5 - rng.uniform()];
        let vjp = [v[0] * jac[0] + v[1] * jac[2], v[0] * jac[1] + v[1] * jac[3]];
        let jvp = [jac[0] * u[0] + jac[1] * u[1], jac[2] * u[0] + jac[3] * u[1]];
        let o = options(x, k % 3 == 0);
        for (d, name) in DRIVERS.iter().enumerate() {
            // Values, wanted values and per-entry bounds (one bound for the plain drivers).
            let (got, want, bounds): (Vec<f64>, Vec<f64>, Option<Vec<f64>>) = match d {
                0 => (fd::jacobian(&f, &x, 2, &o).unwrap(), jac.to_vec(), None),
                1 => (fd::vjp(&f, &x, &v, &o).unwrap(), vjp.to_vec(), None),
                2 => (fd::jvp(&f, &x, 2, &u, &o).unwrap(), jvp.to_vec(), None),
                3 => {
                    let e = fd::jacobian_estimate(&f, &x, 2, &o).unwrap();
                    (e.value, jac.to_vec(), Some(e.error))
                }
                4 => {
                    let e = fd::vjp_estimate(&f, &x, &v, &o).unwrap();
                    (e.value, vjp.to_vec(), Some(e.error))
                }
                5 => {
                    let e = fd::jvp_estimate(&f, &x, 2, &u, &o).unwrap();
                    (e.value, jvp.to_vec(), Some(e.error))
                }
                _ => (
                    vjp_complex_step(&g, &x, &v, &o).unwrap(),
                    vjp.to_vec(),
                    None,
                ),
            };
            let bounds = bounds.unwrap_or_else(|| vec![last_report().error_bound; got.len()]);
            cases += 1;
            if bounds.iter().any(|b| b.is_nan()) {
                nan[d] += 1;
                continue;
            }
            let bad = (0..got.len())
                .any(|i| (got[i] - want[i]).abs() > bounds[i] + 2e-15 * want[i].abs() + SPACING);
            if bad {
                uncovered[d] += 1;
                if failures.len() < 12 {
                    failures.push(format!(
                        "{name} s = {s:?} x = {x:?}: {got:?} for {want:?}, bounds {bounds:?} {:?}",
                        last_report()
                    ));
                }
            }
        }
    }
    for (d, name) in DRIVERS.iter().enumerate() {
        println!(
            "{name}: {} uncovered, {} NaN of {calls}",
            uncovered[d], nan[d]
        );
    }
    let total: usize = uncovered.iter().sum();
    println!("{cases} cases, {total} uncovered");
    assert!(
        failures.is_empty(),
        "{total} uncovered:\n{}",
        failures.join("\n")
    );
}

/// review 30 finding 3: outputs that are exactly 0 at x and subnormal at the perturbed
/// points. The fused VJP pass (central, `Need::Sums`) floored only outputs with a
/// subnormal f(x), so f_i(x) = 0 took `eps |f|` rounding for values spaced 4.9e-324 apart:
/// with weights up to 1e3 its bound fell about 250× short. f_i = s_i sin(a_i z_0) exp(b_i
/// z_1) at x_0 = 0, exactly 0 at x (and no cancellation inside f: x_0 + t u_0 is exact),
/// s_i = 10^-(300..323), m = 1, 3, 8 and 100 (the small
/// and the lane passes), |v_i| up to 1e3; VJP, Jacobian and JVP, with and without bounds.
/// The entries lie within the bound plus `2e-15 |exact|` and one spacing per unit weight.
/// A call where f is 0 at every point it is evaluated at (s_i t below the smallest
/// subnormal) is constant as computed, 0 with bound 0: counted apart (`subnormal.rs`).
#[test]
fn outputs_zero_at_x_and_subnormal_nearby_are_within_their_bounds() {
    let mut rng = Rng::new(0x0fe3_5b0d);
    let calls = if cfg!(debug_assertions) { 40 } else { 400 };
    let (mut uncovered, mut nan, mut cases) = ([0usize; 3], [0usize; 3], 0usize);
    let mut constant = [0usize; 3];
    let mut failures = Vec::new();
    for k in 0..calls {
        let m = [1, 3, 8, 100][k % 4];
        let x = [0.0, 2.0 * rng.uniform() - 1.0];
        let s: Vec<f64> = (0..m)
            .map(|_| 10f64.powf(-300.0 - 23.5 * rng.uniform()))
            .collect();
        let w: Vec<[f64; 2]> = (0..m)
            .map(|_| [0.5 + rng.uniform(), 2.0 * rng.uniform() - 1.0])
            .collect();
        let moved = std::cell::Cell::new(false);
        let f = |z: &[f64], y: &mut [f64]| -> Result<(), i32> {
            for i in 0..y.len() {
                y[i] = s[i] * (w[i][0] * z[0]).sin() * (w[i][1] * z[1]).exp();
                moved.set(moved.get() || y[i] != 0.0);
            }
            Ok(())
        };
        let v: Vec<f64> = (0..m)
            .map(|_| {
                let sign = if rng.uniform() < 0.5 { -1.0 } else { 1.0 };
                sign * 10f64.powf(3.0 * rng.uniform())
            })
            .collect();
        let u = [0.5 + rng.uniform(), -0.5 - rng.uniform()];
        // J_i0 = s_i w_i0 exp(w_i1 x_1), J_i1 = 0 (sin 0 = 0).
        let jac: Vec<f64> = (0..m)
            .flat_map(|i| [s[i] * w[i][0] * (w[i][1] * x[1]).exp(), 0.0])
            .collect();
        let vjp: Vec<f64> = (0..2)
            .map(|j| (0..m).map(|i| v[i] * jac[2 * i + j]).sum())
            .collect();
        let jvp: Vec<f64> = (0..m)
            .map(|i| jac[2 * i] * u[0] + jac[2 * i + 1] * u[1])
            .collect();
        let o = options(x, k % 3 == 0);
        let weight: f64 = v.iter().map(|v| v.abs()).sum();
        for (d, name) in ["vjp", "jacobian", "jvp"].iter().enumerate() {
            moved.set(false);
            let (got, want, spacing) = match d {
                0 => (fd::vjp(&f, &x, &v, &o).unwrap(), &vjp, SPACING * weight),
                1 => (fd::jacobian(&f, &x, m, &o).unwrap(), &jac, SPACING),
                _ => (fd::jvp(&f, &x, m, &u, &o).unwrap(), &jvp, SPACING * 3.0),
            };
            let bound = last_report().error_bound;
            cases += 1;
            if bound.is_nan() {
                nan[d] += 1;
                continue;
            }
            if !moved.get() {
                constant[d] += 1;
                continue;
            }
            let worst = (0..got.len())
                .map(|i| (got[i] - want[i]).abs() / (bound + 2e-15 * want[i].abs() + spacing))
                .fold(0.0, f64::max);
            if worst > 1.0 {
                uncovered[d] += 1;
                if failures.len() < 8 {
                    failures.push(format!(
                        "{name} m = {m} x = {x:?} s[0] = {:e}: error {worst:.3e} times the bound {bound:e}",
                        s[0]
                    ));
                }
            }
        }
    }
    println!(
        "{cases} cases: uncovered {uncovered:?}, NaN {nan:?}, 0 wherever evaluated {constant:?} (vjp, jacobian, jvp)"
    );
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// Review 31 finding 3: a column that stays 0 at every point (x0 x1 at (1e-4, 0) along
/// x0) is no sign that rounding swamps its difference: the floor of values beside a 0 of
/// f(x) must not send it down the growth path (7 evaluations, as before the floor, for
/// the Jacobian, the small VJP and the fused pass with m = 4).
#[test]
fn a_column_that_stays_zero_keeps_its_evaluations() {
    let x = [1e-4, 0.0];
    for m in [1usize, 4] {
        let f = |z: &[f64], y: &mut [f64]| -> Result<(), i32> {
            for (i, yi) in y.iter_mut().enumerate() {
                *yi = z[0] * z[1] * (i + 1) as f64;
            }
            Ok(())
        };
        let o = Options::new();
        let j = fd::jacobian(&f, &x, m, &o).unwrap();
        assert_eq!((j[0], j[1]), (0.0, 1e-4), "m = {m}");
        assert_eq!(last_report().evaluations, 7, "jacobian m = {m}");
        let g = fd::vjp(&f, &x, &vec![1.0; m], &o).unwrap();
        assert_eq!(g[0], 0.0, "m = {m}");
        assert_eq!(last_report().evaluations, 7, "vjp m = {m}");
    }
}
