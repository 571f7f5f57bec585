#!/usr/bin/env python3
"""One interleaved run of the standard query_range set against several Prometheus-compatible
systems: each query RUNS times against every system in turn, the order rotating so that no
system always goes first or last, after one warm-up each. Prints the median latency (curl's
time_total, as ../shared/testbench/bench_q.sh measures) per system and query, the ratios to
the first system, and the geometric means.

usage: bench_interleaved.py BENCH_Q_SH START END STEP RUNS NAME=URL...
The first NAME is the one compared; a NAME of prometheus and one of victoriametrics get ratio
columns, and quiver_1p (one partition) a column of its own.
"""
import json
import math
import re
import statistics
import subprocess
import sys
import tempfile

bench_q, start, end, step, runs = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4], int(sys.argv[5])
systems = [a.split("=", 1) for a in sys.argv[6:]]
names = [n for n, _ in systems]
# The standard queries, read from the test bench's script so there is one list.
queries = re.findall(r"^ '(.*)'$", open(bench_q).read(), re.M)
out = tempfile.NamedTemporaryFile(suffix=".json")


def run(url, q):
    t = subprocess.run(
        ["curl", "-s", "-o", out.name, "-w", "%{time_total}", "--data-urlencode", f"query={q}",
         "-d", f"start={start}", "-d", f"end={end}", "-d", f"step={step}", f"{url}/api/v1/query_range"],
        capture_output=True, text=True, check=True).stdout
    d = json.load(open(out.name))
    if d.get("status") != "success":
        return float(t) * 1000, f"ERR {d}"
    r = d["data"]["result"]
    return float(t) * 1000, f"series={len(r)} points={sum(len(x.get('values', [])) for x in r)}"


times, shapes = {}, {}
for q in queries:
    for _, url in systems:
        run(url, q)
    for i in range(runs):
        k = i % len(systems)
        for name, url in systems[k:] + systems[:k]:
            ms, shape = run(url, q)
            times.setdefault(q, {}).setdefault(name, []).append(ms)
            shapes.setdefault(q, {})[name] = shape

first = names[0]
ratio_cols = [(n, label) for n, label in (("prometheus", "prom/q"), ("victoriametrics", "vm/q"), ("quiver_1p", "1p/q"), ("quiver_grpc", "grpc/q")) if n in names]
med = {q: {n: statistics.median(times[q][n]) for n in names} for q in queries}
print(f"\n{'query':<92} " + " ".join(f"{n:>15}" for n in names) + " " + " ".join(f"{l:>7}" for _, l in ratio_cols))
for q in queries:
    m = med[q]
    cells = " ".join(f"{m[n]:13.1f}ms" for n in names)
    ratios = " ".join(f"{m[n] / m[first]:6.2f}x" for n, _ in ratio_cols)
    differ = len({s.split()[0] if s.startswith("ERR") else s for s in shapes[q].values()}) > 1
    note = "  (results differ: " + " | ".join(f"{n}: {s}" for n, s in shapes[q].items()) + ")" if differ else ""
    print(f"{q:<92} {cells} {ratios}{note}")
geo = {n: math.exp(statistics.mean(math.log(med[q][n]) for q in queries)) for n in names}
print("\ngeometric mean: " + ", ".join(f"{n} {geo[n]:.1f} ms" for n in names))
for n, _ in ratio_cols:
    print(f"{first} takes {geo[first] / geo[n]:.2f}x the time of {n}")
print("median wall time per query_range over", runs, "interleaved runs; ratios above 1 mean", first, "is faster")
