"""Checks every `ccall` of the Julia package (bindings/julia/FDVJP) against
include/fdvjp.h: the function must exist, with the same number of arguments, each of a
matching type, the same return type, as many actual arguments as declared types, and the
library `libfdvjp`. Then the package's own code, which reaches C only through those
generated wrappers (capi.jl), is checked where it calls them (`check_wrapper_calls`):
every `fdvjp_*` name it uses is a header function or type, each direct call passes as
many arguments as the C function takes, and each argument whose type the source makes
evident is of the C parameter's kind (a shape built as `Csize_t[...]` for a `size_t *`,
a `.id` for an `fdvjp_var`, a `C_NULL` for a pointer only, ...). No Julia runtime is
needed. Exits 1 on any mismatch; header functions that no ccall names are listed as a
note.

    python3 bindings/signatures/check_julia.py
"""

import re
import sys
from pathlib import Path

import c_header

PACKAGE = Path(__file__).resolve().parents[1] / "julia" / "FDVJP"

#: Julia type -> the C kinds it may stand for (strict: size_t must be Csize_t, a tape
#: variable fdvjp_var, so that mix-ups are caught even where the ABI would not notice).
_POINTER = {"void*", "fdvjp_config*", "fdvjp_tape*"}
JULIA_KINDS = {
    "Cdouble": {"double"},
    "Float64": {"double"},
    "Csize_t": {"size_t"},
    "Int32": {"int32"},
    "Cint": {"int32"},
    "fdvjp_var": {"var"},
    "Ptr{Cdouble}": {"double*"},
    "Ref{Cdouble}": {"double*"},
    "Ptr{Csize_t}": {"size_t*"},
    "Ref{Csize_t}": {"size_t*"},
    "Ptr{fdvjp_var}": {"var*"},
    "Ref{fdvjp_var}": {"var*"},
    "Ptr{UInt8}": {"char*"},
    "Cstring": {"char*"},
    "Cvoid": {"void"},
    "Ref{fdvjp_report}": {"fdvjp_report*"},
    "Ref{Int32}": {"int32*"},
    "Ptr{Int32}": {"int32*"},
    "Ref{Ptr{Cvoid}}": {"void**"} | {f"{name}*" for name in c_header.callbacks()},  # getters' outputs
    "Ptr{fdvjp_report}": {"fdvjp_report*"},
}


def kinds_of(julia_type):
    t = julia_type.replace(" ", "")
    if t == "Ptr{Cvoid}":
        return "pointer"  # any opaque pointer: handles, user data, callbacks
    return JULIA_KINDS.get(t, set())


CALLBACK_TYPES = set(c_header.callbacks())


def accepts(julia_type, c_kind):
    k = kinds_of(julia_type)
    if k == "pointer":
        return c_kind in _POINTER or c_kind in CALLBACK_TYPES
    return c_kind in k


def strip_comments(source):
    """Removes # comments outside strings (and #= =# blocks)."""
    source = re.sub(r"#=.*?=#", " ", source, flags=re.S)
    out = []
    for line in source.splitlines():
        in_string = False
        for i, ch in enumerate(line):
            if ch == '"':
                in_string = not in_string
            elif ch == "#" and not in_string:
                line = line[:i]
                break
        out.append(line)
    return "\n".join(out)


def split_top(text):
    """Splits at commas outside brackets and strings."""
    parts, depth, current, in_string = [], 0, "", False
    for ch in text:
        if ch == '"':
            in_string = not in_string
        if not in_string:
            if ch in "([{":
                depth += 1
            elif ch in ")]}":
                depth -= 1
            elif ch == "," and depth == 0:
                parts.append(current.strip())
                current = ""
                continue
        current += ch
    if current.strip():
        parts.append(current.strip())
    return parts


def ccalls(source):
    """[(line number, [arguments of the ccall])] of a Julia source."""
    source = strip_comments(source)
    found = []
    for m in re.finditer(r"\bccall\s*\(", source):
        depth, i = 1, m.end()
        while depth and i < len(source):
            depth += {"(": 1, ")": -1}.get(source[i], 0)
            i += 1
        line = source.count("\n", 0, m.start()) + 1
        found.append((line, split_top(source[m.end() : i - 1])))
    return found


def unwrap_tuple(text):
    text = text.strip()
    if not (text.startswith("(") and text.endswith(")")):
        return None
    return split_top(text[1:-1])


