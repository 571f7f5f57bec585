//! Remote write 2.0 bodies (built here from the specification's messages), Content-Type
//! negotiation, and per-tenant limits, through the receiver's public API.

use std::sync::Arc;

use futures::StreamExt;
use prost::Message;
use quiver_ingest::limits::WriteLimits;
use quiver_ingest::{Receiver, ReceiverConfig, WriteError, WriteProto};
use quiver_proto::chunkenc::decode_xor;
use quiver_proto::pb::io::prometheus::write::v2;
use quiver_proto::pb::prometheus as v1;
use quiver_proto::{Matcher, Sample, SeriesFrame, SeriesRequest, TimeRange};

/// A series to send: label pairs and samples.
type Series<'a> = (&'a [(&'a str, &'a str)], &'a [(i64, f64)]);

/// A 2.0 request; symbols are shared, "" first.
fn v2_body(series: &[Series<'_>]) -> Vec<u8> {
    let mut symbols = vec![String::new()];
    let mut sym = |s: &str| -> u32 {
        match symbols.iter().position(|x| x == s) {
            Some(i) => i as u32,
            None => {
                symbols.push(s.to_string());
                (symbols.len() - 1) as u32
            }
        }
    };
    let timeseries = series
        .iter()
        .map(|(labels, samples)| v2::TimeSeries {
            labels_refs: labels.iter().flat_map(|(n, v)| [sym(n), sym(v)]).collect(),
            samples: samples
                .iter()
                .map(|&(timestamp, value)| v2::Sample { value, timestamp, ..Default::default() })
                .collect(),
            exemplars: vec![v2::Exemplar { labels_refs: vec![], value: 1.0, timestamp: 1 }],
            ..Default::default()
        })
        .collect();
    let req = v2::Request { symbols, timeseries };
    snap::raw::Encoder::new().compress_vec(&req.encode_to_vec()).expect("snappy")
}

/// A 1.0 request with one sample at `t` for each series `m{i="<n>"}`, n in `series`.
fn v1_series(series: std::ops::Range<usize>, t: i64) -> Vec<u8> {
    let timeseries = series
        .map(|i| v1::TimeSeries {
            labels: vec![
                v1::Label { name: "__name__".into(), value: "m".into() },
                v1::Label { name: "i".into(), value: i.to_string() },
            ],
            samples: vec![v1::Sample { value: 1.0, timestamp: t }],
            ..Default::default()
        })
        .collect();
    let req = v1::WriteRequest { timeseries, ..Default::default() };
    snap::raw::Encoder::new().compress_vec(&req.encode_to_vec()).expect("snappy")
}

fn v1_body(n_series: usize) -> Vec<u8> {
    v1_series(0..n_series, 1000)
}

#[test]
fn content_types_negotiate_the_version() {
    let ok = |ct| WriteProto::from_content_type(Some(ct));
    assert_eq!(ok("application/x-protobuf"), Ok(WriteProto::V1));
    assert_eq!(ok("application/x-protobuf;proto=prometheus.WriteRequest"), Ok(WriteProto::V1));
    assert_eq!(ok("application/x-protobuf; proto=io.prometheus.write.v2.Request"), Ok(WriteProto::V2));
    assert_eq!(WriteProto::from_content_type(None), Ok(WriteProto::V1));
    assert!(matches!(
        ok("application/x-protobuf;proto=io.prometheus.write.v9.Request"),
        Err(WriteError::Unsupported(_))
    ));
    assert!(matches!(ok("application/json"), Err(WriteError::Unsupported(_))));
}

#[test]
fn v2_requests_are_written_and_bad_references_refused() {
    let dir = tempfile::tempdir().expect("tempdir");
    let r = Receiver::open(dir.path(), ReceiverConfig::default()).expect("receiver");
    let body = v2_body(&[
        (&[("__name__", "up"), ("job", "a")], &[(1000, 1.0), (2000, -2.5)]),
        (&[("__name__", "up"), ("job", "b")], &[(1000, 0.0)]),
    ]);
    let out = r.write_body("t", WriteProto::V2, &body).expect("written");
    assert_eq!(out.samples_written, 3);
    assert_eq!(r.stores().len(), 1, "one tenant's head");
    // The samples are in the head as sent.
    let req = SeriesRequest::new(vec![Matcher::equal("job", "a")], TimeRange::ALL);
    let frames: Vec<_> = futures::executor::block_on(Arc::clone(&r.stores()[0]).series(req).collect());
    let Some(Ok(SeriesFrame::Series(s))) = frames.first() else { panic!("{frames:?}") };
    let samples: Vec<Sample> = s.chunks.iter().flat_map(|c| decode_xor(&c.data).expect("xor")).collect();
    assert_eq!(samples.len(), 2);
    assert_eq!(samples[1], Sample { t: 2000, v: -2.5 });

    // A label reference past the symbol table.
    let bad = v2::Request {
        symbols: vec![String::new(), "__name__".into()],
        timeseries: vec![v2::TimeSeries { labels_refs: vec![1, 7], ..Default::default() }],
    };
    let bad = snap::raw::Encoder::new().compress_vec(&bad.encode_to_vec()).expect("snappy");
    assert!(matches!(r.write_body("t", WriteProto::V2, &bad), Err(WriteError::BadRequest(_))));
    // 2.0 numbers its fields past 1.0's: a 2.0 body read as 1.0 is an empty request.
    assert_eq!(r.write_body("t", WriteProto::V1, &body).expect("empty").samples_written, 0);
}

#[test]
fn tenant_limits_give_413_and_429() {
    let dir = tempfile::tempdir().expect("tempdir");
    let yaml = "write:\n  default:\n    request:\n      series_limit: 3\n    head_series_limit: 4\n  tenants:\n    big:\n      request:\n        size_bytes_limit: 10\n";
    let config =
        ReceiverConfig { limits: WriteLimits::from_yaml(yaml).expect("limits"), ..ReceiverConfig::default() };
    let r = Receiver::open(dir.path(), config).expect("receiver");
    assert!(matches!(r.write_snappy("t", &v1_body(4)), Err(WriteError::RequestLimit(_))));
    assert_eq!(r.write_snappy("t", &v1_body(3)).expect("within limits").samples_written, 3);
    // Three series held: one more fits the head limit of 4, two more do not.
    let e = r.write_snappy("t2", &v1_body(3)).expect("another tenant has its own head");
    assert_eq!(e.samples_written, 3);
    let two_from = |from: usize| v1_series(from..from + 2, 2000);
    match r.write_snappy("t", &two_from(3)) {
        Err(WriteError::TooManySeries(msg)) => assert!(msg.contains("limit of 4"), "{msg}"),
        other => panic!("{other:?}"),
    }
    // Samples for series already held still go in.
    assert_eq!(r.write_snappy("t", &two_from(1)).expect("held series").samples_written, 2);
    // The tenant `big` has a size limit and no series limit.
    assert!(matches!(r.write_snappy("big", &v1_body(1)), Err(WriteError::RequestLimit(_))));
}
