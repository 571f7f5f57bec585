//! Native histogram chunk decoding: samples (histograms) per second on one core.
//!
//! `cargo bench -p quiver-proto --bench histogram_decode`; criterion prints throughput in
//! elements (histogram samples) per second. The chunks mimic a scraped classic-sized native
//! histogram: 120 samples at a 15 s interval, schema 3, 20 positive and 8 negative buckets in a
//! few spans, counts growing like a busy counter; the same series as integer (encoding 2) and
//! float (encoding 3) chunks.

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use quiver_proto::chunkenc::{
    FloatHistogramIter, HistogramIter, encode_float_histogram_chunks, encode_histogram_chunks,
};
use quiver_proto::{FloatHistogram, Histogram, Span};

const SAMPLES: usize = 120;
const SERIES: u64 = 100;

fn series(seed: u64) -> Vec<(i64, Histogram)> {
    let mut state = seed.wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1;
    let mut rnd = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    let mut pos = vec![0u64; 20];
    let mut neg = vec![0u64; 8];
    let mut zero = 0u64;
    let mut sum = 0.0f64;
    let mut t = 1_700_000_000_000i64;
    let deltas = |c: &[u64]| -> Vec<i64> {
        let mut prev = 0i64;
        c.iter()
            .map(|&v| {
                let d = v as i64 - prev;
                prev = v as i64;
                d
            })
            .collect()
    };
    (0..SAMPLES)
        .map(|_| {
            t += 15_000 + if rnd() % 10 == 0 { (rnd() % 20) as i64 - 10 } else { 0 };
            for c in pos.iter_mut().chain(neg.iter_mut()) {
                *c += rnd() % 50;
            }
            zero += rnd() % 5;
            sum += (rnd() % 100_000) as f64 / 7.0;
            let h = Histogram {
                schema: 3,
                zero_threshold: 2f64.powi(-128),
                zero_count: zero,
                count: pos.iter().chain(&neg).sum::<u64>() + zero,
                sum,
                positive_spans: vec![Span { offset: -5, length: 12 }, Span { offset: 3, length: 8 }],
                negative_spans: vec![Span { offset: 0, length: 8 }],
                positive_buckets: deltas(&pos),
                negative_buckets: deltas(&neg),
                ..Default::default()
            };
            (t, h)
        })
        .collect()
}

fn bench(c: &mut Criterion) {
    let int_chunks: Vec<Vec<u8>> =
        (0..SERIES).flat_map(|s| encode_histogram_chunks(&series(s)).expect("valid histograms")).collect();
    let float_chunks: Vec<Vec<u8>> = (0..SERIES)
        .flat_map(|s| {
            let fs: Vec<(i64, FloatHistogram)> = series(s).iter().map(|(t, h)| (*t, h.to_float())).collect();
            encode_float_histogram_chunks(&fs).expect("valid histograms")
        })
        .collect();
    assert_eq!(int_chunks.len() as u64, SERIES);
    assert_eq!(float_chunks.len() as u64, SERIES);
    let total = SERIES * SAMPLES as u64;

    let mut g = c.benchmark_group("histogram");
    g.throughput(Throughput::Elements(total));
    g.bench_function("int_advance", |b| {
        b.iter(|| {
            let mut n = 0u64;
            for ch in &int_chunks {
                let mut it = HistogramIter::new(ch).expect("valid chunk");
                while it.advance().expect("valid chunk") {
                    n = n.wrapping_add(it.t() as u64);
                }
            }
            n
        })
    });
    g.bench_function("int_at_histogram", |b| {
        let mut h = Histogram::default();
        b.iter(|| {
            let mut n = 0u64;
            for ch in &int_chunks {
                let mut it = HistogramIter::new(ch).expect("valid chunk");
                while it.advance().expect("valid chunk") {
                    it.at_histogram(&mut h);
                    n = n.wrapping_add(h.count);
                }
            }
            n
        })
    });
    g.bench_function("int_at_float_histogram", |b| {
        let mut fh = FloatHistogram::default();
        b.iter(|| {
            let mut n = 0.0f64;
            for ch in &int_chunks {
                let mut it = HistogramIter::new(ch).expect("valid chunk");
                while it.advance().expect("valid chunk") {
                    it.at_float_histogram(&mut fh);
                    n += fh.count;
                }
            }
            n
        })
    });
    g.bench_function("float_at_float_histogram", |b| {
        let mut fh = FloatHistogram::default();
        b.iter(|| {
            let mut n = 0.0f64;
            for ch in &float_chunks {
                let mut it = FloatHistogramIter::new(ch).expect("valid chunk");
                while it.advance().expect("valid chunk") {
                    it.at_float_histogram(&mut fh);
                    n += fh.count;
                }
            }
            n
        })
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
