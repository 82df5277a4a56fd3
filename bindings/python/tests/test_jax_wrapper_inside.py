"""A numeric_vjp wrapper built inside the differentiated function (tester finding F4):
eager `jax.grad` raised ReferenceError ("the function made by numeric_vjp no longer
exists") because the wrapper, the only holder of its black box after the first
evaluation, was gone before the backward pass, while `jax.jit(jax.grad(...))` worked. The
linear primitives a JVP rule stages now hold the black box for as long as JAX keeps
them (a pullback, a linearized function), and it is still freed with them."""

import gc
import weakref

import numpy as np
import pytest

jax = pytest.importorskip("jax", reason="jax is not installed (pip install 'jax[cpu]')")
jax.config.update("jax_enable_x64", True)
import jax.numpy as jnp  # noqa: E402

from fdvjp.jax import numeric_vjp  # noqa: E402

X = np.array([0.3, -1.2, 0.7])


class Payload:
    """What the black box's closure holds (weakly referenceable)."""

    def __init__(self):
        self.w = np.array([1.5, 0.5, 2.0])


def make_loss(refs):
    def loss(x):
        payload = Payload()
        refs.append(weakref.ref(payload))
        f = numeric_vjp(lambda y, p=payload: np.sin(y) * p.w)  # local to the differentiated function
        return jnp.sum(f(x) ** 2)

    return loss


W = Payload().w
GRAD = 2 * np.sin(X) * np.cos(X) * W**2
HESSIAN = np.diag(2 * np.cos(2 * X) * W**2)

TRANSFORMS = {
    "grad": (jax.grad, GRAD, 1e-8),
    "jit_grad": (lambda f: jax.jit(jax.grad(f)), GRAD, 1e-8),
    "jacrev": (jax.jacrev, GRAD, 1e-8),
    "jacfwd": (jax.jacfwd, GRAD, 1e-8),
    "hessian": (jax.hessian, HESSIAN, 1e-5),
    "jit_hessian": (lambda f: jax.jit(jax.hessian(f)), HESSIAN, 1e-5),
    "grad_grad_sum": (lambda f: jax.grad(lambda x: jnp.sum(jax.grad(f)(x))), np.diag(HESSIAN), 1e-5),
}


@pytest.mark.parametrize("name", list(TRANSFORMS))
def test_transforms_of_a_function_building_its_wrapper(name):
    refs = []
    transform, want, tol = TRANSFORMS[name]
    got = np.asarray(transform(make_loss(refs))(jnp.asarray(X)))
    np.testing.assert_allclose(got, want, rtol=tol, atol=tol)
    gc.collect()
    assert refs and all(r() is None for r in refs), "the black box outlived the computation"


def test_a_pullback_and_a_linearized_function_hold_the_black_box():
    refs = []
    loss = make_loss(refs)
    _, pullback = jax.vjp(loss, jnp.asarray(X))
    _, linear = jax.linearize(loss, jnp.asarray(X))
    gc.collect()  # the wrappers are gone; the staged computations still need their black boxes
    for scale in (1.0, 2.0):  # twice: the first use must not let go of it
        np.testing.assert_allclose(pullback(scale)[0], scale * GRAD, rtol=1e-8, atol=1e-8)
        np.testing.assert_allclose(linear(scale * jnp.ones(3)), scale * GRAD.sum(), rtol=1e-7, atol=1e-7)
    assert any(r() is not None for r in refs)
    del pullback, linear
    gc.collect()
    assert all(r() is None for r in refs), "the black box outlived the pullback"


def test_a_pullback_of_a_dropped_wrapper_still_works():
    payload = Payload()
    ref = weakref.ref(payload)
    pullback = jax.vjp(numeric_vjp(lambda y, p=payload: np.sin(y) * p.w), jnp.asarray(X))[1]
    del payload
    gc.collect()
    np.testing.assert_allclose(pullback(jnp.ones(3))[0], np.cos(X) * W, rtol=1e-8)
    del pullback
    gc.collect()
    assert ref() is None


def test_eager_and_jitted_agree():
    loss = make_loss([])
    x = jnp.asarray(X)
    np.testing.assert_array_equal(np.asarray(jax.grad(loss)(x)), np.asarray(jax.jit(jax.grad(loss))(x)))
