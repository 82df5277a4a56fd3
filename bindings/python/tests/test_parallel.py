"""Batch functions, threads and progress: the same derivatives as the serial path."""

import threading

import numpy as np
import pytest

import fdvjp
from fdvjp import errors

X = np.array([0.3, -1.2, 0.7, 2.0])
V = np.array([1.0, -2.0])


def f(x):
    return np.array([x[0] * x[1] + x[3], np.sin(x[2]) * x[3]])


def f_batch(points):
    """f at each row of a (k, n) array: a (k, m) array."""
    return np.stack([points[:, 0] * points[:, 1] + points[:, 3], np.sin(points[:, 2]) * points[:, 3]], axis=1)


def jac_f(x):
    return np.array([[x[1], x[0], 0.0, 1.0], [0.0, 0.0, np.cos(x[2]) * x[3], np.sin(x[2])]])


def test_batch_functions_match_analytic_and_respect_the_batch_size():
    sizes = []

    def recorded(points):
        sizes.append(points.shape[0])
        return f_batch(points)

    grad = fdvjp.vjp_batch(recorded, X, V, batch_size=3)
    np.testing.assert_allclose(grad, V @ jac_f(X), rtol=0, atol=1e-9)
    assert max(sizes) <= 3 and max(sizes) > 1 and sum(sizes) == 1 + 2 * X.size
    np.testing.assert_allclose(fdvjp.jacobian_batch(f_batch, X, 2, batch_size=4), jac_f(X), rtol=0, atol=1e-9)
    u = np.array([1.0, 0.0, -1.0, 0.5])
    np.testing.assert_allclose(fdvjp.jvp_batch(f_batch, X, u, 2), jac_f(X) @ u, rtol=0, atol=1e-9)


def test_threads_give_the_serial_result_bit_for_bit():
    calls = []
    lock = threading.Lock()

    def recorded(x):
        with lock:
            calls.append(1)
        return f(x)

    serial = fdvjp.vjp(f, X, V)
    parallel = fdvjp.vjp(recorded, X, V, threads=2)
    np.testing.assert_array_equal(parallel, serial)
    assert len(calls) == 1 + 2 * X.size


def test_sparsity_pattern_groups_columns():
    # A tridiagonal Jacobian: 3 column groups, so 1 + 2*3 evaluations (central) for any n.
    n = 8

    def tridiagonal(x):
        calls.append(1)
        y = 2 * x**2
        y[1:] += x[:-1]
        y[:-1] -= x[1:] ** 3
        return y

    rows = [i for i in range(n) for j in (i - 1, i, i + 1) if 0 <= j < n]
    cols = [j for i in range(n) for j in (i - 1, i, i + 1) if 0 <= j < n]
    x = np.linspace(0.5, 1.5, n)
    calls = []
    jac = fdvjp.jacobian(tridiagonal, x, m=n, sparsity=(rows, cols))
    assert len(calls) == 1 + 2 * 3
    want = np.diag(4 * x) + np.diag(np.ones(n - 1), -1) + np.diag(-3 * x[1:] ** 2, 1)
    np.testing.assert_allclose(jac, want, rtol=0, atol=1e-8)


def test_progress_reports_and_cancels():
    reports = []
    fdvjp.vjp(f, X, V, progress=lambda done, total: reports.append((done, total)))
    assert reports and reports[-1][0] == reports[-1][1] == 1 + 2 * X.size
    with pytest.raises(fdvjp.FdvjpError) as info:
        fdvjp.vjp(f, X, V, progress=lambda done, total: done < 3)
    assert info.value.status == errors.CANCELLED


def test_exception_in_progress_is_reraised():
    def boom(done, total):
        raise RuntimeError("stop here")

    with pytest.raises(RuntimeError, match="stop here"):
        fdvjp.vjp(f, X, V, progress=boom)


def test_exception_in_f_on_a_worker_thread_is_reraised():
    def fails_when_perturbed(x):
        if not np.array_equal(x, X):
            raise FloatingPointError("perturbed")
        return f(x)

    with pytest.raises(FloatingPointError, match="perturbed"):
        fdvjp.vjp(fails_when_perturbed, X, V, threads=2)
