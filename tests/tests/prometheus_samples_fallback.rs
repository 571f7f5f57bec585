//! The sidecar's remote-read source against a Prometheus that answers with samples instead of
//! streamed chunks (a Prometheus older than 2.13, or one that refuses streaming): a fake server
//! on 127.0.0.1 checks what the source asks for and answers a `ReadResponse` (snappy). The source
//! re-chunks the samples into XOR chunks of at most 120, adds the external labels and returns
//! the series sorted as they are after the labels were added.

use std::sync::Arc;
use std::time::Duration;

use futures::StreamExt;
use prost::Message;
use quiver_engine::storage::{PrometheusState, PrometheusStore};
use quiver_proto::chunkenc::decode_xor;
use quiver_proto::pb::prometheus as prompb;
use quiver_proto::{Labels, MatchOp, Matcher, SeriesFrame, SeriesRequest, SeriesStore, TimeRange};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

/// Answers one HTTP request with `body` as a snappy `ReadResponse`; returns the decoded request.
async fn answer_once(listener: TcpListener, response: prompb::ReadResponse) -> (String, prompb::ReadRequest) {
    let (mut sock, _) = listener.accept().await.expect("accept");
    let mut buf = Vec::new();
    let mut chunk = [0u8; 4096];
    let (head, body) = loop {
        let n = sock.read(&mut chunk).await.expect("read");
        assert!(n > 0, "connection closed mid-request");
        buf.extend_from_slice(&chunk[..n]);
        let Some(end) = buf.windows(4).position(|w| w == b"\r\n\r\n") else { continue };
        let head = String::from_utf8_lossy(&buf[..end]).to_lowercase();
        let len: usize = head
            .lines()
            .find_map(|l| l.strip_prefix("content-length:"))
            .and_then(|v| v.trim().parse().ok())
            .expect("content-length");
        if buf.len() >= end + 4 + len {
            break (head, buf[end + 4..end + 4 + len].to_vec());
        }
    };
    let raw = snap::raw::Decoder::new().decompress_vec(&body).expect("snappy request");
    let request = prompb::ReadRequest::decode(raw.as_slice()).expect("ReadRequest");
    let out = snap::raw::Encoder::new().compress_vec(&response.encode_to_vec()).expect("snappy");
    let header = format!(
        "HTTP/1.1 200 OK\r\nContent-Type: application/x-protobuf\r\nContent-Encoding: snappy\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        out.len()
    );
    sock.write_all(header.as_bytes()).await.expect("write");
    sock.write_all(&out).await.expect("write");
    (head, request)
}

fn series(labels: &[(&str, &str)], n: i64) -> prompb::TimeSeries {
    prompb::TimeSeries {
        labels: labels
            .iter()
            .map(|(k, v)| prompb::Label { name: k.to_string(), value: v.to_string() })
            .collect(),
        samples: (0..n)
            .map(|i| prompb::Sample { value: i as f64 * 0.5, timestamp: 1_000 + i * 15_000 })
            .collect(),
        ..Default::default()
    }
}

#[tokio::test]
async fn samples_are_rechunked_labelled_and_sorted() {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let url = format!("http://{}", listener.local_addr().expect("addr"));
    // Sorted as Prometheus sorts them; with the external label `d` added, the second sorts first.
    let response = prompb::ReadResponse {
        results: vec![prompb::QueryResult {
            timeseries: vec![series(&[("__name__", "m")], 250), series(&[("__name__", "m"), ("c", "1")], 3)],
        }],
    };
    let server = tokio::spawn(answer_once(listener, response));

    let store = Arc::new(PrometheusStore::new(&url, Duration::from_secs(5)).expect("store"));
    let external = Labels::from_pairs([("d", "x")]).expect("labels");
    store.set_state(PrometheusState { external_labels: external, min_time: 0 });
    let matchers = vec![
        Matcher::new(MatchOp::Equal, "__name__", "m").expect("matcher"),
        Matcher::new(MatchOp::Equal, "d", "x").expect("matcher"),
    ];
    let frames: Vec<_> = Arc::clone(&store)
        .series(SeriesRequest::new(matchers.clone(), TimeRange { min: 0, max: 10_000_000 }))
        .collect()
        .await;
    let (head, request) = server.await.expect("server");

    assert!(head.contains("content-encoding: snappy"), "{head}");
    assert!(head.contains("x-prometheus-remote-read-version: 0.1.0"), "{head}");
    assert_eq!(request.accepted_response_types, vec![1, 0], "streamed chunks first, samples as the fallback");
    let query = &request.queries[0];
    assert_eq!((query.start_timestamp_ms, query.end_timestamp_ms), (0, 10_000_000));
    let names: Vec<&str> = query.matchers.iter().map(|m| m.name.as_str()).collect();
    assert_eq!(names, vec!["__name__"], "the external label's matcher is answered by the sidecar");

    let got: Vec<_> = frames
        .into_iter()
        .map(|f| match f.expect("frame") {
            SeriesFrame::Series(s) => s,
            SeriesFrame::Warning(w) => panic!("{w}"),
        })
        .collect();
    let labels: Vec<String> = got.iter().map(|s| s.labels.to_string()).collect();
    assert_eq!(labels, vec![r#"{__name__="m", c="1", d="x"}"#, r#"{__name__="m", d="x"}"#]);
    let sizes: Vec<usize> = got[1].chunks.iter().map(|c| decode_xor(&c.data).expect("xor").len()).collect();
    assert_eq!(sizes, vec![120, 120, 10]);
    let samples: Vec<_> = got[1].chunks.iter().flat_map(|c| decode_xor(&c.data).expect("xor")).collect();
    assert_eq!(samples.len(), 250);
    assert!(
        samples.iter().enumerate().all(|(i, s)| s.t == 1_000 + i as i64 * 15_000 && s.v == i as f64 * 0.5)
    );
    assert_eq!(got[1].chunks[0].min_time, 1_000);
    assert_eq!(got[1].chunks[2].max_time, 1_000 + 249 * 15_000);

    // A matcher the external label fails matches nothing, without asking Prometheus.
    let other = vec![Matcher::new(MatchOp::Equal, "d", "y").expect("matcher")];
    let none: Vec<_> = store.series(SeriesRequest::new(other, TimeRange::ALL)).collect().await;
    assert!(none.is_empty());
}
