//! Nodes: where a value lies in the tape's arena and its shape, the op that produced it
//! from earlier nodes, and whether it depends on an input. Here each op is dispatched to its forward evaluation and its pull-back.

use super::adjoint::Sink;
use super::custom::Custom;
use super::dims::Dims;
use super::error::{Phase, TapeError};
use super::opaque::Opaque;
use super::ops::binary::BinaryOp;
use super::ops::reduce::ReduceOp;
use super::ops::unary::UnaryOp;
use super::ops::{linalg, power, shape};
use super::value::{total_len, with_capacity};
use crate::fd::FdError;

/// How a node's value is made. Operand indices always point to earlier nodes.
///
/// The tag a whole word (`repr(u64)`), as [`Dims`]'s and for the same reason.
#[repr(u64)]
pub(crate) enum Op {
    /// A differentiable input, set by the caller.
    Input,
    /// A value that is not differentiated.
    Constant,
    /// An elementwise function of one operand.
    Unary(UnaryOp, [usize; 1]),
    /// An elementwise function of two operands.
    Binary(BinaryOp, [usize; 2]),
    /// A reduction to a scalar.
    Reduce(ReduceOp, [usize; 1]),
    /// The operand to a fixed power.
    PowScalar(f64, [usize; 1]),
    /// The inner product of two same-shaped operands.
    Dot([usize; 2]),
    /// A matrix-matrix or matrix-vector product.
    Matmul([usize; 2]),
    /// The operand under the given shape.
    Reshape(Vec<usize>, [usize; 1]),
    /// A contiguous range of the flattened operand.
    Slice {
        start: usize,
        len: usize,
        operand: [usize; 1],
    },
    /// The flattened operands one after another.
    Concat(Vec<usize>),
    /// A black-box function of the concatenated operands, differentiated numerically.
    Opaque(Box<Opaque>, Vec<usize>),
    /// A black-box function of the concatenated operands with the caller's adjoint.
    Custom(Box<Custom>, Vec<usize>),
}

impl Op {
    /// The operands' node indices.
    #[inline]
    pub fn operands(&self) -> &[usize] {
        match self {
            Op::Input | Op::Constant => &[],
            Op::Unary(_, a) | Op::Reduce(_, a) | Op::PowScalar(_, a) => a,
            Op::Reshape(_, a) | Op::Slice { operand: a, .. } => a,
            Op::Binary(_, ab) | Op::Dot(ab) | Op::Matmul(ab) => ab,
            Op::Concat(args) | Op::Opaque(_, args) | Op::Custom(_, args) => args,
        }
    }

    /// A short description for messages.
    pub fn describe(&self) -> String {
        match self {
            Op::Input => "an input".into(),
            Op::Constant => "a constant".into(),
            Op::Unary(op, _) => format!("a {}", op.name()),
            Op::Binary(op, _) => format!("a {}", op.name()),
            Op::Reduce(op, _) => format!("a {}", op.name()),
            Op::PowScalar(..) => "a pow_scalar".into(),
            Op::Dot(_) => "a dot".into(),
            Op::Matmul(_) => "a matmul".into(),
            Op::Reshape(..) => "a reshape".into(),
            Op::Slice { .. } => "a slice".into(),
            Op::Concat(_) => "a concat".into(),
            Op::Opaque(..) => "an opaque call".into(),
            Op::Custom(..) => "a custom-VJP call".into(),
        }
    }

