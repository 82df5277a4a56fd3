# Shared by tests/run.sh and tests/demo.sh (sourced, not run): where things are, system
# packages, and how C and C++ programs are built against include/fdvjp.h and the shared
# library target/release/libfdvjp.so.

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
TARGET=${CARGO_TARGET_DIR:-$ROOT/target}
case $TARGET in /*) ;; *) TARGET=$ROOT/$TARGET ;; esac
LIBDIR=$TARGET/release
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
