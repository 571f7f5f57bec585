//! The `quiver` binary's own smoke tests. Having an integration test here also makes
//! `cargo test --workspace` build the binary that the `quiver-tests` crate runs.

use std::process::Command;

fn quiver() -> Command {
    Command::new(env!("CARGO_BIN_EXE_quiver"))
}

#[test]
fn help_lists_components_and_tools() {
    let out = quiver().arg("--help").output().expect("runs quiver");
    assert!(out.status.success());
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("up") && text.contains("tools"), "{text}");
    let out = quiver().args(["tools", "tsdb", "dump", "--help"]).output().expect("runs quiver");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("--min-time") && text.contains("--match"), "{text}");
}

#[test]
fn bad_input_is_a_clear_error_and_nonzero_exit() {
    let dir = tempfile::tempdir().expect("tempdir");
    let om = dir.path().join("bad.om");
    std::fs::write(&om, "m{a=\"1\"} 1\n").expect("write");
    let out = quiver()
        .args(["tools", "tsdb", "create-blocks-from", "openmetrics"])
        .arg(&om)
        .arg(dir.path().join("out"))
        .output()
        .expect("runs quiver");
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("line 1") && err.contains("expected timestamp"), "{err}");

    let out = quiver()
        .args(["tools", "bucket", "ls", "--objstore.config", "type: NOPE\nconfig: {}"])
        .output()
        .expect("runs quiver");
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("NOPE"));
}

#[tokio::test]
async fn up_router_serves_health_and_blocks() {
    use axum::body::Body;
    use axum::http::Request;
    use tower::ServiceExt;

    let dir = tempfile::tempdir().expect("tempdir");
    let store: std::sync::Arc<dyn object_store::ObjectStore> =
        std::sync::Arc::new(object_store::local::LocalFileSystem::new_with_prefix(dir.path()).expect("fs"));
    let series = vec![(
        quiver_proto::Labels::from_pairs([("__name__", "up")]).expect("labels"),
        vec![quiver_proto::Sample { t: 1000, v: 1.0 }],
    )];
    let metas = quiver_bucket::block::write_float_blocks(dir.path(), series, 7_200_000).expect("block");
    let app = quiver::up::router(
        store,
        quiver::up::QueryConfig::default(),
        quiver::up::Executor::new(2).expect("executor"),
    );
    let res = app
        .clone()
        .oneshot(Request::get("/-/healthy").body(Body::empty()).expect("request"))
        .await
        .expect("response");
    assert_eq!(res.status(), 200);
    let res = app
        .oneshot(Request::get("/api/v1/blocks").body(Body::empty()).expect("request"))
        .await
        .expect("response");
    assert_eq!(res.status(), 200);
    let body = axum::body::to_bytes(res.into_body(), 1 << 20).await.expect("body");
    let v: serde_json::Value = serde_json::from_slice(&body).expect("json");
    assert_eq!(v["data"]["blocks"][0]["ulid"], metas[0].ulid.to_string());
    assert_eq!(v["data"]["blocks"][0]["stats"]["numSamples"], 1);
}

#[tokio::test]
async fn up_router_answers_the_prometheus_query_api() {
    use axum::body::Body;
    use axum::http::Request;
    use tower::ServiceExt;

    let dir = tempfile::tempdir().expect("tempdir");
    let store: std::sync::Arc<dyn object_store::ObjectStore> =
        std::sync::Arc::new(object_store::local::LocalFileSystem::new_with_prefix(dir.path()).expect("fs"));
    let series = vec![(
        quiver_proto::Labels::from_pairs([("__name__", "up"), ("job", "a")]).expect("labels"),
        (0..10).map(|i| quiver_proto::Sample { t: i * 15_000, v: i as f64 }).collect(),
    )];
    quiver_bucket::block::write_float_blocks(dir.path(), series, 7_200_000).expect("block");
    let app = quiver::up::router(
        store,
        quiver::up::QueryConfig::default(),
        quiver::up::Executor::new(2).expect("executor"),
    );
    let call = async |req: Request<Body>| {
        let res = app.clone().oneshot(req).await.expect("response");
        let status = res.status().as_u16();
        let body = axum::body::to_bytes(res.into_body(), 1 << 20).await.expect("body");
        (status, serde_json::from_slice::<serde_json::Value>(&body).expect("json"))
    };

    let (status, v) =
        call(Request::get("/api/v1/query?query=up&time=100").body(Body::empty()).expect("req")).await;
    assert_eq!(status, 200, "{v}");
    assert_eq!(
        v,
        serde_json::json!({"status": "success", "data": {"resultType": "vector", "result": [
            {"metric": {"__name__": "up", "job": "a"}, "value": [100, "6"]}]}})
    );
    let post = Request::post("/api/v1/query_range")
        .header("content-type", "application/x-www-form-urlencoded")
        .body(Body::from("query=up%20*%202&start=30.5&end=60.5&step=15s"))
        .expect("req");
    let (status, v) = call(post).await;
    assert_eq!(status, 200, "{v}");
    assert_eq!(v["data"]["result"][0]["values"], serde_json::json!([[30.5, "4"], [45.5, "6"], [60.5, "8"]]));
    let (status, v) = call(Request::get("/api/v1/query?query=sum(").body(Body::empty()).expect("req")).await;
    assert_eq!((status, &v["status"], &v["errorType"]), (400, &"error".into(), &"bad_data".into()), "{v}");
    let (status, v) = call(Request::get("/api/v1/label/job/values").body(Body::empty()).expect("req")).await;
    assert_eq!((status, &v["data"]), (200, &serde_json::json!(["a"])), "{v}");
}
