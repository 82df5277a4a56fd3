"""numeric_vjp(..., vectorized=True): the black box takes a leading axis of points, and
fdvjp hands it a gradient's whole stencil, and under vmap every batch element's stencil,
in one call. Counts asserted (calls of the black box and the points in each), results
bit-identical to one-point-at-a-time gradients (the batch entry points promise it) and
against the analytic derivative. (Each test failed before: numeric_vjp had no
`vectorized`, and a vmapped gradient over 64 points called the black box 64 + 64 * 2n
times, one point each.)"""

import numpy as np
import pytest

jax = pytest.importorskip("jax", reason="jax is not installed (pip install 'jax[cpu]')")
jax.config.update("jax_enable_x64", True)
import jax.numpy as jnp  # noqa: E402

from fdvjp.jax import numeric_vjp  # noqa: E402

B = np.array([1.5, 0.5, -2.0])
N = 3


class Batches:
    """A vectorized black box recording the leading shape (the points) of each call."""

    def __init__(self, f):
        self.f, self.calls = f, []

    def __call__(self, a, *rest):
        self.calls.append(np.shape(a)[:-1])
        return self.f(a, *rest)


def sin_dot(a, b):
    return np.sum(np.sin(a) * b, axis=-1)  # one point (a: (3,)) or many (a: (k, 3))


def points(count, seed=0):
    # Well-scaled points (|x_j| >= 0.05 = 5 typ/100): an element with 0 < |x_j| < typ/100 is
    # checked at its own scale by 2 more evaluations (README, step rule), which would break the
    # exact call lists these tests assert; the values are unaffected either way.
    x = np.random.default_rng(seed).normal(size=(count, N))
    return np.copysign(np.maximum(np.abs(x), 0.05), x)


def test_vmapped_gradient_over_64_points_is_two_calls():
    xs = points(64)
    box = Batches(sin_dot)
    g = jax.jit(jax.vmap(jax.grad(numeric_vjp(box, vectorized=True)), in_axes=(0, None)))
    g(jnp.asarray(xs), jnp.asarray(B)).block_until_ready()
    box.calls.clear()
    grads = np.asarray(g(jnp.asarray(xs), jnp.asarray(B)))
    # one call for the 64 primal values, one for the 64 central stencils (2n points each;
    # f(x) is the primal, reused): 64 * (1 + 2n) evaluations in 2 calls instead of 448
    assert box.calls == [(64,), (64 * 2 * N,)]
    np.testing.assert_allclose(grads, np.cos(xs) * B, rtol=0, atol=1e-9)
    # bit-identical to the same gradients one point at a time (not vectorized, no vmap)
    one = jax.grad(numeric_vjp(sin_dot))
    serial = np.stack([np.asarray(one(jnp.asarray(x), jnp.asarray(B))) for x in xs])
    np.testing.assert_array_equal(grads, serial)


def test_lower_precision_primal_is_evaluated_again_in_one_batch():
    # float32 inputs: the primal comes back rounded to float32, so f(x) is evaluated again
    # (in float64) by each computation: one more call, all 64 points in it. A computation
    # whose stencil shows trouble estimates f's noise (more points, later rounds): the
    # evaluations are those of the 64 gradients taken one at a time, in far fewer calls.
    xs = points(64, seed=1)
    box = Batches(sin_dot)
    g = jax.jit(jax.vmap(jax.grad(numeric_vjp(box, vectorized=True)), in_axes=(0, None)))
    x32, b32 = jnp.asarray(xs, jnp.float32), jnp.asarray(B, jnp.float32)
    g(x32, b32).block_until_ready()
    box.calls.clear()
    grads = g(x32, b32)
    assert grads.dtype == jnp.float32
    assert box.calls[:3] == [(64,), (64,), (64 * 2 * N,)]
    want = np.cos(np.asarray(x32, np.float64)) * np.asarray(b32, np.float64)
    np.testing.assert_allclose(np.asarray(grads, np.float64), want, rtol=0, atol=1e-6)
    single = Batches(sin_dot)
    one = jax.grad(numeric_vjp(single))
    serial = []
    for x in x32:
        serial.append(np.asarray(one(x, b32)))
    np.testing.assert_array_equal(np.asarray(grads), np.stack(serial))
    evaluations = len(single.calls) - 1  # the first: result shape inference at trace time
    assert sum(int(np.prod(c)) for c in box.calls) == evaluations
    assert len(box.calls) < evaluations // 20


