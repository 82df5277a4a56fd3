"""The two classic autograd examples, shared by the autograd and JAX tests.

logsumexp: its gradient is softmax(x).
Least-squares slope of y = slope * x + intercept through (x, y): with x = [0, 1, 2, 3] and
y = [-1, 0.2, 0.7, 2.5], slope = Sxy / Sxx = 1.1, d slope / d y_i = (x_i - mean x) / Sxx =
[-0.3, -0.1, 0.1, 0.3] and d slope / d x_i = ((y_i - mean y) - 2 slope (x_i - mean x)) / Sxx =
[0.34, 0.14, -0.2, -0.28] (exact decimals; Sxx = 5).
"""

import numpy as np

X_DATA = np.array([0.0, 1.0, 2.0, 3.0])
Y_DATA = np.array([-1.0, 0.2, 0.7, 2.5])
SLOPE_GRAD_X = np.array([0.34, 0.14, -0.2, -0.28])
SLOPE_GRAD_Y = np.array([-0.3, -0.1, 0.1, 0.3])
LOGSUMEXP_X = np.array([0.5, -1.0, 2.0, 0.25, 3.0])

#: Central differences with default steps: truncation ~h^2 ~ 4e-11, rounding ~eps/h ~ 4e-11.
TOLERANCE = 1e-8


def logsumexp(x):
    """A numerically careful logsumexp, in plain numpy (a black box to the AD system)."""
    x = np.asarray(x)
    top = np.max(x)
    return top + np.log(np.sum(np.exp(x - top)))


def softmax(x):
    e = np.exp(x - np.max(x))
    return e / np.sum(e)


def lstsq_slope(x, y):
    """The slope of the least-squares line through (x, y), by np.linalg.lstsq."""
    design = np.stack([np.asarray(x), np.ones(len(x))], axis=1)
    coefficients = np.linalg.lstsq(design, np.asarray(y), rcond=None)[0]
    return coefficients[0]
