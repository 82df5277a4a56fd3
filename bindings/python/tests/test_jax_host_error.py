"""`fdvjp.jax.host_error()` describes the latest step of fdvjp.jax (None when it
succeeded), jitted or not. On main only compiled host callbacks set it and nothing cleared
it: after a jit failure, a later eager failure or a success still returned the jit one."""

import numpy as np
import pytest

import fdvjp

jax = pytest.importorskip("jax")
jnp = pytest.importorskip("jax.numpy")
fjax = pytest.importorskip("fdvjp.jax")

TOL = 1e-8  # central differences of log at x ~ 1: about 1e-10


def log_sum(x):
    return np.sum(np.log(x))


def diverge(x):
    raise KeyError("solver diverged")


def assert_gradient(g, x):
    assert np.max(np.abs(np.asarray(g) - 1.0 / np.asarray(x))) < TOL


@pytest.mark.filterwarnings("ignore::RuntimeWarning")
def test_jit_error_then_eager_error_then_success():
    with jax.enable_x64(True):
        F = fjax.numeric_vjp(log_sum)
        jitted = jax.jit(jax.grad(F))
        bad, good = jnp.asarray([-1.0, 2.0]), jnp.asarray([0.5, 2.0])

        # 1. a failure on the host under jit: the original FdvjpError, also when asked with JAX's error
        with pytest.raises(Exception) as jit_info:
            jitted(bad)
        first = fjax.host_error()
        assert isinstance(first, fdvjp.FdvjpError) and first.status_name == "FDVJP_NONFINITE_AT_X"
        assert fjax.host_error(jit_info.value) is first
        # f(x) itself is NaN: reported as f's (the primal is not passed on as an fx the user never gave)
        assert "fdvjp_vjp: f(x) is not finite: y[0] = NaN" in first.message

        # 2. an eager (non-jit) failure: that one, not the jit one
        with pytest.raises(KeyError) as eager_info:
            jax.grad(fjax.numeric_vjp(diverge, result_shape=()))(good)
        assert fjax.host_error() is eager_info.value
        assert fjax.host_error(eager_info.value) is eager_info.value
        assert fjax.host_error(jit_info.value) is None  # the jit error is no longer the latest

        # 3. successes, eager then jitted (cached: only the compiled host callback runs): None
        assert_gradient(jax.grad(F)(good), good)
        assert fjax.host_error() is None
        with pytest.raises(Exception):
            jitted(bad)
        assert isinstance(fjax.host_error(), fdvjp.FdvjpError)
        assert_gradient(jitted(good), good)
        assert fjax.host_error() is None


def test_a_wrapper_error_and_then_a_success():
    with pytest.raises(TypeError, match="unknown option 'schem'") as info:
        fjax.numeric_vjp(np.sin, schem="central")
    assert fjax.host_error() is info.value
    assert float(fjax.numeric_vjp(np.sin)(jnp.asarray(0.5))) == pytest.approx(np.sin(0.5), abs=1e-7)
    assert fjax.host_error() is None


def test_an_error_outside_fdvjp_is_told_apart_by_passing_it():
    """JAX's own error (a shape mismatch in the caller's code) does not pass through
    fdvjp.jax, so host_error() still shows the latest fdvjp.jax step; host_error(e) says
    that e is not it."""
    with pytest.raises(KeyError):
        fjax.numeric_vjp(diverge, result_shape=(2,))(jnp.ones(2))
    kept = fjax.host_error()
    assert isinstance(kept, KeyError)
    with pytest.raises(TypeError) as info:
        jnp.ones(2) + jnp.ones(3)
    assert fjax.host_error() is kept
    assert fjax.host_error(info.value) is None
