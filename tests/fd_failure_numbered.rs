//! A failure's message names the evaluation that failed by f's own count of its calls
//! (probe13 finding 13). With a learned sparsity pattern the grouped columns, the check
//! and a re-learning pass each numbered their evaluations from 1 again, so f failing at its
//! 8th call was reported as "evaluation 2".
//!
//! For random points and scales of a 5 -> 3 map (some elements near log's and sqrt's
//! domain edge), every driver, scheme, declared, learning, learned and wrong learned
//! pattern: a clean call counts f's calls N; then, for every k in 1..=N, f fails at its
//! k-th call, and the error must say evaluation k. With a batch the same, f's calls being
//! the batch's points in order; on threads, whose order of calls varies, f fails at the
//! point the batched run without threads evaluated k-th, and the error must say k.

use crate::common;

use common::Rng;
use fdvjp::fd::{self, FdError, Function, Options, Scheme, Sparsity, Threaded};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Mutex;

/// `y_0 = log(x_0) + x_1 / 2`, `y_1 = sqrt(x_2) + sin(x_1 / s)`, `y_2 = x_3 exp(x_4 / s)`
/// (NaN below the edges at 0), failing at its `fail_at`-th call or at the point `fail_x`,
/// recording its points in the order of its calls.
struct Model {
    s: f64,
    fail_at: usize,
    fail_x: Option<Vec<f64>>,
    fired: AtomicBool,
    calls: AtomicUsize,
    points: Mutex<Vec<Vec<f64>>>,
}

impl Model {
    fn new(s: f64, fail_at: usize, fail_x: Option<Vec<f64>>) -> Self {
        Self {
            s,
            fail_at,
            fail_x,
            fired: AtomicBool::new(false),
            calls: AtomicUsize::new(0),
            points: Mutex::new(Vec::new()),
        }
    }
}

impl Function for Model {
    fn eval(&self, x: &[f64], y: &mut [f64]) -> Result<(), i32> {
        let k = self.calls.fetch_add(1, Ordering::SeqCst) + 1;
        self.points.lock().unwrap().push(x.to_vec());
        let at_point = self.fail_x.as_ref().is_some_and(|p| same(p, x));
        if k == self.fail_at || (at_point && !self.fired.swap(true, Ordering::SeqCst)) {
            return Err(9);
        }
        y[0] = x[0].ln() + 0.5 * x[1];
        y[1] = x[2].sqrt() + (x[1] / self.s).sin();
        y[2] = x[3] * (x[4] / self.s).exp();
        Ok(())
    }
}

fn same(a: &[f64], b: &[f64]) -> bool {
    a.iter().zip(b).all(|(p, q)| p.to_bits() == q.to_bits())
}

fn pattern(all: bool) -> Sparsity {
    let (rows, cols): (&[usize], &[usize]) = if all {
        (&[0, 0, 1, 1, 2, 2], &[0, 1, 1, 2, 3, 4])
    } else {
        // Misses y_0's coupling to x_1: the check fails and the call re-learns.
        (&[0, 1, 1, 2, 2], &[0, 1, 2, 3, 4])
    };
    Sparsity::new(rows, cols).unwrap()
}

/// The pattern arrangements: dense, declared, learning on this call, learned right,
/// learned wrong. Options are made afresh for each call (learning changes them).
const PATTERNS: [&str; 5] = ["dense", "declared", "learning", "learned", "wrong"];

fn options(scheme: Scheme, adaptive: bool, pattern_kind: &str, batch: usize) -> Options {
    let mut o = Options::new();
    o.set_scheme(scheme);
    o.set_adaptive(adaptive);
    o.set_batch(batch).unwrap();
    match pattern_kind {
        "declared" => o.set_sparsity(Some(pattern(true))),
        "learning" => o.set_learn_sparsity(true),
        "learned" => o.set_learned_sparsity(pattern(true), 5, 3),
        "wrong" => o.set_learned_sparsity(pattern(false), 5, 3),
        _ => {}
    }
    o
}

