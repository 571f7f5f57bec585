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
    let app = quiver::up::router(store);
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
