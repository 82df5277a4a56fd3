"""`fx=`: f's value at x, given by the caller to save one evaluation.

It is checked before anything is evaluated, and a wrong one is named as `fx`: without the
check a wrong size read as the black box's fault at its first evaluation ("the function
returned 2 values where 1 were expected"), a complex fx to a real entry point lost its
imaginary part with only a warning, and a NaN was reported as f's.
"""

import numpy as np

from .errors import NONFINITE_AT_X, FdvjpError

#: Where the expected output count comes from when no `m` is given and fx sets it: a later
#: disagreement of f with it names fx too.
FROM_FX = "the size of fx, f's value at x as the caller gave it: f and fx disagree"


def known_value(fx, x, m, where, origin, complex=False):
    """`(x, fx)` for a trampoline's `known` (None without fx), after checking fx: numbers
    (complex ones only where `complex`), `m` of them unless m is None (fx then sets m;
    `origin` says where m comes from, e.g. "one per entry of v"), all finite (else the
    `FdvjpError` FDVJP_NONFINITE_AT_X that a non-finite f(x) gives, naming fx)."""
    if fx is None:
        return None
    a = np.asarray(fx)
    if a.dtype.kind not in ("biufc" if complex else "biuf"):
        what = ("complex, for a real-only entry point (its imaginary part would be dropped)"
                if a.dtype.kind == "c" else f"of dtype {a.dtype}, not numbers")
        raise TypeError(f"{where}: fx (f's value at x) is {what}")
    if m is not None and a.size != m:
        raise ValueError(f"{where}: fx (f's value at x) has {a.size} element{'' if a.size == 1 else 's'} "
                         f"(shape {a.shape}) where {m} are expected ({origin})")
    values = np.asarray(a, dtype=np.complex128 if complex else np.float64).reshape(-1)
    bad = np.flatnonzero(~np.isfinite(values))
    if bad.size:
        i = int(bad[0])
        raise FdvjpError(NONFINITE_AT_X, f"{where}: fx[{i}] = {values[i]} is not finite (fx is f's value at "
                                         f"x, which must be finite; {bad.size} of its {values.size} entries are not)")
    return x.copy(), values
