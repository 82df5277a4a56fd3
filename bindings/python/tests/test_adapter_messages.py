"""The adapters' smaller traps (probe10 findings 7, 8, 11), each failing on main:

- autograd: an integer argument autograd asks for is differentiated as a float, as
  autograd itself does (main: a silent zero gradient);
- autograd: a second derivative through `vjp_numeric` raises a NotImplementedError that
  says so (main: "setting an array element with a sequence");
- a misspelt or invalid option is rejected when the wrapper is built (main: only at the
  first derivative);
- a black box returning None is told so (main: "returned 1 values where 2 were expected");
- under `jax.jit` a host failure's original exception, with its status, is
  `fdvjp.jax.host_error()`, and JAX's error names the status and the message."""

import numpy as np
import pytest

import fdvjp


def test_autograd_integer_argument_is_differentiated_as_float():
    autograd = pytest.importorskip("autograd")
    from autograd.extend import defvjp, primitive

    from fdvjp.autograd import vjp_numeric

    rng = np.random.default_rng(2)
    for _ in range(10):
        c = rng.uniform(-2, 2, 3)
        p = primitive(lambda b, c=c: np.sum(b**2 * np.sin(c)))
        defvjp(p, vjp_numeric(p, 0))
        b = rng.integers(-5, 6, 3)
        g = autograd.grad(p)(b)
        assert g.dtype == np.float64
        np.testing.assert_allclose(g, 2 * b * np.sin(c), rtol=1e-7, atol=1e-9)


def test_autograd_second_derivative_says_it_is_not_supported():
    autograd = pytest.importorskip("autograd")
    from autograd.extend import defvjp, primitive

    from fdvjp.autograd import vjp_numeric

    s = primitive(np.sin)
    defvjp(s, vjp_numeric(s, 0))
    with pytest.raises(NotImplementedError, match="first derivatives only"):
        autograd.grad(autograd.grad(s))(0.7)
    with pytest.raises(NotImplementedError, match="first derivatives only"):
        autograd.hessian(lambda x: autograd.numpy.sum(s(x)))(np.array([0.1, 0.2]))


def test_misspelt_options_are_rejected_when_the_wrapper_is_built():
    from fdvjp.autograd import vjp_numeric

    with pytest.raises(TypeError, match="unknown option 'schem'"):
        vjp_numeric(np.sin, 0, schem="central")
    with pytest.raises(ValueError, match="unknown scheme"):
        vjp_numeric(np.sin, 0, scheme="centrl")
    pytest.importorskip("jax")
    from fdvjp.jax import numeric_vjp

    with pytest.raises(TypeError, match="numeric_vjp: .*unknown option 'schem'"):
        numeric_vjp(np.sin, schem="central")
    with pytest.raises(fdvjp.FdvjpError, match="relative step"):
        numeric_vjp(np.sin, relative_step=-1.0)


def test_none_result_is_named():
    for call in (lambda: fdvjp.vjp(lambda x: None, [1.0, 2.0], [1.0, 1.0]),
                 lambda: fdvjp.jacobian(lambda x: None, [1.0, 2.0], m=2)):
        with pytest.raises(TypeError, match="returned None"):
            call()
    jax = pytest.importorskip("jax")
    from fdvjp.jax import numeric_vjp

    with pytest.raises(TypeError, match="returned None"):
        jax.grad(numeric_vjp(lambda x: None))(jax.numpy.ones(2))


@pytest.mark.filterwarnings("ignore::RuntimeWarning")
def test_jit_host_failure_keeps_the_original_exception():
    jax = pytest.importorskip("jax")
    import jax.numpy as jnp

    import fdvjp.jax as fjax

    F = jax.jit(jax.grad(fjax.numeric_vjp(lambda x: np.sum(np.log(x)))))
    rng = np.random.default_rng(4)
    for _ in range(3):
        x = -rng.uniform(0.5, 2, 2)
        with pytest.raises(Exception) as info:
            F(jnp.asarray(x))
        assert "FDVJP_NONFINITE_AT_X" in str(info.value) and "is not finite" in str(info.value)
        original = fjax.host_error()
        assert isinstance(original, fdvjp.FdvjpError) and original.status_name == "FDVJP_NONFINITE_AT_X"

    def diverge(x):
        raise KeyError("solver diverged")

    with pytest.raises(Exception):
        jax.jit(jax.grad(fjax.numeric_vjp(diverge, result_shape=())))(jnp.ones(2))
    assert isinstance(fjax.host_error(), KeyError)
