"""The Python path's overhead over the bare cost of the evaluations (a benchmark, not a test).

    FDVJP_LIB=target/release/libfdvjp.so python3 bindings/python/benchmarks/overhead.py

For a black box costing T of its own thread's CPU (1 ms and 10 us: a busy wait on
`time.thread_time`, so its cost is fixed whatever other threads and processes do), n = 10
inputs, central differences: `fdvjp.vjp`, autograd's `grad` through `vjp_numeric` and
`jax.jit(jax.grad)` of `numeric_vjp`, each against the floor: a bare Python loop making
the same number of evaluations of the same function (what the C path costs for such a
black box: its own overhead is the C benchmark's). Two clocks, best of the repeats: CPU
time of the whole process (`process_time`: counts JAX's runtime threads too) and wall
time (`perf_counter`: disturbed by other processes on a shared machine; the best of
many repeats approaches the quiet figure). Then a vmapped gradient over 64 points with a
vectorized black box (`numeric_vjp(..., vectorized=True)`) against the one-point one:
time, and the black box's calls and points.
"""

import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
import fdvjp  # noqa: E402

N = 10
CLOCKS = (("cpu", time.process_time), ("wall", time.perf_counter))


def busy(cost):
    def f(x):
        end = time.thread_time() + cost
        while time.thread_time() < end:
            pass
        return np.sum(np.sin(x))

    return f


def best(fn, repeat, clock):
    times = []
    for _ in range(repeat):
        start = clock()
        fn()
        times.append(clock() - start)
    return min(times)


def compare(name, fn, floor_fn, repeat, evaluations):
    """Best of `repeat` for fn and the floor, run alternately (a shared machine's load
    then weighs on both alike)."""
    parts = []
    for label, clock in CLOCKS:
        floor = seconds = float("inf")
        for _ in range(repeat):
            floor = min(floor, best(floor_fn, 1, clock))
            seconds = min(seconds, best(fn, 1, clock))
        parts.append(f"{label} {seconds * 1e3:8.3f} ms / floor {floor * 1e3:8.3f} = {seconds / floor:6.3f}")
    print(f"{name:34s} {'   '.join(parts)}   ({evaluations} evaluations)")


def overhead():
    x = np.linspace(0.1, 1.0, N)
    evaluations = 1 + 2 * N
    for cost, repeat in ((1e-3, 40), (1e-5, 400)):
        f = busy(cost)
        label = f"{cost * 1e6:.0f} us black box"

        def floor():
            for _ in range(evaluations):
                f(x)

        compare(f"fdvjp.vjp, {label}", lambda: fdvjp.vjp(f, x, 1.0), floor, repeat, evaluations)
        try:
            import autograd
            from autograd.extend import defvjp, primitive

            from fdvjp.autograd import vjp_numeric

            p = primitive(f)
            defvjp(p, vjp_numeric(p, 0))
            compare(f"autograd.grad, {label}", lambda: autograd.grad(p)(x), floor, repeat, evaluations)
        except ImportError:
            pass
        try:
            import jax
            import jax.numpy as jnp

            jax.config.update("jax_enable_x64", True)
            from fdvjp.jax import numeric_vjp

            g = jax.jit(jax.grad(numeric_vjp(f)))
            xj = jnp.asarray(x)
            g(xj).block_until_ready()
            compare(f"jax.jit(jax.grad), {label}", lambda: g(xj).block_until_ready(), floor, repeat, evaluations)
        except ImportError:
            pass


def vmapped(points=64, repeat=10):
    try:
        import jax
        import jax.numpy as jnp
    except ImportError:
        return
    jax.config.update("jax_enable_x64", True)
    from fdvjp.jax import numeric_vjp

    calls = []

    def box(a, b):
        calls.append(int(np.prod(np.shape(a)[:-1])))
        return np.sum(np.sin(a) * b, axis=-1)

    xs = jnp.asarray(np.random.default_rng(0).normal(size=(points, 3)))
    b = jnp.asarray([1.5, 0.5, -2.0])
    for vectorized in (False, True):
        g = jax.jit(jax.vmap(jax.grad(numeric_vjp(box, vectorized=vectorized)), in_axes=(0, None)))
        g(xs, b).block_until_ready()
        calls.clear()
        g(xs, b).block_until_ready()
        made = list(calls)
        wall = best(lambda: g(xs, b).block_until_ready(), repeat, time.perf_counter)
        print(f"jit(vmap(grad)) over {points} points of R^3, vectorized={vectorized!s:5}: wall {wall * 1e3:7.2f} ms, "
              f"{len(made)} calls of the black box, {sum(made)} points")


if __name__ == "__main__":
    overhead()
    vmapped()
