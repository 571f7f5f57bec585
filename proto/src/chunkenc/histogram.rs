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
mod tests {
    use super::*;
    use crate::chunkenc::histogram_meta::test_support::{
        Rng, canonical_float, canonical_int, expected_hint, golden_series, without_242_padding,
    };
    use crate::histogram::CUSTOM_BUCKETS_SCHEMA;
    use crate::sample::STALE_NAN_BITS;
    use std::collections::BTreeMap;

    fn spans_from(indices: &[i64], rng: &mut Rng) -> Vec<Span> {
        let mut spans: Vec<Span> = Vec::new();
        let mut next = 0i64;
        for &i in indices {
            match spans.last_mut() {
                // Sometimes split a run into two spans with offset 0, as producers may.
                Some(s) if i == next && rng.below(8) != 0 => s.length += 1,
                _ => {
                    spans.push(Span { offset: (i - next) as i32, length: 1 });
                    if rng.below(10) == 0 {
                        spans.push(Span { offset: 0, length: 0 });
                    }
                }
            }
            next = i + 1;
        }
        spans
    }

    fn to_deltas(counts: &[u64]) -> Vec<i64> {
        let mut prev = 0i64;
        counts
            .iter()
            .map(|&c| {
                let d = c as i64 - prev;
                prev = c as i64;
                d
            })
            .collect()
    }

    #[allow(clippy::too_many_arguments)]
    fn make(
        rng: &mut Rng,
        schema: i32,
        pos: &BTreeMap<i64, u64>,
        neg: &BTreeMap<i64, u64>,
        zero_count: u64,
        sum: f64,
        hint: CounterResetHint,
        custom: &[f64],
    ) -> Histogram {
        let pi: Vec<i64> = pos.keys().copied().collect();
        let ni: Vec<i64> = neg.keys().copied().collect();
        let custom_schema = schema == CUSTOM_BUCKETS_SCHEMA;
        Histogram {
            counter_reset_hint: hint,
            schema,
            zero_threshold: if custom_schema {
                0.0
            } else {
                [0.0, 2f64.powi(-128), 0.001][(schema.rem_euclid(3)) as usize]
            },
            zero_count,
            count: pos.values().sum::<u64>() + neg.values().sum::<u64>() + zero_count,
            sum,
            positive_spans: spans_from(&pi, rng),
            negative_spans: spans_from(&ni, rng),
            positive_buckets: to_deltas(&pos.values().copied().collect::<Vec<_>>()),
            negative_buckets: to_deltas(&neg.values().copied().collect::<Vec<_>>()),
            custom_values: if custom_schema { custom.to_vec() } else { Vec::new() },
        }
    }

    /// A series that exercises every path of the appender: growing layouts (recoding), zero
    /// buckets that disappear, counter resets, schema changes, stale markers, odd sums, wide
    /// counts and timestamps; gauge series go up and down with layouts changing both ways.
    fn random_series(seed: u64, gauge: bool) -> Vec<(i64, Histogram)> {
        let mut rng = Rng(seed);
        let custom = vec![0.1, 0.5, 1.0, 2.5, 1e6, 33554.43, 7.0e-4];
        let schemas = [-4, -2, 0, 1, 3, 8, CUSTOM_BUCKETS_SCHEMA];
        let mut schema = schemas[rng.below(schemas.len() as u64) as usize];
        let mut pos: BTreeMap<i64, u64> = BTreeMap::new();
        let mut neg: BTreeMap<i64, u64> = BTreeMap::new();
        let mut zero_count = 0u64;
        let mut sum = 0.0f64;
        let mut t = 1_700_000_000_000i64 + rng.below(1000) as i64;
        let hint = if gauge { CounterResetHint::Gauge } else { CounterResetHint::Unknown };
        let range = |schema: i32| if schema == CUSTOM_BUCKETS_SCHEMA { 0..8i64 } else { -20..20i64 };
        let mut out = Vec::new();
        for step in 0..300 {
            t += [15_000, 15_000, 15_001, 14_999, 1, 0, 60_000, 1 << 33][rng.below(8) as usize];
            let r = rng.below(100);
            if step > 0 && r < 3 {
                out.push((t, Histogram { sum: f64::from_bits(STALE_NAN_BITS), ..Default::default() }));
                continue;
            }
            if r < 5 {
                schema = schemas[rng.below(schemas.len() as u64) as usize];
                pos.clear();
                neg.clear();
            } else if r < 9 && !gauge {
                // Counter reset.
                pos.clear();
                neg.clear();
                zero_count = 0;
            }
            let custom_schema = schema == CUSTOM_BUCKETS_SCHEMA;
            if custom_schema {
                neg.clear();
                zero_count = 0;
            }
            let widen = [1u64, 10, 1000, 1 << 20, 1 << 40][rng.below(5) as usize];
            for c in pos.values_mut().chain(neg.values_mut()) {
                if gauge {
                    *c = rng.below(widen);
                } else if rng.below(3) != 0 {
                    *c += rng.below(widen);
                }
            }
            if !custom_schema {
                zero_count = if gauge { rng.below(50) } else { zero_count + rng.below(5) };
            }
            for _ in 0..rng.below(3) {
                pos.entry(rng.below(40) as i64 + range(schema).start).or_insert_with(|| rng.below(widen));
                let pos_range = range(schema);
                pos.retain(|k, _| pos_range.contains(k));
                if !custom_schema && rng.below(2) == 0 {
                    neg.entry(rng.below(40) as i64 - 20).or_insert(0);
                }
            }
            // Empty buckets may leave a counter histogram; any bucket may leave a gauge one.
            if rng.below(6) == 0
                && let Some((&k, _)) = pos.iter().find(|(_, c)| gauge || **c == 0)
            {
                pos.remove(&k);
            }
            sum = match rng.below(12) {
                0 => f64::NAN,
                1 => f64::INFINITY,
                2 => sum,
                3 => -sum,
                _ => sum + rng.below(1 << 20) as f64 / 7.0,
            };
            let h = make(&mut rng, schema, &pos, &neg, zero_count, sum, hint, &custom);
            out.push((t, h));
        }
        out
    }

