//! A block as a Thanos store gateway serves it: every series carries the block's external labels
//! (meta.json's `thanos.labels`), which replace a series label of the same name, and a matcher on
//! an external label is answered by the block as a whole, never by its index.

use quiver_proto::{Labels, Matcher, TimeRange};

use super::index_reader::SeriesEntry;
use super::reader::Block;
use crate::error::Result;

impl Block {
    /// The external labels: meta.json's `thanos.labels`.
    pub fn external_labels(&self) -> &Labels {
        &self.external
    }

    /// `matchers` less those on external labels, which the block answers alone; `None` when one
    /// of them rejects the block.
    pub fn index_matchers(&self, matchers: &[Matcher]) -> Option<Vec<Matcher>> {
        let mut rest = Vec::with_capacity(matchers.len());
        for m in matchers {
            match self.external.get(&m.name) {
                Some(v) if !m.matches(v) => return None,
                Some(_) => {}
                None => rest.push(m.clone()),
            }
        }
        Some(rest)
    }

    /// `labels` with the external labels added, theirs winning (Thanos's `ExtendSortedLabels`).
    pub fn with_external_labels(&self, labels: &Labels) -> Labels {
        if self.external.is_empty() { labels.clone() } else { self.external.merged_with(labels) }
    }

    /// As [`Block::select`], with external labels: matched by the block, added to each series.
    pub async fn select_external(&self, matchers: &[Matcher], range: TimeRange) -> Result<Vec<SeriesEntry>> {
        let Some(rest) = self.index_matchers(matchers) else { return Ok(Vec::new()) };
        let mut series = self.select(&rest, range).await?;
        if !self.external.is_empty() {
            for s in &mut series {
                s.labels = self.with_external_labels(&s.labels);
            }
        }
        Ok(series)
    }

    /// The label sets, external labels included, of every series matching `matchers`,
    /// whatever their chunks.
    pub async fn series_labels(&self, matchers: &[Matcher]) -> Result<Vec<Labels>> {
        let Some(rest) = self.index_matchers(matchers) else { return Ok(Vec::new()) };
        let refs = self.index().select(&rest).await?;
        Ok(self.index().series(&refs).await?.iter().map(|e| self.with_external_labels(&e.labels)).collect())
    }

    /// Every label name of the block's series and its external labels, sorted.
    pub fn label_names(&self) -> Vec<String> {
        let mut names: Vec<String> = self.index().label_names().into_iter().map(str::to_string).collect();
        names.extend(self.external.iter().map(|l| l.name.clone()));
        names.sort();
        names.dedup();
        names
    }

    /// Every value of `name` among the block's series: the external label's alone when the
    /// block has one of that name.
    pub fn label_values(&self, name: &str) -> Vec<String> {
        match self.external.get(name) {
            Some(v) => vec![v.to_string()],
            None => self.index().label_values(name).into_iter().map(str::to_string).collect(),
        }
    }
}
