//! The plain JVP along a u whose step, set by one element, leaves another element of x
//! unmoved: `sin(x0 / c) + x1^2 / 2` (and `x1^3 / 3`) at (x0, 0.7) along (1, u1). The step
//! along u is `min_j h_j / |u_j|`; with x0 far above x1's scale it moved x0 by less than
//! half an ulp, so x0's term was missing from every point: at (1e9, 0.7) along (1, 1000)
//! `fdvjp_jvp` read 700 for 700.84 with a bound of 1.3e-7, at (1e12, 0.7) along (1, 0.3)
//! 0.21 for 1.00 with 3.8e-11, FDVJP_OK; moved by 3 ulps, at (1.2345e10, 0.7) along
//! (1, 1), -0.228 for -0.282 with 1.3e-10. A u whose step moves an element by fewer than
//! 32 ulps is now taken column by column (`src/fd/jvp_columns.rs`).
//!
//! Asserted, for every scheme and x0 = 1.2345 10^k c (k = 0..18, c = 1 and 0.3 with typ
//! c), u1 from 1e-6 to 1e6: each entry within the bound (plus f's own rounding of `x0 / c`
//! where c is not a power of 2, `4 eps |x0 / c| / c`), or the bound NaN.

use fdvjp::fd::{self, Options, Scheme};

#[test]
fn an_element_the_step_leaves_unmoved_is_not_left_out() {
    let mut short = Vec::new();
    let (mut total, mut unbounded) = (0, 0);
    for scheme in [
        Scheme::Central,
        Scheme::Forward,
        Scheme::Backward,
        Scheme::Central4,
    ] {
        for c in [1.0, 0.3] {
            for k in 0..=18 {
                for u1 in [1e-6, 1e-3, 0.3, 1.0, 1e3, 1e6] {
                    let x0 = 1.2345 * c * 10f64.powi(k);
                    let f = move |x: &[f64], y: &mut [f64]| {
                        y[0] = (x[0] / c).sin() + x[1] * x[1] / 2.0;
                        y[1] = x[1] * x[1] * x[1] / 3.0;
                        Ok(())
                    };
                    let mut opts = Options::new();
                    opts.set_scheme(scheme);
                    opts.set_typical(Some(vec![c, 1.0])).unwrap();
                    let x = [x0, 0.7];
                    let got = fd::jvp(&f, &x, 2, &[1.0, u1], &opts).unwrap();
                    let bound = fd::last_report().error_bound;
                    let want = [(x0 / c).cos() / c + u1 * 0.7, u1 * 0.49];
                    let slack = if c == 1.0 {
                        0.0
                    } else {
                        4.0 * f64::EPSILON * x0 / c / c
                    };
                    total += 1;
                    if bound.is_nan() {
                        unbounded += 1;
                        continue;
                    }
                    for i in 0..2 {
                        let err = (got[i] - want[i]).abs();
                        if err > bound + slack {
                            short.push(format!(
                                "{scheme:?} c {c} x0 {x0:e} u1 {u1:e} [{i}]: {} for {}, bound {bound:e}",
                                got[i], want[i]
                            ));
                        }
                    }
                }
            }
        }
    }
    eprintln!("{unbounded} of {total} JVPs unbounded");
    assert!(
        short.is_empty(),
        "{} short:\n{}",
        short.len(),
        short.join("\n")
    );
}

/// Elementwise `g(x_j)` at elements of very different scales along u = ones: no single
/// step along u serves them all (the one x0's own scale asks for leaves x2 unmoved), and
/// the JVP had no bound and a wrong value (x^3 at (1e-8, 1, 1e8): 3.7e-11 for 3e-16;
/// exp(x / x0): 2.2e268 for 2.7e8; tester F2). Such a direction is taken column by
/// column: each entry within the bound, which is finite.
#[test]
fn a_direction_no_step_serves_is_taken_column_by_column() {
    type G = (&'static str, fn(f64, f64) -> f64, fn(f64, f64) -> f64);
    let gs: [G; 3] = [
        ("x^3", |x, _| x * x * x, |x, _| 3.0 * x * x),
        ("exp(x / s)", |x, s| (x / s).exp(), |x, s| (x / s).exp() / s),
        ("sin(x / s)", |x, s| (x / s).sin(), |x, s| (x / s).cos() / s),
    ];
    let mut short = Vec::new();
    for (name, g, dg) in gs {
        for small in [1e-12, 1e-8, 1e-4] {
            for large in [1e4, 1e8, 1e12] {
                let x = [small, 1.0, large];
                // Each element's function on its own scale (exp(x_j / x_j) = e at x).
                let scale = x;
                let f = move |x: &[f64], y: &mut [f64]| {
                    for ((yi, &xi), s) in y.iter_mut().zip(x).zip(scale) {
                        *yi = g(xi, s);
                    }
                    Ok(())
                };
                for u in [[1.0, 1.0, 1.0], [1.0, -0.5, 3.0]] {
                    let got = fd::jvp(&f, &x, 3, &u, &Options::new()).unwrap();
                    let bound = fd::last_report().error_bound;
                    for i in 0..3 {
                        let want = dg(x[i], scale[i]) * u[i];
                        // f's own rounding of x_j / s_j (an ulp of an argument near 1).
                        let slack = 4.0 * f64::EPSILON * want.abs();
                        let within = (got[i] - want).abs() <= bound + slack;
                        if !within {
                            short.push(format!(
                                "{name} at {x:?} along {u:?}: [{i}] {} for {want}, bound {bound:e}",
                                got[i]
                            ));
                        }
                    }
                }
            }
        }
    }
    assert!(
        short.is_empty(),
        "{} short:\n{}",
        short.len(),
        short.join("\n")
    );
}
