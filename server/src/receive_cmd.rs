//! `quiver receive`: the receiver as its own component, as `thanos receive`. Remote write on
//! `--remote-write.address`, a WAL and a head per tenant under `--tsdb.path`, blocks cut every
//! 2 h, kept in `--tsdb.path` (served, then deleted after `--tsdb.retention`) and uploaded to the
//! bucket when one is configured. Its heads and blocks are served over StoreAPI, with the
//! receiver's `--label`s and the tenant label as external labels, for queriers.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use clap::Args;
use object_store::ObjectStore;
use object_store::local::LocalFileSystem;
use quiver_ingest::limits::WriteLimits;
use quiver_ingest::{Receiver, ReceiverConfig};
use quiver_proto::{Labels, SeriesStore};

use crate::bucket_blocks::{BlockFilter, BucketBlocks};
use crate::cli::ObjstoreArgs;
use crate::error::CliError;
use crate::grpc::{RequestLimits, Served};

#[derive(Debug, Args)]
pub struct ReceiveArgs {
    /// Address to receive remote write on (`/api/v1/receive`).
    #[arg(
        long = "remote-write.address",
        env = "QUIVER_REMOTE_WRITE_ADDRESS",
        default_value = "0.0.0.0:19291"
    )]
    remote_write_address: SocketAddr,
    /// Address to serve health, readiness and metrics on.
    #[arg(long = "http-address", env = "QUIVER_HTTP_ADDRESS", default_value = "0.0.0.0:10902")]
    http_address: SocketAddr,
    /// Address to serve StoreAPI (gRPC) on.
    #[arg(long = "grpc-address", env = "QUIVER_GRPC_ADDRESS", default_value = "0.0.0.0:10901")]
    grpc_address: SocketAddr,
    /// Where the WAL and the receiver's blocks live.
    #[arg(long = "tsdb.path", env = "QUIVER_TSDB_PATH", default_value = "./data")]
    tsdb_path: PathBuf,
    #[command(flatten)]
    objstore: ObjstoreArgs,
    /// An external label, `name="value"` (repeatable): on every series served and every block.
    #[arg(long = "label", env = "QUIVER_LABEL", value_delimiter = ',')]
    labels: Vec<String>,
    /// How far behind a tenant's newest sample an out-of-order sample is still taken (Thanos
    /// receive's flag; 0s refuses them with 409).
    #[arg(long = "tsdb.out-of-order.time-window", env = "QUIVER_TSDB_OUT_OF_ORDER_TIME_WINDOW", default_value = "0s", value_parser = crate::query_flags::duration_flag)]
    ooo_window: Duration,
    /// How long the receiver keeps its own blocks after cutting them.
    #[arg(long = "tsdb.retention", env = "QUIVER_TSDB_RETENTION", default_value = "15d", value_parser = crate::query_flags::duration_flag)]
    retention: Duration,
    /// The header naming a write's tenant.
    #[arg(
        long = "receive.tenant-header",
        env = "QUIVER_RECEIVE_TENANT_HEADER",
        default_value = "THANOS-TENANT"
    )]
    tenant_header: String,
    /// The tenant of writes without the header.
    #[arg(
        long = "receive.default-tenant-id",
        env = "QUIVER_RECEIVE_DEFAULT_TENANT_ID",
        default_value = "default-tenant"
    )]
    default_tenant: String,
    /// The label naming the tenant on its series and blocks.
    #[arg(
        long = "receive.tenant-label-name",
        env = "QUIVER_RECEIVE_TENANT_LABEL_NAME",
        default_value = "tenant_id"
    )]
    tenant_label: String,
    /// A YAML file of per-tenant write limits, as Thanos's `--receive.limits-config-file`
    /// (`write.default` and `write.tenants.<id>`: `request.size_bytes_limit`, `series_limit`,
    /// `samples_limit` (413 when exceeded) and `head_series_limit` (429)).
    #[arg(long = "receive.limits-config-file", env = "QUIVER_RECEIVE_LIMITS_CONFIG_FILE")]
    limits_file: Option<PathBuf>,
    /// The same limits as inline YAML.
    #[arg(long = "receive.limits-config", env = "QUIVER_RECEIVE_LIMITS_CONFIG")]
    limits: Option<String>,
    /// How much time one block spans (Prometheus's 2h; shorter in tests).
    #[arg(long = "tsdb.block-duration", env = "QUIVER_TSDB_BLOCK_DURATION", default_value = "2h", value_parser = crate::query_flags::duration_flag, hide = true)]
    block_duration: Duration,
}

/// `name="value"` or `name=value`, as Thanos's `--label` takes it.
pub(crate) fn parse_label(s: &str) -> Result<(String, String), String> {
    let (name, value) = s.split_once('=').ok_or_else(|| format!("label {s:?} is not name=\"value\""))?;
    let value = value.strip_prefix('"').and_then(|v| v.strip_suffix('"')).unwrap_or(value);
    if name.is_empty() {
        return Err(format!("label {s:?} has no name"));
    }
    Ok((name.trim().to_string(), value.to_string()))
}

/// What the receiver serves over StoreAPI: its blocks and its heads.
#[derive(Debug)]
struct ReceiverServed {
    receiver: Arc<Receiver>,
    blocks: Arc<BucketBlocks>,
}

impl Served for ReceiverServed {
    fn store(&self, _partial_response: bool) -> Arc<dyn SeriesStore> {
        let blocks = self.blocks.synced().map(|b| b.as_ref().clone()).unwrap_or_default();
        crate::receive::blocks_and_heads("receive", blocks, &self.receiver)
    }

