//! Prometheus's float histogram chunk (encoding 3): native histograms with float counts.
//!
//! Same header and bucket layout as the [histogram chunk](super::HistogramAppender); the
//! samples differ:
//!
//! ```text
//! field     t           count    zero_count  sum      buckets (positive then negative)
//! first     varbit      64 bits  64 bits     64 bits  64 bits each (absolute counts)
//! later     varbit dod  xor      xor         xor      xor each, every value its own window
//! ```
//!
//! A sample whose sum is the stale marker has no buckets (its count and zero count are
//! written as 0).

use super::bstream::{BitReader, BitWriter, Eof};
use super::histogram::copy_into;
use super::histogram_meta::{
    AppendOutcome, CounterResetHeader, FLAGS_POS, HEADER_SIZE, Insert, Layout, adjust_for_inserts,
    check_histogram_shape, expand_spans_and_buckets, expand_spans_both_ways, insert_absolute, read_layout,
    set_header, write_layout,
};
use super::varbit::{put_varbit_int, read_varbit_int, xor_read, xor_write};
use crate::error::{Error, Result};
use crate::histogram::{CounterResetHint, EXPONENTIAL_SCHEMA_MAX, FloatHistogram, Span};
use crate::sample::is_stale_nan;

const ENCODING: &str = "floathistogram";

fn corrupt(reason: impl Into<String>) -> Error {
    Error::CorruptChunk { encoding: ENCODING, reason: reason.into() }
}

/// A Gorilla-XORed value and its leading/trailing zero window (0xff leading: no window yet).
#[derive(Debug, Clone, Copy)]
struct XorValue {
    value: f64,
    leading: u8,
    trailing: u8,
}

impl XorValue {
    fn new(value: f64) -> Self {
        Self { value, leading: 0xff, trailing: 0 }
    }

    fn write(&mut self, w: &mut BitWriter, v: f64) {
        xor_write(w, v, self.value, &mut self.leading, &mut self.trailing);
        self.value = v;
    }
}

/// Builds a float histogram chunk sample by sample, producing the bytes Prometheus's appender does.
#[derive(Debug, Clone)]
pub struct FloatHistogramAppender {
    w: BitWriter,
    num: u16,

    schema: i32,
    zero_threshold: f64,
    positive_spans: Vec<Span>,
    negative_spans: Vec<Span>,
    custom_values: Vec<f64>,

    t: i64,
    t_delta: i64,
    sum: XorValue,
    count: XorValue,
    zero_count: XorValue,
    positive: Vec<XorValue>,
    negative: Vec<XorValue>,
}

impl Default for FloatHistogramAppender {
    fn default() -> Self {
        Self::new()
    }
}

/// What [`FloatHistogramAppender::appendable`] found.
#[derive(Debug, Default)]
struct Appendable {
    positive_forward: Vec<Insert>,
    negative_forward: Vec<Insert>,
    positive_backward: Vec<Insert>,
    negative_backward: Vec<Insert>,
    ok: bool,
    counter_reset: bool,
}

impl FloatHistogramAppender {
    /// An empty chunk with an [`CounterResetHeader::Unknown`] header.
    pub fn new() -> Self {
        let mut w = BitWriter::new();
        w.write_bits(0, 24);
        Self {
            w,
            num: 0,
            schema: 0,
            zero_threshold: 0.0,
            positive_spans: Vec::new(),
            negative_spans: Vec::new(),
            custom_values: Vec::new(),
            t: i64::MIN,
            t_delta: 0,
            sum: XorValue::new(0.0),
            count: XorValue::new(0.0),
            zero_count: XorValue::new(0.0),
            positive: Vec::new(),
            negative: Vec::new(),
        }
    }

    /// An empty chunk with the given counter reset header.
    pub fn with_header(header: CounterResetHeader) -> Self {
        let mut a = Self::new();
        a.set_counter_reset_header(header);
        a
    }

