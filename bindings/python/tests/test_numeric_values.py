"""Non-numbers are refused, not coerced, and a declared integer result is never truncated
(tester finding F6: result_shape int32 turned the black box's 2.85 into 2, a black box
returning the string "1.0" was read as 1.0, and so was an x given as "1.0")."""

import numpy as np
import pytest

import fdvjp


def f(x):
    return np.sin(x)


NON_NUMBERS = ["1.0", ["1.0", "2.0"], b"1", np.array(["1"]), None, [None, 1.0], {"a": 1.0}]


@pytest.mark.parametrize("value", NON_NUMBERS, ids=repr)
@pytest.mark.parametrize("name, call", [
    ("x", lambda a: fdvjp.vjp(f, a, [1.0])),
    ("v", lambda a: fdvjp.vjp(f, [1.0], a)),
    ("x", lambda a: fdvjp.jvp(f, a, [1.0])),
    ("u", lambda a: fdvjp.jvp(f, [1.0], a)),
    ("x", lambda a: fdvjp.jacobian(f, a)),
    ("x", lambda a: fdvjp.jacobian_estimate(f, a)),
    ("x", lambda a: fdvjp.vjp_batch(f, a, [1.0])),
    ("x", lambda a: fdvjp.jacobian_complex_step(f, a)),
    ("z", lambda a: fdvjp.complex_vjp(f, a, [1.0])),
    ("v", lambda a: fdvjp.complex_vjp(f, [1.0], a)),
    ("u", lambda a: fdvjp.complex_jvp(f, [1.0], a)),
    ("z", lambda a: fdvjp.complex_jacobian(f, a)),
    ("x", lambda a: fdvjp.Tape().input(a)),
    ("x", lambda a: fdvjp.Tape().constant(a)),
], ids=lambda v: v if isinstance(v, str) else "")
def test_non_numeric_arguments_are_refused(name, call, value):
    with pytest.raises(TypeError, match=rf": {name} must be numbers, got|{name} must be a numeric"):
        call(value)


RESULTS = ["1.0", np.array(["1.0"]), b"1", np.array([b"1.0"]), np.array([None], dtype=object)]


@pytest.mark.parametrize("result", RESULTS, ids=repr)
@pytest.mark.parametrize("call", [
    lambda g: fdvjp.vjp(g, [1.0], [1.0]),
    lambda g: fdvjp.jvp(g, [1.0], [1.0], m=1),
    lambda g: fdvjp.jacobian(g, [1.0], m=1),
    lambda g: fdvjp.vjp_estimate(g, [1.0], [1.0]),
    lambda g: fdvjp.vjp_batch(lambda xs: np.repeat(np.asarray(g(None)), len(xs)), [1.0], [1.0]),
    lambda g: fdvjp.complex_vjp(g, [1.0], [1.0]),
    lambda g: _tape(g),
])
def test_non_numeric_results_are_refused(call, result):
    with pytest.raises(TypeError, match=r"the function's values must be numbers|not numbers"):
        call(lambda x: result)


def _tape(g):
    with fdvjp.Tape() as t:
        t.backward(t.call(g, t.input([1.0]), m=1).sum())


def test_numeric_values_still_work():
    for x in ([0.5], np.float32(0.5), np.array([0.5], np.float16), [1], [True]):
        np.testing.assert_allclose(fdvjp.vjp(f, x, [1.0]), np.cos(np.asarray(x, float)), rtol=1e-3)
    for y in (lambda x: float(np.sin(x[0])), lambda x: np.sin(x).astype(np.float32), lambda x: np.array([1])):
        fdvjp.vjp(y, [0.5], [1.0])


class TestJax:
    jax = pytest.importorskip("jax", reason="jax is not installed (pip install 'jax[cpu]')")

    @pytest.fixture(autouse=True)
    def x64(self):
        self.jax.config.update("jax_enable_x64", True)

    def wrap(self, g, dtype):
        import jax.numpy as jnp

        from fdvjp.jax import numeric_vjp

        return numeric_vjp(g, result_shape=self.jax.ShapeDtypeStruct((), getattr(jnp, dtype)))

    @pytest.mark.parametrize("dtype, value", [("int32", 2.85), ("int32", -0.5), ("int32", 3e10), ("int8", 200.0),
                                              ("uint8", -1.0), ("int32", np.nan), ("bool_", 2.0),
                                              ("bool_", 0.5), ("int16", np.int64(40000))])
    @pytest.mark.parametrize("jit", [False, True])
    def test_a_declared_integer_result_is_never_truncated(self, dtype, value, jit):
        import jax.numpy as jnp

        F = self.wrap(lambda x: np.sum(x) * 0 + value, dtype)
        F = self.jax.jit(F) if jit else F
        with pytest.raises(Exception, match=rf"the function returned .* where result_shape declares "
                                            rf"{np.dtype(getattr(jnp, dtype)).name}, which cannot hold it") as info:
            F(jnp.array([1.0, 0.5]))
        if not jit:
            assert isinstance(info.value, ValueError)

    @pytest.mark.parametrize("dtype, value", [("int32", 3.0), ("int32", np.int64(-7)), ("uint8", 255.0),
                                              ("bool_", 1.0), ("bool_", np.True_), ("int64", 2.0**40)])
    def test_an_integral_result_of_the_declared_dtype_still_works(self, dtype, value):
        import jax.numpy as jnp

        F = self.wrap(lambda x: np.sum(x) * 0 + value, dtype)
        got = F(jnp.array([1.0, 0.5]))
        assert got.dtype == np.dtype(getattr(jnp, dtype)) and got == value

    def test_the_tester_reproducer(self):
        import jax.numpy as jnp

        F = self.wrap(lambda x: np.sum(x) * 1.9, "int32")
        with pytest.raises(ValueError, match=r"returned 2.849.* where result_shape declares int32"):
            F(jnp.array([1.0, 0.5]))

    @pytest.mark.parametrize("result_shape", [None, ()])
    def test_a_string_result_is_refused(self, result_shape):
        import jax.numpy as jnp

        from fdvjp.jax import numeric_vjp

        with pytest.raises(TypeError, match="the function's values must be numbers"):
            numeric_vjp(lambda x: "1.0", result_shape=result_shape)(jnp.ones(2))


def test_autograd_refuses_a_non_numeric_argument():
    pytest.importorskip("autograd", reason="autograd is not installed")
    from autograd import grad
    from autograd.extend import defvjp, primitive

    from fdvjp.autograd import vjp_numeric

    @primitive
    def box(a, b):
        return np.sum(np.sin(a)) * float(b)

    defvjp(box, vjp_numeric(box, 0))
    with pytest.raises(TypeError, match="an argument must be numbers, got <U3"):
        grad(box)(np.array([0.5, 1.0]), "2.0")
    np.testing.assert_allclose(grad(box)(np.array([0.5, 1.0]), 2.0), 2 * np.cos([0.5, 1.0]), rtol=1e-8)
