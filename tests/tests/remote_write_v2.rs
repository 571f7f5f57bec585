//! Remote write 2.0 over HTTP into `quiver receive`, with a client fixture built from the
//! specification (`io.prometheus.write.v2.Request`: a symbol table and label references), as
//! Prometheus 2.42 only speaks 1.0: the version is negotiated by Content-Type, the answer carries
//! the `X-Prometheus-Remote-Write-*-Written` headers, the samples are queryable through
//! `quiver query` (a `-0.0` keeps its sign), an unknown message type is 415, the tenant
//! limits of `--receive.limits-config` answer 413 and 429, and `--tsdb.out-of-order.time-window`
//! takes late samples within it.

use prost::Message;
use quiver_proto::pb::io::prometheus::write::v2;
use quiver_tests::quiver_proc::QuiverProc;
use quiver_tests::quiver_up::api_get;

const V2: &str = "application/x-protobuf;proto=io.prometheus.write.v2.Request";

/// One series per `job`, each with the samples given.
fn request(jobs: &[&str], samples: &[(i64, f64)]) -> Vec<u8> {
    let mut symbols = vec![String::new(), "__name__".to_string(), "quiver_v2".to_string(), "job".to_string()];
    let mut timeseries = Vec::new();
    for job in jobs {
        symbols.push((*job).to_string());
        timeseries.push(v2::TimeSeries {
            labels_refs: vec![1, 2, 3, (symbols.len() - 1) as u32],
            samples: samples
                .iter()
                .map(|&(timestamp, value)| v2::Sample { value, timestamp, ..Default::default() })
                .collect(),
            ..Default::default()
        });
    }
    let req = v2::Request { symbols, timeseries };
    snap::raw::Encoder::new().compress_vec(&with_negative_zeros(req.encode_to_vec())).expect("snappy")
}

async fn post(url: &str, content_type: &str, body: Vec<u8>, tenant: &str) -> reqwest::Response {
    reqwest::Client::new()
        .post(url)
        .header("Content-Type", content_type)
        .header("Content-Encoding", "snappy")
        .header("X-Prometheus-Remote-Write-Version", "2.0.0")
        .header("THANOS-TENANT", tenant)
        .body(body)
        .send()
        .await
        .expect("remote write")
}

