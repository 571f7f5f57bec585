#!/usr/bin/env python3
"""Produces golden histogram chunks written by a real Prometheus.

Starts `prometheus` (2.42 here: /usr/bin/prometheus) with native histograms and the remote-write
receiver on a free 127.0.0.1 port and a temporary data directory, sends one remote-write 1.0
request (protobuf encoded by hand below, snappy "compressed" as literal-only blocks, so no Python
packages are needed) with the series defined in SERIES, asks for a TSDB snapshot, reads the
snapshot block's index and chunks/000001, and writes into this directory:

  hgold_<series>_<n>.bin    the data of the series' n-th chunk (no length, encoding or CRC)
  histogram_golden.txt      the exact input samples of every series and its chunk files

The Rust tests in ../histogram.rs and ../float_histogram.rs read both: our appender must
produce the same bytes and our iterator must decode the inputs back.

Rerun (from the repository root):
    python3 proto/src/chunkenc/testdata/make_histogram_golden.py [path/to/prometheus]
Prometheus is stopped (by its PID) and the temporary directory removed at the end.
"""
import json
import math
import os
import shutil
import socket
import struct
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
STALE = struct.unpack("<d", struct.pack("<Q", 0x7FF0000000000002))[0]
BASE_T = 1_700_000_000_000
DEFAULT_ZT = 2.0 ** -128


# --------------------------------------------------------------------------- the inputs

def H(t, count, zc, s, ps=(), pb=(), ns=(), nb=(), schema=0, zt=DEFAULT_ZT, hint=0):
    """One histogram: spans as (offset, length), buckets as deltas (int) or counts (float)."""
    return dict(t=t, count=count, zc=zc, sum=s, ps=list(ps), pb=list(pb), ns=list(ns), nb=list(nb),
                schema=schema, zt=zt, hint=hint)


def ts(i, jitter=()):
    return BASE_T + 15_000 * i + (jitter[i % len(jitter)] if jitter else 0)


def counter_basic():
    out = []
    for i in range(12):
        p = [1 + i, 2 * i, 3, i * i]  # absolute counts, kept monotonic per bucket
        deltas = [p[0]] + [p[k] - p[k - 1] for k in range(1, 4)]
        n = [2 + i]
        out.append(H(ts(i, (0, 0, 3, -2, 0, 1000)), sum(p) + n[0] + 5 + i, 5 + i, 1.5 * i + 0.25,
                     ps=[(0, 2), (1, 2)], pb=deltas, ns=[(0, 1)], nb=n))
    return out


def counter_grow():
    """Buckets appear (forward inserts, the chunk is recoded), then a counter reset, then a
    schema change: three chunks."""
    out = []
    t = 0
    for i in range(4):  # buckets -2..0
        c = [1 + i, 2 + i, 3 + i]
        out.append(H(ts(t), sum(c) + 1, 1, 10.0 * i, ps=[(-2, 3)], pb=deltas(c), schema=3)); t += 1
    for i in range(3):  # a new bucket 2 after a gap
        c = [5 + i, 6 + i, 7 + i, 1 + i]
        out.append(H(ts(t), sum(c) + 1, 1, 50.0 + i, ps=[(-2, 3), (1, 1)], pb=deltas(c), schema=3)); t += 1
    for i in range(3):  # bucket -4 in front, bucket 1 fills the gap, negative buckets appear
        c = [1, 8 + i, 9 + i, 10 + i, 2 + i, 4 + i]
        n = [3 + i, 1]
        out.append(H(ts(t), sum(c) + sum(n) + 1, 1, 70.5 + i,
                     ps=[(-4, 1), (1, 5)], pb=deltas(c), ns=[(3, 2)], nb=deltas(n), schema=3)); t += 1
    for i in range(3):  # counter reset: a new chunk
        c = [1 + i, 1 + i]
        out.append(H(ts(t), sum(c), 0, 1.0 + i, ps=[(0, 2)], pb=deltas(c), schema=3)); t += 1
    for i in range(3):  # schema change: a new chunk
        c = [2 + i, 2 + i]
        out.append(H(ts(t), sum(c) + 10, 0, 100.0 + i, ps=[(0, 2)], pb=deltas(c), schema=2)); t += 1
    return out


