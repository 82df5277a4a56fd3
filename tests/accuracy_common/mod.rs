//! The accuracy suite shared by `tests/accuracy_*.rs` and `examples/accuracy_modes.rs`:
//! test functions with analytic Jacobians, the modes that differentiate them, and the
//! error measure.
//!
//! Each function is written once, generically over real and complex scalars
//! (`ComplexFloat`), so the same code serves the finite-difference modes (real) and the
//! complex step (complex); noisy ones are real only (noise is not analytic).
//!
//! Error measure: for each column j, `max_i |J~_ij - J_ij| / max_i |J_ij|` (a relative
//! error per column), maximised over columns and points. Random points are redrawn while
//! some column of J is smaller than 0.2 in max norm, so the measure is never a ratio to a
//! nearly vanishing derivative.

#![allow(dead_code)]

pub mod families;

use fdvjp::fd::{self, Complex64, FdError, Options, Scheme};
use num_complex::ComplexFloat;
use std::cell::Cell;

/// A small deterministic generator (SplitMix64), so every run draws the same points.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Self(seed)
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// Uniform in `[lo, hi)`.
    pub fn uniform(&mut self, lo: f64, hi: f64) -> f64 {
        lo + (hi - lo) * (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }
}

/// Deterministic pseudo-random noise in [-1, 1] as a function of the bits of x (a hash, so
/// the same x always gives the same value, as a black box would).
pub fn noise(x: f64) -> f64 {
    let mut b = x.to_bits();
    b ^= b >> 33;
    b = b.wrapping_mul(0xff51_afd7_ed55_8ccd);
    b ^= b >> 33;
    b = b.wrapping_mul(0xc4ce_b9fe_1a85_ec53);
    b ^= b >> 33;
    (b >> 11) as f64 / (1u64 << 52) as f64 - 1.0
}

/// The amplitude of the noise added to the noisy functions.
pub const NOISE: f64 = 1e-10;

/// What a function is there to test.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Class {
    /// Smooth, derivative on the scale of x: every scheme should do well.
    WellScaled,
    /// Smooth, but the scale of x says little about the derivative: the default step
    /// loses digits.
    BadlyScaled,
    /// Close to a singularity or the end of the domain.
    Edge,
    /// f plus `1e-10 * noise(x)`.
    Noisy,
}

/// Where a case is measured.
#[derive(Clone, Copy)]
pub enum Domain {
    /// 25 random points with entries uniform in `[lo, hi)`.
    Random(f64, f64),
    /// One fixed point.
    Fixed(&'static [f64]),
}

/// The analytic Jacobian.
#[derive(Clone, Copy)]
pub enum Jac {
    /// `f'(x)` of a scalar function.
    Scalar(fn(f64) -> f64),
    /// Row-major m×n.
    Matrix(fn(&[f64]) -> Vec<f64>),
}

/// f on reals.
pub type Real = fn(&[f64], &mut [f64]);
/// f on complex numbers.
pub type Complex = fn(&[Complex64], &mut [Complex64]);

/// A test function `R^n -> R^m` with its analytic Jacobian.
pub struct Case {
    pub name: &'static str,
    pub class: Class,
    pub n: usize,
    pub m: usize,
    /// f on reals.
    pub f: Real,
    /// The same f on complex numbers (for the complex step), if f is analytic.
    pub cf: Option<Complex>,
    pub jac: Jac,
    pub domain: Domain,
}

impl Case {
    /// The exact Jacobian at x, row-major.
    pub fn jacobian(&self, x: &[f64]) -> Vec<f64> {
        match self.jac {
            Jac::Scalar(d) => vec![d(x[0])],
            Jac::Matrix(j) => j(x),
        }
    }

    /// The points it is measured at (see [`Domain`]); random points are redrawn while a
    /// column of J is below 0.2 in max norm.
    pub fn points(&self, seed: u64) -> Vec<Vec<f64>> {
        match self.domain {
            Domain::Fixed(x) => vec![x.to_vec()],
            Domain::Random(lo, hi) => {
                let mut rng = Rng::new(seed);
                (0..25).map(|_| self.draw(&mut rng, lo, hi)).collect()
            }
        }
    }

