"""The classic autograd examples with a numerical VJP from fdvjp."""

import numpy as np
import pytest

autograd = pytest.importorskip("autograd", reason="autograd is not installed (pip install autograd)")
from autograd.extend import defvjp, primitive  # noqa: E402

from examples import (  # noqa: E402
    LOGSUMEXP_X,
    SLOPE_GRAD_X,
    SLOPE_GRAD_Y,
    TOLERANCE,
    X_DATA,
    Y_DATA,
    logsumexp,
    lstsq_slope,
    softmax,
)
from fdvjp.autograd import vjp_numeric  # noqa: E402

numeric_logsumexp = primitive(logsumexp)
defvjp(numeric_logsumexp, vjp_numeric(numeric_logsumexp, 0))

numeric_slope = primitive(lstsq_slope)
defvjp(numeric_slope, vjp_numeric(numeric_slope, 0), vjp_numeric(numeric_slope, 1))


def test_logsumexp_numeric_gradient_equals_analytic():
    grad = autograd.grad(numeric_logsumexp)(LOGSUMEXP_X)
    np.testing.assert_allclose(grad, softmax(LOGSUMEXP_X), rtol=0, atol=TOLERANCE)


def test_logsumexp_inside_a_larger_traced_computation():
    # d/dx [ 3 * lse(2x) ] = 6 softmax(2x): autograd differentiates around the black box.
    import autograd.numpy as anp

    grad = autograd.grad(lambda x: 3.0 * numeric_logsumexp(anp.multiply(2.0, x)))(LOGSUMEXP_X)
    np.testing.assert_allclose(grad, 6.0 * softmax(2.0 * LOGSUMEXP_X), rtol=0, atol=6 * TOLERANCE)


def test_lstsq_slope_gradients():
    grad_x = autograd.grad(numeric_slope, 0)(X_DATA, Y_DATA)
    grad_y = autograd.grad(numeric_slope, 1)(X_DATA, Y_DATA)
    np.testing.assert_allclose(grad_x, SLOPE_GRAD_X, rtol=0, atol=TOLERANCE)
    np.testing.assert_allclose(grad_y, SLOPE_GRAD_Y, rtol=0, atol=TOLERANCE)


def test_scalar_argument_gets_a_scalar_gradient():
    cube = primitive(lambda t: t**3)
    defvjp(cube, vjp_numeric(cube, 0))
    grad = autograd.grad(cube)(2.0)
    assert isinstance(grad, float)
    assert abs(grad - 12.0) < 1e-8
