#!/usr/bin/env bash
# The README's second command: the whole test suite. Installs missing system packages,
# builds the release library, then runs each step below, counting passes and failures:
#   cargo fmt --check; cargo clippy (warnings are errors); cargo test --release;
#   every tests/c/test_*.c compiled (C99, warnings are errors), run, and run again under
#   valgrind memcheck (zero errors, zero definite/indirect/possible leaks);
#   every tests/c/xfail_*.c (a known failure, recorded): must still fail, cleanly;
#   tests/c/header_cpp.cpp (the header as C++17); the demos (examples/demo*.c), also under
#   valgrind; the language bindings and the install test (tests/bindings.sh);
#   hardening (README.md, "Hardening"): every C test and the C++ tests again under ASan +
#   UBSan + LSan, the thread tests (test_threads*.c) under TSan, native-only programs (stale handles,
#   peak memory of large problems), and, in a background lane beside the C and binding steps,
#   Miri on the Rust core (tests/miri.sh) and each fuzz target (tests/fuzz.sh).
# Ends with one line "N passed, N failed"; exits non-zero if anything failed.
# Each step's output goes to target/ctests/logs/<step>.log; a failing step's tail is shown.
# `bash tests/run.sh --quick`: the everyday tier (fmt, clippy, the Rust tests, every C test
# natively, the bindings' signature checks, the Python suite), built with the cargo profile `quick`
# (Cargo.toml: release semantics, quicker to compile, incremental, in target/quick); the
# full run is for CI and before resolving anything.
set -uo pipefail
quick=0
[ "${1:-}" = "--quick" ] && quick=1
build=(--release)
((quick)) && build=(--profile quick) && export FDVJP_PROFILE=quick
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$ROOT" || exit 1

export CARGO_TERM_COLOR=never
LOGS=$BIN/logs
mkdir -p "$LOGS"
passed=0
failed=0
failures=()

# log_of NAME: the log file of the step NAME.
log_of() {
    printf '%s/%s.log' "$LOGS" "$(printf '%s' "$1" | tr -c 'A-Za-z0-9_.-' '_')"
}

# report NAME CODE SECONDS: counts a finished step, prints ok/FAIL, its wall time in seconds
# and its log's last line (a failing step's tail).
report() {
    local name=$1 code=$2 seconds=$3 log
    log=$(log_of "$name")
    if [ "$code" -eq 0 ]; then
        passed=$((passed + 1))
        printf 'ok    %-40s %4ds %s\n' "$name" "$seconds" \
            "$(grep -v '^[[:space:]]*$' "$log" | tail -n 1 | cut -c1-100)"
    else
        failed=$((failed + 1))
        failures+=("$name")
        printf 'FAIL  %s (%ds, log: %s)\n' "$name" "$seconds" "$log"
        tail -n 25 "$log" | sed 's/^/      /'
    fi
}

# step NAME COMMAND...: runs one step, logs it and reports it.
step() {
    local name=$1 start=$SECONDS code=0
    shift
    "$@" >"$(log_of "$name")" 2>&1 || code=$?
    report "$name" "$code" $((SECONDS - start))
}

# memcheck PROGRAM: the program under valgrind; any error or leak fails it.
memcheck() {
    valgrind --tool=memcheck --leak-check=full --show-leak-kinds=definite,indirect,possible \
        --errors-for-leak-kinds=definite,indirect,possible --error-exitcode=99 \
        --suppressions="$ROOT/tests/valgrind.supp" "$@"
}

# expect_known_failure PROGRAM: passes when the program reports failures (exit 1), and
# fails when it passes (fixed: make it a test_*.c) or crashes.
expect_known_failure() {
    local code=0
    "$@" || code=$?
    case $code in
    0) echo "XPASS: $1 passes now; rename it to test_*.c" && return 1 ;;
    1) echo "fails as recorded (known failure)" ;;
    *) echo "exit code $code: crashed rather than failing its checks" && return 1 ;;
    esac
}

ensure_packages gcc:gcc g++:g++ make:make valgrind:valgrind || exit 1
ensure_rust_component rustfmt || exit 1
ensure_rust_component clippy || exit 1

