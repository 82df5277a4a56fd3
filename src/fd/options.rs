//! Options of a finite-difference computation, validated when set.

use super::bounds::Bounds;
use super::error::{check_finite, check_len, FdError, Num};
use super::learned::Learned;
use super::scheme::Scheme;
use super::sparsity::Sparsity;
use std::sync::Arc;

/// Memory layout of a Jacobian `J` (m rows, n columns).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Layout {
    /// `jac[i*n + j] = dF_i/dx_j` (C order; the same memory is a column-major n×m array).
    #[default]
    RowMajor,
    /// `jac[j*m + i] = dF_i/dx_j` (Fortran and Julia order of an m×n matrix).
    ColMajor,
}

impl Layout {
    /// Where entry `(i, j)` of an m×n Jacobian goes in this layout.
    pub fn index(self, i: usize, j: usize, m: usize, n: usize) -> usize {
        match self {
            Layout::RowMajor => i * n + j,
            Layout::ColMajor => j * m + i,
        }
    }
}

/// When the noise of f's outputs is estimated (see [`Options::set_noise_mode`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum NoiseMode {
    /// Only when the computation's own stencils show trouble: second differences far
    /// above what a function varying on the scale of x would give. Exact, well-scaled
    /// functions then cost exactly the plain rule's evaluations. The default.
    #[default]
    Auto,
    /// On every computation (12 more evaluations), and the steps are chosen from it.
    Estimate,
    /// Never: suspect columns are refined as for an exact function.
    Off,
}

/// Points handed to [`crate::fd::Function::eval_many`] at once; 1 (the default) evaluates
/// point by point with O(n + m) extra memory.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Batch(usize);

impl Default for Batch {
    fn default() -> Self {
        Batch(1)
    }
}

/// How derivatives are computed: scheme, step rule, bounds, Jacobian layout.
///
/// Setters validate their values; per-element arrays are checked against `n` at each
/// computation, so one `Options` serves one problem size.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Options {
    scheme: Scheme,
    relative_step: Option<f64>,
    steps: Option<Vec<f64>>,
    typical: Option<Vec<f64>>,
    bounds: Option<Bounds>,
    layout: Layout,
    sparsity: Option<Arc<Sparsity>>,
    learned: Option<Learned>,
    adaptive: bool,
    batch: Batch,
    noise: Option<Vec<f64>>,
    noise_mode: NoiseMode,
}

fn check_positive(what: &str, values: &[f64]) -> Result<(), FdError> {
    match values.iter().position(|v| !(v.is_finite() && *v > 0.0)) {
        None => Ok(()),
        Some(i) => Err(FdError::InvalidArgument(format!(
            "{what}[{i}] = {} must be finite and > 0",
            Num(values[i])
        ))),
    }
}

/// Per-element values that must each be finite and > 0 (steps, typical magnitudes), or
/// `None`; an error names the offending element.
fn positive(what: &str, values: Option<Vec<f64>>) -> Result<Option<Vec<f64>>, FdError> {
    if let Some(v) = &values {
        check_positive(what, v)?;
    }
    Ok(values)
}

impl Options {
    /// Central differences with the default steps, no bounds, row-major Jacobians.
    pub fn new() -> Self {
        Self::default()
    }

    /// The scheme.
    pub fn scheme(&self) -> Scheme {
        self.scheme
    }

    /// Selects the scheme (default [`Scheme::Central`]).
    pub fn set_scheme(&mut self, scheme: Scheme) {
        self.scheme = scheme;
    }

    /// The relative step factor `r`, if overridden.
    pub fn relative_step(&self) -> Option<f64> {
        self.relative_step
    }

    /// Overrides `r` in `h_j = r * max(|x_j|, typ_j)`; `None` restores the scheme's default.
    pub fn set_relative_step(&mut self, r: Option<f64>) -> Result<(), FdError> {
        if let Some(r) = r {
            if !(r.is_finite() && r > 0.0) {
                return Err(FdError::InvalidArgument(format!(
                    "relative step r = {} must be finite and > 0 (r = 0 in the C API restores the default)",
                    Num(r)
                )));
            }
            if r > 1.0 {
                return Err(FdError::InvalidArgument(format!(
                    "relative step = {r:e} must be at most 1 (h = r max(|x_j|, typ_j) would \
                     move x_j by more than its own magnitude, and can reach +-inf)"
                )));
            }
        }
        self.relative_step = r;
        Ok(())
    }