    pub fn num_samples(&self) -> usize {
        usize::from(self.num)
    }

    pub fn len_bytes(&self) -> usize {
        self.w.bytes().len()
    }

    pub fn bytes(&self) -> &[u8] {
        self.w.bytes()
    }

    pub fn into_bytes(self) -> Vec<u8> {
        self.w.into_bytes()
    }

    pub fn counter_reset_header(&self) -> CounterResetHeader {
        CounterResetHeader::from_flags(self.w.bytes()[FLAGS_POS])
    }

    pub fn set_counter_reset_header(&mut self, header: CounterResetHeader) {
        set_header(self.w.bytes_mut(), header);
    }

    /// Timestamp of the last sample (`i64::MIN` when empty).
    pub fn last_t(&self) -> i64 {
        self.t
    }

    /// Appends a float histogram as Prometheus's `FloatHistogramAppender.AppendFloatHistogram`
    /// does with no previous chunk; see [`super::HistogramAppender::append`].
    pub fn append(&mut self, t: i64, h: &FloatHistogram) -> Result<AppendOutcome> {
        self.append_after(None, t, h)
    }

    /// Like [`Self::append`], with the appender of the series' previous chunk when this empty
    /// chunk was cut for size or time: the header then tells whether the sample is a reset.
    pub fn append_after(
        &mut self,
        prev: Option<&FloatHistogramAppender>,
        t: i64,
        h: &FloatHistogram,
    ) -> Result<AppendOutcome> {
        if self.num == u16::MAX {
            return Err(Error::ChunkFull(usize::from(self.num)));
        }
        if self.num > 0 && t < self.t {
            return Err(Error::OutOfOrder { t, prev: self.t });
        }
        if !h.is_stale() {
            check_histogram_shape(
                h.schema,
                &h.positive_spans,
                h.positive_buckets.len(),
                &h.negative_spans,
                h.negative_buckets.len(),
            )?;
        }
        if self.num == 0 {
            self.append_raw(t, h);
            match h.counter_reset_hint {
                CounterResetHint::Gauge => self.set_counter_reset_header(CounterResetHeader::Gauge),
                CounterResetHint::CounterReset => {
                    self.set_counter_reset_header(CounterResetHeader::CounterReset)
                }
                _ => {
                    if let Some(p) = prev {
                        // Prometheus says "no reset" here even when the layout changed.
                        let header = if p.appendable(h).counter_reset {
                            CounterResetHeader::CounterReset
                        } else {
                            CounterResetHeader::NotCounterReset
                        };
                        self.set_counter_reset_header(header);
                    }
                }
            }
            return Ok(AppendOutcome::Appended);
        }

        if h.counter_reset_hint != CounterResetHint::Gauge {
            let app = self.appendable(h);
            if !app.ok || app.counter_reset {
                return Ok(AppendOutcome::NewChunk(if app.counter_reset {
                    CounterResetHeader::CounterReset
                } else {
                    CounterResetHeader::Unknown
                }));
            }
            let mut owned;
            let mut h = h;
            if !app.positive_backward.is_empty() || !app.negative_backward.is_empty() {
                owned = h.clone();
                if app.positive_forward.is_empty() && app.negative_forward.is_empty() {
                    owned.positive_spans = self.positive_spans.clone();
                    owned.negative_spans = self.negative_spans.clone();
                } else {
                    owned.positive_spans = adjust_for_inserts(&h.positive_spans, &app.positive_backward);
                    owned.negative_spans = adjust_for_inserts(&h.negative_spans, &app.negative_backward);
                }
                insert_backward(&mut owned, &app.positive_backward, &app.negative_backward);
                h = &owned;
            }
            if !app.positive_forward.is_empty() || !app.negative_forward.is_empty() {
                self.recode(
                    &app.positive_forward,
                    &app.negative_forward,
                    &h.positive_spans,
                    &h.negative_spans,
                )?;
                self.append_raw(t, h);
                return Ok(AppendOutcome::Recoded);
            }
            self.append_raw(t, h);
            return Ok(AppendOutcome::Appended);
        }

        let Some((pf, nf, pb, nb, p_merged, n_merged)) = self.appendable_gauge(h) else {
            return Ok(AppendOutcome::NewChunk(CounterResetHeader::Gauge));
        };
        let mut owned;
        let mut h = h;
        if !pb.is_empty() || !nb.is_empty() {
            owned = h.clone();
            owned.positive_spans = p_merged;
            owned.negative_spans = n_merged;
            insert_backward(&mut owned, &pb, &nb);
            h = &owned;
        }
        if !pf.is_empty() || !nf.is_empty() {
            self.recode(&pf, &nf, &h.positive_spans, &h.negative_spans)?;
            self.append_raw(t, h);
            return Ok(AppendOutcome::Recoded);
        }
        self.append_raw(t, h);
        Ok(AppendOutcome::Appended)
    }

