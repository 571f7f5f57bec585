//! Query results in the JSON shape of Prometheus's HTTP API (`data` of `/api/v1/query`).

use quiver_engine::value::{Point, Value};
use serde_json::{Value as Json, json};

pub(crate) use quiver_proto::format_f as format_api_float;

/// A timestamp in seconds as Prometheus writes it: a whole number when it is one
/// (`1700000000`, not `1700000000.0`), else with the milliseconds (`1700000000.5`).
fn ts(t: i64) -> Json {
    if t % 1000 == 0 { json!(t / 1000) } else { json!(t as f64 / 1000.0) }
}

/// A native histogram as the API writes it: count, sum, and the non-empty buckets as
/// `[boundary rule, lower, upper, count]` (rule 0: open left, 1: open right, 2: open both,
/// 3: closed both).
fn histogram_json(h: &quiver_proto::FloatHistogram) -> Json {
    let buckets: Vec<Json> = h
        .all_bucket_iter()
        .filter(|b| b.count != 0.0)
        .map(|b| {
            let rule = match (b.lower_inclusive, b.upper_inclusive) {
                (false, true) => 0,
                (true, false) => 1,
                (false, false) => 2,
                (true, true) => 3,
            };
            json!([rule, histogram_float(b.lower), histogram_float(b.upper), histogram_float(b.count)])
        })
        .collect();
    let mut out = json!({"count": histogram_float(h.count), "sum": histogram_float(h.sum)});
    // Prometheus leaves the key out when no bucket holds anything.
    if !buckets.is_empty() {
        out["buckets"] = Json::Array(buckets);
    }
    out
}

/// A histogram's number as Prometheus writes it (`jsonutil.MarshalFloat`): like a float
/// sample, except that magnitudes below 1e-6 or from 1e21 up take Go's exponent form
/// (`1e-128`, `1.5e-07`, `1e+21`), as a zero bucket's bounds often do.
fn histogram_float(v: f64) -> String {
    let abs = v.abs();
    if !v.is_finite() || abs == 0.0 || (1e-6..1e21).contains(&abs) {
        return format_api_float(v);
    }
    // Rust's `{:e}` gives the shortest digits that read back as `v`; Go signs the exponent and
    // writes at least two digits of it.
    let rust = format!("{v:e}");
    let (mantissa, exp) = rust.split_once('e').unwrap_or((&rust, "0"));
    let (sign, digits) = match exp.strip_prefix('-') {
        Some(d) => ('-', d),
        None => ('+', exp),
    };
    format!("{mantissa}e{sign}{digits:0>2}")
}

pub(crate) fn labels_json(l: &quiver_proto::Labels) -> Json {
    Json::Object(l.iter().map(|l| (l.name.clone(), Json::String(l.value.clone()))).collect())
}

pub(crate) fn value_json(v: &Value) -> Json {
    match v {
        Value::Scalar { t, v } => json!({"resultType": "scalar", "result": [ts(*t), format_api_float(*v)]}),
        Value::String { t, s } => json!({"resultType": "string", "result": [ts(*t), s]}),
        Value::Vector(samples) => {
            let result: Vec<Json> = samples
                .iter()
                .map(|s| match &s.point {
                    Point::Float(v) => {
                        json!({"metric": labels_json(&s.labels), "value": [ts(s.t), format_api_float(*v)]})
                    }
                    Point::Histogram(h) => {
                        json!({"metric": labels_json(&s.labels), "histogram": [ts(s.t), histogram_json(h)]})
                    }
                })
                .collect();
            json!({"resultType": "vector", "result": result})
        }
        Value::Matrix(series) => {
            let result: Vec<Json> = series
                .iter()
                .map(|s| {
                    let mut out = json!({"metric": labels_json(&s.labels)});
                    // As Prometheus, a series without float points has no `values` key (and one
                    // without histograms no `histograms`).
                    if !s.floats.is_empty() {
                        let values: Vec<Json> =
                            s.floats.iter().map(|(t, v)| json!([ts(*t), format_api_float(*v)])).collect();
                        out["values"] = Json::Array(values);
                    }
                    if !s.histograms.is_empty() {
                        let hs: Vec<Json> =
                            s.histograms.iter().map(|(t, h)| json!([ts(*t), histogram_json(h)])).collect();
                        out["histograms"] = Json::Array(hs);
                    }
                    out
                })
                .collect();
            json!({"resultType": "matrix", "result": result})
        }
    }
}

