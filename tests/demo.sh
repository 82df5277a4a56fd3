#!/usr/bin/env bash
# The README's first command: builds the library and runs the C demos
# (examples/demo.c, then every examples/demo_*.c). Exits non-zero if any fails.
set -uo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$ROOT" || exit 1

ensure_packages gcc:gcc || exit 1
cargo build --release || exit 1

failed=0
while read -r src; do
    name=$(basename "$src")
    echo "=== $name"
    if ! compile_c "$src"; then
        echo "FAILED to compile $name"
        failed=$((failed + 1))
        continue
    fi
    if ! "$(binary_of "$src")"; then
        echo "FAILED: $name"
        failed=$((failed + 1))
    fi
    echo
done < <(demo_sources)

if ((failed > 0)); then
    echo "demo: $failed program(s) failed"
    exit 1
fi
echo "demo: all programs passed"
