#!/usr/bin/env bash
# The C benchmarks: fdvjp against the floor (a bare loop doing the same evaluations of the same
# C function, in the same process), and the README's table of errors on noisy functions.
# Usage: bash benches/run.sh [vjp|speed|noisy|instr]  (all but instr by default)
#   vjp    bench_vjp.c: overhead on a cheap and an expensive function at n = 10, 100, 1000,
#          thread speed-up, sparse evaluation counts (about 10 seconds)
#   speed  bench_speed.c: the issue-15 table, one row per shape: dense central and forward VJPs
#          (tridiagonal system 1000->1000, softmax 100->100, logsumexp 4->1, least-squares
#          slope 8->1), the tape (record/replay + backward at lengths 10, 1000, 100000), threads
#          against bare pthreads (n = 32, 1 ms function), sparsity on a tridiagonal black box at
#          n = 10000 (dense, given, learned); each with the ratio fdvjp / bare (about a minute)
#   instr  bench_instr.c under valgrind's callgrind: instructions per call of fdvjp and of the
#          bare loop (or hand-written gradient) and their ratio, for the tridiagonal 1000->1000,
#          softmax 100->100, logsumexp 4->1 and slope 8->1 central VJPs, issue 11's overhead row
#          (1000->2, a cheap function) and the tape at length 10; unlike the timed rows, unmoved by the machine's load (about a minute)
#   noisy  benches/noisy_table.rs (cargo bench --bench noisy_table): error and evaluations of
#          the VJP against the noise level, per noise mode (a second once built)
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/../tests/lib.sh"
cd "$ROOT"
which=${1:-all}
cargo build --release --quiet
mkdir -p "$BIN"
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')"
if [ "$which" = all ] || [ "$which" = vjp ]; then
    gcc -std=c99 -O2 -Wall -Wextra -Werror -I"$ROOT/include" benches/bench_vjp.c -o "$BIN/bench_vjp" "${LINK[@]}"
    "$BIN/bench_vjp"
fi
if [ "$which" = all ] || [ "$which" = speed ]; then
    gcc -std=c99 -O2 -Wall -Wextra -Werror -I"$ROOT/include" benches/bench_speed.c -o "$BIN/bench_speed" "${LINK[@]}" -lpthread
    "$BIN/bench_speed"
fi
if [ "$which" = all ] || [ "$which" = noisy ]; then
    cargo bench --quiet --bench noisy_table
fi
if [ "$which" = instr ]; then
    gcc -std=c99 -O2 -Wall -Wextra -Werror -I"$ROOT/include" benches/bench_instr.c -o "$BIN/bench_instr" "${LINK[@]}"
    printf '%-12s %7s %14s %14s %7s\n' row calls fdvjp/call bare/call ratio
    for row_calls in tridiagonal:3 softmax:20 logsumexp:200 slope:200 overhead:3 tape10:200; do
        row=${row_calls%%:*} calls=${row_calls##*:}
        out="$BIN/callgrind.$row.out"
        valgrind --tool=callgrind --callgrind-out-file="$out" "$BIN/bench_instr" "$row" "$calls" >/dev/null 2>&1
        callgrind_annotate --inclusive=yes "$out" 2>/dev/null | tr -d , | awk -v row="$row" -v calls="$calls" '
            $0 ~ /:(tape_)?fd_side[ \[]/ { fd = $1 }
            $0 ~ /:(tape_)?bare_side[ \[]/ { bare = $1 }
            END { printf "%-12s %7d %14.0f %14.0f %7.2f\n", row, calls, fd / calls, bare / calls, fd / bare }'
    done
fi
