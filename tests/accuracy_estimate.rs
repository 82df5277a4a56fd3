//! Honesty of the Richardson error estimates, as issue 4 defines it: over the whole
//! accuracy suite (every function of `tests/accuracy_common`, every point, every entry of
//! the Jacobian, plus VJPs with random cotangents and JVPs with random directions),
//! - the true error is at most the estimate for at least 95% of entries, and
//! - the estimate is at most 1000 times the true error, or below 1e-14 in absolute value,
//!   for at least 95% of entries.
//!
//! The true error is measured against the analytic derivative.

use crate::accuracy_common as common;

use common::{cases, Rng};
use fdvjp::fd::{jacobian_estimate, jvp_estimate, vjp_estimate, Options};

/// (estimate, true error) of every entry of the suite.
fn entries() -> Vec<(f64, f64, &'static str)> {
    let opts = Options::new();
    let mut out = Vec::new();
    let mut rng = Rng::new(7);
    for case in cases() {
        let f = |x: &[f64], y: &mut [f64]| {
            (case.f)(x, y);
            Ok(())
        };
        for x in case.points(0xe57 ^ case.name.len() as u64) {
            let exact = case.jacobian(&x);
            let (m, n) = (case.m, case.n);
            let jac = jacobian_estimate(&f, &x, m, &opts).expect("jacobian_estimate");
            for (k, &e) in exact.iter().enumerate() {
                out.push((jac.error[k], (jac.value[k] - e).abs(), case.name));
            }
            let v: Vec<f64> = (0..m).map(|_| rng.uniform(-1.0, 1.0)).collect();
            let g = vjp_estimate(&f, &x, &v, &opts).expect("vjp_estimate");
            for j in 0..n {
                let want: f64 = (0..m).map(|i| v[i] * exact[i * n + j]).sum();
                out.push((g.error[j], (g.value[j] - want).abs(), case.name));
            }
            let u: Vec<f64> = (0..n).map(|_| rng.uniform(-1.0, 1.0)).collect();
            let d = jvp_estimate(&f, &x, m, &u, &opts).expect("jvp_estimate");
            for i in 0..m {
                let want: f64 = (0..n).map(|j| exact[i * n + j] * u[j]).sum();
                out.push((d.error[i], (d.value[i] - want).abs(), case.name));
            }
        }
    }
    out
}

#[test]
fn estimates_are_honest_and_not_pessimistic() {
    let all = entries();
    let total = all.len() as f64;
    let under: Vec<_> = all.iter().filter(|(est, err, _)| err > est).collect();
    let loose: Vec<_> = all
        .iter()
        .filter(|(est, err, _)| !(*est <= 1000.0 * err || *est < 1e-14))
        .collect();
    eprintln!(
        "{} entries: true error above the estimate for {} ({:.2}%), estimate more than 1000x \
         the true error (and >= 1e-14) for {} ({:.2}%)",
        all.len(),
        under.len(),
        100.0 * under.len() as f64 / total,
        loose.len(),
        100.0 * loose.len() as f64 / total
    );
    let mut names: Vec<&str> = under.iter().map(|u| u.2).collect();
    names.dedup();
    for name in names {
        eprintln!(
            "  under in {name}: {}",
            under.iter().filter(|u| u.2 == name).count()
        );
    }
    for (est, err, name) in under.iter().take(10) {
        eprintln!("  under: {name}: estimate {est:e}, true error {err:e}");
    }
    let mut names: Vec<&str> = loose.iter().map(|u| u.2).collect();
    names.dedup();
    for name in names {
        eprintln!(
            "  loose in {name}: {}",
            loose.iter().filter(|u| u.2 == name).count()
        );
    }
    for (est, err, name) in loose.iter().take(10) {
        eprintln!("  loose: {name}: estimate {est:e}, true error {err:e}");
    }
    assert!(all.len() >= 500, "the suite has {} entries", all.len());
    assert!(under.len() as f64 <= 0.05 * total);
    assert!(loose.len() as f64 <= 0.05 * total);
}
