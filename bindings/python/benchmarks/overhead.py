"""The Python path's overhead over the bare cost of the evaluations (a benchmark, not a test).

For a black box costing T (1 ms and 10 us of CPU: a busy wait, so its cost is fixed), n = 10
inputs, central differences: fdvjp.vjp, autograd's grad through vjp_numeric and jax.grad
(jit) of numeric_vjp, each against the floor: a bare Python loop making the same number of
evaluations of the same function. Prints one line per case: time per gradient, the
floor, their ratio, evaluations.

    FDVJP_LIB=target/release/libfdvjp.so python3 bindings/python/benchmarks/overhead.py
"""

import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
import fdvjp  # noqa: E402

N = 10


def busy(cost):
    def f(x):
        end = time.process_time() + cost
        while time.process_time() < end:
            pass
        return np.sum(np.sin(x))

    return f


def best(fn, repeat):
    times = []
    for _ in range(repeat):
        start = time.process_time()
        fn()
        times.append(time.process_time() - start)
    return min(times)


def report(name, seconds, floor, evaluations):
    print(f"{name:34s} {seconds * 1e3:9.3f} ms  floor {floor * 1e3:9.3f} ms  ratio {seconds / floor:6.3f}  "
          f"overhead {(seconds - floor) * 1e3:7.3f} ms/gradient ({evaluations} evaluations)")


def main():
    x = np.linspace(0.1, 1.0, N)
    for cost, repeat in ((1e-3, 20), (1e-5, 200)):
        f = busy(cost)
        points = [x] + [x + h for h in np.eye(N) * 1e-5] + [x - h for h in np.eye(N) * 1e-5]

        def floor_loop(k):
            return lambda: [f(p) for p in points[:k]]

        label = f"{cost * 1e6:.0f} us black box"
        evaluations = 1 + 2 * N
        floor = best(floor_loop(evaluations), repeat)
        report(f"fdvjp.vjp, {label}", best(lambda: fdvjp.vjp(f, x, 1.0), repeat), floor, evaluations)
        try:
            import autograd
            from autograd.extend import defvjp, primitive
            from fdvjp.autograd import vjp_numeric

            p = primitive(f)
            defvjp(p, vjp_numeric(p, 0))
            report(f"autograd.grad, {label}", best(lambda: autograd.grad(p)(x), repeat), floor, evaluations)
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
            report(f"jax.jit(jax.grad), {label}", best(lambda: g(xj).block_until_ready(), repeat), floor,
                   evaluations)
        except ImportError:
            pass


if __name__ == "__main__":
    main()
