"""Every composition of two of grad, jacfwd, jacrev, jvp, vjp, vmap (and hessian as the
inner one) on a `numeric_vjp` black box, against the same composition of the analytic
function in JAX (exact to rounding), at random well-scaled points. On main
`jacrev(jacfwd(F))`, `grad` and `vjp` over `jacfwd` raised "Expected
cotangent type float64[1,3] but got float64[3,3]" (probe10 finding 2: 3 of these 37
compositions failed).

Tolerances, relative to the largest exact entry: 1e-7 where the result is a first
derivative (or a value), 1e-4 for a second derivative (a finite difference of a finite
difference; README: about 1e-6 for well-scaled functions)."""

import zlib

import numpy as np
import pytest

jax = pytest.importorskip("jax", reason="jax is not installed (pip install 'jax[cpu]')")
jax.config.update("jax_enable_x64", True)
import jax.numpy as jnp  # noqa: E402

from fdvjp.jax import numeric_vjp  # noqa: E402

W = np.array([1.5, -0.5, 2.0])


def host(a):
    return np.sum(np.sin(a) * W, axis=-1) + a[..., 0] * a[..., 1]


def exact(a):
    return jnp.sum(jnp.sin(a) * W, axis=-1) + a[..., 0] * a[..., 1]


U = jnp.asarray([0.4, -1.1, 0.8])


def inners():
    """name -> (transform of a scalar function of a 3-vector, its derivative order, the
    input shape it takes)."""
    return {
        "grad": (jax.grad, 1, (3,)),
        "jacfwd": (jax.jacfwd, 1, (3,)),
        "jacrev": (jax.jacrev, 1, (3,)),
        "jvp": (lambda F: lambda x: jax.jvp(F, (x,), (U,))[1], 1, (3,)),
        "vjp": (lambda F: lambda x: jax.vjp(F, x)[1](1.0)[0], 1, (3,)),
        "vmap": (jax.vmap, 0, (2, 3)),
        "hessian": (jax.hessian, 2, (3,)),
    }


def outers(shape, key):
    """name -> transform of a function G of an array of `shape`."""
    rng = np.random.default_rng(key)

    def scal(G):
        def s(x):
            y = G(x)
            cc = jnp.asarray(np.random.default_rng(key + 1).normal(size=np.shape(y)))
            return jnp.sum(y * cc)

        return s

    t = jnp.asarray(rng.normal(size=shape))
    return {
        "grad": (lambda G: jax.grad(scal(G)), 1),
        "jacfwd": (jax.jacfwd, 1),
        "jacrev": (jax.jacrev, 1),
        "jvp": (lambda G: lambda x: jax.jvp(G, (x,), (t,))[1], 1),
        "vjp": (lambda G: lambda x: jax.vjp(G, x)[1](jnp.ones_like(G(x)))[0], 1),
        "vmap": (lambda G: lambda x: jax.vmap(G)(jnp.stack([x, 0.5 * x + 0.1])), 0),
    }


CASES = [(i, o) for i in inners() for o in ("grad", "jacfwd", "jacrev", "jvp", "vjp", "vmap")
         if not (i == "hessian" and o != "vmap")]  # derivatives of a hessian are third order


@pytest.mark.parametrize("inner,outer", CASES)
def test_composition_matches_the_analytic_function(inner, outer):
    transform, order, shape = inners()[inner]
    F = numeric_vjp(host)
    # crc32, not hash(): str hashes change with each process (PYTHONHASHSEED), and the
    # points must be the same on every run.
    rng = np.random.default_rng(zlib.crc32(f"{inner}/{outer}".encode()))
    for _ in range(4):
        x = jnp.asarray(rng.uniform(0.3, 2.0, size=shape) * rng.choice([-1, 1], size=shape))
        table = outers(shape, int(rng.integers(1 << 20)))
        make, extra = table[outer]
        got = np.asarray(jax.jit(make(transform(F)))(x))
        want = np.asarray(make(transform(exact))(x))
        assert got.shape == want.shape
        tol = 1e-4 if order + extra >= 2 else 1e-7
        scale = max(np.abs(want).max(), 1e-300)
        assert np.abs(got - want).max() <= tol * scale, (inner, outer, got, want)
