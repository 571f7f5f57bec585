#!/usr/bin/env bash
# Runs every cargo-fuzz target (fuzz/fuzz_targets: the decoders of chunks, blocks, protobufs,
# remote write and remote read, the receiver's WAL, StoreAPI messages, PromQL planning and the
# HTTP query path) for SECONDS each, and stops at the first crash, which cargo-fuzz leaves in
# fuzz/artifacts/<target>/.
# Installs cargo-fuzz when it is missing. cargo-fuzz passes nightly -Z flags; RUSTC_BOOTSTRAP
# lets the stable toolchain accept them.
#
# usage: scripts/fuzz.sh [SECONDS=60] [TARGET...]
set -euo pipefail
cd "$(dirname "$0")/.."
SECONDS_EACH=${1:-60}
shift || true
command -v cargo-fuzz >/dev/null 2>&1 || cargo install cargo-fuzz --locked
export RUSTC_BOOTSTRAP=1
targets=("$@")
if ((${#targets[@]} == 0)); then
    mapfile -t targets < <(cargo fuzz list --fuzz-dir fuzz)
fi
cargo fuzz build --fuzz-dir fuzz
for t in "${targets[@]}"; do
    echo "== $t: ${SECONDS_EACH}s"
    cargo fuzz run --fuzz-dir fuzz "$t" -- -max_total_time="$SECONDS_EACH" -rss_limit_mb=4096 -print_final_stats=1 2>&1 |
        grep -E '^(stat::number_of_executed_units|stat::peak_rss_mb|#[0-9]+ +DONE)|ERROR|panicked|SUMMARY' || true
    if compgen -G "fuzz/artifacts/$t/crash-*" >/dev/null; then
        echo "fuzz: $t crashed; inputs in fuzz/artifacts/$t/" >&2
        exit 1
    fi
done
echo "fuzz: ${#targets[@]} targets ran ${SECONDS_EACH}s each without a crash"
