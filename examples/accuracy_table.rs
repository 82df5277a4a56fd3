//! Prints, as a Markdown table, the accuracy of the finite-difference Jacobian of every test
//! function of `tests/common` for every scheme at the default steps, and the evaluations
//! per call.
//!
//! Run: `cargo run --release --example accuracy_table [points]` (default 200 points).
//!
//! Error measure (the one the tests use): the largest entrywise error relative to
//! `max(|J_ij| s_j, 1)` in the scaled variables `x_j / s_j` (`s_j` = column scale, 1 unless
//! the inputs are badly scaled), over all entries and points.

#[path = "../tests/common/mod.rs"]
mod common;

use common::{counted, default_tolerance, jacobian_error, Rng, TestFn, SCHEMES};
use fdvjp::fd::{jacobian, Options, Scheme};
use std::cell::Cell;

/// Max error and the range of evaluation counts per call, over `points` random points.
struct Row {
    max_error: f64,
    evals: (usize, usize),
}

fn measure(tf: &TestFn, opts: &Options, points: usize) -> Row {
    let mut rng = Rng::new(0x5eed_0001);
    let mut max_error = 0.0f64;
    let mut evals = (usize::MAX, 0);
    for _ in 0..points {
        let x = tf.sample(&rng.uniforms(tf.n));
        let count = Cell::new(0);
        let got = jacobian(&counted(tf, &count), &x, tf.m, opts);
        let e = match got {
            Ok(j) => jacobian_error(tf, &j, &tf.jacobian(&x)),
            Err(_) => f64::INFINITY,
        };
        max_error = max_error.max(e);
        evals = (evals.0.min(count.get()), evals.1.max(count.get()));
    }
    Row { max_error, evals }
}

fn cell(row: &Row) -> String {
    let evals = if row.evals.0 == row.evals.1 {
        format!("{}", row.evals.0)
    } else {
        format!("{}-{}", row.evals.0, row.evals.1)
    };
    format!("{:.1e} ({evals})", row.max_error)
}

fn main() {
    let points: usize = std::env::args()
        .nth(1)
        .map_or(200, |a| a.parse().expect("points: a number"));
    let functions = common::all();
    let names: Vec<String> = SCHEMES.iter().map(|s| format!("{s:?}")).collect();
    println!(
        "Max error of the Jacobian over {points} random points, default steps \
         (evaluations per call in parentheses)\n"
    );
    println!("| function | class | n -> m | {} |", names.join(" | "));
    println!("|---|---|---|{}", "---|".repeat(SCHEMES.len()));
    for tf in &functions {
        let cells: Vec<String> = SCHEMES
            .iter()
            .map(|&scheme| cell(&measure(tf, &tf.options(scheme), points)))
            .collect();
        println!(
            "| {} | {:?} | {} -> {} | {} |",
            tf.name,
            tf.class,
            tf.n,
            tf.m,
            cells.join(" | ")
        );
    }
    let tol: Vec<String> = SCHEMES
        .iter()
        .map(|&s| format!("{:.1e}", default_tolerance(s, common::Class::Smooth)))
        .collect();
    println!(
        "| test tolerance (x10 DomainEdge, x3 SingularEdge) | | | {} |",
        tol.join(" | ")
    );

    println!(
        "\nThe same with plain options (typ = 1, no bounds), where the test functions set \
         typical magnitudes or bounds:\n"
    );
    println!("| function | n -> m | {} |", names.join(" | "));
    println!("|---|---|{}", "---|".repeat(SCHEMES.len()));
    for tf in functions
        .iter()
        .filter(|tf| tf.options(Scheme::Central) != Options::new())
    {
        let cells: Vec<String> = SCHEMES
            .iter()
            .map(|&scheme| {
                let mut opts = Options::new();
                opts.set_scheme(scheme);
                cell(&measure(tf, &opts, points))
            })
            .collect();
        println!(
            "| {} | {} -> {} | {} |",
            tf.name,
            tf.n,
            tf.m,
            cells.join(" | ")
        );
    }
}
