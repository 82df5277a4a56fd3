"""The complex step of a black box returning complex64 (float32 precision): the reported
error bound covers the true error. On main the bound assumed float64 (`8 eps S`) and the
true error was 4e6 to 1.4e8 times it; now a VJP's and a Jacobian's bound is `8 eps32 S`
plus the library's, a JVP's NaN, and points float32 cannot hold are refused. complex128
black boxes give bit for bit the values and the report of a direct C call."""

import dataclasses

import numpy as np
import pytest

import fdvjp
from fdvjp import _library
from fdvjp.derivatives import pointer, run
from fdvjp.report import last_report

EPS32 = float(np.finfo(np.float32).eps)


def c64(z):
    return np.asarray(z, np.complex64)


# name: (f on complex arrays (3 -> 2), its exact Jacobian at real x, how x is drawn)
FUNCTIONS = {
    "polynomial": (lambda z: np.array([z[0] * z[1] * z[2], z[0] ** 3 - 2 * z[1] ** 2]),
                   lambda x: np.array([[x[1] * x[2], x[0] * x[2], x[0] * x[1]], [3 * x[0] ** 2, -4 * x[1], 0]])),
    "exp-log": (lambda z: np.array([np.exp(z[0] / z[2]), np.log(z[1]) * z[2]]),
                lambda x: np.array([[np.exp(x[0] / x[2]) / x[2], 0, -x[0] * np.exp(x[0] / x[2]) / x[2] ** 2],
                                    [0, x[2] / x[1], np.log(x[1])]])),
    "rational": (lambda z: np.array([z[0] / (1 + z[1] ** 2), np.sqrt(z[2]) * z[0]]),
                 lambda x: np.array([[1 / (1 + x[1] ** 2), -2 * x[0] * x[1] / (1 + x[1] ** 2) ** 2, 0],
                                     [np.sqrt(x[2]), 0, x[0] / (2 * np.sqrt(x[2]))]])),
    "sin-cos": (lambda z: np.array([np.sin(z[0]) * z[1], np.cos(z[2])]),
                lambda x: np.array([[np.cos(x[0]) * x[1], np.sin(x[0]), 0], [0, 0, -np.sin(x[2])]])),
}


def points(name, rng, count):
    """Random points; sin-cos within |x| <= 3 (the bound assumes f varies on the scale of
    |x_j|, which sin at |x| >> 1 does not), the others at magnitudes 1e-6..1e6 (below,
    the step's imaginary parts underflow in float32 and the C library's analyticity
    check refuses f, loudly)."""
    for _ in range(count):
        if name == "sin-cos":
            yield rng.uniform(-3, 3, 3)
        else:
            yield rng.uniform(0.5, 2, 3) * 10.0 ** rng.uniform(-6, 6)


@pytest.mark.parametrize("name", FUNCTIONS)
def test_complex64_bound_covers_the_error(name):
    f, jac = FUNCTIONS[name]
    g = lambda z: f(c64(z))  # noqa: E731
    rng = np.random.default_rng(41)
    ratios = []
    for x in points(name, rng, 60):
        J, v = jac(x), rng.normal(size=2)
        for call, exact in ((lambda: fdvjp.vjp_complex_step(g, x, v), v @ J),
                            (lambda: fdvjp.jacobian_complex_step(g, x, m=2), J)):
            result = call()
            report = last_report()
            error = np.max(np.abs(result - exact))
            size = np.max(np.abs(exact))
            assert error <= report.error_bound, (x, error, report.error_bound)
            # widened to float32's precision, not beyond: at most 40 eps32 of the largest entry's terms
            terms = np.max(np.abs(v) @ np.abs(J)) if result.ndim == 1 else size
            assert report.error_bound <= 40 * EPS32 * terms, (x, report.error_bound, terms)
            ratios.append(error / report.error_bound)
    assert max(ratios) < 1.0


def test_complex64_jvp_bound_is_nan():
    """One evaluation along u sums J_ij u_j inside f: float32's rounding of those terms
    exceeded 8 eps32 |J u| by up to 19 times at random u, and the JVP cannot see them."""
    f, jac = FUNCTIONS["rational"]
    rng = np.random.default_rng(42)
    for x in points("rational", rng, 20):
        u = rng.normal(size=3)
        out = fdvjp.jvp_complex_step(lambda z: f(c64(z)), x, u, m=2)
        report = last_report()
        assert np.isnan(report.error_bound) and report.unbounded_directions == 1
        exact = jac(x) @ u
        assert np.all(np.abs(out - exact) <= 1e-5 * (np.abs(jac(x)) @ np.abs(u)))  # float32's accuracy