def check_source(source, where, functions):
    """(problems, names called) for one Julia source."""
    problems, called = [], set()
    for line, args in ccalls(source):
        at = f"{where}:{line}"
        if len(args) < 3:
            problems.append(f"{at}: ccall with {len(args)} arguments")
            continue
        target = unwrap_tuple(args[0])
        if not target or len(target) != 2 or not target[0].startswith(":"):
            problems.append(f"{at}: ccall target {args[0]!r} is not (:name, libfdvjp)")
            continue
        name, library = target[0][1:], target[1]
        called.add(name)
        if library != "libfdvjp":
            problems.append(f"{at}: {name} called in library {library!r}, not libfdvjp")
        fn = functions.get(name)
        if fn is None:
            problems.append(f"{at}: {name} is not a function of include/fdvjp.h")
            continue
        if not accepts(args[1], fn.result):
            problems.append(f"{at}: {name} returns {fn.result}, ccall says {args[1]}")
        types = unwrap_tuple(args[2])
        if types is None:
            problems.append(f"{at}: {name}: argument types {args[2]!r} are not a tuple")
            continue
        if len(types) != len(fn.params):
            problems.append(f"{at}: {name} takes {len(fn.params)} arguments, ccall declares {len(types)}")
        else:
            for (pname, pkind), jtype in zip(fn.params, types):
                if not accepts(jtype, pkind):
                    problems.append(f"{at}: {name}: argument {pname} is {pkind} in C, ccall declares {jtype}")
        if len(args) - 3 != len(types):
            problems.append(f"{at}: {name}: {len(types)} types declared but {len(args) - 3} arguments passed")
    return problems, called


#: `fdvjp_*` names of the header that are types, not functions.
HEADER_TYPES = {"fdvjp_var", "fdvjp_report", "fdvjp_config", "fdvjp_tape", "fdvjp_status"}

#: The kind of an argument expression whose type its text shows, by pattern (first match).
_EVIDENT = [
    (r"C_NULL", "null"),
    (r"\w+_cfunction\(\)", "fnptr"),
    (r"\w+(\.\w+)*\.id", "var"),
    (r"FDVJP_[A-Z0-9_]+", "int32"),
    (r"Int32\(.*\)", "int32"),
    (r"(length|Int|Csize_t)\(.*\)|\d+", "int"),
    (r"Float64\(.*\)|\d+\.\d*(e-?\d+)?", "double"),
    (r"Ptr\{Cdouble\}\(.*\)", "double*"),
]
#: The kind of a name assigned in the same file, by the start of its right-hand side.
_ASSIGNED = [
    (r"(Csize_t\[|zeros\(Csize_t|Vector\{Csize_t\}|c_shape\()", "size_t*"),
    (r"fdvjp_var\[", "var*"),
    (r"(Float64\[|collect\(Float64|Vector\{Float64\}|Array\{Float64\}|zeros\()", "double*"),
    (r"(Int(64)?\[|Vector\{Int(64)?\}|zeros\(Int(64)?,)", "Int*"),  # Julia's Int: never a C array
    (r"Ref\{fdvjp_var\}", "var*"),
    (r"Ref\{Csize_t\}", "size_t*"),
    (r"Ref\{Int32\}", "int32*"),
    (r"Ref\{Cdouble\}", "double*"),
]
#: C kind -> the evident kinds it accepts (an argument of no evident kind is not judged).
_ACCEPTS = {
    "double*": {"double*", "null"}, "size_t*": {"size_t*", "null"}, "var*": {"var*", "null"},
    "int32*": {"int32*", "null"}, "size_t": {"int"}, "int32": {"int", "int32"}, "var": {"var"},
    "double": {"double", "int"}, "fdvjp_config*": {"null"}, "fdvjp_tape*": {"null"},
}


