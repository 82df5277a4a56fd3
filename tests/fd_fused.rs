//! The fused VJP columns (`src/fd/fused.rs`, issue 15) against the general path, bit for
//! bit: for every scheme, each entry of `v^T J` is the Jacobian's column (built output by
//! output, never fused) dotted with v in order, with the same evaluation count, at random
//! points of random smooth functions. Pins the per-computation plan of the fused columns
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
    fn fused_columns_are_the_general_paths_bit_for_bit((s, x, v) in smooth(9, 6, 0.05)) {
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
                prop_assert_eq!(grad[j].to_bits(), dot.to_bits(), "{:?} column {}", scheme, j);
            }
        }
    }
}
