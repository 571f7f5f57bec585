//! Native histogram literals, `{{schema:1 sum:3 count:22 z_bucket:1 z_bucket_w:0.001 offset:1
//! buckets:[5 10 7] n_offset:0 n_buckets:[1] counter_reset_hint:gauge custom_values:[1 2]}}`,
//! built as Prometheus's parser does (`buildHistogramFromMap`): every field defaults to zero, and
//! `buckets`/`n_buckets` become one span starting at `offset`/`n_offset` with one bucket per
//! listed count (absolute counts, as in `FloatHistogram`).

use quiver_proto::{CounterResetHint, FloatHistogram, Span};

use super::series::{Cursor, SequenceValue, is_space, unsigned_number};

/// A parsed `{{...}}` literal.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct HistogramLiteral {
    pub(super) histogram: FloatHistogram,
    /// Whether `counter_reset_hint:` was given.
    pub(super) counter_reset_hint_set: bool,
}

impl HistogramLiteral {
    pub(super) fn into_value(self) -> SequenceValue {
        SequenceValue::Histogram {
            histogram: self.histogram,
            counter_reset_hint_set: self.counter_reset_hint_set,
        }
    }
}

#[derive(Default)]
struct Desc {
    schema: Option<i64>,
    sum: Option<f64>,
    count: Option<f64>,
    z_bucket: Option<f64>,
    z_bucket_w: Option<f64>,
    custom_values: Option<Vec<f64>>,
    buckets: Option<Vec<f64>>,
    offset: Option<i64>,
    n_buckets: Option<Vec<f64>>,
    n_offset: Option<i64>,
    counter_reset_hint: Option<CounterResetHint>,
}

/// Parses a `{{...}}` literal at the cursor (which is at the opening braces).
pub(super) fn parse_histogram_literal(c: &mut Cursor<'_>) -> Result<HistogramLiteral, String> {
    if !(c.eat(b'{') && c.eat(b'{')) {
        return Err(c.err("expected \"{{\""));
    }
    let mut desc = Desc::default();
    let mut first = true;
    loop {
        if c.peek().is_some_and(is_space) {
            c.skip_spaces();
            if close(c) {
                break;
            }
            if first {
                return Err(c.err("unexpected space after \"{{\""));
            }
        } else if close(c) {
            break;
        } else if !first {
            return Err(c.err("expected a space between histogram description items"));
        }
        first = false;
        parse_desc_item(c, &mut desc)?;
    }
    Ok(build(desc))
}

fn close(c: &mut Cursor<'_>) -> bool {
    if c.peek() == Some(b'}') && c.peek_at(1) == Some(b'}') {
        c.pos += 2;
        true
    } else {
        false
    }
}

fn parse_desc_item(c: &mut Cursor<'_>, desc: &mut Desc) -> Result<(), String> {
    let key = c.take_while(|b| b.is_ascii_alphabetic() || b == b'_').to_ascii_lowercase();
    if key.is_empty() {
        return Err(c.err("histogram description incomplete, expected a key such as buckets:[5 10 7]"));
    }
    if !c.eat(b':') {
        return Err(c.err(&format!("missing \":\" after histogram descriptor {key:?}")));
    }
    let dup = |c: &Cursor<'_>| Err(c.err(&format!("duplicate key \"{key}\" in histogram")));
    macro_rules! set {
        ($field:ident, $value:expr) => {{
            if desc.$field.is_some() {
                return dup(c);
            }
            let v = $value;
            desc.$field = Some(v);
        }};
    }
    match key.as_str() {
        "schema" => set!(schema, int(c)?),
        "sum" => set!(sum, signed_number(c)?),
        "count" => set!(count, signed_number(c)?),
        "z_bucket" => set!(z_bucket, signed_number(c)?),
        "z_bucket_w" => set!(z_bucket_w, unsigned_number(c)?),
        "custom_values" => set!(custom_values, bucket_set(c)?),
        "buckets" => set!(buckets, bucket_set(c)?),
        "offset" => set!(offset, int(c)?),
        "n_buckets" => set!(n_buckets, bucket_set(c)?),
        "n_offset" => set!(n_offset, int(c)?),
        "counter_reset_hint" => {
            let word = c.take_while(|b| b.is_ascii_alphabetic() || b == b'_').to_ascii_lowercase();
            let hint = match word.as_str() {
                "unknown" => CounterResetHint::Unknown,
                "reset" => CounterResetHint::CounterReset,
                "not_reset" => CounterResetHint::NotCounterReset,
                "gauge" => CounterResetHint::Gauge,
                _ => return Err(c.err(&format!("error parsing counter_reset_hint: unknown value {word:?}"))),
            };
            set!(counter_reset_hint, hint)
        }
        _ => return Err(c.err(&format!("bad histogram descriptor found: {key:?}"))),
    }
    Ok(())
}

