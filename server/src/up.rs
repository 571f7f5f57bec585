//! `quiver up`: the all-in-one over a local directory: remote write into a WAL-backed head
//! (`/api/v1/receive`, `/api/v1/write`), Prometheus's query API over the head and the directory's
//! blocks merged (see [`crate::api`]), health and readiness, and the blocks themselves (as JSON
//! and as a page with a query box). Compaction and rules join as their issues land.

use std::future::IntoFuture;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;

use axum::extract::State;
use axum::response::Html;
use axum::routing::get;
use axum::{Json, Router};
use clap::Args;
use object_store::ObjectStore;
use object_store::local::LocalFileSystem;
use object_store::path::Path;
use quiver_bucket::block::{BlockMeta, BlockSource, list_blocks};
use serde_json::json;

pub use crate::api::QueryConfig;
use crate::api::{ApiError, ApiState, ReadConfig, Sources};
use crate::bucket_blocks::BucketBlocks;
use crate::error::CliError;
use crate::query_flags::QueryFlags;
use crate::receive::UpSources;
pub use quiver_engine::Executor;
use quiver_ingest::{Receiver, ReceiverConfig};

#[derive(Debug, Args)]
pub struct UpArgs {
    /// Directory of the local bucket; created if missing.
    #[arg(long = "data-dir", env = "QUIVER_DATA_DIR", default_value = "./data")]
    data_dir: PathBuf,
    /// Address to serve HTTP on.
    #[arg(long = "http-address", env = "QUIVER_HTTP_ADDRESS", default_value = "127.0.0.1:10902")]
    http_address: SocketAddr,
    /// How much time one block of received samples spans (Prometheus's 2h; shorter in tests).
    #[arg(long = "tsdb.block-duration", env = "QUIVER_TSDB_BLOCK_DURATION", default_value = "2h", value_parser = crate::query_flags::duration_flag, hide = true)]
    block_duration: std::time::Duration,
    #[command(flatten)]
    query: QueryFlags,
}

/// The HTTP API of the all-in-one over the bucket `store`, its queries run on `executor`, as a
/// function of its state so tests can call it without a socket.
pub fn router(store: Arc<dyn ObjectStore>, query: QueryConfig, executor: Executor) -> Router {
    let blocks = Arc::new(BucketBlocks::new(store));
    let sources = Arc::clone(&blocks) as Arc<dyn Sources>;
    with_blocks_pages(ApiState::new(sources, query, ReadConfig::default(), executor), blocks)
}

/// As [`router`], with remote write into `receiver`, whose heads queries see beside the bucket;
/// the bucket `store` is the local directory `dir`, whose block files are read in place.
pub fn router_with_receiver(
    store: Arc<dyn ObjectStore>,
    dir: PathBuf,
    receiver: Arc<Receiver>,
    max_write_bytes: usize,
    query: QueryConfig,
    executor: Executor,
) -> Router {
    let blocks = Arc::new(BucketBlocks::new(store).with_local_dir(dir));
    let sources = Arc::new(UpSources { blocks: Arc::clone(&blocks), receiver: Arc::clone(&receiver) });
    with_blocks_pages(ApiState::new(sources, query, ReadConfig::default(), executor), blocks)
        .merge(crate::receive::routes(receiver, max_write_bytes, crate::receive::TENANT_HEADER))
}

fn with_blocks_pages(state: ApiState, blocks: Arc<BucketBlocks>) -> Router {
    crate::api::component_router(state).merge(
        Router::new().route("/api/v1/blocks", get(blocks_json)).route("/", get(home_page)).with_state(blocks),
    )
}

async fn load_metas(store: &Arc<dyn ObjectStore>) -> Result<Vec<BlockMeta>, ApiError> {
    let mut out = Vec::new();
    for u in list_blocks(store, None).await? {
        let src = BlockSource::new(Arc::clone(store), Path::from(u.to_string()), u.to_string());
        // A block being uploaded has no meta.json yet; it is not a block until it has one.
        let Ok(raw) = src.get("meta.json").await else { continue };
        out.push(BlockMeta::parse(src.name(), &raw)?);
    }
    Ok(out)
}

/// The same shape as Thanos's bucket web `/api/v1/blocks`.
async fn blocks_json(State(b): State<Arc<BucketBlocks>>) -> Result<Json<serde_json::Value>, ApiError> {
    let metas = load_metas(b.bucket()).await?;
    Ok(Json(json!({"status": "success", "data": {"blocks": metas, "label": ""}})))
}

