//! The store gateway's index cache, as Thanos's `--index-cache.config`: four `quiver store`
//! processes over the same promtool-made bucket (no cache, `IN-MEMORY`, `MEMCACHED` against a
//! real memcached, and no flag at all: Thanos's default, in memory, 250 MB) answer every query
//! alike; repeated queries hit the caches (the gateways' metrics and memcached's own stats say
//! so) and read fewer bytes from the bucket; a memcached that goes away turns into misses, never
//! into errors.

use std::time::Duration;

use quiver_tests::bins::promtool_bucket;
use quiver_tests::memcached::Memcached;
use quiver_tests::quiver_proc::{QuiverProc, metric, store_gateway};
use quiver_tests::quiver_up::api_get;

const QUERIES: &[&str] = &[
    "sum by (job) (rate(http_requests_total[5m]))",
    r#"http_requests_total{job="api",method="GET"}"#,
    "count(node_memory_usage_bytes)",
];

async fn store(objstore: &str, data: &std::path::Path, cache: Option<&str>) -> QuiverProc {
    match cache {
        Some(c) => store_gateway(objstore, data, &["--index-cache.config", c]).await,
        None => store_gateway(objstore, data, &["--index-cache-size=0"]).await,
    }
}

async fn fetched(s: &QuiverProc) -> f64 {
    metric(&s.url(), "quiver_store_bucket_bytes_fetched_total").await
}

/// Every query, instant and range, through each querier; all must answer alike.
async fn round(queriers: &[&QuiverProc]) -> usize {
    let mut compared = 0;
    for q in QUERIES {
        for (path, params) in [
            ("/api/v1/query", vec![("query", *q), ("time", "1699995432.1")]),
            (
                "/api/v1/query_range",
                vec![("query", *q), ("start", "1699986012.5"), ("end", "1699998012.5"), ("step", "120")],
            ),
        ] {
            let (status, first) = api_get(&queriers[0].url(), path, &params).await;
            assert_eq!(status, 200, "{first}");
            assert!(first["data"]["result"].as_array().is_some_and(|r| !r.is_empty()), "{path} {q}: {first}");
            for other in &queriers[1..] {
                let (status, v) = api_get(&other.url(), path, &params).await;
                assert_eq!((status, &v), (200, &first), "{path} {q}");
            }
            compared += 1;
        }
    }
    compared
}

#[tokio::test]
async fn index_caches_in_memory_and_in_memcached() {
    if quiver_tests::shared::testbench_or_skip("index_cache::index_caches_in_memory_and_in_memcached")
        .is_none()
    {
        return;
    }
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = tmp.path();
    let (_, _, objstore) = promtool_bucket(dir, 60, 4.0);

    let mut memcached = Memcached::start();
    let mc = format!("type: MEMCACHED\nconfig:\n  addresses: [\"{}\"]\n  timeout: 1s\n", memcached.address());
    let plain = store(&objstore, &dir.join("plain"), None).await;
    let in_memory =
        store(&objstore, &dir.join("mem"), Some("type: IN-MEMORY\nconfig:\n  max_size: 64MB\n")).await;
    let memcache = store(&objstore, &dir.join("mc"), Some(&mc)).await;
    // No cache flag: Thanos's default, a 250 MB in-memory cache.
    let default = store_gateway(&objstore, &dir.join("default"), &[]).await;
    let mut queriers = Vec::new();
    for s in [&plain, &in_memory, &memcache, &default] {
        queriers.push(QuiverProc::start(&["query", "--endpoint", &s.grpc()]).await);
    }
    let q: Vec<&QuiverProc> = queriers.iter().collect();

    let cold = (fetched(&plain).await, fetched(&in_memory).await);
    let compared = round(&q).await;
    let first = (fetched(&plain).await - cold.0, fetched(&in_memory).await - cold.1);
    // memcached is written in the background: give the first round's writes a moment.
    tokio::time::sleep(Duration::from_millis(500)).await;
    let warm = (fetched(&plain).await, fetched(&in_memory).await);
    round(&q).await;
    let second = (fetched(&plain).await - warm.0, fetched(&in_memory).await - warm.1);

    for s in [&in_memory, &memcache, &default] {
        let requests = metric(&s.url(), "thanos_store_index_cache_requests_total").await;
        let hits = metric(&s.url(), "thanos_store_index_cache_hits_total").await;
        assert!(requests > 0.0 && hits > 0.0 && hits < requests, "{requests} lookups, {hits} hits");
    }
    assert_eq!(metric(&plain.url(), "thanos_store_index_cache_requests_total").await, 0.0);
    // Without a cache, a repeated round reads the bucket as much; with one, less (indexes come
    // from the cache, chunks still from the bucket).
    assert_eq!(first.0, second.0, "uncached reads repeat");
    assert!(second.1 < first.1, "cached: {} bytes read, then {}", first.1, second.1);
    let stats = memcached.stats();
    let num = |k: &str| stats.get(k).and_then(|v| v.parse::<u64>().ok()).unwrap_or(0);
    assert!(num("curr_items") > 0 && num("get_hits") > 0, "{stats:?}");

    // memcached gone: misses, the same answers.
    memcached.kill();
    round(&q).await;
    eprintln!(
        "{compared} answers alike per round; bucket bytes per round: uncached {} then {}, in-memory cache {} then {}; memcached items {}, hits {}",
        first.0,
        second.0,
        first.1,
        second.1,
        num("curr_items"),
        num("get_hits")
    );
}
