"""Errors of fdvjp's Jacobian near bounds against scipy's approx_derivative (issue 11, item 4).

A measurement, not a test: needs numpy and scipy (`pip install scipy`) and the Python
binding. Run from the repository root:

    FDVJP_LIB=target/release/libfdvjp.so python3 benches/bounds_scipy.py

Prints, for each case, the error of fdvjp and of scipy against the analytic Jacobian (the
largest entrywise relative error |got - J| / |J| over the non-zero entries of J, absolute
where J is zero), their ratio, and the number of evaluations of f:
  tight    f = [x0 sin x1, x1 cos x0, x0^3 / sqrt x1] at (10, 10), bounds [x - 3e-9, x + 2e-9]
  random   the same f and bounds at 300 random points with x0, x1 in [9, 11] (median ratio)
  sparse   y_i = exp(3 x_i) at x_i = +-(1 - 1e-7) alternating, bounds [-1, 1], n = 10,
           diagonal pattern, against dense fdvjp
  tridiag  y_i = x_(i-1) x_i + sin x_i - x_(i+1)^2 / 3, n = 50, x near alternating bounds
           (1e-7 inside), tridiagonal pattern, against dense fdvjp and scipy
"""

import os
import sys

import numpy as np
from scipy.optimize._numdiff import approx_derivative

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "bindings", "python"))
import fdvjp  # noqa: E402


def counted(f):
    def g(x):
        g.calls += 1
        return f(x)

    g.calls = 0
    return g


def tight_f(x):
    return np.array([x[0] * np.sin(x[1]), x[1] * np.cos(x[0]), x[0] ** 3 / np.sqrt(x[1])])


def tight_jac(x):
    return np.array(
        [
            [np.sin(x[1]), x[0] * np.cos(x[1])],
            [-x[1] * np.sin(x[0]), np.cos(x[0])],
            [3 * x[0] ** 2 / np.sqrt(x[1]), -0.5 * x[0] ** 3 / x[1] ** 1.5],
        ]
    )


def error(got, exact):
    scale = np.where(exact != 0.0, np.abs(exact), 1.0)
    return np.max(np.abs(got - exact) / scale)


def errors(f, jac, x, lb, ub, scheme, sparsity=None):
    method = {"forward": "2-point", "central": "3-point"}[scheme]
    exact = jac(x)
    fs = counted(f)
    ref = approx_derivative(fs, x, method=method, bounds=(lb, ub))
    opts = dict(scheme=scheme, bounds=(lb, ub))
    fd = counted(f)
    got = fdvjp.jacobian(fd, x, m=exact.shape[0], **opts)
    out = {
        "fdvjp": error(got, exact),
        "scipy": error(ref, exact),
        "evals": fd.calls,
    }
    if sparsity is not None:
        fsp = counted(f)
        sp = fdvjp.jacobian(fsp, x, m=exact.shape[0], sparsity=sparsity, **opts)
        out["sparse"] = error(sp, exact)
        out["sparse_evals"] = fsp.calls
    return out


def main():
    for scheme in ["forward", "central"]:
        x = np.array([10.0, 10.0])
        e = errors(tight_f, tight_jac, x, x - 3e-9, x + 2e-9, scheme)
        print(
            f"tight   {scheme:8} fdvjp {e['fdvjp']:.2e} scipy {e['scipy']:.2e} "
            f"ratio {e['fdvjp'] / e['scipy']:.2f} evals {e['evals']}"
        )
    rng = np.random.default_rng(11)
    points = rng.uniform(9.0, 11.0, size=(300, 2))
    for scheme in ["forward", "central"]:
        ratios = []
        for x in points:
            e = errors(tight_f, tight_jac, x, x - 3e-9, x + 2e-9, scheme)
            ratios.append(e["fdvjp"] / e["scipy"])
        print(
            f"random  {scheme:8} median ratio {np.median(ratios):.2f} "
            f"90th percentile {np.percentile(ratios, 90):.2f}"
        )

    n = 10
    x = np.array([(1 - 1e-7) * (-1) ** j for j in range(n)])
    diag = (np.arange(n), np.arange(n))
    e = errors(
        lambda x: np.exp(3 * x),
        lambda x: np.diag(3 * np.exp(3 * x)),
        x,
        -np.ones(n),
        np.ones(n),
        "central",
        diag,
    )
    print(
        f"sparse  central  dense {e['fdvjp']:.2e} sparse {e['sparse']:.2e} "
        f"scipy {e['scipy']:.2e} evals dense {e['evals']} sparse {e['sparse_evals']}"
    )

    n = 50
    base = np.array([0.5 + ((i * 7919) % 1000) / 1000 for i in range(n)])
    lower = np.where(np.arange(n) % 2 == 0, base - 1e-7, base - 1.0)
    upper = np.where(np.arange(n) % 2 == 0, base + 1.0, base + 1e-7)

    def tri(x):
        y = np.sin(x)
        y[1:] += x[:-1] * x[1:]
        y[:-1] -= x[1:] ** 2 / 3
        return y

    def tri_jac(x):
        j = np.diag(np.cos(x))
        for i in range(n):
            if i > 0:
                j[i, i - 1] = x[i]
                j[i, i] += x[i - 1]
            if i + 1 < n:
                j[i, i + 1] = -2 * x[i + 1] / 3
        return j

    rows = [i for i in range(n) for j in range(max(0, i - 1), min(n, i + 2))]
    cols = [j for i in range(n) for j in range(max(0, i - 1), min(n, i + 2))]
    e = errors(tri, tri_jac, base, lower, upper, "central", (rows, cols))
    print(
        f"tridiag central  dense {e['fdvjp']:.2e} sparse {e['sparse']:.2e} "
        f"scipy {e['scipy']:.2e} evals dense {e['evals']} sparse {e['sparse_evals']}"
    )


if __name__ == "__main__":
    main()