    fn draw(&self, rng: &mut Rng, lo: f64, hi: f64) -> Vec<f64> {
        loop {
            let x: Vec<f64> = (0..self.n).map(|_| rng.uniform(lo, hi)).collect();
            let j = self.jacobian(&x);
            let (m, n) = (self.m, self.n);
            if (0..n).all(|c| (0..m).any(|r| j[r * n + c].abs() >= 0.2)) {
                return x;
            }
        }
    }
}

fn k<T: From<f64>>(v: f64) -> T {
    <T as From<f64>>::from(v)
}

macro_rules! scalar {
    ($name:ident, |$x:ident| $body:expr) => {
        fn $name<T: ComplexFloat + From<f64>>(x: &[T], y: &mut [T]) {
            let $x = x[0];
            y[0] = $body;
        }
    };
}

scalar!(f_exp, |x| x.exp());
scalar!(f_sin, |x| x.sin());
scalar!(f_gauss, |x| x * (k::<T>(-0.5) * x * x).exp());
scalar!(f_runge, |x| (k::<T>(1.0) + x * x).recip());
scalar!(f_log1px2, |x| (k::<T>(1.0) + x * x).ln());
scalar!(f_tanh, |x| x.tanh());
scalar!(f_sqrt9, |x| (k::<T>(9.0) + x).sqrt());
scalar!(f_cubic, |x| x * x * x - k::<T>(2.0) * x);
scalar!(f_expsin, |x| x.sin().exp());
scalar!(f_cos, |x| x.cos());
scalar!(f_sin_fast, |x| (k::<T>(1e8) * x).sin());
scalar!(f_exp_fast, |x| (k::<T>(1e8) * x).exp());
scalar!(f_log, |x| x.ln());
scalar!(f_sqrt, |x| x.sqrt());
scalar!(f_exp_slow, |x| (k::<T>(1e-8) * x).exp());

fn f_vector<T: ComplexFloat + From<f64>>(x: &[T], y: &mut [T]) {
    y[0] = x[0] * x[1] + x[2].sin();
    y[1] = x[0].exp() * x[2] * x[2];
}

fn j_vector(x: &[f64]) -> Vec<f64> {
    vec![
        x[1],
        x[0],
        x[2].cos(),
        x[0].exp() * x[2] * x[2],
        0.0,
        2.0 * x[0].exp() * x[2],
    ]
}

fn noisy_sin(x: &[f64], y: &mut [f64]) {
    y[0] = x[0].sin() + NOISE * noise(x[0]);
}
fn noisy_exp(x: &[f64], y: &mut [f64]) {
    y[0] = x[0].exp() + NOISE * noise(x[0]);
}
fn noisy_cubic(x: &[f64], y: &mut [f64]) {
    y[0] = x[0] * x[0] * x[0] - 2.0 * x[0] + NOISE * noise(x[0]);
}

fn scalar(
    name: &'static str,
    class: Class,
    (f, cf): (Real, Option<Complex>),
    d: fn(f64) -> f64,
    domain: Domain,
) -> Case {
    Case {
        name,
        class,
        n: 1,
        m: 1,
        f,
        cf,
        jac: Jac::Scalar(d),
        domain,
    }
}

/// The suite: 10 well-scaled, 5 badly scaled, 2 near a domain edge, 3 noisy functions.
pub fn cases() -> Vec<Case> {
    use Class::*;
    use Domain::*;
    macro_rules! analytic {
        ($g:ident) => {
            ($g as Real, Some($g as Complex))
        };
    }
    vec![
        scalar(
            "exp(x)",
            WellScaled,
            analytic!(f_exp),
            f64::exp,
            Random(-2.0, 2.0),
        ),
        scalar(
            "sin(x)",
            WellScaled,
            analytic!(f_sin),
            f64::cos,
            Random(-3.0, 3.0),
        ),
        scalar(
            "x exp(-x^2/2)",
            WellScaled,
            analytic!(f_gauss),
            |x| (1.0 - x * x) * (-0.5 * x * x).exp(),
            Random(-2.5, 2.5),
        ),
        scalar(
            "1/(1+x^2)",
            WellScaled,
            analytic!(f_runge),
            |x| -2.0 * x / (1.0 + x * x).powi(2),
            Random(-2.0, 2.0),
        ),
        scalar(
            "log(1+x^2)",
            WellScaled,
            analytic!(f_log1px2),
            |x| 2.0 * x / (1.0 + x * x),
            Random(-2.0, 2.0),
        ),
        scalar(
            "tanh(x)",
            WellScaled,
            analytic!(f_tanh),
            |x| 1.0 / x.cosh().powi(2),
            Random(-1.5, 1.5),
        ),
        scalar(
            "sqrt(9+x)",
            WellScaled,
            analytic!(f_sqrt9),
            |x| 0.5 / (9.0 + x).sqrt(),
            Random(-3.0, 3.0),
        ),
        scalar(
            "x^3-2x",
            WellScaled,
            analytic!(f_cubic),
            |x| 3.0 * x * x - 2.0,
            Random(-2.0, 2.0),
        ),
        scalar(
            "exp(sin(x))",
            WellScaled,
            analytic!(f_expsin),
            |x| x.cos() * x.sin().exp(),
            Random(-3.0, 3.0),
        ),
        Case {
            name: "(xy+sin z, e^x z^2)",
            class: WellScaled,
            n: 3,
            m: 2,
            f: f_vector,
            cf: Some(f_vector),
            jac: Jac::Matrix(j_vector),
            domain: Random(-1.5, 1.5),
        },
        scalar(
            "cos(x) at 1e-6",
            BadlyScaled,
            analytic!(f_cos),
            |x| -x.sin(),
            Fixed(&[1e-6]),
        ),
        scalar(
            "sin(x) at 1e4",
            BadlyScaled,
            analytic!(f_sin),
            f64::cos,
            Fixed(&[1e4 + 0.3]),
        ),
        scalar(
            "sin(1e8 x) at 3e-8",
            BadlyScaled,
            analytic!(f_sin_fast),
            |x| 1e8 * (1e8 * x).cos(),
            Fixed(&[3e-8]),
        ),
        scalar(
            "exp(1e8 x) at 1e-8",
            BadlyScaled,
            analytic!(f_exp_fast),
            |x| 1e8 * (1e8 * x).exp(),
            Fixed(&[1e-8]),
        ),
        scalar(
            "exp(1e-8 x) at 1e8",
            BadlyScaled,
            analytic!(f_exp_slow),
            |x| 1e-8 * (1e-8 * x).exp(),
            Fixed(&[1e8]),
        ),
        scalar(
            "log(x) at 1e-3",
            Edge,
            analytic!(f_log),
            |x| 1.0 / x,
            Fixed(&[1e-3]),
        ),
        scalar(
            "sqrt(x) at 1e-8",
            Edge,
            analytic!(f_sqrt),
            |x| 0.5 / x.sqrt(),
            Fixed(&[1e-8]),
        ),
        scalar(
            "sin(x)+noise",
            Noisy,
            (noisy_sin, None),
            f64::cos,
            Random(-3.0, 3.0),
        ),
        scalar(
            "exp(x)+noise",
            Noisy,
            (noisy_exp, None),
            f64::exp,
            Random(-2.0, 2.0),
        ),
        scalar(
            "x^3-2x+noise",
            Noisy,
            (noisy_cubic, None),
            |x| 3.0 * x * x - 2.0,
            Random(-2.0, 2.0),
        ),
    ]
}

/// How a Jacobian is computed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    Fixed(Scheme),
    Richardson,
    Adaptive,
    ComplexStep,
}

