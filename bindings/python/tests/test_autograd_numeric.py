"""fdvjp.autograd.vjp_numeric: the primal answer reused, several argnums, argnum checked
when the maker is built, and scipy.special.gammainc differentiated in its first argument
(which scipy does not provide) inside a larger autograd computation, against mpmath."""

import numpy as np
import pytest

autograd = pytest.importorskip("autograd", reason="autograd is not installed (pip install autograd)")
import autograd.numpy as anp  # noqa: E402
from autograd.extend import defvjp, defvjp_argnums, primitive  # noqa: E402

from fdvjp.autograd import vjp_numeric  # noqa: E402


def test_the_answer_autograd_passes_is_reused():
    calls = []

    def box(x):
        calls.append(1)
        return np.sum(np.sin(x))

    p = primitive(box)
    defvjp(p, vjp_numeric(p, 0))
    x = np.array([0.1, 0.2, 0.3])
    grad = autograd.grad(p)(x)
    np.testing.assert_allclose(grad, np.cos(x), rtol=0, atol=1e-9)
    assert len(calls) == 1 + 2 * 3  # the forward pass, then 2n: f(x) is autograd's ans


def test_several_argnums_in_one_pass_with_per_argument_options():
    calls = []

    def box(a, b, data):
        calls.append((np.asarray(a).copy(), np.asarray(b).copy()))
        return np.sum(a**2 * b) + np.sum(data)

    p = primitive(box)
    defvjp_argnums(p, vjp_numeric(p, (0, 1), steps=(0.5, None)))
    a, b, data = np.array([1.0, 2.0]), np.array([3.0, -1.0]), np.linspace(0, 0.1, 100)
    ga, gb = autograd.grad(p, (0, 1))(a, b, data)
    np.testing.assert_allclose(ga, 2 * a * b, rtol=0, atol=1e-9)
    np.testing.assert_allclose(gb, a**2, rtol=0, atol=1e-9)
    assert len(calls) == 1 + 2 * 4  # data is never perturbed
    assert 1.5 in {float(c[0][0]) for c in calls}  # a's absolute step 0.5
    calls.clear()
    gb = autograd.grad(p, 1)(a, b, data)  # only b requested: only b perturbed
    np.testing.assert_allclose(gb, a**2, rtol=0, atol=1e-9)
    assert len(calls) == 1 + 2 * 2


def test_argnum_is_checked_when_the_maker_is_built():
    def two(a, b):
        return a * b

    with pytest.raises(ValueError, match="argnum 2 is out of range for 'two'"):
        vjp_numeric(primitive(two), 2)
    with pytest.raises(ValueError, match="non-negative int"):
        vjp_numeric(two, -1)


def test_gammainc_in_its_first_argument_against_mpmath():
    scipy_special = pytest.importorskip("scipy.special")
    mpmath = pytest.importorskip("mpmath")

    gammainc = primitive(scipy_special.gammainc)
    # d/dx is known in closed form: x^(a-1) e^-x / Gamma(a); d/da is not (fdvjp's job)
    defvjp(gammainc, vjp_numeric(gammainc, 0),
           lambda ans, a, x: lambda g: g * np.exp((a - 1) * np.log(x) - x - scipy_special.gammaln(a)))

    x = np.array([0.5, 2.0, 7.5])
    w = np.array([1.0, -0.5, 2.0])

    def loss(a):  # a larger computation around the black box
        return anp.sum(w * anp.log(gammainc(a * anp.ones(3), x))) + anp.sin(a)

    a0 = 1.7
    mpmath.mp.dps = 40

    def exact(a):
        total = mpmath.cos(a)
        for xi, wi in zip(x, w):
            p = lambda t: mpmath.gammainc(t, 0, xi, regularized=True)  # noqa: E731
            total += wi * mpmath.diff(p, a) / p(a)
        return float(total)

    got = autograd.grad(loss)(a0)
    assert abs(got - exact(mpmath.mpf(a0))) < 1e-8 * max(1.0, abs(exact(mpmath.mpf(a0))))
