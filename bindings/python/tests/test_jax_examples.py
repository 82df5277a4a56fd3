"""The classic autograd examples in JAX, the black box wrapped by fdvjp.jax.numeric_vjp."""

import numpy as np
import pytest

jax = pytest.importorskip("jax", reason="jax is not installed (pip install 'jax[cpu]')")
jax.config.update("jax_enable_x64", True)
import jax.numpy as jnp  # noqa: E402

from examples import (  # noqa: E402
    LOGSUMEXP_X,
    SLOPE_GRAD_X,
    SLOPE_GRAD_Y,
    TOLERANCE,
    X_DATA,
    Y_DATA,
    logsumexp,
    lstsq_slope,
    softmax,
)
from fdvjp.jax import numeric_vjp  # noqa: E402

jax_logsumexp = numeric_vjp(logsumexp)
jax_slope = numeric_vjp(lstsq_slope)


def test_forward_value_is_the_black_box_value():
    assert abs(float(jax_logsumexp(jnp.asarray(LOGSUMEXP_X))) - logsumexp(LOGSUMEXP_X)) < 1e-15


def test_logsumexp_numeric_gradient_equals_analytic_and_jax_own():
    x = jnp.asarray(LOGSUMEXP_X)
    grad = jax.grad(jax_logsumexp)(x)
    np.testing.assert_allclose(grad, softmax(LOGSUMEXP_X), rtol=0, atol=TOLERANCE)
    np.testing.assert_allclose(grad, jax.grad(jax.scipy.special.logsumexp)(x), rtol=0, atol=TOLERANCE)


def test_lstsq_slope_gradients_under_jit():
    grads = jax.jit(jax.grad(jax_slope, argnums=(0, 1)))(jnp.asarray(X_DATA), jnp.asarray(Y_DATA))
    np.testing.assert_allclose(grads[0], SLOPE_GRAD_X, rtol=0, atol=TOLERANCE)
    np.testing.assert_allclose(grads[1], SLOPE_GRAD_Y, rtol=0, atol=TOLERANCE)


def test_vector_valued_black_box_composes_with_jax_code():
    # d/dx sum(tanh(sin(x))) = cos(x) / cosh(sin(x))^2; sin is the black box.
    box = numeric_vjp(np.sin, result_shape=(3,))
    x = jnp.asarray([0.1, 0.9, -2.0])
    grad = jax.grad(lambda x: jnp.sum(jnp.tanh(box(x))))(x)
    np.testing.assert_allclose(grad, np.cos(x) / np.cosh(np.sin(x)) ** 2, rtol=0, atol=TOLERANCE)


def test_vmap_over_a_batch_of_points():
    xs = jnp.asarray(np.stack([LOGSUMEXP_X, -LOGSUMEXP_X, 2 * LOGSUMEXP_X]))
    grads = jax.vmap(jax.grad(jax_logsumexp))(xs)
    for row, x in zip(grads, np.asarray(xs)):
        np.testing.assert_allclose(row, softmax(x), rtol=0, atol=TOLERANCE)
