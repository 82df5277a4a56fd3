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