def counter_wide():
    """Negative schema, a 9-byte zero threshold, huge counts and odd sums: wide varbits."""
    out = []
    sums = [0.0, 1e300, float("inf"), float("nan"), -5.5, 3.0, 3.0, 2.0 ** 60]
    gaps = [0, 15_000, 15_017, 14_700, 90_000, 1, 5, 1 << 20]  # wide timestamp delta-of-deltas
    t = BASE_T
    for i, s in enumerate(sums):
        t += gaps[i]
        c = [1 << (3 * i), (1 << (5 * i)) + 7, 3 << (6 * i), 1]
        zc = (1 << (7 * i)) + i
        out.append(H(t, sum(c) + zc, zc, s, ps=[(-1, 2), (3, 2)], pb=deltas(c), schema=-2, zt=0.001))
    return out


def schema8():
    out = []
    for i in range(6):
        c = [(k * 7) % 11 + i * (k % 3) for k in range(40)]
        out.append(H(ts(i), sum(c), 0, 12.0 + i / 3, ps=[(120, 25), (4, 15)], pb=deltas(c), schema=8, zt=0.0))
    return out


def empty_hist():
    return [H(ts(i), i, i, float(i), zt=0.0) for i in range(5)]


def stale():
    out = []
    for i in range(4):
        c = [1 + i, 2 + 2 * i]
        out.append(H(ts(i), sum(c), 0, 1.0 + i, ps=[(1, 2)], pb=deltas(c), schema=1))
    out.append(H(ts(4), 0, 0, STALE))
    out.append(H(ts(5), 0, 0, STALE))
    for i in range(6, 9):
        c = [i, i]
        out.append(H(ts(i), sum(c), 0, 2.0 * i, ps=[(1, 2)], pb=deltas(c), schema=1))
    return out


def gauge():
    """Counts go up and down; buckets come and go (both-way inserts)."""
    layouts = [
        ([(0, 3)], [4, 1, 7]),
        ([(0, 3)], [2, 1, 9]),
        ([(0, 2), (1, 1)], [2, 5, 1]),  # bucket 2 vanishes (non-empty), bucket 3 appears
        ([(1, 3)], [6, 0, 2]),
        ([(-1, 2), (2, 1)], [3, 3, 3]),
        ([(0, 1)], [1]),
    ]
    out = []
    for i, (sp, c) in enumerate(layouts):
        n = [5 - i] if i % 2 == 0 else []
        out.append(H(ts(i), sum(c) + sum(n) + 2, 2, -3.0 * i, ps=sp, pb=deltas(c),
                     ns=[(0, 1)] if n else [], nb=deltas(n), schema=0, zt=0.0, hint=3))
    return out


def long_series():
    """Enough samples for Prometheus to cut the chunk by time: the next chunk's header says
    whether the sample continues the previous chunk."""
    out = []
    for i in range(160):
        c = [i, 2 * i, 3 * i]
        out.append(H(ts(i), sum(c), 0, 0.5 * i, ps=[(0, 3)], pb=deltas(c), schema=1))
    return out


def f_counter():
    out = []
    t = 0
    for i in range(4):
        c = [0.5 + i, 1.25 * i, 3.0]
        n = [0.25 * i]
        out.append(H(ts(t), sum(c) + sum(n) + 0.5, 0.5, 2.0 * i + 0.1, ps=[(0, 3)], pb=c, ns=[(-2, 1)], nb=n,
                     schema=1)); t += 1
    for i in range(3):  # new buckets on both sides: recode
        c = [4.0 + i, 5.0, 3.0 + i, 0.5 * i]
        n = [1.0, 0.75 + i]
        out.append(H(ts(t), sum(c) + sum(n) + 0.5, 0.5, 20.0 + i, ps=[(0, 3), (2, 1)], pb=c,
                     ns=[(-3, 2)], nb=n, schema=1)); t += 1
    for i in range(2):  # count goes down: counter reset, a new chunk
        c = [1.0 + i, 0.0, 0.0, 0.0]
        out.append(H(ts(t), sum(c) + 0.5, 0.5, 1.0 + i, ps=[(0, 3), (2, 1)], pb=c, schema=1)); t += 1
    return out