    /// Per-element absolute steps, if set.
    pub fn steps(&self) -> Option<&[f64]> {
        self.steps.as_deref()
    }

    /// Sets per-element absolute steps (each finite and > 0); they override the relative
    /// rule. `None` clears them.
    pub fn set_steps(&mut self, steps: Option<Vec<f64>>) -> Result<(), FdError> {
        self.steps = positive("steps", steps)?;
        Ok(())
    }

    /// Per-element typical magnitudes, if set.
    pub fn typical(&self) -> Option<&[f64]> {
        self.typical.as_deref()
    }

    /// Sets per-element typical magnitudes `typ_j` (each finite and > 0; default 1).
    pub fn set_typical(&mut self, typical: Option<Vec<f64>>) -> Result<(), FdError> {
        self.typical = positive("typical", typical)?;
        Ok(())
    }

    /// The box the function may be evaluated in, if set.
    pub fn bounds(&self) -> Option<&Bounds> {
        self.bounds.as_ref()
    }

    /// Sets per-element bounds `lower[j] < upper[j]` (infinite values allowed, NaN not).
    /// `None` removes them.
    pub fn set_bounds(&mut self, bounds: Option<(Vec<f64>, Vec<f64>)>) -> Result<(), FdError> {
        self.bounds = match bounds {
            None => None,
            Some((lower, upper)) => Some(Bounds::new(lower, upper)?),
        };
        Ok(())
    }

    /// The Jacobian layout.
    pub fn layout(&self) -> Layout {
        self.layout
    }

    /// Selects the Jacobian layout (default [`Layout::RowMajor`]).
    pub fn set_layout(&mut self, layout: Layout) {
        self.layout = layout;
    }

    /// The Jacobian's sparsity pattern, if known.
    pub fn sparsity(&self) -> Option<&Sparsity> {
        self.sparsity.as_deref()
    }

    /// Declares the Jacobian's sparsity pattern (its column grouping is computed here, once,
    /// and shared by clones). `None` means dense.
    ///
    /// A declared pattern replaces a learned one (see [`Options::set_learned_sparsity`]).
    pub fn set_sparsity(&mut self, sparsity: Option<Sparsity>) {
        self.sparsity = sparsity.map(Arc::new);
        self.learned = None;
    }

    /// Stores a pattern learned from f (by [`crate::fd::detect_sparsity`]) for an `m × n`
    /// Jacobian: the VJP and Jacobian drivers then use it as a declared pattern, but
    /// verify it on every call (2 more evaluations) and, when the check fails, compute
    /// that call densely and learn the pattern again (see `src/fd/learned.rs`). Replaces a
    /// declared pattern. Clones of these options share the learned state, so a pattern
    /// re-learned by one call serves the next.
    pub fn set_learned_sparsity(&mut self, pattern: Sparsity, n: usize, m: usize) {
        self.sparsity = None;
        self.learned = Some(Learned::with(pattern, n, m));
    }

    /// With `on`, the first VJP or Jacobian computed with these options (or a clone)
    /// learns the pattern of J at its point (2(n + 1) more evaluations) and every later
    /// one uses it, verified, as after [`Options::set_learned_sparsity`]; off removes any
    /// learned pattern. Replaces a declared pattern when on.
    pub fn set_learn_sparsity(&mut self, on: bool) {
        if on {
            self.sparsity = None;
            self.learned = Some(Learned::empty());
        } else {
            self.learned = None;
        }
    }

    /// The learned sparsity state, if the options learn the pattern.
    pub(crate) fn learned(&self) -> Option<&Learned> {
        self.learned.as_ref()
    }

    /// The pattern learned so far (`None`: not learning, or not yet learned).
    pub fn learned_sparsity(&self) -> Option<Arc<Sparsity>> {
        self.learned.as_ref().and_then(Learned::current)
    }

    /// Gives these options a learned state of their own, starting from the pattern learned
    /// so far, so that what they learn no longer reaches the options they were cloned from
    /// (a tape node keeps the pattern of its own function).
    pub(crate) fn own_learned(&mut self) {
        if let Some(l) = &self.learned {
            self.learned = Some(l.fork());
        }
    }

    /// These options with the given declared pattern (`None`: dense) and no learned state.
    pub(crate) fn with_pattern(&self, pattern: Option<Arc<Sparsity>>) -> Self {
        let mut o = self.clone();
        o.learned = None;
        o.sparsity = pattern;
        o
    }

