"""Complex-step derivatives of real-analytic functions: f receives complex128 arrays
(x + i h e_j) and must use complex arithmetic throughout; the result has no subtractive
cancellation (relative error near 1e-16), at n complex evaluations for a VJP.

An f returning complex64 is accurate to float32 only: the reported error bound
(`fdvjp.last_report().error_bound`) is then widened to float32's precision (NaN for a
JVP), and points float32 cannot hold are refused (`complex_precision`)."""

import numpy as np

from . import _library
from .complex_precision import Observed
from .derivatives import as_input, check_count, check_direction, pointer, reshape_jacobian, run
from .policy import caller_dtype


def _output_size(f, x):
    return int(np.size(f(x.astype(np.complex128))))


@caller_dtype("x", "v")
def vjp_complex_step(f, x, v, config=None, **options):
    """v^T J(x) (x's shape) by complex step."""
    x = as_input(x, where="fdvjp.vjp_complex_step")
    v = as_input(v, name="v", where="fdvjp.vjp_complex_step").reshape(-1)
    g = Observed(f, "fdvjp.vjp_complex_step", weights=np.abs(v))
    grad = np.empty(x.size)
    with g.explaining():
        run(_library.function("fdvjp_vjp_complex_step"), g, x, v.size, config, options,
            pointer(v), pointer(grad), complex=True)
    g.publish()
    return grad.reshape(x.shape)


@caller_dtype("x", "u")
def jvp_complex_step(f, x, u, m=None, config=None, **options):
    """J(x) u (m entries) by one complex evaluation; without `m`, f is evaluated once more."""
    m = check_count(m, "fdvjp.jvp_complex_step")
    x = as_input(x, where="fdvjp.jvp_complex_step")
    u = check_direction(as_input(u, name="u", where="fdvjp.jvp_complex_step").reshape(-1), x,
                        "fdvjp.jvp_complex_step")
    g = Observed(f, "fdvjp.jvp_complex_step", bounded=False)
    m = m if m is not None else _output_size(g, x)
    out = np.empty(m)
    with g.explaining():
        run(_library.function("fdvjp_jvp_complex_step"), g, x, m, config, options,
            pointer(u), pointer(out), complex=True)
    g.publish()
    return out


@caller_dtype("x")
def jacobian_complex_step(f, x, m=None, config=None, **options):
    """The (m, n) Jacobian by complex step (n complex evaluations)."""
    m = check_count(m, "fdvjp.jacobian_complex_step")
    x = as_input(x, where="fdvjp.jacobian_complex_step")
    g = Observed(f, "fdvjp.jacobian_complex_step")
    m = m if m is not None else _output_size(g, x)
    jac = np.empty(m * x.size)
    with g.explaining():
        cfg = run(_library.function("fdvjp_jacobian_complex_step"), g, x, m, config, options,
                  pointer(jac), complex=True)
    g.publish()
    return reshape_jacobian(jac, m, x.size, cfg)
