//! The backward pass: the gradient of `<seed, out>` with respect to every input.
//!
//! One sweep from `out` down to the first node; a node gets an adjoint only if it depends
//! on an input and lies upstream of `out`, so everything else costs nothing. Gradients are
//! kept only when the whole sweep succeeds; a failure leaves the previous ones in place.
//! (Jacobians that opaque nodes computed before the failure stay cached: they are correct
//! at the current point.)

use super::error::TapeError;
use super::node::Op;
use super::record::Tape;
use super::value::{accumulate, array, check_finite};
use super::var::Var;
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
        let shape = self.nodes[o].value.shape().to_vec();
        let len = self.nodes[o].value.len();
        let seed = match seed {
            None if len == 1 => vec![1.0],
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
                s.to_vec()
            }
        };
        let mut adjoints: Vec<Option<ArrayD<f64>>> = (0..=o).map(|_| None).collect();
        if self.nodes[o].active {
            adjoints[o] = Some(array(&shape, seed));
        }
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
            node.op.pullback(i, &node.value, earlier, g, &mut |p, gp| {
                accumulate(&mut before[p], gp)
            })?;
        }
        self.grads = Some(adjoints);
        Ok(())
    }

    /// The gradient, from the last backward, of `<seed, out>` with respect to `input` (in
    /// its shape; zero if `out` does not depend on it).
    pub fn grad(&self, input: Var) -> Result<ArrayD<f64>, TapeError> {
        let i = self.index(input)?;
        let node = &self.nodes[i];
        if !matches!(node.op, Op::Input) {
            return Err(TapeError::InvalidArgument(format!(
                "{input} is {}, not an input: only inputs have gradients",
                node.op.describe()
            )));
        }
        let grads = self.grads.as_ref().ok_or_else(|| {
            TapeError::InvalidArgument(
                "no gradients: no backward since the tape was created, cleared, or its \
                 inputs set"
                    .to_string(),
            )
        })?;
        Ok(match grads.get(i) {
            Some(Some(g)) => g.clone(),
            _ => ArrayD::zeros(node.value.shape()),
        })
    }
}
