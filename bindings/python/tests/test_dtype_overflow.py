"""A result cast back to the caller's dtype never becomes inf quietly: where the float64
result is finite but beyond the dtype's range (a derivative of 1.5 times float16's or
float32's largest value) every entry point raises OverflowError naming the dtype: the
plain, estimate, complex-step, batch and complex-function entry points, the Tape's
gradient, autograd's `vjp_numeric` and the JAX adapter. Before, each returned inf with
only NumPy's RuntimeWarning (probe12 finding 9: `vjp(x**2)` at float16 60000 gave inf for
120000; 28 of these 29 tests failed, all but the underflow one). Results that
fit come back unchanged (half the dtype's largest value, within the dtype's rounding),
and values below the dtype's smallest subnormal become 0, as the dtype's own arithmetic
gives (documented in `fdvjp.policy.narrow`)."""

import numpy as np
import pytest

import fdvjp

FLOATS = [np.float16, np.float32]


def quadratic(dtype):
    """f(x) = c x^2 elementwise with c the dtype's largest value: f' = 2 c x."""
    c = float(np.finfo(dtype).max)
    return lambda x: c * x**2, c


ENTRIES = {
    "vjp": lambda f, x, v: fdvjp.vjp(f, x, v),
    "jvp": lambda f, x, v: fdvjp.jvp(f, x, v),
    "jacobian": lambda f, x, v: fdvjp.jacobian(f, x),
    "vjp_estimate": lambda f, x, v: fdvjp.vjp_estimate(f, x, v)[0],
    "jvp_estimate": lambda f, x, v: fdvjp.jvp_estimate(f, x, v)[0],
    "jacobian_estimate": lambda f, x, v: fdvjp.jacobian_estimate(f, x)[0],
    "vjp_complex_step": lambda f, x, v: fdvjp.vjp_complex_step(f, x, v),
    "jvp_complex_step": lambda f, x, v: fdvjp.jvp_complex_step(f, x, v),
    "jacobian_complex_step": lambda f, x, v: fdvjp.jacobian_complex_step(f, x),
    "vjp_batch": lambda f, x, v: fdvjp.vjp_batch(f, x, v),  # f takes a leading axis of points
    "jvp_batch": lambda f, x, v: fdvjp.jvp_batch(f, x, v, x.size),
    "jacobian_batch": lambda f, x, v: fdvjp.jacobian_batch(f, x, x.size),
}


@pytest.mark.parametrize("name", list(ENTRIES))
@pytest.mark.parametrize("dtype", FLOATS, ids=lambda d: np.dtype(d).name)
def test_a_result_beyond_the_dtype_raises(name, dtype):
    f, c = quadratic(dtype)
    v = np.ones(3, dtype)
    with pytest.raises(OverflowError, match=f"does not fit the caller's dtype {np.dtype(dtype).name}"):
        ENTRIES[name](f, np.full(3, 0.75, dtype), v)
    # within range: the value itself (0.5 c on the diagonal), in the caller's dtype
    got = np.asarray(ENTRIES[name](f, np.full(3, 0.25, dtype), v))
    assert got.dtype == dtype
    want = 0.5 * c * (np.eye(3) if got.ndim == 2 else np.ones(3))
    np.testing.assert_allclose(got.astype(np.float64), want, rtol=2e-3, atol=2e-3 * 0.5 * c)


def test_complex_functions_raise_beyond_complex64():
    c = float(np.finfo(np.float32).max)
    f = lambda z: c * z**2  # noqa: E731
    z = np.full(2, 0.75 + 0.25j, np.complex64)
    v = np.ones(2, np.complex64)
    for call in (lambda: fdvjp.complex_vjp(f, z, v), lambda: fdvjp.complex_jvp(f, z, v),
                 lambda: fdvjp.complex_jacobian(f, z)):
        with pytest.raises(OverflowError, match="complex64|float32"):
            call()


def test_tape_gradient_raises_beyond_its_inputs_dtype():
    f, _ = quadratic(np.float16)
    with fdvjp.Tape() as t:
        a = t.input(np.full(3, 0.75, np.float16))
        t.backward(np.sum(t.call(f, a)))
        with pytest.raises(OverflowError, match="float16"):
            a.grad


def test_autograd_gradient_raises_beyond_the_arguments_dtype():
    autograd = pytest.importorskip("autograd")
    from autograd.extend import defvjp, primitive

    from fdvjp.autograd import vjp_numeric

    f, _ = quadratic(np.float32)
    p = primitive(lambda x: np.sum(f(x)))
    defvjp(p, vjp_numeric(p, 0))
    with pytest.raises(OverflowError, match="float32"):
        autograd.grad(p)(np.full(1, 0.75, np.float32))  # one element: its f fits float32


def test_jax_gradient_raises_beyond_the_arguments_dtype():
    jax = pytest.importorskip("jax")
    import jax.numpy as jnp

    from fdvjp.jax import numeric_vjp

    f, _ = quadratic(np.float32)
    F = numeric_vjp(lambda x: np.sum(f(x)))
    x = jnp.full(3, 0.75, jnp.float32)
    with pytest.raises(Exception, match="does not fit the caller's dtype float32"):
        jax.grad(F)(x)
    with pytest.raises(Exception, match="does not fit the caller's dtype float32"):
        jax.jit(jax.grad(F))(x).block_until_ready()
    small = jax.grad(F)(jnp.full(3, 0.25, jnp.float32))
    assert small.dtype == jnp.float32 and np.all(np.isfinite(np.asarray(small)))


def test_underflow_gives_zero_as_the_dtype_does():
    # exp'(-20) = 2.1e-9 is below float16's smallest subnormal (6e-8): 0, as float16's exp
    got = fdvjp.vjp(np.exp, np.array([-20.0], np.float16), np.array([1.0], np.float16))
    assert got.dtype == np.float16 and got[0] == 0
    assert np.exp(np.float16(-20.0)) == 0
