"""The complex step's error bound for a black box that returns complex64.

The C library bounds the rounding of a complex-step derivative by `8 eps S` (S the size of
the entry's terms, eps float64's; src/fd/complex_step.rs `entry_bound`) plus `U / h` (U the
subnormal spacing, h the step), for an f exact to float64. An f returning complex64 (NumPy
complex64, JAX with x64 off) is at best exact to float32: measured errors were 4e6 to 1.4e8
times the bound. `Observed` watches f's results; for a lower precision it widens the bound
of a VJP or Jacobian to that precision in the library's form, `8 eps32 S + U32 / h` (added
to the library's own, which keeps its truncation term), and refuses points that precision
cannot hold as normal numbers (x or a step below float32's 1.2e-38, x above 3.4e38),
where f's float32 arithmetic would lose x or the step. A JVP's bound is NaN instead (one
unbounded direction): its one evaluation along u sums the terms J_ij u_j inside f, so it
cannot see their size, and float32's rounding of them exceeded `8 eps32 |J u|` by up to
19 times at random u. Like the library's, the bound is a model: it assumes f varies on
the scale of |x_j| (so that rounding x to float32 moves f' by about an ulp), it cannot
see cancellation inside f, and it sees only the result's dtype, not a lower precision
inside f.
"""

import contextlib
import dataclasses

import numpy as np

from .errors import FdvjpError
from .report import publish, this_thread

#: The rounding of Im f in units of eps times the size of its terms (`ROUNDING_ULPS`).
ROUNDING_ULPS = 8.0
EPS = np.finfo(np.float64).eps


class Observed:
    """f for a complex-step entry point `where`: refuses a real-typed result, and for a
    result of lower precision than complex128 adds up the bound's widening. `weights`: |v|
    for a VJP (an entry's terms are summed over the outputs), else None (one output's);
    `bounded`: False for a JVP (its bound is then NaN)."""

    def __init__(self, f, where, weights=None, bounded=True):
        self.f, self.where = f, where
        self.weights, self.bounded = weights, bounded
        self.low = None  # np.finfo of the lowest precision seen below float64
        self.low_dtype = None  # the result dtype that had it
        self.widening = 0.0

    def __call__(self, z):
        y = self.f(z)
        dtype = np.asarray(y).dtype
        if dtype.kind in "biuf":
            raise TypeError(f"{self.where}: f returned a real-typed result for complex input, so it is "
                            "not analytic as written (np.abs, .real, ...): the complex step needs "
                            "complex arithmetic throughout")
        if dtype.kind == "c" and np.finfo(dtype).eps > EPS:
            info = np.finfo(dtype)
            self._check_held(z, info, dtype)
            if self.low is None or info.eps > self.low.eps:
                self.low, self.low_dtype = info, dtype
            t = z.imag.reshape(-1)
            if self.bounded and np.any(t):
                self.widening = max(self.widening, self._widening(t, np.asarray(y), info))
        return y

    def _check_held(self, z, info, dtype):
        for part, what in ((z.real.reshape(-1), "x"), (z.imag.reshape(-1), "the complex step of x")):
            a = np.abs(part)
            bad = np.flatnonzero((a != 0) & ((a < info.tiny) | (a > info.max)))
            if bad.size:
                j = int(bad[0])
                raise ValueError(
                    f"{self.where}: f returned {dtype}, whose {info.dtype} cannot hold {what}[{j}] = "
                    f"{part[j]:.3e} as a normal number ({info.tiny:.3e} to {info.max:.3e}), so the derivative "
                    f"would lose it; compute f in complex128 (or move x)")

    def _widening(self, t, y, info):
        """What one column's point x + i h e_j adds: `8 (eps_low - eps) S + U_low (sum of
        weights) / h` over the entries it gives (the column is Im f / h)."""
        c = 1.0 / float(np.min(np.abs(t[np.flatnonzero(t)])))
        d = np.abs(y.imag.astype(np.float64)).reshape(-1) * c
        size, weight = (np.max(d), 1.0) if self.weights is None else (d @ self.weights, np.sum(self.weights))
        return ROUNDING_ULPS * (info.eps - EPS) * size + float(info.smallest_subnormal) * c * weight

    @contextlib.contextmanager
    def explaining(self):
        """Adds to an `FdvjpError` raised inside that f's lower precision may be its cause
        (float32 underflow of the step's imaginary parts reads as "f is not
        complex-analytic", an overflow as a non-finite f(x))."""
        try:
            yield
        except FdvjpError as e:
            if self.low is not None and hasattr(e, "add_note"):
                e.add_note(f"(f returned {self.low_dtype}: {self.low.dtype}'s rounding, underflow (below "
                           f"{self.low.tiny:.3e}) or overflow (above {self.low.max:.3e}) may be what fdvjp saw; "
                           f"compute f in complex128)")
            raise

    def publish(self):
        """After a successful computation: this thread's report with the bound widened (NaN
        stays NaN; a JVP's NaN), made the latest (`fdvjp.last_report()`)."""
        report = this_thread()
        if self.low is None or report is None:
            return
        if self.bounded:
            publish(dataclasses.replace(report, error_bound=report.error_bound + self.widening))
        elif report.directions:  # (u = 0: J 0 = 0 exactly, bound 0, no direction)
            publish(dataclasses.replace(report, error_bound=float("nan"),
                                        unbounded_directions=max(report.unbounded_directions, report.directions)))
