#!/usr/bin/env bash
# The C benchmark: fdvjp against the floor (a bare loop doing the same evaluations), thread
# speed-up and sparse evaluation counts. Usage: bash benches/run.sh  (about 10 seconds)
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/../tests/lib.sh"
cd "$ROOT"
cargo build --release --quiet
mkdir -p "$BIN"
gcc -std=c99 -O2 -Wall -Wextra -Werror -I"$ROOT/include" benches/bench_vjp.c -o "$BIN/bench_vjp" "${LINK[@]}"
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')"
"$BIN/bench_vjp"
