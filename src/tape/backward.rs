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

use super::error::TapeError;
use super::node::Op;
use super::record::Tape;
use super::spare;
use super::value::{accumulate, array, check_finite, scalar};
use super::var::Var;
use crate::fd::{last_report, publish, Report};
use ndarray::ArrayD;

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
        let len = self.nodes[o].value.len();
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
        let mut adjoints: Vec<Option<ArrayD<f64>>> = (0..=o).map(|_| None).collect();
        let out_value = &self.nodes[o].value;
        if self.nodes[o].active {
            // A scalar output (a loss) seeds with one allocation, not a vector and a copy.
            adjoints[o] = Some(match out_value.ndim() {
                0 => scalar(seed[0]),
                _ => array(out_value.shape(), seed.to_vec()),
            });
        }
        let mut report = Report::default();
        let swept = self.sweep(o, &mut adjoints, &mut report);
        report.completed = swept.is_ok();
        publish(report);
        swept?;
        self.drop_grads();
        self.grads = Some(adjoints);
        Ok(())
    }

    /// Pulls the adjoints back from node `o` to the inputs, adding the report of each
    /// opaque node's Jacobian computation to `report`.
    fn sweep(
        &mut self,
        o: usize,
        adjoints: &mut [Option<ArrayD<f64>>],
        report: &mut Report,
    ) -> Result<(), TapeError> {
        for i in (0..=o).rev() {
            let (earlier, rest) = self.nodes.split_at_mut(i);
            let node = &mut rest[0];
            if matches!(node.op, Op::Input) {
                continue; // an input keeps its adjoint: it is its gradient
            }
            let Some(g) = adjoints[i].take() else {
                continue;
            };
            let (before, _) = adjoints.split_at_mut(i);
            let opaque = matches!(node.op, Op::Opaque(..));
            if opaque {
                // A marker: a node whose Jacobian is cached leaves it in place.
                publish(Report::default());
            }
            let result = node.op.pullback(i, &node.value, earlier, g, &mut |p, gp| {
                accumulate(&mut before[p], gp)
            });
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

    /// Forgets the gradients of the last backward, giving their buffers back ([`spare`]).
    pub(crate) fn drop_grads(&mut self) {
        for g in self.grads.take().into_iter().flatten().flatten() {
            spare::give_array(g);
        }
    }

    /// The gradient, from the last backward, of `<seed, out>` with respect to `input` (in
    /// its shape; zero if `out` does not depend on it).
    pub fn grad(&self, input: Var) -> Result<ArrayD<f64>, TapeError> {
        let i = self.input_index(input, ": only inputs have gradients")?;
        Ok(match self.grad_ref(input)? {
            Some(g) => g.clone(),
            None => ArrayD::zeros(self.nodes[i].value.shape()),
        })
    }

    /// [`Tape::grad`] without a copy: the gradient as the last backward left it, or `None`
    /// where it is zero (`out` does not depend on the input). The C API copies it out
    /// from here (a copy per read was an allocation per gradient, issue 15).
    pub(crate) fn grad_ref(&self, input: Var) -> Result<Option<&ArrayD<f64>>, TapeError> {
        let i = self.input_index(input, ": only inputs have gradients")?;
        let grads = self.grads.as_ref().ok_or_else(|| {
            TapeError::InvalidArgument(
                "no gradients: no backward since the tape was created, cleared, or its \
                 inputs set"
                    .to_string(),
            )
        })?;
        Ok(grads.get(i).and_then(Option::as_ref))
    }
}

impl Drop for Tape {
    /// Gives the large buffers of the gradients back to the thread (the nodes give theirs).
    fn drop(&mut self) {
        self.drop_grads();
    }
}
