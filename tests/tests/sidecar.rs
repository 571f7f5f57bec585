//! `quiver sidecar` beside a real Prometheus 2.42 scraping itself every second, with blocks of
//! 10 s (`--storage.tsdb.min-block-duration` = `max-block-duration`) so that Prometheus cuts and
//! the sidecar ships several while the test runs.
//!
//! - `quiver query` over the sidecar returns exactly Prometheus's raw samples, with the external
//!   labels of Prometheus's configuration added;
//! - the shipped blocks are in the bucket with Thanos's `meta.json` (`source: sidecar`, the
//!   external labels, the files), `thanos.shipper.json` lists them, and a restarted sidecar
//!   uploads none of them again;
//! - a store gateway over the bucket and the sidecar behind one querier answer as Prometheus
//!   over a window spanning shipped blocks and the head: nothing counted twice;
//! - the reloader expands `$(VAR)`s into the file Prometheus reads and makes Prometheus reload a
//!   changed configuration (a new external label, which the sidecar then serves); a broken one is
//!   a failed reload, counted, and the sidecar stays up;
//! - Prometheus killed: the sidecar reports it and stays up, the querier answers with a warning;
//!   Prometheus back: the sidecar serves it again.
//! - Over an S3 emulator, the shipped blocks are served by `quiver store`.

use std::collections::BTreeMap;
use std::path::Path;
use std::time::Duration;

use quiver_tests::prometheus::Prometheus;
use quiver_tests::quiver_proc::{QuiverProc, metric, store_gateway};
use quiver_tests::quiver_up::api_get;
use quiver_tests::s3::S3Emulator;
use quiver_tests::samples::{agree, by_series, now_s};

const SELECTOR: &str = r#"{job="self"}[8s]"#;
const EXTERNAL: &[(&str, &str)] = &[("cluster", "test"), ("replica", "a")];
const BLOCKS_OF_10S: &[&str] = &[
    "--storage.tsdb.min-block-duration=10s",
    "--storage.tsdb.max-block-duration=10s",
    "--web.enable-lifecycle",
];

/// Prometheus's configuration as a reloader template: the replica comes from the sidecar's
/// environment; `extra` adds external labels.
fn template(port: u16, extra: &str) -> String {
    format!(
        "global:\n  scrape_interval: 1s\n  external_labels:\n    cluster: test\n    replica: $(QUIVER_TEST_REPLICA)\n{extra}\
         scrape_configs:\n  - job_name: self\n    static_configs:\n      - targets: ['127.0.0.1:{port}']\n"
    )
}

fn objstore_dir(dir: &Path) -> String {
    std::fs::create_dir_all(dir).expect("bucket dir");
    format!("type: FILESYSTEM\nconfig:\n  directory: {}\n", dir.display())
}

/// The `meta.json` of each block the sidecar shipped to a directory bucket, by ULID.
fn shipped(bucket: &Path) -> BTreeMap<String, serde_json::Value> {
    let Ok(dir) = std::fs::read_dir(bucket) else { return BTreeMap::new() };
    dir.filter_map(|e| e.ok())
        .filter_map(|e| {
            let raw = std::fs::read(e.path().join("meta.json")).ok()?;
            let meta: serde_json::Value = serde_json::from_slice(&raw).ok()?;
            Some((e.file_name().to_string_lossy().to_string(), meta))
        })
        .filter(|(_, m)| m["thanos"]["source"] == "sidecar")
        .collect()
}

/// Waits up to 90 s for `cond` (Prometheus cuts its second 10 s block about 30 s after it
/// starts, later on a loaded machine).
async fn eventually<F: Future<Output = bool>>(what: &str, mut cond: impl FnMut() -> F) {
    for _ in 0..180 {
        if cond().await {
            return;
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    panic!("timed out waiting for {what}");
}

fn sidecar_args<'a>(
    prom: &'a str,
    tsdb: &'a str,
    objstore: &'a str,
    tmpl: &'a str,
    out: &'a str,
) -> Vec<&'a str> {
    vec![
        "sidecar",
        "--prometheus.url",
        prom,
        "--tsdb.path",
        tsdb,
        "--objstore.config",
        objstore,
        "--shipper.sync-interval=1s",
        "--prometheus.get_config_interval=1s",
        "--reloader.config-file",
        tmpl,
        "--reloader.config-envsubst-file",
        out,
        "--reloader.retry-interval=1s",
    ]
}

async fn prometheus_config(prom: &Prometheus) -> String {
    let (_, v) = api_get(&prom.url(), "/api/v1/status/config", &[]).await;
    v["data"]["yaml"].as_str().unwrap_or_default().to_string()
}

