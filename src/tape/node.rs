//! Nodes: a value, the op that produced it from earlier nodes, and whether it depends on
//! an input. Here each op is dispatched to its forward evaluation and its pull-back.

use super::custom::Custom;
use super::error::{Phase, TapeError};
use super::opaque::Opaque;
use super::ops::binary::BinaryOp;
use super::ops::reduce::ReduceOp;
use super::ops::unary::UnaryOp;
use super::ops::{linalg, power, shape};
use super::spare;
use super::value::{array, flat, total_len, with_capacity};
use ndarray::ArrayD;

/// How a node's value is made. Operand indices always point to earlier nodes.
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
    /// [`Op::evaluate`] can assume them.
    pub fn check<'s>(&self, shape_of: &dyn Fn(usize) -> &'s [usize]) -> Result<(), TapeError> {
        match self {
            Op::Binary(op, [a, b]) => op.check_shapes(shape_of(*a), shape_of(*b)),
            Op::Dot([a, b]) => linalg::dot_shape(shape_of(*a), shape_of(*b)).map(drop),
            Op::Matmul([a, b]) => linalg::matmul_shape(shape_of(*a), shape_of(*b)).map(drop),
            Op::Reshape(to, [a]) => shape::reshape_check(shape_of(*a), to),
            Op::Slice {
                start,
                len,
                operand: [a],
            } => shape::slice_check(shape_of(*a).iter().product(), *start, *len),
            _ => Ok(()),
        }
    }

    /// The node's value from its operands' values (shapes already checked). `index` and
    /// `phase` name the node in a callback's error.
    pub fn evaluate<'v>(
        &self,
        index: usize,
        phase: Phase,
        value_of: &dyn Fn(usize) -> &'v ArrayD<f64>,
    ) -> Result<ArrayD<f64>, TapeError> {
        let node_error = |kind, source| TapeError::Node {
            index,
            kind,
            phase,
            source,
        };
        Ok(match self {
            Op::Input | Op::Constant => unreachable!("leaves are not evaluated"),
            Op::Unary(op, [a]) => op.forward(value_of(*a)),
            Op::Binary(op, [a, b]) => op.forward(value_of(*a), value_of(*b)),
            Op::Reduce(op, [a]) => op.forward(value_of(*a)),
            Op::PowScalar(p, [a]) => power::pow_scalar_forward(value_of(*a), *p),
            Op::Dot([a, b]) => linalg::dot_forward(value_of(*a), value_of(*b)),
            Op::Matmul([a, b]) => linalg::matmul_forward(value_of(*a), value_of(*b))?,
            Op::Reshape(to, [a]) => shape::reshape(value_of(*a), to),
            Op::Slice {
                start,
                len,
                operand: [a],
            } => shape::slice(value_of(*a), *start, *len),
            Op::Concat(args) => {
                shape::concat(&args.iter().map(|&i| value_of(i)).collect::<Vec<_>>())?
            }
            Op::Opaque(node, args) => {
                let x = gather(args, value_of)?;
                node.check_pattern(x.len())
                    .map_err(|e| node_error("opaque call", e))?;
                let y = node.forward(&x).map_err(|e| node_error("opaque call", e))?;
                array(&[y.len()], y)
            }
            Op::Custom(node, args) => {
                let x = gather(args, value_of)?;
                let y = node
                    .forward(&x)
                    .map_err(|e| node_error("custom-VJP call", e))?;
                array(&[y.len()], y)
            }
        })
    }

    /// Pulls the adjoint `g` of node `index` (value `y`) back to its operands among `earlier`
    /// (the nodes before it), handing each operand's gradient to `emit`. Operands that do
    /// not depend on an input get nothing and cost nothing.
    pub fn pullback(
        &mut self,
        index: usize,
        y: &ArrayD<f64>,
        earlier: &[Node],
        g: ArrayD<f64>,
        emit: &mut dyn FnMut(usize, ArrayD<f64>),
    ) -> Result<(), TapeError> {
        let active = |i: usize| earlier[i].active;
        let value = |i: usize| &earlier[i].value;
        let failed = |kind: &'static str| {
            move |source| TapeError::Node {
                index,
                kind,
                phase: Phase::Backward,
                source,
            }
        };
        let mut emit2 =
            |[a, b]: [usize; 2], (ga, gb): (Option<ArrayD<f64>>, Option<ArrayD<f64>>)| {
                if let Some(ga) = ga {
                    emit(a, ga);
                }
                if let Some(gb) = gb {
                    emit(b, gb);
                }
            };
        match self {
            Op::Input | Op::Constant => {}
            Op::Unary(op, [a]) => emit(*a, op.pullback(value(*a), y, g)),
            Op::Binary(op, [a, b]) => {
                let (a, b) = (*a, *b);
                let need = (active(a), active(b));
                emit2([a, b], op.pullback(value(a), value(b), y, g, need));
            }
            Op::Reduce(op, [a]) => emit(*a, op.pullback(value(*a), y, &g)),
            Op::PowScalar(p, [a]) => emit(*a, power::pow_scalar_pullback(value(*a), *p, g)),
            Op::Dot([a, b]) => {
                let (a, b) = (*a, *b);
                let need = (active(a), active(b));
                emit2([a, b], linalg::dot_pullback(value(a), value(b), &g, need));
            }
            Op::Matmul([a, b]) => {
                let (a, b) = (*a, *b);
                let need = (active(a), active(b));
                emit2(
                    [a, b],
                    linalg::matmul_pullback(value(a), value(b), &g, need),
                );
            }
            Op::Reshape(_, [a]) => emit(*a, shape::reshape_pullback(value(*a), g)),
            Op::Slice {
                start,
                operand: [a],
                ..
            } => emit(*a, shape::slice_pullback(value(*a), *start, &g)),
            Op::Concat(args) => split(args, earlier, &g, emit),
            Op::Opaque(node, args) => {
                let grad = node.pullback(&gather(args, &value)?, flat(y), flat(&g));
                let grad = grad.map_err(failed("opaque call"))?;
                split(args, earlier, &array(&[grad.len()], grad), emit);
            }
            Op::Custom(node, args) => {
                let grad = node.pullback(&gather(args, &value)?, flat(y), flat(&g));
                let grad = grad.map_err(failed("custom-VJP call"))?;
                split(args, earlier, &array(&[grad.len()], grad), emit);
            }
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

/// The concatenation of the operands' flattened values: a callback node's `x`. The args
/// may repeat one var any number of times, so the length is checked and the memory
/// allocated fallibly.
fn gather<'v>(
    args: &[usize],
    value_of: &dyn Fn(usize) -> &'v ArrayD<f64>,
) -> Result<Vec<f64>, TapeError> {
    let n = total_len(args.iter().map(|&i| value_of(i).len()), "call")?;
    let mut x = with_capacity(n, "x, the concatenated arguments")?;
    for &i in args {
        x.extend_from_slice(flat(value_of(i)));
    }
    Ok(x)
}

/// Splits a flat gradient over the operands, in their shapes, skipping inactive ones.
fn split(
    args: &[usize],
    earlier: &[Node],
    g: &ArrayD<f64>,
    emit: &mut dyn FnMut(usize, ArrayD<f64>),
) {
    let mut offset = 0;
    for &i in args {
        let node = &earlier[i];
        if node.active {
            emit(i, shape::concat_piece(g, offset, node.value.shape()));
        }
        offset += node.value.len();
    }
}

/// One entry of the tape.
pub(crate) struct Node {
    /// The value at the current primal point (row-major).
    pub value: ArrayD<f64>,
    /// How it was made.
    pub op: Op,
    /// Whether it depends on an input; only such nodes receive gradients or are replayed.
    pub active: bool,
}

impl Drop for Node {
    /// Gives a large value's buffer back to the thread ([`spare`]).
    fn drop(&mut self) {
        if self.value.len() >= spare::SMALLEST {
            let empty = ArrayD::from_shape_vec(ndarray::IxDyn(&[0]), Vec::new());
            if let Ok(empty) = empty {
                spare::give_array(std::mem::replace(&mut self.value, empty));
            }
        }
    }
}
