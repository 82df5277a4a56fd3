"""Finds and loads libfdvjp, and declares the C prototypes for ctypes.

Search order: the file named by $FDVJP_LIB, then the copy inside the package (what
`pip install ./bindings/python` puts there), then this repository's target/release build,
then the system loader (an installed libfdvjp.so.0 or libfdvjp.so).
"""

import ctypes
import ctypes.util
import os
from pathlib import Path

c_double_p = ctypes.POINTER(ctypes.c_double)
c_size_t_p = ctypes.POINTER(ctypes.c_size_t)
c_var = ctypes.c_uint64
c_var_p = ctypes.POINTER(c_var)

#: `int32_t (*)(void *user, const double *x, size_t n, double *y, size_t m)`; the complex
#: variant (`fdvjp_cfn`) has the same C signature over interleaved re/im doubles.
FUNCTION = ctypes.CFUNCTYPE(
    ctypes.c_int32, ctypes.c_void_p, c_double_p, ctypes.c_size_t, c_double_p, ctypes.c_size_t
)
#: `int32_t (*)(void *user, const double *x, size_t n, const double *y, size_t m,
#:              const double *v, double *grad)`
VJP_FUNCTION = ctypes.CFUNCTYPE(
    ctypes.c_int32,
    ctypes.c_void_p,
    c_double_p,
    ctypes.c_size_t,
    c_double_p,
    ctypes.c_size_t,
    c_double_p,
    c_double_p,
)

#: `int32_t (*)(void *user, const double *xs, size_t n, size_t k, double *ys, size_t m)`
BATCH_FUNCTION = ctypes.CFUNCTYPE(
    ctypes.c_int32, ctypes.c_void_p, c_double_p, ctypes.c_size_t, ctypes.c_size_t, c_double_p, ctypes.c_size_t
)
#: `int32_t (*)(void *user, size_t done, size_t total)`
PROGRESS_FUNCTION = ctypes.CFUNCTYPE(ctypes.c_int32, ctypes.c_void_p, ctypes.c_size_t, ctypes.c_size_t)



class REPORT(ctypes.Structure):
    """`fdvjp_report`: what the last computation on a thread did (see `fdvjp.last_report`)."""

    _fields_ = [
        ("size", ctypes.c_size_t),
        ("completed", ctypes.c_int32),
        ("noise_source", ctypes.c_int32),
        ("evaluations", ctypes.c_size_t),
        ("directions", ctypes.c_size_t),
        ("refined_large", ctypes.c_size_t),
        ("refined_rounding", ctypes.c_size_t),
        ("refined_noise", ctypes.c_size_t),
        ("nonfinite_fallbacks", ctypes.c_size_t),
        ("bound_fallbacks", ctypes.c_size_t),
        ("error_bound", ctypes.c_double),
        ("noise_level", ctypes.c_double),
    ]


c_report_p = ctypes.POINTER(REPORT)

_status = ctypes.c_int32
_cfg = ctypes.c_void_p
_tape = ctypes.c_void_p
_size = ctypes.c_size_t
_i32 = ctypes.c_int32
_dbl = ctypes.c_double

