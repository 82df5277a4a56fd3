//! The backward pass: the gradient of `<seed, out>` with respect to every input.
//!
//! One sweep from `out` down to the first node; a node gets an adjoint only if it depends
//! on an input and lies upstream of `out`, so everything else costs nothing. Gradients are
//! kept only when the whole sweep succeeds; a failure leaves the previous ones in place.
//! (Jacobians that opaque nodes computed before the failure stay cached: they are correct
//! at the current point.)
//!
//! Report ([`crate::fd::last_report`]): a backward publishes the report of the whole
//! sweep: the evaluations, directions, refinements and fall-backs of every opaque node
//! whose Jacobian it computed, summed, and the largest of their error bounds (each the
//! largest estimated error of an entry of that node's Jacobian); noise levels and outputs
//! are those of the last such node. A backward that computes no Jacobian (all cached, or
//! no opaque node) reports no evaluation, completed, with a NaN bound.

use super::adjoint::Sink;
use super::dims::to_array;
use super::error::TapeError;
use super::node::Op;
use super::record::Tape;
use super::spare;
use super::value::{check_finite, reserve};
use super::var::Var;
use crate::fd::{last_report, publish, Report};
use ndarray::ArrayD;

/// No gradient: the input is not upstream of the output, or the node is not an input.
const NONE: usize = usize::MAX;

/// Where node 0's adjoint starts in the adjoint arena. Both arenas are page-aligned when
/// large, so without this offset a node's adjoint and its value would share their
/// addresses modulo 4096 and every pull-back that reads a value and writes an adjoint at
/// the same index would stall on the processor's 4K aliasing (and share cache sets).
/// 72 doubles (576 bytes) moves them 9 cache lines apart.
const SKEW: usize = 72;

/// A tape's backward state: the adjoint arena of a pass, and the gradients the last
/// successful pass left (copied out of the arena, so a failed pass keeps them).
pub(crate) struct Adjoints {
    /// Node i's adjoint at the place of its value ([`super::node::Node::range`]).
    pub adjoints: Vec<f64>,
    /// Whether node i's adjoint holds a contribution in the current pass.
    touched: Vec<bool>,
    /// The gradients of the inputs, one after another.
    grads: Vec<f64>,
    /// Where node i's gradient starts in `grads`, or [`NONE`].
    grad_at: Vec<usize>,
    /// Whether `grads` holds the result of a backward since the last change that
    /// invalidates it (replay, set_input, clear).
    valid: bool,
}

impl Adjoints {
    /// No gradients yet, with the bookkeeping buffers `kept` and the arena `adjoints`
    /// (see [`spare`]).
    pub fn new(kept: &mut spare::Bookkeeping, adjoints: Vec<f64>) -> Self {
        Self {
            adjoints,
            touched: std::mem::take(&mut kept.touched),
            grads: std::mem::take(&mut kept.grads),
            grad_at: std::mem::take(&mut kept.grad_at),
            valid: false,
        }
    }

    /// Moves the bookkeeping buffers into `kept`, and gives the adjoint arena.
    pub fn give(&mut self, kept: &mut spare::Bookkeeping) -> Vec<f64> {
        kept.touched = std::mem::take(&mut self.touched);
        kept.grads = std::mem::take(&mut self.grads);
        kept.grad_at = std::mem::take(&mut self.grad_at);
        std::mem::take(&mut self.adjoints)
    }

    /// Forgets the gradients of the last backward.
    pub fn invalidate(&mut self) {
        self.valid = false;
    }

    /// Whether its bookkeeping, and a node list of capacity `nodes`, are small enough to
    /// keep ([`spare::small`]).
    pub fn small(&self, nodes: usize) -> bool {
        let c = [
            nodes,
            self.touched.capacity(),
            self.grad_at.capacity(),
            self.grads.capacity(),
        ];
        spare::small(c)
    }
}

