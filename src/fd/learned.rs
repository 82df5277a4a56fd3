//! A learned sparsity pattern, used like a declared one but never trusted blindly.
//!
//! Why: a pattern learned from f at one point (see `detect.rs`) may be wrong elsewhere (a
//! coupling that vanished there, or one that grows as x moves). Each VJP or Jacobian that
//! uses it therefore spends 2 more evaluations (4, fourth order) on a check
//! (`pattern_check.rs`): a JVP along
//! a pseudo-random direction against the product of the grouped (Curtis–Powell–Reid)
//! Jacobian with the same direction. When they disagree by more than the finite-difference
//! error of both, that call is computed densely, the pattern is learned again (the union
//! of the old one and the non-zeros of the dense Jacobian, at no extra cost) and the report
//! says so (`sparsity_relearned`). A wrong pattern thus costs one dense call, never a
//! silently wrong result beyond the check's tolerance.
//!
//! The state is shared by clones of the options (a config and its snapshots), behind a
//! lock, so one thread's re-learned pattern serves every later call.

use super::column::{Column, Wants};
use super::columns::{self, Request};
use super::detect::{detect, pattern, SplitMix};
use super::error::FdError;
use super::evaluator::Evaluator;
use super::function::Function;
use super::pattern_check::Check;
use super::phases::Phases;
use super::report::{last_report, publish, Report};
use super::sparsity::Sparsity;
use std::sync::{Arc, Mutex};

/// The pattern learned so far, with the Jacobian size it was learned for.
#[derive(Clone)]
struct Known {
    pattern: Arc<Sparsity>,
    n: usize,
    m: usize,
}

/// Learned sparsity shared by clones of one [`Options`](super::options::Options) (compared by identity).
#[derive(Clone)]
pub(crate) struct Learned(Arc<Mutex<Option<Known>>>);

impl std::fmt::Debug for Learned {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.known() {
            Some(k) => write!(f, "Learned({} entries, {}x{})", k.pattern.nnz(), k.m, k.n),
            None => f.write_str("Learned(not yet)"),
        }
    }
}

impl PartialEq for Learned {
    fn eq(&self, other: &Self) -> bool {
        Arc::ptr_eq(&self.0, &other.0)
    }
}

impl Learned {
    /// Nothing learned yet: the first computation learns.
    pub fn empty() -> Self {
        Self(Arc::new(Mutex::new(None)))
    }

    /// A pattern already learned for an `m × n` Jacobian.
    pub fn with(pattern: Sparsity, n: usize, m: usize) -> Self {
        let l = Self::empty();
        l.store(Known {
            pattern: Arc::new(pattern),
            n,
            m,
        });
        l
    }

    /// A state of its own holding the pattern learned so far.
    pub fn fork(&self) -> Self {
        Self(Arc::new(Mutex::new(self.known())))
    }

    /// The pattern learned so far.
    pub fn current(&self) -> Option<Arc<Sparsity>> {
        self.known().map(|k| k.pattern)
    }

    fn known(&self) -> Option<Known> {
        // A panic while the lock was held cannot leave a half-written pattern (the slot is
        // replaced whole), so a poisoned lock is still good.
        self.0.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }

    fn store(&self, k: Known) {
        *self.0.lock().unwrap_or_else(|e| e.into_inner()) = Some(k);
    }
}

