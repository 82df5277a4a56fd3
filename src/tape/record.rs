//! The tape itself and recording: every op evaluates at once and appends one node.
//!
//! A record either succeeds and appends exactly one node, or fails and appends nothing.

use super::backward::Adjoints;
use super::custom::{Custom, Vjp};
use super::dims::{to_array, Dims};
use super::error::{Phase, TapeError};
use super::node::{Depends, Node, Op};
use super::opaque::Opaque;
use super::replay::ReplayArena;
use super::spare;
use super::value::{check_finite, element_count, reserve};
use super::var::{next_serial, Var};
use crate::fd::{Function, Options};
use ndarray::ArrayD;

/// The nodes a tape makes room for at its first record.
const FIRST_NODES: usize = 16;
/// A first value of at most this many elements makes room for [`FIRST_NODES`] such values.
const FIRST_ROOM: usize = 1024;

/// A reverse-mode tape: values and the ops that made them, in recording order.
///
/// Record inputs and ops (each returns a [`Var`]), then [`Tape::backward`] from an output
/// and read [`Tape::grad`] of each input. [`Tape::set_input`] and [`Tape::forward`] replay
/// the same ops at new inputs without recording again; [`Tape::clear`] empties the tape.
///
/// Memory: every value lies in one arena, one after another (a sin's or cos's followed by
/// its derivative, `Node::span`); a backward pass keeps an
/// arena of adjoints as long (and the inputs' gradients), a replay a second arena of
/// values, each reused by the next pass, so passes after the first allocate nothing for
/// built-in ops (issue 15). Arenas above 32 MiB are given back after each pass.
pub struct Tape {
    /// This tape's current serial, carried by every var it issues (see [`Var`]).
    pub(crate) serial: u32,
    pub(crate) nodes: Vec<Node>,
    /// Every node's value, one after another (see [`Node::range`]), in the first `used`
    /// elements; beyond them, memory written before (by an earlier tape on the thread,
    /// or a record that failed) waits to be written again, so no value is zero-filled
    /// only to be overwritten.
    pub(crate) values: Vec<f64>,
    /// The elements of `values` that hold the nodes' values.
    pub(crate) used: usize,
    /// The adjoints of a backward pass and the gradients of the last one.
    pub(crate) backward: Adjoints,
    /// The arena a replay evaluates into.
    pub(crate) replay: ReplayArena,
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
        let (mut kept, [values, adjoints]) = spare::take_for_tape();
        Self {
            serial: next_serial(),
            nodes: std::mem::take(&mut kept.nodes),
            values,
            used: 0,
            backward: Adjoints::new(&mut kept, adjoints),
            replay: ReplayArena::default(),
            stale: false,
        }
    }

    /// An empty tape that takes nothing from the thread's spare arenas: what a freed
    /// tape's handle holds while the library keeps its memory (`src/ffi/retired.rs`), so
    /// that a retired handle never keeps arenas another tape could use.
    pub(crate) fn bare() -> Self {
        Self {
            serial: next_serial(),
            nodes: Vec::new(),
            values: Vec::new(),
            used: 0,
            backward: Adjoints::new(&mut spare::Bookkeeping::default(), Vec::new()),
            replay: ReplayArena::default(),
            stale: false,
        }
    }

    /// Empties the tape for reuse; every var issued so far becomes unknown to it, and the
    /// callbacks it kept are dropped.
    pub fn clear(&mut self) {
        self.serial = next_serial();
        self.nodes.clear();
        self.used = 0;
        self.backward.invalidate();
        self.replay.clear();
        self.stale = false;
    }

    /// Clears the tape ([`Tape::clear`]) for a later reuse as a new tape, and says whether
    /// it is small enough to be kept whole for that: its arenas hold at most
    /// [`spare::KEEP_WHOLE`] doubles and its bookkeeping is small (a larger tape is
    /// dropped, giving its arenas to [`spare`] under that module's bounds).
    pub(crate) fn recycle(&mut self) -> bool {
        self.clear();
        let arenas = [
            self.values.capacity(),
            self.replay.values.capacity(),
            self.backward.adjoints.capacity(),
        ];
        arenas.iter().sum::<usize>() <= spare::KEEP_WHOLE
            && self.backward.small(self.nodes.capacity())
    }

    /// The number of recorded nodes.
    pub fn len(&self) -> usize {
        self.nodes.len()
    }

    /// Whether nothing is recorded.
    pub fn is_empty(&self) -> bool {
        self.nodes.is_empty()
    }

    /// The node index a var names, or why it names none on this tape. Inline, with the
    /// message out of line: every op looks its operands up here (issue 15).
    #[inline]
    pub(crate) fn index(&self, v: Var) -> Result<usize, TapeError> {
        // A var 0 has serial 0, which no tape has.
        if v.serial() == self.serial && v.index() < self.nodes.len() {
            return Ok(v.index());
        }
        Err(self.unknown(v))
    }

    /// Why `v` names no node on this tape.
    #[cold]
    #[inline(never)]
    fn unknown(&self, v: Var) -> TapeError {
        let reason = if v.raw() == 0 {
            "0 is never a variable".to_string()
        } else if !super::var::issued(v.serial()) {
            "no tape issued it (ids come from the tape's recording calls)".to_string()
        } else if v.serial() != self.serial {
            "it belongs to another tape, or was issued before the tape was cleared".to_string()
        } else {
            format!("this tape has only {} nodes", self.nodes.len())
        };
        TapeError::UnknownVar {
            id: v.raw(),
            reason,
        }
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

    /// The value of a var (row-major, with its shape), as a new array.
    pub fn value(&self, v: Var) -> Result<ArrayD<f64>, TapeError> {
        let node = &self.nodes[self.index(v)?];
        Ok(to_array(&node.dims, &self.values[node.range()]))
    }

    /// The flat row-major value of a var, without a copy.
    pub fn data(&self, v: Var) -> Result<&[f64], TapeError> {
        Ok(&self.values[self.nodes[self.index(v)?].range()])
    }

    /// The shape of a var (`[]` for a scalar).
    pub fn shape(&self, v: Var) -> Result<&[usize], TapeError> {
        Ok(self.nodes[self.index(v)?].dims.as_slice())
    }

    /// Records a differentiable input. Its values must be finite.
    pub fn input(&mut self, value: ArrayD<f64>) -> Result<Var, TapeError> {
        self.leaf_array(value, Op::Input, "input")
    }

    /// Records a vector input.
    pub fn input_slice(&mut self, x: &[f64]) -> Result<Var, TapeError> {
        self.leaf(Dims::vector(x.len()), x, Op::Input, "input")
    }

    /// Records a constant: a value that takes part in ops but gets no gradient. Its values
    /// must be finite.
    pub fn constant(&mut self, value: ArrayD<f64>) -> Result<Var, TapeError> {
        self.leaf_array(value, Op::Constant, "constant")
    }

    /// Records a vector constant.
    pub fn constant_slice(&mut self, x: &[f64]) -> Result<Var, TapeError> {
        self.leaf(Dims::vector(x.len()), x, Op::Constant, "constant")
    }

    /// Records a scalar (shape `[]`) constant.
    pub fn scalar(&mut self, x: f64) -> Result<Var, TapeError> {
        self.leaf(Dims::scalar(), &[x], Op::Constant, "constant")
    }

    fn leaf_array(&mut self, value: ArrayD<f64>, op: Op, what: &str) -> Result<Var, TapeError> {
        element_count(value.shape(), what)?;
        let value = value.as_standard_layout();
        let data = value.as_slice().expect("standard layout");
        self.leaf(Dims::new(value.shape()), data, op, what)
    }

    /// Records a leaf of shape `dims` and values `data`. The shape's size needs no check
    /// here: `data` holds that many elements (`leaf_array` checked the shape).
    fn leaf(&mut self, dims: Dims, data: &[f64], op: Op, what: &str) -> Result<Var, TapeError> {
        let active = matches!(op, Op::Input);
        // Built before the finiteness check, with the start `room` gives (the end of the
        // values), so that the node is not read back just after it was written (see
        // `elementwise.rs`).
        let node = Node {
            start: self.used,
            len: data.len(),
            dims,
            op,
            depends: Depends::new(active),
        };
        check_finite(what, data)?;
        let (index, start) = self.room(data.len(), || format!("the {what}"))?;
        debug_assert_eq!(start, node.start);
        self.values[start..start + data.len()].copy_from_slice(data);
        Ok(self.append(index, node))
    }

    /// Makes room for one more node of `len` elements: its index and where its value
    /// starts in the arena, whose elements from there on may then be written. Nothing is
    /// recorded yet; `what` names the value if its memory is refused.
    #[inline(always)]
    pub(super) fn room(
        &mut self,
        len: usize,
        what: impl Fn() -> String,
    ) -> Result<(u32, usize), TapeError> {
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
        let start = self.used;
        if self.values.capacity() == 0 {
            self.values = spare::take_arena();
        }
        // A callback's m is the caller's: a length no memory can hold is refused here.
        let end = start
            .checked_add(len)
            .ok_or_else(|| TapeError::OutOfMemory {
                what: what(),
                elements: len,
            })?;
        if self.values.len() < end {
            // Room for a short tape of such values at once, rather than growing node by node.
            let room = if start == 0 && len <= FIRST_ROOM {
                FIRST_NODES * len
            } else {
                len
            };
            let have = self.values.len();
            if reserve(&mut self.values, (start + room).saturating_sub(have), "").is_err() {
                reserve(&mut self.values, end - have, &what())?;
            }
            self.values.resize(end, 0.0);
        }
        Ok((index, start))
    }

    /// Appends `node`, whose value [`Tape::room`] made room for (at index `index`) and
    /// which is written, and issues its var.
    #[inline(always)]
    pub(super) fn append(&mut self, index: u32, node: Node) -> Var {
        self.used = node.start + node.span();
        self.nodes.push(node);
        Var::new(self.serial, index)
    }

    /// Records an op over existing vars: checks the vars and shapes, evaluates, appends;
    /// on failure nothing is appended. Not for the unary ops, whose sin and cos keep more
    /// than their value (`Node::span`): they and the binary ops and reductions have their
    /// own paths (`elementwise.rs`).
    /// Inline: each op's entry point then has its own copy, in which the matches on the
    /// op in [`Op::check`] and [`Op::evaluate`] are resolved at compile time (issue 15).
    #[inline(always)]
    fn record(&mut self, op: Op) -> Result<Var, TapeError> {
        if self.stale {
            return Err(self.stale_record(&op));
        }
        let (dims, len) = op.check(&self.nodes)?;
        let active = op.operands().iter().any(|&i| self.nodes[i].active());
        let (index, start) = self.room(len, || format!("the result of {}", op.describe()))?;
        let node = Node {
            start,
            len,
            dims,
            op,
            depends: Depends::new(active),
        };
        let (before, rest) = self.values.split_at_mut(start);
        let at = (index as usize, Phase::Record);
        node.op
            .evaluate(at, &self.nodes, before, &mut rest[..len])?;
        Ok(self.append(index, node))
    }

    /// Why `op` cannot be recorded on a stale tape.
    #[cold]
    #[inline(never)]
    pub(super) fn stale_record(&self, op: &Op) -> TapeError {
        TapeError::InvalidArgument(format!(
            "cannot record {}: inputs were set since the last forward (replay) and the \
             other values are stale; call forward first",
            op.describe()
        ))
    }

    pub(super) fn indices<const K: usize>(&self, vars: [Var; K]) -> Result<[usize; K], TapeError> {
        let mut out = [0; K];
        for (o, v) in out.iter_mut().zip(vars) {
            *o = self.index(v)?;
        }
        Ok(out)
    }

    fn index_list(&self, vars: &[Var]) -> Result<Vec<usize>, TapeError> {
        vars.iter().map(|&v| self.index(v)).collect()
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
        self.nodes.capacity() * std::mem::size_of::<Node>()
            + self
                .nodes
                .iter()
                .map(|n| n.span() * 8 + n.dims.heap_bytes() + n.op.heap_bytes())
                .sum::<usize>()
    }
}

impl Drop for Tape {
    /// Gives the arenas and bookkeeping buffers back to the thread for the next tape
    /// ([`spare`]).
    fn drop(&mut self) {
        let mut kept = spare::Bookkeeping {
            nodes: std::mem::take(&mut self.nodes),
            ..Default::default()
        };
        let adjoints = self.backward.give(&mut kept);
        let arenas = [
            std::mem::take(&mut self.values),
            std::mem::take(&mut self.replay.values),
            adjoints,
        ];
        spare::give_from_tape(kept, arenas);
    }
}
