use crate::chunkenc::RawChunk;
use crate::labels::Labels;

/// One series and its chunks overlapping the requested range, oldest first (none when the
/// request skips chunks). Chunks from different sources may overlap in time; readers merge them
/// by timestamp.
#[derive(Debug, Clone, PartialEq)]
pub struct StoreSeries {
    pub labels: Labels,
    pub chunks: Vec<RawChunk>,
}

/// One item of a series stream.
#[derive(Debug, Clone, PartialEq)]
pub enum SeriesFrame {
    Series(StoreSeries),
    /// Something the source could not serve while still answering the rest (a partial
    /// response); the text names the source.
    Warning(String),
}

/// What a source serves (StoreAPI's `Info`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct StoreInfo {
    /// The external label sets of its series; a fan-out asks it only when a request's
    /// matchers can match one of them (or the set is empty).
    pub label_sets: Vec<Labels>,
    /// The oldest and newest sample it may hold, milliseconds (inclusive).
    pub min_time: i64,
    pub max_time: i64,
    /// Downsampling resolutions it holds, milliseconds (0 for raw data).
    pub resolutions_ms: Vec<i64>,
}

impl StoreInfo {
    /// The info of a source that holds nothing.
    pub fn empty() -> Self {
        Self { label_sets: Vec::new(), min_time: i64::MAX, max_time: i64::MIN, resolutions_ms: Vec::new() }
    }

    /// Widens `self` to cover `other` too.
    pub fn merge(&mut self, other: StoreInfo) {
        self.min_time = self.min_time.min(other.min_time);
        self.max_time = self.max_time.max(other.max_time);
        for l in other.label_sets {
            if !self.label_sets.contains(&l) {
                self.label_sets.push(l);
            }
        }
        for r in other.resolutions_ms {
            if !self.resolutions_ms.contains(&r) {
                self.resolutions_ms.push(r);
            }
        }
        self.label_sets.sort();
        self.resolutions_ms.sort_unstable();
    }
}

/// Label names or values, sorted and unique, with the warnings of a partial answer.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LabelsAnswer {
    pub values: Vec<String>,
    pub warnings: Vec<String>,
}

impl LabelsAnswer {
    /// The first `limit` of `values` (sorted and unique; 0: all), without warnings.
    pub fn limited(values: impl IntoIterator<Item = String>, limit: usize) -> Self {
        let mut values: Vec<String> = values.into_iter().collect();
        if limit > 0 {
            values.truncate(limit);
        }
        Self { values, warnings: Vec::new() }
    }
}
