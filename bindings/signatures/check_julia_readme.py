"""Checks the Julia section of README.md, and the package's test/runtests.jl, against the
package's source (no Julia runtime exists here): every exported name is defined; no name is both a const and a function; every name the section uses, qualified
(`FDVJP.name(...)`), imported (`using FDVJP: name`) or unqualified in its example, exists
with a method taking that many positional arguments; and every package function the example
calls unqualified is exported or imported (else Julia would not find it).

    python3 bindings/signatures/check_julia_readme.py     # prints problems, exits 1 on any
"""

import math
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = ROOT / "bindings" / "julia" / "FDVJP"


def strip_comments(text):
    text = re.sub(r'"""(.*?)"""', lambda m: "\n" * m.group(0).count("\n"), text, flags=re.S)
    return re.sub(r"#.*", "", text)


def matching(text, start):
    """The index of the parenthesis closing the one at text[start]."""
    depth = 0
    for i in range(start, len(text)):
        if text[i] in "([{":
            depth += 1
        elif text[i] in ")]}":
            depth -= 1
            if depth == 0:
                return i
    return -1


def split_top(text):
    parts, depth, cur = [], 0, ""
    for ch in text:
        if ch in "([{":
            depth += 1
        elif ch in ")]}":
            depth -= 1
        if ch == "," and depth == 0:
            parts.append(cur)
            cur = ""
        else:
            cur += ch
    if cur.strip():
        parts.append(cur)
    return [p.strip() for p in parts]


def positional(args):
    """The top-level arguments before `;`, without keyword arguments (name=value)."""
    depth = 0
    for i, ch in enumerate(args):
        depth += ch in "([{"
        depth -= ch in ")]}"
        if ch == ";" and depth == 0:
            args = args[:i]
            break
    return [a for a in split_top(args) if not re.match(r"^[A-Za-z_]\w*\s*=[^=]", a)]


def arity(params):
    """(min, max) positional arguments a definition's parameter list accepts."""
    low, high = 0, 0
    for p in positional(params) + [p for p in split_top(params.split(";")[0]) if re.match(r"^\w+(::.*)?=[^=]", p)]:
        if p.endswith("...") or "..." in p.split("::")[0]:
            high = math.inf
        elif "=" in p.replace("==", ""):
            high += 1
        else:
            low += 1
            high += 1
    return low, high


def const_clashes(sources):
    """Names bound by `const` and also given a method in the package's own namespace: Julia
    refuses such a module ("invalid redefinition of constant")."""
    consts, methods = set(), set()
    for text in sources:
        text = strip_comments(text)
        consts |= set(re.findall(r"(?m)^\s*const\s+([A-Za-z_]\w*)\s*=", text))
        methods |= {m.group(2) for m in re.finditer(r"(?m)^\s*(function\s+)?([A-Za-z_][\w!]*)\([^\n]*\)\s*=(?!=)", text)}
        methods |= set(re.findall(r"(?m)^\s*function\s+([A-Za-z_][\w!]*)\(", text))
    return sorted(consts & methods)


def definitions(sources):
    """name -> (list of (min, max) arities, extends another module's function?)."""
    defs = {}

    def add(name, span, extension):
        entry = defs.setdefault(name, ([], True))
        defs[name] = (entry[0] + [span], entry[1] and extension)

    for text in sources:
        text = strip_comments(text)
        for m in re.finditer(r"(?m)^\s*(function\s+)?((?:[A-Z]\w*\.)?(?::\S+?|[A-Za-z_][\w!]*))\(", text):
            close = matching(text, m.end() - 1)
            if close < 0:
                continue
            after = text[close + 1:close + 80]
            if not m.group(1) and not re.match(r"\s*(::\s*[\w{}<:,]+\s*)?(where\s*.*?)?=(?!=)", after):
                continue
            qualified = m.group(2)
            name = qualified.split(".")[-1].lstrip(":")
            add(name, arity(text[m.end():close]), "." in qualified)
        for m in re.finditer(r"(?m)^\s*const\s+(\w+)\s*=\s*([\w.]+)\s*$", text):
            alias, target = m.group(1), m.group(2)
            defs.setdefault("__alias__" + alias, ([], False))
            defs["__alias__" + alias] = ([target], False)
        for m in re.finditer(r"(?ms)^\s*(?:mutable\s+)?struct\s+(\w+)(.*?)^\s*end\b", text):
            fields = [f for f in m.group(2).splitlines() if re.match(r"^\s*\w+::", f)]
            add(m.group(1), (len(fields), len(fields)), False)
    for key in [k for k in defs if k.startswith("__alias__")]:
        target = defs.pop(key)[0][0]
        if target in defs:
            defs[key[len("__alias__"):]] = defs[target]
    return defs


