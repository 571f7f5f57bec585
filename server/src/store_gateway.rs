//! `quiver store`: a store gateway, as `thanos store`. It serves a bucket's blocks over StoreAPI
//! (gRPC `Store` and `Info`), with each block's external labels. The bucket is synced every
//! `--sync-block-duration` (and once before it is ready): new blocks are opened, deleted ones
//! dropped, blocks outside `--min-time`/`--max-time` and blocks marked for deletion longer ago
//! than `--ignore-deletion-marks-delay` left out. Requests read the last synced set and never
//! list the bucket.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use clap::Args;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::Histogram;
use prometheus_client::registry::Registry;
use quiver_bucket::index_cache::{IndexCache, default_index_cache, index_cache_from_yaml};
use quiver_bucket::selector::BlockSelector;
use quiver_engine::storage::BlockStore;
use quiver_proto::{SeriesStore, StoreInfo};

use crate::bucket_blocks::{BlockFilter, BucketBlocks};
use crate::cli::ObjstoreArgs;
use crate::error::CliError;
use crate::grpc::{RequestLimits, Served};

#[derive(Debug, Args)]
pub struct StoreArgs {
    #[command(flatten)]
    objstore: ObjstoreArgs,
    /// Local directory for the gateway's state.
    #[arg(long = "data-dir", env = "QUIVER_DATA_DIR", default_value = "./data")]
    data_dir: PathBuf,
    /// Address to serve StoreAPI (gRPC) on.
    #[arg(long = "grpc-address", env = "QUIVER_GRPC_ADDRESS", default_value = "0.0.0.0:10901")]
    grpc_address: SocketAddr,
    /// Address to serve health, readiness and metrics on.
    #[arg(long = "http-address", env = "QUIVER_HTTP_ADDRESS", default_value = "0.0.0.0:10902")]
    http_address: SocketAddr,
    /// How often the bucket is synced.
    #[arg(long = "sync-block-duration", env = "QUIVER_SYNC_BLOCK_DURATION", default_value = "15m", value_parser = crate::query_flags::duration_flag)]
    sync_interval: Duration,
    /// Serve only blocks with data at or after this time: RFC 3339, or relative to now as
    /// `-2w`, `-36h`.
    #[arg(long = "min-time", env = "QUIVER_MIN_TIME", value_parser = time_flag)]
    min_time: Option<TimeFlag>,
    /// Serve only blocks with data at or before this time (same forms as `--min-time`).
    #[arg(long = "max-time", env = "QUIVER_MAX_TIME", value_parser = time_flag)]
    max_time: Option<TimeFlag>,
    /// Blocks marked for deletion longer ago than this are no longer served.
    #[arg(long = "ignore-deletion-marks-delay", env = "QUIVER_IGNORE_DELETION_MARKS_DELAY", default_value = "24h", value_parser = crate::query_flags::duration_flag)]
    deletion_delay: Duration,
    /// A YAML file of relabel rules (keep, drop, hashmod) over each block's external labels and
    /// `__block_id`, selecting the blocks this gateway serves (Thanos's sharding).
    #[arg(long = "selector.relabel-config-file", env = "QUIVER_SELECTOR_RELABEL_CONFIG_FILE")]
    selector_file: Option<PathBuf>,
    /// The same rules as inline YAML.
    #[arg(long = "selector.relabel-config", env = "QUIVER_SELECTOR_RELABEL_CONFIG")]
    selector: Option<String>,
    /// A YAML file configuring the index cache, as Thanos's: `type: IN-MEMORY` (`max_size`,
    /// `max_item_size`) or `type: MEMCACHED` (`addresses`, `timeout`, `max_item_size`).
    #[arg(long = "index-cache.config-file", env = "QUIVER_INDEX_CACHE_CONFIG_FILE")]
    index_cache_file: Option<PathBuf>,
    /// The index cache configuration as inline YAML.
    #[arg(long = "index-cache.config", env = "QUIVER_INDEX_CACHE_CONFIG")]
    index_cache: Option<String>,
    /// Without an index cache configuration: an in-memory cache of this size (Thanos's default);
    /// 0 for none.
    #[arg(long = "index-cache-size", env = "QUIVER_INDEX_CACHE_SIZE", default_value = "250MB")]
    index_cache_size: String,
    /// Most series one request may touch; 0 for no limit.
    #[arg(
        long = "store.limits.request-series",
        env = "QUIVER_STORE_LIMITS_REQUEST_SERIES",
        default_value_t = 0
    )]
    limit_series: u64,
    /// Most samples one request may touch; 0 for no limit.
    #[arg(
        long = "store.limits.request-samples",
        env = "QUIVER_STORE_LIMITS_REQUEST_SAMPLES",
        default_value_t = 0
    )]
    limit_samples: u64,
}