step "cargo build ${build[*]}" cargo build "${build[@]}"
step "cargo fmt --check" cargo fmt --check -- --color never
step "cargo clippy" cargo clippy --all-targets -- -D warnings
# Property tests draw the same cases on every run (set PROPTEST_RNG_SEED to explore others).
export PROPTEST_RNG_SEED=${PROPTEST_RNG_SEED:-20261126}
step "cargo test ${build[*]}" cargo test "${build[@]}"

# free_disk: on a machine short of disk (CI sets FDVJP_FREE_DISK: a run once ran out of space
# in its Miri step), drop what no later step reads: the test executables (about 2 GB) and
# clippy's check build. The library, its rlib and the build scripts stay, so nothing rebuilds.
free_disk() {
    [ -n "${FDVJP_FREE_DISK:-}" ] || return 0
    find "$LIBDIR/deps" -maxdepth 1 -type f -perm -u+x ! -name '*.so' -delete
    rm -rf "$TARGET/debug" "$TARGET/miri"
    df -h "$TARGET" | tail -n 1 | awk '{print "disk: " $4 " free after freeing build products"}'
}
free_disk

# The background lane: Miri on the pure-Rust core, then each fuzz target (FDVJP_FUZZ_RUNS
# inputs, or FDVJP_FUZZ_SECONDS; 0 skips). Both run mostly on one core for minutes, so they go
# on beside the C and binding tests below (in sequence they were a third of the full run);
# each writes "CODE SECONDS" to its log's .status file and is reported at the end. No step of
# either kind reads the other's build products.
fuzz_limit="${FDVJP_FUZZ_SECONDS:-60} s"
[ -n "${FDVJP_FUZZ_RUNS:-}" ] && fuzz_limit="$FDVJP_FUZZ_RUNS inputs"
lane_steps=("miri (src/fd unit tests, fd_counts, fd_errors)"
    "fuzz (cargo-fuzz, $fuzz_limit per target)")
lane_step() {
    local name=$1 start=$SECONDS code=0
    shift
    "$@" >"$(log_of "$name")" 2>&1 || code=$?
    echo "$code $((SECONDS - start))" >"$(log_of "$name").status"
}
if ((quick)); then
    lane=
