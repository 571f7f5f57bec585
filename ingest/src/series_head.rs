//! One series of a head: its closed chunks (of any encoding, in time order), the XOR or
//! histogram chunk being appended to, and the samples taken out of order. Chunks are cut as
//! Prometheus's head cuts them: 120 float samples; a histogram chunk at 120 samples, at about
//! 1 KiB, or where the appender asks for a new one (a counter reset, a bucket layout it cannot
//! take); and a sample of another kind closes the open chunk, so chunks never overlap.

use bytes::Bytes;
use quiver_proto::TimeRange;
use quiver_proto::chunkenc::{
    AppendOutcome, CounterResetHeader, Encoding, FloatHistogramAppender, HistogramAppender, RawChunk,
    XorAppender, decode_float_histograms, decode_histograms, decode_xor,
};

use crate::histogram::{HistSample, Hists, SeriesSample, by_time};

/// Samples per chunk, as Prometheus's head.
const CHUNK_SAMPLES: usize = 120;
/// A histogram chunk past this size is cut once it holds a few samples, as Prometheus's head
/// aims histogram chunks at 1 KiB.
const HIST_CHUNK_BYTES: usize = 1024;
const HIST_CHUNK_MIN_SAMPLES: usize = 10;

/// The histogram chunk being appended to, integer or float.
#[derive(Debug)]
enum HistOpen {
    Int(HistogramAppender),
    Float(FloatHistogramAppender),
}

impl HistOpen {
    fn num_samples(&self) -> usize {
        match self {
            HistOpen::Int(a) => a.num_samples(),
            HistOpen::Float(a) => a.num_samples(),
        }
    }

    fn len_bytes(&self) -> usize {
        match self {
            HistOpen::Int(a) => a.len_bytes(),
            HistOpen::Float(a) => a.len_bytes(),
        }
    }

    fn bytes(&self) -> &[u8] {
        match self {
            HistOpen::Int(a) => a.bytes(),
            HistOpen::Float(a) => a.bytes(),
        }
    }

    fn encoding(&self) -> Encoding {
        match self {
            HistOpen::Int(_) => Encoding::Histogram,
            HistOpen::Float(_) => Encoding::FloatHistogram,
        }
    }

    fn fits(&self, h: &HistSample) -> bool {
        matches!(
            (self, h),
            (HistOpen::Int(_), HistSample::Int(_)) | (HistOpen::Float(_), HistSample::Float(_))
        )
    }

    fn new_for(h: &HistSample) -> Self {
        match h {
            HistSample::Int(_) => HistOpen::Int(HistogramAppender::new()),
            HistSample::Float(_) => HistOpen::Float(FloatHistogramAppender::new()),
        }
    }

    /// Appends as Prometheus's appender does; `Ok(Some(header))` when the sample needs a new
    /// chunk with that header (a reset, a bucket layout this chunk cannot take).
    fn append(&mut self, t: i64, h: &HistSample) -> quiver_proto::Result<Option<CounterResetHeader>> {
        let outcome = match (self, h) {
            (HistOpen::Int(a), HistSample::Int(h)) => a.append(t, h)?,
            (HistOpen::Float(a), HistSample::Float(h)) => a.append(t, h)?,
            _ => AppendOutcome::NewChunk(CounterResetHeader::Unknown),
        };
        Ok(match outcome {
            AppendOutcome::NewChunk(header) => Some(header),
            _ => None,
        })
    }

    fn with_header(h: &HistSample, header: CounterResetHeader) -> Self {
        match h {
            HistSample::Int(_) => HistOpen::Int(HistogramAppender::with_header(header)),
            HistSample::Float(_) => HistOpen::Float(FloatHistogramAppender::with_header(header)),
        }
    }
}

/// A series' native histograms not yet in a closed chunk (boxed: most series have none).
#[derive(Debug)]
struct HistHead {
    open: HistOpen,
    open_min: i64,
    last: Option<(i64, HistSample)>,
}

impl HistHead {
    /// Moves the open chunk, when it holds samples, to `closed`.
    fn close_into(&mut self, closed: &mut Vec<RawChunk>) {
        if self.open.num_samples() == 0 {
            return;
        }
        let (encoding, max) = (self.open.encoding(), self.last.as_ref().map_or(self.open_min, |l| l.0));
        let data = match std::mem::replace(&mut self.open, HistOpen::Int(HistogramAppender::new())) {
            HistOpen::Int(a) => a.into_bytes(),
            HistOpen::Float(a) => a.into_bytes(),
        };
        closed.push(RawChunk { min_time: self.open_min, max_time: max, encoding, data: Bytes::from(data) });
    }
}

