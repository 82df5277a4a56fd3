//! The flat path against the general path (`vjp::general_vjp`), bit for bit: gradients, errors,
//! reports, and every call of f and of its progress report, in order, on random small
//! problems of every kind (well scaled; badly scaled log, sqrt and cos near 0, which
//! refine or grow; NaN fall-backs; bounds; typical magnitudes; noisy functions, which
//! trigger the estimate; failing and cancelling callbacks; -0.0 in x; NoiseMode::Off).
//! The comparison must be able to fail: with a decision of the flat path perturbed
//! (`PERTURB`), some draw differs.

use super::*;
use crate::fd::options::Options;
use crate::fd::report::last_report;
use std::cell::{Cell, RefCell};

/// xorshift64*: deterministic draws without a dependency.
struct Rng(u64);

impl Rng {
    fn unit(&mut self) -> f64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        (self.0.wrapping_mul(0x2545_f491_4f6c_dd1d) >> 11) as f64 / (1u64 << 53) as f64
    }

    fn below(&mut self, k: usize) -> usize {
        (self.unit() * k as f64) as usize % k
    }
}

/// The kinds of f drawn.
#[derive(Clone, Copy, Debug)]
enum Kind {
    /// Sums of sines and exponentials of the inputs, well scaled.
    Smooth,
    /// log |x_j| + sqrt |x_j| + cos x_j terms at points near 0 (refined, grown).
    BadlyScaled,
    /// sqrt of x_j, NaN below 0, at points 0 (the step leaves the domain), some below.
    Edge,
    /// Smooth plus hash noise of 1e-9 (the trigger fires).
    Noisy,
    /// Smooth, but evaluation `fail_at` returns 7.
    Failing,
    /// Smooth, but the progress report cancels at evaluation `fail_at`.
    Cancelling,
    /// Smooth, with atan2(x_j, -1) terms: -0.0 and 0.0 differ.
    SignedZero,
}

const KINDS: [Kind; 7] = [
    Kind::Smooth,
    Kind::BadlyScaled,
    Kind::Edge,
    Kind::Noisy,
    Kind::Failing,
    Kind::Cancelling,
    Kind::SignedZero,
];

/// A drawn f that logs every call of itself and of its progress report.
struct Logged {
    kind: Kind,
    m: usize,
    freq: Vec<f64>,
    fail_at: usize,
    calls: RefCell<Vec<Vec<u64>>>,
    progress: RefCell<Vec<(usize, usize)>>,
    count: Cell<usize>,
}

impl Logged {
    fn value(&self, x: &[f64], i: usize) -> f64 {
        let mut s = 0.0;
        for (j, &xj) in x.iter().enumerate() {
            let w = self.freq[(i * x.len() + j) % self.freq.len()];
            s += match self.kind {
                Kind::BadlyScaled => match (i + j) % 3 {
                    0 => xj.abs().ln() * w,
                    1 => xj.abs().sqrt() * w,
                    _ => (w * xj).cos(),
                },
                Kind::Edge => xj.sqrt() * w + (w * xj).sin(),
                Kind::SignedZero => xj.atan2(-1.0) * w + (w * xj).sin(),
                _ => (w * xj).sin() + 0.1 * (w * xj).exp(),
            };
        }
        if let Kind::Noisy = self.kind {
            let mut h = i as u64 ^ 0x9e37_79b9_7f4a_7c15;
            for &xj in x {
                h = (h ^ xj.to_bits()).wrapping_mul(0x1000_0000_01b3);
            }
            s += 1e-9 * ((h >> 11) as f64 / (1u64 << 53) as f64 - 0.5);
        }
        s
    }
}

impl Function for Logged {
    fn eval(&self, x: &[f64], y: &mut [f64]) -> Result<(), i32> {
        self.calls
            .borrow_mut()
            .push(x.iter().map(|v| v.to_bits()).collect());
        self.count.set(self.count.get() + 1);
        if let Kind::Failing = self.kind {
            if self.count.get() == self.fail_at {
                return Err(7);
            }
        }
        for (i, yi) in y.iter_mut().enumerate().take(self.m) {
            *yi = self.value(x, i);
        }
        Ok(())
    }

    fn progress(&self, done: usize, total: usize) -> bool {
        self.progress.borrow_mut().push((done, total));
        !matches!(self.kind, Kind::Cancelling if done == self.fail_at)
    }
}

/// One drawn problem.
struct Problem {
    f: Logged,
    x: Vec<f64>,
    v: Vec<f64>,
    opts: Options,
}

