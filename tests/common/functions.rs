//! Test functions with exact Jacobians (row-major, `jac[i*n + j] = df_i/dx_j`), each with
//! the domain its random points are drawn from.

use fdvjp::fd::{Options, Scheme};

/// What kind of accuracy to expect, which sets the tolerance multiplier.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Class {
    /// Smooth and well scaled on its sampling domain (|x| ≤ 5, derivatives of modest size).
    Smooth,
    /// Inputs spanning 1e-8..1e8, differentiated with typical magnitudes set to the scales.
    Scaled,
    /// Smooth on `x ≥ 0`, NaN below, evaluated within one step of the edge with the lower
    /// bound 0 declared: the central stencils would leave the domain, so the one-sided ones
    /// of the same order are used.
    DomainEdge,
    /// log / sqrt at 1e-10..1e-6, a singular edge; typical magnitudes 1e-10 keep the steps
    /// inside the domain (with the default `typ = 1` no difference can be accurate there).
    SingularEdge,
}

impl Class {
    /// The factor on the base tolerance: 10 where the one-sided stencils are used (their
    /// weights and error constants are 3 to 7 times the central ones); 3 near a singular
    /// edge, where `|f| = |ln x|` reaches 23 and rounding error grows with `|f|`; else 1.
    pub fn multiplier(self) -> f64 {
        match self {
            Class::DomainEdge => 10.0,
            Class::SingularEdge => 3.0,
            Class::Smooth | Class::Scaled => 1.0,
        }
    }
}

/// A function `R^n -> R^m` with its exact Jacobian and sampling domain.
pub struct TestFn {
    pub name: &'static str,
    pub class: Class,
    pub n: usize,
    pub m: usize,
    /// Maps uniforms in [0, 1) (at least n of them) to a point of the sampling domain.
    sample: fn(&[f64]) -> Vec<f64>,
    eval: fn(&[f64], &mut [f64]),
    jacobian: fn(&[f64]) -> Vec<f64>,
    /// Column scales `s_j` (1 when `None`).
    scales: Option<&'static [f64]>,
    /// Typical magnitudes the differentiation is told about (default 1 when `None`).
    typical: Option<&'static [f64]>,
    /// Lower bounds the differentiation is told about (none when `None`).
    lower: Option<&'static [f64]>,
}

impl TestFn {
    /// A random point of the sampling domain from uniforms in [0, 1).
    pub fn sample(&self, u: &[f64]) -> Vec<f64> {
        (self.sample)(&u[..self.n])
    }

    /// `y = f(x)`.
    pub fn eval(&self, x: &[f64], y: &mut [f64]) {
        (self.eval)(x, y)
    }

    /// `f(x)` as a new vector.
    pub fn value(&self, x: &[f64]) -> Vec<f64> {
        let mut y = vec![0.0; self.m];
        self.eval(x, &mut y);
        y
    }

    /// The exact Jacobian, row-major.
    pub fn jacobian(&self, x: &[f64]) -> Vec<f64> {
        (self.jacobian)(x)
    }

    /// Column scale `s_j`: the size of `x_j` for badly scaled inputs, else 1.
    pub fn scale(&self, j: usize) -> f64 {
        self.scales.map_or(1.0, |s| s[j])
    }

    /// The step rule's scale `max(|x_j|, typ_j)` (the step is `r` times it).
    pub fn step_scale(&self, x: &[f64], j: usize) -> f64 {
        x[j].abs().max(self.typical.map_or(1.0, |t| t[j]))
    }

    /// The options this function is differentiated with: `scheme`, and its typical
    /// magnitudes if it has any.
    pub fn options(&self, scheme: Scheme) -> Options {
        let mut opts = Options::new();
        opts.set_scheme(scheme);
        if let Some(t) = self.typical {
            opts.set_typical(Some(t.to_vec())).unwrap();
        }
        if let Some(lo) = self.lower {
            let hi = vec![f64::INFINITY; lo.len()];
            opts.set_bounds(Some((lo.to_vec(), hi))).unwrap();
        }
        opts
    }

    /// A JVP direction at `x` from `w` in [-1, 1]^n, scaled like the inputs: one step
    /// serves every component, and the one with the smallest `h_j / |u_j|` sets it, so an
    /// unscaled `u` would leave the others with a step far below their own and more rounding
    /// error. `u_j = w_j s_j`; `w_j x_j` near a singular edge (where x_j is its own scale);
    /// `|w_j|` at a bounded domain edge, pointing into the domain.
    pub fn direction(&self, x: &[f64], w: &[f64]) -> Vec<f64> {
        (0..self.n)
            .map(|j| match self.class {
                Class::DomainEdge => w[j].abs(),
                Class::SingularEdge => w[j] * x[j],
                Class::Smooth | Class::Scaled => w[j] * self.scale(j),
            })
            .collect()
    }
}

