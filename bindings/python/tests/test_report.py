"""fdvjp.last_report() and the noise options (noise=, noise_mode=) over the C API's
fdvjp_last_report / fdvjp_config_set_noise / set_noise_mode."""

import numpy as np
import pytest

import fdvjp
from fdvjp import errors

X = np.array([0.3, -1.2, 0.7])


def test_report_of_a_central_vjp():
    fdvjp.vjp(np.sin, X, np.ones(3))
    report = fdvjp.last_report()
    assert report.completed
    assert report.evaluations == 1 + 2 * 3
    assert report.directions == 3
    assert report.noise_source == "none" and report.noise_level == 0.0
    assert report.noise.shape == (3,)
    assert report.unbounded_directions == 0 and np.isfinite(report.error_bound)


def test_forward_differences_claim_no_bound():
    fdvjp.vjp(np.sin, X, np.ones(3), scheme="forward")
    report = fdvjp.last_report()
    assert report.unbounded_directions == 3 and np.isnan(report.error_bound)


def test_report_of_a_failed_computation():
    def f(x):
        if x[1] != X[1]:
            raise RuntimeError("perturbed")
        return np.sin(x)

    with pytest.raises(RuntimeError):
        fdvjp.vjp(f, X, np.ones(3))
    assert not fdvjp.last_report().completed


def test_declared_noise_is_reported_and_validated():
    fdvjp.vjp(np.sin, X, np.ones(3), noise=1e-9)
    report = fdvjp.last_report()
    assert report.noise_source == "declared"
    assert report.noise_level == 1e-9
    np.testing.assert_array_equal(report.noise, [1e-9, 1e-9, 1e-9])
    fdvjp.vjp(np.sin, X, np.ones(3), noise=[1e-9, 2e-9, 3e-9])
    np.testing.assert_array_equal(fdvjp.last_report().noise, [1e-9, 2e-9, 3e-9])
    with pytest.raises(fdvjp.FdvjpError) as info:
        fdvjp.vjp(np.sin, X, np.ones(3), noise=-1.0)
    assert info.value.status == errors.INVALID_ARGUMENT


def test_noise_modes():
    for mode in ("auto", "estimate", "off"):
        grad = fdvjp.vjp(np.sin, X, np.ones(3), noise_mode=mode)
        np.testing.assert_allclose(grad, np.cos(X), rtol=0, atol=1e-8)
    with pytest.raises(ValueError, match="unknown noise_mode 'loud'"):
        fdvjp.vjp(np.sin, X, np.ones(3), noise_mode="loud")


def test_wrappers_take_the_noise_options_and_report():
    jax = pytest.importorskip("jax", reason="jax is not installed (pip install 'jax[cpu]')")
    import jax.numpy as jnp

    from fdvjp.jax import numeric_vjp

    with jax.enable_x64(True):
        f = numeric_vjp(lambda x: np.sum(np.sin(x)), noise=1e-10, noise_mode="off")
        grad = jax.grad(f)(jnp.asarray(X))
    # A declared noise of 1e-10 takes the step balancing it against truncation: the error
    # is then about noise^(2/3) ~ 2e-7 times f's scale, not the plain step's 1e-10.
    np.testing.assert_allclose(grad, np.cos(X), rtol=0, atol=1e-5)
    report = fdvjp.last_report()
    assert report.noise_source == "declared" and report.noise_level == 1e-10
    assert report.evaluations == 1 + 2 * 3  # the C count: f(x) included (answered from the primal)


def _shader_noise(x):
    """Deterministic noise in [-1, 1) (standard deviation 1/sqrt(3)) from x: the same x
    always gives the same value, as with a solver; neighbouring points a plain step apart
    are unrelated (the argument moves by about 0.1 rad, the fraction by thousands)."""
    z = 1e4 * np.dot(np.arange(1, len(x) + 1) + 0.37, x)
    s = np.sin(z) * 43758.5453
    return 2.0 * (s - np.floor(s)) - 1.0


def test_estimate_and_declared_noise_on_a_noisy_function():
    """Issue 16 through the binding: a smooth sum of sines plus deterministic noise of
    amplitude eps (sigma = eps/sqrt(3)). The estimate mode (2n + 1 + 12 evaluations) and a
    declared sigma give the gradient within 10 sigma^(2/3) of the exact one (the issue's
    goal; measured 0.3..1.5), and the report names the noise: estimated within a factor 3
    of sigma (measured 0.77..1.34), or the declared level itself."""
    n = 6
    x = np.array([((j * 7 % 11) / 11.0 - 0.5) * 2.0 for j in range(n)])
    exact = 0.5 * np.cos(x + 0.3 * np.arange(n))
    for eps in (1e-8, 1e-6):
        sigma = eps / np.sqrt(3.0)

        def f(x):
            return np.array([2.0 + np.sum(0.5 * np.sin(x + 0.3 * np.arange(len(x)))) + eps * _shader_noise(x)])

        grad = fdvjp.vjp(f, x, np.ones(1), noise_mode="estimate")
        report = fdvjp.last_report()
        np.testing.assert_allclose(grad, exact, rtol=0, atol=10 * sigma ** (2 / 3))
        assert report.noise_source == "estimated"
        assert sigma / 3 <= report.noise_level <= 3 * sigma, (eps, report.noise_level)
        assert report.evaluations == 2 * n + 1 + 12
        grad = fdvjp.vjp(f, x, np.ones(1), noise=sigma)
        report = fdvjp.last_report()
        np.testing.assert_allclose(grad, exact, rtol=0, atol=10 * sigma ** (2 / 3))
        assert report.noise_source == "declared" and report.noise_level == sigma
        assert report.evaluations == 2 * n + 1
