"""Tape: opaque and custom-VJP calls mixed with built-in ops, against analytic gradients."""

import numpy as np
import pytest

import fdvjp
from fdvjp import errors
from examples import SLOPE_GRAD_X, SLOPE_GRAD_Y, TOLERANCE, X_DATA, Y_DATA, lstsq_slope


def black_box(a):
    return np.array([a[0] * a[1], np.sin(a[0]), a[1] ** 2])


def loss_grad(x):
    """d/dx sum(black_box(x)^2) = [2 x0 x1^2 + 2 sin x0 cos x0, 2 x0^2 x1 + 4 x1^3]."""
    return np.array([2 * x[0] * x[1] ** 2 + 2 * np.sin(x[0]) * np.cos(x[0]), 2 * x[0] ** 2 * x[1] + 4 * x[1] ** 3])


def test_opaque_call_inside_built_in_ops():
    with fdvjp.Tape() as t:
        x = t.input([1.0, 2.0])
        loss = (t.call(black_box, x, m=3) ** 2).sum()
        t.backward(loss)
        np.testing.assert_allclose(t.grad(x), loss_grad([1.0, 2.0]), rtol=0, atol=1e-8)
        assert abs(float(loss.value) - np.sum(black_box(np.array([1.0, 2.0])) ** 2)) < 1e-12


def test_least_squares_slope_on_the_tape():
    with fdvjp.Tape() as t:
        x, y = t.input(X_DATA), t.input(Y_DATA)
        slope = t.call(lstsq_slope, x, y)  # f gets the arrays separately, m learned
        t.backward(slope)
        np.testing.assert_allclose(x.grad, SLOPE_GRAD_X, rtol=0, atol=TOLERANCE)
        np.testing.assert_allclose(y.grad, SLOPE_GRAD_Y, rtol=0, atol=TOLERANCE)


def test_custom_vjp_is_used_exactly():
    seen = {}

    def vjp(v, y, a, b):
        seen["v"], seen["y"] = v.copy(), y.copy()
        return v * b, v * a  # d(a*b): exact

    with fdvjp.Tape() as t:
        a, b = t.input([1.0, 2.0]), t.input([3.0, 5.0])
        prod = t.call_vjp(lambda a, b: a * b, vjp, a, b)
        t.backward(prod, seed=[10.0, 100.0])
        np.testing.assert_array_equal(a.grad, [30.0, 500.0])
        np.testing.assert_array_equal(b.grad, [10.0, 200.0])
        np.testing.assert_array_equal(seen["v"], [10.0, 100.0])
        np.testing.assert_array_equal(seen["y"], [3.0, 10.0])


def test_built_in_ops_match_analytic_gradient():
    x0 = np.array([0.5, 1.5, 2.5])
    with fdvjp.Tape() as t:
        x = t.input(x0)
        m = t.constant(np.array([[1.0, 2.0, 3.0], [0.0, -1.0, 4.0]]))
        # L = sum(exp(x)) + mean(x^2) + |M x| + x[1] * sin(x[2]) / 2
        loss = x.exp().sum() + (x**2).mean() + (m @ x).norm() + x[1] * x[2].sin() / 2.0
        t.backward(loss)
        mx = m.value @ x0
        want = np.exp(x0) + 2 * x0 / 3 + m.value.T @ mx / np.linalg.norm(mx)
        want += np.array([0.0, np.sin(x0[2]) / 2, x0[1] * np.cos(x0[2]) / 2])
        np.testing.assert_allclose(x.grad, want, rtol=1e-13, atol=1e-13)


def test_shapes_reshape_and_concat():
    with fdvjp.Tape() as t:
        a = t.input(np.arange(6.0).reshape(2, 3))
        assert a.shape == (2, 3)
        flat = a.reshape(6)
        both = t.concat(flat, t.constant([7.0]))
        assert both.shape == (7,)
        np.testing.assert_array_equal(both.value, [0, 1, 2, 3, 4, 5, 7])
        t.backward(both.dot(both))
        np.testing.assert_array_equal(a.grad, 2 * np.arange(6.0).reshape(2, 3))