#[derive(Debug)]
pub(crate) struct SeriesHead {
    /// Closed chunks of any encoding, in time order: a sample of another kind than the open
    /// chunk's closes it, as in Prometheus's head, so chunks never overlap.
    pub(crate) closed: Vec<RawChunk>,
    pub(crate) open: XorAppender,
    open_min: i64,
    pub(crate) last: Option<(i64, f64)>,
    /// Samples taken out of order (within the head's window), by time; served as one more
    /// chunk that overlaps the others, as Prometheus's out-of-order head does.
    pub(crate) ooo: Vec<(i64, f64)>,
    hist: Option<Box<HistHead>>,
}

impl SeriesHead {
    pub(crate) fn new() -> Self {
        Self {
            closed: Vec::new(),
            open: XorAppender::new(),
            open_min: 0,
            last: None,
            ooo: Vec::new(),
            hist: None,
        }
    }

    pub(crate) fn has_hists(&self) -> bool {
        self.hist.is_some()
    }

    fn hist_last_t(&self) -> Option<i64> {
        self.hist.as_ref().and_then(|h| h.last.as_ref().map(|l| l.0))
    }

    /// Takes an out-of-order sample: `Some(true)` when new, `Some(false)` for an identical
    /// repeat, `None` for another value at a time already taken out of order.
    pub(crate) fn insert_ooo(&mut self, t: i64, v: f64) -> Option<bool> {
        match self.ooo.binary_search_by_key(&t, |s| s.0) {
            Ok(i) => (self.ooo[i].1.to_bits() == v.to_bits()).then_some(false),
            Err(i) => {
                self.ooo.insert(i, (t, v));
                Some(true)
            }
        }
    }

    /// Whether float `(t, v)` would be taken: `Some(true)` to append, `Some(false)` for an
    /// identical repeat, `None` when out of order (a histogram at or after `t` included).
    pub(crate) fn accepts(&self, t: i64, v: f64) -> Option<bool> {
        if self.hist_last_t().is_some_and(|h| t <= h) {
            return None;
        }
        match self.last {
            Some((lt, _)) if t < lt => None,
            Some((lt, lv)) if t == lt => (lv.to_bits() == v.to_bits()).then_some(false),
            _ => Some(true),
        }
    }

    /// As [`Self::accepts`] for a histogram (never taken out of order).
    pub(crate) fn accepts_hist(&self, t: i64, h: &HistSample) -> Option<bool> {
        if self.last.is_some_and(|(lt, _)| t <= lt) {
            return None;
        }
        match self.hist.as_ref().and_then(|hh| hh.last.as_ref()) {
            Some((lt, _)) if t < *lt => None,
            Some((lt, lh)) if t == *lt => lh.same_as(h).then_some(false),
            _ => Some(true),
        }
    }

    fn close_xor(&mut self) {
        if self.open.num_samples() == 0 {
            return;
        }
        let full = std::mem::replace(&mut self.open, XorAppender::new());
        let max = self.last.map_or(self.open_min, |l| l.0);
        self.closed.push(RawChunk {
            min_time: self.open_min,
            max_time: max,
            encoding: Encoding::Xor,
            data: Bytes::from(full.into_bytes()),
        });
    }

    fn close_hist(&mut self) {
        if let Some(hh) = self.hist.as_mut() {
            hh.close_into(&mut self.closed);
        }
    }

    pub(crate) fn append(&mut self, t: i64, v: f64) {
        self.close_hist();
        if self.open.num_samples() >= CHUNK_SAMPLES {
            self.close_xor();
        }
        if self.open.num_samples() == 0 {
            self.open_min = t;
        }
        // In order by construction: the appender only refuses out-of-order samples.
        if self.open.append(t, v).is_ok() {
            self.last = Some((t, v));
        }
    }

    pub(crate) fn append_hist(&mut self, t: i64, h: HistSample) {
        self.close_xor();
        let closed = &mut self.closed;
        let hh = self.hist.get_or_insert_with(|| {
            Box::new(HistHead { open: HistOpen::new_for(&h), open_min: t, last: None })
        });
        let n = hh.open.num_samples();
        let full =
            n >= CHUNK_SAMPLES || (n >= HIST_CHUNK_MIN_SAMPLES && hh.open.len_bytes() >= HIST_CHUNK_BYTES);
        if n > 0 && (full || !hh.open.fits(&h)) {
            hh.close_into(closed);
        }
        if hh.open.num_samples() == 0 {
            hh.open = HistOpen::new_for(&h);
        }
        let appended = match hh.open.append(t, &h) {
            Ok(None) => true,
            Ok(Some(header)) => {
                hh.close_into(closed);
                hh.open = HistOpen::with_header(&h, header);
                matches!(hh.open.append(t, &h), Ok(None))
            }
            Err(_) => false,
        };
        if appended {
            if hh.open.num_samples() == 1 {
                hh.open_min = t;
            }
            hh.last = Some((t, h));
        }
    }