/// Every mode, in table order.
pub const MODES: [Mode; 7] = [
    Mode::Fixed(Scheme::Forward),
    Mode::Fixed(Scheme::Backward),
    Mode::Fixed(Scheme::Central),
    Mode::Fixed(Scheme::Central4),
    Mode::Richardson,
    Mode::Adaptive,
    Mode::ComplexStep,
];

impl Mode {
    pub fn name(self) -> &'static str {
        match self {
            Mode::Fixed(Scheme::Forward) => "forward",
            Mode::Fixed(Scheme::Backward) => "backward",
            Mode::Fixed(Scheme::Central) => "central",
            Mode::Fixed(Scheme::Central4) => "central4",
            Mode::Richardson => "richardson",
            Mode::Adaptive => "adaptive",
            Mode::ComplexStep => "complex step",
        }
    }
}

/// The Jacobian (row-major) of `case` at `x` in `mode`, and the number of evaluations of
/// f it took; `None` when the mode does not apply (complex step of a non-analytic f).
pub fn jacobian_in(
    case: &Case,
    mode: Mode,
    x: &[f64],
) -> Option<(Result<Vec<f64>, FdError>, usize)> {
    let count = Cell::new(0usize);
    let f = |x: &[f64], y: &mut [f64]| {
        count.set(count.get() + 1);
        (case.f)(x, y);
        Ok(())
    };
    let mut opts = Options::new();
    let result = match mode {
        Mode::Fixed(s) => {
            opts.set_scheme(s);
            fd::jacobian(&f, x, case.m, &opts)
        }
        Mode::Richardson => fd::jacobian_estimate(&f, x, case.m, &opts).map(|e| e.value),
        Mode::Adaptive => {
            opts.set_adaptive(true);
            fd::jacobian(&f, x, case.m, &opts)
        }
        Mode::ComplexStep => {
            let cf = case.cf?;
            let g = |z: &[Complex64], w: &mut [Complex64]| {
                count.set(count.get() + 1);
                cf(z, w);
                Ok(())
            };
            fd::jacobian_complex_step(&g, x, case.m, &opts)
        }
    };
    Some((result, count.get()))
}

