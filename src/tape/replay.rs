//! Replay: new input values, then every recorded op re-evaluated in order without
//! recording again (record once, then gradients at many points).
//!
//! Only nodes that depend on an input are re-evaluated; constants' descendants keep their
//! values (and opaque Jacobians). The new values are committed only when every node
//! succeeded, so a failed replay leaves all values and caches as they were.

use super::error::{Phase, TapeError};
use super::node::Op;
use super::record::Tape;
use super::spare;
use super::value::{array, check_finite};
use super::var::Var;
use ndarray::ArrayD;

impl Tape {
    /// Replaces an input's values (same number of elements, all finite; the shape is
    /// kept). The other values are stale until [`Tape::forward`], and the gradients of the
    /// last backward are dropped.
    pub fn set_input(&mut self, input: Var, x: &[f64]) -> Result<(), TapeError> {
        let i = self.input_index(input, "")?;
        let node = &self.nodes[i];
        if x.len() != node.value.len() {
            return Err(TapeError::LengthMismatch {
                what: "x".to_string(),
                len: x.len(),
                expected: node.value.len(),
                against: format!("the number of elements of input {input}"),
            });
        }
        check_finite("x", x)?;
        let shape = node.value.shape().to_vec();
        let old = std::mem::replace(&mut self.nodes[i].value, array(&shape, spare::copy(x)));
        spare::give_array(old);
        self.stale = true;
        self.drop_grads();
        Ok(())
    }

    /// Re-evaluates every recorded op at the current input values.
    pub fn forward(&mut self) -> Result<(), TapeError> {
        let nodes = &self.nodes;
        let mut fresh: Vec<Option<ArrayD<f64>>> = (0..nodes.len()).map(|_| None).collect();
        for (i, node) in nodes.iter().enumerate() {
            if !node.active || matches!(node.op, Op::Input) {
                continue;
            }
            let (done, _) = fresh.split_at(i);
            let value_of = |j: usize| done[j].as_ref().unwrap_or(&nodes[j].value);
            fresh[i] = Some(node.op.evaluate(i, Phase::Replay, &value_of)?);
        }
        for (node, value) in self.nodes.iter_mut().zip(fresh) {
            if let Some(value) = value {
                spare::give_array(std::mem::replace(&mut node.value, value));
                node.op.invalidate();
            }
        }
        self.stale = false;
        self.drop_grads();
        Ok(())
    }
}
