"""The dtype policy shared by every entry point, plain, autograd and JAX.

- A floating argument (float16/32/64, bfloat16, any JAX or NumPy floating dtype) reaches
  the black box as a float64 NumPy array, whatever the caller's dtype: finite differences
  in float32 would lose half the digits (a central step of eps32^(1/3) ~ 5e-3 is no step at
  all for a float64 rounding model, and the rounding of f swamps the difference).
- A complex argument reaches it as complex128.
- Integer and boolean arguments are passed through unchanged and never differentiated;
  they are never the reason for an integer result.
- Results are cast back to the caller's floating dtype (see `result_dtype`); one beyond
  its range raises OverflowError instead of becoming inf (`narrow`).
"""

import functools
import inspect

import numpy as np


def kind(dtype):
    """'int' (integers and booleans), 'complex' or 'float' (every other numeric dtype,
    bfloat16 included, whose NumPy kind is 'V')."""
    dtype = np.dtype(dtype)
    if dtype.kind in "iub":
        return "int"
    if dtype.kind == "c":
        return "complex"
    return "float"


def numeric(dtype):
    """Whether `dtype` holds numbers: booleans, integers, floating (bfloat16 and other
    ml_dtypes floats too, NumPy kind 'V' without fields) or complex; not strings, bytes,
    objects, dates or structured records, which float64 conversion would coerce ("1.0"
    became 1.0, None NaN)."""
    dtype = np.dtype(dtype)
    if dtype.kind in "biufc":
        return True
    return dtype.kind == "V" and dtype.names is None and dtype.subdtype is None and dtype.type is not np.void


def check_numeric(a, what, where="fdvjp"):
    """`a` as an array, refused (TypeError naming `what`) unless it holds numbers."""
    a = np.asarray(a)
    if not numeric(a.dtype):
        first = a.reshape(-1)[0] if a.size else None
        example = f" ({getattr(first, 'item', lambda: first)()!r}{', ...' if a.size > 1 else ''})" if a.size else ""
        raise TypeError(f"{where}: {what} must be numbers, got {a.dtype} values{example}")
    return a


def host_array(a):
    """`a` as the black box must see it: float64 / complex128 / unchanged integers."""
    a = check_numeric(a, "an argument")
    k = kind(a.dtype)
    if k == "int":
        return a
    return np.asarray(a, dtype=np.complex128 if k == "complex" else np.float64)


def real_input(x, name, where):
    """x as a private contiguous float64 array for a real-only entry point; a complex x is
    an error (its imaginary part would otherwise be dropped silently)."""
    a = check_numeric(x, name, where)
    if kind(a.dtype) == "complex":
        raise TypeError(
            f"{where}: {name} is complex ({a.dtype}); this entry point differentiates real "
            f"functions only and would drop the imaginary part: use fdvjp.complex_vjp / "
            f"complex_jvp / complex_jacobian for complex arguments"
        )
    return np.array(a, dtype=np.float64, order="C", copy=True)


def result_dtype(dtypes, default=np.float64, complex_result=False):
    """The caller's floating dtype: the promotion of the floating (and complex) argument
    dtypes, `default` when there are none; complex when `complex_result`."""
    floating = [np.dtype(d) for d in dtypes if kind(d) != "int"]
    if not floating:
        out = np.dtype(default)
    else:
        out = floating[0]
        for d in floating[1:]:
            out = np.promote_types(out, d)
    if complex_result and kind(out) != "complex":
        out = np.result_type(out, np.complex64) if out.itemsize >= 4 else np.dtype(np.complex64)
    return out


def strong_dtype(a):
    """The dtype an argument imposes: arrays and NumPy scalars (or anything with a dtype)
    do; Python numbers and lists do not (NumPy 2's weak scalars: `vjp(f, x32, 1.0)` is a
    float32 call)."""
    dtype = getattr(a, "dtype", None)
    if dtype is None:
        return None
    try:
        return np.dtype(dtype)
    except TypeError:
        return None


def narrow(value, dtype, where):
    """`value` (float64 / complex128) cast to the caller's `dtype`, refusing to lose it:
    a finite value beyond the dtype's range would become inf with only NumPy's
    RuntimeWarning (`vjp(x**2)` at float16 60000 gave inf for 120000), so that raises an
    OverflowError naming the dtype. Values below its smallest subnormal become 0, as in the
    dtype's own arithmetic (`vjp(exp)` at float16 -20 gives 0 for 2.1e-9, as float16's own
    exp gives 0 there); pass float64 arguments to keep them."""
    value = np.asarray(value)
    dtype = np.dtype(dtype)
    if value.dtype == dtype:
        return value
    with np.errstate(over="ignore", invalid="ignore"):
        out = value.astype(dtype)
    if kind(dtype) != "int" and value.size:
        wide = np.complex128 if kind(dtype) == "complex" else np.float64
        lost = np.isfinite(value) & ~np.isfinite(np.asarray(out, dtype=wide))
        if lost.any():
            largest = float(np.max(np.abs(value[lost])))
            raise OverflowError(f"{where}: the result {largest:.3g} does not fit the caller's dtype {dtype} "
                                f"(beyond its largest value, it would be inf); pass float64 arguments")
    return out


def _cast(value, dtype, where):
    if isinstance(value, tuple):
        return tuple(_cast(v, dtype, where) for v in value)
    if isinstance(value, np.ndarray) and value.dtype != dtype:
        return narrow(value, dtype, where)
    return value


def caller_dtype(*names, result="real"):
    """Decorates an entry point computing in float64 / complex128 so that it returns the
    caller's floating dtype (`result_dtype` of the arguments `names`; float64 when none has
    a floating dtype): float32 in, float32 out; complex64 in, complex64 out. `result`:
    "real" (a complex caller dtype gives its real counterpart, e.g. the real Jacobian of a
    complex function) or "complex". Arrays already of that dtype are returned as they are
    (float64 callers: bit for bit what the computation gave)."""

    def wrap(fn):
        signature = inspect.signature(fn)

        @functools.wraps(fn)
        def entry(*args, **kwargs):
            out = fn(*args, **kwargs)
            bound = signature.bind_partial(*args, **kwargs).arguments
            dtypes = [d for d in (strong_dtype(bound.get(n)) for n in names) if d is not None]
            dtype = result_dtype(dtypes, complex_result=result == "complex")
            if result == "real" and kind(dtype) == "complex":
                dtype = np.dtype(np.finfo(dtype).dtype)
            return _cast(out, dtype, f"fdvjp.{fn.__name__}")

        return entry

    return wrap
