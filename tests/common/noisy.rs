//! Noisy black boxes of the three kinds issue 16 names, with exact derivatives: a smooth
//! sum plus deterministic hash noise; an adaptive-step ODE integrator run at a tolerance;
//! an iterative (Jacobi) linear solver stopped at a tolerance, in double and in single
//! precision.
//!
//! Each function is written once, generic over [`Real`], and run on `f64` (the black box
//! fdvjp differentiates) and on [`Dual`] (forward mode, one direction at a time). So there
//! are two exact references: the derivative of the *computed* map (the solver with its
//! step and iteration decisions, differentiated through, as a function of x; a finite
//! difference can at best find this one) and the derivative of the exact solution (the
//! closed form of the ODE, a direct tridiagonal solve), whose distance from the first is
//! the solver's own derivative error.
//!
//! "True ε" of a black box is measured, not assumed: [`spread`] fits a quadratic to f at
//! 33 points spaced by the plain central step along a fixed direction (not the one the
//! noise estimator uses) and returns the standard deviation of the residuals; for the
//! hash noise it is known exactly (uniform on [-ε, ε): ε/√3).

use std::ops::{Add, Div, Mul, Neg, Sub};

/// What the functions need of a number.
pub trait Real:
    Copy
    + Add<Output = Self>
    + Sub<Output = Self>
    + Mul<Output = Self>
    + Div<Output = Self>
    + Neg<Output = Self>
{
    fn c(v: f64) -> Self;
    /// The value (decisions — accept a step, stop iterating — are taken on it).
    fn val(self) -> f64;
    fn sin(self) -> Self;
    fn cos(self) -> Self;
    fn exp(self) -> Self;
    fn abs(self) -> Self;
    fn powf(self, p: f64) -> Self;
    /// Rounds to single precision (the value; the tangent is that of the identity).
    fn to_f32(self) -> Self;
}

impl Real for f64 {
    fn c(v: f64) -> Self {
        v
    }
    fn val(self) -> f64 {
        self
    }
    fn sin(self) -> Self {
        f64::sin(self)
    }
    fn cos(self) -> Self {
        f64::cos(self)
    }
    fn exp(self) -> Self {
        f64::exp(self)
    }
    fn abs(self) -> Self {
        f64::abs(self)
    }
    fn powf(self, p: f64) -> Self {
        f64::powf(self, p)
    }
    fn to_f32(self) -> Self {
        self as f32 as f64
    }
}

/// A dual number `v + d ε`, `ε^2 = 0`: forward-mode derivative along one direction.
#[derive(Clone, Copy, Debug)]
pub struct Dual {
    pub v: f64,
    pub d: f64,
}

impl Add for Dual {
    type Output = Dual;
    fn add(self, o: Dual) -> Dual {
        Dual {
            v: self.v + o.v,
            d: self.d + o.d,
        }
    }
}
impl Sub for Dual {
    type Output = Dual;
    fn sub(self, o: Dual) -> Dual {
        Dual {
            v: self.v - o.v,
            d: self.d - o.d,
        }
    }
}
impl Mul for Dual {
    type Output = Dual;
    fn mul(self, o: Dual) -> Dual {
        Dual {
            v: self.v * o.v,
            d: self.d * o.v + self.v * o.d,
        }
    }
}
impl Div for Dual {
    type Output = Dual;
    fn div(self, o: Dual) -> Dual {
        Dual {
            v: self.v / o.v,
            d: (self.d * o.v - self.v * o.d) / (o.v * o.v),
        }
    }
}
impl Neg for Dual {
    type Output = Dual;
    fn neg(self) -> Dual {
        Dual {
            v: -self.v,
            d: -self.d,
        }
    }
}

impl Real for Dual {
    fn c(v: f64) -> Self {
        Dual { v, d: 0.0 }
    }
    fn val(self) -> f64 {
        self.v
    }
    fn sin(self) -> Self {
        Dual {
            v: self.v.sin(),
            d: self.d * self.v.cos(),
        }
    }
    fn cos(self) -> Self {
        Dual {
            v: self.v.cos(),
            d: -self.d * self.v.sin(),
        }
    }
    fn exp(self) -> Self {
        let e = self.v.exp();
        Dual {
            v: e,
            d: self.d * e,
        }
    }
    fn abs(self) -> Self {
        if self.v < 0.0 {
            -self
        } else {
            self
        }
    }
    fn powf(self, p: f64) -> Self {
        Dual {
            v: self.v.powf(p),
            d: self.d * p * self.v.powf(p - 1.0),
        }
    }
    fn to_f32(self) -> Self {
        Dual {
            v: self.v as f32 as f64,
            d: self.d,
        }
    }
}

