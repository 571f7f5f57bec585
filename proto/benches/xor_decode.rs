//! XOR chunk decoding, the hot path of every query: samples per second on one core.
//!
//! `cargo bench -p quiver-proto --bench xor_decode`; criterion prints throughput in elements
//! (samples) per second. The chunks mimic real scrapes: 120 samples at a 15 s interval with a
//! little jitter, values from a counter, a gauge and a constant series.

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use quiver_proto::Sample;
use quiver_proto::chunkenc::{XorIter, decode_xor_into, encode_xor};

fn chunks() -> Vec<Vec<u8>> {
    let mut out = Vec::new();
    let mut seed = 42u64;
    let mut rnd = move || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed
    };
    for series in 0..300u64 {
        let mut t = 1_700_000_000_000i64 + series as i64;
        let mut counter = 0.0f64;
        let samples: Vec<Sample> = (0..120)
            .map(|_| {
                t += 15_000 + if rnd() % 10 == 0 { (rnd() % 20) as i64 - 10 } else { 0 };
                counter += (rnd() % 100) as f64;
                let v = match series % 3 {
                    0 => counter,
                    1 => (rnd() % 10_000) as f64 / 100.0,
                    _ => 1.0,
                };
                Sample { t, v }
            })
            .collect();
        out.push(encode_xor(&samples).expect("ordered samples encode"));
    }
    out
}

fn bench(c: &mut Criterion) {
    let chunks = chunks();
    let total: u64 = chunks.len() as u64 * 120;
    let mut g = c.benchmark_group("xor");
    g.throughput(Throughput::Elements(total));
    g.bench_function("decode_into_vecs", |b| {
        let (mut ts, mut vs) = (Vec::with_capacity(120), Vec::with_capacity(120));
        b.iter(|| {
            for ch in &chunks {
                ts.clear();
                vs.clear();
                decode_xor_into(ch, &mut ts, &mut vs).expect("valid chunk");
            }
            ts.len()
        })
    });
    g.bench_function("iterate_sum", |b| {
        b.iter(|| {
            let mut sum = 0.0;
            for ch in &chunks {
                let mut it = XorIter::new(ch).expect("valid chunk");
                while let Some(s) = it.next_sample().expect("valid chunk") {
                    sum += s.v;
                }
            }
            sum
        })
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
