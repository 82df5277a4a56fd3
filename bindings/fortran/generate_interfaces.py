"""Generates fdvjp_c.f90, the `bind(c)` interfaces of every function, callback type and
enum constant of include/fdvjp.h, so that the Fortran layer can never drift from the
header. It is generated at build time (tests/run.sh, `make install`), not checked in.

    python3 bindings/fortran/generate_interfaces.py [OUTPUT]   (default: ./fdvjp_c.f90)
"""

import re
import sys
import textwrap
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "signatures"))
import c_header  # noqa: E402

#: Pointer parameters that hold one value written by the call (scalars in Fortran), unless
#: a length follows them (then they are arrays: `fdvjp_tape_value(t, v, out, len)`).
SCALAR_OUT = {"out", "len", "ndim", "count", "nnz", "major", "minor", "patch"}


def scalar_outs(params):
    """The names of `params` that are one-value out-pointers (see SCALAR_OUT)."""
    return {p for i, (p, _) in enumerate(params)
            if p in SCALAR_OUT and not any(k == "size_t" for _, k in params[i + 1:])}
VALUE = {
    "double": "real(c_double), value",
    "size_t": "integer(c_size_t), value",
    "int32": "integer(c_int32_t), value",
    "var": "integer(c_int64_t), value",
    "int64_t": "integer(c_int64_t), value",
    "uint64_t": "integer(c_int64_t), value",
    "uint32_t": "integer(c_int32_t), value",
    "float": "real(c_float), value",
    "void*": "type(c_ptr), value",
    "fdvjp_config*": "type(c_ptr), value",
    "fdvjp_tape*": "type(c_ptr), value",
    "fdvjp_fn": "type(c_funptr), value",
    "fdvjp_cfn": "type(c_funptr), value",
    "fdvjp_vjp_fn": "type(c_funptr), value",
}
POINTEE = {"double*": "real(c_double)", "size_t*": "integer(c_size_t)", "var*": "integer(c_int64_t)",
           "int32*": "integer(c_int32_t)", "char*": "character(kind=c_char)"}
RESULT = {"int32": "integer(c_int32_t)", "size_t": "integer(c_size_t)", "fdvjp_config*": "type(c_ptr)",
          "fdvjp_tape*": "type(c_ptr)", "char*": "type(c_ptr)", "double": "real(c_double)",
          "var": "integer(c_int64_t)", "int64_t": "integer(c_int64_t)", "uint64_t": "integer(c_int64_t)"}
IMPORTS = "c_ptr, c_funptr, c_double, c_float, c_size_t, c_int32_t, c_int64_t, c_char"


CALLBACKS = set()  # the header's callback typedefs, set by generate()


def declaration(name, kind, const, scalars=SCALAR_OUT):
    if kind in CALLBACKS or (kind.startswith("fdvjp_") and kind.endswith("_fn")):
        return f"type(c_funptr), value :: {name}"
    if kind.rstrip("*") in CALLBACKS and kind.count("*") == 1:
        return f"type(c_funptr), intent(inout) :: {name}"  # a callback written by a getter
    if kind == "void**":
        return f"type(c_ptr), intent(inout) :: {name}"  # a user pointer written by a getter
    if kind.startswith("fdvjp_") and kind.endswith("*") and kind.count("*") == 1 and kind not in POINTEE:
        return f"type(c_ptr), value :: {name}"  # an opaque handle
    if kind in VALUE:
        return f"{VALUE[kind]} :: {name}"
    if kind not in POINTEE:
        raise ValueError(f"no Fortran mapping for C kind {kind!r} ({name})")
    if name in scalars and kind in ("size_t*", "var*", "int32*", "double*"):
        return f"{POINTEE[kind]}, intent(inout) :: {name}"
    intent = "in" if name in const else "inout"
    # optional: an absent array is passed as NULL (F2018), which C accepts with length 0.
    return f"{POINTEE[kind]}, intent({intent}), optional :: {name}(*)"


def comment(text, indent):
    lines = []
    for paragraph in text.split("\n"):
        lines += textwrap.wrap(paragraph, 96 - indent) or [""]
    return "".join(" " * indent + ("! " + line).rstrip() + "\n" for line in lines)


