"""Runs the Python, C++ and Fortran examples of README.md exactly as printed,
against the built library, so the README cannot drift from the bindings. Each example
must exit 0 and print its "... ok" line. Prints "N passed, N failed".

    python3 bindings/readme_examples.py [LIBDIR]
"""

import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"


def blocks(language):
    return re.findall(rf"```{language}\n(.*?)```", README.read_text(), flags=re.S)


def run(cmd, **kwargs):
    return subprocess.run(cmd, capture_output=True, text=True, timeout=300, **kwargs)


def python_example(code, libdir, work):
    needs = [m for m in ("autograd", "jax") if re.search(rf"^\s*(import|from) {m}\b", code, flags=re.M)]
    missing = [m for m in needs if run([sys.executable, "-c", f"import {m}"]).returncode != 0]
    if missing:
        return None, f"skipped: {', '.join(missing)} not installed"
    env = dict(os.environ, PYTHONPATH=str(ROOT / "bindings" / "python"), FDVJP_LIB=str(libdir / "libfdvjp.so"))
    return run([sys.executable, "-c", code], env=env, cwd=work), ""


def cpp_example(code, libdir, work):
    src, exe = work / "example.cpp", work / "example_cpp"
    src.write_text(code)
    built = run(["g++", "-std=c++17", "-Wall", "-Wextra", "-Werror", f"-I{ROOT / 'include'}",
                 f"-I{ROOT / 'bindings' / 'cpp'}", str(src), f"-L{libdir}", f"-Wl,-rpath,{libdir}", "-lfdvjp",
                 "-o", str(exe)])
    return (built if built.returncode else run([str(exe)])), ""


def fortran_example(code, libdir, work):
    src, exe = work / "example.f90", work / "example_f90"
    src.write_text(code)
    run([sys.executable, str(ROOT / "bindings" / "fortran" / "generate_interfaces.py"), str(work / "fdvjp_c.f90")])
    built = run(["gfortran", "-std=f2018", "-Wall", "-Werror", str(work / "fdvjp_c.f90"),
                 str(ROOT / "bindings" / "fortran" / "fdvjp.f90"), str(src), f"-L{libdir}", f"-Wl,-rpath,{libdir}",
                 "-lfdvjp", "-o", str(exe)], cwd=work)
    return (built if built.returncode else run([str(exe)], cwd=work)), ""


def main():
    libdir = Path(sys.argv[1] if len(sys.argv) > 1 else ROOT / "target" / "release").resolve()
    passed = failed = skipped = 0
    examples = [("python", python_example), ("cpp", cpp_example), ("fortran", fortran_example)]
    for language, runner in examples:
        found = blocks(language)
        if not found:
            print(f"FAIL {language}: no example in {README.name}")
            failed += 1
        for i, code in enumerate(found, 1):
            with tempfile.TemporaryDirectory() as work:
                result, note = runner(code, libdir, Path(work))
            name = f"{language} example {i}"
            if result is None:
                print(f"skip {name} ({note})")
                skipped += 1
            elif result.returncode == 0 and re.search(r"\bok\b", result.stdout):
                print(f"ok   {name}: {result.stdout.strip().splitlines()[-1]}")
                passed += 1
            else:
                print(f"FAIL {name} (exit {result.returncode})\n{result.stdout[-2000:]}{result.stderr[-2000:]}")
                failed += 1
    print(f"{passed} passed, {failed} failed" + (f", {skipped} skipped" if skipped else ""))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
