//! The HTTP query API, driven in-process through the router (no socket): any method, endpoint,
//! query string and form body gets an HTTP answer, and the same router keeps answering a
//! well-formed query after it. Evaluation runs for real over a small block.
#![no_main]

use std::sync::{Arc, OnceLock};
use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::http::Request;
use libfuzzer_sys::fuzz_target;
use quiver_proto::{Labels, Sample};
use tower::ServiceExt;

struct Fixture {
    rt: tokio::runtime::Runtime,
    app: Router,
    _dir: tempfile::TempDir,
}

const ENDPOINTS: [&str; 8] = [
    "/api/v1/query",
    "/api/v1/query_range",
    "/api/v1/series",
    "/api/v1/labels",
    "/api/v1/label/job/values",
    "/api/v1/query_exemplars",
    "/api/v1/metadata",
    "/api/v1/status/buildinfo",
];

fn fixture() -> &'static Fixture {
    static F: OnceLock<Fixture> = OnceLock::new();
    F.get_or_init(|| {
        let dir = tempfile::tempdir().expect("tempdir");
        let series = (0..20)
            .map(|i| {
                let pairs = [("__name__", "up".to_string()), ("job", format!("j{}", i % 3)), ("i", i.to_string())];
                let labels = Labels::from_pairs(pairs).expect("labels");
                (labels, (0..240).map(|k| Sample { t: k * 15_000, v: (i * k) as f64 }).collect())
            })
            .collect();
        quiver_bucket::block::write_float_blocks(dir.path(), series, 7_200_000).expect("block");
        let store: Arc<dyn object_store::ObjectStore> =
            Arc::new(object_store::local::LocalFileSystem::new_with_prefix(dir.path()).expect("fs"));
        let query = quiver::up::QueryConfig {
            timeout: Duration::from_secs(2),
            max_memory: 64 << 20,
            ..quiver::up::QueryConfig::default()
        };
        let executor = quiver::up::Executor::new(2).expect("executor");
        let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().expect("rt");
        let app = quiver::up::router(store, query, executor);
        Fixture { rt, app, _dir: dir }
    })
}

fuzz_target!(|data: &[u8]| {
    let Some((&pick, rest)) = data.split_first() else { return };
    let f = fixture();
    let path = ENDPOINTS[usize::from(pick) % ENDPOINTS.len()];
    let text = String::from_utf8_lossy(rest);
    let (query_string, body) = text.split_once('\n').unwrap_or((&text, ""));
    let uri = format!("{path}?{}", query_string.replace([' ', '#'], "+"));
    let req = if pick & 0x80 == 0 {
        Request::get(uri).body(Body::empty())
    } else {
        Request::post(uri)
            .header("content-type", "application/x-www-form-urlencoded")
            .body(Body::from(body.to_string()))
    };
    let Ok(req) = req else { return };
    f.rt.block_on(async {
        let res = f.app.clone().oneshot(req).await.expect("the router always answers");
        assert!(res.status().as_u16() < 600);
        let _ = axum::body::to_bytes(res.into_body(), 64 << 20).await;
        let check = Request::get("/api/v1/query?query=count(up)&time=600").body(Body::empty()).expect("request");
        let res = f.app.clone().oneshot(check).await.expect("the router always answers");
        assert_eq!(res.status(), 200, "a well-formed query after a fuzzed one");
    });
});
