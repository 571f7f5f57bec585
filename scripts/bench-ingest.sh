#!/usr/bin/env bash
# Remote-write ingest of Quiver (`quiver receive`, WAL fsynced before every answer) beside
# VictoriaMetrics 1.79 (`/api/v1/write`) on the same pre-encoded payloads, in one interleaved
# run: each round sends every system a fresh stretch of samples (later timestamps) from the
# load generator (benches/examples/remote_write_load.rs) and reads the server's CPU time from
# /proc, so the figures are samples per second of wall time and per CPU-second of the server
# (samples/s per core), with p50/p99 request latency. Afterwards Quiver's memory per active
# series: its RSS growth over the head's series count. Installs what it needs, builds in
# release mode, starts every server on a free loopback port and stops each by its PID.
#
# usage: scripts/bench-ingest.sh [SERIES=100000] [ROUNDS=3] [SECONDS=20] [CONCURRENCY=8]
set -euo pipefail
cd "$(dirname "$0")/.."
SERIES=${1:-100000}
ROUNDS=${2:-3}
SECONDS_PER_RUN=${3:-20}
CONCURRENCY=${4:-8}
PER_REQUEST=2000
# Rounds of samples encoded per run: enough that a run lasts its time.
SAMPLE_ROUNDS=${SAMPLE_ROUNDS:-100}

source scripts/bench-lib.sh
install_missing victoria-metrics:victoria-metrics curl:curl

export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-/var/tmp/quiver-target}"
cargo build --release --locked -q -p quiver
cargo build --release --locked -q -p quiver-benches --example remote_write_load
QUIVER="$CARGO_TARGET_DIR/release/quiver"
LOAD="$CARGO_TARGET_DIR/release/examples/remote_write_load"

cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
rss_kb() { awk '/VmRSS/ {print $2}' "/proc/$1/status"; }

rw=$(free_port)
qhttp=$(free_port)
"$QUIVER" receive --remote-write.address "127.0.0.1:$rw" --http-address "127.0.0.1:$qhttp" \
    --grpc-address "127.0.0.1:$(free_port)" --tsdb.path "$work/receive" --label 'bench="ingest"' \
    >"$work/receive.log" 2>&1 &
qpid=$!
pids+=($qpid)
vport=$(free_port)
victoria-metrics -storageDataPath="$work/vm" -httpListenAddr="127.0.0.1:$vport" -retentionPeriod=100y \
    >"$work/vm.log" 2>&1 &
vpid=$!
pids+=($vpid)
wait_ready "http://127.0.0.1:$qhttp/-/ready"
wait_ready "http://127.0.0.1:$vport/health"
rss_empty=$(rss_kb "$qpid")

declare -A url=([quiver]="http://127.0.0.1:$rw/api/v1/receive" [victoriametrics]="http://127.0.0.1:$vport/api/v1/write")
declare -A pid=([quiver]=$qpid [victoriametrics]=$vpid)
hz=$(getconf CLK_TCK)
results="$work/results.jsonl"
echo "ingest: $SERIES active series, $PER_REQUEST samples per request, $CONCURRENCY requests in flight," \
    "$ROUNDS interleaved rounds of up to ${SECONDS_PER_RUN}s per system"
for round in $(seq 0 $((ROUNDS - 1))); do
    # Each round writes later samples than the one before, to both systems alike.
    start_ms=$((1700000000000 + round * SAMPLE_ROUNDS * 15000))
    for sys in quiver victoriametrics; do
        c0=$(cpu_ticks "${pid[$sys]}")
        out=$("$LOAD" --url "${url[$sys]}" --series "$SERIES" --per-request "$PER_REQUEST" \
            --rounds "$SAMPLE_ROUNDS" --concurrency "$CONCURRENCY" --seconds "$SECONDS_PER_RUN" --start-ms "$start_ms")
        c1=$(cpu_ticks "${pid[$sys]}")
        python3 -c 'import json,sys; d=json.loads(sys.argv[1]); d["system"]=sys.argv[2]; d["round"]=int(sys.argv[3]); d["cpu_s"]=(int(sys.argv[5])-int(sys.argv[4]))/int(sys.argv[6]); print(json.dumps(d))' \
            "$out" "$sys" "$round" "$c0" "$c1" "$hz" >>"$results"
        tail -1 "$results"
    done
done

python3 - "$results" <<'EOF'
import json, statistics, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
by = {}
for r in rows:
    by.setdefault(r["system"], []).append(r)
print()
print(f"{'system':<16}{'samples/s':>12}{'samples/cpu-s':>15}{'p50 ms':>9}{'p99 ms':>9}  failures")
summary = {}
for sys_, rs in by.items():
    sps = statistics.median(r["samples_per_s"] for r in rs)
    per_cpu = statistics.median(r["samples"] / r["cpu_s"] for r in rs if r["cpu_s"] > 0)
    p50 = statistics.median(r["p50_ms"] for r in rs)
    p99 = statistics.median(r["p99_ms"] for r in rs)
    fails = {}
    for r in rs:
        for k, v in r["failures"].items():
            fails[k] = fails.get(k, 0) + v
    summary[sys_] = (sps, per_cpu)
    print(f"{sys_:<16}{sps:>12.0f}{per_cpu:>15.0f}{p50:>9.2f}{p99:>9.2f}  {fails or '-'}")
q, v = summary["quiver"], summary["victoriametrics"]
print(f"quiver / victoriametrics: {q[0] / v[0]:.2f}x samples/s, {q[1] / v[1]:.2f}x samples per CPU-second (medians over rounds)")
EOF

metrics=$(curl -fs "http://127.0.0.1:$qhttp/metrics")
series=$(awk '/^prometheus_tsdb_head_series[ {]/ {s += $NF} END {print s + 0}' <<<"$metrics")
chunks=$(awk '/^quiver_receive_head_chunk_bytes[ {]/ {s += $NF} END {print s + 0}' <<<"$metrics")
rss=$(rss_kb "$qpid")
python3 - "$rss_empty" "$rss" "$series" "$chunks" <<'EOF2'
import sys
empty, rss, series, chunks = (int(float(x)) for x in sys.argv[1:])
grown = (rss - empty) * 1024
print(f"quiver receive: RSS {empty} kB empty, {rss} kB with {series} head series holding {chunks / 1e6:.1f} MB of chunks: "
      f"{grown / max(series, 1):.0f} bytes per active series in all, {(grown - chunks) / max(series, 1):.0f} without the samples' chunk bytes")
EOF2