def f_gauge():
    layouts = [
        ([(0, 2)], [1.5, 2.5]),
        ([(0, 2)], [0.5, 2.75]),
        ([(1, 2)], [4.0, 1.0]),  # bucket 0 vanishes, bucket 2 appears
        ([(-1, 4)], [0.25, 0.0, 3.0, 3.5]),
    ]
    return [H(ts(i), sum(c) + 1.0, 1.0, 1.0 - i, ps=sp, pb=c, zt=0.0, hint=3) for i, (sp, c) in enumerate(layouts)]


def f_stale():
    out = [H(ts(i), 2.0 + i, 0.0, 0.5 * i, ps=[(0, 1)], pb=[2.0 + i], schema=-1) for i in range(3)]
    # A float histogram needs a count > 0 to be taken as float by Prometheus 2.42's receiver.
    out.append(H(ts(3), 1.0, 0.0, STALE))
    out.extend(H(ts(i), 1.0 + i, 0.0, 0.5, ps=[(0, 1)], pb=[1.0 + i], schema=-1) for i in range(4, 6))
    return out


def deltas(c):
    return [c[0]] + [c[k] - c[k - 1] for k in range(1, len(c))] if c else []


SERIES = [
    ("hist_counter_basic", "int", counter_basic()),
    ("hist_counter_grow", "int", counter_grow()),
    ("hist_counter_wide", "int", counter_wide()),
    ("hist_schema8", "int", schema8()),
    ("hist_empty", "int", empty_hist()),
    ("hist_stale", "int", stale()),
    ("hist_gauge", "int", gauge()),
    ("hist_long", "int", long_series()),
    ("fhist_counter", "float", f_counter()),
    ("fhist_gauge", "float", f_gauge()),
    ("fhist_stale", "float", f_stale()),
]


def selected():
    """SERIES, or only those named in $HGOLD_ONLY (comma-separated), for debugging."""
    only = os.environ.get("HGOLD_ONLY")
    return [s for s in SERIES if not only or s[0] in only.split(",")]


# --------------------------------------------------------------------------- protobuf by hand

def uvarint(x):
    out = bytearray()
    x &= (1 << 64) - 1
    while x >= 0x80:
        out.append((x & 0x7F) | 0x80)
        x >>= 7
    out.append(x)
    return bytes(out)


def zigzag(x):
    return (x << 1) ^ (x >> 63)


def key(field, wt):
    return uvarint(field << 3 | wt)


def f_varint(field, v):
    return key(field, 0) + uvarint(v)


def f_double(field, v):
    return key(field, 1) + struct.pack("<d", v)


def f_bytes(field, b):
    return key(field, 2) + uvarint(len(b)) + b


def span_pb(off, length):
    return f_varint(1, zigzag(off) & 0xFFFFFFFF) + f_varint(2, length)


def histogram_pb(h, kind):
    b = bytearray()
    if kind == "int":
        b += f_varint(1, h["count"])
    else:
        b += f_double(2, h["count"])
    b += f_double(3, h["sum"])
    b += f_varint(4, zigzag(h["schema"]) & 0xFFFFFFFF)
    b += f_double(5, h["zt"])
    if kind == "int":
        b += f_varint(6, h["zc"])
    else:
        b += f_double(7, h["zc"])
    for off, ln in h["ns"]:
        b += f_bytes(8, span_pb(off, ln))
    if h["nb"]:
        if kind == "int":
            b += f_bytes(9, b"".join(uvarint(zigzag(v)) for v in h["nb"]))
        else:
            b += f_bytes(10, b"".join(struct.pack("<d", v) for v in h["nb"]))
    for off, ln in h["ps"]:
        b += f_bytes(11, span_pb(off, ln))
    if h["pb"]:
        if kind == "int":
            b += f_bytes(12, b"".join(uvarint(zigzag(v)) for v in h["pb"]))
        else:
            b += f_bytes(13, b"".join(struct.pack("<d", v) for v in h["pb"]))
    if h["hint"]:
        b += f_varint(14, h["hint"])
    b += f_varint(15, h["t"])
    return bytes(b)


