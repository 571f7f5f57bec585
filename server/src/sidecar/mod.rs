//! `quiver sidecar`: beside a running Prometheus, as `thanos sidecar`. It serves Prometheus's data
//! over StoreAPI (remote read, with the external labels of Prometheus's configuration added),
//! ships each block Prometheus cuts to the bucket, and makes Prometheus reload when its
//! configuration or rule files change.
//!
//! Start-up follows Thanos: the reloader starts at once (Prometheus may need its substituted
//! configuration to start at all); then the sidecar waits for Prometheus to be ready, refuses to
//! run without external labels, and, when it ships blocks, refuses a Prometheus that compacts
//! locally (min and max block duration differ). Afterwards Prometheus's external labels and
//! oldest sample are re-read every `--prometheus.get_config_interval`; a Prometheus that goes
//! away gives StoreAPI errors until it is back, never a crash.

mod prom_api;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use clap::{Args, ValueEnum};
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::registry::Registry;
use quiver_engine::storage::PrometheusStore;
use quiver_ingest::reloader::{ReloadEvent, ReloadMethod, Reloader, ReloaderConfig};
use quiver_ingest::shipper::{Shipper, ShipperConfig};
use quiver_proto::{Labels, SeriesStore};

use crate::cli::ObjstoreArgs;
use crate::error::CliError;
use crate::grpc::{RequestLimits, Served};
use crate::metrics::{TimedStore, latency_histogram};
use crate::store_gateway::{TimeFlag, time_flag};
use prom_api::PromApi;

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum ReloadHow {
    Http,
    Signal,
}

#[derive(Debug, Args)]
pub struct SidecarArgs {
    /// The Prometheus beside this sidecar.
    #[arg(long = "prometheus.url", env = "QUIVER_PROMETHEUS_URL", default_value = "http://localhost:9090")]
    prometheus_url: String,
    /// How long to wait for Prometheus to be ready at start.
    #[arg(long = "prometheus.ready_timeout", env = "QUIVER_PROMETHEUS_READY_TIMEOUT", default_value = "10m", value_parser = crate::query_flags::duration_flag)]
    ready_timeout: Duration,
    /// How often Prometheus's external labels and oldest sample are read again.
    #[arg(long = "prometheus.get_config_interval", env = "QUIVER_PROMETHEUS_GET_CONFIG_INTERVAL", default_value = "30s", value_parser = crate::query_flags::duration_flag)]
    config_interval: Duration,
    /// Prometheus's `--storage.tsdb.path`, whose blocks are shipped.
    #[arg(long = "tsdb.path", env = "QUIVER_TSDB_PATH", default_value = "./data")]
    tsdb_path: PathBuf,
    /// Address to serve StoreAPI (gRPC) on.
    #[arg(long = "grpc-address", env = "QUIVER_GRPC_ADDRESS", default_value = "0.0.0.0:10901")]
    grpc_address: SocketAddr,
    /// Address to serve health, readiness and metrics on.
    #[arg(long = "http-address", env = "QUIVER_HTTP_ADDRESS", default_value = "0.0.0.0:10902")]
    http_address: SocketAddr,
    /// The bucket blocks are shipped to; without one, nothing is shipped.
    #[command(flatten)]
    objstore: ObjstoreArgs,
    /// Also ship blocks Prometheus compacted before (a one-off migration).
    #[arg(long = "shipper.upload-compacted", env = "QUIVER_SHIPPER_UPLOAD_COMPACTED")]
    upload_compacted: bool,
    /// Ship even though Prometheus compacts locally (min and max block duration differ).
    #[arg(long = "shipper.ignore-unequal-block-size", env = "QUIVER_SHIPPER_IGNORE_UNEQUAL_BLOCK_SIZE")]
    ignore_block_size: bool,
    /// How often the TSDB directory is checked for new blocks.
    #[arg(long = "shipper.sync-interval", env = "QUIVER_SHIPPER_SYNC_INTERVAL", default_value = "30s", value_parser = crate::query_flags::duration_flag, hide = true)]
    ship_interval: Duration,
    /// Prometheus's configuration file, watched; with `--reloader.config-envsubst-file`, a
    /// template whose `$(VAR)`s are replaced from the environment.
    #[arg(long = "reloader.config-file", env = "QUIVER_RELOADER_CONFIG_FILE")]
    reload_config: Option<PathBuf>,
    /// Where the substituted configuration is written (the file Prometheus reads).
    #[arg(long = "reloader.config-envsubst-file", env = "QUIVER_RELOADER_CONFIG_ENVSUBST_FILE")]
    reload_output: Option<PathBuf>,
    /// A directory of rule files to watch (repeatable).
    #[arg(long = "reloader.rule-dir", env = "QUIVER_RELOADER_RULE_DIR")]
    rule_dirs: Vec<PathBuf>,
    /// How often the watched files are read in full (changes are noticed within a second).
    #[arg(long = "reloader.watch-interval", env = "QUIVER_RELOADER_WATCH_INTERVAL", default_value = "3m", value_parser = crate::query_flags::duration_flag)]
    watch_interval: Duration,
    /// How long to wait before retrying a failed reload.
    #[arg(long = "reloader.retry-interval", env = "QUIVER_RELOADER_RETRY_INTERVAL", default_value = "5s", value_parser = crate::query_flags::duration_flag)]
    retry_interval: Duration,
    /// `http` (`POST /-/reload`, needs `--web.enable-lifecycle`) or `signal` (SIGHUP).
    #[arg(long = "reloader.method", env = "QUIVER_RELOADER_METHOD", value_enum, default_value = "http")]
    reload_method: ReloadHow,
    /// The process to send SIGHUP to with `--reloader.method=signal`.
    #[arg(
        long = "reloader.process-name",
        env = "QUIVER_RELOADER_PROCESS_NAME",
        default_value = "prometheus"
    )]
    process_name: String,
    /// Serve only data at or after this time: RFC 3339, or relative to now as `-2w`.
    #[arg(long = "min-time", env = "QUIVER_MIN_TIME", value_parser = time_flag)]
    min_time: Option<TimeFlag>,
}

