//! The sidecar's shipper: every block Prometheus writes into its TSDB directory is uploaded to the
//! bucket once, with the sidecar's external labels and `source: sidecar` (data files first,
//! `meta.json` last, so the bucket never holds a `meta.json` without its files). What was shipped
//! is recorded in `thanos.shipper.json` in the TSDB directory, in Thanos's format, so a Thanos
//! sidecar and a Quiver sidecar can take over from each other.
//!
//! As Thanos's shipper: only level-1 blocks (cut from the head) ship, unless `upload_compacted`
//! asks for the blocks Prometheus compacted earlier too (a one-off migration, which skips blocks
//! overlapping ones already in the bucket); empty blocks are skipped; a block whose `meta.json`
//! is already in the bucket counts as shipped; a failed upload is retried on the next sync; the
//! record lists only blocks still in the directory.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use object_store::path::Path as ObjPath;
use object_store::{ObjectStore, ObjectStoreExt};
use quiver_bucket::block::{BlockMeta, UploadOptions, list_blocks, upload_block};
use serde::{Deserialize, Serialize};
use ulid::Ulid;

use crate::error::{Error, Result};

/// The record file's name in the TSDB directory, as Thanos names it.
pub const SHIPPER_FILE: &str = "thanos.shipper.json";

/// `thanos.shipper.json`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ShipperRecord {
    pub version: u32,
    #[serde(default)]
    pub uploaded: Vec<Ulid>,
}

impl ShipperRecord {
    /// The record in `dir`; a missing or unreadable one is empty (blocks already in the bucket
    /// are then recognised by their `meta.json` there, not uploaded again).
    pub fn read(dir: &Path) -> Self {
        let path = dir.join(SHIPPER_FILE);
        match std::fs::read(&path) {
            Ok(raw) => serde_json::from_slice(&raw).unwrap_or_else(|e| {
                tracing::warn!(file = %path.display(), error = %e, "shipper record unreadable, starting from the bucket's view");
                Self::default()
            }),
            Err(_) => Self::default(),
        }
    }

    /// Written to a temporary file and renamed over the old one.
    fn write(&self, dir: &Path) -> Result<()> {
        let path = dir.join(SHIPPER_FILE);
        let tmp = dir.join(format!("{SHIPPER_FILE}.tmp"));
        let mut out = Vec::new();
        let fmt = serde_json::ser::PrettyFormatter::with_indent(b"\t");
        let mut ser = serde_json::Serializer::with_formatter(&mut out, fmt);
        self.serialize(&mut ser).map_err(|e| Error::Block(format!("encoding {SHIPPER_FILE}: {e}")))?;
        std::fs::write(&tmp, &out).map_err(|e| Error::io(tmp.display(), e))?;
        std::fs::rename(&tmp, &path).map_err(|e| Error::io(path.display(), e))
    }
}

#[derive(Debug, Clone)]
pub struct ShipperConfig {
    /// Prometheus's `--storage.tsdb.path`.
    pub tsdb_dir: PathBuf,
    /// External labels written into each block's `thanos` section.
    pub labels: BTreeMap<String, String>,
    pub source: String,
    pub upload_compacted: bool,
}

/// What one sync did.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct ShipOutcome {
    pub uploaded: Vec<Ulid>,
    /// Blocks whose upload failed, with why; tried again on the next sync.
    pub failed: Vec<(Ulid, String)>,
    /// Compacted blocks not shipped because they overlap blocks already in the bucket.
    pub overlapping: Vec<Ulid>,
}

#[derive(Debug)]
pub struct Shipper {
    config: ShipperConfig,
    bucket: Arc<dyn ObjectStore>,
}

impl Shipper {
    pub fn new(config: ShipperConfig, bucket: Arc<dyn ObjectStore>) -> Self {
        Self { config, bucket }
    }

    /// Replaces the external labels (they follow Prometheus's configuration).
    pub fn set_labels(&mut self, labels: BTreeMap<String, String>) {
        self.config.labels = labels;
    }

