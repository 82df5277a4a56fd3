# Shared by tests/run.sh and tests/demo.sh (sourced, not run): where things are, system
# packages, and how C and C++ programs are built against include/fdvjp.h and the shared
# library target/release/libfdvjp.so (target/$FDVJP_PROFILE/ when that cargo profile is set:
# the quick tier's `quick`).

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
TARGET=${CARGO_TARGET_DIR:-$ROOT/target}
case $TARGET in /*) ;; *) TARGET=$ROOT/$TARGET ;; esac
LIBDIR=$TARGET/${FDVJP_PROFILE:-release}
BIN=$TARGET/ctests # compiled programs live here, never in the source tree

CFLAGS=(-std=c99 -Wall -Wextra -Werror -pedantic -O1 -g)
CXXFLAGS=(-std=c++17 -Wall -Wextra -Werror -pedantic -O1 -g)
# rpath: the programs find libfdvjp.so without LD_LIBRARY_PATH
LINK=(-L"$LIBDIR" -lfdvjp -Wl,-rpath,"$LIBDIR" -lm)

# ensure_packages CMD:PACKAGE...: installs (apt-get) the packages whose command is missing.
ensure_packages() {
    local pair missing=()
    for pair in "$@"; do
        command -v "${pair%%:*}" >/dev/null 2>&1 || missing+=("${pair#*:}")
    done
    ((${#missing[@]} == 0)) && return 0
    echo "installing missing system packages: ${missing[*]}"
    local sudo=
    [ "$(id -u)" -ne 0 ] && sudo=sudo
    $sudo apt-get update -qq &&
        DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}"
}

# ensure_rust_component NAME: `rustup component add` unless `cargo NAME` already works.
ensure_rust_component() {
    cargo "$1" --version >/dev/null 2>&1 || rustup component add "$1"
}

# compile_c SOURCE: builds $BIN/<name>, removing any stale binary first.
compile_c() {
    local out=$BIN/$(basename "${1%.*}")
    mkdir -p "$BIN" && rm -f "$out"
    gcc "${CFLAGS[@]}" -I"$ROOT/include" "$1" -o "$out" "${LINK[@]}" && echo "built $out"
}

# compile_cxx SOURCE: as compile_c, with g++ in C++17.
compile_cxx() {
    local out=$BIN/$(basename "${1%.*}")
    mkdir -p "$BIN" && rm -f "$out"
    g++ "${CXXFLAGS[@]}" -I"$ROOT/include" "$1" -o "$out" "${LINK[@]}" && echo "built $out"
}

# compile_mpi SOURCE: as compile_c, with OpenMPI's mpicc.
compile_mpi() {
    local out=$BIN/$(basename "${1%.*}")
    mkdir -p "$BIN" && rm -f "$out"
    mpicc "${CFLAGS[@]}" -I"$ROOT/include" "$1" -o "$out" "${LINK[@]}" && echo "built $out"
}

# run_mpi RANKS PROGRAM: mpirun as root is refused unless both variables say yes.
run_mpi() {
    OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 \
        mpirun --oversubscribe -np "$1" "$2"
}

# binary_of SOURCE: the path compile_c / compile_cxx gives its program.
binary_of() {
    echo "$BIN/$(basename "${1%.*}")"
}

# demo_sources: examples/demo.c first, then every examples/demo_*.c.
demo_sources() {
    local f
    echo "$ROOT/examples/demo.c"
    for f in "$ROOT"/examples/demo_*.c; do
        [ -e "$f" ] && echo "$f"
    done
    return 0
}

# AddressSanitizer + UndefinedBehaviorSanitizer on the test programs (the Rust library
# itself is not instrumented; ASan still checks every heap block it allocates, since its
# malloc replaces the process's). UB aborts at the first report.
SANITIZE=(-fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined)

# compile_sanitized LANG SOURCE...: builds $BIN/sanitized/<first source's name> with
# SANITIZE, LANG c (C99) or c++ (C++17, also sees bindings/cpp).
compile_sanitized() {
    local lang=$1 out
    shift
    out=$BIN/sanitized/$(basename "${1%.*}")
    mkdir -p "$BIN/sanitized" && rm -f "$out"
    if [ "$lang" = c ]; then
        gcc "${CFLAGS[@]}" "${SANITIZE[@]}" -I"$ROOT/include" "$@" -o "$out" "${LINK[@]}"
    else
        g++ "${CXXFLAGS[@]}" "${SANITIZE[@]}" -I"$ROOT/include" -I"$ROOT/bindings/cpp" "$@" \
            -o "$out" "${LINK[@]}"
    fi && echo "built $out"
}

# run_sanitized PROGRAM: runs it with leak detection on; allocator_may_return_null lets an
# impossible allocation fail as it does without ASan (FDVJP_OUT_OF_MEMORY) instead of
# aborting. Any ASan, LSan or UBSan report makes it exit non-zero.
run_sanitized() {
    ASAN_OPTIONS=detect_leaks=1:allocator_may_return_null=1:abort_on_error=0:exitcode=86 \
        UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 "$@"
}

# sanitizer_canary: a program with a heap overflow and a leak must be caught (exit 86), so
# a clean sanitized run means something.
sanitizer_canary() {
    local src=$BIN/sanitized/canary.c code=0
    mkdir -p "$BIN/sanitized"
    printf '%s\n' '#include <stdlib.h>' \
        'int main(int argc, char **argv) { int *p = malloc(4 * sizeof *p); (void)argv;' \
        '  if (argc > 1) { p[4] = 1; return p[4]; } p = 0; return 0; }' >"$src"
    gcc "${SANITIZE[@]}" -g "$src" -o "${src%.c}" || return 1
    run_sanitized "${src%.c}" || code=$?
    [ "$code" -eq 86 ] || { echo "leak not reported (exit $code)" && return 1; }
    code=0
    run_sanitized "${src%.c}" overflow || code=$?
    [ "$code" -eq 86 ] || { echo "heap overflow not reported (exit $code)" && return 1; }
    echo "ASan reports a leak and a heap overflow (exit 86 each)"
}

# ThreadSanitizer on a C program (the Rust library is not instrumented: this checks the C
# side, the callbacks fdvjp runs on its worker threads, and the API's thread model).
compile_tsan() {
    local out=$BIN/tsan/$(basename "${1%.*}")
    mkdir -p "$BIN/tsan" && rm -f "$out"
    gcc "${CFLAGS[@]}" -fsanitize=thread -I"$ROOT/include" "$1" -o "$out" "${LINK[@]}" &&
        echo "built $out"
}

run_tsan() {
    TSAN_OPTIONS=halt_on_error=1:exitcode=66 "$@"
}

# tsan_canary: a callback that bumps a plain counter, run by fdvjp on 2 threads, is a data
# race TSan must report (exit 66). The callback spins a while (a few ms) so that both
# threads take points: the calling thread takes its share, and a callback that took no time
# would let it take them all before the other thread started.
tsan_canary() {
    local src=$BIN/tsan/canary.c code=0
    mkdir -p "$BIN/tsan"
    printf '%s\n' '#include "fdvjp.h"' 'static long count;' \
        'static int32_t f(void *u, const double *x, size_t n, double *y, size_t m) {' \
        '  (void)u; (void)m; count++; y[0] = 0; for (size_t j = 0; j < n; j++) y[0] += x[j];' \
        '  for (volatile long k = 0; k < 2000000; k++) {} return 0; }' \
        'int main(void) { double x[16] = {0}, g[16], v = 1; fdvjp_config *c = fdvjp_config_new();' \
        '  fdvjp_config_set_threads(c, 2); int s = fdvjp_vjp(c, f, 0, x, 16, 1, &v, g);' \
        '  fdvjp_config_free(c); return s != 0 || count != 33; }' >"$src"
    compile_tsan "$src" >/dev/null || return 1
    run_tsan "${src%.c}" || code=$?
    [ "$code" -eq 66 ] || { echo "race not reported (exit $code)" && return 1; }
    echo "TSan reports the racy callback (exit 66)"
}
