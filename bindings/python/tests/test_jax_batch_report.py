"""`last_report()` after a vmapped derivative describes the whole call: evaluations and
directions summed over the batch elements, the error bound the largest (NaN when any is),
each element's figures those of the same derivative taken alone. On main it was the last
element's alone (probe10 finding 9: `vmap(grad)` over rows at 3e5 and 0.5 reported the
second row's bound 1.2e-10, the first row's being 8e-5); both tests fail there."""

import math

import numpy as np
import pytest

jax = pytest.importorskip("jax", reason="jax is not installed (pip install 'jax[cpu]')")
jax.config.update("jax_enable_x64", True)
import jax.numpy as jnp  # noqa: E402

import fdvjp  # noqa: E402
from fdvjp.jax import numeric_vjp  # noqa: E402


def test_vmapped_gradient_report_covers_every_batch_element():
    F = numeric_vjp(lambda a: np.sum(np.sin(a) * a[::-1]))
    grad, rows = jax.jit(jax.grad(F)), jax.jit(jax.vmap(jax.grad(F)))
    rng = np.random.default_rng(11)
    for _ in range(20):
        k = int(rng.integers(2, 5))
        X = 10.0 ** rng.uniform(-3, 6, (k, 1)) * rng.uniform(-1, 1, (k, 3))
        alone = []
        for row in X:
            grad(jnp.asarray(row))
            alone.append(fdvjp.last_report())
        rows(jnp.asarray(X))
        report = fdvjp.last_report()
        assert report.evaluations == sum(r.evaluations for r in alone)
        assert report.directions == sum(r.directions for r in alone)
        bounds = [r.error_bound for r in alone]
        if any(math.isnan(b) for b in bounds):
            assert math.isnan(report.error_bound)
        else:
            assert report.error_bound == max(bounds)
        assert report.completed


def test_vmapped_gradient_error_is_within_the_combined_bound():
    F = numeric_vjp(lambda a: np.sum(np.sin(a)))
    rows = jax.jit(jax.vmap(jax.grad(F)))
    rng = np.random.default_rng(12)
    for _ in range(20):
        X = 10.0 ** rng.uniform(-3, 4, (3, 1)) * rng.uniform(-1, 1, (3, 2))
        got = np.asarray(rows(jnp.asarray(X)))
        bound = fdvjp.last_report().error_bound
        assert math.isnan(bound) or np.abs(got - np.cos(X)).max() <= bound + 2e-15