    /// Checks the operands' shapes and the op's parameters before anything is evaluated, so
    /// [`Op::evaluate`] can assume them, and gives the result's shape and length.
    #[inline(always)]
    pub fn check(&self, nodes: &[Node]) -> Result<(Dims, usize), TapeError> {
        let shape_of = |i: usize| nodes[i].dims.as_slice();
        let same = |i: usize| Ok((nodes[i].dims.clone(), nodes[i].len));
        match self {
            Op::Input | Op::Constant => unreachable!("leaves are not checked here"),
            Op::Unary(_, [a]) | Op::PowScalar(_, [a]) => same(*a),
            Op::Binary(op, [a, b]) => {
                op.check_shapes(shape_of(*a), shape_of(*b))?;
                same(if shape_of(*a).is_empty() { *b } else { *a })
            }
            Op::Reduce(..) => Ok((Dims::scalar(), 1)),
            Op::Dot([a, b]) => {
                linalg::dot_shape(shape_of(*a), shape_of(*b)).map(|_| (Dims::scalar(), 1))
            }
            Op::Matmul([a, b]) => {
                let shape = linalg::matmul_shape(shape_of(*a), shape_of(*b))?;
                Ok((Dims::new(&shape), shape.iter().product()))
            }
            Op::Reshape(to, [a]) => {
                shape::reshape_check(shape_of(*a), to)?;
                Ok((Dims::new(to), nodes[*a].len))
            }
            Op::Slice {
                start,
                len,
                operand: [a],
            } => {
                shape::slice_check(nodes[*a].len, *start, *len)?;
                Ok((Dims::vector(*len), *len))
            }
            Op::Concat(args) => {
                let len = total_len(args.iter().map(|&i| nodes[i].len), "concat")?;
                Ok((Dims::vector(len), len))
            }
            Op::Opaque(node, args) => {
                let n = total_len(args.iter().map(|&i| nodes[i].len), "call")?;
                node.check_pattern(n)
                    .map_err(|e| node_error(nodes.len(), "opaque call", Phase::Record, e))?;
                Ok((Dims::vector(node.m()), node.m()))
            }
            Op::Custom(node, args) => {
                total_len(args.iter().map(|&i| nodes[i].len), "call")?;
                Ok((Dims::vector(node.m()), node.m()))
            }
        }
    }

    /// Writes the node's value into `out` (of the length [`Op::check`] gave, twice that
    /// for a sin or cos, which keep their derivative after it: [`Node::span`])
    /// from its operands' values in `values` (the arena up to this node; `nodes` places
    /// them). `index` and `phase` name the node in a callback's error.
    #[inline(always)]
    pub fn evaluate(
        &self,
        (index, phase): (usize, Phase),
        nodes: &[Node],
        values: &[f64],
        out: &mut [f64],
    ) -> Result<(), TapeError> {
        let v = |i: usize| &values[nodes[i].range()];
        let operand = |i: usize| (v(i), nodes[i].dims.as_slice());
        match self {
            Op::Input | Op::Constant => unreachable!("leaves are not evaluated"),
            Op::Unary(op, [a]) => op.forward(v(*a), out),
            Op::Binary(op, [a, b]) => op.forward(operand(*a), operand(*b), out),
            Op::Reduce(op, [a]) => out[0] = op.forward(v(*a)),
            Op::PowScalar(p, [a]) => power::pow_scalar_forward(v(*a), *p, out),
            Op::Dot([a, b]) => out[0] = linalg::dot_forward(v(*a), v(*b)),
            Op::Matmul([a, b]) => linalg::matmul_forward(operand(*a), operand(*b), out),
            Op::Reshape(_, [a]) => out.copy_from_slice(v(*a)),
            Op::Slice {
                start,
                len,
                operand: [a],
            } => out.copy_from_slice(&v(*a)[*start..*start + *len]),
            Op::Concat(args) => {
                let mut at = 0;
                for &i in args {
                    out[at..at + nodes[i].len].copy_from_slice(v(i));
                    at += nodes[i].len;
                }
            }
            Op::Opaque(..) | Op::Custom(..) => {
                return self.evaluate_callback((index, phase), nodes, values, out)
            }
        }
        Ok(())
    }

