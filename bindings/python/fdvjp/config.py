"""`Config`: the options of a computation, owning one C `fdvjp_config` handle."""

import ctypes

import numpy as np

from . import _library
from .errors import check

SCHEMES = {"central": 0, "forward": 1, "backward": 2, "central4": 3}
NOISE_MODES = {"auto": 0, "estimate": 1, "off": 2}
ROW_MAJOR, COL_MAJOR = 0, 1
LAYOUTS = {"row_major": ROW_MAJOR, "col_major": COL_MAJOR}


def real_numbers(values, name, where="fdvjp.Config"):
    """`values` (a number or an array of them) as float64, refusing what float64 conversion
    would coerce: strings ("1e-3" became 0.001), booleans, complex numbers, None, objects."""
    a = np.asarray(values)
    if a.dtype.kind not in "iuf":
        raise TypeError(f"{where}: {name} must be real numbers (an int or float, or an array of them), "
                        f"got {values!r}")
    return a.astype(np.float64)


def check_per_argument(value, name, where):
    """A per-argument option (steps, typical, bounds of the autograd and JAX wrappers: tuples,
    lists or dicts of numbers and arrays, None for the default) checked when the wrapper is
    built, as keyword options are: every leaf must be real numbers."""
    if value is None:
        return
    if isinstance(value, (tuple, list, dict)):
        for v in value.values() if isinstance(value, dict) else value:
            check_per_argument(v, name, where)
        return
    real_numbers(value, name, where)


def _doubles(values, name):
    a = np.ascontiguousarray(real_numbers(values, name)).reshape(-1)
    return a, a.ctypes.data_as(_library.c_double_p)


def _flag(value, name):
    """A boolean option as 0 / 1: only True or False (NumPy's too); bool("no") is True, so
    a string or a number would silently switch the option on."""
    if not isinstance(value, (bool, np.bool_)):
        raise TypeError(f"fdvjp.Config: {name} must be True or False, got {value!r}")
    return 1 if value else 0


def _choice(value, name, names):
    """An enum-like option: one of the documented `names`, or an int (the C library's code,
    which it validates). A float or bool is refused: int(1.9) and int(True) were codes."""
    if isinstance(value, str):
        if value not in names:
            raise ValueError(f"fdvjp.Config: unknown {name} {value!r}; one of {sorted(names)}")
        return names[value]
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, np.integer)):
        raise TypeError(f"fdvjp.Config: {name} must be one of {sorted(names)} (or the C library's integer "
                        f"code), got {value!r}")
    if not -2**31 <= value < 2**31:  # ctypes would wrap it into int32: 2**32 + 1 read as 1
        raise ValueError(f"fdvjp.Config: unknown {name} code {value!r}; one of {sorted(names)}")
    return int(value)