    fn component(&self) -> &'static str {
        quiver_proto::store::wire::COMPONENT_RECEIVE
    }
}

pub async fn run(args: ReceiveArgs) -> Result<(), CliError> {
    std::fs::create_dir_all(&args.tsdb_path).map_err(|e| CliError::io(args.tsdb_path.display(), e))?;
    let mut pairs = Vec::with_capacity(args.labels.len());
    for l in &args.labels {
        pairs.push(parse_label(l).map_err(CliError::Usage)?);
    }
    let external = Labels::from_pairs(pairs).map_err(|e| CliError::Usage(format!("--label: {e}")))?;
    let limits = crate::cli::inline_or_file(args.limits.as_ref(), args.limits_file.as_ref())?;
    let limits = WriteLimits::from_yaml(limits.as_deref().unwrap_or_default())
        .map_err(|e| CliError::Usage(e.to_string()))?;
    let config = ReceiverConfig {
        limits,
        external_labels: external,
        tenant_label: args.tenant_label.clone(),
        default_tenant: args.default_tenant.clone(),
        ooo_window_ms: i64::try_from(args.ooo_window.as_millis()).unwrap_or(i64::MAX),
        ..ReceiverConfig::default()
    };
    let max_write = config.max_request_bytes;
    let receiver = Arc::new(
        Receiver::open(&args.tsdb_path.join("wal"), config)
            .map_err(|e| CliError::Server(format!("opening the WAL: {e}")))?,
    );
    let local_fs = LocalFileSystem::new_with_prefix(&args.tsdb_path)
        .map_err(|e| CliError::Usage(format!("{}: {e}", args.tsdb_path.display())))?;
    let local: Arc<dyn ObjectStore> = Arc::new(local_fs);
    let tsdb_dir =
        std::fs::canonicalize(&args.tsdb_path).map_err(|e| CliError::io(args.tsdb_path.display(), e))?;
    let blocks = Arc::new(BucketBlocks::new(Arc::clone(&local)).with_local_dir(tsdb_dir));
    blocks.sync(&BlockFilter::default()).await?;
    let mut uploads = vec![local];
    if args.objstore.yaml()?.is_some() {
        uploads.push(crate::store::open_bucket(&args.objstore)?);
    }
    let targets = crate::receive::CutTargets {
        uploads,
        staging: args.tsdb_path.join("staging"),
        local: Some((Arc::clone(&blocks), args.tsdb_path.clone())),
        retention: Some(args.retention),
    };
    let block_ms = i64::try_from(args.block_duration.as_millis()).unwrap_or(i64::MAX).max(1000);
    tokio::spawn(crate::receive::cut_blocks(Arc::clone(&receiver), targets, block_ms));

    let (write_listener, write_addr) = crate::up::bind(args.remote_write_address).await?;
    let (http_listener, http_addr) = crate::up::bind(args.http_address).await?;
    let (grpc_listener, grpc_addr) = crate::up::bind(args.grpc_address).await?;
    let served = Arc::new(ReceiverServed { receiver: Arc::clone(&receiver), blocks });
    let grpc =
        crate::grpc::serve(grpc_listener, served, RequestLimits::default(), crate::up::shutdown_signal());
    let http_app = crate::health::health_routes(crate::health::ready_now(), "")
        .merge(head_metrics(Arc::clone(&receiver)));
    let write_app = crate::receive::routes(receiver, max_write, &args.tenant_header);
    crate::up::announce(&format!(
        "quiver receive: remote write on http://{write_addr}/api/v1/receive, StoreAPI (gRPC) on {grpc_addr}, HTTP on http://{http_addr}/"
    ));
    tokio::try_join!(
        crate::up::serve_http(write_listener, write_app),
        crate::up::serve_http(http_listener, http_app),
        grpc
    )?;
    Ok(())
}

/// `/metrics`: each tenant's head, as Thanos receive's per-tenant TSDB metrics
/// (`prometheus_tsdb_head_series{tenant}`), and its chunk bytes.
fn head_metrics(receiver: Arc<Receiver>) -> axum::Router {
    use prometheus_client::metrics::family::Family;
    use prometheus_client::metrics::gauge::Gauge;
    type Tenant = Vec<(String, String)>;
    let series: Family<Tenant, Gauge> = Family::default();
    let bytes: Family<Tenant, Gauge> = Family::default();
    let mut registry = prometheus_client::registry::Registry::default();
    registry.register("prometheus_tsdb_head_series", "Series in the head, per tenant", series.clone());
    registry.register(
        "quiver_receive_head_chunk_bytes",
        "Bytes of chunk data in the head, per tenant",
        bytes.clone(),
    );
    crate::metrics::route_refreshed(Arc::new(registry), move || {
        for (tenant, n, b) in receiver.tenant_stats() {
            let key = vec![("tenant".to_string(), tenant)];
            series.get_or_create(&key).set(i64::try_from(n).unwrap_or(i64::MAX));
            bytes.get_or_create(&key).set(i64::try_from(b).unwrap_or(i64::MAX));
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_as_thanos_takes_them() {
        assert_eq!(parse_label(r#"cluster="eu-1""#), Ok(("cluster".into(), "eu-1".into())));
        assert_eq!(parse_label("replica=a"), Ok(("replica".into(), "a".into())));
        assert!(parse_label("novalue").is_err());
        assert!(parse_label("=x").is_err());
    }
}
