//! The tape's built-in differentiable ops: one entry point per arity with an op code
//! (`fdvjp_tape_unary`, `fdvjp_tape_binary`, `fdvjp_tape_reduce`), and named entry points for
//! ops with parameters. Each records one node and writes its var to `*out`.

use super::contract::enum_value;
use super::export::exports;
use super::tape::{fdvjp_tape, fdvjp_var, record, vars as to_vars};
use crate::tape::{BinaryOp, ReduceOp, UnaryOp, Var};

/// Elementwise functions of one operand, for `fdvjp_tape_unary`. Forward values follow IEEE
/// arithmetic: outside a function's domain (log or sqrt of a negative, log1p below -1) the
/// value is NaN, not an error, and so is the gradient through it.
#[repr(i32)]
pub enum fdvjp_unary_op {
    /// `-x`.
    FDVJP_OP_NEG = 0,
    /// `exp(x)`.
    FDVJP_OP_EXP = 1,
    /// `log(x)`: NaN for x < 0, -inf at 0.
    FDVJP_OP_LOG = 2,
    /// `log1p(x) = log(1 + x)`: NaN for x < -1.
    FDVJP_OP_LOG1P = 3,
    /// `sqrt(x)`: NaN for x < 0; its derivative at 0 is +inf.
    FDVJP_OP_SQRT = 4,
    /// `sin(x)`.
    FDVJP_OP_SIN = 5,
    /// `cos(x)`.
    FDVJP_OP_COS = 6,
    /// `tan(x)`.
    FDVJP_OP_TAN = 7,
    /// `tanh(x)`.
    FDVJP_OP_TANH = 8,
    /// `|x|`; its subgradient at 0 is taken as 0.
    FDVJP_OP_ABS = 9,
    /// `x * x`.
    FDVJP_OP_SQUARE = 10,
}

/// Elementwise functions of two operands, for `fdvjp_tape_binary`. The operands have equal
/// shapes, or one is a scalar (shape `[]`, e.g. from `fdvjp_tape_constant_shaped` with
/// ndim 0) broadcast against the other; anything else is `FDVJP_SHAPE_MISMATCH`.
#[repr(i32)]
pub enum fdvjp_binary_op {
    /// `a + b`.
    FDVJP_OP_ADD = 0,
    /// `a - b`.
    FDVJP_OP_SUB = 1,
    /// `a * b`.
    FDVJP_OP_MUL = 2,
    /// `a / b` (division by 0 gives inf or NaN values, not an error).
    FDVJP_OP_DIV = 3,
    /// `pow(a, b)`. The derivative in a is taken as 0 where b == 0, the derivative in b as
    /// 0 where a == 0; a negative a with a non-integer b gives NaN.
    FDVJP_OP_POW = 4,
}

/// Reductions to a scalar (shape `[]`), for `fdvjp_tape_reduce`.
#[repr(i32)]
pub enum fdvjp_reduce_op {
    /// The sum of all elements.
    FDVJP_REDUCE_SUM = 0,
    /// The mean of all elements (NaN for an empty array).
    FDVJP_REDUCE_MEAN = 1,
    /// The Euclidean norm `sqrt(sum x^2)`; its subgradient at 0 is taken as 0.
    FDVJP_REDUCE_NORM2 = 2,
}

