//! What the two histogram chunk encodings share: the chunk layout written before the first
//! sample (zero threshold, schema, positive and negative spans, custom bucket bounds), the
//! counter reset header, and the bucket bookkeeping the appenders need when the bucket layout
//! grows within a chunk (Prometheus's "inserts").

use super::bstream::{BitReader, BitWriter, Eof};
use super::varbit::{put_varbit_int, put_varbit_uint, read_varbit_int, read_varbit_uint};
use crate::histogram::{CUSTOM_BUCKETS_SCHEMA, CounterResetHint, Span, is_known_schema};

/// Bytes before the bit stream of a histogram chunk: the `u16` sample count and the flags byte.
pub(crate) const HEADER_SIZE: usize = 3;
/// Position of the flags byte whose top two bits hold the [`CounterResetHeader`].
pub(crate) const FLAGS_POS: usize = 2;
const HEADER_MASK: u8 = 0b1100_0000;

/// The counter reset header: the top two bits of the byte after a histogram chunk's sample
/// count, telling how this chunk relates to the previous chunk of the series.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
#[repr(u8)]
pub enum CounterResetHeader {
    /// Unknown whether a counter reset happened; readers must check themselves.
    #[default]
    Unknown = 0b0000_0000,
    /// The chunk was cut because of a counter reset.
    CounterReset = 0b1000_0000,
    /// There was definitely no counter reset when this chunk was cut.
    NotCounterReset = 0b0100_0000,
    /// The chunk holds gauge histograms.
    Gauge = 0b1100_0000,
}

impl CounterResetHeader {
    /// From the flags byte of a chunk (only the top two bits count).
    pub fn from_flags(byte: u8) -> Self {
        match byte & HEADER_MASK {
            0b1000_0000 => CounterResetHeader::CounterReset,
            0b0100_0000 => CounterResetHeader::NotCounterReset,
            0b1100_0000 => CounterResetHeader::Gauge,
            _ => CounterResetHeader::Unknown,
        }
    }

    /// The header Prometheus uses for a chunk starting with a sample carrying this hint.
    pub fn from_hint(hint: CounterResetHint) -> Self {
        match hint {
            CounterResetHint::CounterReset => CounterResetHeader::CounterReset,
            CounterResetHint::NotCounterReset => CounterResetHeader::NotCounterReset,
            CounterResetHint::Gauge => CounterResetHeader::Gauge,
            CounterResetHint::Unknown => CounterResetHeader::Unknown,
        }
    }

    /// The hint a reader gives the sample at 1-based position `num_read` of a chunk with this
    /// header: gauge for gauge chunks, "no reset" after the first sample, otherwise unknown
    /// (a chunk's first sample may follow a chunk that is gone or was added out of order).
    pub fn hint_for(self, num_read: u16) -> CounterResetHint {
        if self == CounterResetHeader::Gauge {
            CounterResetHint::Gauge
        } else if num_read > 1 {
            CounterResetHint::NotCounterReset
        } else {
            CounterResetHint::Unknown
        }
    }
}

/// Sets the header bits of a chunk's flags byte, keeping the other bits.
pub(crate) fn set_header(chunk: &mut [u8], header: CounterResetHeader) {
    if let Some(b) = chunk.get_mut(FLAGS_POS) {
        *b = (*b & !HEADER_MASK) | header as u8;
    }
}

/// What a histogram appender did with a sample.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AppendOutcome {
    /// Appended to this chunk.
    Appended,
    /// Appended after re-encoding the whole chunk for buckets the sample brought (the appender
    /// now holds the re-encoded chunk; a caller that stored the old bytes must replace them).
    Recoded,
    /// Not appended: the sample cannot share this chunk (counter reset, schema, zero threshold
    /// or custom bounds changed, a sample after a stale marker, or a switch between gauge and
    /// counter histograms). Cut a new chunk with this counter reset header and append there,
    /// as Prometheus's head does.
    NewChunk(CounterResetHeader),
}

