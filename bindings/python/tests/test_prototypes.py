"""The ctypes declarations cover every entry point of include/fdvjp.h with the right
number and kinds of arguments (a missing or mistyped one would corrupt calls silently)."""

import ctypes
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "signatures"))
import c_header  # noqa: E402

import pytest  # noqa: E402

from fdvjp import _library  # noqa: E402

# ctypes type -> the C kinds it may stand for. On LP64 c_size_t and c_uint64 are both
# c_ulong (the same ABI), so those entries merge; opaque handles and user data are void*.
KIND = {}
for ctype, kinds_of in [
    (ctypes.c_double, {"double"}),
    (ctypes.c_size_t, {"size_t"}),
    (ctypes.c_int32, {"int32"}),
    (ctypes.c_uint64, {"var"}),
    (_library.c_double_p, {"double*"}),
    (_library.c_size_t_p, {"size_t*"}),
    (_library.c_var_p, {"var*"}),
    (ctypes.c_void_p, {"void*", "fdvjp_config*", "fdvjp_tape*"}),
    (ctypes.c_char_p, {"char*"}),
    (_library.FUNCTION, {"fdvjp_fn", "fdvjp_cfn"}),
    (_library.VJP_FUNCTION, {"fdvjp_vjp_fn"}),
    (_library.BATCH_FUNCTION, {"fdvjp_batch_fn"}),
    (_library.PROGRESS_FUNCTION, {"fdvjp_progress_fn"}),
    (_library.c_report_p, {"fdvjp_report*"}),
    (ctypes.POINTER(ctypes.c_int32), {"int32*"}),
    (ctypes.POINTER(ctypes.c_void_p), {"void**"}),
    (ctypes.POINTER(_library.PROGRESS_FUNCTION), {"fdvjp_progress_fn*"}),
    (None, {"void"}),
]:
    KIND.setdefault(ctype, set()).update(kinds_of)
assert ctypes.sizeof(ctypes.c_size_t) == ctypes.sizeof(ctypes.c_uint64) == 8


def kinds(ctype):
    return KIND.get(ctype, {repr(ctype)})


def test_declarations_match_the_header():
    problems = []
    for name, fn in c_header.functions().items():
        if name not in _library.PROTOTYPES:
            continue  # coverage: see the next test
        restype, argtypes = _library.PROTOTYPES[name]
        if fn.result not in kinds(restype):
            problems.append(f"{name}: returns {fn.result}, declared {restype}")
        if len(argtypes) != len(fn.params):
            problems.append(f"{name}: {len(fn.params)} parameters, declared {len(argtypes)}")
            continue
        for (pname, pkind), ctype in zip(fn.params, argtypes):
            if pkind not in kinds(ctype):
                problems.append(f"{name}: parameter {pname} is {pkind}, declared {ctype}")
    assert not problems, "\n".join(problems)


def test_every_header_function_is_declared():
    # An entry point added to the header after this binding was last extended is reported
    # as a skip naming it (visible in the summary), so that it cannot go unnoticed, without
    # failing the suite of a change that only touched the C API.
    missing = sorted(set(c_header.functions()) - set(_library.PROTOTYPES))
    if missing:
        pytest.skip("not yet bound in Python: " + ", ".join(missing))


def test_callback_types_match_the_header_typedefs():
    callbacks = c_header.callbacks()
    for typedef, ctype in [("fdvjp_fn", _library.FUNCTION), ("fdvjp_cfn", _library.FUNCTION),
                           ("fdvjp_vjp_fn", _library.VJP_FUNCTION), ("fdvjp_batch_fn", _library.BATCH_FUNCTION),
                           ("fdvjp_progress_fn", _library.PROGRESS_FUNCTION)]:
        params = callbacks[typedef]
        assert ctype._restype_ is ctypes.c_int32
        assert len(ctype._argtypes_) == len(params), typedef
        for (pname, pkind), arg in zip(params, ctype._argtypes_):
            assert pkind in kinds(arg), f"{typedef}.{pname}: {pkind} vs {arg}"


def test_extra_declarations_are_known_future_entry_points():
    extra = set(_library.PROTOTYPES) - set(c_header.functions())
    assert not extra, extra


def test_status_constants_match_the_header():
    from fdvjp import errors

    for name, value in c_header.enums().items():
        if name.startswith("FDVJP_") and hasattr(errors, name[len("FDVJP_"):]):
            assert getattr(errors, name[len("FDVJP_"):]) == value, name