    /// Encodes, then decodes every chunk and checks the samples, hints and that re-encoding the
    /// decoded (expanded) samples from scratch gives the same bytes.
    fn round_trip(samples: &[(i64, Histogram)]) -> usize {
        let chunks = encode_histogram_chunks(samples).unwrap();
        let mut decoded = Vec::new();
        for chunk in &chunks {
            let it = HistogramIter::new(chunk).unwrap();
            let header = it.counter_reset_header();
            let got = decode_histograms(chunk).unwrap();
            assert_eq!(got.len(), histogram_num_samples(chunk).unwrap());
            let mut again = HistogramAppender::with_header(header);
            for (i, (t, h)) in got.iter().enumerate() {
                if !h.is_stale() {
                    assert_eq!(h.counter_reset_hint, expected_hint(header, i));
                }
                again.append_raw(*t, h);
            }
            assert_eq!(again.bytes(), chunk.as_slice(), "re-encoding a decoded chunk");
            decoded.extend(got);
        }
        assert_eq!(decoded.len(), samples.len());
        for ((t0, h0), (t1, h1)) in samples.iter().zip(&decoded) {
            assert_eq!(t0, t1);
            assert_eq!(canonical_int(h0), canonical_int(h1), "at t={t0}");
        }
        chunks.len()
    }

    #[test]
    fn round_trips_random_counter_series() {
        let mut total_chunks = 0;
        for seed in 1..40u64 {
            total_chunks += round_trip(&random_series(seed * 0x9e37_79b9, false));
        }
        assert!(total_chunks > 100, "the series should cut chunks: {total_chunks}");
    }

    #[test]
    fn round_trips_random_gauge_series() {
        for seed in 1..40u64 {
            round_trip(&random_series(seed * 0x2545_f491, true));
        }
    }

    #[test]
    fn custom_buckets_round_trip() {
        let custom = vec![0.25, 1.0, 2.5, 100.0, 1e9];
        let samples: Vec<(i64, Histogram)> = (0..50)
            .map(|i| {
                let h = Histogram {
                    schema: CUSTOM_BUCKETS_SCHEMA,
                    count: 10 * i as u64,
                    sum: i as f64 * 1.5,
                    positive_spans: vec![Span { offset: 0, length: 3 }, Span { offset: 2, length: 1 }],
                    positive_buckets: vec![i, 0, i, -i],
                    custom_values: custom.clone(),
                    ..Default::default()
                };
                (1000 * i, h)
            })
            .collect();
        let chunks = encode_histogram_chunks(&samples).unwrap();
        assert_eq!(chunks.len(), 1);
        let got = decode_histograms(&chunks[0]).unwrap();
        assert_eq!(got[7].1.custom_values, custom);
        assert_eq!(got[7].1.positive_buckets, vec![7, 0, 7, -7]);
        round_trip(&samples);

        // Other bounds are a counter reset for Prometheus: a new chunk.
        let mut a = HistogramAppender::new();
        a.append(0, &samples[1].1).unwrap();
        let mut other = samples[2].1.clone();
        other.custom_values[4] = 1e10;
        assert_eq!(a.append(1, &other).unwrap(), AppendOutcome::NewChunk(CounterResetHeader::CounterReset));
    }

