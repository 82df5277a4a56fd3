//! Exact evaluation counts of every driver and scheme, counted in the function itself.
//!
//! Without fall-backs (smooth function, no bounds): VJP and Jacobian 1 + k n, JVP 1 + k,
//! with k = 1 (forward/backward), 2 (central), 4 (4th order); the `_at` variants, given
//! f(x), one fewer; nothing at all when n == 0 or m == 0. Central columns whose second
//! difference looks like noise (`|D2| > 1000 r^2` times both f's change and its size at x:
//! f and f' both near 0 along the axis) take 2 more for their check (`src/fd/refine/lone.rs`),
//! counted here by [`lone_columns`].

mod common;

use common::{evals_per_direction, SCHEMES};
use fdvjp::fd::{self, Options, Scheme};
use proptest::prelude::*;
use std::cell::Cell;

/// `y_i = sin((i+1) x_j + j)` summed over j, counting its calls.
fn counting(count: &Cell<usize>) -> impl Fn(&[f64], &mut [f64]) -> Result<(), i32> + '_ {
    move |x, y| {
        count.set(count.get() + 1);
        for (i, yi) in y.iter_mut().enumerate() {
            *yi = x
                .iter()
                .enumerate()
                .map(|(j, xj)| ((i + 1) as f64 * xj + j as f64).sin())
                .sum();
        }
        Ok(())
    }
}

fn value(x: &[f64], m: usize) -> Vec<f64> {
    let count = Cell::new(0);
    let mut y = vec![0.0; m];
    counting(&count)(x, &mut y).unwrap();
    y
}

/// Runs `call` and returns how many evaluations it made.
fn evals(call: impl FnOnce(&dyn Fn(&[f64], &mut [f64]) -> Result<(), i32>)) -> usize {
    let count = Cell::new(0);
    call(&counting(&count));
    count.get()
}

/// `src/fd/refine/lone.rs`'s threshold.
const LONE: f64 = 100.0;

/// The axis columns the default central scheme checks at half the step
/// (`src/fd/refine/lone.rs`): the weighted sums of its plain stencil, as the library forms
/// them (`weights`: |v| for a VJP, 1 for a Jacobian), show `|D2| > LONE r^2 max(M, size)`
/// with `size = sum w_i |f_i(x)|`.
fn lone_columns(x: &[f64], m: usize, weights: Option<&[f64]>) -> usize {
    let r = Scheme::Central.default_relative_step();
    let f0 = value(x, m);
    (0..x.len())
        .filter(|&j| {
            let t = (x[j] + r * x[j].abs().max(1.0)) - x[j];
            let at = |o: f64| {
                let mut xp = x.to_vec();
                xp[j] = x[j] + o * t;
                value(&xp, m)
            };
            let (up, down) = (at(1.0), at(-1.0));
            let (mut d2, mut change, mut size) = (0.0, 0.0, 0.0);
            for i in 0..m {
                let w = weights.map_or(1.0, |w| w[i].abs());
                let d1 = (up[i] - down[i]) / (2.0 * t);
                let mag_t = (up[i].abs() + down[i].abs()) / 2.0;
                d2 += w * ((up[i] - f0[i]) + (down[i] - f0[i])).abs();
                change += w * (0.01 * mag_t).max(d1.abs() * t / r);
                size += w * f0[i].abs();
            }
            d2 > LONE * r * r * change.max(size)
        })
        .count()
}

fn options(scheme: Scheme) -> Options {
    let mut opts = Options::new();
    opts.set_scheme(scheme);
    opts
}

fn scheme() -> impl Strategy<Value = Scheme> {
    prop::sample::select(SCHEMES.to_vec())
}