/// Checks that a histogram can be written: a schema Prometheus ingests and as many buckets as
/// its spans describe.
pub(crate) fn check_histogram_shape(
    schema: i32,
    positive_spans: &[Span],
    positive_len: usize,
    negative_spans: &[Span],
    negative_len: usize,
) -> crate::Result<()> {
    if !crate::histogram::is_valid_schema(schema) {
        return Err(crate::Error::InvalidHistogram(format!("invalid schema {schema}")));
    }
    for (name, spans, len) in
        [("positive", positive_spans, positive_len), ("negative", negative_spans, negative_len)]
    {
        let want = crate::histogram::span_bucket_count(spans);
        if want != len as u64 {
            return Err(crate::Error::InvalidHistogram(format!(
                "{name} spans describe {want} buckets but there are {len}"
            )));
        }
    }
    Ok(())
}

/// The bucket layout shared by all samples of a histogram chunk.
#[derive(Debug, Clone, PartialEq, Default)]
pub(crate) struct Layout {
    pub(crate) schema: i32,
    pub(crate) zero_threshold: f64,
    pub(crate) positive_spans: Vec<Span>,
    pub(crate) negative_spans: Vec<Span>,
    pub(crate) custom_values: Vec<f64>,
}

pub(crate) fn write_layout(
    w: &mut BitWriter,
    schema: i32,
    zero_threshold: f64,
    positive: &[Span],
    negative: &[Span],
    custom_values: &[f64],
) {
    put_zero_threshold(w, zero_threshold);
    put_varbit_int(w, i64::from(schema));
    put_spans(w, positive);
    put_spans(w, negative);
    if schema == CUSTOM_BUCKETS_SCHEMA {
        put_varbit_uint(w, custom_values.len() as u64);
        for &v in custom_values {
            put_custom_bound(w, v);
        }
    }
}

/// Why a layout could not be read.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum LayoutError {
    Eof,
    Invalid(String),
}

impl From<Eof> for LayoutError {
    fn from(_: Eof) -> Self {
        LayoutError::Eof
    }
}

impl LayoutError {
    pub(crate) fn reason(self) -> String {
        match self {
            LayoutError::Eof => "stream ends inside the bucket layout".to_string(),
            LayoutError::Invalid(r) => r,
        }
    }
}

/// Reads the layout. `max_buckets` bounds the number of buckets the spans may describe (the
/// caller passes what the rest of the chunk could possibly hold), so junk cannot make the
/// decoder allocate without limit.
pub(crate) fn read_layout(r: &mut BitReader<'_>, max_buckets: u64) -> Result<Layout, LayoutError> {
    let zero_threshold = read_zero_threshold(r)?;
    let schema = read_varbit_int(r)?;
    let schema = i32::try_from(schema)
        .ok()
        .filter(|s| is_known_schema(*s))
        .ok_or_else(|| LayoutError::Invalid(format!("unknown histogram schema {schema}")))?;
    let positive_spans = read_spans(r, max_buckets)?;
    let positive_count: u64 = positive_spans.iter().map(|s| u64::from(s.length)).sum();
    let negative_spans = read_spans(r, max_buckets - positive_count)?;
    let mut custom_values = Vec::new();
    if schema == CUSTOM_BUCKETS_SCHEMA {
        let n = read_varbit_uint(r)?;
        for _ in 0..n {
            // Every bound takes at least 5 bits, so a stream that ends stops the loop.
            custom_values.push(read_custom_bound(r)?);
        }
    }
    Ok(Layout { schema, zero_threshold, positive_spans, negative_spans, custom_values })
}

fn put_spans(w: &mut BitWriter, spans: &[Span]) {
    put_varbit_uint(w, spans.len() as u64);
    for s in spans {
        put_varbit_uint(w, u64::from(s.length));
        put_varbit_int(w, i64::from(s.offset));
    }
}

