//! Every acknowledged sample survives a `kill -9`: a remote-write client streams numbered
//! batches into `quiver up` on four lanes (each lane its own series, one request in flight, as
//! a Prometheus shard sends), `quiver up` is killed by its PID mid-stream and restarted on the
//! same data directory, the client retries what was not acknowledged, and in the end every
//! batch is readable exactly once: one sample per series per batch, with the batch's number as
//! its value.
//!
//! `QUIVER_CRASH_CYCLES` (default 1) kills and restarts that many times in one run;
//! `scripts/soak-crash.sh` runs it many times.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use prost::Message;
use quiver_proto::pb::prometheus as prompb;
use quiver_tests::quiver_up::{QuiverUp, api_get};
use tokio::sync::watch;

const LANES: usize = 4;
const SERIES_PER_LANE: usize = 25;
const BATCHES: usize = 300;

fn request(lane: usize, batch: usize, base_ms: i64) -> Vec<u8> {
    let req = prompb::WriteRequest {
        timeseries: (0..SERIES_PER_LANE)
            .map(|s| prompb::TimeSeries {
                labels: vec![
                    prompb::Label { name: "__name__".into(), value: "crash_test".into() },
                    prompb::Label { name: "lane".into(), value: lane.to_string() },
                    prompb::Label { name: "series".into(), value: format!("{s:03}") },
                ],
                samples: vec![prompb::Sample {
                    value: batch as f64,
                    timestamp: base_ms + batch as i64 * 1000,
                }],
                ..Default::default()
            })
            .collect(),
        ..Default::default()
    };
    snap::raw::Encoder::new().compress_vec(&req.encode_to_vec()).expect("snappy")
}

/// Sends one lane's batches in order; a batch that is not acknowledged (connection refused or
/// reset, any non-2xx) is sent again once the server is back, at the URL `url` then holds.
async fn lane(lane: usize, base_ms: i64, mut url: watch::Receiver<String>, acked: Arc<AtomicUsize>) -> usize {
    let client = reqwest::Client::builder().timeout(Duration::from_secs(10)).build().expect("client");
    let mut retries = 0;
    for batch in 0..BATCHES {
        let body = request(lane, batch, base_ms);
        loop {
            let target = format!("{}/api/v1/receive", url.borrow().clone());
            let sent = client
                .post(&target)
                .header("Content-Type", "application/x-protobuf")
                .header("Content-Encoding", "snappy")
                .header("X-Prometheus-Remote-Write-Version", "0.1.0")
                .body(body.clone())
                .send()
                .await;
            match sent {
                Ok(r) if r.status().is_success() => {
                    acked.fetch_add(1, Ordering::SeqCst);
                    break;
                }
                Ok(r) => panic!("lane {lane} batch {batch}: {} {:?}", r.status(), r.text().await),
                Err(_) => {
                    retries += 1;
                    // Down: wait for the restarted server's URL (or retry the same one shortly).
                    let _ = tokio::time::timeout(Duration::from_millis(200), url.changed()).await;
                }
            }
        }
    }
    retries
}

#[tokio::test]
async fn acknowledged_samples_survive_kill_9_exactly_once() {
    let cycles: usize = std::env::var("QUIVER_CRASH_CYCLES").ok().and_then(|v| v.parse().ok()).unwrap_or(1);
    let tmp = tempfile::tempdir().expect("tempdir");
    let data = tmp.path().join("quiver");
    let mut up = QuiverUp::start(&data, &[]).await;
    let now_ms = (quiver_tests::samples::now_s() * 1000.0) as i64;
    let base_ms = now_ms - (BATCHES as i64 + 60) * 1000;
    let (tx, rx) = watch::channel(up.url());
    let acked = Arc::new(AtomicUsize::new(0));
    let lanes: Vec<_> =
        (0..LANES).map(|l| tokio::spawn(lane(l, base_ms, rx.clone(), Arc::clone(&acked)))).collect();

    let total = LANES * BATCHES;
    let mut kills = 0;
    for cycle in 0..cycles {
        // Kill somewhere in the stream: after a share of the batches has been acknowledged.
        let at = total * (cycle + 1) / (cycles + 2) + (cycle * 37) % 50;
        while acked.load(Ordering::SeqCst) < at {
            tokio::time::sleep(Duration::from_millis(2)).await;
        }
        drop(up); // SIGKILL by PID
        kills += 1;
        up = QuiverUp::start(&data, &[]).await;
        tx.send(up.url()).expect("lanes listening");
    }
    let mut retries = 0;
    for l in lanes {
        retries += l.await.expect("lane");
    }
    assert_eq!(acked.load(Ordering::SeqCst), total);

    // Every batch exactly once, in every series.
    let end = format!("{:.3}", (base_ms + BATCHES as i64 * 1000) as f64 / 1000.0);
    let window = format!("crash_test[{}s]", BATCHES + 30);
    let (status, v) = api_get(&up.url(), "/api/v1/query", &[("query", &window), ("time", &end)]).await;
    assert_eq!(status, 200, "{v}");
    let result = v["data"]["result"].as_array().expect("matrix");
    assert_eq!(result.len(), LANES * SERIES_PER_LANE, "series after {kills} kills");
    for s in result {
        let mut seen: BTreeMap<i64, usize> = BTreeMap::new();
        for p in s["values"].as_array().expect("values") {
            let t = (p[0].as_f64().expect("time") * 1000.0).round() as i64;
            let b: usize = p[1].as_str().and_then(|x| x.parse().ok()).expect("batch number");
            assert_eq!(t, base_ms + b as i64 * 1000, "{s}: batch {b} at the wrong time");
            *seen.entry(t).or_default() += 1;
        }
        assert_eq!(seen.len(), BATCHES, "{}: {} of {BATCHES} batches", s["metric"], seen.len());
        assert!(seen.values().all(|&n| n == 1), "{}: a batch twice", s["metric"]);
    }
    eprintln!(
        "{kills} kill -9 and restarts mid-stream; {total} batches ({} samples) acknowledged, {retries} retried, all readable exactly once",
        total * SERIES_PER_LANE
    );
}
