//! The fused VJP columns (`src/fd/fused.rs`, issue 15) against the general path: for every
//! scheme, each entry of `v^T J` is the Jacobian's column (built output by output, never
//! fused) dotted with v in order, with the same evaluation count, at random points of
//! random smooth functions; bit for bit for fewer than 4 outputs, within the rounding of
//! a sum of m terms for more (the product is summed as `n_i v_i` in lanes and divided by t
//! once, `src/fd/fused/product.rs`). Pins the per-computation plan of the fused columns
//! (what every column of a call shares, worked out once) to the values each column worked
//! out for itself before.

use crate::common;

use common::smooth::smooth;
use fdvjp::fd::{self, last_report, Options, Scheme};
use proptest::prelude::*;
use std::cell::Cell;

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    #[test]
    fn fused_columns_are_the_general_paths((s, x, v) in smooth(9, 12, 0.05)) {
        let n = s.n;
        for scheme in [Scheme::Central, Scheme::Forward, Scheme::Backward, Scheme::Central4] {
            let mut opts = Options::new();
            opts.set_scheme(scheme);
            let count = Cell::new(0usize);
            let f = s.counted(&count);
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
                if s.m >= 4 {
                    let size = (0..s.m).map(|i| (jac[i * n + j] * v[i]).abs()).sum::<f64>();
                    let tol = 2.0 * (s.m as f64 + 2.0) * f64::EPSILON * size;
                    prop_assert!(
                        (grad[j] - dot).abs() <= tol,
                        "column {}: {:e} against {:e}", j, grad[j], dot
                    );
                } else {
                    prop_assert_eq!(grad[j].to_bits(), dot.to_bits(), "{:?} column {}", scheme, j);
                }
            }
        }
    }
}
