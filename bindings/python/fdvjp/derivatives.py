"""`vjp`, `jvp` and `jacobian` of a Python function on numpy arrays, by finite differences."""

import numpy as np

from . import _library
from .callback import EXPECTED_OUTPUTS, Trampoline
from .config import COL_MAJOR, resolve
from .errors import FdvjpError, check
from .known import FROM_FX, known_value
from .policy import caller_dtype, check_numeric, real_input
from .report import record


def as_input(x, dtype=np.float64, name="x", where="fdvjp"):
    """x as a contiguous float64 (or complex128) array (a private copy: fdvjp only reads it).
    A complex x where a real one is expected is a TypeError naming `where` and `name`."""
    if np.dtype(dtype).kind == "c":
        return np.array(check_numeric(x, name, where), dtype=dtype, order="C", copy=True)
    return real_input(x, name, where)


def check_direction(u, x, where, name="u", x_name="x"):
    """Refuses a direction u whose size is not x's: the C entry points read x.size entries
    of u, so a shorter u was read past its end (garbage results) and a longer one cut."""
    if u.size != x.size:
        raise ValueError(f"{where}: {name} has {u.size} element{'' if u.size == 1 else 's'}, {x_name} has "
                         f"{x.size} ({name} is a direction in {x_name}'s space: one entry per element of {x_name})")
    return u


def check_count(m, where, name="m", required=False):
    """`m` (f's number of outputs, the length of the output buffer handed to C) as an int;
    None stays None unless `required`. A float, bool or negative m is refused (a float was
    truncated)."""
    if m is None and not required:
        return None
    if isinstance(m, (bool, np.bool_)) or not isinstance(m, (int, np.integer)) or m < 0:
        raise ValueError(f"{where}: {name} (f's number of outputs) must be a non-negative integer, got {m!r}")
    return int(m)


def make_trampoline(f, shape, m, executor=None, known=None, expected=EXPECTED_OUTPUTS):
    """The C callback for f: one point per call, or batches of points mapped over
    `executor` (a `concurrent.futures.Executor`) for the `_batch` entry points. An
    executor with a `batch_function(f)` method (a `gather.Lane`) makes the batch function
    itself."""
    if executor is None:
        return Trampoline(f, shape, m, known=known, expected=expected)
    from .batch import BatchTrampoline, ExecutorBatch

    make = getattr(executor, "batch_function", None)
    batch = make(f) if make is not None else ExecutorBatch(f, executor)
    return BatchTrampoline(batch, shape, m, known=known, expected=expected)


def entry(name, executor=None):
    """The C entry point `name`, or its `_batch` variant when an executor evaluates f."""
    return _library.function(name + "_batch" if executor is not None else name)


def executor_options(options, executor, n):
    """With an executor and no explicit batch size, hand every point of a stencil over at
    once (1 + 4n covers the widest, 4th-order, stencil)."""
    if executor is not None and "batch_size" not in options:
        options = dict(options, batch_size=4 * n + 1)
    return options


def pointer(a):
    """The array's data as `double *` (a complex128 array as interleaved re/im doubles)."""
    return a.ctypes.data_as(_library.c_double_p) if a.size else None


def output_shape(f, x):
    """The shape of f(x): one evaluation, for callers that did not say what m is."""
    return np.shape(f(x.copy()))


def run(entry, f, x, m, config, options, *rest, complex=False, trampoline=None):
    """Calls the C `entry(cfg, f, NULL, x, n, m, *rest)`, raising the user's exception or an
    FdvjpError on failure; returns the config used (None for the defaults). With `complex`,
    f works on complex128 arrays (an `fdvjp_cfn`); x may be real or complex (`pointer`)."""
    cfg, owned = resolve(config, options)
    trampoline = trampoline or Trampoline(f, x.shape, m, complex=complex)
    try:
        status = entry(cfg.handle if cfg else None, trampoline.c_function, None, pointer(x), x.size, m, *rest)
    finally:
        if owned:
            cfg.close()
    failure = None
    if status != 0:
        try:
            check(status)  # reads the last-error message before anything else replaces it
        except FdvjpError as e:
            failure = e
    record()  # this thread's fdvjp_last_report, kept for fdvjp.last_report()
    trampoline.reraise(failure)
    if cfg is not None and cfg.progress is not None:
        cfg.progress.reraise(failure)
    if failure is not None:
        raise failure
    return cfg