/// [`columns::for_each_column`] with a learned pattern: learns it first if needed, runs
/// the grouped columns with the check, and on a failed check visits every column again
/// densely (`visit` must therefore set, not accumulate: the dense pass overwrites what the
/// grouped one visited) and learns the pattern again. Both passes read every entry (the
/// check's product, the new pattern), so no column arrives as a product alone.
pub(crate) fn for_each_column<F: Function + ?Sized>(
    request: Request<'_, F>,
    learned: &Learned,
    visit: &mut dyn FnMut(usize, &Column<'_>) -> Result<(), FdError>,
) -> Result<(), FdError> {
    let (x, m, opts) = (request.x, request.m, request.opts);
    let n = x.len();
    opts.check_point(x)?;
    let before = learned.known();
    if let Some(k) = before.as_ref().filter(|k| (k.n, k.m) != (n, m)) {
        return Err(FdError::InvalidArgument(format!(
            "the config's learned sparsity pattern is for n = {}, m = {}, but this call has \
             n = {n}, m = {m} (learn it again, or use one config per function)",
            k.n, k.m
        )));
    }
    if n == 0 || m == 0 {
        publish(Report::empty(m));
        return Ok(());
    }
    publish(Report {
        outputs: m,
        ..Report::default()
    });
    // Every phase reports its progress as part of the call's (`phases.rs`).
    // As `dyn`: the passes call back into `columns`, whose generic recursion must end.
    let phases = Phases::new(request.f);
    let phased: &dyn Function = &phases;
    let request = Request {
        f: phased,
        x: request.x,
        m: request.m,
        known: request.known,
        wants: request.wants,
        opts: request.opts,
    };
    let mut ev = Evaluator::new(phased);
    let mut spent = 0usize; // evaluations of the passes, besides `ev`'s
    let result = run(request, &mut ev, &mut spent, learned, before, visit).map_err(|e| match e {
        FdError::Cancelled { .. } => {
            let (done, total) = phases.told();
            FdError::Cancelled { done, total }
        }
        e => e,
    });
    // Each pass published its own report; the call's is the last pass's with every
    // evaluation of the call counted.
    let mut report = last_report();
    report.evaluations = spent + ev.count();
    if let Ok(outcome) = &result {
        report.completed = true;
        report.sparsity_check = outcome.ratio;
        report.sparsity_relearned = outcome.relearned;
        if outcome.widen > 0.0 {
            // NaN (unbounded directions) stays NaN.
            report.error_bound += outcome.widen;
        }
    } else {
        report.completed = false;
    }
    publish(report);
    result.map(|_| ())
}

/// What the check found, and how much it widens the call's error bound.
struct Outcome {
    ratio: f64,
    relearned: bool,
    widen: f64,
}

fn run<F: Function + ?Sized>(
    request: Request<'_, F>,
    ev: &mut Evaluator<'_, F>,
    spent: &mut usize,
    learned: &Learned,
    before: Option<Known>,
    visit: &mut dyn FnMut(usize, &Column<'_>) -> Result<(), FdError>,
) -> Result<Outcome, FdError> {
    let Request {
        x, m, known, opts, ..
    } = request;
    let n = x.len();
    let y0 = ev.base(x, m, known)?;
    let plain = opts.with_pattern(None);
    let pattern = match before {
        Some(k) => k.pattern,
        None => match detect(ev, opts, x, &y0) {
            Ok(entries) => {
                let p = Arc::new(pattern(&entries)?);
                learned.store(Known {
                    pattern: Arc::clone(&p),
                    n,
                    m,
                });
                p
            }
            // f not finite where detection looked (a domain edge within its reach): this
            // call densely, as without learning (which must not make a call fail that the
            // dense one survives), nothing learned; the next call tries again.
            Err(FdError::NonFinitePerturbed { .. }) => {
                let earlier = ev.count();
                let pass = columns::for_each_column(
                    Request {
                        opts: &plain,
                        known: Some(&y0),
                        ..request
                    },
                    visit,
                );
                *spent += last_report().evaluations;
                pass.map_err(|e| e.after(earlier))?;
                return Ok(Outcome {
                    ratio: f64::NAN,
                    relearned: false,
                    widen: 0.0,
                });
            }
            Err(e) => return Err(e),
        },
    };
    let mut check = Check::new(&plain, x, seed(x, m), pattern.groups());
    let mut product = check.product(m);
    let grouped = opts.with_pattern(Some(Arc::clone(&pattern)));
    // Both passes read every entry, and take f(x) from here.
    let wants = request.wants.with_entries();
    let at_y0 = Request {
        known: Some(&y0),
        wants,
        ..request
    };
    let earlier = ev.count() + *spent;
    let pass = columns::for_each_column(
        Request {
            opts: &grouped,
            ..at_y0
        },
        |j, c| {
            visit(j, c)?;
            product.add(j, c)
        },
    );
    *spent += last_report().evaluations;
    pass.map_err(|e| e.after(earlier))?;
    let noise = last_report().noise;
    let bounded = !last_report().error_bound.is_nan();
    // The check's evaluations follow the grouped pass's, which `ev` did not count.
    let verdict = check
        .verify(ev, &plain, x, &y0, &product, &pattern, &noise)
        .map_err(|e| e.after(*spent))?;
    let ratio = verdict.ratio;
    let widen = widening(&verdict.unexplained, check.sensitivity(), request.wants);
    // A passing check in doubt ([`Verdict::doubtful`]) where the bound is NaN (forward,
    // backward and fourth-order schemes, other unbounded directions) is not trusted: the
    // coupling it may be would be taken as exactly 0 with nothing said.
    if ratio <= 1.0 && (bounded || !verdict.doubtful) {
        return Ok(Outcome {
            ratio,
            relearned: false,
            widen,
        });
    }
    // The pattern misses a coupling: this call densely, and the pattern again.
    let mut entries: Vec<(usize, usize)> = pattern.entries().collect();
    let earlier = ev.count() + *spent;
    let pass = columns::for_each_column(
        Request {
            opts: &plain,
            ..at_y0
        },
        |j, c| {
            visit(j, c)?;
            c.for_each(j, |i, d| {
                if d != 0.0 {
                    entries.push((i, j));
                }
            })
        },
    );
    *spent += last_report().evaluations;
    pass.map_err(|e| e.after(earlier))?;
    learned.store(Known {
        pattern: Arc::new(super::detect::pattern(&entries)?),
        n,
        m,
    });
    // A check that could not be taken (f not finite at its points however close to x)
    // says nothing against the pattern: this call densely, not counted as relearned.
    Ok(Outcome {
        ratio,
        relearned: !ratio.is_nan(),
        widen: 0.0,
    })
}

/// What a passing check leaves unexplained, as error in the result: a coupling `J[i][k]`
/// outside the pattern, below the check's tolerance, moved row i's side of the check by at
/// least `|J[i][k]| s`, `s` the check's [`super::pattern_check::Check::sensitivity`]
/// (`min |Δ|` for a dropped coupling; for one lent to another column of its group, the
/// group's smallest `|Δ_k/h_k - Δ_j/h_j|` times its smallest step), and left an error of at
/// most `u_i / s` per entry, `u_i` the row's unexplained disagreement
/// ([`super::pattern_check::Verdict`]). In a VJP every such row may have left its coupling
/// in the same column: `sum_i |v_i| u_i / s`; in a Jacobian one entry per row: `max_i u_i /
/// s`. Why: the tolerance allows 512 eps |f_i| per row, far above the rounding the grouped
/// columns' bound counts, so a coupling between the two (`1e6 + x_0 + g x_1` with g = 1e-2
/// appearing after learning) was dropped with a bound 100 times below its error; and a
/// lent coupling divided by `min |Δ|` alone left a bound 50 times below its error (probe7
/// finding 3: `sin x1 + 1e6 + 0.1 x0` lent to column 1, bound 0.00191 for 0.1).
fn widening(unexplained: &[f64], smallest: f64, wants: Wants<'_>) -> f64 {
    let total = match wants.weights() {
        Some(v) => v
            .iter()
            .zip(unexplained)
            .map(|(vi, u)| vi.abs() * u)
            .sum::<f64>(),
        None => unexplained.iter().copied().fold(0.0, f64::max),
    };
    if total == 0.0 {
        0.0
    } else {
        total / smallest
    }
}

/// The check direction's seed: from the point and the size, so a call is reproducible.
fn seed(x: &[f64], m: usize) -> u64 {
    let mut s = SplitMix(0xc0ff_ee00_5ba5_e000 ^ m as u64);
    x.iter().fold(s.next(), |h, v| {
        (h ^ v.to_bits()).wrapping_mul(0x100_0000_01b3)
    })
}
