#!/usr/bin/env bash
# Generates the Fortran binding's bind(c) interfaces from include/fdvjp.h, builds the binding
# and its tests with gfortran -std=f2018 -Wall -Werror -fcheck=all (runtime bounds checks)
# against the built library (overruns.f90, the faulty procedures, without -fcheck), and runs
# them (under valgrind when it is installed).
# Usage: bindings/fortran/tests/run.sh [LIBDIR]   (default: target/release)
set -euo pipefail
root="$(cd "$(dirname "$0")/../../.." && pwd)"
libdir="${1:-$root/target/release}"
out="$(mktemp -d)"
trap 'rm -rf "$out"' EXIT

cd "$out"
python3 "$root/bindings/fortran/generate_interfaces.py" fdvjp_c.f90
gfortran -std=f2018 -Wall -Werror -g -fcheck=all -c \
    fdvjp_c.f90 "$root/bindings/fortran/fdvjp.f90" "$root"/bindings/fortran/tests/{checks,functions}.f90
# the faulty procedures without bounds checks, as a user's code usually is: their writes
# past the end must be caught by the binding's guards, not by -fcheck
gfortran -std=f2018 -Wall -Werror -g -c "$root"/bindings/fortran/tests/overruns.f90
gfortran -std=f2018 -Wall -Werror -g -fcheck=all -c "$root"/bindings/fortran/tests/{test_guards,test_report,test_config_get,test_fdvjp}.f90
gfortran fdvjp_c.o fdvjp.o checks.o functions.o overruns.o test_guards.o test_report.o test_config_get.o test_fdvjp.o \
    -L"$libdir" -Wl,-rpath,"$libdir" -lfdvjp -o test_fdvjp
if command -v valgrind >/dev/null; then
    valgrind -q --error-exitcode=99 ./test_fdvjp
else
    ./test_fdvjp
fi
