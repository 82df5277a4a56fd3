"""The dtype policy shared by every entry point, plain, autograd and JAX.

- A floating argument (float16/32/64, bfloat16, any JAX or NumPy floating dtype) reaches
  the black box as a float64 NumPy array, whatever the caller's dtype: finite differences
  in float32 would lose half the digits (a central step of eps32^(1/3) ~ 5e-3 is no step at
  all for a float64 rounding model, and the rounding of f swamps the difference).
- A complex argument reaches it as complex128.
- Integer and boolean arguments are passed through unchanged and never differentiated;
  they are never the reason for an integer result.
- Results are cast back to the caller's floating dtype (see `result_dtype`).
"""

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


def host_array(a):
    """`a` as the black box must see it: float64 / complex128 / unchanged integers."""
    a = np.asarray(a)
    k = kind(a.dtype)
    if k == "int":
        return a
    return np.asarray(a, dtype=np.complex128 if k == "complex" else np.float64)


def real_input(x, name, where):
    """x as a private contiguous float64 array for a real-only entry point; a complex x is
    an error (its imaginary part would otherwise be dropped silently)."""
    a = np.asarray(x)
    if kind(a.dtype) == "complex":
        raise TypeError(
            f"{where}: {name} is complex ({a.dtype}); this entry point differentiates real "
            f"functions only and would drop the imaginary part: use fdvjp.complex_vjp / "
            f"complex_jvp / complex_jacobian for complex arguments"
        )
    if a.dtype == object:
        raise TypeError(f"{where}: {name} must be a numeric array, got objects")
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
