#!/usr/bin/env bash
# Quiver beside Prometheus 2.42 and VictoriaMetrics 1.79 on the same generated data, in one
# interleaved run (scripts/bench_interleaved.py): the eight standard range queries of
# ../shared/testbench/bench_q.sh against each system in turn, the median latency per system, the
# ratios and the geometric means. A second Quiver with one partition (--query.partitions=1) runs
# beside the default one (a partition per core), to show what the cores add, and the Thanos read
# path (quiver query over quiver store, StoreAPI over gRPC) beside the all-in-one, to show what
# the gRPC hop costs; afterwards the store gateway's memory, its local state on disk and its
# time to ready on a restart are printed. Installs what it
# needs (Debian packages), builds Quiver in release mode, and starts every server on a free
# loopback port, stopping each by its PID.
#
# usage: scripts/bench-compare.sh [SERIES=1000] [HOURS=6] [STEP=60] [RUNS=7]
set -euo pipefail
cd "$(dirname "$0")/.."
SERIES=${1:-1000}
HOURS=${2:-6}
STEP=${3:-60}
RUNS=${4:-7}
TESTBENCH=${QUIVER_SHARED_DIR:-../shared}/testbench

source scripts/bench-lib.sh
install_missing promtool:prometheus victoria-metrics:victoria-metrics curl:curl

export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-/var/tmp/quiver-target}"
cargo build --release --locked -q -p quiver
QUIVER="$CARGO_TARGET_DIR/release/quiver"

echo "data: $SERIES series x ${HOURS}h at 15 s (gen_om.py), as promtool-made TSDB blocks"
python3 "$TESTBENCH/gen_om.py" "$work/in.om" "$SERIES" "$HOURS" >/dev/null
promtool tsdb create-blocks-from openmetrics "$work/in.om" "$work/blocks" >/dev/null
cp -r "$work/blocks" "$work/prometheus"
mkdir -p "$work/bucket"
"$QUIVER" tools bucket upload-blocks --path "$work/blocks" \
    --objstore.config "$(printf 'type: FILESYSTEM\nconfig:\n  directory: %s\n' "$work/bucket")" >/dev/null
# gen_om.py ends its data at 1700000000 rounded down to 2 h.
END=$((1700000000 - 1700000000 % 7200))
START=$((END - HOURS * 3600))

qport=$(free_port)
"$QUIVER" up --data-dir "$work/bucket" --http-address "127.0.0.1:$qport" >"$work/quiver.log" 2>&1 &
pids+=($!)
q1port=$(free_port)
"$QUIVER" up --data-dir "$work/bucket" --http-address "127.0.0.1:$q1port" --query.partitions=1 \
    >"$work/quiver1.log" 2>&1 &
pids+=($!)
objstore="$(printf 'type: FILESYSTEM\nconfig:\n  directory: %s\n' "$work/bucket")"
sgrpc=$(free_port)
shttp=$(free_port)
start_store() {
    "$QUIVER" store --objstore.config "$objstore" --data-dir "$work/store" --grpc-address "127.0.0.1:$sgrpc" \
        --http-address "127.0.0.1:$shttp" >>"$work/store.log" 2>&1 &
    store_pid=$!
    pids+=($store_pid)
}
start_store
gport=$(free_port)
"$QUIVER" query --endpoint "127.0.0.1:$sgrpc" --http-address "127.0.0.1:$gport" --grpc-address "127.0.0.1:$(free_port)" \
    >"$work/query.log" 2>&1 &
pids+=($!)
pport=$(free_port)
printf 'global:\n  scrape_interval: 1h\n' >"$work/p.yml"
prometheus --config.file="$work/p.yml" --storage.tsdb.path="$work/prometheus" \
    --storage.tsdb.retention.time=100y --web.listen-address="127.0.0.1:$pport" >"$work/prometheus.log" 2>&1 &
pids+=($!)
vport=$(free_port)
victoria-metrics -storageDataPath="$work/vm" -httpListenAddr="127.0.0.1:$vport" -retentionPeriod=100y \
    -search.latencyOffset=0s -search.disableCache >"$work/vm.log" 2>&1 &
pids+=($!)
wait_ready "http://127.0.0.1:$qport/-/ready"
wait_ready "http://127.0.0.1:$q1port/-/ready"
wait_ready "http://127.0.0.1:$shttp/-/ready"
wait_ready "http://127.0.0.1:$gport/-/ready"
wait_ready "http://127.0.0.1:$pport/-/ready"
wait_ready "http://127.0.0.1:$vport/health"

# VictoriaMetrics takes the same samples as Prometheus text with millisecond timestamps.
python3 - "$work/in.om" "$work/vm.prom" <<'EOF'
import sys
with open(sys.argv[1]) as src, open(sys.argv[2], "w") as out:
    for line in src:
        if line.startswith("#") or not line.strip():
            continue
        series, value, ts = line.rsplit(" ", 2)
        out.write(f"{series} {value} {int(float(ts) * 1000)}\n")
EOF
curl -fs --data-binary "@$work/vm.prom" "http://127.0.0.1:$vport/api/v1/import/prometheus"
curl -fs "http://127.0.0.1:$vport/internal/force_flush" >/dev/null

python3 scripts/bench_interleaved.py "$TESTBENCH/bench_q.sh" "$START" "$END" "$STEP" "$RUNS" \
    "quiver=http://127.0.0.1:$qport" "quiver_1p=http://127.0.0.1:$q1port" "quiver_grpc=http://127.0.0.1:$gport" \
    "prometheus=http://127.0.0.1:$pport" "victoriametrics=http://127.0.0.1:$vport"

echo
echo "store gateway over $SERIES series x ${HOURS}h: RSS $(awk '/VmRSS/ {print $2, $3}' /proc/$store_pid/status) after the run," \
    "local state (index headers) $(du -sh "$work/store" | cut -f1), bucket $(du -sh "$work/bucket" | cut -f1)"
kill "$store_pid"
wait "$store_pid" 2>/dev/null || true
t0=$(date +%s.%N)
start_store
wait_ready "http://127.0.0.1:$shttp/-/ready"
t1=$(date +%s.%N)
echo "store gateway restart: ready in $(python3 -c "print(f'{$t1 - $t0:.3f}')") s (index headers reused), RSS $(awk '/VmRSS/ {print $2, $3}' /proc/$store_pid/status)"