/// A time flag: absolute milliseconds, or an offset from now resolved at each sync.
#[derive(Debug, Clone, Copy)]
pub(crate) enum TimeFlag {
    At(i64),
    FromNow(i64),
}

impl TimeFlag {
    pub(crate) fn resolve(self) -> i64 {
        match self {
            TimeFlag::At(t) => t,
            TimeFlag::FromNow(d) => crate::api::now_ms() + d,
        }
    }
}

/// Thanos's time flags: RFC 3339, or a duration relative to now (`-2w`, `-1h30m`, `0d`).
pub(crate) fn time_flag(s: &str) -> Result<TimeFlag, String> {
    if let Ok(t) = chrono::DateTime::parse_from_rfc3339(s) {
        return Ok(TimeFlag::At(t.timestamp_millis()));
    }
    let (neg, d) = match s.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, s.strip_prefix('+').unwrap_or(s)),
    };
    let ns = crate::api::parse_prometheus_duration(d)
        .map_err(|e| format!("{s:?} is neither RFC 3339 nor a duration relative to now: {e}"))?;
    let ms = ns / 1_000_000;
    Ok(TimeFlag::FromNow(if neg { -ms } else { ms }))
}

/// What the gateway serves: the blocks of its last sync.
#[derive(Debug)]
pub(crate) struct Gateway {
    blocks: Arc<BucketBlocks>,
    min_time: Option<TimeFlag>,
    max_time: Option<TimeFlag>,
    deletion_delay: Duration,
    selector: BlockSelector,
    ready: Arc<AtomicBool>,
    metrics: GatewayMetrics,
}

/// The gateway's metrics, named as Thanos's store gateway names them where it has the same.
#[derive(Debug, Clone)]
struct GatewayMetrics {
    blocks_loaded: Gauge,
    syncs: Counter,
    sync_failures: Counter,
    sync_duration: Histogram,
    cache_requests: Counter,
    cache_hits: Counter,
    bytes_fetched: Counter,
    requests: Family<Vec<(String, String)>, Counter>,
}

impl GatewayMetrics {
    fn new(cache: Option<&Arc<dyn IndexCache>>) -> Self {
        let stats = cache.map(|c| c.stats().clone()).unwrap_or_default();
        Self {
            blocks_loaded: Gauge::default(),
            syncs: Counter::default(),
            sync_failures: Counter::default(),
            sync_duration: crate::metrics::latency_histogram(),
            cache_requests: stats.requests,
            cache_hits: stats.hits,
            bytes_fetched: Counter::default(),
            requests: Family::default(),
        }
    }

