#!/usr/bin/env bash
# Crash soak: runs tests/tests/crash_recovery.rs RUNS times, each killing `quiver up` with
# SIGKILL mid-stream CYCLES times (QUIVER_CRASH_CYCLES) and checking that every acknowledged
# batch is readable exactly once afterwards; prints how many runs and kills passed.
#
# usage: scripts/soak-crash.sh [RUNS=10] [CYCLES=5]
set -euo pipefail
cd "$(dirname "$0")/.."
RUNS=${1:-10}
CYCLES=${2:-5}
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-/var/tmp/quiver-target}"
# The same build selection as scripts/test.sh, so nothing is rebuilt with other features.
cargo test --workspace --all-targets --locked --no-run -q 2>/dev/null
bin=$(ls -t "$CARGO_TARGET_DIR"/debug/deps/crash_recovery-* | grep -v '\.d$' | head -1)
passed=0
for run in $(seq 1 "$RUNS"); do
    if out=$(QUIVER_CRASH_CYCLES=$CYCLES "$bin" --nocapture 2>&1); then
        passed=$((passed + 1))
        echo "run $run: $(grep -o '[0-9]* kill -9.*' <<<"$out" | head -1)"
    else
        echo "run $run FAILED:"
        echo "$out" | tail -30
    fi
done
echo "crash soak: $passed of $RUNS runs passed, $((passed * CYCLES)) kill -9 restarts with every acknowledged sample read back exactly once"
[ "$passed" = "$RUNS" ]
