"""Error estimates, complex step and complex functions against analytic derivatives."""

import numpy as np

import fdvjp

X = np.array([0.3, -1.2, 0.7])


def f(x):
    return np.array([x[0] * x[1], np.sin(x[2]), np.exp(x[0]) * x[1] ** 2])


def jac_f(x):
    return np.array(
        [[x[1], x[0], 0.0], [0.0, 0.0, np.cos(x[2])], [np.exp(x[0]) * x[1] ** 2, 2 * np.exp(x[0]) * x[1], 0.0]]
    )


def test_estimates_are_accurate_and_bound_the_error():
    v = np.array([1.0, -2.0, 0.5])
    grad, err = fdvjp.vjp_estimate(f, X, v)
    exact = v @ jac_f(X)
    np.testing.assert_allclose(grad, exact, rtol=0, atol=1e-11)
    assert np.all(err >= 0) and np.all(err < 1e-9)
    jac, jerr = fdvjp.jacobian_estimate(f, X)
    np.testing.assert_allclose(jac, jac_f(X), rtol=0, atol=1e-11)
    assert jerr.shape == (3, 3)
    u = np.array([0.2, 0.1, -1.0])
    out, uerr = fdvjp.jvp_estimate(f, X, u)
    np.testing.assert_allclose(out, jac_f(X) @ u, rtol=0, atol=1e-11)
    assert uerr.shape == (3,)


def test_complex_step_is_exact_to_rounding():
    v = np.array([1.0, -2.0, 0.5])
    np.testing.assert_allclose(fdvjp.vjp_complex_step(f, X, v), v @ jac_f(X), rtol=1e-14, atol=1e-15)
    np.testing.assert_allclose(fdvjp.jacobian_complex_step(f, X), jac_f(X), rtol=1e-14, atol=1e-15)
    u = np.array([0.2, 0.1, -1.0])
    np.testing.assert_allclose(fdvjp.jvp_complex_step(f, X, u), jac_f(X) @ u, rtol=1e-14, atol=1e-15)


def test_complex_step_function_receives_complex_arrays():
    seen = []
    fdvjp.vjp_complex_step(lambda z: seen.append(z.dtype) or z**2, [1.0], [1.0])
    # the real x (checked real), the column, then the two real points of the analyticity
    # check (complex arrays with zero imaginary parts)
    assert seen == [np.complex128] * 4


def test_complex_function_conventions():
    z = np.array([1.0 + 2.0j, -0.5 + 0.25j])
    # holomorphic z^2: grad = conj(f'(z)) v (ChainRules), jvp = f'(z) u
    square = lambda z: z**2  # noqa: E731
    v = np.array([1.0 - 1.0j, 2.0 + 0.5j])
    np.testing.assert_allclose(fdvjp.complex_vjp(square, z, v), np.conj(2 * z) * v, rtol=0, atol=1e-8)
    np.testing.assert_allclose(fdvjp.complex_jvp(square, z, v), 2 * z * v, rtol=0, atol=1e-8)
    # real loss |z|^2 seeded with 1: grad = 2z
    np.testing.assert_allclose(fdvjp.complex_vjp(lambda z: np.sum(np.abs(z) ** 2), z, [1.0]), 2 * z, rtol=0, atol=1e-8)
    # the real 2m x 2n Jacobian: blocks [[Re A, -Im A], [Im A, Re A]] with A = 2z
    jac = fdvjp.complex_jacobian(square, z)
    a = 2 * z[1]
    np.testing.assert_allclose(jac[2:4, 2:4], [[a.real, -a.imag], [a.imag, a.real]], rtol=0, atol=1e-8)
    np.testing.assert_allclose(jac[0:2, 2:4], 0, atol=1e-8)
