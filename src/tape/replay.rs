//! Replay: new input values, then every recorded op re-evaluated in order without
//! recording again (record once, then gradients at many points).
//!
//! Only nodes that depend on an input are re-evaluated; constants' descendants keep their
//! values (and opaque Jacobians). The new values are committed only when every node
//! succeeded, so a failed replay leaves all values and caches as they were: a tape with
//! callback nodes replays into a second arena, swapped in at the end; a tape of built-in
//! ops only, which cannot fail, replays in place.

use super::error::{Phase, TapeError};
use super::node::Op;
use super::record::Tape;
use super::spare;
use super::value::{check_finite, reserve};
use super::var::Var;

/// The arena a replay evaluates into, swapped with the tape's values when every node
/// succeeded (so a failed replay changes no value, and a replay allocates nothing once
/// the arena has grown to the tape's size).
#[derive(Default)]
pub(crate) struct ReplayArena {
    pub values: Vec<f64>,
    /// The nodes below this index that depend on no input already have their value here
    /// (constants never change, and both arenas hold them after a replay).
    synced: usize,
}

impl ReplayArena {
    /// Forgets which values it holds (the tape was cleared); its memory stays.
    pub fn clear(&mut self) {
        self.synced = 0;
    }
}

impl Tape {
    /// Replaces an input's values (same number of elements, all finite; the shape is
    /// kept). The other values are stale until [`Tape::forward`], and the gradients of the
    /// last backward are dropped.
    pub fn set_input(&mut self, input: Var, x: &[f64]) -> Result<(), TapeError> {
        let i = self.input_index(input, "")?;
        let node = &self.nodes[i];
        if x.len() != node.len {
            return Err(TapeError::LengthMismatch {
                what: "x".to_string(),
                len: x.len(),
                expected: node.len,
                against: format!("the number of elements of input {input}"),
            });
        }
        check_finite("x", x)?;
        let range = node.range();
        self.values[range].copy_from_slice(x);
        self.stale = true;
        self.drop_grads();
        Ok(())
    }

    /// Re-evaluates every recorded op at the current input values.
    pub fn forward(&mut self) -> Result<(), TapeError> {
        let callbacks = self
            .nodes
            .iter()
            .any(|n| n.active() && matches!(n.op, Op::Opaque(..) | Op::Custom(..)));
        if callbacks {
            self.replay_aside()?;
        } else {
            self.replay_in_place();
        }
        self.stale = false;
        self.drop_grads();
        Ok(())
    }

    /// Replays a tape whose only nodes that could fail (callbacks) depend on no input: the
    /// built-in ops cannot fail, so the values are overwritten where they are.
    fn replay_in_place(&mut self) {
        let Tape { nodes, values, .. } = self;
        for (i, node) in nodes.iter().enumerate() {
            if !node.active() || matches!(node.op, Op::Input) {
                continue;
            }
            let (done, rest) = values.split_at_mut(node.start);
            let out = &mut rest[..node.span()];
            let evaluated = node.op.evaluate((i, Phase::Replay), nodes, done, out);
            evaluated.expect("built-in ops do not fail");
        }
    }

    /// Replays into the second arena, which becomes the values only when every node
    /// succeeded.
    fn replay_aside(&mut self) -> Result<(), TapeError> {
        let Tape {
            nodes,
            values,
            used,
            replay,
            ..
        } = self;
        let fresh = &mut replay.values;
        if fresh.capacity() == 0 {
            *fresh = spare::take_arena();
        }
        if fresh.len() < *used {
            let extra = *used - fresh.len();
            reserve(fresh, extra, "the values of the replay")?;
            fresh.resize(*used, 0.0);
        }
        for (i, node) in nodes.iter().enumerate() {
            let leaf = matches!(node.op, Op::Input) || (!node.active() && i >= replay.synced);
            if leaf {
                fresh[node.span_range()].copy_from_slice(&values[node.span_range()]);
            }
        }
        replay.synced = nodes.len();
        for (i, node) in nodes.iter().enumerate() {
            if !node.active() || matches!(node.op, Op::Input) {
                continue;
            }
            let (done, rest) = fresh.split_at_mut(node.start);
            let out = &mut rest[..node.span()];
            node.op.evaluate((i, Phase::Replay), nodes, done, out)?;
        }
        std::mem::swap(values, fresh);
        for node in nodes.iter_mut().filter(|n| n.active()) {
            node.op.invalidate();
        }
        if fresh.capacity() > spare::KEEP {
            spare::give_arena(std::mem::take(fresh));
            replay.synced = 0;
        }
        Ok(())
    }
}
