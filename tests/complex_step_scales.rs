//! The complex-step drivers at every scale of x (1e-300..1e300, default typical magnitude
//! 1): every entry returned with status OK is covered by its bound (or the bound is NaN),
//! and where f and f' are well inside the doubles it is accurate to 1e-13. The step used to
//! be `1e-20 * max(|x_j|, 1)`, not small against a tiny x_j: log at 1e-30 gave 1.6e20 for
//! 1e30 with a bound of 3e5 (probe12 finding 5). Each f is written with complex arithmetic
//! that carries the step in imaginary parts (`fdiv`, not the naive `1 / z`, whose |z|^2
//! overflows at 1e155); num-complex's `atan` adds h to 1 and is not usable here.

use fdvjp::fd::{jacobian_complex_step, jvp_complex_step, last_report, vjp_complex_step};
use fdvjp::fd::{Complex64, Options};

/// An elementwise test function: f, its exact derivative on the reals, whether it is
/// defined for negative x, and the largest scale of x it is tried at.
struct Family {
    name: &'static str,
    f: fn(Complex64) -> Complex64,
    df: fn(f64) -> f64,
    negative: bool,
    max_scale: f64,
}

fn families() -> Vec<Family> {
    vec![
        Family {
            name: "log",
            f: |z| z.ln(),
            df: |x| 1.0 / x,
            negative: false,
            max_scale: 1e300,
        },
        Family {
            name: "sqrt",
            f: |z| z.sqrt(),
            df: |x| 0.5 / x.sqrt(),
            negative: false,
            max_scale: 1e300,
        },
        Family {
            name: "1/x",
            f: |z| Complex64::new(1.0, 0.0).fdiv(z),
            df: |x| -1.0 / x / x,
            negative: true,
            max_scale: 1e300,
        },
        Family {
            name: "x^2",
            f: |z| z * z,
            df: |x| 2.0 * x,
            negative: true,
            max_scale: 1e300,
        },
        Family {
            name: "x^3",
            f: |z| z * z * z,
            df: |x| 3.0 * x * x,
            negative: true,
            max_scale: 1e300,
        },
        Family {
            name: "-log(1/x)",
            f: |z| -Complex64::new(1.0, 0.0).fdiv(z).ln(),
            df: |x| 1.0 / x,
            negative: false,
            max_scale: 1e300,
        },
        Family {
            name: "x(1/x)x",
            f: |z| z * Complex64::new(1.0, 0.0).fdiv(z) * z,
            df: |_| 1.0,
            negative: true,
            max_scale: 1e300,
        },
        Family {
            name: "1/(1+x^2)",
            f: |z| Complex64::new(1.0, 0.0).fdiv(Complex64::new(1.0, 0.0) + z * z),
            df: |x| -2.0 * x / (1.0 + x * x) / (1.0 + x * x),
            negative: true,
            max_scale: 1e300,
        },
        Family {
            name: "exp",
            f: |z| z.exp(),
            df: |x| x.exp(),
            negative: true,
            max_scale: 100.0,
        },
        Family {
            name: "exp(sin)",
            f: |z| z.sin().exp(),
            df: |x| x.cos() * x.sin().exp(),
            negative: true,
            max_scale: 100.0,
        },
    ]
}

const SCALES: [f64; 25] = [
    1e-300, 1e-250, 1e-200, 1e-150, 1e-100, 1e-50, 1e-30, 1e-20, 1e-16, 1e-12, 1e-8, 1e-4, 1.0,
    1e4, 1e8, 1e12, 1e16, 1e20, 1e30, 1e50, 1e100, 1e150, 1e200, 1e250, 1e300,
];

/// A small deterministic generator (xorshift64*), uniform in [0, 1).
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> f64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        (self.0.wrapping_mul(0x2545_f491_4f6c_dd1d) >> 11) as f64 / (1u64 << 53) as f64
    }
    fn signed(&mut self, negative: bool) -> f64 {
        if negative && self.next() < 0.5 {
            -1.0
        } else {
            1.0
        }
    }
}

