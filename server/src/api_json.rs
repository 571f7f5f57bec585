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
            json!([rule, format_api_float(b.lower), format_api_float(b.upper), format_api_float(b.count)])
        })
        .collect();
    json!({"count": format_api_float(h.count), "sum": format_api_float(h.sum), "buckets": buckets})
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
                    let values: Vec<Json> =
                        s.floats.iter().map(|(t, v)| json!([ts(*t), format_api_float(*v)])).collect();
                    let mut out = json!({"metric": labels_json(&s.labels), "values": values});
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
            out.extend_from_slice(br#"{"resultType":"matrix","result":"#);
            write_list(out, series, |out, s| {
                write_metric(out, &s.labels);
                out.extend_from_slice(br#","values":"#);
                write_list(out, &s.floats, |out, (t, v)| write_point(out, *t, *v));
                if !s.histograms.is_empty() {
                    out.extend_from_slice(br#","histograms":"#);
                    let hs: Vec<Json> =
                        s.histograms.iter().map(|(t, h)| json!([ts(*t), histogram_json(h)])).collect();
                    write_json(out, &Json::Array(hs));
                }
                out.push(b'}');
            });
            out.push(b'}');
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
    use std::io::Write;
    out.push(b'[');
    write_ts(out, t);
    out.extend_from_slice(b",\"");
    // Go's formatting of a float ('f', -1: the shortest digits that read back, never an
    // exponent) is Rust's `{}`; it has no character JSON would need to escape.
    if v.is_finite() {
        let _ = write!(out, "{v}");
    } else {
        out.extend_from_slice(format_api_float(v).as_bytes());
    }
    out.extend_from_slice(b"\"]");
}

/// A timestamp in seconds as [`ts`] writes it: a whole number, or the milliseconds after a
/// point with trailing zeros dropped (the shortest decimal that reads back as the same double).
fn write_ts(out: &mut Vec<u8>, t: i64) {
    use std::io::Write;
    let (secs, ms) = (t.unsigned_abs() / 1000, t.unsigned_abs() % 1000);
    let sign = if t < 0 { "-" } else { "" };
    if ms == 0 {
        let _ = write!(out, "{sign}{secs}");
        return;
    }
    let mut frac = format!("{ms:03}");
    while frac.ends_with('0') {
        frac.pop();
    }
    let _ = write!(out, "{sign}{secs}.{frac}");
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