/// Driver `d` on `f`: the error it returned, if any.
fn run(d: usize, f: &dyn Function, x: &[f64], o: &Options) -> Option<FdError> {
    let v = [1.0, -0.7, 0.4];
    let u = [0.3, -1.0, 0.5, 0.2, -0.8];
    let result = match d {
        0 => fd::vjp(f, x, &v, o).map(drop),
        1 => fd::jacobian(f, x, 3, o).map(drop),
        2 => fd::jvp(f, x, 3, &u, o).map(drop),
        3 => fd::vjp_estimate(f, x, &v, o).map(drop),
        4 => fd::jvp_estimate(f, x, 3, &u, o).map(drop),
        _ => fd::jacobian_estimate(f, x, 3, o).map(drop),
    };
    result.err()
}

const DRIVERS: [&str; 6] = [
    "vjp",
    "jacobian",
    "jvp",
    "vjp_estimate",
    "jvp_estimate",
    "jacobian_estimate",
];

fn numbered(e: &Option<FdError>) -> Option<usize> {
    match e {
        Some(FdError::Callback {
            code: 9,
            evaluation,
            ..
        }) => Some(*evaluation),
        _ => None,
    }
}

#[test]
fn a_failure_is_numbered_by_the_function_s_own_count() {
    let mut rng = Rng::new(0xe7a1_0013);
    let mut checked = 0usize;
    let mut wrong = Vec::new();
    for case in 0..8 {
        // Elements at magnitudes 1e-9..1e3, the edge ones (x_0, x_2) also close to 0.
        let s = 10f64.powf(-2.0 + 4.0 * rng.uniform());
        let x: Vec<f64> = (0..5)
            .map(|_| 10f64.powf(-9.0 + 12.0 * rng.uniform()))
            .collect();
        for (d, driver) in DRIVERS.iter().enumerate() {
            let estimate = d >= 3;
            for scheme in [Scheme::Central, Scheme::Forward, Scheme::Central4] {
                for adaptive in [false, true] {
                    for kind in PATTERNS {
                        // Patterns serve the VJP and the Jacobian; the estimates take
                        // their own steps (one arrangement).
                        let skip = (kind != "dense" && d >= 2)
                            || (estimate && (scheme != Scheme::Central || adaptive))
                            || (adaptive && kind != "dense");
                        if skip {
                            continue;
                        }
                        for batch in [1usize, 3, usize::MAX] {
                            let o = || options(scheme, adaptive, kind, batch);
                            let clean = Model::new(s, 0, None);
                            if run(d, &clean, &x, &o()).is_some() {
                                continue; // e.g. no stencil finite: nothing to number
                            }
                            let points = clean.points.into_inner().unwrap();
                            for k in 1..=points.len() {
                                let failing = Model::new(s, k, None);
                                let got = run(d, &failing, &x, &o());
                                checked += 1;
                                if numbered(&got) != Some(k) {
                                    wrong.push(format!(
                                        "case {case} {driver} {scheme:?} adaptive {adaptive} \
                                         {kind} batch {batch}: f failed at call {k} of {}, \
                                         got {got:?}",
                                        points.len()
                                    ));
                                }
                                // On threads: the same point fails, whichever call it is.
                                if batch == 1
                                    || points[..k - 1].iter().any(|p| same(p, &points[k - 1]))
                                {
                                    continue;
                                }
                                let failing = Model::new(s, 0, Some(points[k - 1].clone()));
                                let got = run(d, &Threaded::new(&failing, 3), &x, &o());
                                checked += 1;
                                if numbered(&got) != Some(k) {
                                    wrong.push(format!(
                                        "case {case} {driver} {scheme:?} adaptive {adaptive} \
                                         {kind} batch {batch} threads 3: point {k} of {} \
                                         failed, got {got:?}",
                                        points.len()
                                    ));
                                }
                            }
                        }
                    }
                }
            }
        }
    }
    for w in wrong.iter().take(20) {
        eprintln!("{w}");
    }
    eprintln!("{} of {checked} failures misnumbered", wrong.len());
    assert!(checked > 5000, "only {checked} injections");
    assert!(
        wrong.is_empty(),
        "{} of {checked} failures misnumbered",
        wrong.len()
    );
}
