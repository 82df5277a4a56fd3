"""fdvjp.jax.numeric_vjp under every JAX transform, against analytic derivatives, with the
evaluation counts of issue 12 (each test failed before the primitives: jacfwd, jvp,
hessian and grad(grad) raised; every argument was differentiated; vmap ran per element)."""

import numpy as np
import pytest

jax = pytest.importorskip("jax", reason="jax is not installed (pip install 'jax[cpu]')")
jax.config.update("jax_enable_x64", True)
import jax.numpy as jnp  # noqa: E402

import fdvjp.jax as fjax  # noqa: E402
from fdvjp.jax import numeric_vjp  # noqa: E402

A = np.array([0.3, -1.2, 0.7])
B = np.array([1.5, 0.5, -2.0])


class Counted:
    """A black box that counts its evaluations and records the dtypes it receives."""

    def __init__(self, f):
        self.f, self.calls, self.dtypes = f, 0, set()

    def __call__(self, *args):
        self.calls += 1
        self.dtypes.update(str(np.asarray(a).dtype) for a in args)
        return self.f(*args)


def sin_dot(a, b):
    return np.sum(np.sin(a) * b)


def test_gradient_perturbs_only_the_differentiated_argument():
    # 3-vector beside a 1,000-element data argument: 1 (primal) + 2*3 (central) = 7,
    # not 2,009; the primal output is reused by the VJP.
    data = np.linspace(-1, 1, 1000)
    box = Counted(lambda a, d: np.sum(np.sin(a)) * np.sum(d**2))
    f = numeric_vjp(box)
    f(jnp.asarray(A), jnp.asarray(data))  # shape inference evaluation, once
    box.calls = 0
    grad = jax.grad(f)(jnp.asarray(A), jnp.asarray(data))
    assert box.calls == 7
    np.testing.assert_allclose(grad, np.cos(A) * np.sum(data**2), rtol=1e-8)


def test_all_reverse_and_forward_transforms_match_analytic():
    f = numeric_vjp(sin_dot)
    a, b = jnp.asarray(A), jnp.asarray(B)
    want_a, want_b = np.cos(A) * B, np.sin(A)
    np.testing.assert_allclose(jax.grad(f)(a, b), want_a, rtol=0, atol=1e-9)
    np.testing.assert_allclose(jax.jit(jax.grad(f, argnums=1))(a, b), want_b, rtol=0, atol=1e-9)
    out, pullback = jax.vjp(f, a, b)
    assert abs(float(out) - sin_dot(A, B)) < 1e-15
    ga, gb = pullback(2.0)
    np.testing.assert_allclose(ga, 2 * want_a, rtol=0, atol=1e-9)
    np.testing.assert_allclose(gb, 2 * want_b, rtol=0, atol=1e-9)
    u = np.array([1.0, -0.5, 2.0])
    _, tangent = jax.jvp(lambda a: f(a, b), (a,), (jnp.asarray(u),))
    np.testing.assert_allclose(tangent, want_a @ u, rtol=0, atol=1e-9)
    np.testing.assert_allclose(jax.jacfwd(f)(a, b), want_a, rtol=0, atol=1e-9)
    np.testing.assert_allclose(jax.jacrev(f, argnums=1)(a, b), want_b, rtol=0, atol=1e-9)


def test_jacfwd_and_jacrev_cost_2n_plus_1():
    box = Counted(lambda x: np.array([x[0] * x[1], np.sin(x[2]), x[0] ** 2, x[1] + x[2]]))
    f = numeric_vjp(box, result_shape=(4,))
    x = jnp.asarray(A)
    want = np.array([[A[1], A[0], 0], [0, 0, np.cos(A[2])], [2 * A[0], 0, 0], [0, 1, 1]])
    box.calls = 0
    np.testing.assert_allclose(jax.jacfwd(f)(x), want, rtol=0, atol=1e-9)
    assert box.calls == 2 * 3 + 1
    box.calls = 0
    np.testing.assert_allclose(jax.jacrev(f)(x), want, rtol=0, atol=1e-9)
    assert box.calls == 1 + 2 * 3  # the 4 VJP rows from one Jacobian, f(x) reused