    fn simple(count: u64, buckets: &[(i32, u32)], deltas: &[i64]) -> Histogram {
        Histogram {
            count,
            sum: count as f64,
            positive_spans: buckets.iter().map(|&(offset, length)| Span { offset, length }).collect(),
            positive_buckets: deltas.to_vec(),
            ..Default::default()
        }
    }

    #[test]
    fn counter_reset_headers_follow_prometheus() {
        let h1 = simple(5, &[(0, 2)], &[2, 1]);
        let mut a = HistogramAppender::new();
        assert_eq!(a.append(1, &h1).unwrap(), AppendOutcome::Appended);
        assert_eq!(a.counter_reset_header(), CounterResetHeader::Unknown);
        // Count goes down.
        assert_eq!(
            a.append(2, &simple(4, &[(0, 2)], &[2, 0])).unwrap(),
            AppendOutcome::NewChunk(CounterResetHeader::CounterReset)
        );
        // A bucket goes down.
        assert_eq!(
            a.append(2, &simple(9, &[(0, 2)], &[1, 5])).unwrap(),
            AppendOutcome::NewChunk(CounterResetHeader::CounterReset)
        );
        // A non-empty bucket disappears.
        assert_eq!(
            a.append(2, &simple(9, &[(1, 1)], &[9])).unwrap(),
            AppendOutcome::NewChunk(CounterResetHeader::CounterReset)
        );
        // Schema change: unknown.
        let mut s = simple(9, &[(0, 2)], &[2, 1]);
        s.schema = 2;
        assert_eq!(a.append(2, &s).unwrap(), AppendOutcome::NewChunk(CounterResetHeader::Unknown));
        // An explicit hint.
        let mut r = simple(9, &[(0, 2)], &[2, 1]);
        r.counter_reset_hint = CounterResetHint::CounterReset;
        assert_eq!(a.append(2, &r).unwrap(), AppendOutcome::NewChunk(CounterResetHeader::CounterReset));
        // A gauge sample in a counter chunk.
        let mut g = simple(9, &[(0, 2)], &[2, 1]);
        g.counter_reset_hint = CounterResetHint::Gauge;
        assert_eq!(a.append(2, &g).unwrap(), AppendOutcome::NewChunk(CounterResetHeader::Gauge));
        // A stale marker fits, then only stale markers do.
        let stale = Histogram { sum: f64::from_bits(STALE_NAN_BITS), ..Default::default() };
        assert_eq!(a.append(2, &stale).unwrap(), AppendOutcome::Appended);
        assert_eq!(a.append(3, &stale).unwrap(), AppendOutcome::Appended);
        assert_eq!(a.append(4, &h1).unwrap(), AppendOutcome::NewChunk(CounterResetHeader::Unknown));

        // A counter sample in a gauge chunk: Prometheus says "not a reset".
        let mut gauge = HistogramAppender::new();
        gauge.append(1, &g).unwrap();
        assert_eq!(gauge.counter_reset_header(), CounterResetHeader::Gauge);
        assert_eq!(
            gauge.append(2, &h1).unwrap(),
            AppendOutcome::NewChunk(CounterResetHeader::NotCounterReset)
        );

        // A chunk cut for its size: the header comes from comparing with the previous chunk.
        let mut next = HistogramAppender::new();
        next.append_after(Some(&a), 5, &h1).unwrap();
        assert_eq!(next.counter_reset_header(), CounterResetHeader::Unknown); // `a` ends stale
        let mut prev = HistogramAppender::new();
        prev.append(1, &h1).unwrap();
        let mut next = HistogramAppender::new();
        next.append_after(Some(&prev), 5, &simple(6, &[(0, 2)], &[2, 2])).unwrap();
        assert_eq!(next.counter_reset_header(), CounterResetHeader::NotCounterReset);
        let mut next = HistogramAppender::new();
        next.append_after(Some(&prev), 5, &simple(1, &[(0, 1)], &[1])).unwrap();
        assert_eq!(next.counter_reset_header(), CounterResetHeader::CounterReset);

        assert!(matches!(prev.append(0, &h1), Err(Error::OutOfOrder { .. })));
        assert!(matches!(prev.append(9, &simple(1, &[(0, 2)], &[1])), Err(Error::InvalidHistogram(_))));
    }

