"""The structs of include/fdvjp.h mirrored by the Julia and Fortran bindings (fdvjp_report)
have the same fields, in the same order, with the same C types: a mismatch would read
garbage (no compiler checks a Julia struct or a Fortran bind(c) type against the header)."""

import re
from pathlib import Path

import c_header

BINDINGS = Path(__file__).resolve().parents[1]
JULIA = {"Csize_t": "size_t", "Int32": "int32_t", "Cint": "int32_t", "Cdouble": "double", "Float64": "double"}
FORTRAN = {"integer(c_size_t)": "size_t", "integer(c_int32_t)": "int32_t", "real(c_double)": "double"}
#: header struct -> (Julia struct name, Fortran type name)
MIRRORS = {"fdvjp_report": ("fdvjp_report", "computation_report")}


def header_structs(header=c_header.HEADER):
    text = c_header._strip(Path(header).read_text())
    found = {}
    for m in re.finditer(r"typedef\s+struct\s*\w*\s*\{([^}]*)\}\s*(\w+)\s*;", text):
        fields = re.findall(r"(size_t|int32_t|uint32_t|int64_t|uint64_t|double)\s+(\w+)\s*;", m.group(1))
        found[m.group(2)] = [(name, kind) for kind, name in fields]
    return found


def julia_struct(name, source):
    m = re.search(rf"(?ms)^struct\s+{name}\b(.*?)^end", source)
    return None if m is None else [(f, JULIA.get(t, t)) for f, t in re.findall(r"(?m)^\s*(\w+)::(\w+)", m.group(1))]


def fortran_type(name, source):
    m = re.search(rf"(?ms)^\s*type,\s*bind\(c\)\s*::\s*{name}\b(.*?)^\s*end type", source)
    if m is None:
        return None
    return [(f, FORTRAN.get(t.replace(" ", ""), t)) for t, f in re.findall(r"(?m)^\s*(\w+\(\w+\))\s*::\s*(\w+)", m.group(1))]


def mismatches(header=c_header.HEADER):
    julia = (BINDINGS / "julia" / "FDVJP" / "src" / "capi.jl").read_text()
    fortran = (BINDINGS / "fortran" / "fdvjp.f90").read_text()
    problems = []
    for struct, fields in header_structs(header).items():
        if struct not in MIRRORS:
            problems.append(f"{struct}: not mirrored by the Julia and Fortran bindings (add it to MIRRORS)")
            continue
        jname, fname = MIRRORS[struct]
        for where, got in (("Julia " + jname, julia_struct(jname, julia)), ("Fortran " + fname, fortran_type(fname, fortran))):
            if got != fields:
                problems.append(f"{where}: {got} but the header's {struct} is {fields}")
    return problems


def test_mirrored_structs_match_the_header():
    assert mismatches() == []


def test_a_reordered_field_is_caught(tmp_path):
    header = tmp_path / "fdvjp.h"
    header.write_text("typedef struct {\n  size_t size;\n  double noise_level;\n  int32_t completed;\n} fdvjp_report;\n")
    assert any("fdvjp_report" in p for p in mismatches(header))