fn problem() -> impl Strategy<Value = (Vec<f64>, usize, Vec<f64>, Vec<f64>)> {
    (0usize..7, 0usize..5).prop_flat_map(|(n, m)| {
        (
            // Well-scaled points (or 0): a column with 0 < |x_j| < 1e-3 (forward) or
            // below r (central) is refined by the default step rule, whose extra
            // evaluations tests/fd_refine.rs and tests/accuracy_counts.rs count.
            prop::collection::vec(prop_oneof![Just(0.0), -1.0..-0.01f64, 0.01..1.0f64], n),
            Just(m),
            prop::collection::vec(-1.0..1.0f64, m),
            prop::collection::vec(0.1..1.0f64, n),
        )
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn every_driver_makes_exactly_the_documented_evaluations(
        scheme in scheme(),
        (x, m, v, u) in problem(),
    ) {
        let n = x.len();
        let opts = options(scheme);
        let k = evals_per_direction(scheme);
        let empty = n == 0 || m == 0;
        let (full, at) = if empty { (0, 0) } else { (1 + k * n, k * n) };
        let (dir_full, dir_at) = if empty { (0, 0) } else { (1 + k, k) };
        let fx = value(&x, m);
        let checked = |weights| if empty || scheme != Scheme::Central {
            0
        } else {
            2 * lone_columns(&x, m, weights)
        };
        let (by_v, by_1) = (checked(Some(&v[..])), checked(None));

        prop_assert_eq!(evals(|f| { fd::vjp(&f, &x, &v, &opts).unwrap(); }), full + by_v, "vjp");
        prop_assert_eq!(
            evals(|f| { fd::vjp_at(&f, &x, &fx, &v, &opts).unwrap(); }), at + by_v, "vjp_at"
        );
        prop_assert_eq!(
            evals(|f| { fd::jacobian(&f, &x, m, &opts).unwrap(); }), full + by_1, "jacobian"
        );
        prop_assert_eq!(
            evals(|f| { fd::jacobian_at(&f, &x, &fx, &opts).unwrap(); }), at + by_1, "jacobian_at"
        );
        prop_assert_eq!(evals(|f| { fd::jvp(&f, &x, m, &u, &opts).unwrap(); }), dir_full, "jvp");
        prop_assert_eq!(evals(|f| { fd::jvp_at(&f, &x, &fx, &u, &opts).unwrap(); }), dir_at, "jvp_at");
    }

    /// `J 0 = 0` needs f(x) only (to check it is finite), and nothing when f(x) is given.
    #[test]
    fn jvp_along_zero_evaluates_f_at_x_only(scheme in scheme(), (x, m, _v, _u) in problem()) {
        let zero = vec![0.0; x.len()];
        let opts = options(scheme);
        let fx = value(&x, m);
        let want = usize::from(!(x.is_empty() || m == 0));
        let mut out = Vec::new();
        prop_assert_eq!(evals(|f| out = fd::jvp(&f, &x, m, &zero, &opts).unwrap()), want);
        prop_assert_eq!(out, vec![0.0; m]);
        prop_assert_eq!(evals(|f| { fd::jvp_at(&f, &x, &fx, &zero, &opts).unwrap(); }), 0);
    }
}

/// Empty problems return outputs of the right (possibly zero) length.
#[test]
fn empty_problems_return_zero_filled_outputs() {
    let opts = Options::new();
    let count = Cell::new(0);
    let f = counting(&count);
    assert_eq!(
        fd::vjp(&f, &[0.5, 0.25], &[], &opts).unwrap(),
        vec![0.0, 0.0]
    );
    assert_eq!(fd::vjp(&f, &[], &[1.0], &opts).unwrap(), Vec::<f64>::new());
    assert_eq!(
        fd::jacobian(&f, &[1.0, 2.0], 0, &opts).unwrap(),
        Vec::<f64>::new()
    );
    assert_eq!(fd::jacobian(&f, &[], 3, &opts).unwrap(), Vec::<f64>::new());
    assert_eq!(fd::jvp(&f, &[], 2, &[], &opts).unwrap(), vec![0.0, 0.0]);
    assert_eq!(count.get(), 0);
}
