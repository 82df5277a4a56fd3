"""The tape speaks NumPy (issue 12 item 6): ufuncs, functions, fancy indexing, transpose and
scalar operators on both sides record tape ops with exact gradients; anything unsupported
is a TypeError naming the operation (before: np.sum(var) and friends failed or turned the
Var into an object array, var[[0, 2]] and var.T raised)."""

import numpy as np
import pytest

import fdvjp

X0 = np.array([0.5, 1.5, 2.5])
W = np.array([[1.0, 2.0, 3.0], [0.0, -1.0, 4.0]])


def test_ufuncs_functions_and_operators_give_exact_gradients():
    with fdvjp.Tape() as t:
        x = t.input(X0)
        # L = sum(exp(x)) + mean(sin(x)) + 2 * x[[0, 2]] . [1, 3] + |W x| + (1 - x[1]) / 2 + x**2 . 1
        loss = (np.sum(np.exp(x)) + np.mean(np.sin(x)) + 2.0 * np.dot(x[[0, 2]], np.array([1.0, 3.0]))
                + np.linalg.norm(W @ x) + (1.0 - x[1]) / 2 + np.sum(np.float64(1.0) * x**2))
        t.backward(loss)
        wx = W @ X0
        want = np.exp(X0) + np.cos(X0) / 3 + np.array([2.0, 0.0, 6.0]) + W.T @ wx / np.linalg.norm(wx)
        want += np.array([0.0, -0.5, 0.0]) + 2 * X0
        np.testing.assert_allclose(x.grad, want, rtol=1e-13, atol=1e-13)
        assert abs(float(loss.value) - (np.sum(np.exp(X0)) + np.mean(np.sin(X0)) + 2 * (X0[0] + 3 * X0[2])
                                        + np.linalg.norm(wx) + (1 - X0[1]) / 2 + np.sum(X0**2))) < 1e-12


def test_transpose_vector_matrix_product_and_multidimensional_index():
    with fdvjp.Tape() as t:
        m = t.input(W)
        v = t.input(np.array([1.0, -2.0]))
        assert m.T.shape == (3, 2)
        np.testing.assert_array_equal(m.T.value, W.T)
        y = v @ m  # (2,) @ (2, 3)
        np.testing.assert_allclose(y.value, np.array([1.0, -2.0]) @ W, rtol=1e-15)
        loss = np.sum(y * np.array([1.0, 2.0, 3.0])) + np.sum(m[:, ::2] ** 2)
        t.backward(loss)
        c = np.array([1.0, 2.0, 3.0])
        np.testing.assert_allclose(v.grad, W @ c, rtol=1e-14)
        want_m = np.outer([1.0, -2.0], c)
        want_m[:, ::2] += 2 * W[:, ::2]
        np.testing.assert_allclose(m.grad, want_m, rtol=1e-14)


def test_reflected_ufuncs_from_numpy_arrays():
    with fdvjp.Tape() as t:
        x = t.input(X0)
        y = np.array([2.0, 2.0, 2.0]) * x - np.ones(3)
        t.backward(np.sum(y))
        np.testing.assert_allclose(x.grad, [2.0, 2.0, 2.0], rtol=0, atol=0)


def test_unsupported_operations_name_themselves():
    with fdvjp.Tape() as t:
        x = t.input(X0)
        with pytest.raises(TypeError, match="numpy.arctan2"):
            np.arctan2(x, x)
        with pytest.raises(TypeError, match="numpy.cumsum"):
            np.cumsum(x)
        with pytest.raises(TypeError, match="numpy.sum with axis"):
            np.sum(x, axis=0)
        with pytest.raises(TypeError, match="numpy.add.reduce"):
            np.add.reduce(x)
        with pytest.raises(TypeError, match="numpy.asarray"):
            np.asarray(x)