/// The largest absolute difference between `got` and `want`, entry by entry.
pub fn max_error(got: &[f64], want: &[f64]) -> f64 {
    got.iter()
        .zip(want)
        .map(|(a, b)| (a - b).abs())
        .fold(0.0, f64::max)
}

/// The VJP `v^T f'(x)` under `opts` with f counted: its [`max_error`] against `want` and
/// the evaluations f made (the report of the call is then `fdvjp::fd::last_report()`).
/// Shared by `tests/noisy_random_points.rs` and `benches/noisy_table.rs`.
pub fn counted_vjp(
    f: &dyn Fn(&[f64], &mut [f64]),
    x: &[f64],
    v: &[f64],
    want: &[f64],
    opts: &fdvjp::fd::Options,
) -> (f64, usize) {
    let count = std::cell::Cell::new(0usize);
    let g = |x: &[f64], y: &mut [f64]| {
        count.set(count.get() + 1);
        f(x, y);
        Ok(())
    };
    let got = fdvjp::fd::vjp(&g, x, v, opts).unwrap();
    (max_error(&got, want), count.get())
}

/// The gradient of a scalar `f` at `x` (n forward passes).
pub fn gradient(f: impl Fn(&[Dual]) -> Dual, x: &[f64]) -> Vec<f64> {
    (0..x.len())
        .map(|j| {
            let xd: Vec<Dual> = (0..x.len())
                .map(|k| Dual {
                    v: x[k],
                    d: if k == j { 1.0 } else { 0.0 },
                })
                .collect();
            f(&xd).d
        })
        .collect()
}

/// Deterministic noise in [-1, 1) from the bits of x (SplitMix64 finaliser): the same x
/// always gives the same value, as with a solver.
pub fn hash(x: &[f64]) -> f64 {
    hash_output(0x1234_5678_9abc_def0, x, 0)
}

/// [`hash`] for output `i` of a test's own noise, drawn from `seed`.
pub fn hash_output(seed: u64, x: &[f64], i: usize) -> f64 {
    let mut z = seed ^ (i as u64).wrapping_mul(0x9e37_79b9_7f4a_7c15);
    for v in x {
        z ^= v.to_bits();
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^= z >> 31;
    }
    (z >> 11) as f64 / (1u64 << 52) as f64 - 1.0
}

/// The smooth part of the hash-noise function: `2 + sum_j 0.5 sin(x_j + 0.3 j)`.
pub fn smooth_sum<R: Real>(x: &[R]) -> R {
    x.iter().enumerate().fold(R::c(2.0), |acc, (j, &xj)| {
        acc + R::c(0.5) * (xj + R::c(0.3 * j as f64)).sin()
    })
}

/// `smooth_sum(x) + eps hash(x)`: noise of standard deviation `eps / sqrt(3)`.
pub fn hash_noisy(x: &[f64], eps: f64) -> f64 {
    smooth_sum(x) + eps * hash(x)
}

/// A test point in [-1, 1)^n (the one the table uses).
pub fn point(n: usize) -> Vec<f64> {
    (0..n)
        .map(|j| ((j * 7 % 11) as f64 / 11.0 - 0.5) * 2.0)
        .collect()
}

/// Final time of the ODE.
pub const ODE_T: f64 = 5.0;

/// The ODE's coefficients from the parameters: `a = 1.5 + 0.5 sin(sum 0.3 cos(j) x_j)`,
/// `b = 0.3 sum 0.2 sin(j + 1) x_j`, `c = 1 + 0.5 cos(sum 0.25 x_j / (j + 1))`.
fn ode_coefficients<R: Real>(x: &[R]) -> (R, R, R) {
    let (mut s1, mut s2, mut s3) = (R::c(0.0), R::c(0.0), R::c(0.0));
    for (j, &xj) in x.iter().enumerate() {
        let jf = j as f64;
        s1 = s1 + R::c(0.3 * jf.cos()) * xj;
        s2 = s2 + R::c(0.2 * (jf + 1.0).sin()) * xj;
        s3 = s3 + R::c(0.25 / (jf + 1.0)) * xj;
    }
    (
        R::c(1.5) + R::c(0.5) * s1.sin(),
        R::c(0.3) * s2,
        R::c(1.0) + R::c(0.5) * s3.cos(),
    )
}

