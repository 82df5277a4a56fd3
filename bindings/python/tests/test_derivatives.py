"""vjp / jvp / jacobian against analytic derivatives."""

import numpy as np
import pytest

import fdvjp


def f(x):
    """R^3 -> R^3 with a known Jacobian (below)."""
    return np.array([x[0] * x[1], np.sin(x[2]), np.exp(x[0]) * x[1] ** 2])


def jac_f(x):
    return np.array(
        [
            [x[1], x[0], 0.0],
            [0.0, 0.0, np.cos(x[2])],
            [np.exp(x[0]) * x[1] ** 2, 2 * np.exp(x[0]) * x[1], 0.0],
        ]
    )


X = np.array([0.3, -1.2, 0.7])
V = np.array([1.0, -2.0, 0.5])
U = np.array([0.2, 0.1, -1.0])


def test_vjp_equals_v_transpose_jacobian():
    np.testing.assert_allclose(fdvjp.vjp(f, X, V), V @ jac_f(X), rtol=0, atol=1e-9)


def test_jvp_equals_jacobian_times_u():
    np.testing.assert_allclose(fdvjp.jvp(f, X, U), jac_f(X) @ U, rtol=0, atol=1e-9)


def test_jvp_with_known_m_returns_flat_array():
    out = fdvjp.jvp(f, X, U, m=3)
    assert out.shape == (3,)
    np.testing.assert_allclose(out, jac_f(X) @ U, rtol=0, atol=1e-9)


def test_jacobian_is_m_by_n():
    np.testing.assert_allclose(fdvjp.jacobian(f, X), jac_f(X), rtol=0, atol=1e-9)


def test_jacobian_of_non_square_function():
    g = lambda x: np.array([x[0] + 2 * x[1] + 3 * x[2] + 4 * x[3]])  # noqa: E731
    jac = fdvjp.jacobian(g, np.ones(4))
    assert jac.shape == (1, 4)
    np.testing.assert_allclose(jac, [[1, 2, 3, 4]], rtol=0, atol=1e-9)


def test_column_major_config_gives_the_same_matrix():
    with fdvjp.Config(layout="col_major") as cfg:
        np.testing.assert_allclose(fdvjp.jacobian(f, X, config=cfg), jac_f(X), rtol=0, atol=1e-9)


@pytest.mark.parametrize(
    "scheme, tolerance", [("forward", 1e-6), ("backward", 1e-6), ("central", 1e-9), ("central4", 1e-11)]
)
def test_every_scheme_meets_its_accuracy(scheme, tolerance):
    np.testing.assert_allclose(fdvjp.vjp(f, X, V, scheme=scheme), V @ jac_f(X), rtol=0, atol=tolerance)


def test_forward_scheme_uses_n_plus_one_evaluations():
    calls = []
    fdvjp.vjp(lambda x: calls.append(1) or f(x), X, V, scheme="forward")
    assert len(calls) == 1 + X.size


def test_matrix_input_keeps_its_shape():
    a = np.array([[1.0, 2.0], [3.0, 4.0]])
    grad = fdvjp.vjp(lambda m: np.sum(m**2), a, 1.0)
    assert grad.shape == (2, 2)
    np.testing.assert_allclose(grad, 2 * a, rtol=0, atol=1e-8)


def test_bounds_keep_evaluations_inside_the_box():
    seen = []

    def log(x):
        seen.append(x[0])
        return np.log(x)

    grad = fdvjp.vjp(log, [2.0], [1.0], bounds=([2.0], [3.0]))
    assert min(seen) >= 2.0
    np.testing.assert_allclose(grad, [0.5], rtol=0, atol=1e-8)


def test_absolute_steps_are_used():
    # A quadratic's central difference is exact whatever the step: (x+h)^2-(x-h)^2 = 4xh.
    seen = []
    grad = fdvjp.vjp(lambda x: seen.append(x[0]) or x**2, [3.0], [1.0], steps=[0.5])
    assert sorted(seen) == [2.5, 3.0, 3.5]
    np.testing.assert_allclose(grad, [6.0], rtol=0, atol=1e-12)


def test_inputs_are_not_modified():
    x = X.copy()
    v = V.copy()
    fdvjp.vjp(f, x, v)
    assert np.array_equal(x, X) and np.array_equal(v, V)


def test_empty_problem_is_empty_success():
    assert fdvjp.vjp(lambda x: np.zeros(0), np.zeros(0), np.zeros(0)).shape == (0,)


def test_nested_calls_compute_second_derivatives():
    # d/dx (d/dx x^3) = 6x, via fdvjp inside the function fdvjp differentiates.
    first = lambda x: fdvjp.vjp(lambda t: t**3, x, [1.0], scheme="central4")  # noqa: E731
    np.testing.assert_allclose(fdvjp.vjp(first, [2.0], [1.0]), [12.0], rtol=0, atol=1e-4)


def test_adaptive_steps_reach_what_the_nominal_step_cannot():
    # cos'(1e-6) = -1e-6: the nominal central step loses ~6 of its digits there (set
    # explicitly: by default the step rule sees it and grows the step).
    x = np.array([1e-6, 2.0])
    nominal = fdvjp.vjp(np.cos, x, [1.0, 1.0], relative_step=np.sqrt(np.finfo(float).eps))
    default = np.abs(nominal + np.sin(x))
    adaptive = np.abs(fdvjp.vjp(np.cos, x, [1.0, 1.0], adaptive=True) + np.sin(x))
    assert default[0] > 1e-12
    assert np.all(adaptive < 1e-13)


def test_relative_step_and_typical_magnitudes_set_the_step():
    # h = r * max(|x|, typ) (then rounded to a representable x + h): with r = 1e-3, typ = 10
    # the evaluations sit at 2 +- 0.01.
    seen = []
    fdvjp.vjp(lambda x: seen.append(x[0]) or x**2, [2.0], [1.0], relative_step=1e-3, typical=[10.0])
    np.testing.assert_allclose(sorted(seen), [1.99, 2.0, 2.01], rtol=0, atol=1e-12)