    /// Whether each direction's step is chosen adaptively (see [`Options::set_adaptive`]).
    pub fn adaptive(&self) -> bool {
        self.adaptive
    }

    /// Turns adaptive step selection on or off (default off). When on, every driver
    /// chooses each direction's step from a scan of 18 steps around the nominal one,
    /// balancing truncation against rounding and noise (see `src/fd/adaptive.rs`); it
    /// costs 18 stencil evaluations per direction instead of 1.
    pub fn set_adaptive(&mut self, on: bool) {
        self.adaptive = on;
    }

    /// The largest number of points evaluated in one call of
    /// [`crate::fd::Function::eval_many`] (default 1).
    pub fn batch(&self) -> usize {
        self.batch.0
    }

    /// Sets the batch size: the drivers plan the first stencil points of as many
    /// directions as fit in `points` and evaluate them in one call, which a threaded,
    /// GPU, MPI or cluster function runs at once. Results and the points evaluated do not
    /// depend on it (without batches, a first stencil that meets a NaN has its other points
    /// evaluated too, as a batch has; a direction whose stencil leaves the bounds is not
    /// planned, its fall-backs choose their points as serially; a refinement's first
    /// levels are planned too, and serially completed where one meets a NaN,
    /// `refine/ahead.rs`). Extra memory grows to `points * (n + m)` doubles. Must be at least 1.
    pub fn set_batch(&mut self, points: usize) -> Result<(), FdError> {
        if points == 0 {
            return Err(FdError::InvalidArgument(
                "batch = 0 must be at least 1".to_string(),
            ));
        }
        self.batch = Batch(points);
        Ok(())
    }

    /// The declared absolute noise levels of f's outputs (one for all, or one per output).
    pub fn noise(&self) -> Option<&[f64]> {
        self.noise.as_deref()
    }

    /// Declares the absolute noise level of f's outputs: one value for all outputs or one
    /// per output (checked against m at each computation), each finite and >= 0; `None`
    /// (the default) declares nothing. With a level, each suspect or noise-affected column
    /// takes the step that balances this noise against truncation instead of the plain
    /// rule's (see `src/fd/refine.rs`).
    pub fn set_noise(&mut self, levels: Option<Vec<f64>>) -> Result<(), FdError> {
        if let Some(levels) = &levels {
            if levels.is_empty() {
                return Err(FdError::InvalidArgument(
                    "noise levels: none given (give one, one per output, or none at all)"
                        .to_string(),
                ));
            }
            if let Some(i) = levels.iter().position(|v| !(v.is_finite() && *v >= 0.0)) {
                return Err(FdError::InvalidArgument(format!(
                    "noise[{i}] = {} must be finite and >= 0",
                    Num(levels[i])
                )));
            }
        }
        self.noise = levels;
        Ok(())
    }

    /// When the noise is estimated.
    pub fn noise_mode(&self) -> NoiseMode {
        self.noise_mode
    }

    /// Selects when the noise is estimated (default [`NoiseMode::Auto`]). A declared level
    /// ([`Options::set_noise`]) takes precedence over any estimate.
    pub fn set_noise_mode(&mut self, mode: NoiseMode) {
        self.noise_mode = mode;
    }

    /// Checks the declared noise levels against the number of outputs `m`.
    pub(crate) fn check_noise(&self, m: usize) -> Result<(), FdError> {
        match &self.noise {
            Some(levels) if levels.len() != 1 && levels.len() != m => {
                Err(FdError::InvalidArgument(format!(
                    "config noise has {} levels but f has m = {m} outputs (give 1 or m)",
                    levels.len()
                )))
            }
            _ => Ok(()),
        }
    }

    /// Checks that `x` is finite and inside the bounds, and the per-element arrays against
    /// `n = x.len()`.
    pub(crate) fn check_point(&self, x: &[f64]) -> Result<(), FdError> {
        check_finite("x", x)?;
        let n = x.len();
        if let Some(s) = &self.steps {
            check_len("config steps", s, n, "n")?;
        }
        if let Some(t) = &self.typical {
            check_len("config typical", t, n, "n")?;
        }
        if let Some(b) = &self.bounds {
            b.check_contains(x)?;
        }
        Ok(())
    }

    /// [`Options::check_point`] for a JVP, after checking its direction `u`: finite, of
    /// x's length.
    pub(crate) fn check_direction(&self, x: &[f64], u: &[f64]) -> Result<(), FdError> {
        check_len("u", u, x.len(), "n")?;
        check_finite("u", u)?;
        self.check_point(x)
    }
}