    fn appendable(&self, h: &FloatHistogram) -> Appendable {
        let mut out = Appendable::default();
        if self.num > 0 && self.counter_reset_header() == CounterResetHeader::Gauge {
            return out;
        }
        if h.counter_reset_hint == CounterResetHint::CounterReset {
            out.counter_reset = true;
            return out;
        }
        if h.is_stale() {
            out.ok = true;
            return out;
        }
        if is_stale_nan(self.sum.value) {
            return out;
        }
        if h.count < self.count.value {
            out.counter_reset = true;
            return out;
        }
        if h.schema != self.schema || h.zero_threshold != self.zero_threshold {
            return out;
        }
        if h.uses_custom_buckets() && !bounds_match(&h.custom_values, &self.custom_values) {
            out.counter_reset = true;
            return out;
        }
        if h.zero_count < self.zero_count.value {
            out.counter_reset = true;
            return out;
        }
        let values = |v: &[XorValue]| v.iter().map(|x| x.value).collect::<Vec<f64>>();
        let Some((pf, pb)) = expand_spans_and_buckets(
            &self.positive_spans,
            &h.positive_spans,
            &values(&self.positive),
            &h.positive_buckets,
        ) else {
            out.counter_reset = true;
            return out;
        };
        let Some((nf, nb)) = expand_spans_and_buckets(
            &self.negative_spans,
            &h.negative_spans,
            &values(&self.negative),
            &h.negative_buckets,
        ) else {
            out.counter_reset = true;
            return out;
        };
        out.positive_forward = pf;
        out.positive_backward = pb;
        out.negative_forward = nf;
        out.negative_backward = nb;
        out.ok = true;
        out
    }

    #[allow(clippy::type_complexity)]
    fn appendable_gauge(
        &self,
        h: &FloatHistogram,
    ) -> Option<(Vec<Insert>, Vec<Insert>, Vec<Insert>, Vec<Insert>, Vec<Span>, Vec<Span>)> {
        if self.num > 0 && self.counter_reset_header() != CounterResetHeader::Gauge {
            return None;
        }
        if h.is_stale() {
            return Some(Default::default());
        }
        if is_stale_nan(self.sum.value)
            || h.schema != self.schema
            || h.zero_threshold != self.zero_threshold
            || (h.uses_custom_buckets() && !bounds_match(&h.custom_values, &self.custom_values))
        {
            return None;
        }
        let (pf, pb, pm) = expand_spans_both_ways(&self.positive_spans, &h.positive_spans);
        let (nf, nb, nm) = expand_spans_both_ways(&self.negative_spans, &h.negative_spans);
        Some((pf, nf, pb, nb, pm, nm))
    }