def write_request(closing=False):
    """The histograms of every series; or, with `closing`, one float sample per series after
    its histograms. Switching to a float sample makes Prometheus cut the last histogram chunk,
    so the snapshot holds it as it is: Prometheus 2.42 re-encodes a still open head chunk when
    it writes a snapshot, loses its counter reset header and cannot re-encode gauge histograms."""
    req = bytearray()
    for name, kind, samples in selected():
        ts_msg = f_bytes(1, f_bytes(1, b"__name__") + f_bytes(2, name.encode()))
        if closing:
            ts_msg += f_bytes(2, f_double(1, 1.0) + f_varint(2, samples[-1]["t"] + 15_000))
        else:
            for h in samples:
                ts_msg += f_bytes(4, histogram_pb(h, kind))
        req += f_bytes(1, ts_msg)
    return bytes(req)


def snappy_literal(data):
    """A valid snappy block made of literals only."""
    out = bytearray(uvarint(len(data)))
    for i in range(0, len(data), 65536):
        part = data[i:i + 65536]
        out.append(61 << 2)
        out += struct.pack("<H", len(part) - 1)
        out += part
    return bytes(out)


# --------------------------------------------------------------------------- TSDB block reading

def read_uvarint(b, i):
    r = s = 0
    while True:
        x = b[i]; i += 1
        r |= (x & 0x7F) << s; s += 7
        if x < 0x80:
            return r, i


def read_varint(b, i):
    u, i = read_uvarint(b, i)
    return (u >> 1) ^ -(u & 1), i


def read_block(block):
    idx = open(os.path.join(block, "index"), "rb").read()
    toc = struct.unpack(">6Q", idx[-52:-4])
    sym_off, series_off = toc[0], toc[1]
    n_sym = struct.unpack(">I", idx[sym_off + 4:sym_off + 8])[0]
    syms, i = [], sym_off + 8
    for _ in range(n_sym):
        ln, i = read_uvarint(idx, i)
        syms.append(idx[i:i + ln].decode()); i += ln
    end = min(o for o in toc if o > series_off)
    chunks_file = open(os.path.join(block, "chunks", "000001"), "rb").read()
    series = {}
    pos = series_off
    while pos < end:
        pos = (pos + 15) // 16 * 16
        if pos >= end:
            break
        ln, i = read_uvarint(idx, pos)
        if ln == 0:
            break
        stop = i + ln
        nl, i = read_uvarint(idx, i)
        labels = {}
        for _ in range(nl):
            k, i = read_uvarint(idx, i)
            v, i = read_uvarint(idx, i)
            labels[syms[k]] = syms[v]
        nc, i = read_uvarint(idx, i)
        refs, ref, maxt = [], 0, 0
        for c in range(nc):
            if c == 0:
                mint, i = read_varint(idx, i)
                d, i = read_uvarint(idx, i); maxt = mint + d
                ref, i = read_uvarint(idx, i)
            else:
                d, i = read_uvarint(idx, i); mint = maxt + d
                d, i = read_uvarint(idx, i); maxt = mint + d
                dr, i = read_varint(idx, i); ref += dr
            refs.append(ref)
        chunks = []
        for ref in refs:
            assert ref >> 32 == 0, "expected all chunks in segment 000001"
            off = ref & 0xFFFFFFFF
            ln2, j = read_uvarint(chunks_file, off)
            enc = chunks_file[j]
            if enc != 1:  # leave out the closing XOR chunk
                chunks.append((enc, chunks_file[j + 1:j + 1 + ln2]))
        series[labels["__name__"]] = chunks
        pos = stop + 4  # CRC32
    return series


# --------------------------------------------------------------------------- manifest

def fbits(v):
    return "%016x" % struct.unpack("<Q", struct.pack("<d", v))[0]


def spans_txt(spans):
    return ",".join("%d:%d" % s for s in spans) or "-"


def buckets_txt(vals, kind):
    if not vals:
        return "-"
    return ",".join(str(v) if kind == "int" else fbits(v) for v in vals)