def test_hessian_and_grad_of_grad_are_differences_of_differences():
    # f = sum(sin(a) * b): Hessian in a = diag(-sin(a) b). Central of central: ~1e-6.
    f = numeric_vjp(sin_dot)
    a, b = jnp.asarray(A), jnp.asarray(B)
    np.testing.assert_allclose(jax.hessian(f)(a, b), np.diag(-np.sin(A) * B), rtol=0, atol=1e-5)
    g = numeric_vjp(lambda t: t**3)
    assert abs(float(jax.grad(jax.grad(g))(2.0)) - 12.0) < 1e-5
    # the mixed second derivative d2f/da db = diag(cos a)
    mixed = jax.jacfwd(jax.grad(f, argnums=0), argnums=1)(a, b)
    np.testing.assert_allclose(mixed, np.diag(np.cos(A)), rtol=0, atol=1e-5)


def test_vmap_of_a_gradient_is_one_host_call(monkeypatch):
    calls = []
    host = fjax._host

    def counting(*args):
        calls.append(1)
        return host(*args)

    monkeypatch.setattr(fjax, "_host", counting)
    f = numeric_vjp(sin_dot)
    rng = np.random.default_rng(0)
    xs = rng.normal(size=(64, 3))
    grads = jax.jit(jax.vmap(jax.grad(f), in_axes=(0, None)))(jnp.asarray(xs), jnp.asarray(B))
    np.testing.assert_allclose(grads, np.cos(xs) * B, rtol=0, atol=1e-9)
    # one host call for the 64 primal values, one for the 64 gradients
    assert len(calls) == 2


def test_nested_vmap_broadcasts_batch_dimensions():
    f = numeric_vjp(sin_dot)
    xs, ys = np.random.default_rng(1).normal(size=(2, 4, 3))
    out = jax.vmap(lambda x: jax.vmap(lambda y: f(x, y))(jnp.asarray(ys)))(jnp.asarray(xs))
    np.testing.assert_allclose(out, np.sum(np.sin(xs)[:, None, :] * ys[None, :, :], axis=-1), rtol=1e-14)


def test_pytrees_in_and_out_and_inferred_shape():
    def box(params, scale):
        return {"sum": np.sum(params["w"] * params["b"]) * scale, "w2": params["w"] ** 2}

    f = numeric_vjp(box)
    params = {"w": jnp.asarray(A), "b": jnp.asarray(B)}
    out = f(params, 2.0)
    assert out["w2"].shape == (3,) and out["sum"].shape == ()

    def loss(p):
        y = f(p, 2.0)
        return y["sum"] + jnp.sum(y["w2"])

    grads = jax.grad(loss)(params)
    np.testing.assert_allclose(grads["w"], 2 * B + 2 * A, rtol=0, atol=1e-8)
    np.testing.assert_allclose(grads["b"], 2 * A, rtol=0, atol=1e-8)


def test_result_shape_mismatch_is_named():
    f = numeric_vjp(lambda x: x**2, result_shape=(2,))
    with pytest.raises(Exception, match="result_shape"):
        jax.block_until_ready(f(jnp.asarray(A)))


def test_integer_arguments_get_float0_and_are_never_perturbed():
    seen = []

    def box(x, n):
        seen.append(int(n))
        return np.sum(x**n)

    f = numeric_vjp(box)
    gx, gn = jax.grad(f, argnums=(0, 1), allow_int=True)(jnp.asarray(A), 3)
    np.testing.assert_allclose(gx, 3 * A**2, rtol=0, atol=1e-8)
    assert gn.dtype == jax.dtypes.float0
    assert set(seen) == {3}


def test_per_argument_options():
    seen = []

    def box(a, b):
        seen.append((np.asarray(a).copy(), np.asarray(b).copy()))
        return np.sum(a**2) + np.sum(b)

    # absolute steps for a (a quadratic: central differences exact for any step)
    f = numeric_vjp(box, steps=(0.25, None), bounds=(None, (0.0, 10.0)))
    grads = jax.grad(f, argnums=(0, 1))(jnp.asarray([1.0, 2.0]), jnp.asarray([0.0, 5.0]))
    np.testing.assert_allclose(grads[0], [2.0, 4.0], rtol=0, atol=1e-12)
    np.testing.assert_allclose(grads[1], [1.0, 1.0], rtol=0, atol=1e-8)
    a_values = {float(v) for a, _ in seen for v in a}
    assert {0.75, 1.25, 1.75, 2.25} <= a_values
    assert min(float(v) for _, b in seen for v in b) >= 0.0  # bounds keep b inside the box


