"""Generates the C layer of the Python and Julia bindings from include/fdvjp.h, as
bindings/fortran/generate_interfaces.py does for Fortran, so that no binding keeps a
hand-copied prototype, callback type, struct or constant:

  bindings/python/fdvjp/_capi.py     ctypes: callback types, structs, every constant, and
                                     PROTOTYPES {name: (restype, argtypes)} of every function
  bindings/julia/FDVJP/src/capi.jl   one `ccall` wrapper per function, callback-free
                                     (Ptr{Cvoid}), every constant and struct

Both are checked in; `tests/header.rs` (cargo test --test header) fails when they differ
from what this writes, and FDVJP_BLESS=1 there rewrites them with the header.

    python3 bindings/signatures/generate_bindings.py [--check]
"""

import re
import sys
import textwrap
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import c_header  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
PYTHON_OUT = ROOT / "bindings" / "python" / "fdvjp" / "_capi.py"
JULIA_OUT = ROOT / "bindings" / "julia" / "FDVJP" / "src" / "capi.jl"

sys.path.insert(0, str(ROOT / "bindings" / "fortran"))
from generate_interfaces import scalar_outs  # noqa: E402  (one rule for every binding)


def structs(header):
    """{name: [(field, C type)]} of the header's `typedef struct {...} name;`."""
    text = c_header._strip(Path(header).read_text())
    found = {}
    for m in re.finditer(r"typedef\s+struct\s*\w*\s*\{([^}]*)\}\s*(\w+)\s*;", text):
        fields = re.findall(r"(size_t|int32_t|uint32_t|int64_t|uint64_t|double)\s+(\w+)\s*;", m.group(1))
        found[m.group(2)] = [(name, kind) for kind, name in fields]
    return found


# ---------------------------------------------------------------- Python (ctypes)

PY_SCALAR = {"double": "ctypes.c_double", "size_t": "ctypes.c_size_t", "int32": "ctypes.c_int32",
             "var": "c_var", "void": "None", "int32_t": "ctypes.c_int32", "uint32_t": "ctypes.c_uint32",
             "int64_t": "ctypes.c_int64", "uint64_t": "ctypes.c_uint64"}
PY_POINTER = {"double*": "c_double_p", "size_t*": "c_size_t_p", "var*": "c_var_p", "int32*": "c_int32_p",
              "char*": "ctypes.c_char_p", "void*": "ctypes.c_void_p", "void**": "c_void_p_p"}


def py_type(kind, callbacks, struct_names):
    if kind in PY_SCALAR:
        return PY_SCALAR[kind]
    if kind in PY_POINTER:
        return PY_POINTER[kind]
    if kind in callbacks:
        return kind
    base = kind.rstrip("*")
    if kind.count("*") == 1 and base in callbacks:
        return f"ctypes.POINTER({base})"
    if kind.count("*") == 1 and base in struct_names:
        return f"ctypes.POINTER({base})"
    if kind.count("*") == 1 and base.startswith("fdvjp_"):
        return "ctypes.c_void_p"  # an opaque handle
    raise ValueError(f"no ctypes mapping for C kind {kind!r}")


def python(header=c_header.HEADER):
    callbacks = c_header.callbacks(header)
    struct_list = structs(header)
    out = [
        '"""GENERATED from include/fdvjp.h by bindings/signatures/generate_bindings.py; do not edit.\n\n'
        "The C API for ctypes: every constant, callback type, struct and function prototype of\n"
        "the header. `_library` loads the library and applies PROTOTYPES to it.\n"
        '"""\n\nimport ctypes\n\n',
        "c_double_p = ctypes.POINTER(ctypes.c_double)\n",
        "c_size_t_p = ctypes.POINTER(ctypes.c_size_t)\n",
        "c_int32_p = ctypes.POINTER(ctypes.c_int32)\n",
        "c_void_p_p = ctypes.POINTER(ctypes.c_void_p)\n",
        "#: fdvjp_var, a tape variable id (uint64_t).\n",
        "c_var = ctypes.c_uint64\n",
        "c_var_p = ctypes.POINTER(c_var)\n\n",
        "# Constants (#define and enum values).\n",
    ]
    for name, value in {**c_header.defines(header), **c_header.enums(header)}.items():
        out.append(f"{name} = {value}\n")
    out.append("\n# Callback types. Typedefs with the same C signature share one ctypes type, since\n"
               "# ctypes refuses a function of one CFUNCTYPE where another is declared.\n")
    seen = {}
    for name, params in callbacks.items():
        args = ", ".join(py_type(k, callbacks, struct_list) for _, k in params)
        if args in seen:
            out.append(f"{name} = {seen[args]}\n")
            continue
        seen[args] = name
        out.append(f"{name} = ctypes.CFUNCTYPE(\n")
        out += [f"    {w}\n" for w in textwrap.wrap(f"ctypes.c_int32, {args}", 100, break_long_words=False)]
        out.append(")\n")
    for name, fields in struct_list.items():
        out.append(f"\n\nclass {name}(ctypes.Structure):\n    _fields_ = [\n")
        for field, kind in fields:
            out.append(f'        ("{field}", {py_type(c_header.kind(kind), callbacks, struct_list)}),\n')
        out.append(f"    ]\n\n\nc_{name.removeprefix('fdvjp_')}_p = ctypes.POINTER({name})\n")
    out.append("\n\n#: name -> (restype, argtypes) of every function of the header.\nPROTOTYPES = {\n")
    for fn in c_header.functions(header).values():
        restype = py_type(fn.result, callbacks, struct_list)
        args = ", ".join(py_type(k, callbacks, struct_list) for _, k in fn.params)
        line = f'    "{fn.name}": ({restype}, [{args}]),\n'
        if len(line) > 111:
            wrapped = textwrap.wrap(args, 100, break_long_words=False, break_on_hyphens=False)
            line = f'    "{fn.name}": (\n        {restype},\n        [\n'
            line += "".join(f"            {w}\n" for w in wrapped)
            line += "        ],\n    ),\n"
        out.append(line)
    out.append("}\n")
    return "".join(out)


