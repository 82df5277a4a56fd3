"""Reading a `Config` back from the C library (`fdvjp_config_get_*`), and the library's
version: the config itself is the one record of its options, no Python copy is kept."""

import ctypes

import numpy as np

from . import _library
from .errors import check

_SCHEME_NAMES = {0: "central", 1: "forward", 2: "backward", 3: "central4"}
_NOISE_MODE_NAMES = {0: "auto", 1: "estimate", 2: "off"}


def _scalar(getter, handle, ctype):
    out = ctype()
    check(_library.function(getter)(handle, ctypes.byref(out)))
    return out.value


def _arrays(getter, handle, k, dtype, pointer):
    """The option's k arrays (each of one stored length), or None when none is stored."""
    getter = _library.function(getter)
    count = ctypes.c_size_t()
    check(getter(handle, *([None] * k), 0, ctypes.byref(count)))
    if count.value == 0:
        return None
    arrays = [np.empty(count.value, dtype=dtype) for _ in range(k)]
    check(getter(handle, *(a.ctypes.data_as(pointer) for a in arrays), count.value, ctypes.byref(count)))
    return arrays


def get(config, name):
    """The value of option `name` (a `Config` keyword) as the C config stores it: scheme and
    noise_mode as names, adaptive and learn_sparsity as bools, arrays as numpy arrays (None
    when unset), bounds and sparsity as pairs, progress as the Python callback (None when
    unset)."""
    handle = config.handle
    if name == "scheme":
        return _SCHEME_NAMES[_scalar("fdvjp_config_get_scheme", handle, ctypes.c_int32)]
    if name == "layout":
        return _scalar("fdvjp_config_get_layout", handle, ctypes.c_int32)
    if name == "relative_step":
        return _scalar("fdvjp_config_get_relative_step", handle, ctypes.c_double)
    if name == "adaptive":
        return bool(_scalar("fdvjp_config_get_adaptive", handle, ctypes.c_int32))
    if name == "learn_sparsity":
        return bool(_scalar("fdvjp_config_get_learn_sparsity", handle, ctypes.c_int32))
    if name == "threads":
        return _scalar("fdvjp_config_get_threads", handle, ctypes.c_size_t)
    if name == "batch_size":
        return _scalar("fdvjp_config_get_batch_size", handle, ctypes.c_size_t)
    if name == "noise_mode":
        return _NOISE_MODE_NAMES[_scalar("fdvjp_config_get_noise_mode", handle, ctypes.c_int32)]
    one_array = {"steps": "fdvjp_config_get_steps", "typical": "fdvjp_config_get_typical",
                 "noise": "fdvjp_config_get_noise"}
    if name in one_array:
        arrays = _arrays(one_array[name], handle, 1, np.float64, _library.c_double_p)
        return None if arrays is None else arrays[0]
    if name == "bounds":
        arrays = _arrays("fdvjp_config_get_bounds", handle, 2, np.float64, _library.c_double_p)
        return None if arrays is None else tuple(arrays)
    if name == "sparsity":
        arrays = _arrays("fdvjp_config_get_sparsity", handle, 2, np.uintp, _library.c_size_t_p)
        return None if arrays is None else tuple(arrays)
    if name == "progress":
        f = _library.PROGRESS_FUNCTION()
        user = ctypes.c_void_p()
        check(_library.function("fdvjp_config_get_progress")(handle, ctypes.byref(f), ctypes.byref(user)))
        return None if not f else config.progress.callback
    raise TypeError(f"fdvjp.Config: unknown option {name!r}")


def version():
    """The loaded library's version: (major, minor, patch, "major.minor.patch")."""
    parts = [ctypes.c_int32() for _ in range(3)]
    text = _library.function("fdvjp_version")(*(ctypes.byref(p) for p in parts))
    return (*(p.value for p in parts), text.decode())
