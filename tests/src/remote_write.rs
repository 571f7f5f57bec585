//! A remote-write 1.0 client (`prometheus.WriteRequest`, snappy) for sending the same series to
//! a real Prometheus and to Quiver, and the blocks a receiver uploaded.

use std::path::Path;

use prost::Message;
use quiver_proto::pb::prometheus as prompb;

pub fn label(name: &str, value: &str) -> prompb::Label {
    prompb::Label { name: name.into(), value: value.into() }
}

/// Bucket counts as a histogram message carries them: each the difference from the one before.
pub fn deltas(counts: &[u64]) -> Vec<i64> {
    let mut prev = 0i64;
    counts
        .iter()
        .map(|&c| {
            let d = c as i64 - prev;
            prev = c as i64;
            d
        })
        .collect()
}

/// POSTs `series` as one remote-write 1.0 request to `url`.
pub async fn post_v1(url: &str, series: Vec<prompb::TimeSeries>) -> reqwest::Response {
    let body = prompb::WriteRequest { timeseries: series, ..Default::default() }.encode_to_vec();
    let compressed = snap::raw::Encoder::new().compress_vec(&body).expect("snappy");
    reqwest::Client::new()
        .post(url)
        .header("Content-Encoding", "snappy")
        .header("Content-Type", "application/x-protobuf")
        .header("X-Prometheus-Remote-Write-Version", "0.1.0")
        .body(compressed)
        .send()
        .await
        .unwrap_or_else(|e| panic!("remote write to {url}: {e}"))
}

/// POSTs `series` to `url` and fails the test unless the answer is a 2xx.
pub async fn write_v1(url: &str, series: Vec<prompb::TimeSeries>) -> reqwest::Response {
    let r = post_v1(url, series).await;
    let status = r.status();
    assert!(status.is_success(), "remote write to {url}: {status}");
    r
}

/// The `meta.json` of each block a receiver uploaded to the bucket directory `dir`.
pub fn receive_blocks(dir: &Path) -> Vec<serde_json::Value> {
    let Ok(entries) = std::fs::read_dir(dir) else { return Vec::new() };
    entries
        .filter_map(|e| e.ok())
        .filter_map(|e| std::fs::read(e.path().join("meta.json")).ok())
        .filter_map(|raw| serde_json::from_slice::<serde_json::Value>(&raw).ok())
        .filter(|m| m["thanos"]["source"] == "receive")
        .collect()
}
