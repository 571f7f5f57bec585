use std::hash::Hasher;

use crate::labels::{Labels, METRIC_NAME};
use crate::matcher::Matcher;
use crate::sample::TimeRange;

/// A series request (StoreAPI's `SeriesRequest`).
#[derive(Debug, Clone, PartialEq)]
pub struct SeriesRequest {
    /// Series with data in this range; chunks overlapping it.
    pub range: TimeRange,
    pub matchers: Vec<Matcher>,
    /// The coarsest downsampling resolution the caller accepts, milliseconds (0: raw only).
    pub max_resolution_ms: i64,
    /// Labels only, no chunks (`/api/v1/series`).
    pub skip_chunks: bool,
    /// What the caller will compute, for sources that can use it; best effort only: a source
    /// always returns raw series, whatever the hints say.
    pub hints: Option<QueryHints>,
    pub limits: SeriesLimits,
    /// Only the series of one shard (by label hash), for query sharding.
    pub shard: Option<ShardInfo>,
    /// Labels to leave out of every series (HA replica labels, for deduplication); the series
    /// are then sorted by what is left (StoreAPI's `without_replica_labels`).
    pub without_replica_labels: Vec<String>,
}

impl SeriesRequest {
    pub fn new(matchers: Vec<Matcher>, range: TimeRange) -> Self {
        Self {
            range,
            matchers,
            max_resolution_ms: 0,
            skip_chunks: false,
            hints: None,
            limits: SeriesLimits::default(),
            shard: None,
            without_replica_labels: Vec::new(),
        }
    }
}

/// Query hints (Thanos's `hintspb.SeriesRequestHints` / Prometheus's `SelectHints`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct QueryHints {
    pub step_ms: i64,
    /// The range of a range selector, 0 for an instant selector.
    pub range_ms: i64,
    /// The function applied to the selection (`rate`, ...), if any.
    pub func: Option<String>,
    pub grouping: Option<Grouping>,
}

/// The grouping of an aggregation over the selection.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Grouping {
    /// `by` when true, `without` when false.
    pub by: bool,
    pub labels: Vec<String>,
}

/// Most a source may return for one request; 0 means no limit.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SeriesLimits {
    pub series: u64,
    pub samples: u64,
    pub chunk_bytes: u64,
}

/// One shard of `total` (Thanos's `storepb.ShardInfo`): a series belongs to shard
/// `hash(labels) % total`, hashing the listed labels (`by`) or all but them and the metric name
/// (`without`), as Prometheus's `HashForLabels` and `HashWithoutLabels` do.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ShardInfo {
    pub index: u64,
    pub total: u64,
    pub by: bool,
    pub labels: Vec<String>,
}

impl ShardInfo {
    /// Shard `index` of `total`, by the hash of all labels but the metric name.
    pub fn of(index: usize, total: usize) -> Self {
        Self { index: index as u64, total: total as u64, by: false, labels: Vec::new() }
    }

    /// Whether a series with `labels` is in this shard.
    pub fn owns(&self, labels: &Labels) -> bool {
        self.owns_pairs(labels.iter().map(|l| (l.name.as_str(), l.value.as_str())))
    }

    /// As [`ShardInfo::owns`], the labels given as (name, value) pairs in label order, so a
    /// reader can place a series before it builds its labels.
    pub fn owns_pairs<'a>(&self, labels: impl IntoIterator<Item = (&'a str, &'a str)>) -> bool {
        if self.total <= 1 {
            return true;
        }
        let mut h = twox_hash::XxHash64::with_seed(0);
        for (name, value) in labels {
            let listed = self.labels.iter().any(|l| l == name);
            let hashed = if self.by { listed } else { !listed && name != METRIC_NAME };
            if hashed {
                h.write(name.as_bytes());
                h.write(&[0xff]);
                h.write(value.as_bytes());
                h.write(&[0xff]);
            }
        }
        h.finish() % self.total == self.index
    }
}

/// A label names or values request (StoreAPI's `LabelNamesRequest` / `LabelValuesRequest`).
#[derive(Debug, Clone, PartialEq)]
pub struct LabelsRequest {
    pub range: TimeRange,
    /// Only series matching all of these count; none: every series in the range.
    pub matchers: Vec<Matcher>,
    /// Most values to return; 0 means no limit.
    pub limit: usize,
    /// Labels left out of the series (replica labels): not among the names, no values.
    pub without_replica_labels: Vec<String>,
}

impl LabelsRequest {
    pub fn new(matchers: Vec<Matcher>, range: TimeRange) -> Self {
        Self { range, matchers, limit: 0, without_replica_labels: Vec::new() }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn labels(pairs: &[(&str, &str)]) -> Labels {
        Labels::from_pairs(pairs.iter().copied()).unwrap_or_default()
    }

    #[test]
    fn shards_split_series_and_ignore_the_name_without_by() {
        let series: Vec<Labels> =
            (0..200).map(|i| labels(&[("__name__", "up"), ("instance", &format!("h{i}"))])).collect();
        let shards: Vec<ShardInfo> = (0..3).map(|i| ShardInfo::of(i, 3)).collect();
        for s in &series {
            assert_eq!(shards.iter().filter(|sh| sh.owns(s)).count(), 1, "{s}");
        }
        let sizes: Vec<usize> =
            shards.iter().map(|sh| series.iter().filter(|s| sh.owns(s)).count()).collect();
        assert!(sizes.iter().all(|&n| n > 40), "{sizes:?}");
        // Without `by`, series that differ only in their name fall into one shard.
        let (a, b) = (labels(&[("__name__", "a"), ("x", "1")]), labels(&[("__name__", "b"), ("x", "1")]));
        assert!(shards.iter().all(|sh| sh.owns(&a) == sh.owns(&b)));
        // By a label: only that label counts.
        let by = ShardInfo { index: 0, total: 2, by: true, labels: vec!["x".into()] };
        let c = labels(&[("__name__", "a"), ("x", "1"), ("y", "9")]);
        assert_eq!(by.owns(&a), by.owns(&c));
        assert!(ShardInfo::of(0, 1).owns(&a));
    }
}