/// All test functions.
pub fn all() -> Vec<TestFn> {
    vec![
        TestFn {
            name: "polynomial",
            class: Class::Smooth,
            n: 3,
            m: 2,
            sample: |u| box_point(u, -1.5, 1.5),
            eval: polynomial,
            jacobian: polynomial_jac,
            scales: None,
            typical: None,
            lower: None,
        },
        TestFn {
            name: "exp_log_trig",
            class: Class::Smooth,
            n: 3,
            m: 3,
            sample: |u| box_point(u, -1.5, 1.5),
            eval: exp_log_trig,
            jacobian: exp_log_trig_jac,
            scales: None,
            typical: None,
            lower: None,
        },
        TestFn {
            name: "trig_chain",
            class: Class::Smooth,
            n: 3,
            m: 1,
            sample: |u| box_point(u, -1.5, 1.5),
            eval: trig_chain,
            jacobian: trig_chain_jac,
            scales: None,
            typical: None,
            lower: None,
        },
        TestFn {
            name: "softmax",
            class: Class::Smooth,
            n: 5,
            m: 5,
            sample: |u| box_point(u, -3.0, 3.0),
            eval: softmax,
            jacobian: softmax_jac,
            scales: None,
            typical: None,
            lower: None,
        },
        TestFn {
            name: "logsumexp",
            class: Class::Smooth,
            n: 6,
            m: 1,
            sample: |u| box_point(u, -3.0, 3.0),
            eval: logsumexp,
            jacobian: logsumexp_jac,
            scales: None,
            typical: None,
            lower: None,
        },
        TestFn {
            name: "tridiagonal_solve",
            class: Class::Smooth,
            n: 2 * TRI_K,
            m: TRI_K,
            sample: tridiagonal_point,
            eval: tridiagonal_solve,
            jacobian: tridiagonal_solve_jac,
            scales: None,
            typical: None,
            lower: None,
        },
        TestFn {
            name: "rational",
            class: Class::Smooth,
            n: 3,
            m: 2,
            sample: |u| box_point(u, -2.0, 2.0),
            eval: rational,
            jacobian: rational_jac,
            scales: None,
            typical: None,
            lower: None,
        },
        TestFn {
            name: "norm",
            class: Class::Smooth,
            n: 5,
            m: 1,
            sample: away_from_zero,
            eval: norm,
            jacobian: norm_jac,
            scales: None,
            typical: None,
            lower: None,
        },
        TestFn {
            name: "network_layer",
            class: Class::Smooth,
            n: 4,
            m: 3,
            sample: |u| box_point(u, -2.0, 2.0),
            eval: network_layer,
            jacobian: network_layer_jac,
            scales: None,
            typical: None,
            lower: None,
        },
        TestFn {
            name: "tall_m_gt_n",
            class: Class::Smooth,
            n: 2,
            m: 5,
            sample: |u| box_point(u, -1.5, 1.5),
            eval: tall,
            jacobian: tall_jac,
            scales: None,
            typical: None,
            lower: None,
        },
        TestFn {
            name: "wide_m_lt_n",
            class: Class::Smooth,
            n: 6,
            m: 2,
            sample: |u| box_point(u, -1.5, 1.5),
            eval: wide,
            jacobian: wide_jac,
            scales: None,
            typical: None,
            lower: None,
        },
        TestFn {
            name: "scaled_quadratic",
            class: Class::Scaled,
            n: 5,
            m: 1,
            sample: scaled_point,
            eval: scaled_quadratic,
            jacobian: scaled_quadratic_jac,
            scales: Some(&SCALES),
            typical: Some(&SCALES),
            lower: None,
        },
        TestFn {
            name: "scaled_decay",
            class: Class::Scaled,
            n: 5,
            m: 5,
            sample: scaled_positive_point,
            eval: scaled_decay,
            jacobian: scaled_decay_jac,
            scales: Some(&SCALES),
            typical: Some(&SCALES),
            lower: None,
        },
        TestFn {
            name: "domain_edge",
            class: Class::DomainEdge,
            n: 2,
            m: 2,
            sample: near_zero,
            eval: domain_edge,
            jacobian: domain_edge_jac,
            scales: None,
            typical: None,
            lower: Some(&[0.0, 0.0]),
        },
        TestFn {
            name: "log_sqrt_near_0",
            class: Class::SingularEdge,
            n: 2,
            m: 2,
            sample: near_zero,
            eval: log_sqrt,
            jacobian: log_sqrt_jac,
            scales: None,
            typical: Some(&[1e-10, 1e-10]),
            lower: None,
        },
    ]
}