fn draw(rng: &mut Rng, kind: Kind) -> Problem {
    // Under Miri (about 1000 times slower) no call of up to 64 columns, nor a large one
    // (its arrays on the heap, at most `HEAP_M` outputs).
    let n = match rng.below(16) {
        0 | 1 if !cfg!(miri) => 1 + rng.below(MAX_N),
        2 if !cfg!(miri) => MAX_N + 1 + rng.below(200),
        _ => 1 + rng.below(10),
    };
    let m = 1 + rng.below(if n > 20 { HEAP_M } else { 6 });
    let x: Vec<f64> = (0..n)
        .map(|_| match kind {
            Kind::BadlyScaled if rng.below(2) == 0 => 10f64.powf(-9.0 + 7.0 * rng.unit()),
            // 0 is no suspect a priori, but sqrt is NaN at 0 - h; some f(x) are NaN.
            Kind::Edge => match rng.below(8) {
                0 => -1e-3,
                1..=4 => 0.0,
                _ => 3.0 * rng.unit(),
            },
            Kind::SignedZero if rng.below(2) == 0 => -0.0,
            _ => 3.0 * (rng.unit() - 0.5),
        })
        .collect();
    let v = (0..m).map(|_| rng.unit() - 0.3).collect();
    let mut opts = Options::new();
    match rng.below(6) {
        0 => opts.set_noise_mode(NoiseMode::Off),
        1 => {
            let lower = x.iter().map(|&xj| xj - 1e-7 * rng.unit()).collect();
            let upper = x.iter().map(|&xj| xj + 1e-5 * rng.unit()).collect();
            opts.set_bounds(Some((lower, upper))).unwrap();
        }
        2 => {
            let typ = (0..n).map(|_| 10f64.powf(4.0 * rng.unit() - 2.0)).collect();
            opts.set_typical(Some(typ)).unwrap();
        }
        _ => {}
    }
    let f = Logged {
        kind,
        m,
        freq: (0..7).map(|_| 0.5 + 2.0 * rng.unit()).collect(),
        fail_at: 1 + rng.below(2 * n + 2),
        calls: RefCell::new(Vec::new()),
        progress: RefCell::new(Vec::new()),
        count: Cell::new(0),
    };
    Problem { f, x, v, opts }
}

/// Everything a call shows: gradient bits (or the error), the report with its floats as
/// bits, and the logs of f and of its progress report.
#[derive(Debug, PartialEq)]
struct Outcome {
    result: Result<Vec<u64>, String>,
    report: String,
    calls: Vec<Vec<u64>>,
    progress: Vec<(usize, usize)>,
}

fn outcome(p: &Problem, result: Result<Vec<f64>, FdError>) -> Outcome {
    let r = last_report();
    let bits = |v: f64| v.to_bits();
    let report = format!(
        "{} {} {} {} {} {} {} {} {:x} {:?} {} {:?} {:x} {} {}",
        r.completed,
        r.evaluations,
        r.directions,
        r.refined_large,
        r.refined_rounding,
        r.refined_noise,
        r.nonfinite_fallbacks,
        r.bound_fallbacks,
        bits(r.error_bound),
        r.noise.iter().map(|&v| bits(v)).collect::<Vec<_>>(),
        r.outputs,
        r.noise_source,
        bits(r.sparsity_check),
        r.sparsity_relearned,
        r.unbounded,
    );
    Outcome {
        result: result
            .map(|g| g.iter().map(|&v| bits(v)).collect())
            .map_err(|e| format!("{e:?}")),
        report,
        calls: p.f.calls.take(),
        progress: p.f.progress.take(),
    }
}

/// The general path's outcome and the flat path's, on a fresh report each.
fn both(p: &Problem) -> (Outcome, Outcome) {
    p.f.count.set(0);
    crate::fd::publish(Report::default());
    let general = general_vjp(&p.f, &p.x, &p.v, &p.opts);
    let general = outcome(p, general);
    p.f.count.set(0);
    crate::fd::publish(Report::default());
    let mut grad = vec![0.0; p.x.len()];
    let flat = vjp_into(&p.f, &p.x, &p.v, &p.opts, &mut grad).map(|()| grad);
    (general, outcome(p, flat))
}

/// Draws per kind (fewer under Miri, where every evaluation is interpreted).
fn draws() -> usize {
    if cfg!(miri) {
        2
    } else {
        400
    }
}

#[test]
fn the_flat_path_is_the_general_path_bit_for_bit() {
    let mut rng = Rng(0x5eed_0f5a_11aa);
    let (mut flat_taken, mut large, mut large_flat) = (0, 0, 0);
    for kind in KINDS {
        for draw_index in 0..draws() {
            let p = draw(&mut rng, kind);
            let (general, flat) = both(&p);
            assert_eq!(
                general,
                flat,
                "{kind:?} draw {draw_index}: n = {}, m = {}",
                p.x.len(),
                p.v.len()
            );
            let taken = usize::from(FLAT_RUNS.with(|c| c.replace(0)) > 0);
            flat_taken += taken;
            if p.x.len() > MAX_N {
                large += 1;
                large_flat += taken;
            }
        }
    }
    // The draws exercise both paths: most smooth calls stay flat, the rest hand over; so
    // do the large calls (arrays on the heap).
    assert!(
        flat_taken > draws() / 2,
        "flat path taken {flat_taken} times"
    );
    assert!(
        cfg!(miri) || (large_flat > 0 && large_flat < large),
        "large calls: flat path taken {large_flat} times of {large}"
    );
}

/// A test of the comparison above, not of the library: not run under Miri (tests/miri.sh).
#[test]
#[cfg_attr(miri, ignore)]
fn a_perturbed_decision_is_caught() {
    for perturbation in [Perturb::SkipTrigger, Perturb::BoundUlp] {
        let mut rng = Rng(0x5eed_0f5a_11aa);
        PERTURB.with(|c| c.set(Some(perturbation)));
        let mut caught = 0;
        for kind in KINDS {
            for _ in 0..draws() {
                let p = draw(&mut rng, kind);
                let (general, flat) = both(&p);
                caught += usize::from(general != flat);
            }
        }
        PERTURB.with(|c| c.set(None));
        assert!(caught > 0, "{perturbation:?} went unnoticed");
    }
}