    /// The chunks overlapping `range`, the open ones copied as they are now.
    pub(crate) fn chunks(&self, range: &TimeRange) -> Vec<RawChunk> {
        let mut out: Vec<RawChunk> = self
            .closed
            .iter()
            .filter(|c| range.overlaps(&TimeRange::new(c.min_time, c.max_time)))
            .cloned()
            .collect();
        if let Some((max, _)) = self.last
            && self.open.num_samples() > 0
            && range.overlaps(&TimeRange::new(self.open_min, max))
        {
            out.push(RawChunk {
                min_time: self.open_min,
                max_time: max,
                encoding: Encoding::Xor,
                data: Bytes::copy_from_slice(self.open.bytes()),
            });
        }
        if let Some(hh) = &self.hist
            && let Some((max, _)) = &hh.last
            && hh.open.num_samples() > 0
            && range.overlaps(&TimeRange::new(hh.open_min, *max))
        {
            out.push(RawChunk {
                min_time: hh.open_min,
                max_time: *max,
                encoding: hh.open.encoding(),
                data: Bytes::copy_from_slice(hh.open.bytes()),
            });
        }
        if let (Some(&(lo, _)), Some(&(hi, _))) = (self.ooo.first(), self.ooo.last())
            && range.overlaps(&TimeRange::new(lo, hi))
        {
            let mut app = XorAppender::new();
            for &(t, v) in &self.ooo {
                let _ = app.append(t, v);
            }
            out.push(RawChunk {
                min_time: lo,
                max_time: hi,
                encoding: Encoding::Xor,
                data: Bytes::from(app.into_bytes()),
            });
        }
        out
    }

    pub(crate) fn range(&self) -> Option<(i64, i64)> {
        let mut lo = self.closed.first().map_or(i64::MAX, |c| c.min_time);
        if self.open.num_samples() > 0 {
            lo = lo.min(self.open_min);
        }
        if let Some(hh) = &self.hist
            && hh.open.num_samples() > 0
        {
            lo = lo.min(hh.open_min);
        }
        let mut hi = self.last.map_or(i64::MIN, |l| l.0).max(self.hist_last_t().unwrap_or(i64::MIN));
        if let (Some(a), Some(b)) = (self.ooo.first(), self.ooo.last()) {
            lo = lo.min(a.0);
            hi = hi.max(b.0);
        }
        (lo <= hi).then_some((lo, hi))
    }

    /// Every float sample held, in time order (an out-of-order sample at a time also taken in
    /// order gives way to it), and every histogram.
    pub(crate) fn samples(&self) -> (Vec<(i64, f64)>, Hists) {
        let mut floats = Vec::new();
        let mut hists = Vec::new();
        let open_hist = self.hist.as_ref().map(|hh| (hh.open.encoding(), hh.open.bytes()));
        let all = self
            .closed
            .iter()
            .map(|c| (c.encoding, &c.data[..]))
            .chain(std::iter::once((Encoding::Xor, self.open.bytes())))
            .chain(open_hist);
        for (encoding, data) in all {
            if data.is_empty() {
                continue;
            }
            match encoding {
                Encoding::Xor => {
                    if let Ok(s) = decode_xor(data) {
                        floats.extend(s.into_iter().map(|s| (s.t, s.v)));
                    }
                }
                Encoding::Histogram => {
                    if let Ok(s) = decode_histograms(data) {
                        hists.extend(s.into_iter().map(|(t, h)| (t, HistSample::Int(h))));
                    }
                }
                Encoding::FloatHistogram => {
                    if let Ok(s) = decode_float_histograms(data) {
                        hists.extend(s.into_iter().map(|(t, h)| (t, HistSample::Float(h))));
                    }
                }
            }
        }
        if !self.ooo.is_empty() {
            floats.extend_from_slice(&self.ooo);
            floats.sort_by_key(|s| s.0);
            floats.dedup_by_key(|s| s.0);
        }
        (floats, hists)
    }

    /// A series holding `floats` and `hists` (each in time order), appended in time order.
    pub(crate) fn rebuilt(floats: &[(i64, f64)], hists: &[(i64, HistSample)]) -> Self {
        let mut s = SeriesHead::new();
        for sample in by_time(floats, hists) {
            match sample {
                SeriesSample::Float(t, v) => s.append(t, v),
                SeriesSample::Hist(t, h) => s.append_hist(t, h.clone()),
            }
        }
        s
    }

    pub(crate) fn chunk_bytes(&self) -> usize {
        self.closed.iter().map(|c| c.data.len()).sum::<usize>()
            + self.open.len_bytes()
            + self.hist.as_ref().map_or(0, |h| h.open.len_bytes())
    }
}