    /// [`Op::evaluate`] of a callback node, out of line: its error handling and gathered
    /// `x` made every built-in op's evaluation pay for a larger frame (issue 15).
    #[inline(never)]
    fn evaluate_callback(
        &self,
        (index, phase): (usize, Phase),
        nodes: &[Node],
        values: &[f64],
        out: &mut [f64],
    ) -> Result<(), TapeError> {
        let v = |i: usize| &values[nodes[i].range()];
        match self {
            Op::Opaque(node, args) => {
                let x = gather(args, &v)?;
                let y = node.forward(&x);
                out.copy_from_slice(&y.map_err(|e| node_error(index, "opaque call", phase, e))?);
            }
            Op::Custom(node, args) => {
                let x = gather(args, &v)?;
                let y = node.forward(&x);
                out.copy_from_slice(
                    &y.map_err(|e| node_error(index, "custom-VJP call", phase, e))?,
                );
            }
            _ => unreachable!("only callback nodes are evaluated here"),
        }
        Ok(())
    }

    /// Pulls the adjoint `g` of node `index` (value `y`, with what is kept after it:
    /// [`Node::span_range`]) back to its operands among `earlier`
    /// (the nodes before it, whose values are in `values`), adding each operand's gradient
    /// to its adjoint in `sink`. Operands that do not depend on an input get nothing and
    /// cost nothing. Inline into the backward sweep, its one caller (issue 15).
    #[inline]
    pub fn pullback(
        &mut self,
        (index, y, g): (usize, &[f64], &[f64]),
        values: &[f64],
        sink: &mut Sink,
    ) -> Result<(), TapeError> {
        let earlier = sink.nodes;
        let active = |i: usize| earlier[i].active();
        let v = |i: usize| &values[earlier[i].range()];
        let operand = |i: usize| (v(i), earlier[i].dims.as_slice());
        match self {
            Op::Input | Op::Constant => {}
            Op::Unary(op, [a]) => op.pullback(v(*a), y, g, *a, sink),
            Op::Binary(op, [a, b]) => {
                let need = (active(*a), active(*b));
                op.pullback(operand(*a), operand(*b), (y, g), ([*a, *b], need), sink);
            }
            Op::Reduce(op, [a]) => op.pullback(v(*a), y[0], g[0], *a, sink),
            Op::PowScalar(p, [a]) => power::pow_scalar_pullback(v(*a), *p, g, *a, sink),
            Op::Dot([a, b]) => {
                let need = (active(*a), active(*b));
                linalg::dot_pullback((v(*a), v(*b)), g[0], ([*a, *b], need), sink);
            }
            Op::Matmul([a, b]) => {
                let need = (active(*a), active(*b));
                linalg::matmul_pullback(operand(*a), operand(*b), g, ([*a, *b], need), sink);
            }
            Op::Reshape(_, [a]) => sink.put_slice(*a, g),
            Op::Slice {
                start,
                operand: [a],
                ..
            } => shape::slice_pullback(earlier[*a].len, *start, g, *a, sink),
            Op::Concat(args) => split(args, g, sink),
            Op::Opaque(..) | Op::Custom(..) => {
                return self.pullback_callback((index, y, g), values, sink)
            }
        }
        Ok(())
    }

    /// [`Op::pullback`] of a callback node, out of line (as [`Op::evaluate_callback`]).
    #[inline(never)]
    fn pullback_callback(
        &mut self,
        (index, y, g): (usize, &[f64], &[f64]),
        values: &[f64],
        sink: &mut Sink,
    ) -> Result<(), TapeError> {
        let earlier = sink.nodes;
        let v = |i: usize| &values[earlier[i].range()];
        let failed = |kind: &'static str| move |e| node_error(index, kind, Phase::Backward, e);
        match self {
            Op::Opaque(node, args) => {
                let grad = node.pullback(&gather(args, &v)?, y, g);
                split(args, &grad.map_err(failed("opaque call"))?, sink);
            }
            Op::Custom(node, args) => {
                let grad = node.pullback(&gather(args, &v)?, y, g);
                split(args, &grad.map_err(failed("custom-VJP call"))?, sink);
            }
            _ => unreachable!("only callback nodes are pulled back here"),
        }
        Ok(())
    }