/// The sidecar's own metrics, named as Thanos names them so its dashboards and alerts apply.
#[derive(Debug, Clone, Default)]
struct SidecarMetrics {
    uploads: Counter,
    upload_failures: Counter,
    reloads: Counter,
    reload_failures: Counter,
    prometheus_up: Gauge,
}

impl SidecarMetrics {
    fn register(&self, r: &mut Registry) {
        r.register("thanos_shipper_uploads", "Blocks uploaded to the bucket.", self.uploads.clone());
        r.register(
            "thanos_shipper_upload_failures",
            "Block uploads that failed (retried on the next sync).",
            self.upload_failures.clone(),
        );
        r.register("reloader_reloads", "Reloads of Prometheus attempted.", self.reloads.clone());
        r.register(
            "reloader_reloads_failed",
            "Reloads of Prometheus that failed.",
            self.reload_failures.clone(),
        );
        r.register(
            "thanos_sidecar_prometheus_up",
            "1 when the last look at Prometheus's configuration succeeded.",
            self.prometheus_up.clone(),
        );
    }
}

#[derive(Debug)]
struct SidecarServed {
    store: Arc<dyn SeriesStore>,
}

impl Served for SidecarServed {
    fn store(&self, _partial_response: bool) -> Arc<dyn SeriesStore> {
        Arc::clone(&self.store)
    }

    fn component(&self) -> &'static str {
        quiver_proto::store::wire::COMPONENT_SIDECAR
    }
}

pub async fn run(args: SidecarArgs) -> Result<(), CliError> {
    let metrics = SidecarMetrics::default();
    let mut registry = Registry::default();
    metrics.register(&mut registry);
    let read_latency = latency_histogram();
    registry.register(
        "quiver_sidecar_remote_read_duration_seconds",
        "Remote read requests to Prometheus, from request to the end of the answer.",
        read_latency.clone(),
    );
    let api = PromApi::new(&args.prometheus_url)?;
    let prom = Arc::new(
        PrometheusStore::new(&args.prometheus_url, Duration::from_secs(5))
            .map_err(|e| CliError::Usage(format!("--prometheus.url: {e}")))?,
    );

    if let Some(config_file) = args.reload_config.clone() {
        let method = match args.reload_method {
            ReloadHow::Http => ReloadMethod::Http(api.url("/-/reload")),
            ReloadHow::Signal => ReloadMethod::Signal(args.process_name.clone()),
        };
        let reloader = Reloader::new(ReloaderConfig {
            config_file: Some(config_file),
            config_output: args.reload_output.clone(),
            rule_dirs: args.rule_dirs.clone(),
            watch_interval: args.watch_interval,
            retry_interval: args.retry_interval,
            method,
        });
        let m = metrics.clone();
        tokio::spawn(reloader.run(move |event| {
            m.reloads.inc();
            if matches!(event, ReloadEvent::Failed(_)) {
                m.reload_failures.inc();
            }
        }));
    }

    // Health at once; readiness once Prometheus is and its labels are known.
    let ready = Arc::new(AtomicBool::new(false));
    let (http_listener, http_addr) = crate::up::bind(args.http_address).await?;
    let http_app = crate::health::health_routes(Arc::clone(&ready), "waiting for Prometheus")
        .merge(crate::metrics::route(Arc::new(registry)));
    let http = tokio::spawn(crate::up::serve_http(http_listener, http_app));

    api.wait_ready(args.ready_timeout).await?;
    let external = api.external_labels().await.map_err(CliError::Server)?;
    if external.is_empty() {
        return Err(CliError::Usage(
            "no external labels configured on Prometheus server, uniquely identifying external labels must be \
             configured (global.external_labels in prometheus.yml)"
                .to_string(),
        ));
    }
    let bucket = match args.objstore.yaml()? {
        Some(_) => {
            if !args.ignore_block_size {
                let flags = api.flags().await.map_err(CliError::Server)?;
                prom_api::check_block_durations(&flags).map_err(CliError::Usage)?;
            }
            Some(crate::store::open_bucket(&args.objstore)?)
        }
        None => None,
    };
    update(&api, &prom, external.clone(), args.min_time, &metrics).await;
    ready.store(true, Ordering::Release);

    if let Some(bucket) = bucket {
        let config = ShipperConfig {
            tsdb_dir: args.tsdb_path.clone(),
            labels: label_map(&external),
            source: "sidecar".to_string(),
            upload_compacted: args.upload_compacted,
        };
        tokio::spawn(ship(
            Shipper::new(config, bucket),
            Arc::clone(&prom),
            args.ship_interval,
            metrics.clone(),
        ));
    }
    let watcher = (api.clone(), Arc::clone(&prom), metrics.clone());
    let (interval, min_time) = (args.config_interval, args.min_time);
    tokio::spawn(async move {
        let (api, prom, metrics) = watcher;
        loop {
            tokio::time::sleep(interval).await;
            refresh(&api, &prom, min_time, &metrics).await;
        }
    });

    let (grpc_listener, grpc_addr) = crate::up::bind(args.grpc_address).await?;
    let timed: Arc<dyn SeriesStore> = Arc::new(TimedStore::new(prom, read_latency));
    let served = Arc::new(SidecarServed { store: timed });
    crate::up::announce(&format!(
        "quiver sidecar: Prometheus {} with external labels {external}; StoreAPI (gRPC) on {grpc_addr}, HTTP on http://{http_addr}/",
        args.prometheus_url
    ));
    let grpc =
        crate::grpc::serve(grpc_listener, served, RequestLimits::default(), crate::up::shutdown_signal());
    let http = async { http.await.map_err(|e| CliError::Server(format!("HTTP server: {e}")))? };
    tokio::try_join!(http, grpc)?;
    Ok(())
}