    fn recode(
        &mut self,
        positive: &[Insert],
        negative: &[Insert],
        positive_spans: &[Span],
        negative_spans: &[Span],
    ) -> Result<()> {
        let bytes = self.w.bytes().to_vec();
        let mut it = FloatHistogramIter::new(&bytes)?;
        let mut fresh = FloatHistogramAppender::with_header(self.counter_reset_header());
        let mut h = FloatHistogram::default();
        while it.advance()? {
            it.at_float_histogram(&mut h);
            copy_into(&mut h.positive_spans, positive_spans);
            copy_into(&mut h.negative_spans, negative_spans);
            if !positive.is_empty() {
                h.positive_buckets = insert_absolute(&h.positive_buckets, positive);
            }
            if !negative.is_empty() {
                h.negative_buckets = insert_absolute(&h.negative_buckets, negative);
            }
            fresh.append_raw(it.t(), &h);
        }
        *self = fresh;
        Ok(())
    }

    fn append_raw(&mut self, t: i64, h: &FloatHistogram) {
        let stale_h;
        let h = if h.is_stale() {
            stale_h = FloatHistogram { sum: h.sum, ..Default::default() };
            &stale_h
        } else {
            h
        };
        let mut t_delta = 0i64;
        if self.num == 0 {
            write_layout(
                &mut self.w,
                h.schema,
                h.zero_threshold,
                &h.positive_spans,
                &h.negative_spans,
                &h.custom_values,
            );
            self.schema = h.schema;
            self.zero_threshold = h.zero_threshold;
            self.positive_spans = h.positive_spans.clone();
            self.negative_spans = h.negative_spans.clone();
            self.custom_values = h.custom_values.clone();
            self.positive = h.positive_buckets.iter().map(|&v| XorValue::new(v)).collect();
            self.negative = h.negative_buckets.iter().map(|&v| XorValue::new(v)).collect();

            put_varbit_int(&mut self.w, t);
            self.w.write_bits(h.count.to_bits(), 64);
            self.w.write_bits(h.zero_count.to_bits(), 64);
            self.w.write_bits(h.sum.to_bits(), 64);
            self.count.value = h.count;
            self.zero_count.value = h.zero_count;
            self.sum.value = h.sum;
            for &b in h.positive_buckets.iter().chain(&h.negative_buckets) {
                self.w.write_bits(b.to_bits(), 64);
            }
        } else {
            t_delta = t.wrapping_sub(self.t);
            put_varbit_int(&mut self.w, t_delta.wrapping_sub(self.t_delta));
            self.count.write(&mut self.w, h.count);
            self.zero_count.write(&mut self.w, h.zero_count);
            self.sum.write(&mut self.w, h.sum);
            debug_assert!(h.positive_buckets.is_empty() || h.positive_buckets.len() == self.positive.len());
            debug_assert!(h.negative_buckets.is_empty() || h.negative_buckets.len() == self.negative.len());
            for (&b, x) in h.positive_buckets.iter().zip(&mut self.positive) {
                x.write(&mut self.w, b);
            }
            for (&b, x) in h.negative_buckets.iter().zip(&mut self.negative) {
                x.write(&mut self.w, b);
            }
        }
        self.t = t;
        self.t_delta = t_delta;
        self.num += 1;
        let n = self.num.to_be_bytes();
        let b = self.w.bytes_mut();
        b[0] = n[0];
        b[1] = n[1];
    }
}

fn bounds_match(a: &[f64], b: &[f64]) -> bool {
    a.len() == b.len() && a.iter().zip(b).all(|(x, y)| x == y)
}

fn insert_backward(h: &mut FloatHistogram, positive: &[Insert], negative: &[Insert]) {
    if !positive.is_empty() {
        h.positive_buckets = insert_absolute(&h.positive_buckets, positive);
    }
    if !negative.is_empty() {
        h.negative_buckets = insert_absolute(&h.negative_buckets, negative);
    }
}

/// Number of samples a float histogram chunk declares in its header.
pub fn float_histogram_num_samples(chunk: &[u8]) -> Result<usize> {
    match chunk {
        [a, b, _, ..] => Ok(usize::from(u16::from_be_bytes([*a, *b]))),
        _ => Err(corrupt("shorter than its 3-byte header")),
    }
}

