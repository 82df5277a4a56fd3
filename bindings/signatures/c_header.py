"""Reads the function prototypes and callback typedefs of include/fdvjp.h.

The signature checks of the bindings compare against this: every C entry point, with the
kind of each parameter (see `kind`), so that a binding declaring a missing function, the
wrong number of arguments or an argument of the wrong type fails a test.
"""

import re
from dataclasses import dataclass
from pathlib import Path

HEADER = Path(__file__).resolve().parents[2] / "include" / "fdvjp.h"

#: Canonical kinds of C types, shared by every binding's checker.
SCALARS = {
    "double": "double",
    "size_t": "size_t",
    "int32_t": "int32",
    "fdvjp_status": "int32",
    "fdvjp_var": "var",
    "void": "void",
}
CALLBACKS = {"fdvjp_fn", "fdvjp_cfn", "fdvjp_vjp_fn"}


@dataclass
class Function:
    name: str
    result: str  # a kind
    params: list  # [(name, kind)]
    const: set  # names of the params that are pointers to const
    doc: str = ""  # the comment above the prototype in the header


def kind(c_type):
    """'const double *' -> 'double*'; 'fdvjp_fn' -> 'fdvjp_fn'; 'fdvjp_config *' ->
    'fdvjp_config*'; 'void *' -> 'void*' (const is dropped: no binding language keeps it)."""
    t = c_type.replace("const", " ").replace("enum", " ").replace("struct", " ")
    stars = t.count("*")
    base = t.replace("*", " ").split()
    if len(base) != 1:
        raise ValueError(f"unparsed C type {c_type!r}")
    base = base[0]
    base = SCALARS.get(base, base)
    return base + "*" * stars


def _strip(text):
    text = re.sub(r"/\*.*?\*/", " ", text, flags=re.S)
    text = re.sub(r"//[^\n]*", " ", text)
    return "\n".join(line for line in text.splitlines() if not line.lstrip().startswith("#"))


def _param(text):
    text = text.strip()
    if text == "void":
        return None
    m = re.match(r"^(.*?)(\w+)$", text)
    if not m:
        raise ValueError(f"unparsed parameter {text!r}")
    return m.group(2), kind(m.group(1))


def _params(text):
    return [p for p in (_param(t) for t in text.split(",")) if p is not None]


def callbacks(header=HEADER):
    """{typedef name: [(param name, kind)]} of the callback typedefs; all return int32."""
    text = _strip(Path(header).read_text())
    return {
        m.group(1): _params(m.group(2))
        for m in re.finditer(r"typedef\s+int32_t\s*\(\s*\*\s*(\w+)\s*\)\s*\(([^)]*)\)\s*;", text)
    }


def _const_params(text):
    return {t.strip().split()[-1].lstrip("*") for t in text.split(",") if "const" in t}


def _docs(header):
    """{function name: the comment block above it} from the raw header (`/* ... */` blocks
    with ` * ` lines, or runs of `//` lines)."""
    docs = {}
    lines = Path(header).read_text().splitlines()
    for i, line in enumerate(lines):
        m = re.search(r"\b(fdvjp_\w+)\s*\(", line)
        if not m or line.startswith(("//", "typedef", "#", " ", "/*")):
            continue
        j = i
        if j > 0 and lines[j - 1].strip().endswith("*/"):
            while j > 0 and not lines[j - 1].lstrip().startswith("/*"):
                j -= 1
            j -= 1
            body = [re.sub(r"^\s*(/\*+|\*/|\*)\s?", "", l).rstrip() for l in lines[j:i]]
            body = [re.sub(r"\s*\*/$", "", l) for l in body]
            docs[m.group(1)] = "\n".join(body).strip("\n")
            continue
        while j > 0 and lines[j - 1].startswith("//"):
            j -= 1
        docs[m.group(1)] = "\n".join(l[2:].strip() for l in lines[j:i])
    return docs


def functions(header=HEADER):
    """{name: Function} of every `fdvjp_*` prototype in the header."""
    text = _strip(Path(header).read_text())
    text = re.sub(r"typedef[^;]*;", " ", text)
    docs = _docs(header)
    found = {}
    for m in re.finditer(r"([A-Za-z_][\w\s\*]*?)\b(fdvjp_\w+)\s*\(([^)]*)\)\s*;", text):
        result, name, params = m.groups()
        found[name] = Function(name, kind(result), _params(params), _const_params(params), docs.get(name, ""))
    if not found:
        raise ValueError(f"no prototypes found in {header}")
    return found


def defines(header=HEADER):
    """{name: value} of the integer `#define FDVJP_*` constants, in header order."""
    return {m.group(1): int(m.group(2))
            for m in re.finditer(r"(?m)^#define\s+(FDVJP_\w+)\s+(-?\d+)\s*$", Path(header).read_text())}


def enums(header=HEADER):
    """{constant name: value} of the enum constants `FDVJP_* = value`."""
    text = _strip(Path(header).read_text())
    return {m.group(1): int(m.group(2)) for m in re.finditer(r"\b(FDVJP_\w+)\s*=\s*(-?\d+)", text)}


if __name__ == "__main__":
    for f in functions().values():
        print(f.result, f.name, f.params)
    print(callbacks())
    print(enums())