def test_one_gradient_hands_the_whole_stencil_over_at_once():
    box = Batches(sin_dot)
    x = jnp.asarray(points(1, seed=2)[0])
    g = jax.grad(numeric_vjp(box, vectorized=True))(x, jnp.asarray(B))
    # inference at trace time (1 point), the primal (1), the stencil (2n)
    assert box.calls == [(1,), (1,), (2 * N,)]
    np.testing.assert_allclose(g, np.cos(np.asarray(x)) * B, rtol=0, atol=1e-9)


def test_vmapped_jacfwd_and_jvp_share_one_call():
    xs = points(8, seed=3)
    box = Batches(lambda a, b: np.sin(a) * b)  # elementwise: J = diag(cos a * b)
    f = numeric_vjp(box, vectorized=True)
    jac = jax.jit(jax.vmap(jax.jacfwd(f), in_axes=(0, None)))
    jac(jnp.asarray(xs), jnp.asarray(B)).block_until_ready()
    box.calls.clear()
    got = np.asarray(jac(jnp.asarray(xs), jnp.asarray(B)))
    # 8 points x 3 tangents = 24 JVPs of 2 points each, in one call (and the primal)
    assert box.calls == [(8,), (8 * N * 2,)]
    want = np.stack([np.diag(np.cos(x) * B) for x in xs])
    np.testing.assert_allclose(got, want, rtol=0, atol=1e-9)
    serial = np.stack([np.asarray(jax.jacfwd(numeric_vjp(lambda a, b: np.sin(a) * b))(jnp.asarray(x), B))
                       for x in xs])
    np.testing.assert_array_equal(got, serial)


def test_second_derivatives_and_pytrees_of_a_vectorized_box():
    def box(p, scale):
        return {"s": np.sum(np.sin(p["w"]) * p["b"], axis=-1) * scale, "sq": p["w"] ** 2}

    f = numeric_vjp(box, vectorized=True)
    w = jnp.asarray(points(1, seed=4)[0])
    params = {"w": w, "b": jnp.asarray(B)}
    out = f(params, 2.0)
    np.testing.assert_allclose(out["sq"], np.asarray(w) ** 2, rtol=1e-15)
    g = jax.grad(lambda p: f(p, 2.0)["s"])(params)
    np.testing.assert_allclose(g["w"], 2.0 * np.cos(np.asarray(w)) * B, rtol=0, atol=1e-9)
    h = jax.hessian(lambda v: f({"w": v, "b": jnp.asarray(B)}, 1.0)["s"])(w)
    np.testing.assert_allclose(h, np.diag(-np.sin(np.asarray(w)) * B), rtol=0, atol=1e-5)
    xs = jnp.asarray(points(5, seed=5))
    batched = jax.vmap(lambda v: jax.grad(lambda p: f(p, 2.0)["s"])({"w": v, "b": jnp.asarray(B)})["w"])(xs)
    np.testing.assert_allclose(batched, 2.0 * np.cos(np.asarray(xs)) * B, rtol=0, atol=1e-9)


def test_a_box_without_the_points_axis_names_result_shape():
    f = numeric_vjp(lambda a: np.sum(np.sin(a)), vectorized=True)  # sums over the points too
    with pytest.raises(ValueError, match="result_shape"):
        f(jnp.asarray([0.1, 0.2]))
    declared = numeric_vjp(lambda a: np.sum(np.sin(a)), result_shape=(), vectorized=True)
    with pytest.raises(Exception, match="result_shape"):
        jax.grad(declared)(jnp.asarray([0.1, 0.2]))


def test_an_exception_in_a_vectorized_box_reaches_the_caller():
    def box(a):
        if np.shape(a)[0] > 1:
            raise RuntimeError("solver diverged on the batch")
        return np.sum(np.sin(a), axis=-1)

    g = jax.vmap(jax.grad(numeric_vjp(box, vectorized=True)))
    with pytest.raises(Exception, match="solver diverged on the batch"):
        g(jnp.asarray(points(4, seed=6)))


def test_vectorized_does_not_combine_with_an_executor():
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(1) as pool:
        with pytest.raises(ValueError, match="vectorized=True.*executor="):
            numeric_vjp(sin_dot, vectorized=True, executor=pool)