/// `y(T)` for `y' = -a y + sin t + b`, `y(0) = c`, exactly:
/// `(c - b/a + 1/(1+a^2)) e^(-aT) + b/a + (a sin T - cos T)/(1+a^2)`.
pub fn ode_exact<R: Real>(x: &[R]) -> R {
    let (a, b, c) = ode_coefficients(x);
    let e = (-a * R::c(ODE_T)).exp();
    let q = R::c(1.0) + a * a;
    (c - b / a + R::c(1.0) / q) * e + b / a + (a * R::c(ODE_T.sin()) - R::c(ODE_T.cos())) / q
}

/// The same `y(T)` by the Bogacki–Shampine 3(2) pair with step control at relative and
/// absolute tolerance `tol`: a step is accepted when the embedded error estimate is at most
/// `tol (1 + |y|)`; the next step is `h min(5, max(0.2, 0.9 err^(-1/3)))`; the last step
/// is cut to reach T. Also returns the number of accepted steps.
pub fn ode_rk23<R: Real>(x: &[R], tol: f64) -> (R, usize) {
    let (a, b, c) = ode_coefficients(x);
    let rhs = |t: R, y: R| -a * y + t.sin() + b;
    let (mut t, mut y, mut h) = (R::c(0.0), c, R::c(0.01));
    let mut k1 = rhs(t, y);
    let mut steps = 0;
    while t.val() < ODE_T {
        if t.val() + h.val() > ODE_T {
            h = R::c(ODE_T) - t;
        }
        let k2 = rhs(t + h * R::c(0.5), y + h * R::c(0.5) * k1);
        let k3 = rhs(t + h * R::c(0.75), y + h * R::c(0.75) * k2);
        let y3 = y + h * (R::c(2.0) * k1 + R::c(3.0) * k2 + R::c(4.0) * k3) / R::c(9.0);
        let k4 = rhs(t + h, y3);
        let y2 = y + h
            * (R::c(7.0 / 24.0) * k1 + R::c(0.25) * k2 + R::c(1.0 / 3.0) * k3 + R::c(0.125) * k4);
        let err = (y3 - y2).abs() / (R::c(tol) * (R::c(1.0) + y3.abs()));
        if err.val() <= 1.0 {
            t = t + h;
            y = y3;
            k1 = k4;
            steps += 1;
        }
        h = if err.val() == 0.0 {
            h * R::c(5.0)
        } else {
            let fac = R::c(0.9) * err.powf(-1.0 / 3.0);
            if fac.val() > 5.0 {
                h * R::c(5.0)
            } else if fac.val() < 0.2 {
                h * R::c(0.2)
            } else {
                h * fac
            }
        };
    }
    (y, steps)
}

/// Unknowns of the linear system.
pub const K: usize = 8;

/// The tridiagonal system `A(x) z = b(x)` from 20 parameters: `A_ii = 5 + 0.5 x_i`
/// (i < 8), `A_i,i+1 = A_i+1,i = 1 + 0.3 x_(8+i)` (i < 7), `b_i = sin(i + 1) + 0.5
/// x_(15 + i mod 5)`; diagonally dominant for |x| <= 1 (Jacobi contracts by <= 0.58).
fn system<R: Real>(x: &[R]) -> (Vec<R>, Vec<R>, Vec<R>) {
    assert_eq!(x.len(), 20);
    let diag = (0..K).map(|i| R::c(5.0) + R::c(0.5) * x[i]).collect();
    let off = (0..K - 1)
        .map(|i| R::c(1.0) + R::c(0.3) * x[8 + i])
        .collect();
    let rhs = (0..K)
        .map(|i| R::c(((i + 1) as f64).sin()) + R::c(0.5) * x[15 + i % 5])
        .collect();
    (diag, off, rhs)
}

