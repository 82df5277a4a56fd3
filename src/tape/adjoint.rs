//! Where a backward pass puts the gradients it pulls back: each node's adjoint is a slot in
//! the tape's adjoint arena, laid out as the values are (node i's adjoint sits where its
//! value does), so a pass allocates nothing once the arena has grown to the tape's size
//! (issue 15: the tape's per-node cost).
//!
//! The first contribution a slot receives is written as it is and later ones are added,
//! which is exactly what adding into a fresh gradient did before the arena (no `0.0 +`
//! that would turn a `-0.0` into `+0.0`): gradients are bit for bit those of the
//! allocating version.

use super::node::Node;

/// The adjoint slots of the nodes before the one being pulled back.
pub(crate) struct Sink<'a> {
    /// The adjoint arena below that node's slot.
    pub data: &'a mut [f64],
    /// Whether each node's slot holds a contribution yet (by node index).
    pub touched: &'a mut [bool],
    /// The nodes' places in the arena.
    pub nodes: &'a [Node],
}

impl Sink<'_> {
    /// Adds the contribution `values` (one per element of node `i`) to node `i`'s adjoint.
    #[inline]
    pub fn put(&mut self, i: usize, values: impl Iterator<Item = f64>) {
        let slot = &mut self.data[self.nodes[i].range()];
        if std::mem::replace(&mut self.touched[i], true) {
            for (s, v) in slot.iter_mut().zip(values) {
                *s += v;
            }
        } else {
            for (s, v) in slot.iter_mut().zip(values) {
                *s = v;
            }
        }
    }

    /// [`Sink::put`] of a slice.
    #[inline]
    pub fn put_slice(&mut self, i: usize, values: &[f64]) {
        self.put(i, values.iter().copied());
    }
}
