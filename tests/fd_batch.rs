//! Batched and threaded evaluation: bit-for-bit the serial results, the same evaluation
//! counts, batches no larger than asked, progress reports and cancellation.

use fdvjp::fd::{
    self, BatchFailure, BatchOutcome, FdError, Function, Options, Scheme, Sparsity, Threaded,
};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;

/// `y_i = sin(x_i) x_{i+1} + exp(x_{i-1} / 4)` plus `y_n = log(1 + sum x^2)`: m = n + 1, a
/// pattern of three columns per row except the last.
fn model(x: &[f64], y: &mut [f64]) {
    let n = x.len();
    for i in 0..n {
        let next = if i + 1 < n { x[i + 1] } else { 1.0 };
        let prev = if i > 0 { x[i - 1] } else { 0.0 };
        y[i] = x[i].sin() * next + (prev / 4.0).exp();
    }
    y[n] = (1.0 + x.iter().map(|v| v * v).sum::<f64>()).ln();
}

/// Counts evaluations (thread-safely) and records every batch size it is handed.
#[derive(Default)]
struct Recorder {
    calls: AtomicUsize,
    batches: Mutex<Vec<usize>>,
    /// Refuse to go on once this many evaluations are done (0: never).
    cancel_at: usize,
    reports: Mutex<Vec<(usize, usize)>>,
    /// Fail with code 7 at this (1-based) evaluation (0: never).
    fail_at: usize,
}

impl Function for Recorder {
    fn eval(&self, x: &[f64], y: &mut [f64]) -> Result<(), i32> {
        let k = self.calls.fetch_add(1, Ordering::SeqCst) + 1;
        if k == self.fail_at {
            return Err(7);
        }
        model(x, y);
        Ok(())
    }

    fn eval_many(&self, xs: &[f64], ys: &mut [f64], n: usize, m: usize) -> BatchOutcome {
        self.batches.lock().unwrap().push(xs.len() / n);
        for (p, (x, y)) in xs.chunks_exact(n).zip(ys.chunks_exact_mut(m)).enumerate() {
            self.eval(x, y).map_err(|code| BatchFailure {
                point: p,
                code,
                evaluated: p + 1,
            })?;
        }
        Ok(())
    }

    fn progress(&self, done: usize, total: usize) -> bool {
        self.reports.lock().unwrap().push((done, total));
        self.cancel_at == 0 || done < self.cancel_at
    }
}

fn point(n: usize) -> Vec<f64> {
    (0..n).map(|i| 0.3 + 0.1 * ((i * 37) % 11) as f64).collect()
}

fn pattern(n: usize) -> Sparsity {
    let (mut rows, mut cols) = (Vec::new(), Vec::new());
    for i in 0..n {
        for j in i.saturating_sub(1)..(i + 2).min(n) {
            rows.push(i);
            cols.push(j);
        }
    }
    for j in 0..n {
        rows.push(n);
        cols.push(j);
    }
    Sparsity::new(&rows, &cols).unwrap()
}

fn bits(v: &[f64]) -> Vec<u64> {
    v.iter().map(|x| x.to_bits()).collect()
}

/// Every driver under `opts`, serially, batched and threaded: identical bits and counts.
fn assert_batching_changes_nothing(opts: &Options, n: usize) {
    let x = point(n);
    let m = n + 1;
    let v: Vec<f64> = (0..m).map(|i| (i as f64 - 2.5) / 3.0).collect();
    let u: Vec<f64> = (0..n).map(|j| 1.0 - j as f64 / n as f64).collect();
    let run = |opts: &Options, threads: usize| {
        let f = Recorder::default();
        let t = Threaded::new(&f, threads);
        let jac = fd::jacobian(&t, &x, m, opts).unwrap();
        let grad = fd::vjp(&t, &x, &v, opts).unwrap();
        let jvp = fd::jvp(&t, &x, m, &u, opts).unwrap();
        let largest = f.batches.lock().unwrap().iter().copied().max().unwrap_or(0);
        (
            bits(&jac),
            bits(&grad),
            bits(&jvp),
            f.calls.load(Ordering::SeqCst),
            largest,
        )
    };
    let serial = run(opts, 1);
    for (batch, threads) in [(2, 1), (5, 1), (8, 2), (64, 2), (1000, 3)] {
        let mut batched = opts.clone();
        batched.set_batch(batch).unwrap();
        let got = run(&batched, threads);
        assert_eq!(
            got.0, serial.0,
            "jacobian bits, batch {batch}, {threads} threads"
        );
        assert_eq!(got.1, serial.1, "vjp bits, batch {batch}");
        assert_eq!(got.2, serial.2, "jvp bits, batch {batch}");
        assert_eq!(got.3, serial.3, "evaluations, batch {batch}");
        assert!(got.4 <= batch, "a batch of {} > {batch}", got.4);
    }
}

