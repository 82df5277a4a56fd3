#!/usr/bin/env bash
# Runs every cargo-fuzz target in fuzz/ for a bounded time (FDVJP_FUZZ_SECONDS each,
# default 60; 0 skips with a message), starting from the committed corpus fuzz/corpus/<t>/
# copied to target/fuzz-corpus/<t>/ so the repository's corpus is never rewritten.
# The targets are built with AddressSanitizer (cargo-fuzz's default) on the stable
# toolchain with RUSTC_BOOTSTRAP=1 (cargo-fuzz passes nightly -Z flags). Prints the
# executions of each target; exits non-zero on any crash, leak, timeout or sanitizer report
# (the failing input is kept under fuzz/artifacts/<t>/).
set -uo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT/fuzz" || exit 1
seconds=${FDVJP_FUZZ_SECONDS:-60}
# FDVJP_FUZZ_SEED pins libFuzzer's random seed and FDVJP_FUZZ_RUNS the number of inputs
# (in place of the time limit): together one run is replayed exactly (`.ci/run` sets
# both). Unset, each run draws its seed and runs for the time.
limit=(-max_total_time="$seconds")
if [ -n "${FDVJP_FUZZ_SEED:-}" ]; then
    limit+=(-seed="$FDVJP_FUZZ_SEED")
fi
if [ -n "${FDVJP_FUZZ_RUNS:-}" ]; then
    limit=(-runs="$FDVJP_FUZZ_RUNS" "${limit[@]:1}")
fi
if [ "$seconds" = 0 ]; then
    echo "fuzzing skipped: FDVJP_FUZZ_SECONDS=0"
    exit 0
fi
if ! cargo fuzz --version >/dev/null 2>&1; then
    echo "installing cargo-fuzz"
    cargo install cargo-fuzz --locked || exit 1
fi
export RUSTC_BOOTSTRAP=1
status=0
for target in $(cargo fuzz list); do
    work=$ROOT/target/fuzz-corpus/$target
    rm -rf "$work" && mkdir -p "$work" "artifacts/$target"
    cp corpus/"$target"/* "$work"/
    log=$ROOT/target/fuzz-corpus/$target.log
    # allocator_may_return_null: the targets ask for sizes no allocator can give (2^40
    # doubles and more), which must fail as they do without ASan (FDVJP_OUT_OF_MEMORY).
    ASAN_OPTIONS=allocator_may_return_null=1 \
        cargo fuzz run "$target" "$work" -- "${limit[@]}" -max_len=256 \
        -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 >"$log" 2>&1
    code=$?
    runs=$(grep -oE 'stat::number_of_executed_units: *[0-9]+' "$log" | grep -oE '[0-9]+$' | tail -n 1)
    if [ "$code" -eq 0 ]; then
        echo "fuzz $target: ${runs:-?} executions (${limit[*]}), no crash"
    else
        echo "fuzz $target: FAILED (exit $code) after ${runs:-?} executions; log $log"
        grep -E 'panicked|ERROR|SUMMARY|Failing input|artifacts/' "$log" | head -n 20
        status=1
    fi
done
exit $status