else
    rm -f "$LOGS"/*.status
    # In a process group of its own, stopped with the script if it ends early (a failed
    # package install, an interrupt), so that no Miri or fuzzer outlives the run.
    set -m
    (
        lane_step "${lane_steps[0]}" bash tests/miri.sh
        [ -z "${FDVJP_FREE_DISK:-}" ] || rm -rf "$TARGET/miri"
        lane_step "${lane_steps[1]}" bash tests/fuzz.sh
    ) &
    lane=$!
    set +m
    trap 'kill -- -"$lane" 2>/dev/null' EXIT
    echo "start miri, then fuzz, in the background"
fi

for src in tests/c/test_*.c; do
    [ -e "$src" ] || continue
    name=$(basename "$src" .c)
    step "compile $name" compile_c "$src"
    step "run $name" "$(binary_of "$src")"
    ((quick)) || step "valgrind $name" memcheck "$(binary_of "$src")"
done

if ((quick)); then
    # The bindings' static checks against the header (a few seconds, no build): every
    # binding wraps every header function, Julia's ccalls and calls match it. The full run
    # has them in tests/bindings.sh, with the packages they need installed.
    if python3 -c 'import pytest' 2>/dev/null; then
        step "binding signature checks (pytest)" python3 -m pytest -q -p no:cacheprovider bindings/signatures
    else
        echo "skip  binding signature checks: python3 has no pytest"
    fi
    # The Python suite in-tree against this tier's library (under a minute): it asserts
    # evaluation counts and batch shapes through NumPy, autograd and JAX, which a change in
    # the step rule can move (a JAX count test once reached main past this tier).
    if python3 -c 'import pytest, numpy, jax, autograd' 2>/dev/null; then
        step "python binding tests (pytest, in-tree)" env FDVJP_LIB="$LIBDIR/libfdvjp.so" \
            python3 -m pytest -q -p no:cacheprovider bindings/python/tests
    else
        echo "skip  python binding tests: python3 lacks pytest, numpy, jax or autograd"
    fi
    echo "$passed passed, $failed failed"
    ((failed == 0))
    exit
fi

# The same programs with AddressSanitizer + UBSan (and LeakSanitizer), the C++ header test
# and the C++ binding's tests too; the canary shows the sanitizers do report.
step "sanitizer canary" sanitizer_canary
for src in tests/c/test_*.c; do
    [ -e "$src" ] || continue
    name=$(basename "$src" .c)
    step "asan+ubsan compile $name" compile_sanitized c "$src"
    step "asan+ubsan run $name" run_sanitized "$BIN/sanitized/$name"
done
step "asan+ubsan compile header_cpp" compile_sanitized c++ tests/c/header_cpp.cpp
step "asan+ubsan run header_cpp" run_sanitized "$BIN/sanitized/header_cpp"
cpp_tests=(bindings/cpp/tests/test_fdvjp.cpp bindings/cpp/tests/*.cpp)
if [ -e "${cpp_tests[0]}" ]; then
    # test_fdvjp.cpp holds main(); every other .cpp there is one more translation unit
    mapfile -t cpp_tests < <(printf '%s\n' "${cpp_tests[@]}" | awk '!seen[$0]++')
    step "asan+ubsan compile C++ binding tests" compile_sanitized c++ "${cpp_tests[@]}"
    step "asan+ubsan run C++ binding tests" run_sanitized "$BIN/sanitized/test_fdvjp"
fi

# ThreadSanitizer: the thread tests (tests/c/test_threads*.c: the stress test, one config
# shared by many threads), and a canary race.
step "tsan canary" tsan_canary
for src in tests/c/test_threads*.c; do
    name=$(basename "$src" .c)
    step "tsan compile $name" compile_tsan "$src"
    step "tsan run $name" run_tsan "$BIN/tsan/$name"
done

# native_*.c read freed memory on purpose (stale handles): memcheck and ASan would rightly
# flag them, so they run natively only.
for src in tests/c/native_*.c; do
    [ -e "$src" ] || continue
    name=$(basename "$src" .c)
    step "compile $name" compile_c "$src"
    step "run $name (native only)" "$(binary_of "$src")"
done

# limits_*.c measure peak memory of large problems (/proc/self/status), natively.
for src in tests/c/limits_*.c; do
    [ -e "$src" ] || continue
    name=$(basename "$src" .c)
    step "compile $name" compile_c "$src"
    step "run $name (native only)" "$(binary_of "$src")"
done

for src in tests/c/xfail_*.c; do
    [ -e "$src" ] || continue
    name=$(basename "$src" .c)
    step "compile $name" compile_c "$src"
    step "known failure $name" expect_known_failure "$(binary_of "$src")"
done

ensure_packages mpicc:libopenmpi-dev mpirun:openmpi-bin || exit 1
step "compile mpi_vjp" compile_mpi examples/mpi_vjp.c
step "run mpi_vjp on 2 ranks" run_mpi 2 "$(binary_of examples/mpi_vjp.c)"

step "compile header_cpp (C++17)" compile_cxx tests/c/header_cpp.cpp
step "run header_cpp" "$(binary_of tests/c/header_cpp.cpp)"

while read -r src; do
    name=$(basename "$src" .c)
    step "compile $name" compile_c "$src"
    step "run $name" "$(binary_of "$src")"
    step "valgrind $name" memcheck "$(binary_of "$src")"
done < <(demo_sources)

# The C++, Fortran, Julia (signature check) and Python bindings and the install test.
step "bindings (tests/bindings.sh)" bash tests/bindings.sh

# The background lane has finished with the last foreground step.
wait "$lane"
trap - EXIT
for name in "${lane_steps[@]}"; do
    read -r code seconds <"$(log_of "$name").status" || code=1 seconds=0
    report "$name" "$code" "$seconds"
done

if ((failed > 0)); then
    printf 'failed steps:\n'
    printf '  %s\n' "${failures[@]}"
fi
echo "$passed passed, $failed failed"
((failed == 0))