def interface(fn):
    if fn.result not in RESULT and fn.result != "void":
        result = "type(c_ptr)" if fn.result.endswith("*") else None
        if result is None:
            raise ValueError(f"no Fortran mapping for the result {fn.result!r} of {fn.name}")
        RESULT[fn.result] = result
    args = ", ".join(p for p, _ in fn.params)
    first = fn.doc.split("\n\n")[0].replace("\n", " ")
    out = comment(first, 4)
    binding = f'bind(c, name="{fn.name}")'
    if fn.result == "void":
        out += f"    subroutine {fn.name}({args}) &\n        {binding}\n"
    else:
        out += f"    function {fn.name}({args}) &\n        {binding} result(fdvjp_result)\n"
    out += f"      import :: {IMPORTS}\n"
    scalars = scalar_outs(fn.params)
    for p, k in fn.params:
        out += f"      {declaration(p, k, fn.const, scalars)}\n"
    if fn.result == "void":
        out += f"    end subroutine {fn.name}\n"
    else:
        out += f"      {RESULT[fn.result]} :: fdvjp_result\n    end function {fn.name}\n"
    return out


def callback(name, params):
    args = ", ".join(p for p, _ in params)
    out = f"    function {name}({args}) bind(c) result(fdvjp_result)\n      import :: {IMPORTS}\n"
    for p, k in params:
        decl = f"{VALUE[k]} :: {p}" if k in VALUE else f"{POINTEE.get(k, 'type(c_ptr), value ::')} :: {p}(*)"
        if k not in VALUE and k not in POINTEE:
            decl = f"type(c_ptr), value :: {p}"
        out += f"      {decl}\n"
    return out + f"      integer(c_int32_t) :: fdvjp_result\n    end function {name}\n"


def enums(header):
    text = c_header._strip(Path(header).read_text())
    out = ""
    for m in re.finditer(r"enum\s+(\w+)[^{;]*\{([^}]*)\}", text):
        out += f"  ! {m.group(1)}\n  enum, bind(c)\n"
        for c in re.finditer(r"\b(FDVJP_\w+)\s*=\s*(-?\d+)", m.group(2)):
            out += f"    enumerator :: {c.group(1)} = {c.group(2)}\n"
        out += "  end enum\n\n"
    return out


def generate(header=c_header.HEADER):
    CALLBACKS.clear()
    CALLBACKS.update(c_header.callbacks(header))
    parts = [
        "! GENERATED from include/fdvjp.h by bindings/fortran/generate_interfaces.py; do not edit.\n",
        "! The C API as bind(c) interfaces: names, argument order and meanings as in the header.\n",
        "! Arrays are assumed-size and optional (absent = NULL, valid with length 0); outputs are\n",
        "! intent(inout) because C writes them only on success. fdvjp_var (uint64_t) is\n",
        "! integer(c_int64_t). The high-level layer is module fdvjp (fdvjp.f90).\n",
        "module fdvjp_c\n",
        f"  use, intrinsic :: iso_c_binding, only: {IMPORTS}\n",
        "  implicit none\n  public\n\n",
        "  ! The kind of a tape variable id (fdvjp_var, uint64_t in C).\n",
        "  integer, parameter :: fdvjp_var_kind = c_int64_t\n\n",
        "  ! The header's integer #define constants.\n",
        *[f"  integer(c_int32_t), parameter :: {name} = {value}\n" for name, value in c_header.defines(header).items()],
        "\n",
        enums(header),
        "  ! Callback types (their C typedefs); arrays hold n, m (or 2n, 2m for complex) values.\n",
        "  abstract interface\n",
        *[callback(n, p) for n, p in c_header.callbacks(header).items()],
        "  end interface\n\n  interface\n",
        "\n".join(interface(f) for f in c_header.functions(header).values()),
        "  end interface\nend module fdvjp_c\n",
    ]
    return "".join(parts)


if __name__ == "__main__":
    output = Path(sys.argv[1] if len(sys.argv) > 1 else "fdvjp_c.f90")
    output.write_text(generate())
    print(f"wrote {output}")
