//! The tape itself and recording: every op evaluates at once and appends one node.
//!
//! A record either succeeds and appends exactly one node, or fails and appends nothing.

use super::custom::{Custom, Vjp};
use super::error::{Phase, TapeError};
use super::node::{Node, Op};
use super::opaque::Opaque;
use super::ops::binary::BinaryOp;
use super::ops::reduce::ReduceOp;
use super::ops::unary::UnaryOp;
use super::spare;
use super::value::{array, check_finite, element_count, standard};
use super::var::{next_serial, Var};
use crate::fd::{Function, Options};
use ndarray::ArrayD;

/// The nodes a tape makes room for at its first record.
const FIRST_NODES: usize = 16;

/// A reverse-mode tape: values and the ops that made them, in recording order.
///
/// Record inputs and ops (each returns a [`Var`]), then [`Tape::backward`] from an output
/// and read [`Tape::grad`] of each input. [`Tape::set_input`] and [`Tape::forward`] replay
/// the same ops at new inputs without recording again; [`Tape::clear`] empties the tape.
pub struct Tape {
    /// This tape's current serial, carried by every var it issues (see [`Var`]).
    pub(crate) serial: u32,
    pub(crate) nodes: Vec<Node>,
    /// The adjoints left by the last backward, by node index (`Some` only for inputs);
    /// `None` when there was no backward since the last recording state change that
    /// invalidates it (replay, set_input, clear).
    pub(crate) grads: Option<Vec<Option<ArrayD<f64>>>>,
    /// Whether an input changed since the last replay, so the other values are stale.
    pub(crate) stale: bool,
}

impl Default for Tape {
    fn default() -> Self {
        Self::new()
    }
}

impl Tape {
    /// An empty tape.
    pub fn new() -> Self {
        Self {
            serial: next_serial(),
            nodes: Vec::new(),
            grads: None,
            stale: false,
        }
    }

    /// Empties the tape for reuse; every var issued so far becomes unknown to it, and the
    /// callbacks it kept are dropped.
    pub fn clear(&mut self) {
        self.serial = next_serial();
        self.nodes.clear();
        self.grads = None;
        self.stale = false;
    }

    /// The number of recorded nodes.
    pub fn len(&self) -> usize {
        self.nodes.len()
    }

    /// Whether nothing is recorded.
    pub fn is_empty(&self) -> bool {
        self.nodes.is_empty()
    }

    /// The node index a var names, or why it names none on this tape.
    pub(crate) fn index(&self, v: Var) -> Result<usize, TapeError> {
        let reason = if v.raw() == 0 {
            "0 is never a variable".to_string()
        } else if v.serial() != self.serial {
            "it belongs to another tape, or was issued before the tape was cleared".to_string()
        } else if v.index() >= self.nodes.len() {
            format!("this tape has only {} nodes", self.nodes.len())
        } else {
            return Ok(v.index());
        };
        Err(TapeError::UnknownVar {
            id: v.raw(),
            reason,
        })
    }

    /// The node index of an input var; any other var is "{v} is {what}, not an
    /// input{why}".
    pub(crate) fn input_index(&self, v: Var, why: &str) -> Result<usize, TapeError> {
        let i = self.index(v)?;
        match &self.nodes[i].op {
            Op::Input => Ok(i),
            op => Err(TapeError::InvalidArgument(format!(
                "{v} is {}, not an input{why}",
                op.describe()
            ))),
        }
    }

    /// The value of a var (row-major, with its shape).
    pub fn value(&self, v: Var) -> Result<&ArrayD<f64>, TapeError> {
        Ok(&self.nodes[self.index(v)?].value)
    }

    /// Records a differentiable input. Its values must be finite.
    pub fn input(&mut self, value: ArrayD<f64>) -> Result<Var, TapeError> {
        self.leaf(value, Op::Input, "input")
    }

    /// Records a vector input.
    pub fn input_slice(&mut self, x: &[f64]) -> Result<Var, TapeError> {
        self.input(array(&[x.len()], spare::copy(x)))
    }

    /// Records a constant: a value that takes part in ops but gets no gradient. Its values
    /// must be finite.
    pub fn constant(&mut self, value: ArrayD<f64>) -> Result<Var, TapeError> {
        self.leaf(value, Op::Constant, "constant")
    }

    /// Records a vector constant.
    pub fn constant_slice(&mut self, x: &[f64]) -> Result<Var, TapeError> {
        self.constant(array(&[x.len()], x.to_vec()))
    }

    /// Records a scalar (shape `[]`) constant.
    pub fn scalar(&mut self, x: f64) -> Result<Var, TapeError> {
        self.constant(array(&[], vec![x]))
    }

    fn leaf(&mut self, value: ArrayD<f64>, op: Op, what: &str) -> Result<Var, TapeError> {
        let value = standard(value);
        element_count(value.shape(), what)?;
        check_finite(what, value.as_slice().unwrap_or_default())?;
        let active = matches!(op, Op::Input);
        self.push(Node { value, op, active })
    }

    /// Appends a node, issuing its var.
    fn push(&mut self, node: Node) -> Result<Var, TapeError> {
        let index = u32::try_from(self.nodes.len())
            .ok()
            .filter(|&i| i < u32::MAX)
            .ok_or_else(|| {
                TapeError::InvalidArgument(format!(
                    "the tape is full ({} nodes); clear it",
                    self.nodes.len()
                ))
            })?;
        if self.nodes.capacity() == 0 {
            // Room for a short tape at once: growing 4 -> 8 -> 16 moved every node twice
            // (issue 15: the per-node cost of a tape of length 10).
            self.nodes.reserve(FIRST_NODES);
        }
        self.nodes.push(node);
        Ok(Var::new(self.serial, index))
    }

