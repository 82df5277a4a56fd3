#!/usr/bin/env bash
# Miri on the pure-Rust core: the unit tests of src/fd and the integration tests
# fd_counts and fd_errors (proptest cut to 2 cases each: Miri runs ~1000x slower; the unit
# tests that loop over random draws take a few under `cfg(miri)`, and the one that tests
# another test's comparison is ignored there: 391 s in all here, was about 1,400 s).
# Miri needs a nightly toolchain with the miri and rust-src components; they are installed
# with rustup when missing (FDVJP_MIRI_TOOLCHAIN picks another nightly).
#   -Zmiri-disable-isolation   proptest reads its regression files and the environment;
#   -Zmiri-deterministic-floats  Miri otherwise perturbs libm results (cbrt, sin, ...) by a
#       few ulps on purpose, and some tests assert exact step sizes; not a UB check.
# The FFI layer (src/ffi) is not run under Miri: it calls C function pointers, which Miri
# cannot execute; it is covered by the C tests under valgrind and the sanitizers.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
toolchain=${FDVJP_MIRI_TOOLCHAIN:-nightly}
if ! cargo "+$toolchain" miri --version >/dev/null 2>&1; then
    echo "installing $toolchain with miri and rust-src"
    # The components come from the Rust distribution server, not a package registry: on a
    # machine that cannot reach it, say so plainly and skip rather than fail the suite.
    if ! rustup toolchain install "$toolchain" --profile minimal --component miri,rust-src; then
        echo "miri: SKIPPED: the $toolchain toolchain with miri could not be installed here"
        exit 0
    fi
fi
export MIRIFLAGS="-Zmiri-disable-isolation -Zmiri-deterministic-floats" PROPTEST_CASES=2
cargo "+$toolchain" miri test --lib -- fd::
cargo "+$toolchain" miri test --test fd_counts --test fd_errors
echo "miri: src/fd unit tests, fd_counts, fd_errors: no undefined behaviour"
