"""The complex-step entry points refuse an f that is visibly not analytic (a real-typed
result: np.abs, .real) or not real at the real x (an added imaginary constant, the log of a
negative number), at many random points; on main each returned a wrong number (np.abs at
-1.5 gave 0, `x + 1j` gave 2e20)."""

import numpy as np
import pytest

import fdvjp

# (z.real * z is complex-typed: not detected.)
NOT_ANALYTIC = [np.abs, lambda z: np.abs(z) ** 2, lambda z: np.real(z)]
NOT_REAL = [lambda z: z + 1j, lambda z: np.log(z - 10.0), lambda z: np.sqrt(z - 10.0)]
ENTRIES = [
    lambda f, x: fdvjp.vjp_complex_step(f, x, np.ones(x.size)),
    lambda f, x: fdvjp.jvp_complex_step(f, x, np.ones(x.size), m=x.size),
    lambda f, x: fdvjp.jacobian_complex_step(f, x, m=x.size),
]


@pytest.mark.parametrize("f", NOT_ANALYTIC)
@pytest.mark.parametrize("entry", ENTRIES)
def test_real_typed_result_is_refused(f, entry):
    rng = np.random.default_rng(5)
    for _ in range(20):
        x = rng.uniform(-3, 3, size=3) * 10.0 ** rng.uniform(-20, 20)
        with pytest.raises(TypeError, match="not analytic"):
            entry(f, x)


@pytest.mark.parametrize("f", NOT_REAL)
@pytest.mark.parametrize("entry", ENTRIES)
def test_not_real_at_x_is_refused(f, entry):
    rng = np.random.default_rng(6)
    for _ in range(20):
        x = rng.uniform(0.5, 2.0, size=3)
        with pytest.raises(fdvjp.FdvjpError, match="not real"):
            entry(f, x)
