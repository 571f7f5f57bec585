//! Prometheus's histogram chunk (encoding 2): native histograms with integer counts, bit for bit.
//!
//! Layout: a big-endian `u16` sample count, a flags byte whose top two bits are the
//! [`CounterResetHeader`], then a bit stream. The first sample starts with the bucket layout
//! all samples of the chunk share (zero threshold, schema, spans, custom bounds); then, per
//! sample (raw for the first, delta-of-delta after, the sum XOR-ed as in float chunks):
//!
//! ```text
//! field     t         count       zero_count  sum     buckets (positive then negative)
//! first     varbit    varbit_uint varbit_uint 64 bits varbit (the delta-encoded counts)
//! later     varbit dod varbit dod varbit dod  xor     varbit dod of each delta-encoded count
//! ```
//!
//! A sample whose sum is the stale marker has no buckets.

use super::bstream::{BitReader, BitWriter, Eof};
use super::histogram_meta::{
    AppendOutcome, CounterResetHeader, FLAGS_POS, HEADER_SIZE, Insert, Layout, adjust_for_inserts,
    check_histogram_shape, expand_spans_and_buckets, expand_spans_both_ways, insert_deltas, read_layout,
    set_header, write_layout,
};
use super::varbit::{
    put_varbit_int, put_varbit_uint, read_varbit_int, read_varbit_uint, xor_read, xor_write,
};
use crate::error::{Error, Result};
use crate::histogram::{CounterResetHint, EXPONENTIAL_SCHEMA_MAX, FloatHistogram, Histogram, Span};
use crate::sample::is_stale_nan;

const ENCODING: &str = "histogram";

fn corrupt(reason: impl Into<String>) -> Error {
    Error::CorruptChunk { encoding: ENCODING, reason: reason.into() }
}

/// Running sums of delta-encoded buckets.
fn absolute(deltas: &[i64]) -> Vec<i64> {
    Histogram::absolute_buckets(deltas)
}

/// Builds a histogram chunk sample by sample, producing the bytes Prometheus's appender does.
#[derive(Debug, Clone)]
pub struct HistogramAppender {
    w: BitWriter,
    num: u16,

    schema: i32,
    zero_threshold: f64,
    positive_spans: Vec<Span>,
    negative_spans: Vec<Span>,
    custom_values: Vec<f64>,

    t: i64,
    count: u64,
    zero_count: u64,
    t_delta: i64,
    count_delta: i64,
    zero_count_delta: i64,
    /// Delta-encoded bucket counts of the last sample, and how each changed from the sample before.
    positive: Vec<i64>,
    negative: Vec<i64>,
    positive_delta: Vec<i64>,
    negative_delta: Vec<i64>,

    sum: f64,
    leading: u8,
    trailing: u8,
}

impl Default for HistogramAppender {
    fn default() -> Self {
        Self::new()
    }
}

/// What [`HistogramAppender::appendable`] found.
#[derive(Debug, Default)]
struct Appendable {
    positive_forward: Vec<Insert>,
    negative_forward: Vec<Insert>,
    positive_backward: Vec<Insert>,
    negative_backward: Vec<Insert>,
    ok: bool,
    header: CounterResetHeader,
}

