#!/usr/bin/env bash
# Installs fdvjp into a temporary prefix with `make install PREFIX=...`, then builds and runs
# tests/install/hello.c against it with pkg-config and with CMake (find_package(fdvjp)),
# and checks the soname and the links; the static links (pkg-config --static with cc -static,
# CMake's fdvjp::fdvjp_static) must run with the shared library hidden, and a C++17 consumer
# of fdvjp::fdvjp must get C++17 from the target even when the project asks for C++14. Prints "N passed, N failed"; exits non-zero on failure.
set -uo pipefail
# Pipes into grep use `grep PATTERN >/dev/null`, never `grep -q`: under pipefail, grep -q may
# exit at its first match while the producer still writes, and the producer's SIGPIPE then
# fails the check (ldd | grep -q failed 2 times in 300 on this machine, and once in CI).
root="$(cd "$(dirname "$0")/../.." && pwd)"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
prefix="$work/prefix"
passed=0 failed=0

check() { # check NAME COMMAND...: runs the command, counting its result
    local name=$1
    shift
    if "$@" >"$work/log" 2>&1; then
        passed=$((passed + 1))
        echo "ok   $name"
    else
        failed=$((failed + 1))
        echo "FAIL $name"
        sed 's/^/     /' "$work/log" | tail -30
    fi
}

install_it() { make -C "$root" install PREFIX="$prefix"; }

soname_and_links() {
    local lib="$prefix/lib"
    readelf -d "$lib/libfdvjp.so.0.1.0" | grep 'Library soname: \[libfdvjp.so.0\]' >/dev/null &&
        [ "$(readlink "$lib/libfdvjp.so.0")" = libfdvjp.so.0.1.0 ] &&
        [ "$(readlink "$lib/libfdvjp.so")" = libfdvjp.so.0 ] &&
        [ -f "$lib/libfdvjp.a" ] && [ -f "$prefix/include/fdvjp.h" ] && [ -f "$prefix/include/fdvjp.hpp" ] && [ -f "$prefix/include/fdvjp/tape.hpp" ]
}

with_pkg_config() {
    export PKG_CONFIG_PATH="$prefix/lib/pkgconfig"
    [ "$(pkg-config --modversion fdvjp)" = 0.1.0 ] || return 1
    # shellcheck disable=SC2046 # pkg-config output is a list of words
    gcc -std=c99 -Wall -Wextra -Werror $(pkg-config --cflags fdvjp) "$root/tests/install/hello.c" \
        -o "$work/hello_pc" $(pkg-config --libs fdvjp) -lm -Wl,-rpath,"$prefix/lib" || return 1
    # The program must ask for the versioned soname and find it in the prefix.
    readelf -d "$work/hello_pc" | grep 'Shared library: \[libfdvjp.so.0\]' >/dev/null || return 1
    ldd "$work/hello_pc" | grep "libfdvjp.so.0 => $prefix/lib/libfdvjp.so.0" >/dev/null || return 1
    [ "$("$work/hello_pc")" = ok ] || return 1
    # The C++ wrapper, installed beside the C header.
    g++ -std=c++17 -Wall -Wextra -Werror $(pkg-config --cflags fdvjp) "$root/tests/install/hello.cpp" \
        -o "$work/hello_cpp" $(pkg-config --libs fdvjp) -Wl,-rpath,"$prefix/lib" || return 1
    [ "$("$work/hello_cpp")" = ok ]
}

with_cmake() {
    cmake -S "$root/tests/install/cmake" -B "$work/build" -DCMAKE_PREFIX_PATH="$prefix" \
        -DCMAKE_BUILD_TYPE=Release -DCMAKE_C_FLAGS="-Wall -Wextra -Werror" &&
        cmake --build "$work/build" &&
        [ "$("$work/build/hello_shared")" = ok ] &&
        readelf -d "$work/build/hello_shared" | grep 'Shared library: \[libfdvjp.so.0\]' >/dev/null &&
        [ "$("$work/build/hello_static")" = ok ] &&
        ! readelf -d "$work/build/hello_static" | grep libfdvjp >/dev/null
}

# without_shared_library COMMAND...: runs it with $prefix/lib/libfdvjp.so* moved away (and
# back afterwards, whatever the result).
without_shared_library() {
    local hidden="$work/hidden" code=0
    mkdir -p "$hidden" && mv "$prefix"/lib/libfdvjp.so* "$hidden"/ || return 1
    "$@" || code=$?
    mv "$hidden"/libfdvjp.so* "$prefix/lib/"
    return "$code"
}

# prints_ok PROGRAM: runs it; passes when it prints exactly "ok".
prints_ok() { [ "$("$1")" = ok ]; }

# fails_to_start PROGRAM: the program cannot run (its shared library is missing).
fails_to_start() { ! "$1" >/dev/null 2>&1; }