/// Reads Prometheus's external labels again and then [`update`]s; on failure keeps what it knew
/// (a Prometheus that is down answers remote reads with errors meanwhile).
async fn refresh(
    api: &PromApi,
    prom: &PrometheusStore,
    min_time: Option<TimeFlag>,
    metrics: &SidecarMetrics,
) {
    let external = match api.external_labels().await {
        Ok(l) if !l.is_empty() => l,
        Ok(_) => {
            tracing::warn!(
                "Prometheus's configuration has no external labels now; keeping the previous ones"
            );
            prom.state().external_labels
        }
        Err(e) => {
            tracing::warn!(error = %e, "Prometheus is unreachable");
            metrics.prometheus_up.set(0);
            return;
        }
    };
    update(api, prom, external, min_time, metrics).await;
}

/// Makes `external` and Prometheus's oldest sample (floored by `--min-time`) what the source
/// serves.
async fn update(
    api: &PromApi,
    prom: &PrometheusStore,
    external: Labels,
    min_time: Option<TimeFlag>,
    metrics: &SidecarMetrics,
) {
    let mut state = prom.state();
    state.external_labels = external;
    let floor = min_time.map(TimeFlag::resolve);
    let lowest = match api.lowest_timestamp().await {
        Ok(t) => t,
        Err(e) => {
            tracing::warn!(error = %e, "reading Prometheus's oldest sample");
            Some(state.min_time).filter(|&t| t != i64::MIN)
        }
    };
    state.min_time = match (lowest, floor) {
        (Some(l), Some(f)) => l.max(f),
        (Some(l), None) => l,
        (None, Some(f)) => f,
        (None, None) => i64::MIN,
    };
    metrics.prometheus_up.set(1);
    if state != prom.state() {
        tracing::info!(external_labels = %state.external_labels, min_time = state.min_time, "Prometheus's view updated");
        prom.set_state(state);
    }
}

fn label_map(labels: &Labels) -> std::collections::BTreeMap<String, String> {
    labels.iter().map(|l| (l.name.clone(), l.value.clone())).collect()
}

/// Ships new blocks every `interval`, with the external labels Prometheus has at the time.
async fn ship(mut shipper: Shipper, prom: Arc<PrometheusStore>, interval: Duration, metrics: SidecarMetrics) {
    loop {
        shipper.set_labels(label_map(&prom.state().external_labels));
        match shipper.sync().await {
            Ok(outcome) => {
                metrics.uploads.inc_by(outcome.uploaded.len() as u64);
                metrics.upload_failures.inc_by(outcome.failed.len() as u64);
            }
            Err(e) => {
                metrics.upload_failures.inc();
                tracing::warn!(error = %e, "shipper sync failed");
            }
        }
        tokio::time::sleep(interval).await;
    }
}
