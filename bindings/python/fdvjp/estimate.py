"""Derivatives with error estimates: Richardson extrapolation of central differences
(`fdvjp_*_estimate`, 1 + 14n evaluations for a VJP or Jacobian, 15 for a JVP)."""

import numpy as np

from . import _library
from .derivatives import as_input, check_count, check_direction, output_shape, pointer, reshape_jacobian, run
from .policy import caller_dtype


@caller_dtype("x", "v")
def vjp_estimate(f, x, v, config=None, **options):
    """(grad, err): v^T J(x) and an estimate of each entry's absolute error (x's shape)."""
    x = as_input(x, where="fdvjp.vjp_estimate")
    v = as_input(v, name="v", where="fdvjp.vjp_estimate").reshape(-1)
    grad, err = np.empty(x.size), np.empty(x.size)
    run(_library.function("fdvjp_vjp_estimate"), f, x, v.size, config, options,
        pointer(v), pointer(grad), pointer(err))
    return grad.reshape(x.shape), err.reshape(x.shape)


@caller_dtype("x", "u")
def jvp_estimate(f, x, u, m=None, config=None, **options):
    """(J(x) u, err), shaped as f's output (flat if `m` is given)."""
    m = check_count(m, "fdvjp.jvp_estimate")
    x = as_input(x, where="fdvjp.jvp_estimate")
    u = as_input(u, name="u", where="fdvjp.jvp_estimate").reshape(-1)
    check_direction(u, x, "fdvjp.jvp_estimate")
    shape = (m,) if m is not None else output_shape(f, x)
    size = int(np.prod(shape))
    out, err = np.empty(size), np.empty(size)
    run(_library.function("fdvjp_jvp_estimate"), f, x, size, config, options,
        pointer(u), pointer(out), pointer(err))
    return out.reshape(shape), err.reshape(shape)


@caller_dtype("x")
def jacobian_estimate(f, x, m=None, config=None, **options):
    """(J, err): the (m, n) Jacobian and the estimate of each entry's absolute error."""
    m = check_count(m, "fdvjp.jacobian_estimate")
    x = as_input(x, where="fdvjp.jacobian_estimate")
    m = m if m is not None else int(np.prod(output_shape(f, x)))
    jac, err = np.empty(m * x.size), np.empty(m * x.size)
    cfg = run(_library.function("fdvjp_jacobian_estimate"), f, x, m, config, options,
              pointer(jac), pointer(err))
    return reshape_jacobian(jac, m, x.size, cfg), reshape_jacobian(err, m, x.size, cfg)