def test_complex64_jvp_along_zero_is_exactly_zero():
    f, _ = FUNCTIONS["rational"]
    out = fdvjp.jvp_complex_step(lambda z: f(c64(z)), np.array([0.5, 1.0, 2.0]), np.zeros(3), m=2)
    report = last_report()
    assert np.array_equal(out, np.zeros(2)) and report.error_bound == 0.0 and report.unbounded_directions == 0


def test_jax_complex64_function():
    jnp = pytest.importorskip("jax.numpy")
    rng = np.random.default_rng(43)
    for _ in range(20):
        x = rng.uniform(-2, 2, 4)
        g = lambda z: jnp.sin(jnp.asarray(z, jnp.complex64)) * jnp.asarray(z, jnp.complex64)[0]  # noqa: E731
        J = np.diag(np.cos(x) * x[0])
        J[:, 0] += np.sin(x)
        v = rng.normal(size=4)
        grad = fdvjp.vjp_complex_step(g, x, v)
        assert np.max(np.abs(grad - v @ J)) <= last_report().error_bound <= 40 * EPS32 * np.max(np.abs(v) @ np.abs(J))


@pytest.mark.filterwarnings("ignore::RuntimeWarning")  # float32 overflow of x = 1e39 in f
@pytest.mark.parametrize("x,what", [(np.array([1.0, 1e-40, 2.0]), r"cannot hold x\[1\] = 1\.000e-40"),
                                    # (a JVP's step h u is that small along every u_j = 1: x[0]'s is named)
                                    (np.array([1.0, 1e-30, 2.0]),
                                     r"cannot hold the complex step of x\[\d\] = 1\.000e-40"),
                                    (np.array([1.0, 1e39, 2.0]), r"cannot hold x\[1\] = 1\.000e\+39")])
@pytest.mark.parametrize("entry", ["vjp", "jvp", "jacobian"])
def test_points_float32_cannot_hold_are_refused(x, what, entry):
    f = lambda z: c64(z) * 2  # noqa: E731
    call = {"vjp": lambda: fdvjp.vjp_complex_step(f, x, np.ones(3)),
            "jvp": lambda: fdvjp.jvp_complex_step(f, x, np.ones(3), m=3),
            "jacobian": lambda: fdvjp.jacobian_complex_step(f, x, m=3)}[entry]
    with pytest.raises(ValueError, match=f"fdvjp.{entry}_complex_step: f returned complex64, whose float32 " + what):
        call()


def test_a_failure_of_a_complex64_f_says_its_precision_may_be_the_cause():
    f = lambda z: np.array([np.sqrt(c64(z)[2]) * c64(z)[0]])  # noqa: E731  Im f underflows in float32
    with pytest.raises(fdvjp.FdvjpError, match="not complex-analytic") as info:
        fdvjp.vjp_complex_step(f, np.array([1e-25, 2e-25, 3e-25]), [1.0])
    assert any("f returned complex64: float32's rounding, underflow" in n for n in info.value.__notes__)


def direct(name, f, x, m, *rest):
    """The C entry point called with f as it is (the binding before this change)."""
    size = {"fdvjp_vjp_complex_step": x.size, "fdvjp_jvp_complex_step": m}.get(name, x.size * m)
    out = np.empty(size)
    run(_library.function(name), f, x, m, None, {}, *[pointer(np.asarray(r, float)) for r in rest], pointer(out),
        complex=True)
    return out, last_report()


@pytest.mark.parametrize("name", FUNCTIONS)
def test_complex128_is_bit_for_bit_a_direct_call(name):
    f, _ = FUNCTIONS[name]
    rng = np.random.default_rng(44)
    for x in points(name, rng, 10):
        v, u = rng.normal(size=2), rng.normal(size=3)
        for ours, theirs in (
                (lambda: fdvjp.vjp_complex_step(f, x, v), lambda: direct("fdvjp_vjp_complex_step", f, x, 2, v)),
                (lambda: fdvjp.jvp_complex_step(f, x, u, m=2), lambda: direct("fdvjp_jvp_complex_step", f, x, 2, u)),
                (lambda: fdvjp.jacobian_complex_step(f, x, m=2),
                 lambda: direct("fdvjp_jacobian_complex_step", f, x, 2))):
            theirs, report = theirs()
            result = ours()
            assert np.array_equal(result.reshape(-1), theirs)
            ours_report = last_report()
            for field in dataclasses.fields(report):
                a, b = getattr(ours_report, field.name), getattr(report, field.name)
                assert np.array_equal(a, b, equal_nan=not isinstance(a, (bool, str))), field.name