// ---- sampling domains ----

/// Uniform in the box `[lo, hi]^n`.
fn box_point(u: &[f64], lo: f64, hi: f64) -> Vec<f64> {
    u.iter().map(|t| lo + (hi - lo) * t).collect()
}

/// `|x_j|` uniform in [0.5, 2] with a random sign, so `|x| ≥ 1.1` (the norm is smooth).
fn away_from_zero(u: &[f64]) -> Vec<f64> {
    u.iter()
        .map(|&t| {
            if t < 0.5 {
                -(0.5 + 3.0 * t)
            } else {
                0.5 + 3.0 * (t - 0.5)
            }
        })
        .collect()
}

/// Log-uniform in [1e-10, 1e-6]: within one default step of 0 for every scheme.
fn near_zero(u: &[f64]) -> Vec<f64> {
    u.iter().map(|t| 10f64.powf(-10.0 + 4.0 * t)).collect()
}

/// Column scales of the badly scaled functions.
const SCALES: [f64; 5] = [1e-8, 1e-4, 1.0, 1e4, 1e8];

/// `x_j = s_j z_j`, `|z_j|` in [0.5, 2] with a random sign.
fn scaled_point(u: &[f64]) -> Vec<f64> {
    away_from_zero(u)
        .iter()
        .zip(SCALES)
        .map(|(z, s)| z * s)
        .collect()
}

/// `x_j = s_j z_j`, `z_j` in [0.1, 4].
fn scaled_positive_point(u: &[f64]) -> Vec<f64> {
    u.iter()
        .zip(SCALES)
        .map(|(t, s)| (0.1 + 3.9 * t) * s)
        .collect()
}

// ---- polynomial: R^3 -> R^2 ----

fn polynomial(x: &[f64], y: &mut [f64]) {
    y[0] = x[0].powi(3) - 2.0 * x[0] * x[1] + 0.5 * x[2] * x[2];
    y[1] = x[0] * x[1] * x[2] + x[1] * x[1] - 0.25 * x[2].powi(4);
}

fn polynomial_jac(x: &[f64]) -> Vec<f64> {
    vec![
        3.0 * x[0] * x[0] - 2.0 * x[1],
        -2.0 * x[0],
        x[2],
        x[1] * x[2],
        x[0] * x[2] + 2.0 * x[1],
        x[0] * x[1] - x[2].powi(3),
    ]
}

// ---- exp / log / trig: R^3 -> R^3 ----

fn exp_log_trig(x: &[f64], y: &mut [f64]) {
    y[0] = x[0].sin().exp() * x[1];
    y[1] = (1.0 + x[1] * x[1]).ln() + (x[0] * x[2]).cos();
    y[2] = (x[0] + 2.0 * x[1]).sin() * (-0.5 * x[2] * x[2]).exp();
}

fn exp_log_trig_jac(x: &[f64]) -> Vec<f64> {
    let es = x[0].sin().exp();
    let s02 = (x[0] * x[2]).sin();
    let g = (-0.5 * x[2] * x[2]).exp();
    let (s, c) = (x[0] + 2.0 * x[1]).sin_cos();
    vec![
        x[0].cos() * es * x[1],
        es,
        0.0,
        -s02 * x[2],
        2.0 * x[1] / (1.0 + x[1] * x[1]),
        -s02 * x[0],
        c * g,
        2.0 * c * g,
        -x[2] * s * g,
    ]
}

// ---- trig chain: R^3 -> R ----

fn trig_chain(x: &[f64], y: &mut [f64]) {
    y[0] = (x[0].cos() * x[1]).sin() + (x[1] * x[2]).atan() + (0.5 * x[2]).tan();
}

fn trig_chain_jac(x: &[f64]) -> Vec<f64> {
    let inner = (x[0].cos() * x[1]).cos();
    let q = 1.0 / (1.0 + (x[1] * x[2]).powi(2));
    let sec2 = 1.0 / (0.5 * x[2]).cos().powi(2);
    vec![
        -x[0].sin() * x[1] * inner,
        x[0].cos() * inner + x[2] * q,
        x[1] * q + 0.5 * sec2,
    ]
}