/// f and f' well inside the doubles at every element: the result must be accurate there.
fn representable(fam: &Family, x: &[f64]) -> bool {
    x.iter().all(|&xj| {
        let (y, d) = (
            (fam.f)(Complex64::new(xj, 0.0)).re.abs(),
            (fam.df)(xj).abs(),
        );
        let inside = |t: f64| t == 0.0 || (1e-200..=1e200).contains(&t);
        (1e-100..=1e100).contains(&xj.abs()) && inside(y) && inside(d)
    })
}

#[derive(Default)]
struct Tally {
    calls: usize,
    loud: usize,
    unbounded: usize,
    uncovered: usize,
    inaccurate: usize,
}

impl Tally {
    /// Checks one call's result against the exact one.
    fn check(
        &mut self,
        what: &str,
        x: &[f64],
        got: Result<Vec<f64>, impl std::fmt::Debug>,
        exact: &[f64],
        accurate: bool,
    ) {
        self.calls += 1;
        let got = match got {
            Ok(g) => g,
            Err(_) => {
                self.loud += 1;
                if accurate {
                    self.inaccurate += 1;
                    eprintln!("{what} x = {x:?}: an error where f and f' are representable");
                }
                return;
            }
        };
        if exact.iter().any(|e| !e.is_finite()) {
            return; // beyond the doubles: the C API refuses such a result
        }
        let bound = last_report().error_bound;
        if bound.is_nan() {
            self.unbounded += 1;
        }
        let mut uncovered = false;
        let mut worst = 0.0f64;
        for (g, e) in got.iter().zip(exact) {
            let err = (g - e).abs();
            uncovered |= !g.is_finite() || err > bound + 2e-15 * e.abs();
            worst = worst.max(err / e.abs().max(f64::MIN_POSITIVE));
        }
        if uncovered {
            self.uncovered += 1;
            eprintln!("{what} x = {x:?}: got {got:?}, exact {exact:?}, bound {bound:e}");
        }
        if accurate && (worst > 1e-13 || bound.is_nan()) {
            self.inaccurate += 1;
            eprintln!("{what} x = {x:?}: relative error {worst:e}, bound {bound:e}");
        }
    }
}

#[test]
fn complex_step_is_covered_at_every_scale() {
    const N: usize = 3;
    let o = Options::new();
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    let mut t = Tally::default();
    for fam in families() {
        let g = |z: &[Complex64], w: &mut [Complex64]| -> Result<(), i32> {
            for (wi, zi) in w.iter_mut().zip(z) {
                *wi = (fam.f)(*zi);
            }
            Ok(())
        };
        let scales: Vec<f64> = SCALES
            .iter()
            .copied()
            .filter(|&s| s <= fam.max_scale)
            .collect();
        // Every element at one scale, 4 points per scale; then 40 points of mixed scales.
        let mut points = Vec::new();
        for &s in &scales {
            for _ in 0..4 {
                points.push([s; N]);
            }
        }
        for _ in 0..40 {
            points.push([0; N].map(|_| scales[(rng.next() * scales.len() as f64) as usize]));
        }
        for s in points {
            let x: Vec<f64> = s
                .iter()
                .map(|&sj| rng.signed(fam.negative) * sj * (0.5 + rng.next()))
                .collect();
            let d: Vec<f64> = x.iter().map(|&xj| (fam.df)(xj)).collect();
            let v: Vec<f64> = (0..N)
                .map(|_| rng.signed(true) * (0.5 + rng.next()))
                .collect();
            let accurate = representable(&fam, &x);
            let what = |entry: &str| format!("{} {entry}", fam.name);

            let exact: Vec<f64> = d.iter().zip(&v).map(|(di, vi)| di * vi).collect();
            t.check(
                &what("vjp"),
                &x,
                vjp_complex_step(&g, &x, &v, &o),
                &exact,
                accurate,
            );
            // u = v: J u has the same entries as v^T J for this diagonal J.
            t.check(
                &what("jvp"),
                &x,
                jvp_complex_step(&g, &x, N, &v, &o),
                &exact,
                accurate,
            );
            let mut jac = vec![0.0; N * N];
            for i in 0..N {
                jac[i * N + i] = d[i];
            }
            t.check(
                &what("jacobian"),
                &x,
                jacobian_complex_step(&g, &x, N, &o),
                &jac,
                accurate,
            );
        }
    }
    eprintln!(
        "{} calls: {} loud errors, {} NaN bounds, {} uncovered, {} inaccurate where representable",
        t.calls, t.loud, t.unbounded, t.uncovered, t.inaccurate
    );
    assert_eq!(t.uncovered, 0, "entries beyond their bound");
    assert_eq!(
        t.inaccurate, 0,
        "inaccurate where f and f' are representable"
    );
}

