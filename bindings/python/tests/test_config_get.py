"""`Config.get` reads back exactly what each option stored in the C config (through the
fdvjp_config_get_* getters), and `fdvjp.version()` is the library's (and the header's)."""

import numpy as np
import pytest

import fdvjp
from fdvjp import _capi


def test_defaults():
    with fdvjp.Config() as c:
        assert c.get("scheme") == "central"
        assert c.get("layout") == 0
        assert c.get("relative_step") == 0.0
        assert c.get("adaptive") is False
        assert c.get("learn_sparsity") is False
        assert c.get("threads") == 0
        assert c.get("batch_size") == 0
        assert c.get("noise_mode") == "auto"
        for name in ("steps", "typical", "noise", "bounds", "sparsity", "progress"):
            assert c.get(name) is None, name


def test_round_trips():
    progress = lambda done, total: True  # noqa: E731
    options = dict(scheme="central4", layout="col_major", relative_step=2.5e-4, adaptive=True, threads=3,
                   batch_size=9, noise_mode="off", steps=[1e-3, 2e-3], typical=[4.0, 0.5], noise=[1e-9],
                   bounds=([-1.0, -np.inf], [2.0, 3.0]), sparsity=([1, 0, 0], [1, 0, 0]), progress=progress)
    with fdvjp.Config(**options) as c:
        assert c.get("scheme") == "central4"
        assert c.get("layout") == 1
        assert c.get("relative_step") == 2.5e-4
        assert c.get("adaptive") is True
        assert c.get("threads") == 3
        assert c.get("batch_size") == 9
        assert c.get("noise_mode") == "off"
        np.testing.assert_array_equal(c.get("steps"), [1e-3, 2e-3])
        np.testing.assert_array_equal(c.get("typical"), [4.0, 0.5])
        np.testing.assert_array_equal(c.get("noise"), [1e-9])
        lower, upper = c.get("bounds")
        np.testing.assert_array_equal(lower, [-1.0, -np.inf])
        np.testing.assert_array_equal(upper, [2.0, 3.0])
        rows, cols = c.get("sparsity")  # distinct entries, by column then row
        np.testing.assert_array_equal(rows, [0, 1])
        np.testing.assert_array_equal(cols, [0, 1])
        assert c.get("progress") is progress
        c.set(steps=None, bounds=None, sparsity=None, progress=None)
        for name in ("steps", "bounds", "sparsity", "progress"):
            assert c.get(name) is None, name


def test_learn_sparsity():
    with fdvjp.Config(learn_sparsity=True) as c:
        assert c.get("learn_sparsity") is True


def test_unknown_option():
    with fdvjp.Config() as c, pytest.raises(TypeError, match="unknown option 'colour'"):
        c.get("colour")


def test_version_matches_the_header():
    major, minor, patch, text = fdvjp.version()
    assert (major, minor, patch) == (_capi.FDVJP_VERSION_MAJOR, _capi.FDVJP_VERSION_MINOR,
                                     _capi.FDVJP_VERSION_PATCH)
    assert text.startswith(f"{major}.{minor}.{patch}")


@pytest.mark.parametrize("options, name", [
    (dict(threads=-1), "threads"),
    (dict(threads=1.5), "threads"),
    (dict(batch_size=-2), "batch_size"),
    (dict(sparsity=([0, -1], [0, 0])), "sparsity rows"),
    (dict(sparsity=([0], [0.5])), "sparsity cols"),
])
def test_counts_and_indices_are_refused_before_they_wrap(options, name):
    # ctypes turns -1 into 2**64 - 1 for a size_t: the message must name what was given.
    with pytest.raises(ValueError, match=name):
        fdvjp.Config(**options)


def test_numpy_integers_are_counts():
    with fdvjp.Config(threads=np.int64(2), batch_size=np.uint8(3)) as c:
        assert c.get("threads") == 2 and c.get("batch_size") == 3
