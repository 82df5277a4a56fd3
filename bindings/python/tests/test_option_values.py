"""Option values are checked when the options are parsed, never coerced (tester finding
F5: adaptive="no" switched adaptive steps on, scheme=1.9 or True became "forward",
noise_mode=1.5 "estimate", layout=1.7 column-major, and progress=5 failed only when the
computation called it), in every place options are given: Config, plain calls, Tape.call,
the JAX and autograd wrappers."""

import re

import numpy as np
import pytest

import fdvjp

X = np.array([0.3, -1.2, 0.7])

BOOL, CHOICE, REAL, COUNT = "must be True or False", "must be one of", "must be real numbers", \
    "must be a non-negative integer"
# (option, invalid value, what the message says after the option's name)
BAD = [
    ("adaptive", "no", BOOL), ("adaptive", "false", BOOL), ("adaptive", 1, BOOL), ("adaptive", 0.0, BOOL),
    ("adaptive", None, BOOL), ("learn_sparsity", "off", BOOL), ("learn_sparsity", 1, BOOL),
    ("scheme", 1.9, CHOICE), ("scheme", True, CHOICE), ("scheme", None, CHOICE), ("scheme", 2**32 + 1, "code"),
    ("scheme", "upwind", "'upwind'; one of"),
    ("noise_mode", 1.5, CHOICE), ("noise_mode", False, CHOICE), ("noise_mode", "loud", "'loud'; one of"),
    ("layout", 1.7, CHOICE), ("layout", True, CHOICE), ("layout", "C", "'C'; one of"),
    ("relative_step", "1e-3", REAL), ("relative_step", True, REAL), ("relative_step", 1e-3 + 0j, REAL),
    ("relative_step", [1e-3], "must be one real number"),
    ("steps", "0.001", REAL), ("steps", [True, False, True], REAL), ("typical", ["1", "2", "3"], REAL),
    ("noise", "0.1", REAL), ("noise", 1j, REAL),
    ("bounds", ("-5", "5"), REAL), ("bounds", (None, [5.0, 5, 5]), REAL), ("bounds", "ab", "must be a"),
    ("threads", 2.0, COUNT), ("threads", True, COUNT), ("batch_size", "4", COUNT),
    ("sparsity", ([0, 1], [True, False]), "must be non-negative integer indices"), ("sparsity", "01", "must be a"),
    ("progress", 5, "must be a callable"), ("progress", "print", "must be a callable"),
]


def f(x):
    return np.sin(x)


def numeric_vjp(**options):
    jax = pytest.importorskip("jax", reason="jax is not installed")
    from fdvjp.jax import numeric_vjp as make

    del jax
    return make(f, **options)


def vjp_numeric(**options):
    pytest.importorskip("autograd", reason="autograd is not installed")
    from fdvjp.autograd import vjp_numeric as make

    return make(f, 0, **options)


def tape_call(**options):
    with fdvjp.Tape() as t:
        return t.call(f, t.input(X), m=3, **options)


STYLES = {
    "Config": lambda o: fdvjp.Config(**o),
    "Config.set": lambda o: fdvjp.Config().set(**o),
    "vjp": lambda o: fdvjp.vjp(f, X, np.ones(3), **o),
    "jacobian_estimate": lambda o: fdvjp.jacobian_estimate(f, X, **o),
    "Tape.call": lambda o: tape_call(**o),
    "numeric_vjp": lambda o: numeric_vjp(**o),
    "vjp_numeric": lambda o: vjp_numeric(**o),
}


@pytest.mark.parametrize("style", list(STYLES))
@pytest.mark.parametrize("name, value, says", BAD, ids=[f"{n}={v!r}" for n, v, _ in BAD])
def test_invalid_values_are_refused_when_parsed(style, name, value, says):
    # refused by the binding as it parses them (not coerced and passed on to C)
    if style in ("numeric_vjp", "vjp_numeric") and name in ("steps", "typical", "bounds"):
        # the wrappers' per-argument options: a None side of bounds is valid there (no bound)
        if value == (None, [5.0, 5, 5]):
            return
        where = {"numeric_vjp": "fdvjp.jax.numeric_vjp", "vjp_numeric": "fdvjp.autograd.vjp_numeric"}[style]
        says = REAL
    else:
        where = "fdvjp.Config"
    with pytest.raises((TypeError, ValueError), match=rf"{where}: (unknown )?{name}.*{re.escape(says)}") as info:
        STYLES[style]({name: value})
    assert not isinstance(info.value, fdvjp.FdvjpError)


@pytest.mark.parametrize("name, value", [("scheme", 1.9), ("adaptive", "no"), ("progress", 5)])
def test_the_wrappers_name_themselves(name, value):
    with pytest.raises(TypeError, match=r"fdvjp.jax.numeric_vjp: fdvjp.Config: "):
        numeric_vjp(**{name: value})
    with pytest.raises(TypeError, match=r"fdvjp.autograd.vjp_numeric: fdvjp.Config: "):
        vjp_numeric(**{name: value})


@pytest.mark.parametrize("name, value", [("steps", ("0.001",)), ("typical", (["1", "2", "3"],)),
                                         ("bounds", ((True, 5.0),)), ("steps", (1e-3, "x"))])
def test_per_argument_options_are_checked_when_the_wrapper_is_built(name, value):
    with pytest.raises(TypeError, match=rf"fdvjp.jax.numeric_vjp: {name} must be real numbers"):
        numeric_vjp(**{name: value})
    with pytest.raises(TypeError, match=rf"fdvjp.autograd.vjp_numeric: {name} must be real numbers"):
        vjp_numeric(**{name: value[0] if len(value) == 1 else value})


GOOD = [
    ("adaptive", True), ("adaptive", np.bool_(False)), ("learn_sparsity", False),
    ("scheme", "central4"), ("scheme", 1), ("scheme", np.int32(2)), ("noise_mode", "off"), ("noise_mode", 1),
    ("layout", "col_major"), ("layout", 0), ("relative_step", 1e-4), ("relative_step", 0),
    ("relative_step", np.float32(1e-4)), ("steps", [1e-4, 1e-4, 1e-4]), ("steps", np.full(3, 1e-4, np.float32)),
    ("typical", [1, 2, 3]), ("noise", 1e-14), ("noise", [0.0, 0.0, 0.0]), ("bounds", ([-5, -5, -5], [5.0, 5, 5])),
    ("threads", 1), ("batch_size", np.uint8(3)), ("sparsity", ([0, 1, 2], [0, 1, 2])),
    ("progress", lambda done, total: None), ("progress", None), ("steps", None),
]


@pytest.mark.parametrize("style", list(STYLES))
@pytest.mark.parametrize("name, value", GOOD, ids=[f"{n}={v!r}" for n, v in GOOD])
def test_valid_values_are_still_accepted(style, name, value):
    if name == "sparsity" and style in ("numeric_vjp", "vjp_numeric"):
        pytest.skip("a fixed sparsity pattern is a Config option of the plain entry points")
    STYLES[style]({name: value})


def test_the_stored_values_are_the_given_ones():
    with fdvjp.Config(adaptive=False, learn_sparsity=True, scheme="backward", noise_mode="estimate",
                      layout="col_major") as c:
        assert (c.get("adaptive"), c.get("learn_sparsity"), c.get("scheme"), c.get("noise_mode"),
                c.get("layout")) == (False, True, "backward", "estimate", 1)
