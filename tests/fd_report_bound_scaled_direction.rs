//! A JVP along a direction far outside `[2^-256, 2^256]` works along u scaled near 1 and
//! scales `J u` back by `2^e` (`fd/direction_scale.rs`); the report's bound must be
//! scaled back with it. Before, it stayed the bound of the scaled product: along
//! `u = 1e300 (1, -0.5, 0.25)` a bound 2^996 times too small, along `u = 1e-300 (...)` one
//! 2^997 times too large. Checked against the analytic product on random points, for
//! u from 1e-300 to 1e300 (the unscaled middle as the reference for the bound's size).

use fdvjp::fd::{self, last_report, Options};

/// f(x) = [sin(x0) x1 + x2^2, exp(x0 / 4) - x1 x2], and its Jacobian times u.
fn f(x: &[f64], y: &mut [f64]) -> Result<(), i32> {
    y[0] = x[0].sin() * x[1] + x[2] * x[2];
    y[1] = (x[0] / 4.0).exp() - x[1] * x[2];
    Ok(())
}

fn exact_ju(x: &[f64], u: &[f64]) -> [f64; 2] {
    [
        x[0].cos() * x[1] * u[0] + x[0].sin() * u[1] + 2.0 * x[2] * u[2],
        0.25 * (x[0] / 4.0).exp() * u[0] - x[2] * u[1] - x[1] * u[2],
    ]
}

#[test]
fn the_bound_scales_with_the_direction() {
    let base = [1.0, -0.5, 0.25];
    let opts = Options::default();
    let mut state = 0x9e37_79b9_7f4a_7c15u64;
    let mut next = || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        (state >> 11) as f64 / (1u64 << 53) as f64
    };
    for _ in 0..50 {
        let x: Vec<f64> = (0..3).map(|_| 4.0 * next() - 2.0).collect();
        fd::jvp(&f, &x, 2, &base, &opts).unwrap();
        let reference = last_report().error_bound;
        assert!(
            reference.is_finite() && reference > 0.0,
            "bound at u ~ 1: {reference}"
        );
        for scale in [1e-300, 1e-200, 1e200, 1e300] {
            let u: Vec<f64> = base.iter().map(|b| b * scale).collect();
            let got = fd::jvp(&f, &x, 2, &u, &opts).unwrap();
            let bound = last_report().error_bound;
            let exact = exact_ju(&x, &u);
            for i in 0..2 {
                let err = (got[i] - exact[i]).abs();
                assert!(
                    err <= bound + 8.0 * f64::EPSILON * exact[i].abs(),
                    "x = {x:?}, u scale {scale:e}: |error| {err:e} above bound {bound:e}"
                );
            }
            // The same step relative to u, so the same bound relative to |u| within
            // rounding of the step's choice: the bound is the scaled direction's, scaled.
            let ratio = bound / (reference * scale);
            assert!(
                (0.25..=4.0).contains(&ratio),
                "x = {x:?}, u scale {scale:e}: bound {bound:e} is {ratio:e} times the unscaled \
                 bound {reference:e} times the scale"
            );
        }
    }
}