/// `z = A(x)^-1 b(x)` exactly (to rounding), by the tridiagonal (Thomas) elimination.
pub fn solve_exact<R: Real>(x: &[R]) -> Vec<R> {
    let (d, o, b) = system(x);
    let (mut cp, mut dp) = (vec![R::c(0.0); K], vec![R::c(0.0); K]);
    for i in 0..K {
        let sub = if i > 0 { o[i - 1] } else { R::c(0.0) };
        let prev_c = if i > 0 { cp[i - 1] } else { R::c(0.0) };
        let prev_d = if i > 0 { dp[i - 1] } else { R::c(0.0) };
        let denom = d[i] - sub * prev_c;
        cp[i] = if i + 1 < K { o[i] / denom } else { R::c(0.0) };
        dp[i] = (b[i] - sub * prev_d) / denom;
    }
    let mut z = vec![R::c(0.0); K];
    z[K - 1] = dp[K - 1];
    for i in (0..K - 1).rev() {
        z[i] = dp[i] - cp[i] * z[i + 1];
    }
    z
}

/// `z` by Jacobi iteration from `z = 0`, stopped when no element changes by more than
/// `tol`; in single precision (every operation rounded to f32, as a mixed-precision
/// solver would) when `single`. Also returns the iterations.
pub fn solve_jacobi<R: Real>(x: &[R], tol: f64, single: bool) -> (Vec<R>, usize) {
    let round = |v: R| if single { v.to_f32() } else { v };
    let (d, o, b) = system(x);
    let mut z = vec![R::c(0.0); K];
    let mut iterations = 0;
    loop {
        let mut change = 0.0f64;
        let next: Vec<R> = (0..K)
            .map(|i| {
                let mut s = b[i];
                if i > 0 {
                    s = round(s - round(o[i - 1] * z[i - 1]));
                }
                if i + 1 < K {
                    s = round(s - round(o[i] * z[i + 1]));
                }
                round(s / d[i])
            })
            .collect();
        for (n, z) in next.iter().zip(&z) {
            change = change.max((n.val() - z.val()).abs());
        }
        z = next;
        iterations += 1;
        if change <= tol || iterations >= 10_000 {
            return (z, iterations);
        }
    }
}

/// The cotangent of the solver VJPs.
pub fn cotangent() -> Vec<f64> {
    (0..K).map(|i| 1.0 - 0.2 * i as f64).collect()
}

/// `v^T J` of a vector function by forward mode (n passes).
pub fn vjp_dual(f: impl Fn(&[Dual]) -> Vec<Dual>, x: &[f64], v: &[f64]) -> Vec<f64> {
    gradient(
        |xd| {
            f(xd)
                .iter()
                .zip(v)
                .fold(Dual::c(0.0), |acc, (z, &w)| acc + Dual::c(w) * *z)
        },
        x,
    )
}

/// The standard deviation of f's fine-scale variation at `x` ("true ε"): f at
/// `x + k h u`, `k = -16..=16`, `h` the plain central step (`eps^(1/3) max(|x_j|, 1)`)
/// times `u_j = cos(1.7 j + 0.4)` (a direction unlike the noise estimator's random signs),
/// minus its least-squares quadratic; the root mean square of the residuals (30 degrees of
/// freedom).
pub fn spread(f: impl Fn(&[f64]) -> f64, x: &[f64]) -> f64 {
    let r = f64::EPSILON.cbrt();
    let pts: Vec<(f64, f64)> = (-16..=16)
        .map(|k| {
            let s = f64::from(k);
            let xk: Vec<f64> = x
                .iter()
                .enumerate()
                .map(|(j, &xj)| xj + s * r * xj.abs().max(1.0) * (1.7 * j as f64 + 0.4).cos())
                .collect();
            (s / 16.0, f(&xk))
        })
        .collect();
    // Orthogonal polynomials on the symmetric grid: 1, s, s^2 - mean(s^2).
    let len = pts.len() as f64;
    let m2 = pts.iter().map(|(s, _)| s * s).sum::<f64>() / len;
    let basis: [&dyn Fn(f64) -> f64; 3] = [&|_| 1.0, &|s| s, &|s| s * s - m2];
    let mut res: Vec<f64> = pts.iter().map(|&(_, y)| y).collect();
    for p in basis {
        let num: f64 = pts.iter().zip(&res).map(|(&(s, _), r)| p(s) * r).sum();
        let den: f64 = pts.iter().map(|&(s, _)| p(s) * p(s)).sum();
        for (r, &(s, _)) in res.iter_mut().zip(&pts) {
            *r -= num / den * p(s);
        }
    }
    (res.iter().map(|r| r * r).sum::<f64>() / (len - 3.0)).sqrt()
}