def sample_line(h, kind):
    num = (lambda v: str(v)) if kind == "int" else fbits
    return ("s t=%d hint=%d schema=%d zt=%s count=%s zc=%s sum=%s ps=%s pb=%s ns=%s nb=%s" % (
        h["t"], h["hint"], h["schema"], fbits(h["zt"]), num(h["count"]), num(h["zc"]), fbits(h["sum"]),
        spans_txt(h["ps"]), buckets_txt(h["pb"], kind), spans_txt(h["ns"]), buckets_txt(h["nb"], kind)))


# --------------------------------------------------------------------------- main

def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def main():
    prom = sys.argv[1] if len(sys.argv) > 1 else "/usr/bin/prometheus"
    work = tempfile.mkdtemp(prefix="hgold-")
    port = free_port()
    cfg = os.path.join(work, "p.yml")
    open(cfg, "w").write("global:\n  scrape_interval: 1h\n")
    log = open(os.path.join(work, "prom.log"), "w")
    proc = subprocess.Popen([prom, "--config.file=" + cfg, "--storage.tsdb.path=" + os.path.join(work, "data"),
                             "--web.listen-address=127.0.0.1:%d" % port, "--web.enable-remote-write-receiver",
                             "--web.enable-admin-api", "--enable-feature=native-histograms"],
                            stdout=log, stderr=subprocess.STDOUT)
    try:
        base = "http://127.0.0.1:%d" % port
        for _ in range(100):
            try:
                urllib.request.urlopen(base + "/-/ready", timeout=1)
                break
            except Exception:
                time.sleep(0.2)
        for closing in (False, True):
            body = snappy_literal(write_request(closing))
            req = urllib.request.Request(base + "/api/v1/write", data=body, method="POST", headers={
                "Content-Encoding": "snappy", "Content-Type": "application/x-protobuf",
                "X-Prometheus-Remote-Write-Version": "0.1.0"})
            resp = urllib.request.urlopen(req, timeout=10)
            print("remote write:", resp.status, resp.read().decode())
        try:
            snap = urllib.request.urlopen(
                urllib.request.Request(base + "/api/v1/admin/tsdb/snapshot", method="POST"), timeout=60)
        except urllib.error.HTTPError as e:
            sys.exit("snapshot failed: %s %s (log in %s)" % (e.code, e.read().decode(), work))
        name = json.loads(snap.read())["data"]["name"]
        snapdir = os.path.join(work, "data", "snapshots", name)
        blocks = [d for d in os.listdir(snapdir) if os.path.isdir(os.path.join(snapdir, d))]
        assert len(blocks) == 1, blocks
        series = read_block(os.path.join(snapdir, blocks[0]))
    finally:
        proc.terminate()
        proc.wait(timeout=30)
        log.close()
    version = subprocess.run([prom, "--version"], capture_output=True, text=True).stdout.splitlines()[0]

    for f in os.listdir(HERE):
        if f.startswith("hgold_") and f.endswith(".bin"):
            os.remove(os.path.join(HERE, f))
    lines = ["# Written by make_histogram_golden.py from " + version + "; do not edit.",
             "# series NAME KIND, chunk FILE ENCODING SAMPLES, then one `s` line per input sample.",
             "# Floats are IEEE 754 bits in hex; buckets are deltas for int histograms, counts for float ones."]
    for name, kind, samples in selected():
        chunks = series[name]
        lines.append("series %s %s" % (name, kind))
        for n, (enc, data) in enumerate(chunks):
            fname = "hgold_%s_%d.bin" % (name, n)
            open(os.path.join(HERE, fname), "wb").write(data)
            lines.append("chunk %s %d %d" % (fname, enc, struct.unpack(">H", data[:2])[0]))
        for h in samples:
            lines.append(sample_line(h, kind))
        print("%-22s %s" % (name, [(e, len(d), d[2] >> 6) for e, d in chunks]))
    open(os.path.join(HERE, "histogram_golden.txt"), "w").write("\n".join(lines) + "\n")
    shutil.rmtree(work)


if __name__ == "__main__":
    main()
