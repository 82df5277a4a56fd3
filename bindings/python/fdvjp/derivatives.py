"""`vjp`, `jvp` and `jacobian` of a Python function on numpy arrays, by finite differences."""

import numpy as np

from . import _library
from .callback import Trampoline
from .config import COL_MAJOR, resolve
from .errors import FdvjpError, check


def as_input(x, dtype=np.float64):
    """x as a contiguous float64 (or complex128) array (a private copy: fdvjp only reads it)."""
    return np.array(x, dtype=dtype, order="C", copy=True)


def pointer(a):
    """The array's data as `double *` (a complex128 array as interleaved re/im doubles)."""
    return a.ctypes.data_as(_library.c_double_p) if a.size else None


def output_shape(f, x):
    """The shape of f(x): one evaluation, for callers that did not say what m is."""
    return np.shape(f(x.copy()))


def run(entry, f, x, m, config, options, *rest, complex=False, trampoline=None):
    """Calls the C `entry(cfg, f, NULL, x, n, m, *rest)`, raising the user's exception or an
    FdvjpError on failure; returns the config used (None for the defaults). With `complex`,
    f works on complex128 arrays (an `fdvjp_cfn`); x may be real or complex (`pointer`)."""
    cfg, owned = resolve(config, options)
    trampoline = trampoline or Trampoline(f, x.shape, m, complex=complex)
    try:
        status = entry(cfg.handle if cfg else None, trampoline.c_function, None, pointer(x), x.size, m, *rest)
    finally:
        if owned:
            cfg.close()
    failure = None
    if status != 0:
        try:
            check(status)
        except FdvjpError as e:
            failure = e
    trampoline.reraise(failure)
    if cfg is not None and cfg.progress is not None:
        cfg.progress.reraise(failure)
    if failure is not None:
        raise failure
    return cfg


def vjp(f, x, v, config=None, **options):
    """grad = v^T J(x) for y = f(x): an array of x's shape.

    f takes an array of x's shape and returns an array (or scalar) of v's size; `v` is the
    cotangent of f's output. Costs 1 + 2n evaluations with central differences. Options
    are those of `Config` (or pass `config=`).
    """
    x = as_input(x)
    v = as_input(v).reshape(-1)
    grad = np.empty(x.size)
    run(_library.lib.fdvjp_vjp, f, x, v.size, config, options, pointer(v), pointer(grad))
    return grad.reshape(x.shape)


def jvp(f, x, u, m=None, config=None, **options):
    """J(x) u for y = f(x): an array of f's output shape (flat if `m` is given).

    Without `m`, f is evaluated once more to learn its output shape.
    """
    x = as_input(x)
    u = as_input(u).reshape(-1)
    if u.size != x.size:
        raise ValueError(f"fdvjp.jvp: u has {u.size} elements, x has {x.size}")
    shape = (m,) if m is not None else output_shape(f, x)
    out = np.empty(int(np.prod(shape)))
    run(_library.lib.fdvjp_jvp, f, x, out.size, config, options, pointer(u), pointer(out))
    return out.reshape(shape)


def reshape_jacobian(jac, m, n, cfg):
    """The flat C Jacobian as an (m, n) array, whatever the config's layout."""
    if cfg is not None and cfg.layout == COL_MAJOR:
        return jac.reshape((m, n), order="F")
    return jac.reshape((m, n))


def jacobian(f, x, m=None, config=None, **options):
    """The (m, n) Jacobian J[i, j] = d f_i / d x_j, f's output and x flattened in C order.

    Without `m`, f is evaluated once more to learn its output size.
    """
    x = as_input(x)
    m = m if m is not None else int(np.prod(output_shape(f, x)))
    jac = np.empty(m * x.size)
    cfg = run(_library.lib.fdvjp_jacobian, f, x, m, config, options, pointer(jac))
    return reshape_jacobian(jac, m, x.size, cfg)
