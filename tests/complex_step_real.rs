//! A complex-step f that is not real on the real axis near x is refused, by all three entry
//! points, at every scale: its `Im f(x)` would be divided by the step (1e20 times it). Only
//! where that is below an ulp of the derivative (z + i at x = 1e200) may the call succeed,
//! and then with the derivative of Re f within the bound.
//! On main the log of a negative number gave pi / h = 1.6e20 with status OK (probe12
//! finding 6).

use fdvjp::fd::{jacobian_complex_step, jvp_complex_step, last_report, vjp_complex_step};
use fdvjp::fd::{Complex64, FdError, Options};

type Family = (
    &'static str,
    fn(Complex64) -> Complex64,
    f64,
    fn(f64) -> f64,
);

/// Functions that are complex (not real) at the real points they are tried at (with the
/// sign of those points), and the derivative of their real part.
fn not_real() -> Vec<Family> {
    vec![
        ("log at x < 0", |z| z.ln(), -1.0, |x| 1.0 / x),
        ("sqrt at x < 0", |z| z.sqrt(), -1.0, |_| 0.0),
        ("z + i", |z| z + Complex64::new(0.0, 1.0), 1.0, |_| 1.0),
        (
            "z + 1e-30 i",
            |z| z + Complex64::new(0.0, 1e-30),
            1.0,
            |_| 1.0,
        ),
        ("acos at x > 1", |z| z.acos(), 1.0, |_| 0.0),
    ]
}

#[test]
fn complex_step_refuses_f_not_real_on_the_real_axis() {
    let o = Options::new();
    let mut state = 0x1234_5678_9abc_def1u64;
    let mut next = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        (state >> 11) as f64 / (1u64 << 53) as f64
    };
    let (mut calls, mut refused, mut wrong) = (0, 0, 0);
    for (name, f, sign, df) in not_real() {
        let g = |z: &[Complex64], w: &mut [Complex64]| -> Result<(), i32> {
            for (wi, zi) in w.iter_mut().zip(z) {
                *wi = f(*zi);
            }
            Ok(())
        };
        for k in 0..60 {
            // acos is complex beyond 1: scales from 2 up; the others from 1e-300 to 1e300.
            let e = if name.starts_with("acos") {
                0.3 + 2.0 * next()
            } else {
                -300.0 + 600.0 * next()
            };
            let x: Vec<f64> = (0..3)
                .map(|_| sign * 10f64.powf(e) * (1.0 + next()))
                .collect();
            let v = [1.0, -0.5, 2.0];
            let d: Vec<f64> = x.iter().map(|&xj| df(xj)).collect();
            let vjp: Vec<f64> = d.iter().zip(&v).map(|(di, vi)| di * vi).collect();
            let jac: Vec<f64> = (0..9)
                .map(|k| if k % 4 == 0 { d[k / 4] } else { 0.0 })
                .collect();
            // Each call's result with its own report's bound.
            let with_bound = |r| (r, last_report().error_bound);
            let results = [
                (with_bound(vjp_complex_step(&g, &x, &v, &o)), vjp.clone()),
                (with_bound(jvp_complex_step(&g, &x, 3, &v, &o)), vjp),
                (with_bound(jacobian_complex_step(&g, &x, 3, &o)), jac),
            ];
            for ((r, bound), exact) in results {
                calls += 1;
                match r {
                    Err(FdError::InvalidArgument(msg)) if msg.contains("not real") => refused += 1,
                    Ok(got) => {
                        let covered = bound.is_nan()
                            || got
                                .iter()
                                .zip(&exact)
                                .all(|(g, e)| (g - e).abs() <= bound + 2e-15 * e.abs());
                        if !covered {
                            wrong += 1;
                            eprintln!("{name} case {k} x = {x:?}: {got:?}, exact {exact:?}, bound {bound:e}");
                        }
                    }
                    Err(e) => eprintln!("{name} case {k} x = {x:?}: {e:?}"),
                }
            }
        }
    }
    eprintln!("{calls} calls: {refused} refused, {wrong} wrong");
    assert_eq!(wrong, 0, "quietly wrong");
    assert!(refused >= calls * 8 / 10, "refused {refused} of {calls}");
}
