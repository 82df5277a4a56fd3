"""Failures raise exceptions carrying fdvjp's status and message; the user's own
exceptions come back unchanged."""

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import fdvjp
from fdvjp import errors


def test_nan_at_x_raises_fdvjp_error_with_status_and_message():
    with pytest.raises(fdvjp.FdvjpError) as info:
        with np.errstate(invalid="ignore"):
            fdvjp.vjp(np.log, [-1.0], [1.0])
    e = info.value
    assert e.status == errors.NONFINITE_AT_X
    assert e.status_name == "FDVJP_NONFINITE_AT_X"
    assert "fdvjp_vjp" in e.message and "NaN" in e.message
    assert e.message in str(e)


def test_python_exception_in_f_is_reraised_after_the_call():
    calls = []

    class Boom(Exception):
        pass

    def f(x):
        calls.append(1)
        raise Boom("from f")

    with pytest.raises(Boom, match="from f") as info:
        fdvjp.vjp(f, [1.0, 2.0], [1.0])
    assert len(calls) == 1, "fdvjp must stop at the first failing evaluation"
    assert any("FDVJP_CALLBACK_FAILED" in note for note in getattr(info.value, "__notes__", []))


def test_exception_at_a_perturbed_point_is_reraised():
    def f(x):
        if x[0] > 1.0:
            raise ZeroDivisionError("past 1")
        return x

    with pytest.raises(ZeroDivisionError):
        fdvjp.jacobian(f, [1.0], m=1)


def test_wrong_output_size_raises_value_error():
    with pytest.raises(ValueError, match="returned 2 values where 3 were expected"):
        fdvjp.vjp(lambda x: x, [1.0, 2.0], [1.0, 1.0, 1.0])


def test_a_wrong_length_v_is_named_as_the_source_of_the_expected_count():
    # f is right, v is one entry too long: the message must not read as f's fault alone.
    for call in (lambda: fdvjp.vjp(lambda x: x, [1.0, 2.0], [1.0, 1.0, 1.0]),
                 lambda: fdvjp.vjp_estimate(lambda x: x, [1.0, 2.0], [1.0, 1.0, 1.0]),
                 lambda: fdvjp.vjp_batch(lambda xs: xs, [1.0, 2.0], [1.0, 1.0, 1.0])):
        with pytest.raises(ValueError, match="one per entry of v for a VJP"):
            call()


def test_invalid_option_value_raises_invalid_argument():
    with pytest.raises(fdvjp.FdvjpError) as info:
        fdvjp.Config(relative_step=-1.0)
    assert info.value.status == errors.INVALID_ARGUMENT
    assert "-1" in info.value.message


def test_steps_of_wrong_length_raise_length_mismatch_at_the_call():
    with pytest.raises(fdvjp.FdvjpError) as info:
        fdvjp.vjp(lambda x: x, [1.0, 2.0], [1.0, 1.0], steps=[1e-3])
    assert info.value.status == errors.LENGTH_MISMATCH


def test_unknown_option_and_scheme_are_rejected():
    with pytest.raises(TypeError, match="unknown option 'shceme'"):
        fdvjp.vjp(lambda x: x, [1.0], [1.0], shceme="central")
    with pytest.raises(ValueError, match="unknown scheme 'upwind'"):
        fdvjp.Config(scheme="upwind")
    with pytest.raises(fdvjp.FdvjpError) as info:
        fdvjp.Config(scheme=42)
    assert info.value.status == errors.INVALID_ARGUMENT


def test_closed_config_is_refused():
    cfg = fdvjp.Config()
    cfg.close()
    cfg.close()  # idempotent
    with pytest.raises(ValueError, match="closed"):
        fdvjp.vjp(lambda x: x, [1.0], [1.0], config=cfg)


def test_last_error_is_empty_after_success_and_status_names_are_static():
    fdvjp.vjp(lambda x: x, [1.0], [1.0])
    assert fdvjp.last_error() == ""
    assert fdvjp.status_name(0) == "FDVJP_OK"
    assert fdvjp.status_name(99) == "FDVJP_UNKNOWN_STATUS"


def _import_with(env_value):
    package = Path(__file__).resolve().parents[1]
    code = "import fdvjp; print(fdvjp.library_path)"
    env = {"FDVJP_LIB": env_value, "PATH": "/usr/bin:/bin"}
    return subprocess.run([sys.executable, "-c", code], cwd=package, env=env, capture_output=True, text=True)


def test_fdvjp_lib_selects_the_library():
    result = _import_with(fdvjp.library_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == fdvjp.library_path


def test_fdvjp_lib_naming_a_missing_file_fails_to_import():
    result = _import_with("/nonexistent/libfdvjp.so")
    assert result.returncode != 0
    assert "cannot load libfdvjp" in result.stderr and "/nonexistent/libfdvjp.so" in result.stderr


def test_non_finite_input_is_invalid_argument_and_f_is_not_called():
    calls = []
    with pytest.raises(fdvjp.FdvjpError) as info:
        fdvjp.vjp(lambda x: calls.append(1) or x, [1.0, np.nan], [1.0, 1.0])
    assert info.value.status == errors.INVALID_ARGUMENT
    assert "x[1]" in info.value.message
    assert calls == []