exports! {
    /// Records `op(a)` elementwise (`op` a `fdvjp_unary_op`; any other value is
    /// `FDVJP_INVALID_ARGUMENT`). The result has a's shape.
    ///
    /// # Safety
    /// `t` is NULL or a live tape; `out` NULL or writable for one var.
    fn fdvjp_tape_unary(t: *mut fdvjp_tape, op: i32, a: fdvjp_var, out: *mut fdvjp_var) |c| {
        record(c, t, out, |tape| {
            let op = enum_value(&UnaryOp::ALL, op, "op", "fdvjp_unary_op")?;
            Ok(tape.unary(op, Var::from_raw(a))?)
        })
    }

    /// Records `a op b` elementwise (`op` a `fdvjp_binary_op`), broadcasting a scalar operand.
    ///
    /// # Safety
    /// `t` is NULL or a live tape; `out` NULL or writable for one var.
    fn fdvjp_tape_binary(
        t: *mut fdvjp_tape, op: i32, a: fdvjp_var, b: fdvjp_var, out: *mut fdvjp_var,
    ) |c| {
        record(c, t, out, |tape| {
            let op = enum_value(&BinaryOp::ALL, op, "op", "fdvjp_binary_op")?;
            Ok(tape.binary(op, Var::from_raw(a), Var::from_raw(b))?)
        })
    }

    /// Records the reduction of all of a's elements to a scalar (`op` a `fdvjp_reduce_op`).
    ///
    /// # Safety
    /// `t` is NULL or a live tape; `out` NULL or writable for one var.
    fn fdvjp_tape_reduce(t: *mut fdvjp_tape, op: i32, a: fdvjp_var, out: *mut fdvjp_var) |c| {
        record(c, t, out, |tape| {
            let op = enum_value(&ReduceOp::ALL, op, "op", "fdvjp_reduce_op")?;
            Ok(tape.reduce(op, Var::from_raw(a))?)
        })
    }

    /// Records `pow(a, p)` elementwise for a fixed finite exponent `p` (the derivative is
    /// taken as 0 when p == 0).
    ///
    /// # Safety
    /// `t` is NULL or a live tape; `out` NULL or writable for one var.
    fn fdvjp_tape_pow_scalar(t: *mut fdvjp_tape, a: fdvjp_var, p: f64, out: *mut fdvjp_var) |c| {
        record(c, t, out, |tape| Ok(tape.pow_scalar(Var::from_raw(a), p)?))
    }

    /// Records the inner product `sum_i a_i b_i` of two arrays of the same shape (a scalar).
    ///
    /// # Safety
    /// `t` is NULL or a live tape; `out` NULL or writable for one var.
    fn fdvjp_tape_dot(t: *mut fdvjp_tape, a: fdvjp_var, b: fdvjp_var, out: *mut fdvjp_var) |c| {
        record(c, t, out, |tape| {
            Ok(tape.dot(Var::from_raw(a), Var::from_raw(b))?)
        })
    }

    /// Records the matrix product of a 2-D `a` of shape `[m, k]` with a 2-D `b` of shape
    /// `[k, n]` (giving `[m, n]`) or a vector `b` of shape `[k]` (a matrix-vector product giving
    /// `[m]`). Row-major: `a[i*k + j]`.
    ///
    /// # Safety
    /// `t` is NULL or a live tape; `out` NULL or writable for one var.
    fn fdvjp_tape_matmul(t: *mut fdvjp_tape, a: fdvjp_var, b: fdvjp_var, out: *mut fdvjp_var) |c| {
        record(c, t, out, |tape| {
            Ok(tape.matmul(Var::from_raw(a), Var::from_raw(b))?)
        })
    }

    /// Records `a` under the shape `shape[0..ndim]`, which must hold the same number of
    /// elements (row-major order is kept; ndim 0 is a scalar).
    ///
    /// # Safety
    /// `t` is NULL or a live tape; `shape` NULL or readable for ndim sizes; `out` NULL or
    /// writable for one var.
    fn fdvjp_tape_reshape(
        t: *mut fdvjp_tape, a: fdvjp_var, shape: *const usize, ndim: usize, out: *mut fdvjp_var,
    ) |c| {
        record(c, t, out, |tape| {
            let shape = c.input(shape, ndim, "shape", "ndim")?;
            Ok(tape.reshape(Var::from_raw(a), shape)?)
        })
    }

    /// Records elements `start .. start + len` of the flattened (row-major) `a`, as a vector
    /// of length `len`; the range must lie inside a.
    ///
    /// # Safety
    /// `t` is NULL or a live tape; `out` NULL or writable for one var.
    fn fdvjp_tape_slice(
        t: *mut fdvjp_tape, a: fdvjp_var, start: usize, len: usize, out: *mut fdvjp_var,
    ) |c| {
        record(c, t, out, |tape| {
            Ok(tape.slice(Var::from_raw(a), start, len)?)
        })
    }

    /// Records the concatenation of the flattened `vars[0..count]`, as a vector.
    ///
    /// # Safety
    /// `t` is NULL or a live tape; `vars` NULL or readable for count vars; `out` NULL or
    /// writable for one var.
    fn fdvjp_tape_concat(
        t: *mut fdvjp_tape, vars: *const fdvjp_var, count: usize, out: *mut fdvjp_var,
    ) |c| {
        record(c, t, out, |tape| {
            let ids = c.input(vars, count, "vars", "count")?;
            Ok(tape.concat(&to_vars(ids))?)
        })
    }
}
