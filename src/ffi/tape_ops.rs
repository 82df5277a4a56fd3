//! The tape's built-in differentiable ops: one entry point per arity with an op code
//! (`fdvjp_tape_unary`, `fdvjp_tape_binary`, `fdvjp_tape_reduce`), and named entry points for
//! ops with parameters. Each records one node and writes its var to `*out`.

use super::enums::CEnum;
use super::export::exports;
use super::tape::{fdvjp_tape, fdvjp_var, naming, naming_in, record, vars as to_vars};
use crate::tape::{BinaryOp, ReduceOp, UnaryOp, Var};

exports! {
    /// Records `op(a)` elementwise (`op` a `fdvjp_unary_op`; any other value is
    /// `FDVJP_INVALID_ARGUMENT`). The result has a's shape.
    ///
    /// # Safety
    /// `t` is NULL or a live tape; `out` NULL or writable for one var.
    fn fdvjp_tape_unary(t: *mut fdvjp_tape, op: i32, a: fdvjp_var, out: *mut fdvjp_var) |c| {
        record(c, t, out, |tape| {
            let op = UnaryOp::from_argument(op, "op")?;
            tape.unary(op, Var::from_raw(a)).map_err(naming(&[("a", a)]))
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
            let op = BinaryOp::from_argument(op, "op")?;
            tape.binary(op, Var::from_raw(a), Var::from_raw(b))
                .map_err(naming(&[("a", a), ("b", b)]))
        })
    }

    /// Records the reduction of all of a's elements to a scalar (`op` a `fdvjp_reduce_op`).
    ///
    /// # Safety
    /// `t` is NULL or a live tape; `out` NULL or writable for one var.
    fn fdvjp_tape_reduce(t: *mut fdvjp_tape, op: i32, a: fdvjp_var, out: *mut fdvjp_var) |c| {
        record(c, t, out, |tape| {
            let op = ReduceOp::from_argument(op, "op")?;
            tape.reduce(op, Var::from_raw(a)).map_err(naming(&[("a", a)]))
        })
    }

    /// Records `pow(a, p)` elementwise for a fixed finite exponent `p` (the derivative is
    /// taken as 0 when p == 0).
    ///
    /// # Safety
    /// `t` is NULL or a live tape; `out` NULL or writable for one var.
    fn fdvjp_tape_pow_scalar(t: *mut fdvjp_tape, a: fdvjp_var, p: f64, out: *mut fdvjp_var) |c| {
        record(c, t, out, |tape| {
            tape.pow_scalar(Var::from_raw(a), p).map_err(naming(&[("a", a)]))
        })
    }

    /// Records the inner product `sum_i a_i b_i` of two arrays of the same shape (a scalar).
    ///
    /// # Safety
    /// `t` is NULL or a live tape; `out` NULL or writable for one var.
    fn fdvjp_tape_dot(t: *mut fdvjp_tape, a: fdvjp_var, b: fdvjp_var, out: *mut fdvjp_var) |c| {
        record(c, t, out, |tape| {
            tape.dot(Var::from_raw(a), Var::from_raw(b))
                .map_err(naming(&[("a", a), ("b", b)]))
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
            tape.matmul(Var::from_raw(a), Var::from_raw(b))
                .map_err(naming(&[("a", a), ("b", b)]))
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
            tape.reshape(Var::from_raw(a), shape).map_err(naming(&[("a", a)]))
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
            tape.slice(Var::from_raw(a), start, len).map_err(naming(&[("a", a)]))
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
            tape.concat(&to_vars(ids)).map_err(naming_in("vars", ids))
        })
    }
}