fn read_spans(r: &mut BitReader<'_>, max_buckets: u64) -> Result<Vec<Span>, LayoutError> {
    let n = read_varbit_uint(r)?;
    let mut spans = Vec::with_capacity(n.min(64) as usize);
    let mut total = 0u64;
    for _ in 0..n {
        let length = read_varbit_uint(r)?;
        let offset = read_varbit_int(r)?;
        let length = u32::try_from(length)
            .map_err(|_| LayoutError::Invalid(format!("span length {length} out of range")))?;
        let offset = i32::try_from(offset)
            .map_err(|_| LayoutError::Invalid(format!("span offset {offset} out of range")))?;
        total += u64::from(length);
        if total > max_buckets {
            return Err(LayoutError::Invalid(format!(
                "spans describe more buckets ({total}) than the chunk can hold"
            )));
        }
        spans.push(Span { offset, length });
    }
    Ok(spans)
}

/// Writes the zero threshold: 0 as one zero byte; a power of two from 2^-243 to 2^10 as one
/// byte holding its `frexp` exponent + 243; anything else as 255 and the 8 raw bytes.
pub(crate) fn put_zero_threshold(w: &mut BitWriter, threshold: f64) {
    if threshold == 0.0 {
        w.write_bits(0, 8);
        return;
    }
    let bits = threshold.to_bits();
    let biased = ((bits >> 52) & 0x7ff) as i32;
    let power_of_two = bits >> 63 == 0 && bits & ((1 << 52) - 1) == 0 && biased != 0 && biased != 0x7ff;
    // frexp gives 0.5 * 2^exp, i.e. exp = unbiased exponent + 1.
    let exp = biased - 1022;
    if power_of_two && (-242..=11).contains(&exp) {
        w.write_bits((exp + 243) as u64, 8);
    } else {
        w.write_bits(255, 8);
        w.write_bits(bits, 64);
    }
}

pub(crate) fn read_zero_threshold(r: &mut BitReader<'_>) -> Result<f64, Eof> {
    match r.read_byte()? {
        0 => Ok(0.0),
        255 => Ok(f64::from_bits(r.read_bits(64)?)),
        // 0.5 * 2^(b-243) = 2^(b-244), always a normal number for 1 <= b <= 254.
        b => Ok(f64::from_bits(((i64::from(b) - 244 + 1023) as u64) << 52)),
    }
}

/// Writes one custom bucket bound: multiples of 0.001 from 0 to 33554.43 as the varbit uint
/// `bound * 1000 + 1`, anything else as a 0 bit and the raw 64 bits.
pub(crate) fn put_custom_bound(w: &mut BitWriter, bound: f64) {
    let scaled = bound * 1000.0;
    let whole = {
        // As Go's `uint(math.Round(x))` for the range that gets here.
        let i = (bound * 1000.0).round() as u64;
        bound == i as f64 / 1000.0
    };
    if !(0.0..=33_554_430.0).contains(&scaled) || !whole {
        w.write_bit(false);
        w.write_bits(bound.to_bits(), 64);
        return;
    }
    put_varbit_uint(w, scaled.round() as u64 + 1);
}

pub(crate) fn read_custom_bound(r: &mut BitReader<'_>) -> Result<f64, Eof> {
    match read_varbit_uint(r)? {
        0 => Ok(f64::from_bits(r.read_bits(64)?)),
        v => Ok((v - 1) as f64 / 1000.0),
    }
}

/// Bucket indices in span order (indices as `i64` so that junk offsets cannot overflow).
pub(crate) fn bucket_indices(spans: &[Span]) -> impl Iterator<Item = i64> + '_ {
    let mut next = 0i64;
    spans.iter().flat_map(move |s| {
        let start = next + i64::from(s.offset);
        next = start + i64::from(s.length);
        start..start + i64::from(s.length)
    })
}

/// `num` new buckets go before the bucket at position `pos` of the original bucket list (or at
/// its end); `bucket_idx` is the index of the first new bucket (kept where the caller needs it
/// to adjust spans).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) struct Insert {
    pub(crate) pos: usize,
    pub(crate) num: usize,
    pub(crate) bucket_idx: i64,
}

/// Builds spans from ascending bucket indices, merging adjacent buckets, as Prometheus does.
#[derive(Debug, Default)]
struct SpanBuilder {
    spans: Vec<Span>,
    last: i64,
}