    fn register(&self, r: &mut Registry) {
        r.register(
            "thanos_bucket_store_blocks_loaded",
            "Blocks the store gateway serves.",
            self.blocks_loaded.clone(),
        );
        r.register("thanos_blocks_meta_syncs", "Bucket syncs.", self.syncs.clone());
        r.register(
            "thanos_blocks_meta_sync_failures",
            "Bucket syncs that failed.",
            self.sync_failures.clone(),
        );
        r.register(
            "thanos_blocks_meta_sync_duration_seconds",
            "How long bucket syncs take.",
            self.sync_duration.clone(),
        );
        r.register(
            "thanos_store_index_cache_requests",
            "Index ranges looked up in the index cache.",
            self.cache_requests.clone(),
        );
        r.register(
            "thanos_store_index_cache_hits",
            "Index ranges found in the index cache.",
            self.cache_hits.clone(),
        );
        r.register(
            "quiver_store_bucket_bytes_fetched",
            "Bytes read from the bucket (indexes and chunks).",
            self.bytes_fetched.clone(),
        );
        r.register("quiver_storeapi_requests", "StoreAPI requests, by method.", self.requests.clone());
    }
}

impl Gateway {
    fn filter(&self) -> BlockFilter {
        BlockFilter {
            min_time: self.min_time.map(TimeFlag::resolve),
            max_time: self.max_time.map(TimeFlag::resolve),
            deletion_delay: Some(self.deletion_delay),
            selector: self.selector.clone(),
        }
    }

    /// One sync of the bucket; readiness comes with the first that succeeds.
    pub(crate) async fn sync(&self) -> Result<usize, quiver_bucket::Error> {
        let start = Instant::now();
        let out = self.blocks.sync(&self.filter()).await;
        self.metrics.syncs.inc();
        self.metrics.sync_duration.observe(start.elapsed().as_secs_f64());
        match &out {
            Ok(n) => {
                self.metrics.blocks_loaded.set(i64::try_from(*n).unwrap_or(i64::MAX));
                self.ready.store(true, Ordering::Release);
                tracing::debug!(blocks = n, "bucket synced");
            }
            Err(e) => {
                self.metrics.sync_failures.inc();
                tracing::warn!("bucket sync failed: {e}");
            }
        }
        out
    }

    fn block_store(&self) -> Arc<BlockStore> {
        let blocks = self.blocks.synced().map(|b| b.as_ref().clone()).unwrap_or_default();
        Arc::new(BlockStore::new(blocks))
    }
}

impl Served for Gateway {
    fn store(&self, _partial_response: bool) -> Arc<dyn SeriesStore> {
        let window = (self.min_time.map(TimeFlag::resolve), self.max_time.map(TimeFlag::resolve));
        Arc::new(GatewayStore { store: self.block_store(), window })
    }

    fn component(&self) -> &'static str {
        quiver_proto::store::wire::COMPONENT_STORE
    }

    fn on_request(&self, method: &'static str) {
        self.metrics.requests.get_or_create(&vec![("method".to_string(), method.to_string())]).inc();
    }
}

/// The blocks of one sync, with `Info` as Thanos's store gateway gives it: the distinct external
/// label sets of its blocks and their time range, clipped to the configured window.
#[derive(Debug)]
struct GatewayStore {
    store: Arc<BlockStore>,
    window: (Option<i64>, Option<i64>),
}

impl SeriesStore for GatewayStore {
    fn name(&self) -> &str {
        "store"
    }

    fn info(&self) -> quiver_proto::StoreFuture<'_, StoreInfo> {
        Box::pin(async move {
            let mut info = self.store.info().await?;
            if self.store.blocks().is_empty() {
                info.min_time = i64::MIN;
                info.max_time = i64::MAX;
            }
            if let Some(t) = self.window.0 {
                info.min_time = info.min_time.max(t);
            }
            if let Some(t) = self.window.1 {
                info.max_time = info.max_time.min(t);
            }
            Ok(info)
        })
    }

    fn series(self: Arc<Self>, req: quiver_proto::SeriesRequest) -> quiver_proto::SeriesStream {
        Arc::clone(&self.store).series(req)
    }

    fn shards_exactly(&self) -> bool {
        self.store.shards_exactly()
    }

    fn label_names<'a>(
        &'a self,
        req: &'a quiver_proto::LabelsRequest,
    ) -> quiver_proto::StoreFuture<'a, quiver_proto::LabelsAnswer> {
        self.store.label_names(req)
    }

    fn label_values<'a>(
        &'a self,
        name: &'a str,
        req: &'a quiver_proto::LabelsRequest,
    ) -> quiver_proto::StoreFuture<'a, quiver_proto::LabelsAnswer> {
        self.store.label_values(name, req)
    }
}