@caller_dtype("x", "v")
def vjp(f, x, v, config=None, executor=None, fx=None, **options):
    """grad = v^T J(x) for y = f(x): an array of x's shape.

    f takes a float64 array of x's shape and returns an array (or scalar) of v's size; `v`
    is the cotangent of f's output. Costs 1 + 2n evaluations with central differences (2n
    when `fx`, f's value at x, is given). Options are those of `Config` (or pass
    `config=`). `executor` (any `concurrent.futures.Executor`) evaluates the perturbed
    points there, a stencil's points at a time; the result is bit-identical to a serial
    run. x must be real (complex: `complex_vjp`). A wrong `fx` (size, dtype, a NaN or
    Inf) raises naming it before anything is evaluated.
    """
    x = as_input(x, where="fdvjp.vjp")
    v = as_input(v, name="v", where="fdvjp.vjp").reshape(-1)
    known = known_value(fx, x, v.size, "fdvjp.vjp", "one per entry of v")
    grad = np.empty(x.size)
    run(entry("fdvjp_vjp", executor), f, x, v.size, config, executor_options(options, executor, x.size),
        pointer(v), pointer(grad), trampoline=make_trampoline(f, x.shape, v.size, executor, known))
    return grad.reshape(x.shape)


@caller_dtype("x", "u")
def jvp(f, x, u, m=None, config=None, executor=None, fx=None, **options):
    """J(x) u for y = f(x): an array of f's output shape (flat if `m` is given).

    Without `m` (or `fx`, f's value at x, which also saves an evaluation), f is evaluated
    once more to learn its output shape. `executor` as in `vjp`; `fx` as in `vjp` (without
    `m`, its size sets m).
    """
    m = check_count(m, "fdvjp.jvp")
    x = as_input(x, where="fdvjp.jvp")
    u = as_input(u, name="u", where="fdvjp.jvp").reshape(-1)
    check_direction(u, x, "fdvjp.jvp")
    known = known_value(fx, x, m, "fdvjp.jvp", f"m = {m}")
    if m is not None:
        shape = (m,)
    elif fx is not None:
        shape = np.shape(fx)
    else:
        shape = output_shape(f, x)
    out = np.empty(int(np.prod(shape)))
    expected = FROM_FX if m is None and fx is not None else EXPECTED_OUTPUTS
    run(entry("fdvjp_jvp", executor), f, x, out.size, config, executor_options(options, executor, x.size),
        pointer(u), pointer(out), trampoline=make_trampoline(f, x.shape, out.size, executor, known, expected))
    return out.reshape(shape)


def reshape_jacobian(jac, m, n, cfg):
    """The flat C Jacobian as an (m, n) array, whatever the config's layout."""
    if cfg is not None and cfg.layout == COL_MAJOR:
        return jac.reshape((m, n), order="F")
    return jac.reshape((m, n))


@caller_dtype("x")
def jacobian(f, x, m=None, config=None, executor=None, fx=None, **options):
    """The (m, n) Jacobian J[i, j] = d f_i / d x_j, f's output and x flattened in C order.

    Without `m` (or `fx`), f is evaluated once more to learn its output size. `executor`
    and `fx` as in `jvp`.
    """
    m = check_count(m, "fdvjp.jacobian")
    x = as_input(x, where="fdvjp.jacobian")
    known = known_value(fx, x, m, "fdvjp.jacobian", f"m = {m}")
    expected = FROM_FX if m is None and fx is not None else EXPECTED_OUTPUTS
    if m is None:
        m = known[1].size if known is not None else int(np.prod(output_shape(f, x)))
    jac = np.empty(m * x.size)
    cfg = run(entry("fdvjp_jacobian", executor), f, x, m, config, executor_options(options, executor, x.size),
              pointer(jac), trampoline=make_trampoline(f, x.shape, m, executor, known, expected))
    return reshape_jacobian(jac, m, x.size, cfg)
