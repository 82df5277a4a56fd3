"""The autograd adapter with mixed float16 / float32 / float64 / integer arguments: in
every evaluation fdvjp makes, the black box gets float64 for floating arguments,
positional and keyword (integers unchanged, float64 where autograd differentiates them),
and the gradient matches the exact one. On main a float32 keyword argument reached the
black box as float32, and autograd's answer, computed at the caller's float16 / float32
arguments, was reused as f(x): its rounding inside f read as a jump of f, and d/da was
4.5e-4 (float16) / 6.5e-7 (float32) off where float64 gives 4e-11."""

from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest

autograd = pytest.importorskip("autograd")
import autograd.numpy as anp  # noqa: E402
from autograd import grad, jacobian  # noqa: E402
from autograd.extend import defvjp, defvjp_argnums, primitive  # noqa: E402

from fdvjp.autograd import vjp_numeric  # noqa: E402

A = np.array([0.3, -1.2, 0.7])
B = np.array([3.0, 1.0, 4.0])
C = np.array([1.0, 2.0, 3.0])
SCALE = 1.5
DTYPES = [np.float16, np.float32, np.float64, np.int64]
POOL = ThreadPoolExecutor(2)


class Box:
    """f(a, b, c, scale=s) = sum(sin(a) b) + s sum(b c), computed in the arguments' own
    dtypes (b c in float16 when they are), recording the dtypes of every call."""

    def __init__(self):
        self.calls = []

    def __call__(self, a, b, c, scale=1.0):
        self.calls.append(tuple(np.asarray(t).dtype for t in (a, b, c, scale)))
        return np.sum(np.sin(a) * b) + float(scale * np.sum(b * c))


def exact_gradient(argnum, a, b, c, s):
    return [np.cos(a) * b, np.sin(a) + s * c, s * b][argnum]


def makers(box):
    """(name, primitive) for each way to attach fdvjp: one maker per argnum, one for all."""
    out = []
    for name, ex in (("", None), (" executor", POOL)):
        p = primitive(box)
        defvjp(p, *(vjp_numeric(p, i, executor=ex) for i in range(3)))
        q = primitive(box)
        defvjp_argnums(q, vjp_numeric(q, (0, 1, 2), executor=ex))
        out += [("defvjp" + name, p), ("defvjp_argnums" + name, q)]
    return out


def arguments(dtype):
    return A, B.astype(dtype), C.astype(dtype), np.float32(SCALE) if dtype != np.int64 else SCALE


def tolerance(exact, dtype):
    """float64: central differences at these points are within 1e-9; a float16 / float32
    result is the exact one rounded to that dtype (half a unit in its last place)."""
    if dtype in (np.float16, np.float32):
        return 0.5 * np.spacing(np.abs(exact).astype(dtype)).astype(np.float64) + 1e-9
    return 1e-9


@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: np.dtype(d).name)
@pytest.mark.parametrize("argnum", [0, 1, 2])
@pytest.mark.parametrize("which", range(4))
def test_black_box_gets_float64_and_the_gradient_is_exact(dtype, argnum, which):
    box = Box()
    name, f = makers(box)[which]
    args = arguments(dtype)
    a, b, c = (np.asarray(t, np.float64) for t in args[:3])
    g = grad(lambda *xs: f(*xs, scale=args[3]), argnum)(*args[:3])
    # the dtypes fdvjp's evaluations gave the box (the first call is autograd's forward call)
    for a_t, b_t, c_t, s_t in box.calls[1:]:
        assert a_t == np.float64 and s_t == np.float64, (name, box.calls)
        want = np.int64 if dtype == np.int64 else np.float64
        assert b_t == (np.float64 if argnum == 1 else want) and c_t == (np.float64 if argnum == 2 else want)
    exact = exact_gradient(argnum, a, b, c, SCALE)
    result_dtype = np.float64 if argnum == 0 or dtype == np.int64 else dtype
    assert np.asarray(g).dtype == result_dtype
    assert np.all(np.abs(np.asarray(g, np.float64) - exact) <= tolerance(exact, result_dtype)), (name, g, exact)


@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: np.dtype(d).name)
@pytest.mark.parametrize("which", range(4))
def test_jacobian_through_the_adapter(dtype, which):
    """autograd's jacobian (one VJP per output row) of a vector-valued use of the box."""
    box = Box()
    _, f = makers(box)[which]
    args = arguments(dtype)
    a, b, c = (np.asarray(t, np.float64) for t in args[:3])
    J = jacobian(lambda x: anp.stack([f(x, args[1], args[2], scale=args[3]), 2.0 * f(x, args[1], args[2])]))(A)
    exact = np.stack([np.cos(a) * b, 2.0 * np.cos(a) * b])
    assert np.max(np.abs(J - exact)) <= 1e-9
    want = np.int64 if dtype == np.int64 else np.float64
    assert len(box.calls) > 2
    for t in box.calls[2:]:  # after the two forward calls
        assert t == (np.float64, want, want, np.float64), (box.calls[:2], t)


def test_float64_arguments_reuse_autograds_answer():
    """Only when the caller's dtypes are what fdvjp gives the box is the forward answer
    reused: 1 + 2n evaluations in all for float64, one more for float32."""
    for dtype, calls in ((np.float64, 1 + 2 * 3), (np.float32, 2 + 2 * 3)):
        box = Box()
        _, f = makers(box)[0]
        args = arguments(dtype)
        grad(lambda x: f(x, args[1], args[2], scale=np.float64(SCALE)))(A)
        assert len(box.calls) == calls, (dtype, box.calls)
