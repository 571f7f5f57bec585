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
}
