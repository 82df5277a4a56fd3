//! Prints the accuracy table of issue 4: for every test function of
//! `tests/accuracy_common` and every mode (forward, backward, central, central4 at the
//! default steps; Richardson; adaptive central; complex step), the max relative error per
//! column over the points, and the evaluations of f per column.
//!
//! Run: `cargo run --release --example accuracy_modes`.
//!
//! Error measure: `max_i |J~_ij - J_ij| / max_i |J_ij|` per column, maximised over columns
//! and points (25 random points for the random cases, redrawn while a column of J is below
//! 0.2; one fixed point otherwise). "-" marks a mode that does not apply (complex step of a
//! noisy function); "fail" a driver error. A second table does the same for the
//! complex-valued functions (`z^2`, `conj(z)`, `|z|^2`, a mixed map) through
//! `fd::complex_jacobian`.

#[path = "../tests/accuracy_common/mod.rs"]
mod common;

use common::{cases, complex_cases, measure, measure_complex, MODES};

fn main() {
    let header: Vec<&str> = MODES.iter().map(|m| m.name()).collect();
    println!("| function | class | {} |", header.join(" | "));
    println!("|---|---|{}", "---|".repeat(MODES.len()));
    let mut evals: Vec<Option<f64>> = vec![None; MODES.len()];
    for case in cases() {
        let cells: Vec<String> = MODES
            .iter()
            .enumerate()
            .map(|(i, &mode)| match measure(&case, mode) {
                None => "-".to_string(),
                Some(c) => {
                    if case.n == 1 && case.class == common::Class::WellScaled {
                        evals[i] = Some(c.evals_per_column);
                    }
                    if c.max_error.is_finite() {
                        format!("{:.1e}", c.max_error)
                    } else {
                        "fail".to_string()
                    }
                }
            })
            .collect();
        println!(
            "| {} | {:?} | {} |",
            case.name,
            case.class,
            cells.join(" | ")
        );
    }
    let cells: Vec<String> = evals
        .iter()
        .map(|e| e.map_or("-".to_string(), |e| format!("{e}")))
        .collect();
    println!("| evaluations per column | | {} |", cells.join(" | "));

    println!();
    println!("Complex-valued functions (finite differences in the real and imaginary directions;");
    println!("error on the real 2m x 2n Jacobian; evaluations per real direction):");
    println!();
    println!("| function | {} |", header.join(" | "));
    println!("|---|{}", "---|".repeat(MODES.len()));
    for case in complex_cases() {
        let cells: Vec<String> = MODES
            .iter()
            .map(|&mode| match measure_complex(&case, mode) {
                None => "-".to_string(),
                Some(c) if c.max_error.is_finite() => {
                    format!("{:.1e} ({})", c.max_error, c.evals_per_column)
                }
                Some(_) => "fail".to_string(),
            })
            .collect();
        println!("| {} | {} |", case.name, cells.join(" | "));
    }
}