// ---- softmax: R^5 -> R^5, logsumexp: R^6 -> R ----

fn softmax_of(x: &[f64]) -> Vec<f64> {
    let max = x.iter().fold(f64::NEG_INFINITY, |a, &b| a.max(b));
    let e: Vec<f64> = x.iter().map(|v| (v - max).exp()).collect();
    let sum: f64 = e.iter().sum();
    e.iter().map(|v| v / sum).collect()
}

fn softmax(x: &[f64], y: &mut [f64]) {
    y.copy_from_slice(&softmax_of(x));
}

fn softmax_jac(x: &[f64]) -> Vec<f64> {
    let p = softmax_of(x);
    let n = x.len();
    let mut jac = vec![0.0; n * n];
    for i in 0..n {
        for j in 0..n {
            jac[i * n + j] = p[i] * (f64::from(u8::from(i == j)) - p[j]);
        }
    }
    jac
}

fn logsumexp(x: &[f64], y: &mut [f64]) {
    let max = x.iter().fold(f64::NEG_INFINITY, |a, &b| a.max(b));
    y[0] = max + x.iter().map(|v| (v - max).exp()).sum::<f64>().ln();
}

fn logsumexp_jac(x: &[f64]) -> Vec<f64> {
    softmax_of(x)
}

// ---- tridiagonal solve (Thomas): x = [diagonal (k); right-hand side (k)] -> y (k) ----

const TRI_K: usize = 4;
/// Sub-diagonal `a_i` (row i, column i-1; a_0 unused) and super-diagonal `c_i` (row i,
/// column i+1; c_{k-1} unused). With the diagonal in [3, 5] the matrix is diagonally
/// dominant, so the Thomas algorithm is stable without pivoting.
const TRI_SUB: [f64; TRI_K] = [0.0, -1.0, 0.5, -0.7];
const TRI_SUPER: [f64; TRI_K] = [0.8, -0.6, 1.0, 0.0];

fn tridiagonal_point(u: &[f64]) -> Vec<f64> {
    let mut x = box_point(&u[..TRI_K], 3.0, 5.0);
    x.extend(box_point(&u[TRI_K..], -2.0, 2.0));
    x
}

fn tridiagonal_solve(x: &[f64], y: &mut [f64]) {
    let (diag, rhs) = x.split_at(TRI_K);
    let mut c = [0.0; TRI_K];
    let mut d = [0.0; TRI_K];
    c[0] = TRI_SUPER[0] / diag[0];
    d[0] = rhs[0] / diag[0];
    for i in 1..TRI_K {
        let denom = diag[i] - TRI_SUB[i] * c[i - 1];
        c[i] = TRI_SUPER[i] / denom;
        d[i] = (rhs[i] - TRI_SUB[i] * d[i - 1]) / denom;
    }
    y[TRI_K - 1] = d[TRI_K - 1];
    for i in (0..TRI_K - 1).rev() {
        y[i] = d[i] - c[i] * y[i + 1];
    }
}

/// Computed another way, by a dense inverse: `T y = r` gives `dy/dr = T^-1` and
/// `dy/dT_jj = -T^-1 e_j y_j`.
fn tridiagonal_solve_jac(x: &[f64]) -> Vec<f64> {
    let k = TRI_K;
    let mut t = vec![0.0; k * k];
    for i in 0..k {
        t[i * k + i] = x[i];
        if i > 0 {
            t[i * k + i - 1] = TRI_SUB[i];
        }
        if i + 1 < k {
            t[i * k + i + 1] = TRI_SUPER[i];
        }
    }
    let inv = dense_inverse(&t, k);
    let y: Vec<f64> = (0..k)
        .map(|i| (0..k).map(|j| inv[i * k + j] * x[k + j]).sum())
        .collect();
    let n = 2 * k;
    let mut jac = vec![0.0; k * n];
    for i in 0..k {
        for j in 0..k {
            jac[i * n + j] = -inv[i * k + j] * y[j];
            jac[i * n + k + j] = inv[i * k + j];
        }
    }
    jac
}

