"""Batch functions: f evaluates k points at once, as a (k, n) array of points giving a
(k, m) array of values, so it can vectorize with numpy or hand the points to a GPU, MPI
ranks or a cluster queue. The config's `batch_size` bounds k.

`ExecutorBatch` turns a one-point function and any `concurrent.futures.Executor` into such
a batch function: the points of a batch are submitted together and collected in order, so
the result is bit-identical to a serial run (fdvjp's arithmetic does not depend on who
evaluates f or in which order)."""

import numpy as np

from . import _library
from .callback import EXPECTED_OUTPUTS, as_values, reuse
from .derivatives import as_input, check_count, check_direction, pointer, reshape_jacobian, run
from .policy import caller_dtype


class ExecutorBatch:
    """f((k,) + in_shape points) = executor.map(f, points), stacked as (k, m) (each point's
    value flattened)."""

    def __init__(self, f, executor):
        self.f = f
        self.executor = executor

    def __call__(self, points):
        if len(points) == 1:  # f(x) alone, or a batch of one: no round trip
            values = [np.asarray(self.f(points[0]))]
        else:
            values = [np.asarray(y) for y in self.executor.map(self.f, list(points))]
        # one row per point, whatever f's own output shape ((k, m) is what fdvjp reads)
        return np.stack(values).reshape(len(points), -1)


class BatchTrampoline:
    """Wraps `f((k, n) array) -> (k, m) values` as an `fdvjp_batch_fn`; `known` as in
    `Trampoline` (a point equal to x0 is not evaluated again)."""

    def __init__(self, f, in_shape, out_size, known=None, expected=EXPECTED_OUTPUTS):
        self.f = f
        self.expected = expected
        self.in_shape = tuple(in_shape)
        self.out_size = out_size
        self.known = known
        self.dtype = np.float64
        self.error = None
        self.c_function = _library.BATCH_FUNCTION(self._call)

    def _call(self, _user, xs, n, k, ys, m):
        try:
            points = np.ctypeslib.as_array(xs, shape=(k * n,)).copy() if k * n else np.zeros(0)
            points = points.reshape((k,) + self.in_shape)
            out = np.empty((k, m))
            todo = list(range(k))
            if self.known is not None:
                for p in range(k):
                    y = reuse(self, points[p])
                    if y is not None:
                        out[p] = y.reshape(-1) if y.size == m else self._size_error(y.size, 1, m)
                        todo.remove(p)
                        break
            if todo:
                raw = self.f(points[todo])
                values = as_values(raw, np.float64)
                if values.size != len(todo) * m:
                    self._size_error(values.size, len(todo), m)
                self._check_shape(np.shape(raw), len(todo), m)
                out[todo] = values.reshape(len(todo), m)
            if k * m:
                np.ctypeslib.as_array(ys, shape=(k * m,))[:] = out.reshape(-1)
            return 0
        except BaseException as e:  # noqa: BLE001 - nothing may cross the C boundary
            if self.error is None:
                self.error = e
            return 1

    @staticmethod
    def _check_shape(shape, k, m):
        """The values of k points must be (k, m), one row per point ((k,) too when m = 1):
        a transposed (m, k) array has the right size and was read row by row as k rows,
        mixing the points' values (wrong derivatives, silently, once k > 1)."""
        if shape == (k, m) or (m == 1 and shape == (k,)):
            return
        also = f" or ({k},)" if m == 1 else ""
        hint = " (it looks transposed: one row per point, one column per output)" if shape == (m, k) else ""
        raise ValueError(f"fdvjp: the batch function returned an array of shape {shape} for {k} "
                         f"point{'' if k == 1 else 's'} of {m} output{'' if m == 1 else 's'}; expected shape "
                         f"({k}, {m}){also}{hint}")

    def _size_error(self, size, k, m):
        raise ValueError(f"fdvjp: the batch function returned {size} values for {k} points "
                         f"of {m} outputs ({k * m} expected; {self.expected})")

    def reraise(self, failure=None):
        from .callback import Trampoline

        Trampoline.reraise(self, failure)


@caller_dtype("x", "v")
def vjp_batch(f, x, v, config=None, **options):
    """`vjp` with a batch function f((k,) + x.shape) -> (k, m)."""
    x = as_input(x, where="fdvjp.vjp_batch")
    v = as_input(v, name="v", where="fdvjp.vjp_batch").reshape(-1)
    grad = np.empty(x.size)
    run(_library.function("fdvjp_vjp_batch"), f, x, v.size, config, options, pointer(v), pointer(grad),
        trampoline=BatchTrampoline(f, x.shape, v.size))
    return grad.reshape(x.shape)


@caller_dtype("x", "u")
def jvp_batch(f, x, u, m, config=None, **options):
    """`jvp` with a batch function; m is f's number of outputs."""
    m = check_count(m, "fdvjp.jvp_batch", required=True)
    x = as_input(x, where="fdvjp.jvp_batch")
    u = check_direction(as_input(u, name="u", where="fdvjp.jvp_batch").reshape(-1), x, "fdvjp.jvp_batch")
    out = np.empty(m)
    run(_library.function("fdvjp_jvp_batch"), f, x, m, config, options, pointer(u), pointer(out),
        trampoline=BatchTrampoline(f, x.shape, m))
    return out


@caller_dtype("x")
def jacobian_batch(f, x, m, config=None, **options):
    """The (m, n) Jacobian with a batch function."""
    m = check_count(m, "fdvjp.jacobian_batch", required=True)
    x = as_input(x, where="fdvjp.jacobian_batch")
    jac = np.empty(m * x.size)
    cfg = run(_library.function("fdvjp_jacobian_batch"), f, x, m, config, options, pointer(jac),
              trampoline=BatchTrampoline(f, x.shape, m))
    return reshape_jacobian(jac, m, x.size, cfg)
