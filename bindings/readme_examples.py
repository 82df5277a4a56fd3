"""Runs the examples of README.md exactly as printed, against the built library, so the
README cannot drift from the bindings. Prints "N passed, N failed".

    python3 bindings/readme_examples.py [LIBDIR]

- Python blocks run with the package on PYTHONPATH and must print a line with "ok".
- Every C, C++ and Fortran block must be followed by a ```sh block with its build lines;
  those lines run as printed, in a fresh copy of the repository (the tracked files and
  any new ones, nothing built), with the example saved in its root under the name the
  build line compiles. `cargo build --release` is not rerun there: the copy gets the
  library from LIBDIR in target/release, where that line would put it. A line `./prog  #
  text` must print `text`. So the printed lines are checked to work from a fresh clone:
  include paths, rpath, and the folder the module files go to (no .mod, .o or generated
  fdvjp_c.f90 may be left in the repository's root).
- The C++ blocks are also compiled with -Wall -Wextra -Wconversion -Werror.
"""

import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"
SOURCE_SUFFIX = {"c": ".c", "cpp": ".cpp", "fortran": ".f90"}


def all_blocks():
    """Every fenced block of the README, in order: (language, code, the text before it
    since the previous block)."""
    text, blocks, last = README.read_text(), [], 0
    for m in re.finditer(r"^```(\w*)\n(.*?)^```", text, flags=re.S | re.M):
        blocks.append((m.group(1), m.group(2), text[last:m.start()]))
        last = m.end()
    return blocks


def run(cmd, **kwargs):
    return subprocess.run(cmd, capture_output=True, text=True, timeout=600, **kwargs)


def fresh_copy(libdir, dest):
    """The repository as a fresh clone has it (tracked and new files), plus the library."""
    listed = run(["git", "ls-files", "-co", "--exclude-standard", "-z"], cwd=ROOT)
    if listed.returncode != 0:
        raise RuntimeError(f"git ls-files failed: {listed.stderr}")
    for name in filter(None, listed.stdout.split("\0")):
        src = ROOT / name
        if src.is_file():
            (dest / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(src, dest / name)
    (dest / "target" / "release").mkdir(parents=True)
    shutil.copy2(libdir / "libfdvjp.so", dest / "target" / "release" / "libfdvjp.so")


def python_example(code, libdir, work):
    needs = [m for m in ("autograd", "jax") if re.search(rf"^\s*(import|from) {m}\b", code, flags=re.M)]
    missing = [m for m in needs if run([sys.executable, "-c", f"import {m}"]).returncode != 0]
    if missing:
        return None, f"skipped: {', '.join(missing)} not installed"
    env = dict(os.environ, PYTHONPATH=str(ROOT / "bindings" / "python"), FDVJP_LIB=str(libdir / "libfdvjp.so"))
    result = run([sys.executable, "-c", code], env=env, cwd=work)
    ok = result.returncode == 0 and re.search(r"\bok\b", result.stdout)
    return result, "" if ok else "no 'ok' line"


def expected_outputs(script):
    """The `text` of each `./program  # text` line of a build block."""
    return [m.group(1).strip() for m in re.finditer(r"^\s*\./\S+.*?#\s*(.+)$", script, flags=re.M)]


def built_example(language, code, script, libdir, work):
    """Saves the example where its build lines expect it, runs them in a fresh copy."""
    names = re.findall(rf"([\w./-]+{re.escape(SOURCE_SUFFIX[language])})\b", script)
    names = [n for n in names if not Path(n).name.startswith("fdvjp")]
    if not names:
        return None, f"its build lines compile no {SOURCE_SUFFIX[language]} file"
    clone = work / "clone"
    clone.mkdir()
    fresh_copy(libdir, clone)
    (clone / Path(names[0]).name).write_text(code)
    lines = [":  # (cargo build --release: the library is in place)" if re.match(r"\s*cargo build", line) else line
             for line in script.splitlines()]
    result = run(["bash", "-euo", "pipefail", "-c", "\n".join(lines)], cwd=clone)
    if result.returncode != 0:
        return result, "the build lines failed"
    litter = sorted(p.name for p in clone.iterdir() if p.suffix in (".mod", ".smod", ".o") or p.name == "fdvjp_c.f90")
    if litter:
        return result, f"the build lines left {litter} in the repository's root"
    missing = [want for want in expected_outputs(script) if want not in result.stdout]
    if missing:
        return result, f"expected output not printed: {missing}"
    if not expected_outputs(script):
        return result, "the build lines run no ./program with its expected output"
    return result, ""


def strict_cpp(code, libdir, work):
    src = work / "strict.cpp"
    src.write_text(code)
    built = run(["g++", "-std=c++17", "-Wall", "-Wextra", "-Wconversion", "-Werror", "-fsyntax-only",
                 f"-I{ROOT / 'include'}", f"-I{ROOT / 'bindings' / 'cpp'}", str(src)])
    return built, "" if built.returncode == 0 else "warnings under -Wall -Wextra -Wconversion -Werror"


def main():
    libdir = Path(sys.argv[1] if len(sys.argv) > 1 else ROOT / "target" / "release").resolve()
    passed = failed = skipped = 0
    blocks = all_blocks()
    checks = []  # (name, thunk)
    counts = {}
    for i, (language, code, _) in enumerate(blocks):
        if language not in ("python", "c", "cpp", "fortran"):
            continue
        counts[language] = counts.get(language, 0) + 1
        name = f"{language} example {counts[language]}"
        if language == "python":
            checks.append((name, lambda w, code=code: python_example(code, libdir, w)))
            continue
        following = blocks[i + 1] if i + 1 < len(blocks) else ("", "", "")
        # its build lines: the next block, in the same section (no heading in between)
        if following[0] != "sh" or re.search(r"^#", following[2], flags=re.M):
            checks.append((name, lambda w: (None, "FAIL: no ```sh block with its build lines follows it")))
            continue
        checks.append((name, lambda w, lang=language, code=code, script=following[1]:
                       built_example(lang, code, script, libdir, w)))
        if language == "cpp":
            checks.append((f"{name} (-Wconversion -Werror)", lambda w, code=code: strict_cpp(code, libdir, w)))
    for language in ("python", "c", "cpp", "fortran"):
        if language not in counts:
            print(f"FAIL {language}: no example in {README.name}")
            failed += 1
    for name, check in checks:
        with tempfile.TemporaryDirectory() as work:
            result, note = check(Path(work))
        if result is None and note.startswith("skipped"):
            print(f"skip {name} ({note})")
            skipped += 1
        elif result is not None and not note:
            last = (result.stdout.strip().splitlines() or ["(compiled)"])[-1]
            print(f"ok   {name}: {last}")
            passed += 1
        else:
            detail = "" if result is None else f"\n{result.stdout[-2000:]}{result.stderr[-2000:]}"
            print(f"FAIL {name}: {note}{detail}")
            failed += 1
    print(f"{passed} passed, {failed} failed" + (f", {skipped} skipped" if skipped else ""))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