def assigned_kinds(source):
    """{name: kinds of the values assigned to it anywhere in the source}; a name that is
    also a parameter somewhere in the source may hold anything ("any")."""
    kinds = {}
    params = r"\(([^()]*(?:\([^()]*\)[^()]*)*)\)"
    definitions = [
        rf"(?m)^\s*function\s+[\w.!:$]+{params}",  # function f(a, b)
        rf"(?m)^\s*[\w.!:$]+{params}\s*(?:::\s*\S+\s*)?(?:where\s*\S+\s*)?=(?!=)",  # f(a, b) = ...
        rf"{params}\s*->",  # (a, b) -> ...
        r"(\w+)\s*->",  # a -> ...
        r"\bdo\s+([\w, ]+)$",  # do a, b
    ]
    for pattern in definitions:
        for m in re.finditer(pattern, source, flags=re.M):
            text = m.group(m.lastindex)
            for param in split_top(text.split(";")[0]):
                name = re.match(r"\s*(\w+)", param)
                if name:
                    kinds.setdefault(name.group(1), set()).add("any")
    for m in re.finditer(r"(?m)(?<![\w.])([a-z_]\w*)\s*=(?!=)\s*(.+)$", source):
        for pattern, kind in _ASSIGNED:
            if re.match(pattern, m.group(2)):
                kinds.setdefault(m.group(1), set()).add(kind)
                break
    return kinds


def evident_kinds(arg, assigned):
    """The kinds an argument expression can have, or None when its text does not show it."""
    arg = arg.strip()
    for pattern, kind in _EVIDENT:
        if re.fullmatch(pattern, arg):
            return {kind}
    return assigned.get(arg)


def argument_fits(c_kind, kinds):
    if kinds is None or "any" in kinds:
        return True
    if c_kind in CALLBACK_TYPES:
        return bool(kinds & {"fnptr", "null"})
    if c_kind == "void*":
        return True
    allowed = _ACCEPTS.get(c_kind)
    return allowed is None or bool(kinds & allowed)


def check_wrapper_calls(source, where, functions):
    """(problems, number of direct calls checked) for the package's own code's uses of the
    generated `fdvjp_*` wrappers."""
    source = strip_comments(source)
    source = re.sub(r'"""(.*?)"""', lambda m: "\n" * m.group(0).count("\n"), source, flags=re.S)
    source = re.sub(r'"(?:[^"\\\n]|\\.)*"', '""', source)  # strings name functions in prose only
    assigned = assigned_kinds(source)
    problems, count = [], 0
    for m in re.finditer(r"(?<![\w:.])(fdvjp_\w+)", source):
        name, line = m.group(1), source.count("\n", 0, m.start()) + 1
        at = f"{where}:{line}"
        if name in HEADER_TYPES:
            continue
        fn = functions.get(name)
        if fn is None:
            problems.append(f"{at}: {name} is not a function of include/fdvjp.h")
            continue
        if not re.match(r"\s*\(", source[m.end():]):
            continue  # passed as a value (e.g. a getter to a helper): the helper's call is not seen
        depth, i = 1, source.index("(", m.end()) + 1
        start = i
        while depth and i < len(source):
            depth += {"(": 1, ")": -1}.get(source[i], 0)
            i += 1
        args = split_top(source[start:i - 1])
        count += 1
        if len(args) != len(fn.params):
            problems.append(f"{at}: {name} takes {len(fn.params)} arguments, the call passes {len(args)}")
            continue
        for (pname, pkind), arg in zip(fn.params, args):
            kinds = evident_kinds(arg, assigned)
            if not argument_fits(pkind, kinds):
                problems.append(f"{at}: {name}: argument {pname} is {pkind} in C, the call passes "
                                f"{arg!r} ({', '.join(sorted(kinds))})")
    return problems, count


def check_package(package=PACKAGE, header=c_header.HEADER):
    """(problems, header functions never called, number of ccalls and wrapper calls checked)."""
    functions = c_header.functions(header)
    problems, called, count = [], set(), 0
    sources = sorted(package.glob("src/*.jl")) + sorted(package.glob("ext/*.jl"))
    if not sources:
        return [f"no Julia sources under {package}"], set(), 0
    for path in sources:
        text = path.read_text()
        count += len(ccalls(text))
        p, c = check_source(text, path.relative_to(package), functions)
        problems += p
        called |= c
        if path.name != "capi.jl":
            p, n = check_wrapper_calls(text, path.relative_to(package), functions)
            problems += p
            count += n
    return problems, set(functions) - called, count


if __name__ == "__main__":
    problems, uncalled, count = check_package()
    for p in problems:
        print("ERROR", p)
    if uncalled:
        print("note: no ccall for", ", ".join(sorted(uncalled)))
    print(f"{count} ccalls and wrapper calls checked, {len(problems)} problems")
    sys.exit(1 if problems or count == 0 else 0)