#[tokio::test]
async fn remote_write_2_is_negotiated_written_and_limited() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let port = quiver_tests::ports::free_port().expect("port");
    let limits = "write:\n  default:\n    request:\n      series_limit: 3\n    head_series_limit: 4\n";
    let tsdb = tmp.path().join("receive");
    let receive = QuiverProc::start(&[
        "receive",
        &format!("--remote-write.address=127.0.0.1:{port}"),
        "--tsdb.path",
        tsdb.to_str().expect("utf-8"),
        "--receive.limits-config",
        limits,
    ])
    .await;
    let query = QuiverProc::start(&["query", "--endpoint", &receive.grpc()]).await;
    let url = format!("http://127.0.0.1:{port}/api/v1/receive");
    let now = (quiver_tests::samples::now_s() * 1000.0) as i64;

    let r = post(&url, V2, request(&["a", "b"], &[(now - 2000, 1.5), (now - 1000, MARK)]), "t").await;
    assert_eq!(r.status(), 200);
    let header = |n: &str| r.headers().get(n).and_then(|v| v.to_str().ok()).map(str::to_string);
    assert_eq!(header("X-Prometheus-Remote-Write-Samples-Written").as_deref(), Some("4"));
    assert_eq!(header("X-Prometheus-Remote-Write-Histograms-Written").as_deref(), Some("0"));
    assert_eq!(header("X-Prometheus-Remote-Write-Exemplars-Written").as_deref(), Some("0"));

    let t = format!("{:.3}", (now - 500) as f64 / 1000.0);
    // The querier learns of the tenant's head at its next Info round (every 5 s).
    let mut v = serde_json::Value::Null;
    for _ in 0..40 {
        let (status, got) =
            api_get(&query.url(), "/api/v1/query", &[("query", "quiver_v2[5s]"), ("time", &t)]).await;
        assert_eq!(status, 200, "{got}");
        v = got;
        if v["data"]["result"].as_array().is_some_and(|r| !r.is_empty()) {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    }
    let result = v["data"]["result"].as_array().expect("matrix");
    assert_eq!(result.len(), 2, "{v}");
    for s in result {
        assert_eq!(s["metric"]["tenant_id"], "t", "{s}");
        let values: Vec<&str> =
            s["values"].as_array().expect("values").iter().filter_map(|p| p[1].as_str()).collect();
        assert_eq!(values, ["1.5", "-0"], "{s}");
    }

    // An unknown message type, or an encoding other than snappy: 415.
    let r = post(
        &url,
        "application/x-protobuf;proto=io.prometheus.write.v3.Request",
        request(&["c"], &[(now, 1.0)]),
        "t",
    )
    .await;
    assert_eq!(r.status(), 415);
    let r = reqwest::Client::new()
        .post(&url)
        .header("Content-Type", V2)
        .header("Content-Encoding", "zstd")
        .body(request(&["c"], &[(now, 1.0)]))
        .send()
        .await
        .expect("remote write");
    assert_eq!(r.status(), 415);
    // Over the request series limit: 413. Over the head series limit: 429, and nothing taken.
    let r = post(&url, V2, request(&["c", "d", "e", "f"], &[(now, 1.0)]), "t").await;
    assert_eq!(r.status(), 413);
    let r = post(&url, V2, request(&["c", "d", "e"], &[(now, 1.0)]), "t").await;
    assert_eq!(r.status(), 429, "{:?}", r.text().await);
    let r = post(&url, V2, request(&["c", "d"], &[(now, 1.0)]), "t").await;
    assert_eq!(r.status(), 200, "two more series fit the limit of 4");
    // The receiver's /metrics counts the tenant's head series as Thanos receive's TSDB does.
    let text = reqwest::get(format!("{}/metrics", receive.url()))
        .await
        .expect("metrics")
        .text()
        .await
        .expect("text");
    assert!(text.lines().any(|l| l == r#"prometheus_tsdb_head_series{tenant="t"} 4"#), "{text}");
}

/// The smallest negative subnormal: prost writes it (proto3 leaves out a -0.0, which compares
/// equal to the default 0), and [`with_negative_zeros`] turns it into -0.0 on the wire, as a
/// sender that keeps the sign bit writes it.
const MARK: f64 = f64::from_bits(0x8000_0000_0000_0001);

fn with_negative_zeros(mut wire: Vec<u8>) -> Vec<u8> {
    let mark = MARK.to_le_bytes();
    let zero = (-0.0f64).to_le_bytes();
    let mut i = 0;
    while i + 8 <= wire.len() {
        if wire[i..i + 8] == mark {
            wire[i..i + 8].copy_from_slice(&zero);
            i += 8;
        } else {
            i += 1;
        }
    }
    wire
}

/// `--tsdb.out-of-order.time-window`: a sample older than its series' newest is taken when it is
/// within the window of the tenant's newest sample (and read back in time order through the
/// querier, its chunk overlapping the others), refused with 409 beyond it; without the flag
/// every out-of-order sample is 409.
#[tokio::test]
async fn out_of_order_samples_within_the_window_are_taken() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let now = (quiver_tests::samples::now_s() * 1000.0) as i64;
    let mut receivers = Vec::new();
    for (name, window) in [("ooo", "10m"), ("strict", "0s")] {
        let port = quiver_tests::ports::free_port().expect("port");
        let tsdb = tmp.path().join(name);
        let receive = QuiverProc::start(&[
            "receive",
            &format!("--remote-write.address=127.0.0.1:{port}"),
            "--tsdb.path",
            tsdb.to_str().expect("utf-8"),
            &format!("--tsdb.out-of-order.time-window={window}"),
        ])
        .await;
        receivers.push((receive, format!("http://127.0.0.1:{port}/api/v1/receive")));
    }
    for (_, url) in &receivers {
        let r = post(url, V2, request(&["a"], &[(now - 60_000, 1.0), (now - 30_000, 3.0)]), "t").await;
        assert_eq!(r.status(), 200);
    }
    // 45 s back: out of order, inside a 10 m window. 20 m back: outside it.
    let late = request(&["a"], &[(now - 45_000, 2.0)]);
    let too_late = request(&["a"], &[(now - 1_200_000, 9.0)]);
    let (ooo, strict) = (&receivers[0], &receivers[1]);
    assert_eq!(post(&ooo.1, V2, late.clone(), "t").await.status(), 200);
    assert_eq!(post(&ooo.1, V2, too_late, "t").await.status(), 409);
    assert_eq!(post(&strict.1, V2, late, "t").await.status(), 409);

    let query = QuiverProc::start(&["query", "--endpoint", &ooo.0.grpc()]).await;
    let t = format!("{:.3}", (now - 1000) as f64 / 1000.0);
    let mut values = Vec::new();
    for _ in 0..40 {
        let (status, v) =
            api_get(&query.url(), "/api/v1/query", &[("query", "quiver_v2[2m]"), ("time", &t)]).await;
        assert_eq!(status, 200, "{v}");
        values = v["data"]["result"][0]["values"]
            .as_array()
            .map(|a| a.iter().filter_map(|p| p[1].as_str().map(str::to_string)).collect())
            .unwrap_or_default();
        if !values.is_empty() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    }
    assert_eq!(values, ["1", "2", "3"], "the out-of-order sample in its place");
}
