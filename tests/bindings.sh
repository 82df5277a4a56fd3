#!/usr/bin/env bash
# The language bindings' tests: installs what they need when missing (gfortran, cmake,
# pkg-config; numpy, pytest, autograd, jax, tree-sitter-julia), builds the release library, then runs
#   Python (pytest, with the autograd and JAX examples; the pip package in a fresh venv), the
#   header signature checks (Julia ccalls and syntax, the README's Julia names and
#   signatures, ctypes table, their own negative tests), C++ (g++ -Wall -Wextra
#   -Werror, valgrind, ASan+UBSan), Fortran (gfortran -std=f2018 -Wall -Werror, valgrind), the
#   install test (make install into a temporary prefix; pkg-config and CMake, the static
#   links run with the shared library hidden) and the examples of README.md with their
#   build lines, run as printed in a fresh copy of the repository.
# Counts the individual tests of every suite; ends with one line "N passed, N failed"
# and exits non-zero on any failure. A suite that dies before reporting counts as failed.
set -uo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT" || exit 1
TARGET=${CARGO_TARGET_DIR:-$ROOT/target}
case $TARGET in /*) ;; *) TARGET=$ROOT/$TARGET ;; esac
LIBDIR=$TARGET/release
LOGS=$TARGET/bindings-logs
mkdir -p "$LOGS"
export CARGO_TERM_COLOR=never
passed=0 failed=0 skipped=0

# install_missing CMD:PACKAGE...: apt-get installs the packages whose command is missing.
install_missing() {
    local pair missing=()
    for pair in "$@"; do
        command -v "${pair%%:*}" >/dev/null 2>&1 || missing+=("${pair#*:}")
    done
    ((${#missing[@]} == 0)) && return 0
    echo "installing system packages: ${missing[*]}"
    local sudo=
    [ "$(id -u)" -ne 0 ] && sudo=sudo
    $sudo apt-get update -qq && DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}"
}

# install_python MODULE:PACKAGE...: pip installs the packages whose module cannot be imported.
install_python() {
    local pair missing=()
    for pair in "$@"; do
        python3 -c "import ${pair%%:*}" >/dev/null 2>&1 || missing+=("${pair#*:}")
    done
    ((${#missing[@]} == 0)) && return 0
    echo "installing Python packages: ${missing[*]}"
    command -v pip3 >/dev/null 2>&1 || python3 -m pip --version >/dev/null 2>&1 || install_missing pip3:python3-pip
    # a Debian system python refuses plain pip installs (PEP 668): then say so explicitly
    python3 -m pip install -q "${missing[@]}" ||
        python3 -m pip install -q --break-system-packages "${missing[@]}"
}

# suite NAME COMMAND...: runs a suite, adds its "N passed/failed/skipped" counts (pytest's
# summary or the plain line); a suite that fails without reporting a failure counts one.
suite() {
    local name=$1 log code=0 line p f s e start=$SECONDS
    shift
    log=$LOGS/$(printf '%s' "$name" | tr -c 'A-Za-z0-9_.-' '_').log
    "$@" >"$log" 2>&1 || code=$?
    line=$(grep -E '[0-9]+ (passed|failed)' "$log" | tail -n 1)
    p=$(grep -oE '[0-9]+ passed' <<<"$line" | grep -oE '[0-9]+' || true)
    f=$(grep -oE '[0-9]+ failed' <<<"$line" | grep -oE '[0-9]+' || true)
    s=$(grep -oE '[0-9]+ skipped' <<<"$line" | grep -oE '[0-9]+' || true)
    e=$(grep -oE '[0-9]+ errors?' <<<"$line" | grep -oE '[0-9]+' || true)
    p=${p:-0} f=$((${f:-0} + ${e:-0})) s=${s:-0}
    if [ "$code" -ne 0 ] && [ "$f" -eq 0 ]; then
        f=1 # died (compile error, crash) before reporting
    fi
    passed=$((passed + p)) failed=$((failed + f)) skipped=$((skipped + s))
    if [ "$f" -eq 0 ]; then
        printf 'ok    %-34s %4ds %s passed%s\n' "$name" $((SECONDS - start)) "$p" \
            "$([ "$s" -gt 0 ] && echo ", $s skipped")"
        grep -E '^SKIPPED' "$log" | sed 's/^/      /'
    else
        printf 'FAIL  %-34s %4ds %s passed, %s failed (log: %s)\n' "$name" $((SECONDS - start)) \
            "$p" "$f" "$log"
        tail -n 30 "$log" | sed 's/^/      /'
    fi
}

# one_check NAME COMMAND...: a single pass/fail check (for tools that print no counts).
one_check() {
    local name=$1 log start=$SECONDS
    shift
    log=$LOGS/$(printf '%s' "$name" | tr -c 'A-Za-z0-9_.-' '_').log
    if "$@" >"$log" 2>&1; then
        passed=$((passed + 1))
        printf 'ok    %-34s %4ds %s\n' "$name" $((SECONDS - start)) "$(tail -n 1 "$log")"
    else
        failed=$((failed + 1))
        printf 'FAIL  %-34s (log: %s)\n' "$name" "$log"
        tail -n 30 "$log" | sed 's/^/      /'
    fi
}

install_missing gcc:gcc g++:g++ make:make gfortran:gfortran cmake:cmake pkg-config:pkg-config \
    valgrind:valgrind readelf:binutils || echo "warning: could not install every system package"
install_python numpy:numpy pytest:pytest autograd:autograd "jax:jax[cpu]" scipy:scipy mpmath:mpmath \
    "distributed:dask[distributed]" tree_sitter:tree-sitter \
    tree_sitter_julia:tree-sitter-julia ||
    echo "warning: could not install every Python package (their tests are skipped, with the reason)"

one_check "cargo build --release" cargo build --release --lib
export FDVJP_LIB=$LIBDIR/libfdvjp.so
# The package is built and installed as a user would (pip, a fresh venv), then the pytest
# suite runs against that installed package.
suite "python package (venv, pip install)" bash bindings/python/tests/install.sh "$TARGET/python-wheel"
suite "python (pytest, installed package)" bash bindings/python/tests/pytest_installed.sh "$TARGET/python-wheel"
suite "signature checks (pytest)" python3 -m pytest -q -rs -p no:cacheprovider bindings/signatures
one_check "julia ccalls vs fdvjp.h" python3 bindings/signatures/check_julia.py
one_check "julia README vs the package" python3 bindings/signatures/check_julia_readme.py
suite "c++ (g++, valgrind, asan+ubsan)" bash bindings/cpp/tests/run.sh "$LIBDIR"
suite "fortran (gfortran, valgrind)" bash bindings/fortran/tests/run.sh "$LIBDIR"
suite "install (pkg-config, cmake)" bash tests/install/test_install.sh
suite "README.md examples" python3 bindings/readme_examples.py "$LIBDIR"

[ "$skipped" -gt 0 ] && echo "($skipped skipped, reasons above)"
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