static_via_pkg_config() {
    export PKG_CONFIG_PATH="$prefix/lib/pkgconfig"
    # shellcheck disable=SC2046 # pkg-config output is a list of words
    gcc -static -std=c99 -Wall -Wextra -Werror $(pkg-config --static --cflags fdvjp) "$root/tests/install/hello.c" \
        -o "$work/hello_static_pc" $(pkg-config --static --libs fdvjp) -lm || return 1
    ! pkg-config --static --libs fdvjp | grep -- -lgcc_s >/dev/null || return 1
    # the shared build cannot run with the library hidden (so hiding it means something),
    # the static one can
    without_shared_library fails_to_start "$work/hello_pc" &&
        without_shared_library prints_ok "$work/hello_static_pc"
}

cmake_static_without_shared_library() {
    ! readelf -d "$work/build/hello_static" | grep 'NEEDED.*libfdvjp' >/dev/null &&
        without_shared_library fails_to_start "$work/build/hello_shared" &&
        without_shared_library prints_ok "$work/build/hello_static"
}

# A C++ project that asks for C++14 gets C++17 from fdvjp::fdvjp (the header needs it).
cmake_cxx_gets_cxx17() {
    mkdir -p "$work/cxx" && cat >"$work/cxx/CMakeLists.txt" <<CMAKE
cmake_minimum_required(VERSION 3.16)
project(cxx CXX)
set(CMAKE_CXX_STANDARD 14)
find_package(fdvjp 0.1 REQUIRED CONFIG)
add_executable(hello_cpp "$root/tests/install/hello.cpp")
target_link_libraries(hello_cpp PRIVATE fdvjp::fdvjp)
add_executable(hello_cpp_static "$root/tests/install/hello.cpp")
target_link_libraries(hello_cpp_static PRIVATE fdvjp::fdvjp_static)
CMAKE
    cmake -S "$work/cxx" -B "$work/cxx/build" -DCMAKE_PREFIX_PATH="$prefix" -DCMAKE_BUILD_TYPE=Release \
        -DCMAKE_CXX_FLAGS="-Wall -Wextra -Werror" &&
        cmake --build "$work/cxx/build" &&
        prints_ok "$work/cxx/build/hello_cpp" &&
        without_shared_library prints_ok "$work/cxx/build/hello_cpp_static"
}

fortran_from_the_prefix() {
    local share="$prefix/share/fdvjp/fortran"
    (cd "$work" && gfortran -std=f2018 -Wall -Werror "$share/fdvjp_c.f90" "$share/fdvjp.f90" \
        "$root/tests/install/hello.f90" -o hello_f90 -L"$prefix/lib" -lfdvjp -Wl,-rpath,"$prefix/lib") &&
        [ "$("$work/hello_f90")" = ok ]
}

python_with_the_installed_library() {
    FDVJP_LIB="$prefix/lib/libfdvjp.so.0" PYTHONPATH="$root/bindings/python" python3 -c '
import numpy as np, fdvjp
assert fdvjp.library_path.endswith("libfdvjp.so.0"), fdvjp.library_path
assert np.allclose(fdvjp.vjp(lambda x: np.sum(x**2), [1.0, -2.0], 1.0), [2.0, -4.0], atol=1e-8)'
}

cmake_refuses_an_incompatible_version() {
    mkdir -p "$work/v2" && cat >"$work/v2/CMakeLists.txt" <<'CMAKE'
cmake_minimum_required(VERSION 3.16)
project(v2 C)
find_package(fdvjp 0.2 CONFIG)
if(fdvjp_FOUND)
  message(FATAL_ERROR "fdvjp 0.1.0 was accepted for a request of 0.2")
endif()
CMAKE
    cmake -S "$work/v2" -B "$work/v2/build" -DCMAKE_PREFIX_PATH="$prefix"
}

uninstall_leaves_nothing() {
    make -C "$root" uninstall PREFIX="$prefix" &&
        [ -z "$(find "$prefix" -type f -o -type l)" ]
}

check "make install PREFIX=<temporary>" install_it
check "soname libfdvjp.so.0, links, headers" soname_and_links
check "C and C++ programs via pkg-config" with_pkg_config
check "C programs via CMake find_package (shared, static)" with_cmake
check "pkg-config --static + cc -static runs without libfdvjp.so" static_via_pkg_config
check "CMake fdvjp::fdvjp_static runs without libfdvjp.so" cmake_static_without_shared_library
check "CMake C++14 project gets cxx_std_17 from the targets" cmake_cxx_gets_cxx17
check "Fortran modules from share/fdvjp/fortran" fortran_from_the_prefix
check "Python package with the installed library" python_with_the_installed_library
check "CMake rejects a request for 0.2" cmake_refuses_an_incompatible_version
check "make uninstall" uninstall_leaves_nothing

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