    /// Ships every block not shipped yet.
    pub async fn sync(&self) -> Result<ShipOutcome> {
        let dir = &self.config.tsdb_dir;
        let mut on_disk = ShipperRecord::read(dir);
        let shipped: BTreeSet<Ulid> = on_disk.uploaded.iter().copied().collect();
        let local = self.local_blocks()?;
        // The record lists, oldest first, the blocks here that are shipped: those shipped before
        // from the start, so that a record written after an upload mid-sync lists all of them.
        let order: Vec<Ulid> = local.iter().map(|(u, _)| *u).collect();
        let mut done: BTreeSet<Ulid> = order.iter().copied().filter(|u| shipped.contains(u)).collect();
        let record_of = |done: &BTreeSet<Ulid>| ShipperRecord {
            version: 1,
            uploaded: order.iter().copied().filter(|u| done.contains(u)).collect(),
        };
        let mut outcome = ShipOutcome::default();
        let mut in_bucket: Option<Vec<BlockMeta>> = None;
        for (ulid, meta) in local {
            if shipped.contains(&ulid) {
                continue;
            }
            if meta.stats.num_samples == 0 {
                continue;
            }
            if meta.compaction.level > 1 {
                if !self.config.upload_compacted {
                    continue;
                }
                let metas = match &in_bucket {
                    Some(m) => m,
                    None => in_bucket.insert(self.bucket_metas().await?),
                };
                if let Some(other) = metas.iter().find(|o| self.overlaps(&meta, o)) {
                    tracing::warn!(block = %ulid, overlaps = %other.ulid, "compacted block overlaps a block in the bucket, not shipped");
                    outcome.overlapping.push(ulid);
                    continue;
                }
            }
            match self.ship(ulid).await {
                Ok(uploaded) => {
                    done.insert(ulid);
                    if uploaded {
                        outcome.uploaded.push(ulid);
                    }
                    let record = record_of(&done);
                    record.write(dir)?;
                    on_disk = record;
                }
                Err(e) => {
                    tracing::warn!(block = %ulid, error = %e, "shipping failed, retried on the next sync");
                    outcome.failed.push((ulid, e.to_string()));
                }
            }
        }
        let record = record_of(&done);
        if record != on_disk {
            record.write(dir)?;
        }
        Ok(outcome)
    }

    /// Uploads the block unless the bucket has it already; whether it uploaded.
    async fn ship(&self, ulid: Ulid) -> Result<bool> {
        let key = ObjPath::from(format!("{ulid}/meta.json"));
        match self.bucket.head(&key).await {
            Ok(_) => {
                tracing::info!(block = %ulid, "block already in the bucket, recorded as shipped");
                return Ok(false);
            }
            Err(object_store::Error::NotFound { .. }) => {}
            Err(e) => return Err(Error::Block(format!("checking {key} in the bucket: {e}"))),
        }
        let opts = UploadOptions { labels: self.config.labels.clone(), source: self.config.source.clone() };
        let local = self.config.tsdb_dir.join(ulid.to_string());
        upload_block(&self.bucket, &local, &opts)
            .await
            .map_err(|e| Error::Block(format!("uploading {ulid}: {e}")))?;
        tracing::info!(block = %ulid, "block shipped");
        Ok(true)
    }

    /// The complete blocks in the TSDB directory (named by their ULID; Prometheus writes a block
    /// under a temporary name and renames it when done), oldest first.
    fn local_blocks(&self) -> Result<Vec<(Ulid, BlockMeta)>> {
        let dir = &self.config.tsdb_dir;
        let mut out = Vec::new();
        for entry in std::fs::read_dir(dir).map_err(|e| Error::io(dir.display(), e))? {
            let entry = entry.map_err(|e| Error::io(dir.display(), e))?;
            let Some(ulid) = entry.file_name().to_str().and_then(|n| Ulid::from_string(n).ok()) else {
                continue;
            };
            let meta_path = entry.path().join("meta.json");
            let meta = std::fs::read(&meta_path)
                .map_err(|e| e.to_string())
                .and_then(|raw| BlockMeta::parse(&ulid.to_string(), &raw).map_err(|e| e.to_string()));
            match meta {
                Ok(m) => out.push((ulid, m)),
                Err(e) => {
                    tracing::warn!(block = %ulid, error = %e, "block without a readable meta.json, skipped")
                }
            }
        }
        out.sort_by_key(|(u, m)| (m.min_time, *u));
        Ok(out)
    }

    async fn bucket_metas(&self) -> Result<Vec<BlockMeta>> {
        let ulids = list_blocks(&self.bucket, None)
            .await
            .map_err(|e| Error::Block(format!("listing the bucket: {e}")))?;
        let mut out = Vec::with_capacity(ulids.len());
        for u in ulids {
            let key = ObjPath::from(format!("{u}/meta.json"));
            let raw = match self.bucket.get(&key).await {
                Ok(r) => r.bytes().await.map_err(|e| Error::Block(format!("reading {key}: {e}")))?,
                // Still uploading: no meta.json yet.
                Err(object_store::Error::NotFound { .. }) => continue,
                Err(e) => return Err(Error::Block(format!("reading {key}: {e}"))),
            };
            match BlockMeta::parse(&u.to_string(), &raw) {
                Ok(m) => out.push(m),
                Err(e) => {
                    tracing::warn!(block = %u, error = %e, "bucket block with a broken meta.json ignored")
                }
            }
        }
        Ok(out)
    }

    /// Whether `local` overlaps `other`, a bucket block of the same external labels.
    fn overlaps(&self, local: &BlockMeta, other: &BlockMeta) -> bool {
        other.ulid != local.ulid
            && other.external_labels() == self.config.labels
            && other.resolution() == 0
            && local.min_time < other.max_time
            && other.min_time < local.max_time
    }
}