    #[test]
    fn layout_growth_recodes_and_empty_buckets_may_vanish() {
        let mut a = HistogramAppender::new();
        a.append(1, &simple(3, &[(0, 2)], &[1, -1])).unwrap(); // buckets 0:1, 1:0
        // Bucket 1 (empty) is gone, bucket 3 is new: recoded to buckets 0, 1, 3.
        assert_eq!(a.append(2, &simple(5, &[(0, 1), (2, 1)], &[2, 1])).unwrap(), AppendOutcome::Recoded);
        // The original layout again: bucket 3 (non-empty) missing is a reset.
        assert_eq!(
            a.append(3, &simple(5, &[(0, 2)], &[2, -2])).unwrap(),
            AppendOutcome::NewChunk(CounterResetHeader::CounterReset)
        );
        assert_eq!(a.append(3, &simple(6, &[(0, 1), (2, 1)], &[3, 0])).unwrap(), AppendOutcome::Appended);
        let got = decode_histograms(a.bytes()).unwrap();
        let layout = vec![Span { offset: 0, length: 2 }, Span { offset: 1, length: 1 }];
        assert!(got.iter().all(|(_, h)| h.positive_spans == layout));
        assert_eq!(got[0].1.positive_buckets, vec![1, -1, 0]);
        assert_eq!(got[1].1.positive_buckets, vec![2, -2, 3]);
        assert_eq!(got[2].1.positive_buckets, vec![3, -3, 3]);
    }

    #[test]
    fn higher_schemas_are_reduced_when_read() {
        // Prometheus accepts schemas up to 52 in chunks (for newer writers) and reads them at 8.
        let mut a = HistogramAppender::new();
        let h = Histogram {
            schema: 10,
            count: 10,
            sum: 1.0,
            positive_spans: vec![Span { offset: 1, length: 8 }],
            positive_buckets: vec![1, 0, 0, 0, 1, 0, 0, 0],
            ..Default::default()
        };
        a.append_raw(1, &h);
        let got = decode_histograms(a.bytes()).unwrap();
        assert_eq!(got[0].1.schema, 8);
        assert_eq!(got[0].1.positive_spans, vec![Span { offset: 1, length: 2 }]);
        assert_eq!(got[0].1.positive_buckets, vec![4, 4]);
        let mut fh = FloatHistogram::default();
        let mut it = HistogramIter::new(a.bytes()).unwrap();
        assert!(it.advance().unwrap());
        it.at_float_histogram(&mut fh);
        assert_eq!(fh.schema, 8);
        assert_eq!(fh.positive_buckets, vec![4.0, 8.0]);
    }

    #[test]
    fn float_view_of_integer_chunk() {
        let samples = random_series(77, false);
        let chunks = encode_histogram_chunks(&samples).unwrap();
        let mut i = 0;
        for chunk in &chunks {
            let mut it = HistogramIter::new(chunk).unwrap();
            let mut fh = FloatHistogram::default();
            while it.advance().unwrap() {
                it.at_float_histogram(&mut fh);
                if !samples[i].1.is_stale() {
                    let mut h = Histogram::default();
                    it.at_histogram(&mut h);
                    let want = h.to_float();
                    assert_eq!(canonical_float(&fh), canonical_float(&want));
                    assert_eq!(canonical_float(&fh), canonical_float(&samples[i].1.to_float()));
                    assert_eq!(
                        (&fh.positive_spans, fh.counter_reset_hint),
                        (&want.positive_spans, want.counter_reset_hint)
                    );
                }
                assert_eq!(fh.sum.to_bits(), samples[i].1.sum.to_bits());
                i += 1;
            }
        }
        assert_eq!(i, samples.len());
    }

