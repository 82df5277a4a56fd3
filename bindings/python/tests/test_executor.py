"""executor=: any concurrent.futures.Executor evaluates the perturbed points, in batches
through the C batch entry points, bit-identical to a serial run (before: no executor=)."""

import multiprocessing
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor

import numpy as np
import pytest

import fdvjp

X = np.array([0.3, -1.2, 0.7, 2.0])
V = np.array([1.0, -2.0])


def f(x):
    return np.array([x[0] * x[1] + x[3], np.sin(x[2]) * x[3]])


def test_thread_pool_gives_the_serial_vjp_jvp_and_jacobian_bit_for_bit():
    u = np.array([1.0, 0.0, -1.0, 0.5])
    with ThreadPoolExecutor(2) as pool:
        np.testing.assert_array_equal(fdvjp.vjp(f, X, V, executor=pool), fdvjp.vjp(f, X, V))
        np.testing.assert_array_equal(fdvjp.jvp(f, X, u, executor=pool), fdvjp.jvp(f, X, u))
        np.testing.assert_array_equal(fdvjp.jacobian(f, X, executor=pool), fdvjp.jacobian(f, X))
        np.testing.assert_array_equal(fdvjp.vjp(f, X, V, executor=pool, scheme="central4"),
                                      fdvjp.vjp(f, X, V, scheme="central4"))


def test_points_are_handed_over_a_stencil_at_a_time():
    class Recording(ThreadPoolExecutor):
        batches = []

        def map(self, fn, *iterables, **kwargs):
            points = list(iterables[0])
            self.batches.append(len(points))
            return super().map(fn, points, **kwargs)

    with Recording(2) as pool:
        fdvjp.vjp(f, X, V, executor=pool)
    assert sum(Recording.batches) == 2 * X.size and max(Recording.batches) == 2 * X.size


def test_process_pool():
    # spawn, not fork: the test process may hold JAX's threads
    with ProcessPoolExecutor(2, mp_context=multiprocessing.get_context("spawn")) as pool:
        np.testing.assert_array_equal(fdvjp.vjp(np.sin, X, np.ones(4), executor=pool), fdvjp.vjp(np.sin, X, np.ones(4)))


def test_dask_local_cluster_with_two_worker_processes():
    distributed = pytest.importorskip("distributed", reason="dask.distributed is not installed")

    def black_box(x):  # shipped to the workers by value (cloudpickle)
        import numpy

        return numpy.array([x[0] * x[1] + x[3], numpy.sin(x[2]) * x[3]])

    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None,
                                  silence_logs=50) as cluster, distributed.Client(cluster) as client:
        grad = fdvjp.vjp(black_box, X, V, executor=client.get_executor())
    np.testing.assert_array_equal(grad, fdvjp.vjp(black_box, X, V))
    np.testing.assert_allclose(grad, V @ np.array([[X[1], X[0], 0, 1], [0, 0, np.cos(X[2]) * X[3], np.sin(X[2])]]),
                               rtol=0, atol=1e-9)