/// The error measure of the module documentation at one point.
pub fn column_error(exact: &[f64], approx: &[f64], m: usize, n: usize) -> f64 {
    (0..n)
        .map(|c| {
            let scale = (0..m).map(|r| exact[r * n + c].abs()).fold(0.0, f64::max);
            let diff = (0..m)
                .map(|r| (approx[r * n + c] - exact[r * n + c]).abs())
                .fold(0.0, f64::max);
            diff / scale
        })
        .fold(0.0, f64::max)
}

/// One cell of the table: the max error over the points and the evaluations per column
/// (after f(x), which the complex step does not need).
pub struct Measured {
    pub max_error: f64,
    pub evals_per_column: f64,
}

/// Measures `case` in `mode`; `None` when the mode does not apply. An error from the
/// driver counts as an infinite error.
pub fn measure(case: &Case, mode: Mode) -> Option<Measured> {
    let mut max_error = 0.0f64;
    let mut evals = 0usize;
    let pts = case.points(0x5eed ^ case.name.len() as u64);
    for x in &pts {
        let (result, count) = jacobian_in(case, mode, x)?;
        let err = match result {
            Ok(j) => column_error(&case.jacobian(x), &j, case.m, case.n),
            Err(_) => f64::INFINITY,
        };
        max_error = max_error.max(if err.is_nan() { f64::INFINITY } else { err });
        evals += if mode == Mode::ComplexStep {
            count
        } else {
            count - 1
        };
    }
    Some(Measured {
        max_error,
        evals_per_column: evals as f64 / (pts.len() * case.n) as f64,
    })
}

/// Wirtinger derivatives (A, B), row-major m×n.
pub type Wirtinger = (Vec<Complex64>, Vec<Complex64>);

/// A complex-valued test function with its Wirtinger derivatives `A = df/dz`,
/// `B = df/dconj(z)`.
pub struct ComplexCase {
    pub name: &'static str,
    pub n: usize,
    pub m: usize,
    pub f: fn(&[Complex64], &mut [Complex64]),
    /// (A, B), row-major m×n.
    pub derivatives: fn(&[Complex64]) -> Wirtinger,
}