/// `{"resultType":...,"result":...}` of [`value_json`], written straight into `out`: a range
/// answer has a point per series and step, and a tree of JSON values for each of them would cost
/// more than computing them.
pub(crate) fn write_value_json(v: &Value, out: &mut Vec<u8>) {
    match v {
        Value::Matrix(series) => {
            out.extend_from_slice(br#"{"resultType":"matrix","result":["#);
            write_series(out, series);
            out.extend_from_slice(b"]}");
        }
        Value::Vector(samples) => {
            out.extend_from_slice(br#"{"resultType":"vector","result":"#);
            write_list(out, samples, |out, s| {
                write_metric(out, &s.labels);
                match &s.point {
                    Point::Float(v) => {
                        out.extend_from_slice(br#","value":"#);
                        write_point(out, s.t, *v);
                    }
                    Point::Histogram(h) => {
                        out.extend_from_slice(br#","histogram":"#);
                        write_json(out, &json!([ts(s.t), histogram_json(h)]));
                    }
                }
                out.push(b'}');
            });
            out.push(b'}');
        }
        other => write_json(out, &value_json(other)),
    }
}

/// Points per part of a matrix written in parts: enough that a part's task costs far more than
/// its hand-off.
const PART_POINTS: usize = 5_000;
/// Parts per thread of the query runtime: the first parts go out on the connection while the
/// later ones are still being written.
const PARTS_PER_THREAD: usize = 4;

/// A piece of an answer's JSON, ready to send.
pub(crate) type JsonPiece = Result<bytes::Bytes, std::io::Error>;

/// [`write_value_json`] of a large matrix in pieces, in order; any other value is handed back.
/// The series are written in parts, each a task on `executor`'s threads, and each part is handed
/// on as soon as it and those before it are written: the answer starts going out while the rest
/// is still being written, and is never copied whole into one buffer.
pub(crate) fn value_json_pieces(
    v: Value,
    executor: &quiver_engine::Executor,
) -> Result<futures::stream::BoxStream<'static, JsonPiece>, Value> {
    use futures::StreamExt;
    let Value::Matrix(series) = v else { return Err(v) };
    let points: usize = series.iter().map(|s| s.floats.len() + s.histograms.len()).sum();
    let parts = (executor.threads() * PARTS_PER_THREAD).min(points / PART_POINTS);
    if parts < 2 || series.len() < 2 {
        return Err(Value::Matrix(series));
    }
    // Contiguous runs of series with about the same number of points each.
    let series = std::sync::Arc::new(series);
    let bounds =
        quiver_engine::value::even_bounds(series.iter().map(|s| s.floats.len() + s.histograms.len()), parts);
    let tasks: Vec<_> = bounds
        .windows(2)
        .enumerate()
        .map(|(k, w)| {
            let (series, range) = (std::sync::Arc::clone(&series), w[0]..w[1]);
            executor.handle().spawn(async move {
                let part = &series[range];
                let mut buf =
                    Vec::with_capacity(1 + part.iter().map(|s| 256 + 32 * s.floats.len()).sum::<usize>());
                if k > 0 {
                    buf.push(b',');
                }
                write_series(&mut buf, part);
                bytes::Bytes::from(buf)
            })
        })
        .collect();
    let head =
        futures::stream::iter([Ok(bytes::Bytes::from_static(br#"{"resultType":"matrix","result":["#))]);
    let parts = futures::stream::iter(tasks).then(|t| async move {
        t.await.map_err(|e| std::io::Error::other(format!("writing the answer: {e}")))
    });
    let tail = futures::stream::iter([Ok(bytes::Bytes::from_static(b"]}"))]);
    Ok(head.chain(parts).chain(tail).boxed())
}

/// The objects of a matrix's series, separated by commas.
fn write_series(out: &mut Vec<u8>, series: &[quiver_engine::value::RangeSeries]) {
    for (i, s) in series.iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        write_metric(out, &s.labels);
        if !s.floats.is_empty() {
            out.extend_from_slice(br#","values":"#);
            write_list(out, &s.floats, |out, (t, v)| write_point(out, *t, *v));
        }
        if !s.histograms.is_empty() {
            out.extend_from_slice(br#","histograms":"#);
            let hs: Vec<Json> =
                s.histograms.iter().map(|(t, h)| json!([ts(*t), histogram_json(h)])).collect();
            write_json(out, &Json::Array(hs));
        }
        out.push(b'}');
    }
}

/// About how many bytes [`write_value_json`] writes for `v`, so the answer's buffer is sized once
/// rather than grown (and copied) as it is written.
pub(crate) fn json_size_hint(v: &Value) -> usize {
    const POINT: usize = 32;
    const SERIES: usize = 256;
    4096 + match v {
        Value::Matrix(series) => {
            series.iter().map(|s| SERIES + s.floats.len() * POINT + s.histograms.len() * 8 * POINT).sum()
        }
        Value::Vector(samples) => samples.len() * (SERIES + POINT),
        _ => 0,
    }
}

/// `[a,b,...]`, each item written by `item`.
fn write_list<T>(out: &mut Vec<u8>, items: &[T], mut item: impl FnMut(&mut Vec<u8>, &T)) {
    out.push(b'[');
    for (i, x) in items.iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        item(out, x);
    }
    out.push(b']');
}

/// `{"metric":{...}` of a series, its object left open.
fn write_metric(out: &mut Vec<u8>, labels: &quiver_proto::Labels) {
    out.extend_from_slice(br#"{"metric":"#);
    write_json(out, &labels_json(labels));
}

/// `[t,"v"]`, written without building a JSON value: a range answer has one per series and
/// step.
fn write_point(out: &mut Vec<u8>, t: i64, v: f64) {
    out.push(b'[');
    write_ts(out, t);
    out.extend_from_slice(b",\"");
    write_go_float(out, v);
    out.extend_from_slice(b"\"]");
}

/// A timestamp in seconds as [`ts`] writes it: a whole number, or the milliseconds after a
/// point with trailing zeros dropped (the shortest decimal that reads back as the same double).
fn write_ts(out: &mut Vec<u8>, t: i64) {
    let (secs, ms) = (t.unsigned_abs() / 1000, t.unsigned_abs() % 1000);
    if t < 0 {
        out.push(b'-');
    }
    out.extend_from_slice(itoa::Buffer::new().format(secs).as_bytes());
    if ms == 0 {
        return;
    }
    let digits = [b'0' + (ms / 100) as u8, b'0' + (ms / 10 % 10) as u8, b'0' + (ms % 10) as u8];
    let len = 3 - digits.iter().rev().take_while(|&&d| d == b'0').count();
    out.push(b'.');
    out.extend_from_slice(&digits[..len]);
}

/// A float as Go's `strconv.FormatFloat(v, 'f', -1, 64)` writes it (as [`format_api_float`]):
/// the shortest digits that read back as `v`, laid out without an exponent. The digits come from
/// ryu, which finds the same shortest digits far faster than `fmt`.
pub(crate) fn write_go_float(out: &mut Vec<u8>, v: f64) {
    const EXACT: f64 = 9_007_199_254_740_992.0; // 2^53
    if !v.is_finite() {
        out.extend_from_slice(format_api_float(v).as_bytes());
        return;
    }
    // Below 2^53 every integer is a double and no shorter decimal reads back as it, so its
    // shortest digits are the integer's own (-0 keeps its sign, so it takes the general path).
    if v == v.trunc() && v.abs() < EXACT && !(v == 0.0 && v.is_sign_negative()) {
        out.extend_from_slice(itoa::Buffer::new().format(v as i64).as_bytes());
        return;
    }
    let mut buf = ryu::Buffer::new();
    let s = buf.format_finite(v).as_bytes();
    // Between 1e-5 and 1e16 ryu writes `ddd.ddd` or `0.000ddd`, Go's layout already, unless it
    // ends in `.0` (an integer, mostly written above).
    if !s.contains(&b'e') && !s.ends_with(b".0") {
        out.extend_from_slice(s);
        return;
    }
    let (sign, s) = match s.split_first() {
        Some((b'-', rest)) => (true, rest),
        _ => (false, s),
    };
    // ryu writes `d.ddd`, `ddd.0`, `0.000ddd` or `d.ddde±x`: the digits and where the point goes.
    let (mantissa, exp) = match s.iter().position(|&c| c == b'e') {
        Some(e) => {
            (&s[..e], std::str::from_utf8(&s[e + 1..]).ok().and_then(|x| x.parse::<i32>().ok()).unwrap_or(0))
        }
        None => (s, 0),
    };
    let point = mantissa.iter().position(|&c| c == b'.').unwrap_or(mantissa.len());
    // At most 17 significant digits and a few zeros: the mantissa fits on the stack.
    let mut all = [0u8; 32];
    let mut n = 0;
    for &c in mantissa.iter().filter(|&&c| c != b'.').take(all.len()) {
        all[n] = c;
        n += 1;
    }
    let mut point = point as i32 + exp;
    // Leading zeros (`0.000ddd`) move the point; trailing ones (`ddd.0`) are dropped.
    let lead = all[..n].iter().take_while(|&&c| c == b'0').count();
    point -= lead as i32;
    let mut digits = &all[lead..n];
    while let Some((b'0', rest)) = digits.split_last() {
        digits = rest;
    }
    if sign {
        out.push(b'-');
    }
    if digits.is_empty() {
        out.push(b'0');
        return;
    }
    if point <= 0 {
        out.extend_from_slice(b"0.");
        out.extend(std::iter::repeat_n(b'0', (-point) as usize));
        out.extend_from_slice(digits);
    } else if point as usize >= digits.len() {
        out.extend_from_slice(digits);
        out.extend(std::iter::repeat_n(b'0', point as usize - digits.len()));
    } else {
        out.extend_from_slice(&digits[..point as usize]);
        out.push(b'.');
        out.extend_from_slice(&digits[point as usize..]);
    }
}

fn write_json(out: &mut Vec<u8>, v: &Json) {
    // Writing into a Vec cannot fail, and a serde_json::Value always serializes.
    let _ = serde_json::to_writer(&mut *out, v);
}

#[cfg(test)]
mod tests {
    use super::*;
    use quiver_proto::{FloatHistogram, Span};

    #[test]
    fn floats_and_histograms_as_prometheus_writes_them() {
        assert_eq!(format_api_float(1e21), "1000000000000000000000");
        assert_eq!(format_api_float(f64::NEG_INFINITY), "-Inf");
        assert_eq!(format_api_float(0.1), "0.1");
        assert_eq!(ts(1_700_000_000_000).to_string(), "1700000000");
        assert_eq!(ts(1_699_988_777_300).to_string(), "1699988777.3");
        assert_eq!(ts(-1500).to_string(), "-1.5");
        let h = FloatHistogram {
            schema: 0,
            count: 5.0,
            sum: 7.5,
            zero_threshold: 0.001,
            zero_count: 1.0,
            positive_spans: vec![Span { offset: 0, length: 2 }],
            positive_buckets: vec![3.0, 0.0],
            negative_spans: vec![Span { offset: 0, length: 1 }],
            negative_buckets: vec![1.0],
            ..Default::default()
        };
        let j = histogram_json(&h);
        assert_eq!(j["count"], "5");
        let buckets = j["buckets"].as_array().unwrap();
        // The negative bucket, the zero bucket, one non-empty positive bucket; the empty one is left out.
        assert_eq!(buckets.len(), 3);
        assert_eq!(buckets[0], json!([1, "-1", "-0.5", "1"]));
        assert_eq!(buckets[1], json!([3, "-0.001", "0.001", "1"]));
        assert_eq!(buckets[2], json!([0, "0.5", "1", "3"]));
        let tiny =
            FloatHistogram { zero_threshold: 1e-128, zero_count: 1.5e-7, count: 2e21, ..Default::default() };
        let j = histogram_json(&tiny);
        assert_eq!(j["buckets"], json!([[3, "-1e-128", "1e-128", "1.5e-07"]]));
        assert_eq!(j["count"], "2e+21");
        assert_eq!(j["sum"], "0");
        assert!(histogram_json(&FloatHistogram::default()).get("buckets").is_none());
    }

    /// A large matrix written in parts on several threads is the same answer, byte for byte.
    #[tokio::test]
    async fn matrices_written_in_parts_are_the_same_answer() {
        use quiver_engine::value::RangeSeries;
        let series: Vec<RangeSeries> = (0..57)
            .map(|i| RangeSeries {
                labels: quiver_proto::Labels::from_pairs([("i", i.to_string())]).unwrap(),
                floats: (0..3000).map(|k| (k * 15_000 + i, (k * i) as f64 / 7.0)).collect(),
                histograms: Vec::new(),
            })
            .collect();
        let v = Value::Matrix(series);
        let mut whole = Vec::new();
        write_value_json(&v, &mut whole);
        let ex = quiver_engine::Executor::new(3).unwrap();
        let pieces: Vec<bytes::Bytes> =
            futures::TryStreamExt::try_collect(value_json_pieces(v, &ex).ok().unwrap()).await.unwrap();
        assert!(pieces.len() > 3, "{} pieces", pieces.len());
        let parts = pieces.concat();
        assert!(whole.len() > 1_000_000);
        assert!(whole == parts, "the answers differ");
    }

    /// The fast float writer gives what `format!` gives (Go's 'f', -1) on every kind of value:
    /// the same shortest digits, read back as the same double. At an exact tie between two
    /// shortest candidates ryu rounds half to even, as Go's strconv does, where `format!`
    /// rounds up; both read back alike.
    #[test]
    fn floats_are_written_as_go_formats_them() {
        let mut seed: u64 = 0x2545_f491_4f6c_dd1d;
        let mut next = move || {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed
        };
        let mut values =
            vec![0.0, -0.0, 1.0, -1.0, 0.1, 0.5, 100.0, 1e21, 1e22, 1.5e-7, 123456789.125, 5e-324];
        values.extend([f64::MAX, f64::MIN_POSITIVE, 1699999200.5, 0.30000000000000004, 1e15, 12345e-10]);
        // Integers on both sides of 2^53, where the integer path gives way to the general one.
        let two53 = 9_007_199_254_740_992.0_f64;
        values.extend([two53 - 1.0, -(two53 - 1.0), two53, two53 + 2.0, 4613449907.0, -42.0, 2f64.powi(60)]);
        // Where ryu switches between its plain and exponent layouts.
        values.extend([1e-5, 9.99e-6, 1.00001e-5, 1e16, 1.5e16, 9999999999999998.5, 123456789012345.67]);
        for _ in 0..200_000 {
            // Random bit patterns cover every exponent; skip NaN and infinities.
            let v = f64::from_bits(next());
            if v.is_finite() {
                values.push(v);
            }
            values.push((next() % 100_000_000) as f64 / 1000.0);
            values.push((next() % (1 << 54)) as f64 - (1u64 << 53) as f64);
        }
        let mut ties = 0;
        for v in values {
            let mut out = Vec::new();
            write_go_float(&mut out, v);
            let (ours, theirs) = (String::from_utf8(out).unwrap(), format_api_float(v));
            assert_eq!(ours.parse::<f64>().unwrap().to_bits(), v.to_bits(), "{v:e}: {ours}");
            if v == v.trunc() && v.abs() < two53 {
                assert_eq!(ours, theirs, "integer {v:e}");
            }
            if ours != theirs {
                assert_eq!(ours.len(), theirs.len(), "{v:e}: {ours} vs {theirs}");
                ties += 1;
            }
        }
        assert!(ties < 100, "{ties} values written differently");
    }

    /// The streamed answer parses to the same JSON as the tree.
    #[test]
    fn written_values_equal_the_json_tree() {
        use quiver_engine::value::{RangeSeries, VectorSample};
        let labels = quiver_proto::Labels::from_pairs([("__name__", "a\"b"), ("job", "x\ny")]).unwrap();
        let h = FloatHistogram { schema: 0, count: 2.0, sum: 3.0, ..Default::default() };
        let values = [
            Value::Scalar { t: 1_500, v: f64::NAN },
            Value::String { t: 2_000, s: "s\"".into() },
            Value::Vector(vec![
                VectorSample { labels: labels.clone(), t: 1_700_000_000_300, point: Point::Float(-0.5) },
                VectorSample {
                    labels: labels.clone(),
                    t: 1_700_000_000_000,
                    point: Point::Histogram(h.clone()),
                },
            ]),
            Value::Vector(Vec::new()),
            Value::Matrix(vec![
                RangeSeries {
                    labels: labels.clone(),
                    floats: vec![(0, 1.0), (15_500, f64::INFINITY)],
                    histograms: vec![(30_000, h)],
                },
                RangeSeries {
                    labels,
                    floats: vec![(-1_500, 1e21), (-500, 0.25), (1, 1e-7)],
                    histograms: Vec::new(),
                },
            ]),
            Value::Matrix(Vec::new()),
        ];
        for v in &values {
            let mut out = Vec::new();
            write_value_json(v, &mut out);
            let parsed: Json = serde_json::from_slice(&out).unwrap();
            assert_eq!(parsed, value_json(v), "{}", String::from_utf8_lossy(&out));
        }
    }
}