/// Gauss–Jordan elimination with partial pivoting on `[A | I]`.
fn dense_inverse(a: &[f64], k: usize) -> Vec<f64> {
    let w = 2 * k;
    let mut aug = vec![0.0; k * w];
    for i in 0..k {
        aug[i * w..i * w + k].copy_from_slice(&a[i * k..(i + 1) * k]);
        aug[i * w + k + i] = 1.0;
    }
    for col in 0..k {
        let pivot = (col..k)
            .max_by(|&p, &q| aug[p * w + col].abs().total_cmp(&aug[q * w + col].abs()))
            .unwrap();
        for c in 0..w {
            aug.swap(col * w + c, pivot * w + c);
        }
        let p = aug[col * w + col];
        for c in 0..w {
            aug[col * w + c] /= p;
        }
        for r in (0..k).filter(|&r| r != col) {
            let factor = aug[r * w + col];
            for c in 0..w {
                aug[r * w + c] -= factor * aug[col * w + c];
            }
        }
    }
    let mut inv = vec![0.0; k * k];
    for i in 0..k {
        inv[i * k..(i + 1) * k].copy_from_slice(&aug[i * w + k..(i + 1) * w]);
    }
    inv
}

// ---- rational: R^3 -> R^2 ----

fn rational(x: &[f64], y: &mut [f64]) {
    y[0] = (1.0 + x[0] * x[1] + x[2] * x[2]) / (1.0 + x[0] * x[0] + x[1] * x[1]);
    y[1] = (x[0] - x[2]) / (3.0 + x[1] * x[1] + x[2] * x[2]);
}

/// Quotient rule `(N/D)' = (N' D - N D') / D^2`, row by row.
fn rational_jac(x: &[f64]) -> Vec<f64> {
    let quotient = |num: f64, dnum: [f64; 3], den: f64, dden: [f64; 3]| {
        [0, 1, 2].map(|j| (dnum[j] * den - num * dden[j]) / (den * den))
    };
    let r0 = quotient(
        1.0 + x[0] * x[1] + x[2] * x[2],
        [x[1], x[0], 2.0 * x[2]],
        1.0 + x[0] * x[0] + x[1] * x[1],
        [2.0 * x[0], 2.0 * x[1], 0.0],
    );
    let r1 = quotient(
        x[0] - x[2],
        [1.0, 0.0, -1.0],
        3.0 + x[1] * x[1] + x[2] * x[2],
        [0.0, 2.0 * x[1], 2.0 * x[2]],
    );
    r0.into_iter().chain(r1).collect()
}

// ---- Euclidean norm: R^5 -> R ----

fn norm(x: &[f64], y: &mut [f64]) {
    y[0] = x.iter().map(|v| v * v).sum::<f64>().sqrt();
}

fn norm_jac(x: &[f64]) -> Vec<f64> {
    let r = x.iter().map(|v| v * v).sum::<f64>().sqrt();
    x.iter().map(|v| v / r).collect()
}

// ---- network layer: y = sigmoid(W2 tanh(W1 x + b1) + b2), R^4 -> R^3 ----

const W1: [[f64; 4]; 5] = [
    [0.5, -0.3, 0.8, 0.1],
    [-0.7, 0.2, 0.4, -0.6],
    [0.3, 0.9, -0.2, 0.5],
    [-0.4, -0.5, 0.6, 0.7],
    [0.9, 0.1, -0.8, -0.3],
];
const B1: [f64; 5] = [0.1, -0.2, 0.3, 0.0, -0.1];
const W2: [[f64; 5]; 3] = [
    [1.2, -0.7, 0.5, 0.3, -0.9],
    [-0.4, 1.1, 0.8, -0.6, 0.2],
    [0.6, 0.3, -1.0, 0.9, 0.7],
];
const B2: [f64; 3] = [0.2, -0.1, 0.05];

/// Hidden activations `tanh(W1 x + b1)` and outputs.
fn network_forward(x: &[f64]) -> ([f64; 5], [f64; 3]) {
    let h = [0, 1, 2, 3, 4].map(|k| (B1[k] + (0..4).map(|j| W1[k][j] * x[j]).sum::<f64>()).tanh());
    let y = [0, 1, 2].map(|i| {
        let a = B2[i] + (0..5).map(|k| W2[i][k] * h[k]).sum::<f64>();
        1.0 / (1.0 + (-a).exp())
    });
    (h, y)
}

fn network_layer(x: &[f64], y: &mut [f64]) {
    y.copy_from_slice(&network_forward(x).1);
}

/// `diag(y (1 - y)) W2 diag(1 - h^2) W1`.
fn network_layer_jac(x: &[f64]) -> Vec<f64> {
    let (h, y) = network_forward(x);
    let mut jac = vec![0.0; 3 * 4];
    for i in 0..3 {
        for j in 0..4 {
            let inner: f64 = (0..5)
                .map(|k| W2[i][k] * (1.0 - h[k] * h[k]) * W1[k][j])
                .sum();
            jac[i * 4 + j] = y[i] * (1.0 - y[i]) * inner;
        }
    }
    jac
}

