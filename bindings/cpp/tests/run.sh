#!/usr/bin/env bash
# Builds the C++ wrapper's tests (eight translation units; -Wall -Wextra -Wconversion
# -Wsign-conversion -Wold-style-cast ..., warnings as errors) against the
# built library and runs them, under valgrind when it is installed, then once more built with
# -fsanitize=address,undefined (the last run's "N passed, N failed" line is the result).
# Usage: bindings/cpp/tests/run.sh [LIBDIR]   (default: target/release)
set -euo pipefail
root="$(cd "$(dirname "$0")/../../.." && pwd)"
libdir="${1:-$root/target/release}"
out="$(mktemp -d)"
trap 'rm -rf "$out"' EXIT

g++ -std=c++17 -Wall -Wextra -Wpedantic -Wshadow -Wconversion -Wsign-conversion -Wold-style-cast -Werror \
    -I"$root/include" -I"$root/bindings/cpp" \
    "$root"/bindings/cpp/tests/{test_fdvjp,second_unit,test_accuracy,test_tape,test_parallel,test_arithmetic,test_report,test_config_get}.cpp \
    -L"$libdir" -Wl,-rpath,"$libdir" -lfdvjp -o "$out/test_fdvjp"

if command -v valgrind >/dev/null; then
    # the suppressions cover std's thread handles (the threads test)
    supp=()
    [ -f "$root/tests/valgrind.supp" ] && supp=(--suppressions="$root/tests/valgrind.supp")
    valgrind -q --error-exitcode=99 --leak-check=full "${supp[@]}" "$out/test_fdvjp"
else
    "$out/test_fdvjp"
fi

g++ -std=c++17 -g -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all \
    -I"$root/include" -I"$root/bindings/cpp" \
    "$root"/bindings/cpp/tests/{test_fdvjp,second_unit,test_accuracy,test_tape,test_parallel,test_arithmetic,test_report,test_config_get}.cpp \
    -L"$libdir" -Wl,-rpath,"$libdir" -lfdvjp -o "$out/test_fdvjp_sanitized"
ASAN_OPTIONS=detect_leaks=1 "$out/test_fdvjp_sanitized"
