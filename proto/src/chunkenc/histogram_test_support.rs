//! Test helpers shared by the histogram and float histogram chunk tests: the golden manifest
//! written by `testdata/make_histogram_golden.py`, canonical forms for comparing samples, and
//! a small deterministic random generator.

use super::{CounterResetHeader, bucket_indices};
use crate::histogram::{CounterResetHint, FloatHistogram, Histogram, Span};
use std::collections::BTreeMap;

/// One series of the golden manifest: its chunks (file bytes, encoding, sample count) and
/// the exact samples Prometheus was sent.
#[derive(Debug)]
pub(crate) struct GoldenSeries {
    pub(crate) name: String,
    pub(crate) chunks: Vec<(Vec<u8>, u8, usize)>,
    pub(crate) ints: Vec<(i64, Histogram)>,
    pub(crate) floats: Vec<(i64, FloatHistogram)>,
}

fn testdata(file: &str) -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src/chunkenc/testdata").join(file)
}

fn fbits(s: &str) -> f64 {
    f64::from_bits(u64::from_str_radix(s, 16).unwrap())
}

fn spans(s: &str) -> Vec<Span> {
    if s == "-" {
        return Vec::new();
    }
    s.split(',')
        .map(|p| {
            let (o, l) = p.split_once(':').unwrap();
            Span { offset: o.parse().unwrap(), length: l.parse().unwrap() }
        })
        .collect()
}

fn list<T>(s: &str, f: impl Fn(&str) -> T) -> Vec<T> {
    if s == "-" { Vec::new() } else { s.split(',').map(f).collect() }
}

/// The golden chunks come from Prometheus 2.42, whose bit writer left an empty byte open
/// after a whole-byte write on a byte boundary; a chunk ending there carries one trailing zero
/// byte. Prometheus 3.0 dropped that (prometheus#14854), and Quiver writes as 3.x does, so the
/// comparison strips exactly that one byte when ours is one shorter.
pub(crate) fn without_242_padding<'a>(ours: &[u8], golden: &'a [u8]) -> &'a [u8] {
    if golden.len() == ours.len() + 1 && golden.last() == Some(&0) { &golden[..ours.len()] } else { golden }
}

pub(crate) fn golden_series() -> Vec<GoldenSeries> {
    let text = std::fs::read_to_string(testdata("histogram_golden.txt")).unwrap();
    let mut out: Vec<GoldenSeries> = Vec::new();
    let mut float = false;
    for line in text.lines().filter(|l| !l.starts_with('#') && !l.is_empty()) {
        let mut words = line.split_whitespace();
        match words.next().unwrap() {
            "series" => {
                let name = words.next().unwrap().to_string();
                float = words.next().unwrap() == "float";
                out.push(GoldenSeries { name, chunks: Vec::new(), ints: Vec::new(), floats: Vec::new() });
            }
            "chunk" => {
                let file = words.next().unwrap();
                let enc: u8 = words.next().unwrap().parse().unwrap();
                let n: usize = words.next().unwrap().parse().unwrap();
                let bytes = std::fs::read(testdata(file)).unwrap();
                out.last_mut().unwrap().chunks.push((bytes, enc, n));
            }
            "s" => {
                let kv: BTreeMap<&str, &str> = words.map(|w| w.split_once('=').unwrap()).collect();
                let t: i64 = kv["t"].parse().unwrap();
                let hint = CounterResetHint::from_i32(kv["hint"].parse().unwrap());
                let schema: i32 = kv["schema"].parse().unwrap();
                let series = out.last_mut().unwrap();
                if float {
                    series.floats.push((
                        t,
                        FloatHistogram {
                            counter_reset_hint: hint,
                            schema,
                            zero_threshold: fbits(kv["zt"]),
                            zero_count: fbits(kv["zc"]),
                            count: fbits(kv["count"]),
                            sum: fbits(kv["sum"]),
                            positive_spans: spans(kv["ps"]),
                            negative_spans: spans(kv["ns"]),
                            positive_buckets: list(kv["pb"], fbits),
                            negative_buckets: list(kv["nb"], fbits),
                            custom_values: Vec::new(),
                        },
                    ));
                } else {
                    series.ints.push((
                        t,
                        Histogram {
                            counter_reset_hint: hint,
                            schema,
                            zero_threshold: fbits(kv["zt"]),
                            zero_count: kv["zc"].parse().unwrap(),
                            count: kv["count"].parse().unwrap(),
                            sum: fbits(kv["sum"]),
                            positive_spans: spans(kv["ps"]),
                            negative_spans: spans(kv["ns"]),
                            positive_buckets: list(kv["pb"], |v| v.parse().unwrap()),
                            negative_buckets: list(kv["nb"], |v| v.parse().unwrap()),
                            custom_values: Vec::new(),
                        },
                    ));
                }
            }
            other => panic!("unknown manifest line {other}"),
        }
    }
    out
}

