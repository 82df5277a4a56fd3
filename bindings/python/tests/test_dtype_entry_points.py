"""Every plain entry point returns the caller's floating dtype (README, `fdvjp.policy`):
float16 / float32 / float64 in, the same out; integers give float64; complex64 gives
complex64 (its real counterpart for the real Jacobian of a complex function). The black
box still sees float64 / complex128 and the values are the float64 computation's, rounded
once: each within 1e-6 relative of the analytic derivative or the dtype's rounding, at
random points. On main every one of them returned float64 / complex128 (probe10 finding
6: 27 of these 52 tests failed there: every float16 / float32 / complex64 case)."""

import numpy as np
import pytest

import fdvjp

REAL = [np.float16, np.float32, np.float64, np.int64]


def expected(dtype):
    return np.dtype(np.float64) if np.dtype(dtype).kind in "iu" else np.dtype(dtype)


def close(got, want, dtype):
    tol = max(1e-6, 4 * float(np.finfo(expected(dtype)).eps))
    np.testing.assert_allclose(np.asarray(got, np.float64), want, rtol=tol, atol=tol * np.abs(want).max())


def points(dtype, rng):
    x = rng.uniform(-2, 2, 3)
    return x.astype(dtype) if np.dtype(dtype).kind == "f" else np.round(x * 3).astype(dtype)


ENTRIES = {
    "vjp": lambda x, v: (fdvjp.vjp(np.sin, x, v), np.cos(x.astype(float)) * v.astype(float)),
    "jvp": lambda x, v: (fdvjp.jvp(np.sin, x, v), np.cos(x.astype(float)) * v.astype(float)),
    "jacobian": lambda x, v: (fdvjp.jacobian(np.sin, x), np.diag(np.cos(x.astype(float)))),
    "vjp_estimate": lambda x, v: (fdvjp.vjp_estimate(np.sin, x, v), np.cos(x.astype(float)) * v.astype(float)),
    "jvp_estimate": lambda x, v: (fdvjp.jvp_estimate(np.sin, x, v), np.cos(x.astype(float)) * v.astype(float)),
    "jacobian_estimate": lambda x, v: (fdvjp.jacobian_estimate(np.sin, x), np.diag(np.cos(x.astype(float)))),
    "vjp_complex_step": lambda x, v: (fdvjp.vjp_complex_step(np.sin, x, v), np.cos(x.astype(float)) * v.astype(float)),
    "jvp_complex_step": lambda x, v: (fdvjp.jvp_complex_step(np.sin, x, v), np.cos(x.astype(float)) * v.astype(float)),
    "jacobian_complex_step": lambda x, v: (fdvjp.jacobian_complex_step(np.sin, x), np.diag(np.cos(x.astype(float)))),
    "vjp_batch": lambda x, v: (fdvjp.vjp_batch(np.sin, x, v), np.cos(x.astype(float)) * v.astype(float)),
    "jvp_batch": lambda x, v: (fdvjp.jvp_batch(np.sin, x, v, 3), np.cos(x.astype(float)) * v.astype(float)),
    "jacobian_batch": lambda x, v: (fdvjp.jacobian_batch(np.sin, x, 3), np.diag(np.cos(x.astype(float)))),
}


@pytest.mark.parametrize("name", list(ENTRIES))
@pytest.mark.parametrize("dtype", REAL, ids=lambda d: np.dtype(d).name)
def test_real_entry_points_return_the_callers_dtype(name, dtype):
    rng = np.random.default_rng(3)
    for _ in range(5):
        x, v = points(dtype, rng), points(dtype, rng)
        got, want = ENTRIES[name](x, v)
        for part in got if isinstance(got, tuple) else (got,):
            assert part.dtype == expected(dtype), (name, part.dtype)
        close(got[0] if isinstance(got, tuple) else got, want, dtype)


def test_weak_python_scalars_do_not_promote():
    x = np.array([0.3, 1.1], np.float32)
    assert fdvjp.vjp(lambda x: np.sum(np.sin(x)), x, 1.0).dtype == np.float32


def test_tape_gradient_has_the_inputs_dtype():
    rng = np.random.default_rng(5)
    for dtype in (np.float16, np.float32, np.float64):
        x = rng.uniform(-2, 2, 3).astype(dtype)
        with fdvjp.Tape() as t:
            a = t.input(x)
            t.backward(np.sum(t.call(np.sin, a)))
            assert a.grad.dtype == dtype
            close(a.grad, np.cos(x.astype(float)), dtype)


@pytest.mark.parametrize("dtype", [np.complex64, np.complex128], ids=lambda d: np.dtype(d).name)
def test_complex_entry_points_return_the_callers_dtype(dtype):
    rng = np.random.default_rng(9)
    real = np.float32 if dtype == np.complex64 else np.float64
    for _ in range(5):
        z = (rng.uniform(-1, 1, 2) + 1j * rng.uniform(-1, 1, 2)).astype(dtype)
        v = (rng.uniform(-1, 1, 2) + 1j * rng.uniform(-1, 1, 2)).astype(dtype)
        want = np.conj(np.cos(z.astype(complex))) * v.astype(complex)  # J^H v, holomorphic
        g = fdvjp.complex_vjp(np.sin, z, v)
        assert g.dtype == dtype
        tol = max(1e-6, 4 * float(np.finfo(real).eps))
        np.testing.assert_allclose(g.astype(complex), want, rtol=tol, atol=tol)
        assert fdvjp.complex_jvp(np.sin, z, v).dtype == dtype
        assert fdvjp.complex_jacobian(np.sin, z).dtype == real
        assert fdvjp.complex_vjp(np.sin, z.real.astype(real), v).dtype == dtype