/// A decoded value with its XOR window, as the reader tracks it.
#[derive(Debug, Clone, Copy, Default)]
struct XorState {
    bits: u64,
    leading: u8,
    trailing: u8,
}

impl XorState {
    #[inline]
    fn read(&mut self, r: &mut BitReader<'_>) -> Result<(), Eof> {
        xor_read(r, &mut self.bits, &mut self.leading, &mut self.trailing)
    }

    fn value(&self) -> f64 {
        f64::from_bits(self.bits)
    }
}

/// Iterates over the samples of a float histogram chunk; see [`super::HistogramIter`].
#[derive(Debug, Clone)]
pub struct FloatHistogramIter<'a> {
    r: BitReader<'a>,
    total: u16,
    read: u16,
    header: CounterResetHeader,
    max_buckets: u64,
    layout: Layout,

    t: i64,
    t_delta: i64,
    count: XorState,
    zero_count: XorState,
    sum: XorState,
    positive: Vec<XorState>,
    negative: Vec<XorState>,
}

impl<'a> FloatHistogramIter<'a> {
    pub fn new(chunk: &'a [u8]) -> Result<Self> {
        let total = float_histogram_num_samples(chunk)? as u16;
        let body = &chunk[HEADER_SIZE..];
        Ok(Self {
            r: BitReader::new(body),
            total,
            read: 0,
            header: CounterResetHeader::from_flags(chunk[FLAGS_POS]),
            // Every bucket of the first sample takes 64 bits.
            max_buckets: body.len() as u64 / 8,
            layout: Layout::default(),
            t: 0,
            t_delta: 0,
            count: XorState::default(),
            zero_count: XorState::default(),
            sum: XorState::default(),
            positive: Vec::new(),
            negative: Vec::new(),
        })
    }

    pub fn num_samples(&self) -> usize {
        usize::from(self.total)
    }

    pub fn counter_reset_header(&self) -> CounterResetHeader {
        self.header
    }

    /// Decodes the next sample; `Ok(false)` at the end of the chunk.
    #[inline]
    pub fn advance(&mut self) -> Result<bool> {
        if self.read == self.total {
            return Ok(false);
        }
        let res = if self.read == 0 { self.read_first() } else { self.read_next().map_err(|Eof| None) };
        match res {
            Ok(()) => {
                self.read += 1;
                Ok(true)
            }
            Err(None) => Err(corrupt(format!("stream ends at sample {} of {}", self.read + 1, self.total))),
            Err(Some(reason)) => Err(corrupt(reason)),
        }
    }

    /// Errors: `None` for a stream that ends early, `Some(reason)` for an invalid layout.
    fn read_first(&mut self) -> Result<(), Option<String>> {
        let layout = read_layout(&mut self.r, self.max_buckets).map_err(|e| Some(e.reason()))?;
        if layout.schema > EXPONENTIAL_SCHEMA_MAX
            && layout.positive_spans.iter().chain(&layout.negative_spans).skip(1).any(|s| s.offset < 0)
        {
            return Err(Some("negative span offset in a schema that needs reducing".into()));
        }
        let np = crate::histogram::span_bucket_count(&layout.positive_spans) as usize;
        let nn = crate::histogram::span_bucket_count(&layout.negative_spans) as usize;
        self.layout = layout;
        let eof = |Eof| None;
        self.t = read_varbit_int(&mut self.r).map_err(eof)?;
        self.count = XorState { bits: self.r.read_bits(64).map_err(eof)?, ..Default::default() };
        self.zero_count = XorState { bits: self.r.read_bits(64).map_err(eof)?, ..Default::default() };
        self.sum = XorState { bits: self.r.read_bits(64).map_err(eof)?, ..Default::default() };
        self.positive.clear();
        self.negative.clear();
        for _ in 0..np {
            self.positive.push(XorState { bits: self.r.read_bits(64).map_err(eof)?, ..Default::default() });
        }
        for _ in 0..nn {
            self.negative.push(XorState { bits: self.r.read_bits(64).map_err(eof)?, ..Default::default() });
        }
        Ok(())
    }

