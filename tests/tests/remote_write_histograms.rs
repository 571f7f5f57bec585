//! Native histograms over remote write into `quiver up`: the same integer histograms (and a
//! series that turns from histograms to floats) go to a real Prometheus 2.42 and to Quiver, and
//! raw selections and histogram functions answer alike from Quiver's head, from the blocks it
//! cuts while the test runs (which `promtool tsdb analyze` accepts), and after a `kill -9` and a
//! restart (the WAL holds the histograms). Float histograms, which Prometheus 2.42 cannot take
//! over remote write, arrive over remote write 2.0 and read back exactly as sent.

use prost::Message;
use quiver_proto::pb::io::prometheus::write::v2;
use quiver_proto::pb::prometheus as prompb;
use quiver_tests::bins::{promtool, stdout_of};
use quiver_tests::json_diff::{Tally, diff, normalize};
use quiver_tests::prometheus::Prometheus;
use quiver_tests::quiver_proc::QuiverProc;
use quiver_tests::quiver_up::{QuiverUp, api_get};
use quiver_tests::remote_write::{deltas, label, receive_blocks, write_v1};
use quiver_tests::samples::now_s;

const TENANT: &str = "default-tenant";
const N: i64 = 120;
const EVERY_MS: i64 = 15_000;

/// Off every step grid: an odd millisecond, and a few series jitter.
fn t_of(t0: i64, k: i64) -> i64 {
    t0 + k * EVERY_MS + (k % 3) * 11
}

/// Three counter histograms of schemas 0, 1 and 2 whose buckets grow; shard 2 resets at k = 70.
fn int_histograms(t0: i64) -> Vec<prompb::TimeSeries> {
    (0..3i64)
        .map(|i| {
            let histograms = (0..N)
                .map(|k| {
                    let k = if i == 2 && k >= 70 { k - 70 } else { k } as u64;
                    let buckets = [1 + k, 2 * k, k / 3 + i as u64, 5];
                    prompb::Histogram {
                        count: Some(prompb::histogram::Count::CountInt(buckets.iter().sum::<u64>() + 2 * k)),
                        sum: 1.5 * k as f64 + i as f64,
                        schema: i as i32,
                        zero_threshold: 1e-128,
                        zero_count: Some(prompb::histogram::ZeroCount::ZeroCountInt(k)),
                        negative_spans: vec![prompb::BucketSpan { offset: -1, length: 1 }],
                        negative_deltas: vec![k as i64],
                        positive_spans: vec![
                            prompb::BucketSpan { offset: 1, length: 2 },
                            prompb::BucketSpan { offset: 3, length: 2 },
                        ],
                        positive_deltas: deltas(&buckets),
                        ..Default::default()
                    }
                })
                .zip(0..)
                .map(|(h, k)| prompb::Histogram { timestamp: t_of(t0, k), ..h })
                .collect();
            prompb::TimeSeries {
                labels: vec![label("__name__", "rw_hist_seconds"), label("shard", &i.to_string())],
                histograms,
                ..Default::default()
            }
        })
        .collect()
}

/// `series` with only the samples of index `from..to`.
fn slice(series: &[prompb::TimeSeries], from: usize, to: usize) -> Vec<prompb::TimeSeries> {
    series
        .iter()
        .map(|s| prompb::TimeSeries { histograms: s.histograms[from..to].to_vec(), ..s.clone() })
        .collect()
}

/// The answer with the receiver's tenant label taken off each series that kept it (an
/// aggregation may drop it, a selection keeps it).
fn untenanted(mut v: serde_json::Value, kept: bool) -> serde_json::Value {
    for s in v["data"]["result"].as_array_mut().into_iter().flatten() {
        let got = s["metric"].as_object_mut().and_then(|m| m.remove("tenant_id"));
        assert_eq!(got.as_ref().and_then(|v| v.as_str()), kept.then_some(TENANT), "{s}");
    }
    v
}