/// A query box (answered by `/api/v1/query` as JSON) and the blocks in the bucket.
async fn home_page(State(b): State<Arc<BucketBlocks>>) -> Result<Html<String>, ApiError> {
    let metas = load_metas(b.bucket()).await?;
    let mut rows = String::new();
    for m in &metas {
        rows.push_str(&format!(
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            m.ulid, m.min_time, m.max_time, m.stats.num_series, m.stats.num_samples, m.compaction.level
        ));
    }
    Ok(Html(format!(
        "<!doctype html><html><head><title>Quiver</title></head><body><h1>Quiver</h1>\
         <form action=\"/api/v1/query\" method=\"get\"><input name=\"query\" size=\"80\" \
         placeholder=\"PromQL, e.g. sum by (job) (rate(http_requests_total[5m]))\"> \
         <input type=\"submit\" value=\"Execute\"></form>\
         <h2>Blocks ({})</h2><table border=1><tr><th>ULID</th><th>min time</th><th>max time</th>\
         <th>series</th><th>samples</th><th>level</th></tr>{rows}</table></body></html>",
        metas.len()
    )))
}

pub async fn run(args: UpArgs) -> Result<(), CliError> {
    std::fs::create_dir_all(&args.data_dir).map_err(|e| CliError::io(args.data_dir.display(), e))?;
    let fs = LocalFileSystem::new_with_prefix(&args.data_dir)
        .map_err(|e| CliError::Usage(format!("{}: {e}", args.data_dir.display())))?;
    let query = args.query.config();
    let executor = query_executor(&query)?;
    let config = ReceiverConfig::default();
    let max_write = config.max_request_bytes;
    let wal_dir = args.data_dir.join("wal");
    let receiver =
        Receiver::open(&wal_dir, config).map_err(|e| CliError::Server(format!("opening the WAL: {e}")))?;
    let bucket: Arc<dyn ObjectStore> = Arc::new(fs);
    let receiver = Arc::new(receiver);
    let block_ms = i64::try_from(args.block_duration.as_millis()).unwrap_or(i64::MAX).max(1000);
    let targets = crate::receive::CutTargets {
        uploads: vec![Arc::clone(&bucket)],
        staging: args.data_dir.join("staging"),
        local: None,
        retention: None,
    };
    tokio::spawn(crate::receive::cut_blocks(Arc::clone(&receiver), targets, block_ms));
    let dir = std::fs::canonicalize(&args.data_dir).map_err(|e| CliError::io(args.data_dir.display(), e))?;
    let app = router_with_receiver(bucket, dir, receiver, max_write, query, executor);
    let (listener, addr) = bind(args.http_address).await?;
    announce(&format!(
        "Quiver is up at http://{addr}/ (bucket and WAL: {dir})\n\
         \n\
         Prometheus: add to prometheus.yml\n\
         \x20 remote_write:\n\
         \x20   - url: http://{addr}/api/v1/receive\n\
         \n\
         Grafana: add a Prometheus data source with the URL http://{addr}\n\
         Query:   curl 'http://{addr}/api/v1/query?query=up'",
        dir = args.data_dir.display()
    ));
    serve_http(listener, app).await
}

/// Binds `addr`; the listener and the address it got (port 0 picks one).
pub(crate) async fn bind(addr: SocketAddr) -> Result<(tokio::net::TcpListener, SocketAddr), CliError> {
    let l = tokio::net::TcpListener::bind(addr).await.map_err(|e| CliError::io(addr, e))?;
    let local = l.local_addr().map_err(|e| CliError::io(addr, e))?;
    Ok((l, local))
}

/// Serves `app` on `listener` until SIGTERM or Ctrl-C, finishing the requests in flight.
pub(crate) async fn serve_http(listener: tokio::net::TcpListener, app: Router) -> Result<(), CliError> {
    // The accept loop runs on a worker, not on the thread that awaits this (the process's main
    // thread, outside the workers): a connection accepted there would be one more thread to wake
    // and hand over from on every request.
    let serve = axum::serve(listener, app).with_graceful_shutdown(shutdown_signal()).into_future();
    match tokio::spawn(serve).await {
        Ok(r) => r.map_err(|e| CliError::Server(e.to_string())),
        Err(e) => Err(CliError::Server(format!("the HTTP server stopped: {e}"))),
    }
}

/// The runtime queries run on: a thread per partition a query splits into.
pub(crate) fn query_executor(query: &QueryConfig) -> Result<Executor, CliError> {
    let threads = query.engine_options().partition_count();
    Executor::new(threads).map_err(|e| CliError::Server(format!("starting the query runtime: {e}")))
}

#[allow(clippy::print_stdout)]
pub(crate) fn announce(msg: &str) {
    println!("{msg}");
}

pub(crate) async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! { () = ctrl_c => {}, () = term => {} }
    tracing::info!("shutting down");
}