#[test]
fn batches_and_threads_reproduce_serial_bits_for_every_scheme() {
    for scheme in [
        Scheme::Forward,
        Scheme::Backward,
        Scheme::Central,
        Scheme::Central4,
    ] {
        let mut opts = Options::new();
        opts.set_scheme(scheme);
        assert_batching_changes_nothing(&opts, 13);
        opts.set_sparsity(Some(pattern(13)));
        assert_batching_changes_nothing(&opts, 13);
    }
}

#[test]
fn batches_reproduce_serial_bits_with_bounds_fallbacks() {
    let n = 9;
    let x = point(n);
    let mut opts = Options::new();
    // x[2] and x[5] on their upper bounds: those columns go one-sided.
    let mut upper = vec![f64::INFINITY; n];
    upper[2] = x[2];
    upper[5] = x[5];
    opts.set_bounds(Some((vec![-10.0; n], upper))).unwrap();
    assert_batching_changes_nothing(&opts, n);
}

#[test]
fn progress_counts_up_to_the_planned_total() {
    let n = 6;
    let f = Recorder::default();
    let mut opts = Options::new();
    opts.set_batch(4).unwrap();
    fd::vjp(&f, &point(n), &vec![1.0; n + 1], &opts).unwrap();
    let reports = f.reports.lock().unwrap().clone();
    let expected = 1 + 2 * n;
    assert_eq!(reports.last(), Some(&(expected, expected)));
    assert!(reports.windows(2).all(|w| w[0].0 < w[1].0), "{reports:?}");
    assert!(reports
        .iter()
        .all(|&(done, total)| done <= total && total == expected));
    // 1 base evaluation, then batches of 4 points (2 central columns each): 1 + 3 reports.
    assert_eq!(reports.len(), 1 + n / 2);
}

#[test]
fn cancellation_stops_evaluating_and_reports_how_far() {
    for batch in [1, 4] {
        let f = Recorder {
            cancel_at: 5,
            ..Default::default()
        };
        let mut opts = Options::new();
        opts.set_batch(batch).unwrap();
        let err = fd::jacobian(&f, &point(8), 9, &opts).unwrap_err();
        let done = f.calls.load(Ordering::SeqCst);
        assert_eq!(err, FdError::Cancelled { done, total: 17 });
        assert!(
            (5..5 + batch).contains(&done),
            "batch {batch}: {done} evaluations"
        );
    }
}

#[test]
fn a_failure_inside_a_batch_names_its_evaluation() {
    let f = Recorder {
        fail_at: 6,
        ..Default::default()
    };
    let mut opts = Options::new();
    opts.set_batch(4).unwrap();
    match fd::vjp(&f, &point(5), &[1.0; 6], &opts).unwrap_err() {
        FdError::Callback {
            code,
            evaluation,
            point,
        } => {
            assert_eq!((code, evaluation), (7, 6));
            assert!(point.contains("column 2"), "{point}");
        }
        other => panic!("{other:?}"),
    }
}

