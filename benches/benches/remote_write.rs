//! Remote-write decoding on one core: a Prometheus-shaped request (2,000 series of five labels,
//! one sample each, snappy-compressed) decompressed, parsed and validated into the batch the
//! head takes (`quiver_ingest::check_body`, the receiver's own decoder), for 1.0 and 2.0 bodies.
//! Criterion's throughput is samples per second on one core.
//!
//! `cargo bench -p quiver-benches --bench remote_write`

use criterion::{Criterion, Throughput};
use prost::Message;
use quiver_ingest::{WriteProto, check_body};
use quiver_proto::pb::io::prometheus::write::v2;
use quiver_proto::pb::prometheus as prompb;

const SERIES: usize = 2000;

fn labels(i: usize) -> Vec<(String, String)> {
    vec![
        ("__name__".into(), format!("load_metric_{}", i % 50)),
        ("instance".into(), format!("10.0.{}.{}:9100", (i / 250) % 256, i % 250)),
        ("job".into(), format!("job{}", i % 7)),
        ("series".into(), i.to_string()),
        ("shard".into(), (i / 1000).to_string()),
    ]
}

fn v1_body() -> Vec<u8> {
    let req = prompb::WriteRequest {
        timeseries: (0..SERIES)
            .map(|i| prompb::TimeSeries {
                labels: labels(i).into_iter().map(|(name, value)| prompb::Label { name, value }).collect(),
                samples: vec![prompb::Sample { value: i as f64, timestamp: 1_700_000_000_000 }],
                ..Default::default()
            })
            .collect(),
        ..Default::default()
    };
    snap::raw::Encoder::new().compress_vec(&req.encode_to_vec()).unwrap_or_default()
}

fn v2_body() -> Vec<u8> {
    let mut symbols = vec![String::new()];
    let mut refs = std::collections::HashMap::new();
    let mut sym = |s: String| -> u32 {
        *refs.entry(s.clone()).or_insert_with(|| {
            symbols.push(s);
            (symbols.len() - 1) as u32
        })
    };
    let timeseries = (0..SERIES)
        .map(|i| v2::TimeSeries {
            labels_refs: labels(i).into_iter().flat_map(|(n, v)| [sym(n), sym(v)]).collect(),
            samples: vec![v2::Sample { value: i as f64, timestamp: 1_700_000_000_000, ..Default::default() }],
            ..Default::default()
        })
        .collect();
    let req = v2::Request { symbols, timeseries };
    snap::raw::Encoder::new().compress_vec(&req.encode_to_vec()).unwrap_or_default()
}

fn main() {
    let mut c = Criterion::default().configure_from_args();
    let mut g = c.benchmark_group("remote_write_decode");
    g.throughput(Throughput::Elements(SERIES as u64));
    for (name, proto, body) in [("v1", WriteProto::V1, v1_body()), ("v2", WriteProto::V2, v2_body())] {
        assert_eq!(
            check_body(proto, &body, 64 << 20).map(|(_, n)| n).ok(),
            Some(SERIES),
            "{name} body decodes"
        );
        g.bench_function(name, |b| b.iter(|| check_body(proto, &body, 64 << 20)));
    }
    g.finish();
    c.final_summary();
}
