"""Python callables as C callbacks.

An exception raised by the user's function must not cross the C boundary (ctypes would
print and swallow it): the trampoline stores it, returns non-zero so that fdvjp aborts the
computation, and `reraise` raises it again after the C call returns.
"""

import ctypes

import numpy as np

from . import _library
from .policy import check_numeric

#: The value the trampoline returns to fdvjp when the Python function raised.
PYTHON_EXCEPTION = 1

#: `fdvjp_fn` with its pointers received as plain addresses (ints): ctypes then builds no
#: pointer object per call, and `doubles_at` reads the buffer without `np.ctypeslib`
#: (together ~12 us less per evaluation). Cast to `_library.FUNCTION` for the entry points.
RAW_FUNCTION = ctypes.CFUNCTYPE(ctypes.c_int32, ctypes.c_void_p, ctypes.c_void_p, ctypes.c_size_t,
                                ctypes.c_void_p, ctypes.c_size_t)


def doubles_at(address, count):
    """The `count` doubles at `address` as a writable NumPy view (no copy): valid only while
    fdvjp's buffer is, i.e. during the callback."""
    return np.frombuffer((ctypes.c_double * count).from_address(address), dtype=np.float64)


def as_values(y, dtype):
    """f's value as a flat array of `dtype`; complex values where real ones are expected
    are an error, not a silently dropped imaginary part."""
    if y is None:
        raise TypeError("fdvjp: the function returned None (a missing `return`?); it must return "
                        "its value: an array or a number")
    y = np.asarray(y)
    if y.dtype == object:
        raise TypeError(f"fdvjp: the function returned {type(y.flat[0]).__name__ if y.size else 'an empty'} "
                        f"objects, not numbers")
    check_numeric(y, "the function's values")  # a string "1.0" was read as 1.0
    if y.dtype.kind == "c" and np.dtype(dtype).kind != "c":
        raise TypeError(
            "fdvjp: the function returned complex values to a real-only entry point (the "
            "imaginary part would be dropped): use fdvjp.complex_vjp / complex_jvp / complex_jacobian"
        )
    return np.asarray(y, dtype=dtype).reshape(-1)


def reuse(trampoline, x):
    """The known value at x (once), or None: see `Trampoline.known`."""
    known = trampoline.known
    if known is None:
        return None
    x0, y0 = known
    if x.shape == x0.shape and x.dtype == x0.dtype and x.tobytes() == x0.tobytes():
        trampoline.known = None
        return np.asarray(y0, dtype=trampoline.dtype).reshape(-1)
    return None


# What fixes the number of outputs the caller promised: a wrong-length v reads as f's
# fault unless the message says where the expected count came from.
EXPECTED_OUTPUTS = "one per entry of v for a VJP, m for a JVP or a Jacobian"


class Trampoline:
    """Wraps `f`, which takes an array of `in_shape` and returns anything of `out_size`
    elements, as an `fdvjp_fn`, or as an `fdvjp_cfn` over complex128 arrays when `complex`
    (C then passes interleaved re/im doubles and counts complex numbers). Keep the object
    alive while C may call it."""

    def __init__(self, f, in_shape, out_size, complex=False, known=None, expected=EXPECTED_OUTPUTS):
        self.f = f
        self.expected = expected  # where out_size came from, for the size message
        # (x0, y0): f's value at x0, already computed by the caller (autograd's `ans`, a
        # JAX primal output). The first evaluation at exactly x0 returns it instead of
        # calling f again: one evaluation fewer, the same numbers.
        self.known = known
        self.in_shape = tuple(in_shape)
        self.out_size = out_size
        self.dtype = np.complex128 if complex else np.float64
        self.doubles_per_value = 2 if complex else 1
        self.error = None
        self._n = int(np.prod(self.in_shape)) or -1  # x's length as C counts it; -1: n = 0 never matches
        self._x_type = ctypes.c_double * (self.doubles_per_value * max(self._n, 0))
        self._raw = RAW_FUNCTION(self._call)  # kept alive: the cast below only points at it
        self.c_function = ctypes.cast(self._raw, _library.FUNCTION)

    def _call(self, _user, x, n, y, m):
        try:
            k = self.doubles_per_value
            # fdvjp's buffer lives only for this call: the user gets a private copy.
            xs = (np.frombuffer(self._x_type.from_address(x), np.float64).copy() if n == self._n
                  else doubles_at(x, k * n).copy() if n else np.zeros(0))
            xs = (xs if k == 1 else xs.view(self.dtype)).reshape(self.in_shape)
            out = reuse(self, xs) if self.known is not None else None
            if out is None:
                out = self.f(xs)
                if k == 1 and m == 1 and type(out) in (float, np.float64) and self.out_size == 1:
                    # one real number (a loss): written straight, no array round trip
                    ctypes.c_double.from_address(y).value = out
                    return 0
                out = as_values(out, self.dtype)
            if out.size != self.out_size:
                raise ValueError(
                    f"fdvjp: the function returned {out.size} values where {self.out_size} were expected"
                    f" ({self.expected})"
                )
            if m:
                doubles_at(y, k * m)[:] = out if k == 1 else out.view(np.float64)
            return 0
        except BaseException as e:  # noqa: BLE001 - everything must stop at the boundary
            if self.error is None:
                self.error = e
            return PYTHON_EXCEPTION

    def reraise(self, failure=None):
        """Raises the stored exception (if any), with the fdvjp failure as a note."""
        if self.error is not None:
            error, self.error = self.error, None
            if failure is not None and hasattr(error, "add_note"):
                error.add_note(f"(raised inside a function called by fdvjp: {failure})")
            raise error