    /// Chunks written by Prometheus 2.42 (see testdata/make_histogram_golden.py): our appender
    /// writes the same bytes, chunk for chunk, and our iterator reads the samples back.
    #[test]
    fn matches_prometheus_golden_chunks() {
        let mut checked = 0;
        for series in golden_series().into_iter().filter(|s| !s.ints.is_empty()) {
            let mut ours: Vec<Vec<u8>> = Vec::new();
            let mut app = HistogramAppender::new();
            for (t, h) in &series.ints {
                // Prometheus also cuts chunks by time and size: follow its sample counts, unless
                // the appender itself asks for a new chunk (then its header applies).
                let full = series.chunks.get(ours.len()).is_some_and(|c| c.2 == app.num_samples());
                let appender_cuts = matches!(app.clone().append(*t, h).unwrap(), AppendOutcome::NewChunk(_));
                if full && !appender_cuts {
                    let prev = std::mem::take(&mut app);
                    app.append_after(Some(&prev), *t, h).unwrap();
                    ours.push(prev.into_bytes());
                    continue;
                }
                if let AppendOutcome::NewChunk(header) = app.append(*t, h).unwrap() {
                    ours.push(
                        std::mem::replace(&mut app, HistogramAppender::with_header(header)).into_bytes(),
                    );
                    app.append(*t, h).unwrap();
                }
            }
            ours.push(app.into_bytes());
            let golden: Vec<&Vec<u8>> = series.chunks.iter().map(|c| &c.0).collect();
            assert_eq!(ours.len(), golden.len(), "{}: chunk count", series.name);
            for (n, (o, g)) in ours.iter().zip(&golden).enumerate() {
                assert_eq!(o.as_slice(), without_242_padding(o, g), "{} chunk {n}", series.name);
            }

            let mut decoded = Vec::new();
            for (bytes, enc, n) in &series.chunks {
                assert_eq!(*enc, 2);
                let header = HistogramIter::new(bytes).unwrap().counter_reset_header();
                let got = decode_histograms(bytes).unwrap();
                assert_eq!(got.len(), *n);
                for (i, (_, h)) in got.iter().enumerate() {
                    if !h.is_stale() {
                        assert_eq!(h.counter_reset_hint, expected_hint(header, i), "{}", series.name);
                    }
                }
                decoded.extend(got);
            }
            assert_eq!(decoded.len(), series.ints.len());
            for ((t0, h0), (t1, h1)) in series.ints.iter().zip(&decoded) {
                assert_eq!(t0, t1, "{}", series.name);
                assert_eq!(canonical_int(h0), canonical_int(h1), "{} t={t0}", series.name);
            }
            checked += 1;
        }
        assert_eq!(checked, 8);
    }

    /// The headers Prometheus 2.42 chose, pinned so that the golden files stay meaningful.
    #[test]
    fn golden_chunks_cover_every_header() {
        let mut headers = std::collections::BTreeSet::new();
        for s in golden_series() {
            for (bytes, _, _) in &s.chunks {
                headers.insert(CounterResetHeader::from_flags(bytes[FLAGS_POS]) as u8);
            }
        }
        assert_eq!(headers.len(), 4, "{headers:?}");
    }

    #[test]
    fn truncated_and_garbage_chunks_error_without_panic() {
        let mut rng = Rng(0xdead_beef);
        let mut chunks = encode_histogram_chunks(&random_series(5, false)).unwrap();
        chunks.extend(encode_histogram_chunks(&random_series(6, true)).unwrap());
        chunks.extend(golden_series().into_iter().flat_map(|s| s.chunks).filter(|c| c.1 == 2).map(|c| c.0));
        for chunk in &chunks {
            // Prometheus may leave one empty padding byte at the end; without it the chunk is whole.
            let whole = if chunk.last() == Some(&0) && decode_histograms(&chunk[..chunk.len() - 1]).is_ok() {
                chunk.len() - 1
            } else {
                chunk.len()
            };
            for cut in 0..whole {
                assert!(decode_histograms(&chunk[..cut]).is_err(), "cut at {cut} of {} decoded", chunk.len());
            }
            // Flipped bits: any outcome but a panic.
            for _ in 0..50 {
                let mut c = chunk.clone();
                let i = rng.below(c.len() as u64) as usize;
                c[i] ^= 1 << rng.below(8);
                let _ = decode_histograms(&c);
            }
        }
        for _ in 0..5000 {
            let len = rng.below(80) as usize;
            let mut junk = rng.junk(len);
            if len >= 2 && rng.below(2) == 0 {
                junk[0] = 0;
                junk[1] = rng.below(4) as u8;
            }
            let _ = decode_histograms(&junk);
        }
        // A layout claiming far more buckets than the chunk holds is rejected, not allocated.
        let mut w = BitWriter::new();
        w.write_bits(1 << 16, 24);
        write_layout(&mut w, 0, 0.0, &[Span { offset: 0, length: u32::MAX }], &[], &[]);
        assert!(decode_histograms(w.bytes()).is_err());
    }
}