    /// Records an op over existing vars: checks the vars and shapes, evaluates, appends.
    fn record(&mut self, op: Op) -> Result<Var, TapeError> {
        if self.stale {
            return Err(TapeError::InvalidArgument(format!(
                "cannot record {}: inputs were set since the last forward (replay) and the \
                 other values are stale; call forward first",
                op.describe()
            )));
        }
        let nodes = &self.nodes;
        op.check(&|i| nodes[i].value.shape())?;
        let index = nodes.len();
        let value = op.evaluate(index, Phase::Record, &|i| &nodes[i].value)?;
        let active = op.operands().iter().any(|&i| nodes[i].active);
        self.push(Node { value, op, active })
    }

    fn indices<const K: usize>(&self, vars: [Var; K]) -> Result<[usize; K], TapeError> {
        let mut out = [0; K];
        for (o, v) in out.iter_mut().zip(vars) {
            *o = self.index(v)?;
        }
        Ok(out)
    }

    fn index_list(&self, vars: &[Var]) -> Result<Vec<usize>, TapeError> {
        vars.iter().map(|&v| self.index(v)).collect()
    }

    /// Records `op(a)` elementwise.
    pub fn unary(&mut self, op: UnaryOp, a: Var) -> Result<Var, TapeError> {
        let a = self.indices([a])?;
        self.record(Op::Unary(op, a))
    }

    /// Records `a op b` elementwise; a scalar (shape `[]`) operand is broadcast.
    pub fn binary(&mut self, op: BinaryOp, a: Var, b: Var) -> Result<Var, TapeError> {
        let ab = self.indices([a, b])?;
        self.record(Op::Binary(op, ab))
    }

    /// Records the reduction of `a` to a scalar.
    pub fn reduce(&mut self, op: ReduceOp, a: Var) -> Result<Var, TapeError> {
        let a = self.indices([a])?;
        self.record(Op::Reduce(op, a))
    }

    /// Records `a^p` elementwise for a fixed, finite exponent `p`.
    pub fn pow_scalar(&mut self, a: Var, p: f64) -> Result<Var, TapeError> {
        let a = self.indices([a])?;
        if !p.is_finite() {
            return Err(TapeError::InvalidArgument(format!("p = {p} is not finite")));
        }
        self.record(Op::PowScalar(p, a))
    }

    /// Records the inner product of two arrays of the same shape (a scalar).
    pub fn dot(&mut self, a: Var, b: Var) -> Result<Var, TapeError> {
        let ab = self.indices([a, b])?;
        self.record(Op::Dot(ab))
    }

    /// Records `a b` for a 2-D `a` and a 2-D or 1-D `b`.
    pub fn matmul(&mut self, a: Var, b: Var) -> Result<Var, TapeError> {
        let ab = self.indices([a, b])?;
        self.record(Op::Matmul(ab))
    }

    /// Records `a` under a new shape with the same number of elements (row-major order).
    pub fn reshape(&mut self, a: Var, shape: &[usize]) -> Result<Var, TapeError> {
        let a = self.indices([a])?;
        self.record(Op::Reshape(shape.to_vec(), a))
    }

    /// Records elements `start..start + len` of the flattened `a`, as a vector.
    pub fn slice(&mut self, a: Var, start: usize, len: usize) -> Result<Var, TapeError> {
        let operand = self.indices([a])?;
        self.record(Op::Slice {
            start,
            len,
            operand,
        })
    }

    /// Records the concatenation of the flattened vars, as a vector.
    pub fn concat(&mut self, vars: &[Var]) -> Result<Var, TapeError> {
        let args = self.index_list(vars)?;
        self.record(Op::Concat(args))
    }

    /// Records an opaque function `y = f(x)` (`m` outputs) of the concatenation `x` of the
    /// flattened args, differentiated by finite differences with `options`. `f` is called
    /// once now, again at each replay, and `n` or more times (per `options`) at the first
    /// pull-back at each point. The result is a vector of length `m`.
    pub fn call(
        &mut self,
        f: Box<dyn Function>,
        args: &[Var],
        m: usize,
        options: Options,
    ) -> Result<Var, TapeError> {
        let args = self.index_list(args)?;
        self.record(Op::Opaque(Box::new(Opaque::new(f, m, options)), args))
    }

    /// Records a function `y = f(x)` (`m` outputs) of the concatenated args whose adjoint
    /// `vjp` the caller supplies. `f` is called once now and at each replay; `vjp` at each
    /// pull-back.
    pub fn call_vjp(
        &mut self,
        f: Box<dyn Function>,
        vjp: Box<dyn Vjp>,
        args: &[Var],
        m: usize,
    ) -> Result<Var, TapeError> {
        let args = self.index_list(args)?;
        self.record(Op::Custom(Box::new(Custom::new(f, vjp, m)), args))
    }

    /// Bytes the recorded nodes hold: the node entries, their values' data and shapes, and
    /// each op's own heap (operand lists, callbacks, Jacobian caches).
    pub fn bytes(&self) -> usize {
        let shape_heap = |v: &ArrayD<f64>| {
            // IxDyn keeps up to 4 dimensions inline; longer shapes live on the heap.
            if v.ndim() > 4 {
                v.ndim() * std::mem::size_of::<usize>()
            } else {
                0
            }
        };
        self.nodes.capacity() * std::mem::size_of::<Node>()
            + self
                .nodes
                .iter()
                .map(|n| n.value.len() * 8 + shape_heap(&n.value) + n.op.heap_bytes())
                .sum::<usize>()
    }
}
