"""Batch functions: f evaluates k points at once, as a (k, n) array of points giving a
(k, m) array of values, so it can vectorize with numpy or hand the points to a GPU, MPI
ranks or a cluster queue. The config's `batch_size` bounds k."""

import numpy as np

from . import _library
from .derivatives import as_input, pointer, reshape_jacobian, run


class BatchTrampoline:
    """Wraps `f((k, n) array) -> (k, m) values` as an `fdvjp_batch_fn`."""

    def __init__(self, f, in_shape, out_size):
        self.f = f
        self.in_shape = tuple(in_shape)
        self.out_size = out_size
        self.error = None
        self.c_function = _library.BATCH_FUNCTION(self._call)

    def _call(self, _user, xs, n, k, ys, m):
        try:
            points = np.ctypeslib.as_array(xs, shape=(k * n,)).copy() if k * n else np.zeros(0)
            out = np.asarray(self.f(points.reshape((k,) + self.in_shape)), dtype=np.float64).reshape(-1)
            if out.size != k * m:
                raise ValueError(f"fdvjp: the batch function returned {out.size} values for {k} points "
                                 f"of {m} outputs ({k * m} expected)")
            if k * m:
                np.ctypeslib.as_array(ys, shape=(k * m,))[:] = out
            return 0
        except BaseException as e:  # noqa: BLE001 - nothing may cross the C boundary
            if self.error is None:
                self.error = e
            return 1

    def reraise(self, failure=None):
        from .callback import Trampoline

        Trampoline.reraise(self, failure)


def vjp_batch(f, x, v, config=None, **options):
    """`vjp` with a batch function f((k,) + x.shape) -> (k, m)."""
    x = as_input(x)
    v = as_input(v).reshape(-1)
    grad = np.empty(x.size)
    run(_library.function("fdvjp_vjp_batch"), f, x, v.size, config, options, pointer(v), pointer(grad),
        trampoline=BatchTrampoline(f, x.shape, v.size))
    return grad.reshape(x.shape)


def jvp_batch(f, x, u, m, config=None, **options):
    """`jvp` with a batch function; m is f's number of outputs."""
    x = as_input(x)
    u = as_input(u).reshape(-1)
    out = np.empty(m)
    run(_library.function("fdvjp_jvp_batch"), f, x, m, config, options, pointer(u), pointer(out),
        trampoline=BatchTrampoline(f, x.shape, m))
    return out


def jacobian_batch(f, x, m, config=None, **options):
    """The (m, n) Jacobian with a batch function."""
    x = as_input(x)
    jac = np.empty(m * x.size)
    cfg = run(_library.function("fdvjp_jacobian_batch"), f, x, m, config, options, pointer(jac),
              trampoline=BatchTrampoline(f, x.shape, m))
    return reshape_jacobian(jac, m, x.size, cfg)