    #[inline]
    fn read_next(&mut self) -> Result<(), Eof> {
        let t_dod = read_varbit_int(&mut self.r)?;
        self.t_delta = self.t_delta.wrapping_add(t_dod);
        self.t = self.t.wrapping_add(self.t_delta);
        self.count.read(&mut self.r)?;
        self.zero_count.read(&mut self.r)?;
        self.sum.read(&mut self.r)?;
        if is_stale_nan(self.sum.value()) {
            return Ok(());
        }
        for b in &mut self.positive {
            b.read(&mut self.r)?;
        }
        for b in &mut self.negative {
            b.read(&mut self.r)?;
        }
        Ok(())
    }

    /// Timestamp of the current sample.
    pub fn t(&self) -> i64 {
        self.t
    }

    /// The current sample, written into `fh` (reusing its vectors); stale markers and schemas
    /// above 8 are handled as in [`super::HistogramIter::at_histogram`].
    pub fn at_float_histogram(&self, fh: &mut FloatHistogram) {
        let sum = self.sum.value();
        if is_stale_nan(sum) {
            *fh = FloatHistogram { sum, ..Default::default() };
            return;
        }
        fh.counter_reset_hint = self.header.hint_for(self.read);
        fh.schema = self.layout.schema;
        fh.zero_threshold = self.layout.zero_threshold;
        fh.zero_count = self.zero_count.value();
        fh.count = self.count.value();
        fh.sum = sum;
        copy_into(&mut fh.positive_spans, &self.layout.positive_spans);
        copy_into(&mut fh.negative_spans, &self.layout.negative_spans);
        fh.positive_buckets.clear();
        fh.positive_buckets.extend(self.positive.iter().map(XorState::value));
        fh.negative_buckets.clear();
        fh.negative_buckets.extend(self.negative.iter().map(XorState::value));
        copy_into(&mut fh.custom_values, &self.layout.custom_values);
        if fh.schema > EXPONENTIAL_SCHEMA_MAX {
            let _ = fh.reduce_resolution(EXPONENTIAL_SCHEMA_MAX);
        }
    }

    /// Decodes and returns the next sample.
    pub fn next_float_histogram(&mut self) -> Result<Option<(i64, FloatHistogram)>> {
        if !self.advance()? {
            return Ok(None);
        }
        let mut h = FloatHistogram::default();
        self.at_float_histogram(&mut h);
        Ok(Some((self.t, h)))
    }
}

/// Decodes a whole float histogram chunk.
pub fn decode_float_histograms(chunk: &[u8]) -> Result<Vec<(i64, FloatHistogram)>> {
    let mut it = FloatHistogramIter::new(chunk)?;
    let mut out = Vec::with_capacity(it.num_samples().min(chunk.len()));
    while let Some(s) = it.next_float_histogram()? {
        out.push(s);
    }
    Ok(out)
}

/// Encodes float histograms into as many chunks as Prometheus's appender needs.
pub fn encode_float_histogram_chunks(samples: &[(i64, FloatHistogram)]) -> Result<Vec<Vec<u8>>> {
    let mut out = Vec::new();
    let mut app = FloatHistogramAppender::new();
    for (t, h) in samples {
        if let AppendOutcome::NewChunk(header) = app.append(*t, h)? {
            let full = std::mem::replace(&mut app, FloatHistogramAppender::with_header(header));
            out.push(full.into_bytes());
            app.append(*t, h)?;
        }
    }
    if app.num_samples() > 0 {
        out.push(app.into_bytes());
    }
    Ok(out)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
#[path = "float_histogram_tests.rs"]
mod tests;
