//! The fused VJP columns (`src/fd/fused.rs`, issue 15) against the general path, bit for
//! bit: for every scheme, each entry of `v^T J` is the Jacobian's column (built output by
//! output, never fused) dotted with v in order, with the same evaluation count, at random
//! points of random smooth functions. Pins the per-computation plan of the fused columns
//! (what every column of a call shares, worked out once) to the values each column worked
//! out for itself before.

use fdvjp::fd::{self, last_report, Options, Scheme};
use proptest::prelude::*;
use std::cell::Cell;

/// `f_i(x) = sum_j a_ij sin(b_ij x_j + c_ij)`: smooth, every output depends on every
/// input, varying on the scale the step rule assumes (`b <= 2`).
#[derive(Debug, Clone)]
struct Smooth {
    n: usize,
    m: usize,
    coef: Vec<(f64, f64, f64)>,
}

impl Smooth {
    fn eval(&self, x: &[f64], y: &mut [f64]) {
        for (i, yi) in y.iter_mut().enumerate().take(self.m) {
            *yi = (0..self.n)
                .map(|j| {
                    let (a, b, c) = self.coef[i * self.n + j];
                    a * (b * x[j] + c).sin()
                })
                .sum();
        }
    }
}

fn smooth() -> impl Strategy<Value = (Smooth, Vec<f64>, Vec<f64>)> {
    (1usize..9, 1usize..6).prop_flat_map(|(n, m)| {
        (
            prop::collection::vec((0.2..3.0f64, 0.3..2.0f64, -3.0..3.0f64), n * m),
            prop::collection::vec(0.05..2.0f64, n),
            prop::collection::vec(prop::bool::ANY, n),
            prop::collection::vec(-1.0..1.0f64, m),
        )
            .prop_map(move |(coef, x, signs, v)| {
                // |x_j| >= 0.05: no column is suspect a priori, so none is refined.
                let x = x
                    .iter()
                    .zip(signs)
                    .map(|(&v, s)| if s { v } else { -v })
                    .collect();
                (Smooth { n, m, coef }, x, v)
            })
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    #[test]
    fn fused_columns_are_the_general_paths_bit_for_bit((s, x, v) in smooth()) {
        let n = s.n;
        for scheme in [Scheme::Central, Scheme::Forward, Scheme::Backward, Scheme::Central4] {
            let mut opts = Options::new();
            opts.set_scheme(scheme);
            let count = Cell::new(0usize);
            let f = |x: &[f64], y: &mut [f64]| {
                count.set(count.get() + 1);
                s.eval(x, y);
                Ok(())
            };
            let jac = fd::jacobian(&f, &x, s.m, &opts).unwrap();
            let jac_count = count.replace(0);
            let jac_report = last_report();
            let grad = fd::vjp(&f, &x, &v, &opts).unwrap();
            let report = last_report();
            prop_assert_eq!(count.get(), jac_count, "{:?}", scheme);
            prop_assert_eq!(report.evaluations, jac_report.evaluations);
            prop_assert_eq!(report.directions, n);
            prop_assert_eq!(report.refined_large + report.refined_rounding, 0);
            for j in 0..n {
                let dot = (0..s.m).map(|i| jac[i * n + j] * v[i]).sum::<f64>();
                prop_assert_eq!(grad[j].to_bits(), dot.to_bits(), "{:?} column {}", scheme, j);
            }
        }
    }
}