/// A histogram reduced to what a chunk must preserve: layout-independent non-zero bucket
/// counts by index, floats as bits. A stale marker is only its sum.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct Canonical {
    stale_or_fields: Vec<u64>,
    custom_values: Vec<u64>,
    positive: BTreeMap<i64, u64>,
    negative: BTreeMap<i64, u64>,
}

fn by_index<T: Copy>(
    spans: &[Span],
    counts: &[T],
    zero: impl Fn(T) -> bool,
    bits: impl Fn(T) -> u64,
) -> BTreeMap<i64, u64> {
    assert_eq!(bucket_indices(spans).count(), counts.len());
    bucket_indices(spans)
        .zip(counts.iter().copied())
        .filter(|(_, c)| !zero(*c))
        .map(|(i, c)| (i, bits(c)))
        .collect()
}

pub(crate) fn canonical_int(h: &Histogram) -> Canonical {
    if h.is_stale() {
        return Canonical {
            stale_or_fields: vec![h.sum.to_bits()],
            custom_values: Vec::new(),
            positive: BTreeMap::new(),
            negative: BTreeMap::new(),
        };
    }
    let abs = |d: &[i64]| Histogram::absolute_buckets(d);
    Canonical {
        stale_or_fields: vec![
            h.schema as u64,
            h.zero_threshold.to_bits(),
            h.count,
            h.zero_count,
            h.sum.to_bits(),
        ],
        custom_values: h.custom_values.iter().map(|v| v.to_bits()).collect(),
        positive: by_index(&h.positive_spans, &abs(&h.positive_buckets), |c| c == 0, |c| c as u64),
        negative: by_index(&h.negative_spans, &abs(&h.negative_buckets), |c| c == 0, |c| c as u64),
    }
}

pub(crate) fn canonical_float(h: &FloatHistogram) -> Canonical {
    if h.is_stale() {
        return Canonical {
            stale_or_fields: vec![h.sum.to_bits()],
            custom_values: Vec::new(),
            positive: BTreeMap::new(),
            negative: BTreeMap::new(),
        };
    }
    Canonical {
        stale_or_fields: vec![
            h.schema as u64,
            h.zero_threshold.to_bits(),
            h.count.to_bits(),
            h.zero_count.to_bits(),
            h.sum.to_bits(),
        ],
        custom_values: h.custom_values.iter().map(|v| v.to_bits()).collect(),
        positive: by_index(&h.positive_spans, &h.positive_buckets, |c| c == 0.0, f64::to_bits),
        negative: by_index(&h.negative_spans, &h.negative_buckets, |c| c == 0.0, f64::to_bits),
    }
}

/// The hint a reader must give the `pos`-th (0-based) sample of a chunk with `header`.
pub(crate) fn expected_hint(header: CounterResetHeader, pos: usize) -> CounterResetHint {
    header.hint_for(pos as u16 + 1)
}

/// xorshift64: deterministic test data without a dependency.
#[derive(Debug)]
pub(crate) struct Rng(pub(crate) u64);

impl Rng {
    pub(crate) fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    pub(crate) fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }

    pub(crate) fn junk(&mut self, len: usize) -> Vec<u8> {
        (0..len).map(|_| self.next() as u8).collect()
    }
}