impl SpanBuilder {
    fn add(&mut self, idx: i64) {
        let mut offset = idx - self.last - 1;
        match self.spans.last_mut() {
            Some(s) if offset == 0 => s.length += 1,
            _ => {
                if self.spans.is_empty() {
                    offset += 1;
                }
                self.spans.push(Span { offset: offset as i32, length: 1 });
            }
        }
        self.last = idx;
    }
}

/// An accumulating run of inserts (Prometheus's `addInsert`).
fn add_insert(inserts: &mut Vec<Insert>, cur: &mut Insert, idx: i64) {
    if cur.num == 0 {
        cur.bucket_idx = idx;
    } else if cur.bucket_idx + cur.num as i64 != idx {
        inserts.push(*cur);
        cur.num = 0;
        cur.bucket_idx = idx;
    }
    cur.num += 1;
}

/// Bucket counts compared for counter resets: absolute integer or float counts.
pub(crate) trait Count: Copy + PartialOrd {
    fn is_zero(self) -> bool;
}

impl Count for i64 {
    fn is_zero(self) -> bool {
        self == 0
    }
}

impl Count for f64 {
    fn is_zero(self) -> bool {
        self == 0.0
    }
}

/// Compares the chunk's current buckets `a` with a new sample's buckets `b` (absolute counts).
/// Returns the forward inserts that grow `a` to cover the buckets only `b` has, and the
/// backward inserts that grow `b` to cover the empty buckets only `a` has; or `None` on a
/// counter reset (a bucket count went down, or a non-empty bucket of `a` is missing in `b`).
pub(crate) fn expand_spans_and_buckets<C: Count>(
    a_spans: &[Span],
    b_spans: &[Span],
    a_counts: &[C],
    b_counts: &[C],
) -> Option<(Vec<Insert>, Vec<Insert>)> {
    let mut ai = bucket_indices(a_spans);
    let mut bi = bucket_indices(b_spans);
    let (mut a_inserts, mut b_inserts) = (Vec::new(), Vec::new());
    let (mut a_inter, mut b_inter) = (Insert::default(), Insert::default());
    let mut a_idx = ai.next();
    let mut b_idx = bi.next();
    let (mut a_pos, mut b_pos) = (0usize, 0usize);

    loop {
        match (a_idx, b_idx) {
            (Some(ax), Some(bx)) if ax == bx => {
                let (ac, bc) = (*a_counts.get(a_pos)?, *b_counts.get(b_pos)?);
                if ac > bc {
                    return None;
                }
                advance(&mut a_inserts, &mut a_inter, &mut a_idx, &mut ai, &mut a_pos);
                advance(&mut b_inserts, &mut b_inter, &mut b_idx, &mut bi, &mut b_pos);
            }
            (Some(ax), bx) if bx.is_none_or(|bx| ax < bx) => {
                // `b` lacks a bucket of `a`: fine only if it is empty.
                if !a_counts.get(a_pos)?.is_zero() {
                    return None;
                }
                add_insert(&mut b_inserts, &mut b_inter, ax);
                advance(&mut a_inserts, &mut a_inter, &mut a_idx, &mut ai, &mut a_pos);
            }
            (_, Some(bx)) => {
                // `a` lacks a bucket of `b`.
                add_insert(&mut a_inserts, &mut a_inter, bx);
                advance(&mut b_inserts, &mut b_inter, &mut b_idx, &mut bi, &mut b_pos);
            }
            _ => break,
        }
    }
    if a_inter.num > 0 {
        a_inserts.push(a_inter);
    }
    if b_inter.num > 0 {
        b_inserts.push(b_inter);
    }
    Some((a_inserts, b_inserts))
}

/// Moves one side forward: closes its pending insert run (the run belongs before the bucket
/// just passed) and bumps the position at which later inserts go.
fn advance(
    inserts: &mut Vec<Insert>,
    inter: &mut Insert,
    idx: &mut Option<i64>,
    it: &mut impl Iterator<Item = i64>,
    pos: &mut usize,
) {
    if inter.num > 0 {
        inserts.push(*inter);
        inter.num = 0;
    }
    *idx = it.next();
    inter.pos += 1;
    *pos += 1;
}

