//! Turning a `load` command into the samples handed to [`TestEngine::load`](super::TestEngine).

use quiver_proto::Labels;

use super::commands::LoadCmd;
use super::nhcb::classic_to_nhcb;
use super::series::SequenceValue;
use crate::value::Point;

/// Series with their samples, as [`TestEngine::load`](super::TestEngine::load) takes them.
pub type SeriesSamples = Vec<(Labels, Vec<(i64, Point)>)>;

impl LoadCmd {
    /// The series with their samples, as promqltest appends them: position `i` at
    /// `i × interval` ms (from 0), `_` positions left out, `stale` as the stale NaN. A series
    /// given twice in one block keeps its last line. For `load_with_nhcb` the classic histograms
    /// are followed by their native-histogram-with-custom-buckets versions.
    pub fn samples(&self) -> Result<SeriesSamples, String> {
        let mut out: SeriesSamples = Vec::with_capacity(self.series.len());
        for s in &self.series {
            let mut samples = Vec::with_capacity(s.values.len());
            let mut t: i64 = 0;
            for v in &s.values {
                match v {
                    SequenceValue::Omitted => {}
                    SequenceValue::Float(f) => samples.push((t, Point::Float(*f))),
                    SequenceValue::Histogram { histogram, .. } => {
                        samples.push((t, Point::Histogram(histogram.clone())));
                    }
                }
                t = t.saturating_add(self.interval_ms);
            }
            match out.iter_mut().find(|(l, _)| *l == s.labels) {
                Some(existing) => existing.1 = samples,
                None => out.push((s.labels.clone(), samples)),
            }
        }
        if self.with_nhcb {
            let nhcb =
                classic_to_nhcb(&out).map_err(|e| format!("load_with_nhcb at line {}: {e}", self.line))?;
            out.extend(nhcb);
        }
        Ok(out)
    }
}
