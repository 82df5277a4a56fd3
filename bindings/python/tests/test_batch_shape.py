"""A batch function's values must be a (k, m) array, one row per point ((k,) too when
m = 1): tester finding F3, a transposed (m, k) array has the right size and was read row
by row, silently mixing the points' values once k > 1."""

from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest

import fdvjp

X = np.array([1.0, 2.0, 0.5])


def good(xs):  # m = 2
    return np.stack([xs[:, 0] * xs[:, 1], np.sin(xs[:, 2])], axis=1)


def loss(xs):  # m = 1, as (k,)
    return np.sum(xs ** 2, axis=1)


CALLS = {
    "vjp_batch": lambda g, m, bs: fdvjp.vjp_batch(g, X, np.ones(m), batch_size=bs),
    "jvp_batch": lambda g, m, bs: fdvjp.jvp_batch(g, X, np.ones(3), m, batch_size=bs),
    "jacobian_batch": lambda g, m, bs: fdvjp.jacobian_batch(g, X, m, batch_size=bs),
    "Tape.call_batch": lambda g, m, bs: _tape(g, m, bs),
}


def _tape(g, m, bs):
    with fdvjp.Tape() as t:
        x = t.input(X)
        t.backward(t.call_batch(g, x, m=m, batch_size=bs).sum())
        return x.grad


@pytest.mark.parametrize("bs", [1, 3, 7])
@pytest.mark.parametrize("name", list(CALLS))
def test_a_transposed_result_is_refused(name, bs):
    # k = 1 (batch_size 1) and k > 1; m = 2 differs from every k
    with pytest.raises(ValueError, match=r"the batch function returned an array of shape \(2, \d\) for \d "
                                         r"points? of 2 outputs; expected shape \(\d, 2\) \(it looks transposed"):
        CALLS[name](lambda xs: good(xs).T, 2, bs)


@pytest.mark.parametrize("bs", [1, 3, 7])
@pytest.mark.parametrize("name", list(CALLS))
def test_other_shapes_of_the_right_size_are_refused(name, bs):
    # one point's values flat (k m,), or a row per output of (k, m, 1)
    for bad in (lambda xs: good(xs).reshape(-1), lambda xs: good(xs)[:, :, None]):
        with pytest.raises(ValueError, match=r"expected shape \(\d, 2\)"):
            CALLS[name](bad, 2, bs)


@pytest.mark.parametrize("bs", [1, 3, 7])
def test_m_equal_one_takes_k_or_k_by_one(bs):
    want = 2 * X
    for g in (loss, lambda xs: loss(xs)[:, None]):
        np.testing.assert_allclose(fdvjp.vjp_batch(g, X, [1.0], batch_size=bs), want, rtol=1e-8)
        np.testing.assert_allclose(fdvjp.jacobian_batch(g, X, 1, batch_size=bs), want[None], rtol=1e-8)
        np.testing.assert_allclose(_tape(g, 1, bs), want, rtol=1e-8)
    # a (1, k) row is a transposed (k,) column: refused once k > 1 (k = 1 is the same array)
    if bs > 1:
        with pytest.raises(ValueError, match=r"expected shape \(\d, 1\) or \(\d,\)"):
            fdvjp.vjp_batch(lambda xs: loss(xs)[None, :], X, [1.0], batch_size=bs)
    with pytest.raises(ValueError, match=r"returned an array of shape \(\) for 1 point of 1 output"):
        fdvjp.vjp_batch(lambda xs: float(loss(xs)[0]), X, [1.0], batch_size=1)


@pytest.mark.parametrize("bs", [1, 3, 7])
@pytest.mark.parametrize("name", list(CALLS))
def test_the_documented_shape_still_works(name, bs):
    want = {"vjp_batch": [2.0, 1.0, np.cos(0.5)], "jvp_batch": [3.0, np.cos(0.5)],
            "jacobian_batch": [[2.0, 1.0, 0.0], [0.0, 0.0, np.cos(0.5)]],
            "Tape.call_batch": [2.0, 1.0, np.cos(0.5)]}[name]
    np.testing.assert_allclose(CALLS[name](good, 2, bs), want, rtol=1e-7, atol=1e-9)


def test_an_executor_with_matrix_valued_points_still_works():
    # the executor's batch function stacks each point's value: (k, 2, 2) becomes (k, 4)
    def f(x):
        return np.array([[x[0] * x[1], x[1]], [np.sin(x[2]), 1.0]])

    with ThreadPoolExecutor(2) as pool:
        got = fdvjp.vjp(f, X, np.ones(4), executor=pool)
    np.testing.assert_array_equal(got, fdvjp.vjp(f, X, np.ones(4)))