def exports(package_source):
    names = []
    for m in re.finditer(r"(?m)^export\s+((?:[^\n]*,\s*\n)*[^\n]*)", strip_comments(package_source)):
        names += [n.strip() for n in m.group(1).replace("\n", " ").split(",") if n.strip()]
    return names


def julia_section(readme_text):
    start = readme_text.index("### Julia")
    end = readme_text.index("\n## ", start)
    return readme_text[start:end]


def calls(text, prefix):
    """(name, positional argument count or None with a splat) of `prefix name(...)` calls."""
    found = []
    for m in re.finditer(prefix + r"([A-Za-z_][\w!]*)\(", text):
        close = matching(text, m.end() - 1)
        args = positional(text[m.end():close]) if close > 0 else []
        found.append((m.group(1), None if any("..." in a for a in args) else len(args), m.start()))
    return found


def check(section, package_dir=PACKAGE):
    sources = [p.read_text() for p in sorted(package_dir.rglob("*.jl")) if "test" not in p.parts]
    defs = definitions(sources)
    exported = exports((package_dir / "src" / "FDVJP.jl").read_text())
    problems = [f"exported but never defined: {n}" for n in exported if n not in defs]
    problems += [f"{n}: both a const and a function (Julia refuses the module)" for n in const_clashes(sources)]
    code = "\n".join(re.findall(r"```julia\n(.*?)```", section, flags=re.S))
    prose = re.sub(r"```.*?```", "", section, flags=re.S)
    spans = " ".join(re.findall(r"`([^`\n]+)`", prose))
    # `using FDVJP: a, b,` continues on the next line after a trailing comma
    imported = [n.strip() for m in re.finditer(r"using FDVJP:\s*((?:[^\n#]*,[ \t]*(?:#[^\n]*)?\n)*[^\n#]+)", code)
                for n in re.sub(r"#[^\n]*", "", m.group(1)).split(",") if n.strip()]
    problems += [f"imported but never defined: {n}" for n in imported if n not in defs]
    local = set(re.findall(r"(?m)^\s*(?:function\s+)?([A-Za-z_]\w*)\([^)]*\)\s*=", code))
    uses = [(n, k, "FDVJP." + n) for n, k, _ in calls(code + "\n" + spans, r"\bFDVJP\.")]
    uses += [(n, k, n) for n, k, pos in calls(code, r"(?<![\w.:!])")
             if n in defs and n not in local and not defs[n][1]]
    uses += [(n, k, n) for n, k, pos in calls(spans, r"(?<![\w.:!])") if n in defs and not defs[n][1]]
    for name, count, shown in uses:
        if name not in defs:
            problems.append(f"{shown}: no such name in the package")
        elif count is not None and not any(lo <= count <= hi for lo, hi in defs[name][0]):
            problems.append(f"{shown}: called with {count} positional arguments, "
                            f"but its methods take {sorted(set(defs[name][0]))}")
    for name, _, _ in calls(code, r"(?<![\w.:!])"):
        if name in defs and not defs[name][1] and name not in local and name not in exported + imported:
            problems.append(f"{name}: called unqualified in the example but neither exported nor imported")
    return sorted(set(problems))


def tests_section(package_dir=PACKAGE):
    """The package's test file as a section the same check reads: every name the tests use
    qualified or imported must exist with a method of that arity, and every unqualified
    call of a package function must be exported or imported."""
    return "### Julia\n```julia\n" + (package_dir / "test" / "runtests.jl").read_text() + "```\n"


def main():
    problems = check(julia_section((ROOT / "README.md").read_text()))
    for p in problems:
        print(p)
    print(f"README Julia section: {len(problems)} problems")
    test_problems = check(tests_section())
    for p in test_problems:
        print("test/runtests.jl:", p)
    print(f"test/runtests.jl: {len(test_problems)} problems")
    return 1 if problems or test_problems else 0


if __name__ == "__main__":
    sys.exit(main())
