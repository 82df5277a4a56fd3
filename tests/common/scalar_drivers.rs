//! The three plain drivers on a scalar f against its exact gradient, judged by the
//! coverage rule the bound tests share.

use fdvjp::fd::{self, last_report, Function, Options};

/// One driver's answer: the result, the exact answer, the sum of `|terms|` the JVP's
/// rounding is taken on (0 for the others) and the reported error bound.
pub struct Answer {
    pub got: Vec<f64>,
    pub want: Vec<f64>,
    pub scale: f64,
    pub bound: f64,
}

impl Answer {
    /// The largest `|got - want| / (bound + 2e-15 |want| + 4e-15 scale)`: above 1, the
    /// bound does not cover (NaN bounds give NaN, which callers count apart).
    pub fn ratio(&self) -> f64 {
        let tol = |e: f64| self.bound + 2e-15 * e.abs() + 4e-15 * self.scale;
        self.got
            .iter()
            .zip(&self.want)
            .map(|(g, &e)| (g - e).abs() / tol(e))
            .fold(0.0f64, f64::max)
    }
}

/// Driver `driver` (0 the VJP with v = 1, 1 the JVP along `u`, else the Jacobian) on the
/// scalar `f` at `x`, whose gradient is `exact`.
pub fn scalar_driver<F: Function>(
    driver: usize,
    f: &F,
    x: &[f64],
    exact: &[f64],
    u: &[f64],
    o: &Options,
) -> Answer {
    let n = x.len();
    let (got, want, scale) = match driver {
        0 => (fd::vjp(f, x, &[1.0], o).unwrap(), exact.to_vec(), 0.0),
        1 => {
            let jv = (0..n).map(|j| exact[j] * u[j]).sum::<f64>();
            let terms = (0..n).map(|j| (exact[j] * u[j]).abs()).sum::<f64>();
            (fd::jvp(f, x, 1, u, o).unwrap(), vec![jv], terms)
        }
        _ => (fd::jacobian(f, x, 1, o).unwrap(), exact.to_vec(), 0.0),
    };
    Answer {
        got,
        want,
        scale,
        bound: last_report().error_bound,
    }
}
