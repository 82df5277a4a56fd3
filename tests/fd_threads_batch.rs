//! Threads at the C API's default threaded batch (16 points per thread since issue 15's
//! speed pass, 4 before) and at the old one: every result and every report field that
//! describes the result is the serial run's, bit for bit, over random points and scales
//! where columns are refined on their own scale, grow their step or fall back near a
//! domain edge (`ln x_0` with `x_0` down to 1e-9), for every driver and three schemes.
//! Larger batches move the batch boundaries; nothing else may move.

use crate::common;

use common::Rng;
use fdvjp::fd::{self, last_report, Function, Options, Report, Scheme, Threaded};

/// `y_i = sum_j sin((i + 1) x_j / s_j + j)`, plus `ln x_0` in `y_0`: column j varies on
/// the scale `s_j`, column 0 also near the edge of `ln`.
struct Model {
    scales: Vec<f64>,
}

impl Function for Model {
    fn eval(&self, x: &[f64], y: &mut [f64]) -> Result<(), i32> {
        for (i, yi) in y.iter_mut().enumerate() {
            let k = (i + 1) as f64;
            *yi = x
                .iter()
                .zip(&self.scales)
                .enumerate()
                .map(|(j, (xj, sj))| (k * xj / sj + j as f64).sin())
                .sum();
        }
        y[0] += x[0].ln();
        Ok(())
    }
}

/// What must not depend on threads and batches: the result's bits, or the error's text,
/// and the report's bound and its per-direction counts.
fn outcome(result: Result<Vec<f64>, fd::FdError>) -> (Result<Vec<u64>, String>, Vec<u64>) {
    let r: Report = last_report();
    let counts = [
        r.directions,
        r.refined_large,
        r.refined_rounding,
        r.refined_noise,
        r.nonfinite_fallbacks,
        r.unbounded,
    ];
    let mut fields: Vec<u64> = counts.iter().map(|&c| c as u64).collect();
    fields.push(r.error_bound.to_bits());
    let value = result
        .map(|v| v.iter().map(|e| e.to_bits()).collect())
        .map_err(|e| e.to_string());
    (value, fields)
}

#[test]
fn default_thread_batches_reproduce_serial_bits_at_every_scale() {
    let mut rng = Rng::new(15);
    let cases = 40;
    let mut compared = 0;
    // Calls of the serial run that refined a column, or fell back after a NaN: the cases
    // must reach the paths where batches take points ahead of the serial order.
    let (mut refined, mut fell_back) = (0, 0);
    for case in 0..cases {
        let n = 1 + (rng.next_u64() % 40) as usize;
        let m = 1 + (rng.next_u64() % 4) as usize;
        // Scales 1e-10 .. 1e6 (column 0 at 1), x_j within 2 s_j of 0, x_0 in 1e-9 .. 1.
        let mut scales: Vec<f64> = (0..n)
            .map(|_| 10f64.powf(-10.0 + 16.0 * rng.uniform()))
            .collect();
        scales[0] = 1.0;
        let mut x: Vec<f64> = scales
            .iter()
            .map(|s| s * (4.0 * rng.uniform() - 2.0))
            .collect();
        x[0] = 10f64.powf(-9.0 * rng.uniform());
        let v: Vec<f64> = (0..m).map(|_| 2.0 * rng.uniform() - 1.0).collect();
        let u: Vec<f64> = (0..n).map(|_| 2.0 * rng.uniform() - 1.0).collect();
        let f = Model { scales };
        for scheme in [Scheme::Central, Scheme::Forward, Scheme::Central4] {
            let mut opts = Options::new();
            opts.set_scheme(scheme);
            let run = |g: &dyn Function, o: &Options| {
                [
                    outcome(fd::vjp(g, &x, &v, o)),
                    outcome(fd::jvp(g, &x, m, &u, o)),
                    outcome(fd::jacobian(g, &x, m, o)),
                ]
            };
            let serial = run(&f, &opts);
            for (_, fields) in &serial {
                refined += usize::from(fields[1] + fields[2] > 0);
                fell_back += usize::from(fields[4] > 0);
            }
            for threads in [2, 3] {
                for per_thread in [4, 16] {
                    let mut batched = opts.clone();
                    batched.set_batch(per_thread * threads).unwrap();
                    let got = run(&Threaded::new(&f, threads), &batched);
                    for (d, (g, s)) in got.iter().zip(&serial).enumerate() {
                        assert_eq!(
                            g, s,
                            "case {case} (n = {n}, m = {m}, x = {x:?}), {scheme:?}, driver {d} \
                             (vjp, jvp, jacobian), {threads} threads, batch {per_thread} per \
                             thread"
                        );
                        compared += 1;
                    }
                }
            }
        }
    }
    assert_eq!(compared, cases * 3 * 2 * 2 * 3);
    eprintln!(
        "refined {refined}, fell back {fell_back} of {} serial calls",
        cases * 9
    );
    assert!(
        refined >= 100 && fell_back >= 20,
        "refined {refined}, fell back {fell_back}"
    );
}