# ---------------------------------------------------------------- Julia (ccall)

JL_SCALAR = {"double": "Cdouble", "size_t": "Csize_t", "int32": "Int32", "var": "fdvjp_var", "void": "Cvoid",
             "int32_t": "Int32", "uint32_t": "UInt32", "int64_t": "Int64", "uint64_t": "UInt64"}
JL_ELEMENT = {"double*": "Cdouble", "size_t*": "Csize_t", "var*": "fdvjp_var", "int32*": "Int32"}


def jl_type(name, kind, callbacks, struct_names, scalars=frozenset()):
    if kind in JL_SCALAR:
        return JL_SCALAR[kind]
    if kind in callbacks or kind == "void*":
        return "Ptr{Cvoid}"
    if kind == "char*":
        return "Cstring" if name is None else "Ptr{UInt8}"
    if kind in JL_ELEMENT:
        return f"Ref{{{JL_ELEMENT[kind]}}}" if name in scalars else f"Ptr{{{JL_ELEMENT[kind]}}}"
    base = kind.rstrip("*")
    if kind == "void**" or (kind.count("*") == 1 and base in callbacks):
        return "Ref{Ptr{Cvoid}}"  # a pointer written by a getter
    if kind.count("*") == 1 and base in struct_names:
        return f"Ref{{{base}}}"
    if kind.count("*") == 1 and base.startswith("fdvjp_"):
        return "Ptr{Cvoid}"  # an opaque handle
    raise ValueError(f"no Julia mapping for C kind {kind!r} ({name})")


def julia(header=c_header.HEADER):
    callbacks = c_header.callbacks(header)
    struct_list = structs(header)
    out = [
        "# GENERATED from include/fdvjp.h by bindings/signatures/generate_bindings.py; do not edit.\n",
        "# The C API, one thin `ccall` wrapper per function, with the C names and argument\n",
        "# order. Handles, user data and callbacks are Ptr{Cvoid}; fdvjp_var is UInt64; status\n",
        "# codes are Int32; one-value out-pointers are Ref. The higher layers never call C except\n",
        "# through these.\n\n",
        "const fdvjp_var = UInt64\n\n",
    ]
    for name, value in {**c_header.defines(header), **c_header.enums(header)}.items():
        out.append(f"const {name} = Int32({value})\n")
    for name, fields in struct_list.items():
        out.append(f'\n"""\nThe C struct `{name}`, field for field (see the header).\n"""\nstruct {name}\n')
        for field, kind in fields:
            out.append(f"    {field}::{jl_type(field, c_header.kind(kind), callbacks, struct_list)}\n")
        out.append("end\n")
    out.append("\n")
    for fn in c_header.functions(header).values():
        names = [p for p, _ in fn.params]
        scalars = scalar_outs(fn.params)
        types = [jl_type(p, k, callbacks, struct_list, scalars) for p, k in fn.params]
        restype = jl_type(None, fn.result, callbacks, struct_list)
        tuple_text = "(" + ", ".join(types) + ("," if len(types) == 1 else "") + ")"
        call = f"ccall((:{fn.name}, libfdvjp), {restype}, {tuple_text}" + "".join(f", {n}" for n in names) + ")"
        head = f"{fn.name}({', '.join(names)}) ="
        if len(head) + 1 + len(call) <= 110:
            out.append(f"{head} {call}\n")
        elif len(call) + 4 <= 110:
            out.append(f"{head}\n    {call}\n")
        else:
            out.append(f"{head}\n    ccall((:{fn.name}, libfdvjp), {restype},\n")
            for k, w in enumerate(textwrap.wrap(", ".join(types), 100, break_long_words=False)):
                out.append(("          (" if k == 0 else "           ") + w + "\n")
            out[-1] = out[-1].rstrip("\n") + ("," if len(types) == 1 else "") + "),\n"
            out.append("          " + ", ".join(names) + ")\n")
    return "".join(out)


OUTPUTS = {PYTHON_OUT: python, JULIA_OUT: julia}


def stale():
    """The generated files that differ from what the header gives now."""
    return [path for path, make in OUTPUTS.items() if not path.exists() or path.read_text() != make()]


if __name__ == "__main__":
    if "--check" in sys.argv[1:]:
        paths = stale()
        for path in paths:
            print(f"stale: {path.relative_to(ROOT)}")
        sys.exit(1 if paths else 0)
    for path, make in OUTPUTS.items():
        path.write_text(make())
        print(f"wrote {path.relative_to(ROOT)}")
