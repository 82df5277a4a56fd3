"""Learned sparsity from Python: `Config.detect_sparsity`, `learn_sparsity=True`, the
report's check fields; evaluation counts counted in f, gradients against the analytic
VJP of a tridiagonal function."""

import numpy as np

import fdvjp


def chain(x, g=0.0):
    y = np.sin(x)
    y[1:] += x[:-1] * x[1:]
    y[:-1] -= x[1:] ** 2 / 3.0
    y[:-2] += g * x[2:] ** 2 / 2.0
    return y


def chain_vjp(x, v, g=0.0):
    grad = v * np.cos(x)
    grad[1:] += v[1:] * x[:-1]
    grad[:-1] += v[1:] * x[1:]
    grad[1:] -= v[:-1] * 2.0 * x[1:] / 3.0
    grad[2:] += v[:-2] * g * x[2:]
    return grad


def test_detect_then_verified_vjps_and_a_coupling_caught():
    n = 300
    rng = np.random.default_rng(1)
    state = {"calls": 0, "g": 0.0}

    def f(x):
        state["calls"] += 1
        return chain(x, state["g"])

    cfg = fdvjp.Config()
    x = 0.5 + rng.random(n)
    cfg.detect_sparsity(f, x, m=n)
    assert state["calls"] == 2 * (n + 1)
    rows, cols = cfg.learned_sparsity()
    assert rows.size == 3 * n - 2 and np.all(np.abs(rows.astype(int) - cols.astype(int)) <= 1)
    for call in range(1, 8):
        if call == 5:
            state["g"] = 1e-4
        x = 0.5 + rng.random(n)
        v = rng.random(n) - 0.5
        before = state["calls"]
        grad = fdvjp.vjp(f, x, v, config=cfg)
        r = fdvjp.last_report()
        assert np.max(np.abs(grad - chain_vjp(x, v, state["g"]))) < 1e-8
        if call < 5:
            assert state["calls"] - before == 9 and not r.sparsity_relearned and r.sparsity_check < 0.1
        elif call == 5:
            assert r.sparsity_relearned and r.sparsity_check > 1.0
            assert state["calls"] - before == 9 + 2 * n
        else:
            assert not r.sparsity_relearned and state["calls"] - before == 1 + 2 * 4 + 2


def test_learn_on_first_use_and_errors_leave_the_config():
    n = 20
    x = np.linspace(0.5, 1.5, n)
    cfg = fdvjp.Config(learn_sparsity=True)
    v = np.ones(n)
    grad = fdvjp.vjp(chain, x, v, config=cfg)
    assert np.max(np.abs(grad - chain_vjp(x, v))) < 1e-8
    assert cfg.learned_sparsity()[0].size == 3 * n - 2

    x3 = x[3]

    def bad(x):
        y = chain(x)
        if x[3] != x3:
            y[0] = np.nan
        return y

    fresh = fdvjp.Config()
    try:
        fresh.detect_sparsity(bad, x, m=n)
    except fdvjp.FdvjpError as e:
        assert "sparsity detection" in str(e)
    else:
        raise AssertionError("a NaN while learning must raise")
    assert fresh.learned_sparsity()[0].size == 0
