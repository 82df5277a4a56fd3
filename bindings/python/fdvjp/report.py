"""`fdvjp.last_report()`: what the last computation did (evaluations, refined directions,
fall-backs, error bound, noise), from the C library's per-thread `fdvjp_last_report`.

The report is read right after each computation the package runs and kept for the whole
process, because the JAX and executor paths compute on other threads than the caller's:
`last_report()` is the latest computation's, whichever thread ran it.
"""

import ctypes
import dataclasses
import threading

import numpy as np

from . import _library
from .errors import check

NOISE_SOURCES = {0: "none", 1: "declared", 2: "estimated"}

_lock = threading.Lock()
_latest = None
_local = threading.local()  # this thread's latest, for adapters that combine computations


@dataclasses.dataclass(frozen=True)
class Report:
    """One computation: `completed` (False when it failed), `evaluations` of f (f(x)
    included), `directions` differentiated, directions refined because the plain step was
    too large for f's scale (`refined_large`), swamped by rounding (`refined_rounding`) or
    chosen from f's noise (`refined_noise`), fall-backs at NaN/Inf (`nonfinite_fallbacks`)
    and at bounds (`bound_fallbacks`), the largest estimated absolute error of the result
    (`error_bound`, NaN when the computation gives none), and the noise: its largest level,
    where it came from ("none", "declared", "estimated") and one level per output. With a
    learned sparsity pattern (`Config.detect_sparsity`): the check's largest
    disagreement-to-tolerance ratio (`sparsity_check`, NaN when no check ran; above 1 it
    failed) and whether the call therefore fell back to dense and learned the pattern
    again (`sparsity_relearned`). `unbounded_directions`: directions whose error the call
    could not bound (forward differences not refined, fourth order, caller's steps,
    adaptive steps); when any, `error_bound` is NaN."""

    completed: bool
    evaluations: int
    directions: int
    refined_large: int
    refined_rounding: int
    refined_noise: int
    nonfinite_fallbacks: int
    bound_fallbacks: int
    error_bound: float
    noise_level: float
    noise_source: str
    noise: np.ndarray
    sparsity_check: float = float("nan")
    sparsity_relearned: bool = False
    unbounded_directions: int = 0


def _read():
    raw = _library.REPORT()
    check(_library.function("fdvjp_last_report")(ctypes.byref(raw), ctypes.sizeof(raw)))
    noise_fn = _library.function("fdvjp_last_report_noise")
    m = noise_fn(None, 0)
    noise = np.zeros(m)
    if m:
        noise_fn(noise.ctypes.data_as(_library.c_double_p), m)
    return Report(bool(raw.completed), raw.evaluations, raw.directions, raw.refined_large, raw.refined_rounding,
                  raw.refined_noise, raw.nonfinite_fallbacks, raw.bound_fallbacks, raw.error_bound, raw.noise_level,
                  NOISE_SOURCES.get(raw.noise_source, str(raw.noise_source)), noise,
                  raw.sparsity_check, bool(raw.sparsity_relearned), raw.unbounded_directions)


def record():
    """Reads this thread's C report into the process-wide latest (after a computation)."""
    global _latest
    if not _library.has("fdvjp_last_report"):
        return
    report = _read()
    _local.report = report
    with _lock:
        _latest = report


def this_thread():
    """The report of the latest computation this thread ran (None before any)."""
    return getattr(_local, "report", None)


def clear_thread():
    """Forgets this thread's latest (so that a call which ran no computation shows None)."""
    _local.report = None


def publish(report):
    """Makes `report` the latest (an adapter's report of a whole call: `combine`)."""
    global _latest
    if report is None:
        return
    _local.report = report
    with _lock:
        _latest = report


def combine(reports):
    """One report for several computations that make one call (a vmapped derivative's
    batch elements): evaluations, directions, refinements, fall-backs and unbounded
    directions summed; error bound and noise level the largest (the bound NaN when any is
    NaN: one unbounded element leaves the call unbounded); completed when all did; the
    per-output noise the elementwise largest (outputs of equal count; else concatenated)."""
    reports = [r for r in reports if r is not None]
    if len(reports) <= 1:
        return reports[0] if reports else None
    bounds = [r.error_bound for r in reports]
    bound = float("nan") if any(np.isnan(b) for b in bounds) else max(bounds)
    sources = [r.noise_source for r in reports]
    source = next((s for s in ("estimated", "declared") if s in sources), sources[0])
    shapes = {r.noise.shape for r in reports}
    noise = np.max([r.noise for r in reports], axis=0) if len(shapes) == 1 else np.concatenate([r.noise for r in reports])
    checks = [r.sparsity_check for r in reports if not np.isnan(r.sparsity_check)]
    return Report(all(r.completed for r in reports), sum(r.evaluations for r in reports),
                  sum(r.directions for r in reports), sum(r.refined_large for r in reports),
                  sum(r.refined_rounding for r in reports), sum(r.refined_noise for r in reports),
                  sum(r.nonfinite_fallbacks for r in reports), sum(r.bound_fallbacks for r in reports), bound,
                  max(r.noise_level for r in reports), source, noise, max(checks) if checks else float("nan"),
                  any(r.sparsity_relearned for r in reports), sum(r.unbounded_directions for r in reports))


def last_report():
    """The `Report` of the latest computation the package ran (any thread); before any,
    this thread's C report (zero, not completed)."""
    with _lock:
        latest = _latest
    return latest if latest is not None else _read()