def _count(value, name):
    """`value` as a C size_t, refused when negative or not an integer: ctypes would wrap -1
    to 2**64 - 1, and the C library's message would name that number instead."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, np.integer)) or value < 0:
        raise ValueError(f"fdvjp.Config: {name} must be a non-negative integer, got {value!r}")
    return int(value)


def _indices(values, name):
    """Non-negative integer indices as a size_t array (negative ones would wrap)."""
    a = np.asarray(values).reshape(-1)
    if a.size and (a.dtype.kind not in "iu" or a.min() < 0):
        raise ValueError(f"fdvjp.Config: sparsity {name} must be non-negative integer indices")
    return np.ascontiguousarray(a, dtype=np.uintp)


class Config:
    """Options for `vjp`, `jvp`, `jacobian` and `Tape.call`.

    Keyword options, checked when set: a value of the wrong type is a TypeError (booleans
    must be True or False, names one of those listed or the C library's integer code,
    numbers real numbers, progress a callable), an unknown name a ValueError, and a value
    the C library refuses (a negative relative_step, ...) an FdvjpError:
      scheme         "central" (default), "forward", "backward" or "central4"
      layout         the Jacobian's memory order: "row_major" (default) or "col_major"
      relative_step  r in h_j = r * max(|x_j|, typ_j); 0 restores the default
      steps          per-element absolute steps (one per input element)
      typical        per-element typical magnitudes
      bounds         (lower, upper) arrays; f is then evaluated only inside the box
      threads        evaluation threads (declares f thread-safe), if the library has it
      sparsity       (rows, cols) COO pattern of the Jacobian, if the library has it
      learn_sparsity True: the first vjp/jacobian (or each tape node's first pull-back)
                     learns the Jacobian's pattern and later calls use it, verified on
                     every call (see `detect_sparsity`); False forgets a learned pattern
      adaptive       True for adaptive steps, if the library has it
      noise          f's absolute noise level: one number for every output, or one per
                     output (f's outputs flattened); None declares nothing
      noise_mode     "auto" (default: estimated only when the stencils show trouble),
                     "estimate" (always, 12 more evaluations) or "off"
      batch_size     points handed to a batch function (or shared among threads) at once
      progress       progress(done, total) after each batch of evaluations; returning
                     False (or raising) cancels the computation (FDVJP_CANCELLED, or the
                     exception re-raised)
    The handle is freed by `close()`, by leaving a `with` block, or by the collector.
    """

    def __init__(self, **options):
        self._handle = _library.lib.fdvjp_config_new()
        if not self._handle:
            raise MemoryError("fdvjp_config_new returned NULL")
        self.layout = ROW_MAJOR
        self.progress = None  # the progress trampoline, kept alive with the config
        self.set(**options)

    def set(self, **options):
        """Applies keyword options (see the class docstring); returns self."""
        for name, value in options.items():
            setter = getattr(self, "_set_" + name, None)
            if setter is None:
                raise TypeError(f"fdvjp.Config: unknown option {name!r}")
            setter(value)
        return self

    def get(self, name):
        """The value of option `name`, read back from the C config (see `config_get.get`)."""
        from .config_get import get

        return get(self, name)

    @property
    def handle(self):
        """The raw `fdvjp_config *` (a ctypes void pointer value)."""
        if self._handle is None:
            raise ValueError("fdvjp.Config is closed")
        return self._handle

    def close(self):
        if self._handle is not None:
            _library.lib.fdvjp_config_free(self._handle)
            self._handle = None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def __del__(self):
        # At interpreter shutdown the module globals may already be gone.
        if getattr(self, "_handle", None) is not None and _library is not None:
            self.close()

    def _set_scheme(self, scheme):
        check(_library.lib.fdvjp_config_set_scheme(self.handle, _choice(scheme, "scheme", SCHEMES)))

    def _set_layout(self, layout):
        code = _choice(layout, "layout", LAYOUTS)
        check(_library.lib.fdvjp_config_set_layout(self.handle, code))
        self.layout = code

    def _set_relative_step(self, r):
        if np.ndim(r) != 0:
            raise TypeError(f"fdvjp.Config: relative_step must be one real number, got {r!r}")
        check(_library.lib.fdvjp_config_set_relative_step(self.handle, float(real_numbers(r, "relative_step"))))

    def _set_steps(self, steps):
        if steps is None:
            check(_library.lib.fdvjp_config_set_steps(self.handle, None, 0))
            return
        a, p = _doubles(steps, "steps")
        check(_library.lib.fdvjp_config_set_steps(self.handle, p, a.size))

    def _set_typical(self, typical):
        if typical is None:
            check(_library.lib.fdvjp_config_set_typical(self.handle, None, 0))
            return
        a, p = _doubles(typical, "typical")
        check(_library.lib.fdvjp_config_set_typical(self.handle, p, a.size))

    def _set_bounds(self, bounds):
        if bounds is None:
            check(_library.lib.fdvjp_config_set_bounds(self.handle, None, None, 0))
            return
        if not isinstance(bounds, (tuple, list)) or len(bounds) != 2:
            raise TypeError(f"fdvjp.Config: bounds must be a (lower, upper) pair, got {bounds!r}")
        lower, upper = bounds
        lo, plo = _doubles(lower, "bounds lower")
        hi, phi = _doubles(upper, "bounds upper")
        if lo.size != hi.size:
            raise ValueError(f"fdvjp.Config: bounds of unequal lengths {lo.size} and {hi.size}")
        check(_library.lib.fdvjp_config_set_bounds(self.handle, plo, phi, lo.size))

    def _set_threads(self, threads):
        check(_library.function("fdvjp_config_set_threads")(self.handle, _count(threads, "threads")))

    def _set_sparsity(self, pattern):
        setter = _library.function("fdvjp_config_set_sparsity")
        if pattern is None:
            check(setter(self.handle, None, None, 0))
            return
        if not isinstance(pattern, (tuple, list)) or len(pattern) != 2:
            raise TypeError(f"fdvjp.Config: sparsity must be a (rows, cols) pair, got {pattern!r}")
        rows, cols = (_indices(p, name) for p, name in zip(pattern, ("rows", "cols")))
        if rows.size != cols.size:
            raise ValueError(f"fdvjp.Config: sparsity rows ({rows.size}) and cols ({cols.size}) differ")
        as_p = lambda a: a.ctypes.data_as(_library.c_size_t_p)  # noqa: E731
        check(setter(self.handle, as_p(rows), as_p(cols), rows.size))

    def _set_learn_sparsity(self, on):
        check(_library.function("fdvjp_config_set_learn_sparsity")(self.handle, _flag(on, "learn_sparsity")))

    def detect_sparsity(self, f, x, m=None):
        """Learns the sparsity pattern of f's Jacobian at x (2(n + 1) evaluations) into this
        config; later `vjp`/`jacobian` calls with it use the pattern, verified on every call
        (2 more evaluations), and a call whose check fails is computed densely and learns
        the pattern again (`last_report().sparsity_relearned`). On error the config is
        unchanged. `m`: f's output size (one more evaluation to find it when omitted).
        Returns self."""
        from .derivatives import as_input, check_count, output_shape, run

        x = as_input(x, where="fdvjp.Config.detect_sparsity")
        m = check_count(m, "fdvjp.Config.detect_sparsity")
        if m is None:
            m = int(np.prod(output_shape(f, x)))
        run(_library.function("fdvjp_config_detect_sparsity"), f, x, m, self, {})
        return self

    def learned_sparsity(self):
        """The learned pattern as (rows, cols) arrays of 0-based indices (empty when none)."""
        getter = _library.function("fdvjp_config_learned_sparsity")
        nnz = ctypes.c_size_t(0)
        check(getter(self.handle, None, None, 0, ctypes.byref(nnz)))
        rows = np.zeros(nnz.value, dtype=np.uintp)
        cols = np.zeros(nnz.value, dtype=np.uintp)
        if nnz.value:
            as_p = lambda a: a.ctypes.data_as(_library.c_size_t_p)  # noqa: E731
            check(getter(self.handle, as_p(rows), as_p(cols), nnz.value, ctypes.byref(nnz)))
        return rows, cols

    def _set_batch_size(self, points):
        check(_library.function("fdvjp_config_set_batch_size")(self.handle, _count(points, "batch_size")))

    def _set_progress(self, callback):
        setter = _library.function("fdvjp_config_set_progress")
        if callback is None:
            check(setter(self.handle, _library.PROGRESS_FUNCTION(), None))
            self.progress = None
            return
        if not callable(callback):  # else it failed only when the computation called it
            raise TypeError(f"fdvjp.Config: progress must be a callable progress(done, total) or None, "
                            f"got {callback!r}")
        progress = Progress(callback)
        check(setter(self.handle, progress.c_function, None))
        self.progress = progress

    def _set_noise(self, levels):
        setter = _library.function("fdvjp_config_set_noise")
        if levels is None:
            check(setter(self.handle, None, 0))
            return
        a, p = _doubles(levels, "noise")
        check(setter(self.handle, p if a.size else None, a.size))

    def _set_noise_mode(self, mode):
        code = _choice(mode, "noise_mode", NOISE_MODES)
        check(_library.function("fdvjp_config_set_noise_mode")(self.handle, code))

    def _set_adaptive(self, on):
        check(_library.function("fdvjp_config_set_adaptive")(self.handle, _flag(on, "adaptive")))


class Progress:
    """A Python progress callback as an `fdvjp_progress_fn`; an exception inside it is
    stored (and re-raised after the computation) and cancels the computation."""

    def __init__(self, callback):
        self.callback = callback
        self.error = None
        self.c_function = _library.PROGRESS_FUNCTION(self._call)

    def _call(self, _user, done, total):
        try:
            return 1 if self.callback(done, total) is False else 0
        except BaseException as e:  # noqa: BLE001 - nothing may cross the C boundary
            if self.error is None:
                self.error = e
            return 1

    def reraise(self, failure=None):
        from .callback import Trampoline

        Trampoline.reraise(self, failure)


def validate_options(options, config, where):
    """Rejects unknown option names and invalid values when a wrapper is built (a misspelt
    `schem=` otherwise surfaced only at the first derivative, probe10 finding 11): a
    throw-away `Config` checks them as the computation would."""
    if config is not None and options:
        raise TypeError(f"{where}: pass either config= or keyword options, not both")
    if options:
        try:
            Config(**options).close()
        except (TypeError, ValueError) as e:
            raise type(e)(f"{where}: {e}") from None


def resolve(config, options):
    """(the Config to use or None, whether the caller must close it)."""
    if config is not None and options:
        raise TypeError("fdvjp: pass either config= or keyword options, not both")
    if options:
        return Config(**options), True
    return config, False