# name -> (restype, argtypes), for every entry point of include/fdvjp.h (a test checks this
# table against the header). Entry points that a given build may lack are simply not
# declared; the functions using them raise NotImplementedError (see `function`).
_fn = FUNCTION
_user = ctypes.c_void_p
_derivative = [_cfg, _fn, _user, c_double_p, _size, _size, c_double_p, c_double_p]
_jacobian = [_cfg, _fn, _user, c_double_p, _size, _size, c_double_p]
_estimate = [_cfg, _fn, _user, c_double_p, _size, _size, c_double_p, c_double_p, c_double_p]
_jacobian_estimate = [_cfg, _fn, _user, c_double_p, _size, _size, c_double_p, c_double_p]
_shaped = [_tape, c_double_p, c_size_t_p, _size, c_var_p]
PROTOTYPES = {
    "fdvjp_config_new": (_cfg, []),
    "fdvjp_config_free": (None, [_cfg]),
    "fdvjp_config_set_scheme": (_status, [_cfg, _i32]),
    "fdvjp_config_set_layout": (_status, [_cfg, _i32]),
    "fdvjp_config_set_relative_step": (_status, [_cfg, _dbl]),
    "fdvjp_config_set_steps": (_status, [_cfg, c_double_p, _size]),
    "fdvjp_config_set_typical": (_status, [_cfg, c_double_p, _size]),
    "fdvjp_config_set_bounds": (_status, [_cfg, c_double_p, c_double_p, _size]),
    "fdvjp_config_set_threads": (_status, [_cfg, _size]),
    "fdvjp_config_set_sparsity": (_status, [_cfg, c_size_t_p, c_size_t_p, _size]),
    "fdvjp_config_set_adaptive": (_status, [_cfg, _i32]),
    "fdvjp_config_set_batch_size": (_status, [_cfg, _size]),
    "fdvjp_config_set_progress": (_status, [_cfg, PROGRESS_FUNCTION, _user]),
    "fdvjp_config_set_noise": (_status, [_cfg, c_double_p, _size]),
    "fdvjp_config_set_noise_mode": (_status, [_cfg, _i32]),
    "fdvjp_vjp": (_status, _derivative),
    "fdvjp_jvp": (_status, _derivative),
    "fdvjp_jacobian": (_status, _jacobian),
    "fdvjp_vjp_batch": (_status, [_cfg, BATCH_FUNCTION] + _derivative[2:]),
    "fdvjp_jvp_batch": (_status, [_cfg, BATCH_FUNCTION] + _derivative[2:]),
    "fdvjp_jacobian_batch": (_status, [_cfg, BATCH_FUNCTION] + _jacobian[2:]),
    "fdvjp_vjp_estimate": (_status, _estimate),
    "fdvjp_jvp_estimate": (_status, _estimate),
    "fdvjp_jacobian_estimate": (_status, _jacobian_estimate),
    "fdvjp_complex_vjp": (_status, _derivative),
    "fdvjp_complex_jvp": (_status, _derivative),
    "fdvjp_complex_jacobian": (_status, _jacobian),
    "fdvjp_vjp_complex_step": (_status, _derivative),
    "fdvjp_jvp_complex_step": (_status, _derivative),
    "fdvjp_jacobian_complex_step": (_status, _jacobian),
    "fdvjp_last_error": (_size, [ctypes.c_char_p, _size]),
    "fdvjp_last_report": (_status, [c_report_p, _size]),
    "fdvjp_last_report_noise": (_size, [c_double_p, _size]),
    "fdvjp_status_str": (ctypes.c_char_p, [_i32]),
    "fdvjp_tape_new": (_tape, []),
    "fdvjp_tape_free": (None, [_tape]),
    "fdvjp_tape_clear": (_status, [_tape]),
    "fdvjp_tape_input": (_status, [_tape, c_double_p, _size, c_var_p]),
    "fdvjp_tape_input_shaped": (_status, _shaped),
    "fdvjp_tape_constant": (_status, [_tape, c_double_p, _size, c_var_p]),
    "fdvjp_tape_constant_shaped": (_status, _shaped),
    "fdvjp_tape_call": (_status, [_tape, _cfg, _fn, _user, c_var_p, _size, _size, c_var_p]),
    "fdvjp_tape_call_batch": (_status, [_tape, _cfg, BATCH_FUNCTION, _user, c_var_p, _size, _size, c_var_p]),
    "fdvjp_tape_call_vjp": (_status, [_tape, _fn, VJP_FUNCTION, _user, c_var_p, _size, _size, c_var_p]),
    "fdvjp_tape_len": (_status, [_tape, c_var, c_size_t_p]),
    "fdvjp_tape_ndim": (_status, [_tape, c_var, c_size_t_p]),
    "fdvjp_tape_shape": (_status, [_tape, c_var, c_size_t_p, _size]),
    "fdvjp_tape_value": (_status, [_tape, c_var, c_double_p, _size]),
    "fdvjp_tape_backward": (_status, [_tape, c_var, c_double_p, _size]),
    "fdvjp_tape_grad": (_status, [_tape, c_var, c_double_p, _size]),
    "fdvjp_tape_set_input": (_status, [_tape, c_var, c_double_p, _size]),
    "fdvjp_tape_forward": (_status, [_tape]),
    "fdvjp_tape_unary": (_status, [_tape, _i32, c_var, c_var_p]),
    "fdvjp_tape_binary": (_status, [_tape, _i32, c_var, c_var, c_var_p]),
    "fdvjp_tape_reduce": (_status, [_tape, _i32, c_var, c_var_p]),
    "fdvjp_tape_pow_scalar": (_status, [_tape, c_var, _dbl, c_var_p]),
    "fdvjp_tape_dot": (_status, [_tape, c_var, c_var, c_var_p]),
    "fdvjp_tape_matmul": (_status, [_tape, c_var, c_var, c_var_p]),
    "fdvjp_tape_reshape": (_status, [_tape, c_var, c_size_t_p, _size, c_var_p]),
    "fdvjp_tape_slice": (_status, [_tape, c_var, _size, _size, c_var_p]),
    "fdvjp_tape_concat": (_status, [_tape, c_var_p, _size, c_var_p]),
}

REQUIRED = (
    "fdvjp_config_new",
    "fdvjp_config_free",
    "fdvjp_vjp",
    "fdvjp_jvp",
    "fdvjp_jacobian",
    "fdvjp_last_error",
    "fdvjp_status_str",
)


def _candidates():
    explicit = os.environ.get("FDVJP_LIB")
    if explicit:
        # An explicit choice is final: a wrong path must fail, not fall back silently.
        yield explicit
        return
    here = Path(__file__).resolve()
    bundled = here.parent / "libfdvjp.so"
    if bundled.exists():
        yield str(bundled)
    if len(here.parents) > 3:  # bindings/python/fdvjp/_library.py in a checkout
        built = here.parents[3] / "target" / "release" / "libfdvjp.so"
        if built.exists():
            yield str(built)
    for name in ("libfdvjp.so.0", "libfdvjp.so"):
        yield name
    found = ctypes.util.find_library("fdvjp")
    if found:
        yield found


def _load():
    tried = []
    for candidate in _candidates():
        try:
            lib = ctypes.CDLL(candidate)
        except OSError as e:
            tried.append(f"{candidate}: {e}")
            continue
        missing = [name for name in REQUIRED if not hasattr(lib, name)]
        if missing:
            tried.append(f"{candidate}: lacks {', '.join(missing)}")
            continue
        return candidate, lib
    raise ImportError(
        "fdvjp: cannot load libfdvjp (set FDVJP_LIB to its path); tried: " + "; ".join(tried)
    )


path, lib = _load()

for _name, (_restype, _argtypes) in PROTOTYPES.items():
    if hasattr(lib, _name):
        _func = getattr(lib, _name)
        _func.restype = _restype
        _func.argtypes = _argtypes


def has(name):
    """Whether the loaded library exports the entry point `name`."""
    return hasattr(lib, name)


def function(name):
    """The C entry point `name`; NotImplementedError when this build lacks it."""
    if not hasattr(lib, name):
        raise NotImplementedError(f"{name} is not in the loaded libfdvjp ({path})")
    return getattr(lib, name)