    /// Drops what depends on the primal point (an opaque node's Jacobian).
    pub fn invalidate(&mut self) {
        if let Op::Opaque(node, _) = self {
            node.invalidate();
        }
    }

    /// Bytes this op holds on the heap (operand lists, callback state, caches).
    pub fn heap_bytes(&self) -> usize {
        let words = std::mem::size_of::<usize>();
        match self {
            Op::Reshape(to, _) => to.capacity() * words,
            Op::Concat(args) => args.capacity() * words,
            Op::Opaque(node, args) => {
                std::mem::size_of::<Opaque>() + node.cache_bytes() + args.capacity() * words
            }
            Op::Custom(_, args) => std::mem::size_of::<Custom>() + args.capacity() * words,
            _ => 0,
        }
    }
}

/// The error of callback node `index` in `phase`.
fn node_error(index: usize, kind: &'static str, phase: Phase, source: FdError) -> TapeError {
    TapeError::Node {
        index,
        kind,
        phase,
        source,
    }
}

/// The concatenation of the operands' flattened values: a callback node's `x`. The args
/// may repeat one var any number of times, so the length is checked and the memory
/// allocated fallibly.
fn gather<'v>(
    args: &[usize],
    value_of: &dyn Fn(usize) -> &'v [f64],
) -> Result<Vec<f64>, TapeError> {
    let n = total_len(args.iter().map(|&i| value_of(i).len()), "call")?;
    let mut x = with_capacity(n, "x, the concatenated arguments")?;
    for &i in args {
        x.extend_from_slice(value_of(i));
    }
    Ok(x)
}

/// Splits a flat gradient over the operands, in their shapes, skipping inactive ones.
fn split(args: &[usize], g: &[f64], sink: &mut Sink) {
    let mut offset = 0;
    for &i in args {
        let (active, len) = (sink.nodes[i].active(), sink.nodes[i].len);
        if active {
            sink.put_slice(i, &g[offset..offset + len]);
        }
        offset += len;
    }
}

/// One entry of the tape.
pub(crate) struct Node {
    /// Where its value starts in the tape's value arena (and its adjoint in the adjoint
    /// arena).
    pub start: usize,
    /// Its number of elements.
    pub len: usize,
    /// Its shape.
    pub dims: Dims,
    /// How it was made.
    pub op: Op,
    /// Whether it depends on an input (see [`Node::active`]).
    pub depends: Depends,
}

/// Whether a node depends on an input, as a whole word rather than a `bool`, for the
/// reason [`Dims`] is made of words: a node is copied into the tape by words (or two at
/// once) soon after it was built, and a word read back from a byte just written stalls
/// the processor (a failed store-to-load forwarding, about 10 cycles; issue 15).
#[derive(Clone, Copy)]
pub(crate) struct Depends(usize);

impl Depends {
    /// `Depends` of `active`.
    #[inline]
    pub fn new(active: bool) -> Self {
        Depends(usize::from(active))
    }
}

impl Node {
    /// Its number of elements in the value arena: its value's, and for a sin or cos as
    /// many again for the derivative kept after it ([`UnaryOp::forward`]).
    #[inline]
    pub fn span(&self) -> usize {
        match self.op {
            Op::Unary(op, _) if op.keeps_derivative() => 2 * self.len,
            _ => self.len,
        }
    }

    /// Where its value and what is kept after it ([`Node::span`]) lie in the value arena.
    #[inline]
    pub fn span_range(&self) -> std::ops::Range<usize> {
        self.start..self.start + self.span()
    }

    /// Whether it depends on an input; only such nodes receive gradients or are replayed.
    #[inline]
    pub fn active(&self) -> bool {
        self.depends.0 != 0
    }

    /// Its place in the arenas.
    #[inline]
    pub fn range(&self) -> std::ops::Range<usize> {
        self.start..self.start + self.len
    }
}