/// Every query answers in Quiver as in Prometheus; the number of values compared.
async fn agree(prom: &Prometheus, quiver: &str, end_s: f64, when: &str) -> usize {
    let (t, start) = (format!("{end_s:.3}"), format!("{:.3}", end_s - 1900.0));
    let instant = ["rw_hist_seconds[2m]", "rw_hist_seconds", "histogram_count(rw_hist_seconds)"];
    let range = [
        "histogram_count(rate(rw_hist_seconds[2m]))",
        "histogram_sum(increase(rw_hist_seconds[3m]))",
        "rate(rw_hist_seconds[1m])",
        "sum(rate(rw_hist_seconds[2m]))",
        // Not `resets` or `changes`: Prometheus 2.42 counts only float samples in them.
        "histogram_count(sum by (shard) (increase(rw_hist_seconds[5m])))",
        "count_over_time(rw_hist_seconds[4m])",
        "rw_hist_seconds offset 3m",
    ];
    let mut tally = Tally::default();
    let mut compare = |q: &str, ours: (u16, serde_json::Value), theirs: (u16, serde_json::Value)| {
        assert_eq!((ours.0, theirs.0), (200, 200), "{when}: {q}: quiver {} prometheus {}", ours.1, theirs.1);
        let (ours, theirs) = (
            normalize(q, untenanted(ours.1, !(q.starts_with("sum(") || q.contains("sum by")))),
            normalize(q, theirs.1),
        );
        assert!(theirs["data"]["result"].as_array().is_some_and(|r| !r.is_empty()), "{q}: {theirs}");
        if let Err(e) = diff(&ours, &theirs, "", &mut tally) {
            panic!("{when}: {q}: {e}");
        }
    };
    for q in instant {
        let params = [("query", q), ("time", t.as_str())];
        compare(
            q,
            api_get(quiver, "/api/v1/query", &params).await,
            api_get(&prom.url(), "/api/v1/query", &params).await,
        );
    }
    for q in range {
        let params = [("query", q), ("start", start.as_str()), ("end", t.as_str()), ("step", "41")];
        let path = "/api/v1/query_range";
        compare(q, api_get(quiver, path, &params).await, api_get(&prom.url(), path, &params).await);
    }
    tally.values
}

/// Writes the histograms (in two requests) and then a float sample of shard 0 (the series
/// changes kind) to Prometheus and to Quiver's `quiver_write` URL; an evaluation time after them.
async fn write_to_both(prom: &str, quiver_write: &str) -> f64 {
    let now_ms = (now_s() * 1000.0) as i64;
    let t0 = now_ms - now_ms % 1000 - (N + 4) * EVERY_MS + 417;
    let series = int_histograms(t0);
    let floats = vec![prompb::TimeSeries {
        samples: vec![prompb::Sample { value: 7.25, timestamp: t_of(t0, N) }],
        histograms: Vec::new(),
        ..series[0].clone()
    }];
    for url in [format!("{prom}/api/v1/write"), quiver_write.to_string()] {
        let first = write_v1(&url, slice(&series, 0, 50)).await;
        if url == quiver_write {
            let written = first.headers().get("X-Prometheus-Remote-Write-Histograms-Written");
            assert_eq!(written.and_then(|v| v.to_str().ok()), Some("150"));
        }
        write_v1(&url, slice(&series, 50, N as usize)).await;
        write_v1(&url, floats.clone()).await;
    }
    (t_of(t0, N) + 13_457) as f64 / 1000.0
}

#[tokio::test]
async fn native_histograms_written_to_quiver_answer_as_in_prometheus() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let data = tmp.path().join("quiver");
    // Blocks of 4 minutes over 30 minutes of data: blocks are cut while the test runs.
    let args = ["--tsdb.block-duration=4m"];
    let mut quiver = QuiverUp::start(&data, &args).await;
    let prom = Prometheus::start(
        &tmp.path().join("prometheus"),
        &["--web.enable-remote-write-receiver", "--enable-feature=native-histograms"],
    )
    .await;
    let end_s = write_to_both(&prom.url(), &format!("{}/api/v1/write", quiver.url())).await;
    let from_head = agree(&prom, &quiver.url(), end_s, "from the head").await;
    let started = now_s();
    while receive_blocks(&data).len() < 2 {
        assert!(now_s() - started < 120.0, "no blocks cut: {}", quiver.log());
        tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    }
    let after_cut = agree(&prom, &quiver.url(), end_s, "with blocks cut").await;

    // promtool reads a cut block with histogram chunks (copied out of the data directory, whose
    // WAL is not Prometheus's).
    let dir = std::fs::read_dir(&data)
        .expect("data dir")
        .filter_map(|e| e.ok())
        .find(|e| e.path().join("meta.json").exists())
        .expect("a block")
        .path();
    let meta: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.join("meta.json")).expect("meta")).expect("json");
    assert!(meta["stats"]["numSamples"].as_u64().is_some_and(|n| n > 0), "{meta}");
    let copy = tmp.path().join("analyze");
    let id = dir.file_name().expect("block id").to_owned();
    copy_dir(&dir, &copy.join(&id));
    let out = stdout_of(promtool().args(["tsdb", "analyze"]).arg(&copy).arg(&id));
    assert!(out.contains("rw_hist_seconds"), "{out}");

    drop(quiver);
    quiver = QuiverUp::start(&data, &args).await;
    let restarted = agree(&prom, &quiver.url(), end_s, "after a restart").await;
    eprintln!(
        "{from_head} values agree from the head, {after_cut} with blocks cut, {restarted} after a restart"
    );
}