/// After a failure the report counts every evaluation f was called for, whichever thread
/// made it or however far a batch got (probe11 finding 5: 4 threads reported 1 where f
/// ran 5 times): every failing position, batch sizes 1..1000, 1..4 threads, three drivers.
#[test]
fn a_failed_batch_reports_every_evaluation_made() {
    let n = 5;
    let x = point(n);
    let mut checked = 0;
    for fail_at in 1..=2 * n + 1 {
        for (batch, threads) in [(1, 1), (3, 1), (1000, 1), (4, 2), (1000, 2), (1000, 4)] {
            let mut opts = Options::new();
            opts.set_batch(batch).unwrap();
            for driver in 0..3 {
                let f = Recorder {
                    fail_at,
                    ..Default::default()
                };
                let t = Threaded::new(&f, threads);
                let failed = match driver {
                    0 => fd::vjp(&t, &x, &[1.0; 6], &opts).is_err(),
                    1 => fd::jacobian(&t, &x, n + 1, &opts).is_err(),
                    _ => fd::jvp(&t, &x, n + 1, &[1.0; 5], &opts).is_err(),
                };
                let calls = f.calls.load(Ordering::SeqCst);
                if !failed {
                    continue; // the JVP makes 3 evaluations: later positions are never met
                }
                let report = fd::last_report();
                assert!(!report.completed);
                assert_eq!(
                    report.evaluations, calls,
                    "fail at {fail_at}, batch {batch}, {threads} threads, driver {driver}"
                );
                checked += 1;
            }
        }
    }
    assert!(checked > 100, "{checked}");
}

/// Records which threads evaluate f, which takes 0.2 ms (so that no thread takes every
/// point of a batch before the others have started).
#[derive(Default)]
struct ThreadIds(Mutex<std::collections::HashSet<std::thread::ThreadId>>);

impl Function for ThreadIds {
    fn eval(&self, x: &[f64], y: &mut [f64]) -> Result<(), i32> {
        self.0.lock().unwrap().insert(std::thread::current().id());
        std::thread::sleep(std::time::Duration::from_micros(200));
        model(x, y);
        Ok(())
    }
}

/// The calling thread takes its share of a batch: one batch of all 2n = 24 points on 2
/// threads is evaluated by the caller and one started thread (before: by two started
/// threads, the caller only evaluating f(x)), with the serial bits.
#[test]
fn the_calling_thread_evaluates_its_share_of_a_batch() {
    let f = ThreadIds::default();
    let (x, v) = (point(12), vec![0.5; 13]);
    let serial = bits(&fd::vjp(&f, &x, &v, &Options::new()).unwrap());
    let mut opts = Options::new();
    opts.set_batch(24).unwrap();
    let known = model_at(&x);
    f.0.lock().unwrap().clear();
    let threaded = Threaded::new(&f, 2);
    // f(x) given, so that every evaluation is a batch point.
    let grad = fd::vjp_at(&threaded, &x, &known, &v, &opts).unwrap();
    assert_eq!(bits(&grad), serial);
    let ids = f.0.lock().unwrap().clone();
    assert!(ids.len() <= 2, "{} threads evaluated the batch", ids.len());
    assert!(
        ids.contains(&std::thread::current().id()),
        "the calling thread evaluated none of the batch"
    );
}

fn model_at(x: &[f64]) -> Vec<f64> {
    let mut y = vec![0.0; x.len() + 1];
    model(x, &mut y);
    y
}

/// Fails at every point whose x[3] differs from the base point's (column 3's points).
struct FailsOnColumn3;

impl Function for FailsOnColumn3 {
    fn eval(&self, x: &[f64], y: &mut [f64]) -> Result<(), i32> {
        if x[3] != point(8)[3] {
            return Err(7);
        }
        model(x, y);
        Ok(())
    }
}

/// A failure inside a threaded batch is the one a serial batch meets first, whatever
/// order the threads take the points in.
#[test]
fn a_failure_inside_a_threaded_batch_is_the_first_in_order() {
    let mut opts = Options::new();
    opts.set_batch(8).unwrap();
    let serial = fd::vjp(&FailsOnColumn3, &point(8), &[1.0; 9], &opts).unwrap_err();
    for _ in 0..20 {
        let t = Threaded::new(&FailsOnColumn3, 2);
        let threaded = fd::vjp(&t, &point(8), &[1.0; 9], &opts).unwrap_err();
        assert_eq!(format!("{threaded:?}"), format!("{serial:?}"));
    }
    assert!(format!("{serial}").contains("column 3"), "{serial}");
}