impl Tape {
    /// Computes the gradient of `<seed, out>` for every input, replacing earlier ones.
    ///
    /// `seed` has one entry per element of `out` (row-major); `None` requires a
    /// one-element output and seeds 1.
    pub fn backward(&mut self, out: Var, seed: Option<&[f64]>) -> Result<(), TapeError> {
        let o = self.index(out)?;
        if self.stale {
            return Err(TapeError::InvalidArgument(
                "backward: inputs were set since the last forward (replay); call forward first"
                    .to_string(),
            ));
        }
        let len = self.nodes[o].len;
        let seed: &[f64] = match seed {
            None if len == 1 => &[1.0],
            None => {
                return Err(TapeError::LengthMismatch {
                    what: "seed (NULL, which stands for the scalar 1)".to_string(),
                    len: 1,
                    expected: len,
                    against: format!("the number of elements of out {out}"),
                })
            }
            Some(s) => {
                if s.len() != len {
                    return Err(TapeError::LengthMismatch {
                        what: "seed".to_string(),
                        len: s.len(),
                        expected: len,
                        against: format!("the number of elements of out {out}"),
                    });
                }
                check_finite("seed", s)?;
                s
            }
        };
        let end = self.nodes[o].range().end;
        let grads_len: usize = self.nodes[..=o]
            .iter()
            .filter(|n| matches!(n.op, Op::Input))
            .map(|n| n.len)
            .sum();
        let b = &mut self.backward;
        if b.adjoints.capacity() == 0 {
            b.adjoints = spare::take_arena();
        }
        let end = end + SKEW;
        let extra = end.saturating_sub(b.adjoints.len());
        reserve(&mut b.adjoints, extra, "the adjoints of the backward pass")?;
        let extra = grads_len.saturating_sub(b.grads.len());
        reserve(&mut b.grads, extra, "the gradients")?;
        if b.adjoints.len() < end {
            b.adjoints.resize(end, 0.0);
        }
        b.touched.clear();
        b.touched.resize(o + 1, false);
        if self.nodes[o].active() {
            b.adjoints[SKEW..][self.nodes[o].range()].copy_from_slice(seed);
            b.touched[o] = true;
        }
        // Completed unless the sweep fails, set before it: the flag written just before
        // `publish` copies the report out was read back as a word it was a byte of, which
        // stalls the processor (see `dims.rs`).
        let mut report = Report {
            completed: true,
            ..Report::default()
        };
        let swept = self.sweep(o, &mut report);
        if swept.is_err() {
            report.completed = false;
        }
        publish(report);
        swept?;
        self.keep_grads(o);
        Ok(())
    }

    /// Pulls the adjoints back from node `o` to the inputs, adding the report of each
    /// opaque node's Jacobian computation to `report`.
    fn sweep(&mut self, o: usize, report: &mut Report) -> Result<(), TapeError> {
        let Tape {
            nodes,
            values,
            backward,
            ..
        } = self;
        for i in (0..=o).rev() {
            let (earlier, rest) = nodes.split_at_mut(i);
            let node = &mut rest[0];
            if matches!(node.op, Op::Input) || !backward.touched[i] {
                continue; // an input keeps its adjoint: it is its gradient
            }
            let (below, above) = backward.adjoints[SKEW..].split_at_mut(node.start);
            let g = &above[..node.len];
            let mut sink = Sink {
                data: below,
                touched: &mut backward.touched[..i],
                nodes: earlier,
            };
            let opaque = matches!(node.op, Op::Opaque(..));
            if opaque {
                // A marker: a node whose Jacobian is cached leaves it in place.
                publish(Report::default());
            }
            let y = &values[node.span_range()];
            let result = node.op.pullback((i, y, g), values, &mut sink);
            if opaque {
                let part = last_report();
                if part.completed || part.evaluations > 0 {
                    report.merge(&part);
                }
            }
            result?;
        }
        Ok(())
    }

    /// Copies the inputs' adjoints of a successful pass from node `o` out as the gradients
    /// (room for them was made before the pass), and gives a large arena back.
    fn keep_grads(&mut self, o: usize) {
        let b = &mut self.backward;
        b.grads.clear();
        b.grad_at.clear();
        b.grad_at.resize(o + 1, NONE);
        for (i, node) in self.nodes[..=o].iter().enumerate() {
            if matches!(node.op, Op::Input) && b.touched[i] {
                b.grad_at[i] = b.grads.len();
                b.grads.extend_from_slice(&b.adjoints[SKEW..][node.range()]);
            }
        }
        b.valid = true;
        if b.adjoints.capacity() > spare::KEEP {
            spare::give_arena(std::mem::take(&mut b.adjoints));
        }
    }

    /// Forgets the gradients of the last backward.
    pub(crate) fn drop_grads(&mut self) {
        self.backward.invalidate();
    }

    /// The gradient, from the last backward, of `<seed, out>` with respect to `input` (in
    /// its shape; zero if `out` does not depend on it).
    pub fn grad(&self, input: Var) -> Result<ArrayD<f64>, TapeError> {
        let i = self.input_index(input, ": only inputs have gradients")?;
        let dims = &self.nodes[i].dims;
        Ok(match self.grad_ref(input)? {
            Some(g) => to_array(dims, g),
            None => ArrayD::zeros(dims.as_slice()),
        })
    }

    /// [`Tape::grad`] without a copy: the gradient as the last backward left it, or `None`
    /// where it is zero (`out` does not depend on the input). The C API copies it out
    /// from here (a copy per read was an allocation per gradient, issue 15).
    pub(crate) fn grad_ref(&self, input: Var) -> Result<Option<&[f64]>, TapeError> {
        let i = self.input_index(input, ": only inputs have gradients")?;
        let b = &self.backward;
        if !b.valid {
            return Err(TapeError::InvalidArgument(
                "no gradients: no backward since the tape was created, cleared, or its \
                 inputs set"
                    .to_string(),
            ));
        }
        Ok(match b.grad_at.get(i) {
            Some(&at) if at != NONE => Some(&b.grads[at..at + self.nodes[i].len]),
            _ => None,
        })
    }
}