pub async fn run(args: StoreArgs) -> Result<(), CliError> {
    std::fs::create_dir_all(&args.data_dir).map_err(|e| CliError::io(args.data_dir.display(), e))?;
    let bucket = crate::store::open_bucket(&args.objstore)?;
    let cache = index_cache(&args)?;
    let metrics = GatewayMetrics::new(cache.as_ref());
    let mut registry = Registry::default();
    metrics.register(&mut registry);
    let mut blocks = BucketBlocks::new(bucket)
        .with_index_headers(args.data_dir.join("index-headers"))
        .with_index_cache(cache, metrics.bytes_fetched.clone());
    if let Some(dir) = crate::store::local_bucket_dir(&args.objstore)? {
        blocks = blocks.with_local_dir(dir);
    }
    let gateway = Arc::new(Gateway {
        blocks: Arc::new(blocks),
        min_time: args.min_time,
        max_time: args.max_time,
        deletion_delay: args.deletion_delay,
        selector: selector(&args)?,
        ready: Arc::new(AtomicBool::new(false)),
        metrics,
    });
    let (grpc_listener, grpc_addr) = crate::up::bind(args.grpc_address).await?;
    let (listener, http_addr) = crate::up::bind(args.http_address).await?;
    let started = Instant::now();
    let first = gateway.sync().await;
    crate::up::announce(&format!(
        "quiver store: StoreAPI (gRPC) on {grpc_addr}, HTTP on http://{http_addr}/; {} blocks, first sync in {:.3}s",
        first.as_ref().map_or(0, |n| *n),
        started.elapsed().as_secs_f64()
    ));
    let syncer = Arc::clone(&gateway);
    let interval = args.sync_interval;
    tokio::spawn(async move {
        loop {
            tokio::time::sleep(interval).await;
            let _ = syncer.sync().await;
        }
    });
    let limits = RequestLimits { series: args.limit_series, samples: args.limit_samples };
    let grpc = crate::grpc::serve(
        grpc_listener,
        Arc::clone(&gateway) as Arc<dyn Served>,
        limits,
        crate::up::shutdown_signal(),
    );
    let app = crate::health::health_routes(Arc::clone(&gateway.ready), "the bucket has not been synced yet")
        .merge(crate::metrics::route(Arc::new(registry)));
    tokio::try_join!(crate::up::serve_http(listener, app), grpc)?;
    Ok(())
}

/// The index cache the flags configure (inline YAML over the file), else the in-memory one of
/// `--index-cache-size`.
fn index_cache(args: &StoreArgs) -> Result<Option<Arc<dyn IndexCache>>, CliError> {
    let yaml = crate::cli::inline_or_file(args.index_cache.as_ref(), args.index_cache_file.as_ref())?;
    match yaml {
        Some(yaml) => Ok(Some(index_cache_from_yaml(&yaml)?)),
        None => Ok(default_index_cache(&args.index_cache_size)?),
    }
}

/// The block selector the flags give (inline YAML over the file).
fn selector(args: &StoreArgs) -> Result<BlockSelector, CliError> {
    let yaml = crate::cli::inline_or_file(args.selector.as_ref(), args.selector_file.as_ref())?;
    Ok(BlockSelector::from_yaml(yaml.as_deref().unwrap_or_default())?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn time_flags_as_thanos() {
        assert!(matches!(time_flag("-2w"), Ok(TimeFlag::FromNow(-1_209_600_000))));
        assert!(matches!(time_flag("0d"), Ok(TimeFlag::FromNow(0))));
        assert!(matches!(time_flag("2023-01-02T03:04:05Z"), Ok(TimeFlag::At(1_672_628_645_000))));
        assert!(time_flag("yesterday").is_err());
    }
}
