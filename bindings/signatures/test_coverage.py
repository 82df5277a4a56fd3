"""Which C entry points each binding's own code wraps. A function of the header that a
binding's high-level layer never calls (nor its equivalent, EQUIVALENT) fails that
binding's test: there is no list of accepted gaps, every binding wraps every family. The
generated C layers (Python _capi.py, Julia capi.jl, Fortran fdvjp_c.f90) declare
everything and do not count.

    python3 bindings/signatures/test_coverage.py     prints the coverage table
"""

import re
from pathlib import Path

import pytest

import c_header

BINDINGS = Path(__file__).resolve().parents[1]
#: Entry points a binding reaches through an equivalent one (the shaped variants).
EQUIVALENT = {"fdvjp_tape_input": "fdvjp_tape_input_shaped", "fdvjp_tape_constant": "fdvjp_tape_constant_shaped"}


def sources():
    """{binding: its own source files}."""
    julia = BINDINGS / "julia" / "FDVJP"
    return {
        "C++": sorted((BINDINGS / "cpp").glob("*.hpp")) + sorted((BINDINGS / "cpp" / "fdvjp").glob("*.hpp")),
        "Python": [p for p in sorted((BINDINGS / "python" / "fdvjp").glob("*.py"))
                   if p.name not in ("_capi.py", "_library.py")],
        "Julia": [p for p in sorted((julia / "src").glob("*.jl")) if p.name != "capi.jl"]
        + sorted((julia / "ext").glob("*.jl")),
        "Fortran": [BINDINGS / "fortran" / "fdvjp.f90"],
    }


def unwrapped(files, header=c_header.HEADER):
    text = " ".join(p.read_text() for p in files)
    used = lambda name: re.search(rf"\b{name}\b", text) is not None  # noqa: E731
    return sorted(n for n in c_header.functions(header) if not used(n) and not used(EQUIVALENT.get(n, n)))


@pytest.mark.parametrize("binding", sorted(sources()))
def test_binding_wraps_every_entry_point(binding):
    missing = unwrapped(sources()[binding])
    assert not missing, f"{binding} does not wrap: {', '.join(missing)}"


def test_the_coverage_check_sees_a_gap():
    assert "fdvjp_vjp" in unwrapped([BINDINGS / "signatures" / "c_header.py"])
    # each binding's sources less one file miss what only that file calls
    julia = [p for p in sources()["Julia"] if p.name != "tape_arrays.jl"]
    assert {"fdvjp_tape_matmul", "fdvjp_tape_shape"} <= set(unwrapped(julia))


def table():
    """The coverage table: one row per header function, one column per binding."""
    bindings = sorted(sources())
    missing = {b: set(unwrapped(f)) for b, f in sources().items()}
    rows = [f"{'function':36} " + " ".join(f"{b:8}" for b in bindings)]
    for name in c_header.functions():
        rows.append(f"{name:36} " + " ".join(f"{'-' if name in missing[b] else 'yes':8}" for b in bindings))
    total = len(c_header.functions())
    rows.append(f"{'wrapped':36} " + " ".join(f"{total - len(missing[b])}/{total:<5}" for b in bindings))
    return "\n".join(rows)


if __name__ == "__main__":
    print(table())
