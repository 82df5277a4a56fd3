"""One dtype policy (issue 12, "Why"): the black box always gets float64 for floating
arguments, results come back in the caller's floating dtype, integers never make an
integer result, and a complex input is never silently made real. Each case below was
wrong before (the numbers in the comments)."""

import warnings

import numpy as np
import pytest

import fdvjp

A = np.array([1.0, -2.0, 4.0, 6.0])
B = np.array([0.5, 1.5, 2.5, -1.0])


def test_plain_vjp_refuses_complex_input():
    # before: the imaginary part was dropped (ComplexWarning) and a real answer returned
    with pytest.raises(TypeError, match="fdvjp.vjp: x is complex"):
        fdvjp.vjp(lambda z: np.abs(z) ** 2, np.array([1 + 2j]), [1.0])
    with pytest.raises(TypeError, match="fdvjp.jacobian: x is complex"):
        fdvjp.jacobian(np.sin, np.array([1 + 2j]))
    with pytest.raises(TypeError, match="fdvjp.vjp: v is complex"):
        fdvjp.vjp(np.sin, [1.0], [1j])


def test_plain_vjp_refuses_complex_output():
    with pytest.raises(TypeError, match="complex values to a real-only entry point"):
        fdvjp.vjp(lambda x: x * 1j, [1.0], [1.0])


jax = pytest.importorskip("jax", reason="jax is not installed (pip install 'jax[cpu]')")
import jax.numpy as jnp  # noqa: E402

from fdvjp.jax import numeric_vjp  # noqa: E402


def float64_only(f):
    def box(*args):
        for a in args:
            a = np.asarray(a)
            assert a.dtype.kind in "iub" or a.dtype == np.float64, a.dtype
        return f(*args)

    return box


def test_float32_arguments_reach_the_black_box_as_float64():
    with jax.enable_x64(False):
        # before: b reached the box as float32, d/da sum(sin(a) b) was 1.7% off
        f = numeric_vjp(float64_only(lambda a, b: np.sum(np.sin(a) * b)))
        grad = jax.grad(f)(jnp.asarray(A, jnp.float32), jnp.asarray(B, jnp.float32))
        assert grad.dtype == jnp.float32
        np.testing.assert_allclose(grad, np.cos(A) * B, rtol=1e-6)
        # before: [0.945, -2.047, 4.016, 5.985] for d/da sum(a^2)/2 = a
        g = numeric_vjp(float64_only(lambda a, n: np.sum(a**n) / n))
        grad = jax.grad(g)(jnp.asarray(A, jnp.float32), jnp.asarray(2.0, jnp.float32))
        np.testing.assert_allclose(grad, A, rtol=1e-6)


def test_integer_input_never_gives_an_integer_result():
    with jax.enable_x64(False):
        # before: 1 (an int32, true sin 1 + sin 2 = 1.75) and a gradient [0, 0]
        f = numeric_vjp(float64_only(lambda x: np.sum(np.sin(x))))
        value = f(jnp.array([1, 2]))
        assert value.dtype == jnp.float32
        assert abs(float(value) - (np.sin(1) + np.sin(2))) < 1e-6
        grad = jax.grad(f, allow_int=True)(jnp.array([1, 2]))
        assert grad.dtype == jax.dtypes.float0
        np.testing.assert_allclose(jax.grad(f)(jnp.array([1.0, 2.0])), np.cos([1, 2]), rtol=1e-6)


def test_bfloat16_and_float64_results_are_cast_back():
    f = numeric_vjp(float64_only(lambda a: np.sum(np.sin(a))))
    grad = jax.grad(f)(jnp.asarray(A, jnp.bfloat16))
    assert grad.dtype == jnp.bfloat16
    np.testing.assert_allclose(np.asarray(grad, np.float64), np.cos(A), rtol=1e-2)
    with jax.enable_x64(True):
        grad = jax.grad(f)(jnp.asarray(A))
        assert grad.dtype == jnp.float64
        np.testing.assert_allclose(grad, np.cos(A), rtol=0, atol=1e-9)


autograd = pytest.importorskip("autograd", reason="autograd is not installed (pip install autograd)")
from autograd.extend import defvjp, primitive  # noqa: E402

from fdvjp.autograd import vjp_numeric  # noqa: E402


def test_autograd_complex_argument_gets_a_complex_gradient():
    # before: the real part of the gradient and a ComplexWarning
    import autograd.numpy as anp

    z = np.array([1 + 2j, 3 - 1j])
    box = primitive(lambda z: np.sum(np.abs(z) ** 2))
    defvjp(box, vjp_numeric(box, 0))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        grad = autograd.grad(box)(z)
    np.testing.assert_allclose(grad, autograd.grad(lambda z: anp.sum(anp.abs(z) ** 2))(z), rtol=0, atol=1e-8)
    square = primitive(lambda z: z**2)
    defvjp(square, vjp_numeric(square, 0))
    loss = lambda z: anp.sum(anp.real(square(z) * (0.5 - 1j)))  # noqa: E731
    native = lambda z: anp.sum(anp.real(z**2 * (0.5 - 1j)))  # noqa: E731
    np.testing.assert_allclose(autograd.grad(loss)(z), autograd.grad(native)(z), rtol=0, atol=1e-8)
