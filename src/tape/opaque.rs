//! Opaque nodes: a black-box function of the concatenated arguments, differentiated by the
//! finite-difference core.
//!
//! The first pull-back at the node's current primal point computes the whole Jacobian with
//! [`fd::jacobian_at`], reusing the recorded `y` (so a forward-scheme pull-back costs `n`
//! evaluations and a central one `2n`), and keeps it: every later pull-back at the same
//! point (another backward with another seed) is a matrix-vector product and costs no
//! evaluation. A replay moves the point and drops the Jacobian. The cache holds `m * n`
//! doubles per opaque node.

use crate::fd::{self, FdError, Function, Layout, Options};

/// Evaluates `f(x)` once as a node's forward pass: a failure code or a non-finite output is
/// an error naming the evaluation and the element.
pub(crate) fn evaluate_once(f: &dyn Function, x: &[f64], m: usize) -> Result<Vec<f64>, FdError> {
    let mut y = fd::alloc::zeros(m, "the output y")?;
    if let Err(code) = f.eval(x, &mut y) {
        let point = "x, the concatenated arguments".to_string();
        return Err(FdError::callback(code, f.explain_failure(code), 1, point));
    }
    match y.iter().position(|v| !v.is_finite()) {
        None => Ok(y),
        Some(index) => Err(FdError::NonFiniteAtX {
            index,
            value: y[index],
        }),
    }
}

/// A recorded opaque function with its options and its Jacobian cache.
pub(crate) struct Opaque {
    f: Box<dyn Function>,
    options: Options,
    /// The output length.
    m: usize,
    /// The row-major `m × n` Jacobian at the current primal point, once computed.
    jacobian: Option<Vec<f64>>,
}

impl Opaque {
    /// Keeps `f` and a copy of the options (always row-major: the layout is internal here).
    /// A learned sparsity pattern becomes the node's own: what the node learns at its
    /// pull-backs (the pattern of its own function) stays with it and is verified at every
    /// pull-back after a replay.
    pub fn new(f: Box<dyn Function>, m: usize, mut options: Options) -> Self {
        options.set_layout(Layout::RowMajor);
        options.own_learned();
        Self {
            f,
            options,
            m,
            jacobian: None,
        }
    }

    /// Checks the options' sparsity pattern against this node's `m` outputs and `n` inputs,
    /// so that a pattern that does not fit is refused when the node is recorded (naming
    /// it), not at its first backward pass.
    pub fn check_pattern(&self, n: usize) -> Result<(), FdError> {
        self.options
            .sparsity()
            .map_or(Ok(()), |s| s.check_dims(self.m, n))
    }

    /// The function at `x` (one evaluation), after checking `x` against the options.
    pub fn forward(&self, x: &[f64]) -> Result<Vec<f64>, FdError> {
        self.options.check_point(x)?;
        evaluate_once(&*self.f, x, self.m)
    }

    /// `v^T J` at the recorded point `x` (with `y = f(x)`), computing J on first use.
    pub fn pullback(&mut self, x: &[f64], y: &[f64], v: &[f64]) -> Result<Vec<f64>, FdError> {
        let n = x.len();
        let jac = match &mut self.jacobian {
            Some(jac) => jac,
            empty => empty.insert(fd::jacobian_at(&*self.f, x, y, &self.options)?),
        };
        let mut grad = vec![0.0; n];
        for (row, &vi) in jac.chunks_exact(n.max(1)).zip(v) {
            if vi != 0.0 {
                for (gj, &jij) in grad.iter_mut().zip(row) {
                    *gj += vi * jij;
                }
            }
        }
        // As every VJP driver: a product beyond the doubles of a finite seed is an error,
        // not an infinity that passes for a gradient (a seed already non-finite, from a
        // built-in op's IEEE arithmetic, propagates as it would through a built-in op).
        if let Some(j) = grad.iter().position(|g| !g.is_finite()) {
            if v.iter().all(|vi| vi.is_finite()) {
                // NaN: inf - inf in the sum over rows (seeds 1e308 and -1e308 on equal rows).
                let cause = if grad[j].is_nan() {
                    ": terms of opposite signs overflowed in the sum over the outputs (inf - \
                     inf), though the exact value may be finite"
                } else {
                    ""
                };
                return Err(FdError::InvalidArgument(format!(
                    "the pull-back is beyond the doubles: grad[{j}] = {:e}{cause} (scale the \
                     seed down and the gradient up)",
                    grad[j]
                )));
            }
        }
        Ok(grad)
    }

    /// The output length.
    pub fn m(&self) -> usize {
        self.m
    }

    /// Forgets the Jacobian: the primal point has moved.
    pub fn invalidate(&mut self) {
        self.jacobian = None;
    }

    /// Bytes held by the Jacobian cache (0 until the first pull-back).
    pub fn cache_bytes(&self) -> usize {
        self.jacobian
            .as_ref()
            .map_or(0, |j| j.capacity() * std::mem::size_of::<f64>())
    }
}
