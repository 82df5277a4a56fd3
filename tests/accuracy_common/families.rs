//! Scalar function families at chosen scales, for the coverage tests of the error
//! estimates (`accuracy_coverage.rs`: VJP, Jacobian and JVP estimates; and
//! `accuracy_coverage_jvp.rs`: JVP estimates along scaled directions), each at its own
//! scales.

use super::Rng;

/// A scalar function of x and of the family's scale `s`, with its derivative.
pub type Scalar = fn(f64, f64) -> f64;
/// Draws one coordinate at scale `s`.
pub type Draw = fn(&mut Rng, f64) -> f64;

pub struct Family {
    pub name: &'static str,
    pub g: Scalar,
    pub dg: Scalar,
    pub draw: Draw,
    pub scales: Vec<f64>,
}

impl Family {
    /// The coverage tests' problems, written once: at each scale `s`, `points` random points
    /// x of `c.len()` coordinates (drawn by `draw`), each handed to `visit(rng, f, x, jac)`
    /// with `f(x) = (sum_j g(x_j, s), sum_j c_j g(x_j, s))` and its exact row-major 2×n
    /// Jacobian from `dg`. `visit` draws whatever else it needs from the same `rng`.
    pub fn for_each_point(
        &self,
        rng: &mut Rng,
        points: usize,
        c: &[f64],
        mut visit: impl FnMut(&mut Rng, &dyn Fn(&[f64], &mut [f64]), &[f64], &[f64]),
    ) {
        let n = c.len();
        for &s in &self.scales {
            for _ in 0..points {
                let x: Vec<f64> = (0..n).map(|_| (self.draw)(rng, s)).collect();
                let g = self.g;
                let f = move |x: &[f64], y: &mut [f64]| {
                    y[0] = x.iter().map(|&v| g(v, s)).sum();
                    y[1] = x.iter().zip(c).map(|(&v, c)| c * g(v, s)).sum();
                };
                let mut jac = vec![0.0; 2 * n];
                for j in 0..n {
                    let d = (self.dg)(x[j], s);
                    jac[j] = d;
                    jac[n + j] = c[j] * d;
                }
                visit(rng, &f, &x, &jac);
            }
        }
    }
}

fn magnitude(rng: &mut Rng, s: f64) -> f64 {
    s * rng.uniform(1.0, 10.0)
}

fn signed(rng: &mut Rng, s: f64) -> f64 {
    let a = magnitude(rng, s);
    if rng.uniform(0.0, 1.0) < 0.5 {
        -a
    } else {
        a
    }
}

/// sin, cos, exp(x/s), log, sqrt and 1/x at each scale of `wide` (well and badly scaled),
/// and arcsin at each distance of `edge` from the edges of its domain.
pub fn families(wide: &[f64], edge: &[f64]) -> Vec<Family> {
    vec![
        Family {
            name: "sin",
            g: |x, _| x.sin(),
            dg: |x, _| x.cos(),
            draw: signed,
            scales: wide.to_vec(),
        },
        Family {
            name: "cos",
            g: |x, _| x.cos(),
            dg: |x, _| -x.sin(),
            draw: signed,
            scales: wide.to_vec(),
        },
        Family {
            // exp(x / s) at x of scale s: f varies on x's own scale.
            name: "exp(x/s)",
            g: |x, s| (x / s).exp(),
            dg: |x, s| (x / s).exp() / s,
            draw: |rng, s| s * rng.uniform(-3.0, 3.0),
            scales: wide.to_vec(),
        },
        Family {
            name: "log",
            g: |x, _| x.ln(),
            dg: |x, _| 1.0 / x,
            draw: magnitude,
            scales: wide.to_vec(),
        },
        Family {
            name: "sqrt",
            g: |x, _| x.sqrt(),
            dg: |x, _| 0.5 / x.sqrt(),
            draw: magnitude,
            scales: wide.to_vec(),
        },
        Family {
            name: "1/x",
            g: |x, _| 1.0 / x,
            dg: |x, _| -1.0 / (x * x),
            draw: signed,
            scales: wide.to_vec(),
        },
        Family {
            // Near the edges of the domain [-1, 1], at distance of order s.
            name: "arcsin",
            g: |x, _| x.asin(),
            dg: |x, _| 1.0 / ((1.0 - x) * (1.0 + x)).sqrt(),
            draw: |rng, s| {
                let x = 1.0 - s * rng.uniform(1.0, 3.0);
                if rng.uniform(0.0, 1.0) < 0.5 {
                    -x
                } else {
                    x
                }
            },
            scales: edge.to_vec(),
        },
    ]
}
