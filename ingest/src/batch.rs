//! One decoded write as the head and the WAL take it: every series' label set packed
//! (`series_key`) into one buffer and every sample in another, so a request of 2,000 series
//! costs a handful of allocations instead of two per label string. Both remote-write versions
//! decode into it, label sets checked as they are packed.

use std::ops::Range;

use quiver_proto::Labels;

use crate::histogram::HistSample;
use crate::receiver::WriteError;
use crate::series_key;

/// A series of a batch: its packed label set and its samples, as ranges into the batch.
#[derive(Debug, Clone)]
pub(crate) struct BatchSeries {
    pub(crate) key: Range<usize>,
    /// Label pairs in the key.
    pub(crate) labels: usize,
    pub(crate) samples: Range<usize>,
    pub(crate) hists: Range<usize>,
}

#[derive(Debug, Default)]
pub(crate) struct Batch {
    keys: Vec<u8>,
    pub(crate) series: Vec<BatchSeries>,
    pub(crate) samples: Vec<(i64, f64)>,
    pub(crate) hists: Vec<(i64, HistSample)>,
}

const EMPTY: &str = "add 1 series: label set contains a label with empty name or value";

impl Batch {
    pub(crate) fn with_capacity(series: usize) -> Self {
        Self {
            keys: Vec::with_capacity(series * 64),
            series: Vec::with_capacity(series),
            samples: Vec::new(),
            hists: Vec::new(),
        }
    }

    /// Adds a series, checking its labels as Thanos receive does: a non-empty set of non-empty
    /// names and values, sorted by name, no name twice (400 otherwise); its histograms as
    /// Prometheus validates them.
    pub(crate) fn push<'a>(
        &mut self,
        labels: impl IntoIterator<Item = (&'a str, &'a str)>,
        samples: impl IntoIterator<Item = (i64, f64)>,
        hists: impl IntoIterator<Item = (i64, HistSample)>,
    ) -> Result<(), WriteError> {
        let start = self.keys.len();
        let mut n = 0;
        let mut prev: Option<&str> = None;
        for (name, value) in labels {
            if name.is_empty() || value.is_empty() {
                self.keys.truncate(start);
                return Err(WriteError::BadRequest(EMPTY.into()));
            }
            if let Some(p) = prev
                && p >= name
            {
                self.keys.truncate(start);
                let why = if p == name { "duplicate label names" } else { "out of order labels" };
                return Err(WriteError::BadRequest(format!("add 1 series: label set contains {why}")));
            }
            series_key::put_pair(&mut self.keys, name, value);
            prev = Some(name);
            n += 1;
        }
        if n == 0 {
            return Err(WriteError::BadRequest(EMPTY.into()));
        }
        let first_hist = self.hists.len();
        for (t, h) in hists {
            if let Err(e) = h.validate() {
                self.keys.truncate(start);
                self.hists.truncate(first_hist);
                return Err(e);
            }
            self.hists.push((t, h));
        }
        let first = self.samples.len();
        self.samples.extend(samples);
        self.series.push(BatchSeries {
            key: start..self.keys.len(),
            labels: n,
            samples: first..self.samples.len(),
            hists: first_hist..self.hists.len(),
        });
        Ok(())
    }

    /// Adds a series already known valid (a replayed WAL record, a decoded `Labels`).
    pub(crate) fn push_labels(
        &mut self,
        labels: &Labels,
        samples: &[(i64, f64)],
        hists: &[(i64, HistSample)],
    ) {
        let start = self.keys.len();
        for l in labels {
            series_key::put_pair(&mut self.keys, &l.name, &l.value);
        }
        let first = self.samples.len();
        self.samples.extend_from_slice(samples);
        let first_hist = self.hists.len();
        self.hists.extend_from_slice(hists);
        self.series.push(BatchSeries {
            key: start..self.keys.len(),
            labels: labels.len(),
            samples: first..self.samples.len(),
            hists: first_hist..self.hists.len(),
        });
    }

    pub(crate) fn key(&self, s: &BatchSeries) -> &[u8] {
        &self.keys[s.key.clone()]
    }

    pub(crate) fn samples_of(&self, s: &BatchSeries) -> &[(i64, f64)] {
        &self.samples[s.samples.clone()]
    }

    pub(crate) fn hists_of(&self, s: &BatchSeries) -> &[(i64, HistSample)] {
        &self.hists[s.hists.clone()]
    }

    /// Float samples and histograms.
    pub(crate) fn num_samples(&self) -> usize {
        self.samples.len() + self.hists.len()
    }

    pub(crate) fn num_hists(&self) -> usize {
        self.hists.len()
    }
}