/// `int`: an optional `-` and an unsigned decimal integer.
fn int(c: &mut Cursor<'_>) -> Result<i64, String> {
    let neg = c.eat(b'-');
    let v = c.uint()?;
    let v = i64::try_from(v).map_err(|_| c.err("integer out of range"))?;
    Ok(if neg { -v } else { v })
}

/// `signed_or_unsigned_number` inside histograms, where the lexer only knows `-` as a sign.
fn signed_number(c: &mut Cursor<'_>) -> Result<f64, String> {
    if c.eat(b'-') { unsigned_number(c).map(|v| -v) } else { unsigned_number(c) }
}

/// `[n n n]`: at least one number, separated by spaces, an optional space before `]`.
fn bucket_set(c: &mut Cursor<'_>) -> Result<Vec<f64>, String> {
    if !c.eat(b'[') {
        return Err(c.err("expected \"[\""));
    }
    let mut out = Vec::new();
    loop {
        if c.peek().is_some_and(is_space) {
            if out.is_empty() {
                return Err(c.err("unexpected space after \"[\""));
            }
            c.skip_spaces();
            if c.eat(b']') {
                return Ok(out);
            }
        } else if c.eat(b']') {
            if out.is_empty() {
                return Err(c.err("empty bucket list"));
            }
            return Ok(out);
        } else if !out.is_empty() {
            return Err(c.err("invalid character in buckets description"));
        }
        out.push(signed_number(c)?);
    }
}

fn build(desc: Desc) -> HistogramLiteral {
    let (positive_buckets, positive_spans) = buckets_and_spans(desc.buckets, desc.offset);
    let (negative_buckets, negative_spans) = buckets_and_spans(desc.n_buckets, desc.n_offset);
    let counter_reset_hint_set = desc.counter_reset_hint.is_some();
    HistogramLiteral {
        histogram: FloatHistogram {
            counter_reset_hint: desc.counter_reset_hint.unwrap_or_default(),
            // Go converts with int32(...), which wraps.
            schema: desc.schema.unwrap_or(0) as i32,
            zero_threshold: desc.z_bucket_w.unwrap_or(0.0),
            zero_count: desc.z_bucket.unwrap_or(0.0),
            count: desc.count.unwrap_or(0.0),
            sum: desc.sum.unwrap_or(0.0),
            positive_spans,
            negative_spans,
            positive_buckets,
            negative_buckets,
            custom_values: desc.custom_values.unwrap_or_default(),
        },
        counter_reset_hint_set,
    }
}

/// Prometheus's `buildHistogramBucketsAndSpans`: one span `{offset, len(buckets)}` when there are
/// buckets, none otherwise.
fn buckets_and_spans(buckets: Option<Vec<f64>>, offset: Option<i64>) -> (Vec<f64>, Vec<Span>) {
    let buckets = buckets.unwrap_or_default();
    let spans = if buckets.is_empty() {
        Vec::new()
    } else {
        vec![Span { offset: offset.unwrap_or(0) as i32, length: buckets.len() as u32 }]
    };
    (buckets, spans)
}
