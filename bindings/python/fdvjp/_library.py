"""Finds and loads libfdvjp, and declares the C prototypes for ctypes.

Search order: the file named by $FDVJP_LIB, then the copy inside the package (what
`pip install ./bindings/python` puts there), then this repository's target/release build,
then the system loader (an installed libfdvjp.so.0 or libfdvjp.so).
"""

import ctypes
import ctypes.util
import os
from pathlib import Path

from ._capi import PROTOTYPES, c_double_p, c_report_p, c_size_t_p, c_var, c_var_p  # noqa: F401
from ._capi import fdvjp_batch_fn as BATCH_FUNCTION  # noqa: F401
from ._capi import fdvjp_fn as FUNCTION  # noqa: F401  (also fdvjp_cfn: the same C signature)
from ._capi import fdvjp_progress_fn as PROGRESS_FUNCTION  # noqa: F401
from ._capi import fdvjp_report as REPORT  # noqa: F401
from ._capi import fdvjp_vjp_fn as VJP_FUNCTION  # noqa: F401

# The prototypes, callback types and struct come from _capi.py, generated from
# include/fdvjp.h (bindings/signatures/generate_bindings.py; a stale copy fails
# `cargo test --test header`). Entry points that a given build may lack are simply not
# declared; the functions using them raise NotImplementedError (see `function`).
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