impl HistogramAppender {
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
            count: 0,
            zero_count: 0,
            t_delta: 0,
            count_delta: 0,
            zero_count_delta: 0,
            positive: Vec::new(),
            negative: Vec::new(),
            positive_delta: Vec::new(),
            negative_delta: Vec::new(),
            sum: 0.0,
            leading: 0xff,
            trailing: 0,
        }
    }

    /// An empty chunk with the given counter reset header (for a chunk cut on
    /// [`AppendOutcome::NewChunk`]).
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

    /// Appends a histogram as Prometheus's `HistogramAppender.AppendHistogram` does with no
    /// previous chunk: the first sample sets the layout (and a gauge or counter-reset header
    /// from its hint); later ones are appended, possibly re-encoding the chunk when new
    /// buckets appear, or rejected with [`AppendOutcome::NewChunk`].
    pub fn append(&mut self, t: i64, h: &Histogram) -> Result<AppendOutcome> {
        self.append_after(None, t, h)
    }

    /// Like [`Self::append`], but when this chunk is empty and was cut for another reason than
    /// the sample itself (size or time), `prev` is the appender of the series' previous chunk:
    /// the new chunk's header then says whether the sample continues it without a reset.
    pub fn append_after(
        &mut self,
        prev: Option<&HistogramAppender>,
        t: i64,
        h: &Histogram,
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
                        let header = p.appendable(h).header;
                        self.set_counter_reset_header(header);
                    }
                }
            }
            return Ok(AppendOutcome::Appended);
        }

        if h.counter_reset_hint != CounterResetHint::Gauge {
            let app = self.appendable(h);
            if !app.ok || app.header != CounterResetHeader::NotCounterReset {
                return Ok(AppendOutcome::NewChunk(app.header));
            }
            let mut owned;
            let mut h = h;
            if !app.positive_backward.is_empty() || !app.negative_backward.is_empty() {
                // The sample lacks empty buckets the chunk has: give it those buckets.
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

        // A gauge histogram: buckets may come and go; the chunk grows to the union.
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

    /// Whether a counter histogram can go into this chunk (Prometheus's `appendable`).
    fn appendable(&self, h: &Histogram) -> Appendable {
        let mut out = Appendable { header: CounterResetHeader::NotCounterReset, ..Default::default() };
        if self.num > 0 && self.counter_reset_header() == CounterResetHeader::Gauge {
            return out;
        }
        if h.counter_reset_hint == CounterResetHint::CounterReset {
            out.header = CounterResetHeader::CounterReset;
            return out;
        }
        if h.is_stale() {
            out.ok = true;
            return out;
        }
        if is_stale_nan(self.sum) {
            out.header = CounterResetHeader::Unknown;
            return out;
        }
        if h.count < self.count {
            out.header = CounterResetHeader::CounterReset;
            return out;
        }
        if h.schema != self.schema || h.zero_threshold != self.zero_threshold {
            out.header = CounterResetHeader::Unknown;
            return out;
        }
        if h.uses_custom_buckets() && !bounds_match(&h.custom_values, &self.custom_values) {
            out.header = CounterResetHeader::CounterReset;
            return out;
        }
        if h.zero_count < self.zero_count {
            out.header = CounterResetHeader::CounterReset;
            return out;
        }
        let Some((pf, pb)) = expand_spans_and_buckets(
            &self.positive_spans,
            &h.positive_spans,
            &absolute(&self.positive),
            &absolute(&h.positive_buckets),
        ) else {
            out.header = CounterResetHeader::CounterReset;
            return out;
        };
        let Some((nf, nb)) = expand_spans_and_buckets(
            &self.negative_spans,
            &h.negative_spans,
            &absolute(&self.negative),
            &absolute(&h.negative_buckets),
        ) else {
            out.header = CounterResetHeader::CounterReset;
            return out;
        };
        out.positive_forward = pf;
        out.positive_backward = pb;
        out.negative_forward = nf;
        out.negative_backward = nb;
        out.ok = true;
        out
    }

    /// Whether a gauge histogram can go into this chunk, and the inserts and union spans.
    #[allow(clippy::type_complexity)]
    fn appendable_gauge(
        &self,
        h: &Histogram,
    ) -> Option<(Vec<Insert>, Vec<Insert>, Vec<Insert>, Vec<Insert>, Vec<Span>, Vec<Span>)> {
        if self.num > 0 && self.counter_reset_header() != CounterResetHeader::Gauge {
            return None;
        }
        if h.is_stale() {
            return Some(Default::default());
        }
        if is_stale_nan(self.sum)
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

    /// Re-encodes the chunk with the buckets of `positive`/`negative` inserted into every sample
    /// and the given spans as the new layout (Prometheus's `recode`).
    fn recode(
        &mut self,
        positive: &[Insert],
        negative: &[Insert],
        positive_spans: &[Span],
        negative_spans: &[Span],
    ) -> Result<()> {
        let bytes = self.w.bytes().to_vec();
        let mut it = HistogramIter::new(&bytes)?;
        let mut fresh = HistogramAppender::with_header(self.counter_reset_header());
        let mut h = Histogram::default();
        while it.advance()? {
            it.at_histogram(&mut h);
            h.positive_spans.clear();
            h.positive_spans.extend_from_slice(positive_spans);
            h.negative_spans.clear();
            h.negative_spans.extend_from_slice(negative_spans);
            if !positive.is_empty() {
                h.positive_buckets = insert_deltas(&h.positive_buckets, positive);
            }
            if !negative.is_empty() {
                h.negative_buckets = insert_deltas(&h.negative_buckets, negative);
            }
            fresh.append_raw(it.t(), &h);
        }
        *self = fresh;
        Ok(())
    }

    /// Writes one sample; the caller has checked that it fits the chunk's layout.
    fn append_raw(&mut self, t: i64, h: &Histogram) {
        let stale_h;
        let h = if h.is_stale() {
            // A stale marker carries no layout and no buckets.
            stale_h = Histogram { sum: h.sum, ..Default::default() };
            &stale_h
        } else {
            h
        };
        let (mut t_delta, mut count_delta, mut zero_count_delta) = (0i64, 0i64, 0i64);
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
            self.positive = h.positive_buckets.clone();
            self.negative = h.negative_buckets.clone();
            self.positive_delta = vec![0; h.positive_buckets.len()];
            self.negative_delta = vec![0; h.negative_buckets.len()];

            put_varbit_int(&mut self.w, t);
            put_varbit_uint(&mut self.w, h.count);
            put_varbit_uint(&mut self.w, h.zero_count);
            self.w.write_bits(h.sum.to_bits(), 64);
            for &b in h.positive_buckets.iter().chain(&h.negative_buckets) {
                put_varbit_int(&mut self.w, b);
            }
        } else {
            t_delta = t.wrapping_sub(self.t);
            count_delta = (h.count as i64).wrapping_sub(self.count as i64);
            zero_count_delta = (h.zero_count as i64).wrapping_sub(self.zero_count as i64);
            let t_dod = t_delta.wrapping_sub(self.t_delta);
            let (mut count_dod, mut zero_count_dod) = (
                count_delta.wrapping_sub(self.count_delta),
                zero_count_delta.wrapping_sub(self.zero_count_delta),
            );
            if h.is_stale() {
                count_dod = 0;
                zero_count_dod = 0;
            }
            put_varbit_int(&mut self.w, t_dod);
            put_varbit_int(&mut self.w, count_dod);
            put_varbit_int(&mut self.w, zero_count_dod);
            xor_write(&mut self.w, h.sum, self.sum, &mut self.leading, &mut self.trailing);
            debug_assert!(h.positive_buckets.is_empty() || h.positive_buckets.len() == self.positive.len());
            debug_assert!(h.negative_buckets.is_empty() || h.negative_buckets.len() == self.negative.len());
            for ((&b, prev), prev_delta) in
                h.positive_buckets.iter().zip(&mut self.positive).zip(&mut self.positive_delta)
            {
                let delta = b.wrapping_sub(*prev);
                put_varbit_int(&mut self.w, delta.wrapping_sub(*prev_delta));
                *prev_delta = delta;
                *prev = b;
            }
            for ((&b, prev), prev_delta) in
                h.negative_buckets.iter().zip(&mut self.negative).zip(&mut self.negative_delta)
            {
                let delta = b.wrapping_sub(*prev);
                put_varbit_int(&mut self.w, delta.wrapping_sub(*prev_delta));
                *prev_delta = delta;
                *prev = b;
            }
        }
        self.t = t;
        self.count = h.count;
        self.zero_count = h.zero_count;
        self.t_delta = t_delta;
        self.count_delta = count_delta;
        self.zero_count_delta = zero_count_delta;
        self.sum = h.sum;
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

fn insert_backward(h: &mut Histogram, positive: &[Insert], negative: &[Insert]) {
    if !positive.is_empty() {
        h.positive_buckets = insert_deltas(&h.positive_buckets, positive);
    }
    if !negative.is_empty() {
        h.negative_buckets = insert_deltas(&h.negative_buckets, negative);
    }
}

/// Number of samples a histogram chunk declares in its header.
pub fn histogram_num_samples(chunk: &[u8]) -> Result<usize> {
    match chunk {
        [a, b, _, ..] => Ok(usize::from(u16::from_be_bytes([*a, *b]))),
        _ => Err(corrupt("shorter than its 3-byte header")),
    }
}

/// Iterates over the samples of a histogram chunk.
///
/// [`HistogramIter::advance`] decodes the next sample into the iterator; read it with
/// [`HistogramIter::t`], [`HistogramIter::at_histogram`] or
/// [`HistogramIter::at_float_histogram`], which reuse the caller's buffers.
#[derive(Debug, Clone)]
pub struct HistogramIter<'a> {
    r: BitReader<'a>,
    total: u16,
    read: u16,
    header: CounterResetHeader,
    max_buckets: u64,
    layout: Layout,

    t: i64,
    count: u64,
    zero_count: u64,
    t_delta: i64,
    count_delta: i64,
    zero_count_delta: i64,
    positive: Vec<i64>,
    negative: Vec<i64>,
    positive_delta: Vec<i64>,
    negative_delta: Vec<i64>,

    sum: u64,
    leading: u8,
    trailing: u8,
}

impl<'a> HistogramIter<'a> {
    pub fn new(chunk: &'a [u8]) -> Result<Self> {
        let total = histogram_num_samples(chunk)? as u16;
        let body = &chunk[HEADER_SIZE..];
        Ok(Self {
            r: BitReader::new(body),
            total,
            read: 0,
            header: CounterResetHeader::from_flags(chunk[FLAGS_POS]),
            max_buckets: body.len() as u64 * 8,
            layout: Layout::default(),
            t: 0,
            count: 0,
            zero_count: 0,
            t_delta: 0,
            count_delta: 0,
            zero_count_delta: 0,
            positive: Vec::new(),
            negative: Vec::new(),
            positive_delta: Vec::new(),
            negative_delta: Vec::new(),
            sum: 0,
            leading: 0,
            trailing: 0,
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
        let res = if self.read == 0 { self.read_first() } else { self.read_next().map_err(Step::from) };
        match res {
            Ok(()) => {
                self.read += 1;
                Ok(true)
            }
            Err(Step::Eof) => {
                Err(corrupt(format!("stream ends at sample {} of {}", self.read + 1, self.total)))
            }
            Err(Step::Invalid(r)) => Err(corrupt(r)),
        }
    }

    fn read_first(&mut self) -> Result<(), Step> {
        let layout = read_layout(&mut self.r, self.max_buckets).map_err(|e| Step::Invalid(e.reason()))?;
        if layout.schema > EXPONENTIAL_SCHEMA_MAX
            && layout.positive_spans.iter().chain(&layout.negative_spans).skip(1).any(|s| s.offset < 0)
        {
            return Err(Step::Invalid("negative span offset in a schema that needs reducing".into()));
        }
        let np = crate::histogram::span_bucket_count(&layout.positive_spans) as usize;
        let nn = crate::histogram::span_bucket_count(&layout.negative_spans) as usize;
        self.layout = layout;
        self.t = read_varbit_int(&mut self.r)?;
        self.count = read_varbit_uint(&mut self.r)?;
        self.zero_count = read_varbit_uint(&mut self.r)?;
        self.sum = self.r.read_bits(64)?;
        self.positive.clear();
        self.negative.clear();
        for _ in 0..np {
            self.positive.push(read_varbit_int(&mut self.r)?);
        }
        for _ in 0..nn {
            self.negative.push(read_varbit_int(&mut self.r)?);
        }
        self.positive_delta.clear();
        self.positive_delta.resize(np, 0);
        self.negative_delta.clear();
        self.negative_delta.resize(nn, 0);
        Ok(())
    }

    #[inline]
    fn read_next(&mut self) -> Result<(), Eof> {
        let t_dod = read_varbit_int(&mut self.r)?;
        self.t_delta = self.t_delta.wrapping_add(t_dod);
        self.t = self.t.wrapping_add(self.t_delta);
        let count_dod = read_varbit_int(&mut self.r)?;
        self.count_delta = self.count_delta.wrapping_add(count_dod);
        self.count = (self.count as i64).wrapping_add(self.count_delta) as u64;
        let zero_count_dod = read_varbit_int(&mut self.r)?;
        self.zero_count_delta = self.zero_count_delta.wrapping_add(zero_count_dod);
        self.zero_count = (self.zero_count as i64).wrapping_add(self.zero_count_delta) as u64;
        xor_read(&mut self.r, &mut self.sum, &mut self.leading, &mut self.trailing)?;
        if is_stale_nan(f64::from_bits(self.sum)) {
            return Ok(());
        }
        for (b, d) in self.positive.iter_mut().zip(self.positive_delta.iter_mut()) {
            *d = d.wrapping_add(read_varbit_int(&mut self.r)?);
            *b = b.wrapping_add(*d);
        }
        for (b, d) in self.negative.iter_mut().zip(self.negative_delta.iter_mut()) {
            *d = d.wrapping_add(read_varbit_int(&mut self.r)?);
            *b = b.wrapping_add(*d);
        }
        Ok(())
    }

    /// Timestamp of the current sample.
    pub fn t(&self) -> i64 {
        self.t
    }

    /// The current sample, written into `h` (reusing its vectors). As in Prometheus, a stale
    /// marker comes back as a histogram with only the stale sum, and schemas above 8 (reserved
    /// for newer Prometheus versions) are reduced to schema 8.
    pub fn at_histogram(&self, h: &mut Histogram) {
        let sum = f64::from_bits(self.sum);
        if is_stale_nan(sum) {
            *h = Histogram { sum, ..Default::default() };
            return;
        }
        h.counter_reset_hint = self.header.hint_for(self.read);
        h.schema = self.layout.schema;
        h.zero_threshold = self.layout.zero_threshold;
        h.zero_count = self.zero_count;
        h.count = self.count;
        h.sum = sum;
        copy_into(&mut h.positive_spans, &self.layout.positive_spans);
        copy_into(&mut h.negative_spans, &self.layout.negative_spans);
        copy_into(&mut h.positive_buckets, &self.positive);
        copy_into(&mut h.negative_buckets, &self.negative);
        copy_into(&mut h.custom_values, &self.layout.custom_values);
        if h.schema > EXPONENTIAL_SCHEMA_MAX {
            // Cannot fail: offsets were checked when the layout was read.
            let _ = h.reduce_resolution(EXPONENTIAL_SCHEMA_MAX);
        }
    }

    /// The current sample converted to float counts (as Prometheus's `AtFloatHistogram`).
    pub fn at_float_histogram(&self, fh: &mut FloatHistogram) {
        let sum = f64::from_bits(self.sum);
        if is_stale_nan(sum) {
            *fh = FloatHistogram { sum, ..Default::default() };
            return;
        }
        fh.counter_reset_hint = self.header.hint_for(self.read);
        fh.schema = self.layout.schema;
        fh.zero_threshold = self.layout.zero_threshold;
        fh.zero_count = self.zero_count as f64;
        fh.count = self.count as f64;
        fh.sum = sum;
        copy_into(&mut fh.positive_spans, &self.layout.positive_spans);
        copy_into(&mut fh.negative_spans, &self.layout.negative_spans);
        accumulate_into(&mut fh.positive_buckets, &self.positive);
        accumulate_into(&mut fh.negative_buckets, &self.negative);
        copy_into(&mut fh.custom_values, &self.layout.custom_values);
        if fh.schema > EXPONENTIAL_SCHEMA_MAX {
            let _ = fh.reduce_resolution(EXPONENTIAL_SCHEMA_MAX);
        }
    }

    /// Decodes and returns the next sample.
    pub fn next_histogram(&mut self) -> Result<Option<(i64, Histogram)>> {
        if !self.advance()? {
            return Ok(None);
        }
        let mut h = Histogram::default();
        self.at_histogram(&mut h);
        Ok(Some((self.t, h)))
    }
}

/// Why decoding a sample stopped.
#[derive(Debug)]
enum Step {
    Eof,
    Invalid(String),
}

impl From<Eof> for Step {
    fn from(_: Eof) -> Self {
        Step::Eof
    }
}

pub(crate) fn copy_into<T: Copy>(dst: &mut Vec<T>, src: &[T]) {
    dst.clear();
    dst.extend_from_slice(src);
}

fn accumulate_into(dst: &mut Vec<f64>, deltas: &[i64]) {
    dst.clear();
    let mut cur = 0.0f64;
    dst.extend(deltas.iter().map(|&d| {
        cur += d as f64;
        cur
    }));
}

/// Decodes a whole histogram chunk.
pub fn decode_histograms(chunk: &[u8]) -> Result<Vec<(i64, Histogram)>> {
    let mut it = HistogramIter::new(chunk)?;
    let mut out = Vec::with_capacity(it.num_samples().min(chunk.len()));
    while let Some(s) = it.next_histogram()? {
        out.push(s);
    }
    Ok(out)
}

/// Encodes histograms into as many chunks as Prometheus's appender needs, cutting a new chunk
/// (with the header the appender asks for) whenever a sample cannot share the current one.
pub fn encode_histogram_chunks(samples: &[(i64, Histogram)]) -> Result<Vec<Vec<u8>>> {
    let mut out = Vec::new();
    let mut app = HistogramAppender::new();
    for (t, h) in samples {
        if let AppendOutcome::NewChunk(header) = app.append(*t, h)? {
            let full = std::mem::replace(&mut app, HistogramAppender::with_header(header));
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
#[path = "histogram_tests.rs"]
mod tests;
