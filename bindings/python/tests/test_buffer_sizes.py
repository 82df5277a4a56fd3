"""Every buffer handed to C has the length the call declares (tester finding F1): a JVP's
direction u must have x's size on every entry point (jvp_batch, jvp_complex_step and
complex_jvp read x.size entries of a shorter u past its end, giving garbage, and cut a
longer one); a VJP's cotangent v sets m, so f must give one value per entry of v; `m`
itself must be a non-negative integer (a float was truncated)."""

import numpy as np
import pytest

import fdvjp

X = np.array([1.0, 2.0, 0.5])


def f(x):
    return np.array([x[0] * x[1], x[1] ** 2, np.sin(x[2])])


def fb(xs):
    return np.stack([xs[:, 0] * xs[:, 1], xs[:, 1] ** 2, np.sin(xs[:, 2])], axis=1)


# name -> call(u) for every entry point taking a direction u
JVPS = {
    "jvp": lambda u: fdvjp.jvp(f, X, u),
    "jvp_m": lambda u: fdvjp.jvp(f, X, u, m=3),
    "jvp_estimate": lambda u: fdvjp.jvp_estimate(f, X, u)[0],
    "jvp_batch": lambda u: fdvjp.jvp_batch(fb, X, u, 3),
    "jvp_complex_step": lambda u: fdvjp.jvp_complex_step(f, X, u),
    "complex_jvp": lambda u: fdvjp.complex_jvp(f, X.astype(complex), np.asarray(u, dtype=complex)),
}

# name -> call(v) for every entry point taking a cotangent v (f gives 3 values)
VJPS = {
    "vjp": lambda v: fdvjp.vjp(f, X, v),
    "vjp_estimate": lambda v: fdvjp.vjp_estimate(f, X, v)[0],
    "vjp_batch": lambda v: fdvjp.vjp_batch(fb, X, v),
    "vjp_complex_step": lambda v: fdvjp.vjp_complex_step(f, X, v),
    "complex_vjp": lambda v: fdvjp.complex_vjp(f, X.astype(complex), np.asarray(v, dtype=complex)),
}


@pytest.mark.parametrize("size", [1, 2, 4, 5])
@pytest.mark.parametrize("name", list(JVPS))
def test_a_direction_of_the_wrong_size_is_refused(name, size):
    u = np.ones(size)
    where = "fdvjp.complex_jvp" if name == "complex_jvp" else f"fdvjp.{name.removesuffix('_m')}"
    x_name = "z" if name == "complex_jvp" else "x"
    with pytest.raises(ValueError, match=rf"{where}: u has {size} elements?, {x_name} has 3"):
        JVPS[name](u)


@pytest.mark.parametrize("name", list(JVPS))
def test_a_direction_of_the_right_size_still_works(name):
    u = np.array([1.0, 0.0, 0.0])
    got = np.real(JVPS[name](u))
    np.testing.assert_allclose(got, [2.0, 0.0, 0.0], atol=1e-6)


@pytest.mark.parametrize("size", [1, 2, 4])
@pytest.mark.parametrize("name", list(VJPS))
def test_a_cotangent_of_the_wrong_size_is_refused(name, size):
    with pytest.raises(ValueError, match=r"returned 3 values where .*(one per entry of v|3 expected)|"
                                         r"values for \d+ points of \d+ outputs"):
        VJPS[name](np.ones(size))


@pytest.mark.parametrize("name", list(VJPS))
def test_a_cotangent_of_the_right_size_still_works(name):
    got = np.real(VJPS[name](np.array([1.0, 0.0, 0.0])))
    np.testing.assert_allclose(got, [2.0, 1.0, 0.0], atol=1e-6)


M_TAKERS = {
    "jvp": lambda m: fdvjp.jvp(f, X, np.ones(3), m=m),
    "jacobian": lambda m: fdvjp.jacobian(f, X, m=m),
    "jvp_estimate": lambda m: fdvjp.jvp_estimate(f, X, np.ones(3), m=m),
    "jacobian_estimate": lambda m: fdvjp.jacobian_estimate(f, X, m=m),
    "jvp_batch": lambda m: fdvjp.jvp_batch(fb, X, np.ones(3), m),
    "jacobian_batch": lambda m: fdvjp.jacobian_batch(fb, X, m),
    "jvp_complex_step": lambda m: fdvjp.jvp_complex_step(f, X, np.ones(3), m=m),
    "jacobian_complex_step": lambda m: fdvjp.jacobian_complex_step(f, X, m=m),
    "complex_jvp": lambda m: fdvjp.complex_jvp(f, X.astype(complex), np.ones(3, complex), m=m),
    "complex_jacobian": lambda m: fdvjp.complex_jacobian(f, X.astype(complex), m=m),
    "Tape.call": lambda m: fdvjp.Tape().call(f, np.ones(3), m=m),
    "Tape.call_batch": lambda m: fdvjp.Tape().call_batch(fb, np.ones(3), m=m),
    "Tape.call_vjp": lambda m: fdvjp.Tape().call_vjp(f, lambda v, y, x: v, np.ones(3), m=m),
}


@pytest.mark.parametrize("m", [3.0, 2.5, True, -1, "3"])
@pytest.mark.parametrize("name", list(M_TAKERS))
def test_m_must_be_a_non_negative_integer(name, m):
    with pytest.raises(ValueError, match=rf"fdvjp.{name}: m \(f's number of outputs\) must be a non-negative "
                                         rf"integer, got {m!r}"):
        M_TAKERS[name](m)


@pytest.mark.parametrize("name", [n for n in M_TAKERS if n != "Tape.call_vjp"])
def test_an_integer_m_still_works(name):
    M_TAKERS[name](np.int64(3))


def test_batch_entry_points_require_m():
    with pytest.raises(ValueError, match="fdvjp.jvp_batch: m"):
        fdvjp.jvp_batch(fb, X, np.ones(3), None)
