//! The report's `error_bound` where the step grows because rounding swamps the difference
//! (the goal row "cos near 1e-7..1e-6" of the accurate-by-default issue): f is a sum of n
//! cosines, each near 1, so f's values round on the scale of many `eps |f|` (one per
//! addition), not one. The grown step's error is then that rounding over the step; the
//! bound took `eps |f|` and reported 1.5e-12 for an error of 6e-12 (40 terms).
//!
//! Exact derivative `-w sin(x_j)`; covered: `|got - exact| <= bound`.

use fdvjp::fd::{self, last_report, Options};
use proptest::prelude::*;

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn grown_steps_report_a_bound_that_covers_the_error(
        exponents in prop::collection::vec(-7.0..-6.0f64, 5..60),
        w in 0.5..2.0f64,
    ) {
        let x: Vec<f64> = exponents.iter().map(|e| 10f64.powf(*e)).collect();
        let f = |x: &[f64], y: &mut [f64]| -> Result<(), i32> {
            y[0] = x.iter().map(|v| v.cos()).sum();
            Ok(())
        };
        let got = fd::vjp(&f, &x, &[w], &Options::new()).unwrap();
        let report = last_report();
        prop_assert!(report.refined_rounding > 0);
        for (j, xj) in x.iter().enumerate() {
            let error = (got[j] + w * xj.sin()).abs();
            prop_assert!(
                error <= report.error_bound,
                "n = {}, column {}: error {:e}, bound {:e}",
                x.len(), j, error, report.error_bound
            );
        }
    }
}