/// For gauge histograms: the inserts that grow `a` to the union of both layouts (forward), the
/// inserts that grow `b` to it (backward), and the union's spans. Counts are not compared.
pub(crate) fn expand_spans_both_ways(a: &[Span], b: &[Span]) -> (Vec<Insert>, Vec<Insert>, Vec<Span>) {
    let mut ai = bucket_indices(a);
    let mut bi = bucket_indices(b);
    let (mut f_inserts, mut b_inserts) = (Vec::new(), Vec::new());
    let (mut f_inter, mut b_inter) = (Insert::default(), Insert::default());
    let mut merged = SpanBuilder::default();
    let mut av = ai.next();
    let mut bv = bi.next();
    loop {
        match (av, bv) {
            (Some(x), Some(y)) if x == y => {
                if f_inter.num > 0 {
                    f_inserts.push(f_inter);
                    f_inter.num = 0;
                }
                if b_inter.num > 0 {
                    b_inserts.push(b_inter);
                    b_inter.num = 0;
                }
                merged.add(x);
                av = ai.next();
                bv = bi.next();
                f_inter.pos += 1;
                b_inter.pos += 1;
            }
            (Some(x), Some(y)) if x < y => {
                b_inter.num += 1;
                if f_inter.num > 0 {
                    f_inserts.push(f_inter);
                    f_inter.num = 0;
                }
                merged.add(x);
                f_inter.pos += 1;
                av = ai.next();
            }
            (Some(_), Some(y)) => {
                f_inter.num += 1;
                if b_inter.num > 0 {
                    b_inserts.push(b_inter);
                    b_inter.num = 0;
                }
                merged.add(y);
                b_inter.pos += 1;
                bv = bi.next();
            }
            (Some(x), None) => {
                b_inter.num += 1;
                merged.add(x);
                av = ai.next();
            }
            (None, Some(y)) => {
                f_inter.num += 1;
                merged.add(y);
                bv = bi.next();
            }
            (None, None) => break,
        }
    }
    if f_inter.num > 0 {
        f_inserts.push(f_inter);
    }
    if b_inter.num > 0 {
        b_inserts.push(b_inter);
    }
    (f_inserts, b_inserts, merged.spans)
}

/// The spans of `spans` grown by the buckets of `inserts` (which carry bucket indices).
pub(crate) fn adjust_for_inserts(spans: &[Span], inserts: &[Insert]) -> Vec<Span> {
    if inserts.is_empty() {
        return spans.to_vec();
    }
    let mut out = SpanBuilder::default();
    let mut i = 0usize;
    let mut ins_idx = inserts[0].bucket_idx;
    let mut ins_num = inserts[0].num;
    let consume = |i: &mut usize, ins_idx: &mut i64, ins_num: &mut usize| {
        *ins_num -= 1;
        if *ins_num == 0 {
            *i += 1;
            if let Some(next) = inserts.get(*i) {
                *ins_idx = next.bucket_idx;
                *ins_num = next.num;
            }
        } else {
            *ins_idx += 1;
        }
    };
    let mut it = bucket_indices(spans).peekable();
    while let Some(&bucket) = it.peek() {
        if i < inserts.len() && ins_idx < bucket {
            out.add(ins_idx);
            consume(&mut i, &mut ins_idx, &mut ins_num);
        } else {
            out.add(bucket);
            it.next();
        }
    }
    while i < inserts.len() {
        out.add(ins_idx);
        consume(&mut i, &mut ins_idx, &mut ins_num);
    }
    out.spans
}

fn inserted_len(len: usize, inserts: &[Insert]) -> usize {
    len + inserts.iter().map(|i| i.num).sum::<usize>()
}

