"""`fx=` (f's value at x, given by the caller) is checked before any evaluation and a wrong
one is named: on main a wrong size read as the black box's fault ("the function returned
2 values where 1 were expected"), a complex fx to a real entry point lost its imaginary
part with only a ComplexWarning, and a NaN in fx was reported as f's."""

from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest

import fdvjp

X = np.array([0.3, -1.2, 0.7])
J = np.array([[X[1], X[0], 0.0], [0.0, 0.0, np.cos(X[2])]])  # the exact Jacobian of F at X
M = 2
TOL = 1e-8  # central differences at these well-scaled points: about 1e-10


class Counted:
    """F, counting its calls."""

    def __init__(self):
        self.calls = 0

    def __call__(self, x):
        self.calls += 1
        return np.array([x[0] * x[1], np.sin(x[2])])


def fx_exact(complex=False):
    return np.array([X[0] * X[1], np.sin(X[2])], dtype=np.complex128 if complex else np.float64)


POOL = ThreadPoolExecutor(2)
V, U = np.array([1.0, -2.0]), np.array([0.5, 1.0, -1.5])
Z = X.astype(np.complex128)
# name: (call(f, fx) -> result, the exact result, the expected count's origin in the message)
ENTRIES = {
    "vjp": (lambda f, fx: fdvjp.vjp(f, X, V, fx=fx), V @ J, "one per entry of v"),
    "vjp executor": (lambda f, fx: fdvjp.vjp(f, X, V, fx=fx, executor=POOL), V @ J,
                     "one per entry of v"),
    "jvp m": (lambda f, fx: fdvjp.jvp(f, X, U, m=M, fx=fx), J @ U, "m = 2"),
    "jacobian m": (lambda f, fx: fdvjp.jacobian(f, X, m=M, fx=fx), J, "m = 2"),
    "complex_vjp": (lambda f, fx: fdvjp.complex_vjp(f, Z, V, fx=fx), V @ J, "one per entry of v"),
    "complex_jvp m": (lambda f, fx: fdvjp.complex_jvp(f, Z, U, m=M, fx=fx), J @ U, "m = 2"),
}
WRONG_SIZES = {"too short": np.array([0.1]), "too long": np.array([0.1, 0.2, 0.3]), "0-d": np.float64(0.1),
               "empty": np.zeros(0), "2-d too long": np.ones((2, 2))}


@pytest.mark.parametrize("name", ENTRIES)
@pytest.mark.parametrize("size", WRONG_SIZES)
def test_wrong_size_names_fx_before_any_evaluation(name, size):
    call, _, origin = ENTRIES[name]
    fx = WRONG_SIZES[size]
    f = Counted()
    n = np.size(fx)
    with pytest.raises(ValueError) as info:
        call(f, fx)
    message = str(info.value)
    expected = (f"fdvjp.{name.split()[0]}: fx (f's value at x) has {n} element{'' if n == 1 else 's'} "
                f"(shape {np.shape(fx)}) where 2 are expected ({origin})")
    assert message == expected
    assert f.calls == 0


@pytest.mark.parametrize("name", ENTRIES)
@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
def test_non_finite_fx_is_named(name, bad):
    call, _, _ = ENTRIES[name]
    f = Counted()
    with pytest.raises(fdvjp.FdvjpError) as info:
        call(f, np.array([0.1, bad]))
    assert info.value.status_name == "FDVJP_NONFINITE_AT_X"
    assert f"fx[1] = {complex(0, 0) + bad if 'complex' in name else bad}" in info.value.message
    assert "is not finite" in info.value.message and f.calls == 0


@pytest.mark.parametrize("name", [n for n in ENTRIES if "complex" not in n])
def test_complex_fx_to_a_real_entry_point_is_refused(name):
    call, _, _ = ENTRIES[name]
    f = Counted()
    with pytest.raises(TypeError, match=r"fx \(f's value at x\) is complex, for a real-only entry point"):
        call(f, fx_exact() + 1e-3j)
    assert f.calls == 0


@pytest.mark.parametrize("name", ENTRIES)
def test_non_numeric_fx_is_refused(name):
    call, _, _ = ENTRIES[name]
    f = Counted()
    with pytest.raises(TypeError, match=r"fx \(f's value at x\) is of dtype <U1, not numbers"):
        call(f, np.array(["a", "b"]))
    assert f.calls == 0


@pytest.mark.parametrize("name", ENTRIES)
def test_right_fx_saves_an_evaluation_and_gives_the_same_numbers(name):
    call, exact, _ = ENTRIES[name]
    f, g = Counted(), Counted()
    with_fx, without = call(f, fx_exact("complex" in name)), call(g, None)
    assert f.calls == g.calls - 1
    assert np.array_equal(with_fx, without)
    assert np.max(np.abs(with_fx - exact)) < TOL


@pytest.mark.parametrize("call", [lambda f, fx: fdvjp.vjp(f, X, 2.0, fx=fx),
                                  lambda f, fx: fdvjp.jvp(f, X, U, m=1, fx=fx)])
def test_a_0d_fx_fits_one_output(call):
    f = lambda x: x[0] * x[1] * x[2]  # noqa: E731
    exact = np.array([X[1] * X[2], X[0] * X[2], X[0] * X[1]])
    out = call(f, np.float64(f(X)))
    want = 2.0 * exact if out.shape == X.shape else exact @ U
    assert np.max(np.abs(out - want)) < TOL


@pytest.mark.parametrize("name,call", [
    ("jvp", lambda f, fx: fdvjp.jvp(f, X, U, fx=fx)),
    ("jacobian", lambda f, fx: fdvjp.jacobian(f, X, fx=fx)),
    ("complex_jvp", lambda f, fx: fdvjp.complex_jvp(f, Z, U, fx=fx)),
])
@pytest.mark.parametrize("size", ["too short", "too long", "0-d"])
def test_without_m_fx_sets_m_and_a_disagreement_names_fx(name, call, size):
    """No m: fx's size is m (nothing else says it without evaluating f), so a wrong size
    shows at f's first evaluation, and the message says the count came from fx."""
    fx = WRONG_SIZES[size]
    with pytest.raises(ValueError) as info:
        call(Counted(), fx)
    assert str(info.value) == (f"fdvjp: the function returned 2 values where {np.size(fx)} were expected "
                               f"(the size of fx, f's value at x as the caller gave it: f and fx disagree)")
