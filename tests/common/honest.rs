//! The report's claim about a result, checked: a completed computation whose bound covers
//! the result's largest entry error, or that has no bound (NaN) and counts some direction
//! unbounded; never an infinite bound, never more unbounded directions than directions.

use fdvjp::fd::Report;

/// Checks `r` against a result whose largest entry error is `err` (module doc).
pub fn honest(what: &str, err: f64, r: &Report) {
    assert!(r.completed, "{what}: not completed");
    assert!(
        r.error_bound != f64::INFINITY,
        "{what}: infinite bound {r:?}"
    );
    assert!(r.unbounded <= r.directions, "{what}: {r:?}");
    if r.error_bound.is_nan() {
        assert!(r.unbounded > 0, "{what}: bound NaN, nothing unbounded");
    } else {
        assert!(
            err <= r.error_bound,
            "{what}: error {err:e} > bound {:e}",
            r.error_bound
        );
    }
}
