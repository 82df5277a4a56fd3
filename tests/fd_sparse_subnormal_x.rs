//! A sparsity pattern with an element at a subnormal x_j: the group's refinement target is
//! 0, and `sparse::bins` looped until a 4 GiB allocation aborted the host (probe17 N0: sin
//! x at 1e-320 with a diagonal pattern). The property: every driver returns, and an answer
//! with a finite bound covers the exact derivative. sin and x + x^2 at 5e-324..1e-300
//! beside well-scaled elements; n = 1..3; diagonal patterns; Jacobian and VJP, serial and
//! in batches of 3.

use fdvjp::fd::{self, last_report, Options, Sparsity};

#[test]
fn subnormal_elements_in_column_groups_return_and_cover() {
    let tiny = [5e-324, 1e-320, 1e-310, 1e-300];
    let (mut answered, mut uncovered) = (0, Vec::new());
    for (case, &s) in tiny.iter().cycle().take(24).enumerate() {
        let n = 1 + case % 3;
        let x: Vec<f64> = (0..n)
            .map(|j| if j == 0 { s } else { 0.3 + j as f64 })
            .collect();
        let square = case % 2 == 1;
        let f = move |x: &[f64], y: &mut [f64]| {
            for (yi, &xi) in y.iter_mut().zip(x) {
                *yi = if square { xi + xi * xi } else { xi.sin() };
            }
            Ok(())
        };
        let d = |xi: f64| if square { 1.0 + 2.0 * xi } else { xi.cos() };
        let idx: Vec<usize> = (0..n).collect();
        for batched in [false, true] {
            let mut o = Options::new();
            o.set_sparsity(Some(Sparsity::new(&idx, &idx).unwrap()));
            if batched {
                o.set_batch(3).unwrap();
            }
            if let Ok(got) = fd::jacobian(&f, &x, n, &o) {
                answered += 1;
                let b = last_report().error_bound;
                for i in 0..n {
                    let w = d(x[i]);
                    if (got[i * n + i] - w).abs() > b + 2e-15 * w.abs() {
                        uncovered.push(format!(
                            "jacobian x {x:?}: {} for {w}, bound {b:e}",
                            got[i * n + i]
                        ));
                    }
                }
            }
            let v = vec![1.0; n];
            if let Ok(got) = fd::vjp(&f, &x, &v, &o) {
                answered += 1;
                let b = last_report().error_bound;
                for i in 0..n {
                    let w = d(x[i]);
                    if (got[i] - w).abs() > b + 2e-15 * w.abs() {
                        uncovered.push(format!("vjp x {x:?}: {} for {w}, bound {b:e}", got[i]));
                    }
                }
            }
        }
    }
    assert!(answered > 0);
    assert!(uncovered.is_empty(), "{uncovered:#?}");
}
