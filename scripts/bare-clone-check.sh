#!/usr/bin/env bash
# The tests that read the team's shared directory (../shared: the PromQL corpus, the test bench),
# run from a clone of the repository that has nothing beside it, as someone who clones Quiver
# from its public repository has it:
#   - without QUIVER_REQUIRE_SHARED they pass, each printing a SKIPPED line;
#   - with QUIVER_REQUIRE_SHARED=1 they fail, saying what is missing.
# The test binaries are the ones the main run just built (found through cargo, not rebuilt),
# started inside the clone with the environment cargo gives them there, so this takes seconds.
set -euo pipefail
cd "$(dirname "$0")/.."

export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-/var/tmp/quiver-target}"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
git clone -q . "$tmp/quiver"
clone="$tmp/quiver"

# Test binaries of the `tests` package whose tests read ../shared, and a filter for each.
declare -A filter=(
    [promql_corpus]=''
    [promql_corpus_scripts]=''
    [api_limits]=''
    [api_vs_prometheus]=''
    [blocks_in_buckets]=''
    [external_labels]=''
    [read_path]=''
    [grafana_calls]=''
    [index_cache]=''
    [storeapi_python]=''
    [promql_vs_prometheus]=''
    [promtool_compat]=''
    [tombstones]=''
    [objstore_s3]='testbench_s3_check_py_passes_against_emulator'
)
# The same selection as the main run's `cargo test`, so cargo finds its artifacts instead of
# building the dependencies again with other features.
binaries=$(cargo test --workspace --all-targets --locked --no-run --message-format=json 2>/dev/null |
    python3 -c '
import json, sys
for line in sys.stdin:
    m = json.loads(line)
    if (m.get("reason") == "compiler-artifact" and m.get("executable") and "test" in m["target"]["kind"]
            and "/tests/tests/" in m["target"]["src_path"]):
        print(m["target"]["name"], m["executable"])
')

run_in_clone() {
    (cd "$clone/tests" && env -u QUIVER_SHARED_DIR CARGO_MANIFEST_DIR="$clone/tests" "$@")
}

skips=0
for name in "${!filter[@]}"; do
    exe=$(awk -v n="$name" '$1 == n { print $2 }' <<<"$binaries")
    [[ -n "$exe" ]] || { echo "bare-clone-check: no test binary for $name" >&2; exit 1; }
    out=$(run_in_clone env -u QUIVER_REQUIRE_SHARED "$exe" ${filter[$name]} --test-threads 1 2>&1) || {
        echo "$out"
        echo "bare-clone-check: $name fails in a clone without ../shared" >&2
        exit 1
    }
    # The harness may print `test NAME ... ` before the skip line reaches the same stream, so a
    # SKIPPED line can start mid-line.
    n=$(grep -c 'SKIPPED ' <<<"$out" || true)
    if ((n == 0)); then
        echo "$out"
        echo "bare-clone-check: $name printed no SKIPPED line without ../shared" >&2
        exit 1
    fi
    grep -o 'SKIPPED .*' <<<"$out"
    skips=$((skips + n))
done
echo "bare-clone-check: without ../shared, $skips tests skipped with a line each and the rest passed"

# With the requirement set, a missing ../shared is a failure with a clear message.
exe=$(awk '$1 == "promql_corpus" { print $2 }' <<<"$binaries")
if out=$(run_in_clone QUIVER_REQUIRE_SHARED=1 "$exe" corpus_passes_except_the_skip_list 2>&1); then
    echo "$out"
    echo "bare-clone-check: QUIVER_REQUIRE_SHARED=1 passed without ../shared" >&2
    exit 1
fi
grep -q 'QUIVER_REQUIRE_SHARED=1' <<<"$out" || {
    echo "$out"
    echo "bare-clone-check: the failure does not say what is missing" >&2
    exit 1
}
echo "bare-clone-check: with QUIVER_REQUIRE_SHARED=1 the same run fails: $(grep -o 'corpus_passes[^(]*' <<<"$out" | head -1)"