/// `quiver receive` behind `quiver query`: the head's histogram chunks cross StoreAPI (in
/// storepb's chunk encodings) and answer as in Prometheus.
#[tokio::test]
async fn histograms_from_a_receiver_cross_storeapi() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let port = quiver_tests::ports::free_port().expect("port");
    let tsdb = tmp.path().join("receive");
    let receive = QuiverProc::start(&[
        "receive",
        &format!("--remote-write.address=127.0.0.1:{port}"),
        "--tsdb.path",
        tsdb.to_str().expect("utf-8"),
    ])
    .await;
    let query = QuiverProc::start(&["query", "--endpoint", &receive.grpc()]).await;
    let prom = Prometheus::start(
        &tmp.path().join("prometheus"),
        &["--web.enable-remote-write-receiver", "--enable-feature=native-histograms"],
    )
    .await;
    let end_s = write_to_both(&prom.url(), &format!("http://127.0.0.1:{port}/api/v1/receive")).await;
    // The querier learns of the tenant's head at its next Info round (every 5 s).
    let t = format!("{end_s:.3}");
    for _ in 0..40 {
        let (_, v) =
            api_get(&query.url(), "/api/v1/query", &[("query", "rw_hist_seconds"), ("time", &t)]).await;
        if v["data"]["result"].as_array().is_some_and(|r| r.len() == 3) {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    }
    let n = agree(&prom, &query.url(), end_s, "through quiver query").await;
    eprintln!("{n} values agree through quiver query");
}

fn copy_dir(from: &std::path::Path, to: &std::path::Path) {
    std::fs::create_dir_all(to).expect("mkdir");
    for e in std::fs::read_dir(from).expect("read dir").filter_map(|e| e.ok()) {
        let target = to.join(e.file_name());
        if e.path().is_dir() {
            copy_dir(&e.path(), &target);
        } else {
            std::fs::copy(e.path(), target).expect("copy");
        }
    }
}

/// A float gauge histogram of remote write 2.0 at `t`.
fn float_histogram(t: i64, k: f64) -> v2::Histogram {
    v2::Histogram {
        count: Some(v2::histogram::Count::CountFloat(3.5 * k + 0.25)),
        sum: -2.0 * k,
        schema: 3,
        zero_threshold: 0.001,
        zero_count: Some(v2::histogram::ZeroCount::ZeroCountFloat(0.25)),
        positive_spans: vec![v2::BucketSpan { offset: 2, length: 2 }],
        positive_counts: vec![k, 2.5 * k],
        reset_hint: v2::histogram::ResetHint::Gauge as i32,
        timestamp: t,
        ..Default::default()
    }
}

#[tokio::test]
async fn float_histograms_over_remote_write_2_read_back_as_sent() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let data = tmp.path().join("quiver");
    let mut quiver = QuiverUp::start(&data, &[]).await;
    let now_ms = (now_s() * 1000.0) as i64;
    let t0 = now_ms - now_ms % 1000 - 60_000 + 123;
    let sent: Vec<v2::Histogram> = (0..20).map(|k| float_histogram(t0 + k * 2_000, (k + 1) as f64)).collect();
    let req = v2::Request {
        symbols: ["", "__name__", "rw_float_hist", "job", "v2"].map(String::from).to_vec(),
        timeseries: vec![v2::TimeSeries {
            labels_refs: vec![1, 2, 3, 4],
            histograms: sent.clone(),
            ..Default::default()
        }],
    };
    let body = snap::raw::Encoder::new().compress_vec(&req.encode_to_vec()).expect("snappy");
    let r = reqwest::Client::new()
        .post(format!("{}/api/v1/receive", quiver.url()))
        .header("Content-Type", "application/x-protobuf;proto=io.prometheus.write.v2.Request")
        .header("Content-Encoding", "snappy")
        .header("X-Prometheus-Remote-Write-Version", "2.0.0")
        .body(body)
        .send()
        .await
        .expect("remote write");
    assert!(r.status().is_success(), "{}", r.status());
    let written =
        r.headers().get("X-Prometheus-Remote-Write-Histograms-Written").and_then(|v| v.to_str().ok());
    assert_eq!(written, Some("20"));

    let t = format!("{:.3}", (t0 + 40_000) as f64 / 1000.0);
    for (i, when) in ["from the head", "after a restart"].into_iter().enumerate() {
        if i > 0 {
            drop(quiver);
            quiver = QuiverUp::start(&data, &[]).await;
        }
        let (status, v) =
            api_get(&quiver.url(), "/api/v1/query", &[("query", "rw_float_hist[45s]"), ("time", &t)]).await;
        assert_eq!(status, 200, "{v}");
        let got = v["data"]["result"][0]["histograms"].as_array().cloned().unwrap_or_default();
        assert_eq!(got.len(), sent.len(), "{when}: {v}");
        for (g, s) in got.iter().zip(&sent) {
            assert_eq!((g[0].as_f64().expect("time") * 1000.0).round() as i64, s.timestamp, "{when}");
            let count = match s.count {
                Some(v2::histogram::Count::CountFloat(c)) => c,
                _ => unreachable!("float histograms are sent"),
            };
            assert_eq!(g[1]["count"].as_str(), Some(count.to_string().as_str()), "{when}: {g}");
            assert_eq!(g[1]["sum"].as_str(), Some(s.sum.to_string().as_str()), "{when}: {g}");
        }
    }
}
