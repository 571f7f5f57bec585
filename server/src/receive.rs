//! Remote write over HTTP (`/api/v1/receive`, and `/api/v1/write` in `quiver up`): the body goes
//! to the receiver, its outcome becomes Thanos receive's status and Prometheus's
//! `X-Prometheus-Remote-Write-*-Written` headers. Also the all-in-one's sources: the bucket's
//! blocks and the receiver's heads merged, so what was written is queryable at once.

use std::sync::Arc;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use futures::future::BoxFuture;
use quiver_engine::storage::BlockStore;
use quiver_ingest::{Receiver, WriteError, WriteProto};
use quiver_proto::{MergeStore, SeriesStore};

use crate::api::{ApiError, ReadOptions, Sources};
use crate::bucket_blocks::BucketBlocks;

/// The header naming a write's tenant (`--receive.tenant-header`'s default).
pub(crate) const TENANT_HEADER: &str = "THANOS-TENANT";

#[derive(Debug, Clone)]
struct WriteState {
    receiver: Arc<Receiver>,
    tenant_header: Arc<str>,
}

/// The remote-write routes over `receiver`; the tenant comes from `tenant_header`.
pub(crate) fn routes(receiver: Arc<Receiver>, max_body: usize, tenant_header: &str) -> Router {
    Router::new()
        .route("/api/v1/receive", post(write))
        .route("/api/v1/write", post(write))
        // Larger bodies are refused by the receiver with 413; axum's own limit stays above it.
        .layer(DefaultBodyLimit::max(max_body.saturating_add(1)))
        .with_state(WriteState { receiver, tenant_header: Arc::from(tenant_header) })
}

async fn write(State(s): State<WriteState>, headers: HeaderMap, body: Bytes) -> Response {
    let r = s.receiver;
    let tenant = headers
        .get(&*s.tenant_header)
        .and_then(|v| v.to_str().ok())
        .filter(|t| !t.is_empty())
        .unwrap_or(r.default_tenant())
        .to_string();
    let content_type = headers.get(axum::http::header::CONTENT_TYPE).and_then(|v| v.to_str().ok());
    let encoding = headers.get(axum::http::header::CONTENT_ENCODING).and_then(|v| v.to_str().ok());
    let proto = match (WriteProto::from_content_type(content_type), encoding) {
        (Ok(p), None) => Ok(p),
        (Ok(p), Some(e)) if e.eq_ignore_ascii_case("snappy") => Ok(p),
        (Ok(_), Some(e)) => {
            Err(WriteError::Unsupported(format!("unsupported Content-Encoding {e:?}: use snappy")))
        }
        (Err(e), _) => Err(e),
    };
    // Decoding and the WAL's fsync block: off the async workers.
    let outcome = match proto {
        Ok(proto) => tokio::task::spawn_blocking(move || r.write_body(&tenant, proto, &body)).await,
        Err(e) => Ok(Err(e)),
    };
    match outcome {
        Ok(Ok(o)) => (
            StatusCode::OK,
            [
                ("X-Prometheus-Remote-Write-Samples-Written", o.samples_written.to_string()),
                ("X-Prometheus-Remote-Write-Histograms-Written", o.histograms_written.to_string()),
                ("X-Prometheus-Remote-Write-Exemplars-Written", "0".to_string()),
            ],
        )
            .into_response(),
        Ok(Err(e)) => {
            let status = match &e {
                WriteError::BadRequest(_) => StatusCode::BAD_REQUEST,
                WriteError::Conflict(_) => StatusCode::CONFLICT,
                WriteError::TooLarge | WriteError::RequestLimit(_) => StatusCode::PAYLOAD_TOO_LARGE,
                WriteError::Unsupported(_) => StatusCode::UNSUPPORTED_MEDIA_TYPE,
                WriteError::TooManySeries(_) => StatusCode::TOO_MANY_REQUESTS,
                WriteError::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
            };
            if status.is_server_error() {
                tracing::warn!("remote write: {e}");
            }
            (status, format!("{e}\n")).into_response()
        }
        Err(e) => {
            (StatusCode::INTERNAL_SERVER_ERROR, format!("remote write task failed: {e}\n")).into_response()
        }
    }
}

/// `quiver up`'s sources: the bucket's blocks as they are now and the receiver's heads.
#[derive(Debug)]
pub(crate) struct UpSources {
    pub(crate) blocks: Arc<BucketBlocks>,
    pub(crate) receiver: Arc<Receiver>,
}

impl Sources for UpSources {
    fn store<'a>(&'a self, _: &'a ReadOptions) -> BoxFuture<'a, Result<Arc<dyn SeriesStore>, ApiError>> {
        Box::pin(async move { Ok(blocks_and_heads("up", self.blocks.current().await?, &self.receiver)) })
    }
}

