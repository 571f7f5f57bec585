//! Query results in the JSON shape of Prometheus's HTTP API (`data` of `/api/v1/query`).

use quiver_engine::value::{Point, Value};
use serde_json::{Value as Json, json};

/// A float as Prometheus's API writes it (Go's `FormatFloat(v, 'f', -1, 64)`).
pub(crate) fn format_api_float(v: f64) -> String {
    if v.is_nan() {
        "NaN".into()
    } else if v.is_infinite() {
        if v > 0.0 { "+Inf".into() } else { "-Inf".into() }
    } else {
        format!("{v}")
    }
}

fn ts(t: i64) -> Json {
    json!(t as f64 / 1000.0)
}

fn labels(l: &quiver_proto::Labels) -> Json {
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
                        json!({"metric": labels(&s.labels), "value": [ts(s.t), format_api_float(*v)]})
                    }
                    Point::Histogram(h) => {
                        json!({"metric": labels(&s.labels), "histogram": [ts(s.t), format!("{h:?}")]})
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
                    json!({"metric": labels(&s.labels), "values": values})
                })
                .collect();
            json!({"resultType": "matrix", "result": result})
        }
    }
}