#[tokio::test]
async fn sidecar_serves_ships_and_reloads() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let tsdb = tmp.path().join("prometheus");
    let bucket = tmp.path().join("bucket");
    let objstore = objstore_dir(&bucket);
    let tmpl = tmp.path().join("prometheus.yml.tmpl");
    let mut prom = Prometheus::start_with_config(
        &tsdb,
        |port| template(port, "").replace("$(QUIVER_TEST_REPLICA)", "a"),
        BLOCKS_OF_10S,
    )
    .await;
    std::fs::write(&tmpl, template(prom.port(), "")).expect("template");
    let (url, tsdb_s, tmpl_s) = (prom.url(), tsdb.display().to_string(), tmpl.display().to_string());
    let out = prom.config_path().display().to_string();
    let args = sidecar_args(&url, &tsdb_s, &objstore, &tmpl_s, &out);
    let env = [("QUIVER_TEST_REPLICA", "a")];
    let mut sidecar = QuiverProc::start_with_env(&args, &env).await;
    let query = QuiverProc::start(&["query", "--endpoint", &sidecar.grpc()]).await;

    // The querier over the sidecar answers as Prometheus; blocks are cut and shipped meanwhile.
    agree(&prom, &query.url(), SELECTOR, EXTERNAL, || shipped(&bucket).len() >= 2).await;
    let blocks = shipped(&bucket);
    for (ulid, meta) in &blocks {
        assert_eq!(
            meta["thanos"]["labels"],
            serde_json::json!({"cluster": "test", "replica": "a"}),
            "{meta}"
        );
        assert_eq!(meta["compaction"]["level"], 1, "{meta}");
        let files: Vec<&str> = meta["thanos"]["files"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|f| f["rel_path"].as_str())
            .collect();
        assert!(files.contains(&"index") && files.contains(&"chunks/000001"), "{files:?}");
        assert!(bucket.join(ulid).join("index").is_file());
    }
    let record: serde_json::Value =
        serde_json::from_slice(&std::fs::read(tsdb.join("thanos.shipper.json")).expect("shipper record"))
            .expect("json");
    assert_eq!(record["version"], 1);
    let recorded: Vec<&str> =
        record["uploaded"].as_array().into_iter().flatten().filter_map(|u| u.as_str()).collect();
    for ulid in blocks.keys() {
        assert!(recorded.contains(&ulid.as_str()), "{ulid} not in {record}");
    }

    // A store gateway over the bucket beside the sidecar: a window over shipped blocks and the
    // head answers as Prometheus, no sample twice.
    let store = store_gateway(&objstore, &tmp.path().join("store"), &[]).await;
    let both =
        QuiverProc::start(&["query", "--endpoint", &sidecar.grpc(), "--endpoint", &store.grpc()]).await;
    let first_ms = blocks.values().filter_map(|m| m["minTime"].as_i64()).min().expect("a block");
    let t = now_s() - 2.0;
    let window = format!(r#"{{job="self"}}[{}s]"#, (t - first_ms as f64 / 1000.0).ceil() as i64 + 3);
    let t = format!("{t:.3}");
    let (_, theirs) = api_get(&prom.url(), "/api/v1/query", &[("query", &window), ("time", &t)]).await;
    let theirs = by_series(&theirs, &[]);
    eventually("the store and the sidecar to answer as Prometheus", || {
        let (url, window, t, theirs) = (both.url(), window.clone(), t.clone(), theirs.clone());
        async move {
            let (_, mine) = api_get(&url, "/api/v1/query", &[("query", &window), ("time", &t)]).await;
            by_series(&mine, EXTERNAL) == theirs
        }
    })
    .await;
    let only_store = QuiverProc::start(&["query", "--endpoint", &store.grpc()]).await;
    let (_, from_store) =
        api_get(&only_store.url(), "/api/v1/query", &[("query", &window), ("time", &t)]).await;
    assert!(
        by_series(&from_store, EXTERNAL).len() > 100,
        "the store serves the shipped blocks: {from_store}"
    );

    // A restarted sidecar uploads nothing twice.
    let modified =
        |ulid: &str| std::fs::metadata(bucket.join(ulid).join("meta.json")).and_then(|m| m.modified()).ok();
    let before: BTreeMap<String, _> = shipped(&bucket).keys().map(|u| (u.clone(), modified(u))).collect();
    drop(sidecar);
    sidecar = QuiverProc::start_with_env(&args, &env).await;
    tokio::time::sleep(Duration::from_secs(4)).await;
    for (ulid, when) in &before {
        assert_eq!(&modified(ulid), when, "{ulid} uploaded again after a restart");
    }
    let uploads = metric(&sidecar.url(), "thanos_shipper_uploads_total").await;
    assert!(uploads <= (shipped(&bucket).len() - before.len()) as f64, "{uploads} uploads after a restart");

    // The reloader: a new external label reaches Prometheus, then the sidecar's series.
    std::fs::write(&tmpl, template(prom.port(), "    stage: two\n")).expect("template");
    eventually("Prometheus to reload with the new label", || {
        let prom = &prom;
        async move { prometheus_config(prom).await.contains("stage: two") }
    })
    .await;
    assert!(prometheus_config(&prom).await.contains("replica: a"), "the template's $(VAR) is expanded");
    let query = QuiverProc::start(&["query", "--endpoint", &sidecar.grpc()]).await;
    eventually("the sidecar to serve the new external label", || {
        let url = query.url();
        async move {
            let (_, v) = api_get(&url, "/api/v1/query", &[("query", r#"up{job="self"}"#)]).await;
            v["data"]["result"][0]["metric"]["stage"] == "two"
        }
    })
    .await;
    assert!(metric(&sidecar.url(), "reloader_reloads_total").await >= 1.0);

    // A broken configuration: a failed reload, counted; Prometheus keeps the last good one.
    std::fs::write(&tmpl, "global:\n  scrape_interval: not-a-duration\n").expect("template");
    eventually("a failed reload", || {
        let url = sidecar.url();
        async move { metric(&url, "reloader_reloads_failed_total").await >= 1.0 }
    })
    .await;
    assert!(prometheus_config(&prom).await.contains("stage: two"));
    let healthy = reqwest::get(format!("{}/-/healthy", sidecar.url())).await.expect("healthy");
    assert_eq!(healthy.status(), 200);
    let good = template(prom.port(), "    stage: two\n");
    std::fs::write(&tmpl, &good).expect("template");
    let expanded = good.replace("$(QUIVER_TEST_REPLICA)", "a");
    eventually("the good configuration written back", || {
        let out = out.clone();
        let expanded = expanded.clone();
        async move { std::fs::read_to_string(&out).is_ok_and(|s| s == expanded) }
    })
    .await;

    // Prometheus down: the sidecar says so and stays up; the querier warns. Then back.
    prom.kill();
    eventually("the sidecar to notice Prometheus is down", || {
        let url = sidecar.url();
        async move { metric(&url, "thanos_sidecar_prometheus_up").await == 0.0 }
    })
    .await;
    let (status, v) = api_get(&query.url(), "/api/v1/query", &[("query", r#"up{job="self"}"#)]).await;
    assert_eq!(status, 200, "{v}");
    assert!(
        v["warnings"].to_string().contains(&prom.url()),
        "a warning naming the sidecar's Prometheus: {v}"
    );
    prom.restart().await;
    let external = [("cluster", "test"), ("replica", "a"), ("stage", "two")];
    agree(&prom, &query.url(), SELECTOR, &external, || true).await;
    assert_eq!(metric(&sidecar.url(), "thanos_sidecar_prometheus_up").await, 1.0);
    eprintln!("{} blocks shipped; {} uploads after the restart", blocks.len(), uploads);
}

#[tokio::test]
async fn sidecar_ships_to_s3_for_the_store_gateway() {
    let s3 = S3Emulator::start().expect("S3 emulator");
    let objstore = s3.objstore_yaml(None);
    let tmp = tempfile::tempdir().expect("tempdir");
    let tsdb = tmp.path().join("prometheus");
    let prom = Prometheus::start_with_config(
        &tsdb,
        |port| template(port, "").replace("$(QUIVER_TEST_REPLICA)", "a"),
        BLOCKS_OF_10S,
    )
    .await;
    let tsdb_s = tsdb.display().to_string();
    let url = prom.url();
    let _sidecar = QuiverProc::start(&[
        "sidecar",
        "--prometheus.url",
        &url,
        "--tsdb.path",
        &tsdb_s,
        "--objstore.config",
        &objstore,
        "--shipper.sync-interval=1s",
    ])
    .await;
    let store = store_gateway(&objstore, &tmp.path().join("store"), &[]).await;
    let query = QuiverProc::start(&["query", "--endpoint", &store.grpc()]).await;
    // Two shipped blocks: the second covers a whole 10 s range, so a 3 s window before its end
    // lies inside it.
    let record = tsdb.join("thanos.shipper.json");
    let mut uploaded = Vec::new();
    eventually("two blocks shipped to S3", || {
        let record = record.clone();
        let got = std::fs::read(&record)
            .ok()
            .and_then(|raw| serde_json::from_slice::<serde_json::Value>(&raw).ok())
            .map(|v| v["uploaded"].as_array().cloned().unwrap_or_default())
            .unwrap_or_default();
        uploaded = got.clone();
        async move { got.len() >= 2 }
    })
    .await;
    let ulid = uploaded[1].as_str().expect("ulid");
    let meta: serde_json::Value =
        serde_json::from_slice(&std::fs::read(tsdb.join(ulid).join("meta.json")).expect("local meta"))
            .expect("json");
    let t = format!("{:.3}", (meta["maxTime"].as_i64().expect("maxTime") - 1) as f64 / 1000.0);
    let selector = r#"{job="self"}[3s]"#;
    let (_, theirs) = api_get(&prom.url(), "/api/v1/query", &[("query", selector), ("time", &t)]).await;
    let theirs = by_series(&theirs, &[]);
    assert!(theirs.len() > 100, "{} series", theirs.len());
    eventually("the store gateway to serve the shipped block from S3", || {
        let (url, t, theirs) = (query.url(), t.clone(), theirs.clone());
        async move {
            let (_, mine) = api_get(&url, "/api/v1/query", &[("query", selector), ("time", &t)]).await;
            by_series(&mine, EXTERNAL) == theirs
        }
    })
    .await;
}
