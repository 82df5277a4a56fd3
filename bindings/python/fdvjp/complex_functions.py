"""Finite differences of complex functions f: C^n -> C^m on complex128 arrays, holomorphic
or not (the real and imaginary direction of each input are differenced separately).

VJP convention (ChainRules): grad_j = sum_i conj(A_ij) v_i + B_ij conj(v_i) with the
Wirtinger derivatives A = df/dz, B = df/dconj(z); J^H v for holomorphic f. JAX's VJP is
conj(complex_vjp(f, z, conj(c))).
"""

import numpy as np

from . import _library
from .callback import Trampoline
from .callback import EXPECTED_OUTPUTS
from .derivatives import as_input, check_count, check_direction, pointer, reshape_jacobian, run
from .known import FROM_FX, known_value
from .policy import caller_dtype


def _trampoline(f, z, m, known, expected=EXPECTED_OUTPUTS):
    return Trampoline(f, z.shape, m, complex=True, known=known, expected=expected)


def _output_size(f, z):
    return int(np.size(f(z.copy())))


@caller_dtype("z", "v", result="complex")
def complex_vjp(f, z, v, config=None, fx=None, **options):
    """The complex cotangent pulled back to z (z's shape), in the convention above; `fx`
    (f's value at z, when known) saves an evaluation; a wrong one (size, dtype, a NaN or
    Inf) raises naming it before anything is evaluated."""
    z = as_input(z, np.complex128, name="z", where="fdvjp.complex_vjp")
    v = as_input(v, np.complex128, name="v", where="fdvjp.complex_vjp").reshape(-1)
    known = known_value(fx, z, v.size, "fdvjp.complex_vjp", "one per entry of v", complex=True)
    grad = np.empty(z.size, dtype=np.complex128)
    run(_library.function("fdvjp_complex_vjp"), f, z, v.size, config, options,
        pointer(v), pointer(grad), trampoline=_trampoline(f, z, v.size, known))
    return grad.reshape(z.shape)


@caller_dtype("z", "u", result="complex")
def complex_jvp(f, z, u, m=None, config=None, fx=None, **options):
    """A u + B conj(u) (m complex entries); `fx` as in `complex_vjp` (without `m`, its
    size sets m)."""
    m = check_count(m, "fdvjp.complex_jvp")
    z = as_input(z, np.complex128, name="z", where="fdvjp.complex_jvp")
    u = as_input(u, np.complex128, name="u", where="fdvjp.complex_jvp").reshape(-1)
    check_direction(u, z, "fdvjp.complex_jvp", x_name="z")
    known = known_value(fx, z, m, "fdvjp.complex_jvp", f"m = {m}", complex=True)
    expected = FROM_FX if m is None and known is not None else EXPECTED_OUTPUTS
    if m is None:
        m = known[1].size if known is not None else _output_size(f, z)
    out = np.empty(m, dtype=np.complex128)
    run(_library.function("fdvjp_complex_jvp"), f, z, m, config, options,
        pointer(u), pointer(out), trampoline=_trampoline(f, z, m, known, expected))
    return out


@caller_dtype("z")
def complex_jacobian(f, z, m=None, config=None, **options):
    """The real (2m, 2n) Jacobian of the interleaved view: rows Re w_i, Im w_i; columns
    Re z_j, Im z_j (each 2×2 block is [[Re A, -Im A], [Im A, Re A]] for holomorphic f)."""
    m = check_count(m, "fdvjp.complex_jacobian")
    z = as_input(z, np.complex128, name="z", where="fdvjp.complex_jacobian")
    m = m if m is not None else _output_size(f, z)
    jac = np.empty(4 * m * z.size)
    cfg = run(_library.function("fdvjp_complex_jacobian"), f, z, m, config, options,
              pointer(jac), complex=True)
    return reshape_jacobian(jac, 2 * m, 2 * z.size, cfg)