/// Subnormal x (probe13 9b): x = 5e-324 was refused with "f is not real at the real x"
/// (its step `1e-8 |x|` rounded to 0, so `Im f / h` was 0/0), and x = 1e-310 had a finite
/// bound where the documentation promised NaN. Now every subnormal x gives f' (the step is
/// at least the smallest subnormal), with a NaN bound below 5e-318, where that step is more
/// than 1e-6 of x; above, the bound covers. f = 10 z + sin z and exp z, whose derivatives
/// near 0 are 11 and 1. Columns are accurate to 1e-13; a JVP, whose one step along u is
/// set by the subnormal element, may be less accurate only with a NaN bound.
#[test]
fn complex_step_at_subnormal_x_is_right_or_unbounded() {
    const XS: [f64; 12] = [
        5e-324, 1e-323, 2.5e-322, 1e-320, 1e-318, 4e-318, 6e-318, 1e-316, 1e-312, 1e-310, 2e-308,
        1e-300,
    ];
    let o = Options::new();
    type Pair = (fn(Complex64) -> Complex64, fn(f64) -> f64);
    let fams: [Pair; 2] = [
        (|z| z * 10.0 + z.sin(), |x| 10.0 + x.cos()),
        (|z| z.exp(), |x| x.exp()),
    ];
    let mut calls = 0;
    for (f, df) in fams {
        let g = |z: &[Complex64], w: &mut [Complex64]| -> Result<(), i32> {
            for (wi, zi) in w.iter_mut().zip(z) {
                *wi = f(*zi);
            }
            Ok(())
        };
        for &a in &XS {
            for &b in &[1.0, -0.5, a, -a] {
                for sign in [1.0, -1.0] {
                    let x = [sign * a, b];
                    let d: Vec<f64> = x.iter().map(|&xj| df(xj)).collect();
                    let v = [1.0, -2.0];
                    let tiny = x.iter().any(|xj| xj.abs() < 4.9e-318);
                    let results = [
                        (
                            "vjp",
                            vjp_complex_step(&g, &x, &v, &o),
                            vec![d[0], -2.0 * d[1]],
                        ),
                        (
                            "jvp",
                            jvp_complex_step(&g, &x, 2, &v, &o),
                            vec![d[0], -2.0 * d[1]],
                        ),
                        (
                            "jacobian",
                            jacobian_complex_step(&g, &x, 2, &o),
                            vec![d[0], 0.0, 0.0, d[1]],
                        ),
                    ];
                    for (what, got, exact) in results {
                        calls += 1;
                        let got = got.unwrap_or_else(|e| panic!("{what} at x = {x:?}: {e}"));
                        // (the report is that of the last call: re-run this one)
                        let _ = match what {
                            "vjp" => vjp_complex_step(&g, &x, &v, &o),
                            "jvp" => jvp_complex_step(&g, &x, 2, &v, &o),
                            _ => jacobian_complex_step(&g, &x, 2, &o),
                        };
                        let bound = last_report().error_bound;
                        for (gi, ei) in got.iter().zip(&exact) {
                            let err = (gi - ei).abs();
                            // A JVP's one step serves every element: a subnormal one
                            // resolves the others' Im f only to the subnormal spacing.
                            assert!(
                                (what == "jvp" && bound.is_nan())
                                    || err <= 1e-13 * ei.abs().max(1.0),
                                "{what} at x = {x:?}: {got:?} for {exact:?}"
                            );
                            assert!(
                                bound.is_nan() || err <= bound + 2e-15 * ei.abs(),
                                "{what} at x = {x:?}: error {err:e} beyond bound {bound:e}"
                            );
                        }
                        // A JVP's element moved by a subnormal amount is also unbounded.
                        assert!(
                            bound.is_nan() == tiny || (what == "jvp" && bound.is_nan()),
                            "{what} at x = {x:?}: bound {bound:e} (NaN expected: {tiny})"
                        );
                    }
                }
            }
        }
    }
    assert!(calls > 500);
}
