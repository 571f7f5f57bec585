//! `meta.json`: Prometheus's block metadata plus Thanos's `thanos` section.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use ulid::Ulid;

use crate::error::{Error, Result};

/// The `meta.json` of a block, as Prometheus and Thanos write it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BlockMeta {
    pub ulid: Ulid,
    #[serde(rename = "minTime")]
    pub min_time: i64,
    /// Exclusive: one past the newest sample, as in Prometheus.
    #[serde(rename = "maxTime")]
    pub max_time: i64,
    #[serde(default)]
    pub stats: BlockStats,
    pub compaction: BlockCompaction,
    pub version: u32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub thanos: Option<ThanosMeta>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct BlockStats {
    #[serde(rename = "numSamples", default, skip_serializing_if = "is_zero")]
    pub num_samples: u64,
    #[serde(rename = "numFloatSamples", default, skip_serializing_if = "is_zero")]
    pub num_float_samples: u64,
    #[serde(rename = "numHistogramSamples", default, skip_serializing_if = "is_zero")]
    pub num_histogram_samples: u64,
    #[serde(rename = "numSeries", default, skip_serializing_if = "is_zero")]
    pub num_series: u64,
    #[serde(rename = "numChunks", default, skip_serializing_if = "is_zero")]
    pub num_chunks: u64,
    #[serde(rename = "numTombstones", default, skip_serializing_if = "is_zero")]
    pub num_tombstones: u64,
}

fn is_zero(x: &u64) -> bool {
    *x == 0
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BlockCompaction {
    pub level: u32,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub sources: Vec<Ulid>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub parents: Vec<BlockDesc>,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub failed: bool,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub deletable: Vec<Ulid>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub hints: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BlockDesc {
    pub ulid: Ulid,
    #[serde(rename = "minTime")]
    pub min_time: i64,
    #[serde(rename = "maxTime")]
    pub max_time: i64,
}

/// Thanos's additions: external labels, resolution, where the block came from, its files.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ThanosMeta {
    #[serde(default)]
    pub labels: BTreeMap<String, String>,
    #[serde(default)]
    pub downsample: Downsample,
    #[serde(default)]
    pub source: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub segment_files: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub files: Vec<FileMeta>,
    #[serde(default, skip_serializing_if = "IndexStats::is_empty")]
    pub index_stats: IndexStats,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Downsample {
    /// Milliseconds: 0 (raw), 300000 (5m) or 3600000 (1h).
    pub resolution: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FileMeta {
    pub rel_path: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub size_bytes: Option<u64>,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct IndexStats {
    #[serde(default, skip_serializing_if = "is_zero_i64")]
    pub series_max_size: i64,
    #[serde(default, skip_serializing_if = "is_zero_i64")]
    pub chunk_max_size: i64,
}

fn is_zero_i64(x: &i64) -> bool {
    *x == 0
}

impl IndexStats {
    fn is_empty(&self) -> bool {
        self.series_max_size == 0 && self.chunk_max_size == 0
    }
}

impl BlockMeta {
    /// A level-1 block that is its own source, as promtool and a Prometheus head write it.
    pub fn new(ulid: Ulid, min_time: i64, max_time: i64) -> Self {
        Self {
            ulid,
            min_time,
            max_time,
            stats: BlockStats::default(),
            compaction: BlockCompaction {
                level: 1,
                sources: vec![ulid],
                parents: Vec::new(),
                failed: false,
                deletable: Vec::new(),
                hints: Vec::new(),
            },
            version: 1,
            thanos: None,
        }
    }

    pub fn parse(block: &str, data: &[u8]) -> Result<Self> {
        let meta: BlockMeta = serde_json::from_slice(data)
            .map_err(|source| Error::Meta { block: block.to_string(), source })?;
        if meta.version != 1 {
            return Err(Error::corrupt(
                block,
                "meta.json",
                format!("unsupported meta.json version {}", meta.version),
            ));
        }
        if meta.max_time < meta.min_time {
            return Err(Error::corrupt(
                block,
                "meta.json",
                format!("maxTime {} before minTime {}", meta.max_time, meta.min_time),
            ));
        }
        Ok(meta)
    }

    /// Serializes as Prometheus does: tab-indented JSON.
    pub fn to_json(&self) -> Result<Vec<u8>> {
        let mut out = Vec::new();
        let fmt = serde_json::ser::PrettyFormatter::with_indent(b"\t");
        let mut ser = serde_json::Serializer::with_formatter(&mut out, fmt);
        self.serialize(&mut ser).map_err(|e| Error::Write { reason: format!("encoding meta.json: {e}") })?;
        Ok(out)
    }

    /// Thanos's external labels of this block (empty for a plain Prometheus block).
    pub fn external_labels(&self) -> BTreeMap<String, String> {
        self.thanos.as_ref().map(|t| t.labels.clone()).unwrap_or_default()
    }

    pub fn resolution(&self) -> i64 {
        self.thanos.as_ref().map(|t| t.downsample.resolution).unwrap_or(0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_thanos_meta_and_round_trips() {
        let json = r#"{
	"ulid": "01M89YT77G2NWPDE0HMPH4E34Y",
	"minTime": 1000,
	"maxTime": 10001,
	"stats": {"numSamples": 5, "numSeries": 1, "numChunks": 1},
	"compaction": {"level": 1, "sources": ["01M89YT77G2NWPDE0HMPH4E34Y"]},
	"version": 1,
	"thanos": {"labels": {"replica": "a"}, "downsample": {"resolution": 300000}, "source": "receive",
	           "files": [{"rel_path": "index", "size_bytes": 204}, {"rel_path": "meta.json"}]}
}"#;
        let m = BlockMeta::parse("b", json.as_bytes()).unwrap();
        assert_eq!(m.resolution(), 300_000);
        assert_eq!(m.external_labels().get("replica").map(String::as_str), Some("a"));
        let again = BlockMeta::parse("b", &m.to_json().unwrap()).unwrap();
        assert_eq!(again, m);
    }

    #[test]
    fn rejects_garbage_with_block_name() {
        let err = BlockMeta::parse("01ABC", b"{\"ulid\": 3").unwrap_err();
        assert!(err.to_string().contains("01ABC"), "{err}");
        let bad_version = r#"{"ulid":"01M89YT77G2NWPDE0HMPH4E34Y","minTime":0,"maxTime":1,"compaction":{"level":1},"version":7}"#;
        assert!(BlockMeta::parse("b", bad_version.as_bytes()).is_err());
    }
}