/// Delta-encoded buckets with empty buckets inserted: each inserted run starts with the delta
/// that brings the count to 0, and the bucket after it gets its delta from 0.
pub(crate) fn insert_deltas(input: &[i64], inserts: &[Insert]) -> Vec<i64> {
    let mut out = Vec::with_capacity(inserted_len(input.len(), inserts));
    let mut v = 0i64;
    let mut ii = 0usize;
    for (i, &d) in input.iter().enumerate() {
        if inserts.get(ii).is_none_or(|ins| ins.pos != i) {
            out.push(d);
            v = v.wrapping_add(d);
            continue;
        }
        let mut first = true;
        while let Some(ins) = inserts.get(ii).filter(|ins| ins.pos == i) {
            out.push(if first { v.wrapping_neg() } else { 0 });
            first = false;
            out.extend(std::iter::repeat_n(0, ins.num.saturating_sub(1)));
            ii += 1;
        }
        out.push(d.wrapping_add(v));
        v = v.wrapping_add(d);
    }
    for ins in &inserts[ii.min(inserts.len())..] {
        out.push(v.wrapping_neg());
        out.extend(std::iter::repeat_n(0, ins.num.saturating_sub(1)));
        v = 0;
    }
    out
}

/// Absolute buckets with empty (zero) buckets inserted.
pub(crate) fn insert_absolute(input: &[f64], inserts: &[Insert]) -> Vec<f64> {
    let mut out = Vec::with_capacity(inserted_len(input.len(), inserts));
    let mut ii = 0usize;
    for (i, &d) in input.iter().enumerate() {
        while let Some(ins) = inserts.get(ii).filter(|ins| ins.pos == i) {
            out.extend(std::iter::repeat_n(0.0, ins.num));
            ii += 1;
        }
        out.push(d);
    }
    for ins in &inserts[ii.min(inserts.len())..] {
        out.extend(std::iter::repeat_n(0.0, ins.num));
    }
    out
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn sp(v: &[(i32, u32)]) -> Vec<Span> {
        v.iter().map(|&(offset, length)| Span { offset, length }).collect()
    }

    #[test]
    fn zero_threshold_encoding() {
        // As Prometheus 3.x writes them (2.42 also left an empty byte open after each).
        let cases: [(f64, &[u8]); 5] = [
            (0.0, &[0]),
            (2f64.powi(-128), &[116]),
            (2f64.powi(-243), &[1]),
            (1024.0, &[254]),
            (0.001, &[255, 0x3f, 0x50, 0x62, 0x4d, 0xd2, 0xf1, 0xa9, 0xfc]),
        ];
        for (t, want) in cases {
            let mut w = BitWriter::new();
            put_zero_threshold(&mut w, t);
            assert_eq!(w.bytes(), want, "threshold {t}");
            assert_eq!(read_zero_threshold(&mut BitReader::new(want)).unwrap(), t);
        }
        for t in [2048.0, 2f64.powi(-244), -0.5, f64::INFINITY, 3.0] {
            let mut w = BitWriter::new();
            put_zero_threshold(&mut w, t);
            assert_eq!(w.bytes()[0], 255, "threshold {t}");
        }
    }

    #[test]
    fn custom_bounds_round_trip() {
        for b in [0.0, 0.001, 0.1, 1.0, 2.5, 33554.43, 33554.431, -1.0, 0.0001, f64::INFINITY, 1e9] {
            let mut w = BitWriter::new();
            put_custom_bound(&mut w, b);
            let bytes = w.into_bytes();
            assert_eq!(read_custom_bound(&mut BitReader::new(&bytes)).unwrap(), b);
        }
    }

    #[test]
    fn bucket_indices_follow_spans() {
        let spans = sp(&[(-2, 2), (0, 0), (3, 1), (1, 2)]);
        assert_eq!(bucket_indices(&spans).collect::<Vec<_>>(), vec![-2, -1, 3, 5, 6]);
    }

    /// The example from Prometheus's documentation of `expandIntSpansAndBuckets`.
    #[test]
    fn expand_matches_prometheus_example() {
        let a = sp(&[(0, 2), (2, 1), (3, 2), (3, 1), (1, 1)]);
        let b = sp(&[(0, 3), (1, 1), (1, 4), (3, 3)]);
        let a_abs = [6i64, 3, 3, 2, 4, 5, 1];
        let b_abs = [6i64, 3, 0, 3, 0, 0, 2, 4, 5, 0, 1];
        let (fwd, bwd) = expand_spans_and_buckets(&a, &b, &a_abs, &b_abs).unwrap();
        assert!(bwd.is_empty());
        assert_eq!(
            fwd,
            vec![
                Insert { pos: 2, num: 1, bucket_idx: 2 },
                Insert { pos: 3, num: 2, bucket_idx: 6 },
                Insert { pos: 6, num: 1, bucket_idx: 14 },
            ]
        );
        let deltas = [6i64, -3, 0, -1, 2, 1, -4];
        assert_eq!(insert_deltas(&deltas, &fwd), vec![6, -3, -3, 3, -3, 0, 2, 2, 1, -5, 1]);
        // A count going down is a reset.
        let b_reset = [6i64, 2, 0, 3, 0, 0, 2, 4, 5, 0, 1];
        assert!(expand_spans_and_buckets(&a, &b, &a_abs, &b_reset).is_none());
    }

    #[test]
    fn backward_inserts_and_span_adjustment() {
        // The chunk has buckets 0..=3 where bucket 1 is empty; the sample lacks bucket 1 and
        // brings a new bucket 5.
        let a = sp(&[(0, 4)]);
        let b = sp(&[(0, 1), (1, 2), (1, 1)]);
        let (fwd, bwd) = expand_spans_and_buckets(&a, &b, &[1i64, 0, 2, 2], &[1i64, 2, 2, 3]).unwrap();
        assert_eq!(fwd, vec![Insert { pos: 4, num: 1, bucket_idx: 5 }]);
        assert_eq!(bwd, vec![Insert { pos: 1, num: 1, bucket_idx: 1 }]);
        assert_eq!(adjust_for_inserts(&b, &bwd), sp(&[(0, 4), (1, 1)]));
        // A missing non-empty bucket is a reset.
        assert!(expand_spans_and_buckets(&a, &b, &[1i64, 1, 2, 2], &[1i64, 2, 2, 3]).is_none());
    }

    #[test]
    fn both_ways_union() {
        let a = sp(&[(0, 2), (2, 1)]);
        let b = sp(&[(1, 3)]);
        let (fwd, bwd, merged) = expand_spans_both_ways(&a, &b);
        assert_eq!(merged, sp(&[(0, 5)]));
        assert_eq!(fwd, vec![Insert { pos: 2, num: 2, bucket_idx: 0 }]);
        assert_eq!(
            bwd,
            vec![Insert { pos: 0, num: 1, bucket_idx: 0 }, Insert { pos: 3, num: 1, bucket_idx: 0 }]
        );
        assert_eq!(insert_absolute(&[1.0, 2.0, 3.0], &fwd), vec![1.0, 2.0, 0.0, 0.0, 3.0]);
        assert_eq!(insert_deltas(&[5, -1, 1], &bwd), vec![0, 5, -1, 1, -5]);
    }

    #[test]
    fn layout_round_trip() {
        let mut w = BitWriter::new();
        let pos = sp(&[(-3, 2), (4, 7)]);
        let neg = sp(&[(100, 1)]);
        write_layout(&mut w, CUSTOM_BUCKETS_SCHEMA, 0.0, &pos, &neg, &[0.5, 1.0, 7.25, -3.0]);
        let bytes = w.into_bytes();
        let l = read_layout(&mut BitReader::new(&bytes), 1000).unwrap();
        assert_eq!(l.schema, CUSTOM_BUCKETS_SCHEMA);
        assert_eq!(l.positive_spans, pos);
        assert_eq!(l.negative_spans, neg);
        assert_eq!(l.custom_values, vec![0.5, 1.0, 7.25, -3.0]);
        assert!(read_layout(&mut BitReader::new(&bytes), 5).is_err());
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
#[path = "histogram_test_support.rs"]
pub(crate) mod test_support;
