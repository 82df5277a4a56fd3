"""The README check of the Julia package finds what it should (no Julia runtime here)."""

import check_julia_readme as c

GOOD = """### Julia
```julia
using FDVJP
using FDVJP: vjp
g = vjp(sin, [1.0], 1.0)
t = FDVJPTape()
FDVJP.backward!(t, FDVJP.input(t, [1.0]))
```
Also `FDVJP.slice(a, first, len)`.
"""


def test_the_readme_passes():
    assert c.check(c.julia_section((c.ROOT / "README.md").read_text())) == []


def test_a_good_section_passes():
    assert c.check(GOOD) == []


def test_unknown_names_wrong_arities_and_unexported_uses_are_caught():
    bad = GOOD.replace("FDVJP.slice(a, first, len)", "FDVJP.slice(a, first)").replace(
        "using FDVJP: vjp", "using FDVJP: vjp, no_such_thing").replace(
        "FDVJP.backward!(t,", "backward!(t,") + "`FDVJP.jacobean(f, x)`\n"
    problems = "\n".join(c.check(bad))
    assert "FDVJP.slice: called with 2 positional arguments" in problems
    assert "imported but never defined: no_such_thing" in problems
    assert "backward!: called unqualified in the example but neither exported nor imported" in problems
    assert "FDVJP.jacobean: no such name" in problems


def test_a_const_that_is_also_a_function_is_caught():
    sources = ["fdvjp_vjp(cfg, f) = ccall((:fdvjp_vjp, lib), Int32, (Ptr{Cvoid}, Ptr{Cvoid}), cfg, f)\n",
               "const fdvjp_vjp = vjp\nconst FDVJPTape = Tape\n"]
    assert c.const_clashes(sources) == ["fdvjp_vjp"]


def test_the_tests_pass_and_their_names_are_checked():
    section = c.tests_section()
    assert c.check(section) == []
    # the two-line import is read whole: a name dropped from its second line is missed
    bad = section.replace("Config, Tape, input, grad,", "Config, Tape, grad,")
    assert "input: called unqualified in the example but neither exported nor imported" in c.check(bad)
    bad = section.replace("FDVJP.matmul(v, A)", "FDVJP.matmul(v, A, A)")
    assert any(p.startswith("FDVJP.matmul: called with 3 positional arguments") for p in c.check(bad))