def test_replay_at_new_inputs():
    calls = []

    def f(a):
        calls.append(a.copy())
        return black_box(a)

    with fdvjp.Tape() as t:
        x = t.input([1.0, 2.0])
        loss = (t.call(f, x, m=3) ** 2).sum()
        t.set_input(x, [0.5, -1.0])
        t.forward()
        np.testing.assert_array_equal(calls[-1], [0.5, -1.0])
        np.testing.assert_allclose(loss.value, np.sum(black_box(np.array([0.5, -1.0])) ** 2), rtol=1e-15)
        t.backward(loss)
        np.testing.assert_allclose(x.grad, loss_grad([0.5, -1.0]), rtol=0, atol=1e-8)


def test_exception_in_opaque_function_during_backward_is_reraised():
    class Refused(Exception):
        pass

    calls = []

    def f(a):
        calls.append(1)
        if len(calls) > 1:  # fine when recording, fails at the first perturbed point
            raise Refused("perturbed")
        return a * 2

    with fdvjp.Tape() as t:
        x = t.input([1.0])
        y = t.call(f, x, m=1)
        with pytest.raises(Refused, match="perturbed"):
            t.backward(y)
        assert len(calls) == 2
        # the tape is still usable after the failure
        t.backward(x.sum())
        np.testing.assert_array_equal(x.grad, [1.0])


def test_exception_at_record_time_and_in_custom_vjp():
    with fdvjp.Tape() as t:
        x = t.input([1.0])
        with pytest.raises(KeyError):
            t.call(lambda a: {}["missing"], x, m=1)

        def bad_vjp(v, y, a):
            raise ArithmeticError("no adjoint")

        y = t.call_vjp(lambda a: a, bad_vjp, x, m=1)
        with pytest.raises(ArithmeticError, match="no adjoint"):
            t.backward(y)


def test_tape_errors_carry_status():
    with fdvjp.Tape() as t, fdvjp.Tape() as other:
        x = t.input([1.0, 2.0])
        with pytest.raises(fdvjp.FdvjpError) as info:
            t.grad(x)  # no backward yet
        assert info.value.status == errors.INVALID_ARGUMENT
        with pytest.raises(fdvjp.FdvjpError) as info:
            other.grad(x)  # a var of another tape
        assert info.value.status == errors.UNKNOWN_VAR
        with pytest.raises(fdvjp.FdvjpError) as info:
            x + t.input([1.0, 2.0, 3.0])
        assert info.value.status == errors.SHAPE_MISMATCH
        with pytest.raises(fdvjp.FdvjpError) as info:
            t.backward(x)  # not a scalar, no seed
        assert info.value.message
        t.clear()
        with pytest.raises(fdvjp.FdvjpError) as info:
            x.value
        assert info.value.status == errors.UNKNOWN_VAR
    with pytest.raises(ValueError, match="closed"):
        t.input([1.0])


def test_batch_call_on_the_tape():
    sizes = []

    def batch(points):  # rows are points: y = [a0 a1, sin a0, a1^2] per row
        sizes.append(points.shape[0])
        return np.stack([points[:, 0] * points[:, 1], np.sin(points[:, 0]), points[:, 1] ** 2], axis=1)

    with fdvjp.Tape() as t:
        x = t.input([1.0, 2.0])
        loss = (t.call_batch(batch, x, m=3, batch_size=4) ** 2).sum()
        t.backward(loss)
        np.testing.assert_allclose(t.grad(x), loss_grad([1.0, 2.0]), rtol=0, atol=1e-8)
        assert sizes[0] == 1 and max(sizes) <= 4 and max(sizes) > 1


def test_progress_of_a_call_config_lives_as_long_as_the_tape():
    import gc

    reports = []
    with fdvjp.Tape() as t:
        x = t.input([1.0, 2.0])
        y = t.call(black_box, x, m=3, progress=lambda done, total: reports.append(done))
        gc.collect()  # the temporary config is gone; the tape's copy still reports
        t.backward((y * y).sum())
        np.testing.assert_allclose(t.grad(x), loss_grad([1.0, 2.0]), rtol=0, atol=1e-8)
    assert reports