/// `z^2` (holomorphic), `conj(z)` (anti-holomorphic), `|z|^2` (real-valued) and a mixed
/// `C^2 -> C^2` map.
pub fn complex_cases() -> Vec<ComplexCase> {
    vec![
        ComplexCase {
            name: "z^2",
            n: 1,
            m: 1,
            f: |z, w| w[0] = z[0] * z[0],
            derivatives: |z| (vec![2.0 * z[0]], vec![Complex64::new(0.0, 0.0)]),
        },
        ComplexCase {
            name: "conj(z)",
            n: 1,
            m: 1,
            f: |z, w| w[0] = z[0].conj(),
            derivatives: |_| {
                (
                    vec![Complex64::new(0.0, 0.0)],
                    vec![Complex64::new(1.0, 0.0)],
                )
            },
        },
        ComplexCase {
            name: "abs2(z)",
            n: 1,
            m: 1,
            f: |z, w| w[0] = Complex64::new(z[0].norm_sqr(), 0.0),
            derivatives: |z| (vec![z[0].conj()], vec![z[0]]),
        },
        ComplexCase {
            name: "(z0 conj(z1) + exp(z0), abs2(z1) z0)",
            n: 2,
            m: 2,
            f: |z, w| {
                w[0] = z[0] * z[1].conj() + z[0].exp();
                w[1] = z[1].norm_sqr() * z[0];
            },
            derivatives: |z| {
                let zero = Complex64::new(0.0, 0.0);
                (
                    vec![
                        z[1].conj() + z[0].exp(),
                        zero,
                        Complex64::new(z[1].norm_sqr(), 0.0),
                        z[1].conj() * z[0],
                    ],
                    vec![zero, z[0], zero, z[1] * z[0]],
                )
            },
        },
    ]
}

impl ComplexCase {
    /// The real 2m×2n Jacobian of the interleaved view, row-major: 2×2 blocks
    /// `[[Re(A+B), Im(B-A)], [Im(A+B), Re(A-B)]]`.
    pub fn real_jacobian(&self, z: &[Complex64]) -> Vec<f64> {
        let (a, b) = (self.derivatives)(z);
        let cols = 2 * self.n;
        let mut jac = vec![0.0; 2 * self.m * cols];
        for i in 0..self.m {
            for j in 0..self.n {
                let (s, d) = (
                    a[i * self.n + j] + b[i * self.n + j],
                    a[i * self.n + j] - b[i * self.n + j],
                );
                jac[2 * i * cols + 2 * j] = s.re;
                jac[2 * i * cols + 2 * j + 1] = -d.im;
                jac[(2 * i + 1) * cols + 2 * j] = s.im;
                jac[(2 * i + 1) * cols + 2 * j + 1] = d.re;
            }
        }
        jac
    }
}

/// Measures a complex-valued case in a finite-difference mode (the complex step and
/// Richardson do not apply: `None`) at 25 random points in `[-1.5, 1.5)^2n`, with the
/// error measure of the real cases on its real 2m×2n Jacobian.
pub fn measure_complex(case: &ComplexCase, mode: Mode) -> Option<Measured> {
    let mut opts = Options::new();
    match mode {
        Mode::Fixed(s) => opts.set_scheme(s),
        Mode::Adaptive => opts.set_adaptive(true),
        Mode::Richardson | Mode::ComplexStep => return None,
    }
    let count = Cell::new(0usize);
    let f = |z: &[Complex64], w: &mut [Complex64]| {
        count.set(count.get() + 1);
        (case.f)(z, w);
        Ok(())
    };
    let mut rng = Rng::new(0xc0 ^ case.name.len() as u64);
    let (mut max_error, points) = (0.0f64, 25);
    for _ in 0..points {
        // Redrawn while a column of the real Jacobian is below 0.2 (as for real cases).
        let z = loop {
            let z: Vec<Complex64> = (0..case.n)
                .map(|_| Complex64::new(rng.uniform(-1.5, 1.5), rng.uniform(-1.5, 1.5)))
                .collect();
            let (rows, cols, j) = (2 * case.m, 2 * case.n, case.real_jacobian(&z));
            if (0..cols).all(|c| (0..rows).any(|r| j[r * cols + c].abs() >= 0.2)) {
                break z;
            }
        };
        let err = match fd::complex_jacobian(&f, &z, case.m, &opts) {
            Ok(j) => column_error(&case.real_jacobian(&z), &j, 2 * case.m, 2 * case.n),
            Err(_) => f64::INFINITY,
        };
        max_error = max_error.max(if err.is_nan() { f64::INFINITY } else { err });
    }
    Some(Measured {
        max_error,
        evals_per_column: (count.get() - points) as f64 / (points * 2 * case.n) as f64,
    })
}