/// `blocks` and `receiver`'s heads as one source: what a receiver holds, cut or not.
pub(crate) fn blocks_and_heads(
    name: &str,
    blocks: Vec<Arc<quiver_bucket::block::Block>>,
    receiver: &Receiver,
) -> Arc<dyn SeriesStore> {
    let mut stores: Vec<Arc<dyn SeriesStore>> = vec![Arc::new(BlockStore::new(blocks))];
    stores.extend(receiver.stores());
    Arc::new(MergeStore::new(name, stores))
}

/// Where cut blocks go: every store in `uploads` (data files first, `meta.json` last,
/// `source: receive` with the tenant's labels), staged in `staging` first. Local blocks older
/// than `retention` are deleted from `local` when it is set.
#[derive(Debug, Clone)]
pub(crate) struct CutTargets {
    pub(crate) uploads: Vec<Arc<dyn object_store::ObjectStore>>,
    pub(crate) staging: std::path::PathBuf,
    /// The receiver's own blocks (served beside its heads) and their directory, synced after
    /// each cut.
    pub(crate) local: Option<(Arc<BucketBlocks>, std::path::PathBuf)>,
    pub(crate) retention: Option<std::time::Duration>,
}

/// Cuts blocks out of the receiver's heads as they come due, uploads them to every target, and
/// only then drops their samples from the head and checkpoints the WAL: a query meanwhile sees
/// the samples in both, and the engine merges equal timestamps, so nothing is missed or counted
/// twice.
pub(crate) async fn cut_blocks(receiver: Arc<Receiver>, targets: CutTargets, block_ms: i64) {
    let every = std::time::Duration::from_millis((block_ms / 8).clamp(500, 60_000) as u64);
    loop {
        tokio::time::sleep(every).await;
        for (tenant, end) in receiver.due_cuts(block_ms) {
            if let Err(e) = cut_one(&receiver, &targets, &tenant, end, block_ms).await {
                tracing::warn!(tenant, "cutting a block: {e}");
            }
        }
        if let Some((local, dir)) = &targets.local {
            if let Some(keep) = targets.retention {
                delete_expired(local, dir, keep).await;
            }
            if let Err(e) = local.sync(&crate::bucket_blocks::BlockFilter::default()).await {
                tracing::warn!("listing the receiver's blocks: {e}");
            }
        }
    }
}

async fn cut_one(
    receiver: &Arc<Receiver>,
    targets: &CutTargets,
    tenant: &str,
    end: i64,
    block_ms: i64,
) -> Result<(), String> {
    let (r, st, t) = (Arc::clone(receiver), targets.staging.clone(), tenant.to_string());
    let written = tokio::task::spawn_blocking(move || r.write_block(&t, end, block_ms, &st))
        .await
        .map_err(|e| e.to_string())?
        .map_err(|e| e.to_string())?;
    let Some((dir, labels)) = written else { return Ok(()) };
    let opts = quiver_bucket::block::UploadOptions { labels, source: "receive".into() };
    let mut meta = None;
    for store in &targets.uploads {
        meta = Some(quiver_bucket::block::upload_block(store, &dir, &opts).await.map_err(|e| e.to_string())?);
    }
    if let Err(e) = std::fs::remove_dir_all(&dir) {
        tracing::warn!(dir = %dir.display(), "removing an uploaded block's staged copy: {e}");
    }
    if let Some((local, _)) = &targets.local {
        local.sync(&crate::bucket_blocks::BlockFilter::default()).await.map_err(|e| e.to_string())?;
    }
    let (r, t) = (Arc::clone(receiver), tenant.to_string());
    tokio::task::spawn_blocking(move || r.truncate_before(&t, end))
        .await
        .map_err(|e| e.to_string())?
        .map_err(|e| e.to_string())?;
    if let Some(meta) = meta {
        tracing::info!(block = %meta.ulid, tenant, min_time = meta.min_time, max_time = meta.max_time, "cut a block from the head and uploaded it");
    }
    Ok(())
}

/// Deletes the receiver's local blocks (in `dir`) whose data is all older than `keep`
/// (`--tsdb.retention`): `meta.json` first, so a half-deleted block is never read as one.
async fn delete_expired(local: &BucketBlocks, dir: &std::path::Path, keep: std::time::Duration) {
    let horizon = crate::api::now_ms() - i64::try_from(keep.as_millis()).unwrap_or(i64::MAX);
    let Some(blocks) = local.synced() else { return };
    for b in blocks.iter().filter(|b| b.meta().max_time < horizon) {
        let block_dir = dir.join(b.ulid().to_string());
        let gone = std::fs::remove_file(block_dir.join("meta.json"))
            .and_then(|()| std::fs::remove_dir_all(&block_dir));
        match gone {
            Ok(()) => tracing::info!(block = %b.ulid(), "deleted a local block past the retention"),
            Err(e) => tracing::warn!(dir = %block_dir.display(), "deleting an expired block: {e}"),
        }
    }
}