// ---- m > n: R^2 -> R^5, f_i = sin(t_i x0 + x1) exp(t_i x1 / 3), t_i = (i+1)/4 ----

fn tall(x: &[f64], y: &mut [f64]) {
    for (i, yi) in y.iter_mut().enumerate() {
        let t = (i + 1) as f64 / 4.0;
        *yi = (t * x[0] + x[1]).sin() * (t * x[1] / 3.0).exp();
    }
}

fn tall_jac(x: &[f64]) -> Vec<f64> {
    (0..5)
        .flat_map(|i| {
            let t = (i + 1) as f64 / 4.0;
            let (s, c) = (t * x[0] + x[1]).sin_cos();
            let e = (t * x[1] / 3.0).exp();
            [t * c * e, c * e + s * e * t / 3.0]
        })
        .collect()
}

// ---- m < n: R^6 -> R^2 ----

fn wide(x: &[f64], y: &mut [f64]) {
    y[0] = x[0] * x[1] + x[2] * x[3] + x[4] * x[5];
    y[1] = (0.1 * x.iter().sum::<f64>()).exp() * (x[0] - x[5]).cos();
}

fn wide_jac(x: &[f64]) -> Vec<f64> {
    let e = (0.1 * x.iter().sum::<f64>()).exp();
    let (s, c) = (x[0] - x[5]).sin_cos();
    let mut jac = vec![x[1], x[0], x[3], x[2], x[5], x[4]];
    jac.extend((0..6).map(|j| {
        let d = match j {
            0 => -s,
            5 => s,
            _ => 0.0,
        };
        0.1 * e * c + e * d
    }));
    jac
}

// ---- badly scaled: x_j spans 1e-8..1e8 ----

/// `sum_j (x_j / s_j)^2`: each term O(1), so no column drowns in another's rounding.
fn scaled_quadratic(x: &[f64], y: &mut [f64]) {
    y[0] = x.iter().zip(SCALES).map(|(v, s)| (v / s).powi(2)).sum();
}

fn scaled_quadratic_jac(x: &[f64]) -> Vec<f64> {
    x.iter()
        .zip(SCALES)
        .map(|(v, s)| 2.0 * v / (s * s))
        .collect()
}

/// `f_j = (x_j / s_j) exp(-x_j / s_j)`, diagonal.
fn scaled_decay(x: &[f64], y: &mut [f64]) {
    for ((yj, v), s) in y.iter_mut().zip(x).zip(SCALES) {
        let z = v / s;
        *yj = z * (-z).exp();
    }
}

fn scaled_decay_jac(x: &[f64]) -> Vec<f64> {
    let n = x.len();
    let mut jac = vec![0.0; n * n];
    for (j, (v, s)) in x.iter().zip(SCALES).enumerate() {
        let z = v / s;
        jac[j * n + j] = (1.0 - z) * (-z).exp() / s;
    }
    jac
}

// ---- domain edges: x at 1e-10..1e-6 ----

/// Smooth on `x ≥ 0` and NaN below (a routine that rejects negative inputs), so the
/// one-sided stencils reach the derivative at the edge to their full order.
fn domain_edge(x: &[f64], y: &mut [f64]) {
    if x[0] < 0.0 || x[1] < 0.0 {
        y.fill(f64::NAN);
        return;
    }
    y[0] = x[0].ln_1p() + x[1] * x[0].exp();
    y[1] = (1.0 + x[1]).sqrt() * x[0].cos();
}

fn domain_edge_jac(x: &[f64]) -> Vec<f64> {
    let r = (1.0 + x[1]).sqrt();
    vec![
        1.0 / (1.0 + x[0]) + x[1] * x[0].exp(),
        x[0].exp(),
        -r * x[0].sin(),
        x[0].cos() / (2.0 * r),
    ]
}

/// `[ln x0, sqrt x1]`: NaN below 0 (and -inf at 0) by the functions themselves.
fn log_sqrt(x: &[f64], y: &mut [f64]) {
    y[0] = x[0].ln();
    y[1] = x[1].sqrt();
}

fn log_sqrt_jac(x: &[f64]) -> Vec<f64> {
    vec![1.0 / x[0], 0.0, 0.0, 0.5 / x[1].sqrt()]
}
