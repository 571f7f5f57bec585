//! Uploading a local block to a bucket the way Thanos's shipper does: the `thanos` section of
//! `meta.json` is filled in (external labels, resolution, source, files with sizes), the data
//! files go first and `meta.json` last, so a reader never sees a block without all its files.

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;

use object_store::path::Path as ObjPath;
use object_store::{ObjectStore, ObjectStoreExt, PutPayload};

use super::meta::{BlockMeta, FileMeta};
use crate::error::{Error, Result};

/// What the uploader records in the `thanos` section.
#[derive(Debug, Clone, Default)]
pub struct UploadOptions {
    /// External labels, e.g. `cluster`, `replica`.
    pub labels: BTreeMap<String, String>,
    /// Who made the block: `sidecar`, `receive`, `compactor`, `bucket.upload-blocks`, ...
    pub source: String,
}

/// Uploads the block in `local` (a directory named by its ULID) to `store` and returns the
/// `meta.json` written there.
pub async fn upload_block(
    store: &Arc<dyn ObjectStore>,
    local: &Path,
    opts: &UploadOptions,
) -> Result<BlockMeta> {
    let io = |p: &Path, e: std::io::Error| Error::io(p.display(), e);
    let meta_path = local.join("meta.json");
    let raw = std::fs::read(&meta_path).map_err(|e| io(&meta_path, e))?;
    let name = local.file_name().and_then(|n| n.to_str()).unwrap_or("block").to_string();
    let mut meta = BlockMeta::parse(&name, &raw)?;
    let ulid = meta.ulid.to_string();

    let mut files = Vec::new();
    let chunks_dir = local.join("chunks");
    let mut segments: Vec<String> = std::fs::read_dir(&chunks_dir)
        .map_err(|e| io(&chunks_dir, e))?
        .filter_map(|e| e.ok().and_then(|e| e.file_name().to_str().map(str::to_string)))
        .collect();
    segments.sort();
    for s in &segments {
        files.push(format!("chunks/{s}"));
    }
    files.push("index".to_string());
    if local.join("tombstones").exists() {
        files.push("tombstones".to_string());
    }

    let mut file_metas = Vec::with_capacity(files.len() + 1);
    for rel in &files {
        let p = local.join(rel);
        let data = std::fs::read(&p).map_err(|e| io(&p, e))?;
        file_metas.push(FileMeta { rel_path: rel.clone(), size_bytes: Some(data.len() as u64) });
        let key = ObjPath::from(format!("{ulid}/{rel}"));
        store
            .put(&key, PutPayload::from(data))
            .await
            .map_err(|source| Error::ObjectStore { path: key.to_string(), source })?;
    }
    // As in Thanos, meta.json is listed without a size: it is rewritten by later tools.
    file_metas.push(FileMeta { rel_path: "meta.json".to_string(), size_bytes: None });

    let mut thanos = meta.thanos.take().unwrap_or_default();
    thanos.labels = opts.labels.clone();
    thanos.source = opts.source.clone();
    thanos.segment_files = segments;
    thanos.files = file_metas;
    meta.thanos = Some(thanos);

    let key = ObjPath::from(format!("{ulid}/meta.json"));
    store
        .put(&key, PutPayload::from(meta.to_json()?))
        .await
        .map_err(|source| Error::ObjectStore { path: key.to_string(), source })?;
    Ok(meta)
}