def test_executor_gives_the_serial_gradient():
    from concurrent.futures import ThreadPoolExecutor

    serial = jax.grad(numeric_vjp(sin_dot))(jnp.asarray(A), jnp.asarray(B))
    with ThreadPoolExecutor(2) as pool:
        pooled = jax.grad(numeric_vjp(sin_dot, executor=pool))(jnp.asarray(A), jnp.asarray(B))
    np.testing.assert_array_equal(np.asarray(pooled), np.asarray(serial))


def test_complex_inputs_follow_jax_convention():
    z = jnp.asarray([1 + 2j, 3 - 1j])
    # real loss: jax.grad gives df/dx - i df/dy
    loss = numeric_vjp(lambda z: np.sum(np.abs(z) ** 2))
    np.testing.assert_allclose(jax.grad(loss)(z), jax.grad(lambda z: jnp.sum(jnp.abs(z) ** 2))(z), atol=1e-8)
    # holomorphic: vjp(ct) = ct f'(z), jvp(t) = f'(z) t
    square = numeric_vjp(lambda z: z**2)
    ct = jnp.asarray([0.5 - 1j, 2 + 0.25j])
    np.testing.assert_allclose(jax.vjp(square, z)[1](ct)[0], jax.vjp(lambda z: z**2, z)[1](ct)[0], atol=1e-8)
    np.testing.assert_allclose(jax.jvp(square, (z,), (ct,))[1], jax.jvp(lambda z: z**2, (z,), (ct,))[1], atol=1e-8)
    # mixed: a real scale times a complex z, complex output, non-holomorphic conj
    mixed = numeric_vjp(lambda s, z: s * np.conj(z) * z[0])
    native = lambda s, z: s * jnp.conj(z) * z[0]  # noqa: E731
    s = jnp.asarray(0.7)
    got = jax.vjp(mixed, s, z)[1](ct)
    want = jax.vjp(native, s, z)[1](ct)
    for g, w in zip(got, want):
        np.testing.assert_allclose(g, w, atol=1e-8)


def test_vmap_with_an_executor_gives_the_serial_gradients():
    from concurrent.futures import ThreadPoolExecutor

    xs = jnp.asarray(np.random.default_rng(2).normal(size=(8, 3)))
    serial = jax.vmap(jax.grad(numeric_vjp(sin_dot)), in_axes=(0, None))(xs, jnp.asarray(B))
    with ThreadPoolExecutor(4) as pool:
        pooled = jax.vmap(jax.grad(numeric_vjp(sin_dot, executor=pool)), in_axes=(0, None))(xs, jnp.asarray(B))
    np.testing.assert_array_equal(np.asarray(pooled), np.asarray(serial))


def test_jacobians_of_a_complex_function_through_one_jacobian():
    z = jnp.asarray([1 + 2j, 3 - 1j])
    square = numeric_vjp(lambda z: z**2)
    for jac in (jax.jacrev, jax.jacfwd):
        np.testing.assert_allclose(jac(square, holomorphic=True)(z), np.diag(2 * np.asarray(z)), atol=1e-8)


def test_keyword_and_boolean_arguments():
    seen = set()

    def box(x, flag, scale=1.0):
        seen.add((np.asarray(flag).dtype.kind, np.asarray(scale).dtype))
        return np.sum(x**2) * scale if flag else 0.0

    f = numeric_vjp(box)
    np.testing.assert_allclose(jax.grad(f)(jnp.ones(3), True, scale=2.0), [4.0, 4.0, 4.0], rtol=0, atol=1e-8)
    # differentiated through the keyword argument
    assert abs(float(jax.grad(lambda s: f(jnp.ones(3), True, scale=s))(2.0)) - 3.0) < 1e-8
    assert seen == {("b", np.dtype(np.float64))}
