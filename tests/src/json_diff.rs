//! Comparing Quiver's API answers with Prometheus's: JSON compared whole (keys, arrays, labels,
//! timestamps, `warnings`/`infos` present or not); sample values, which Prometheus writes as
//! strings, must agree to 1e-9 relatively (summation order may differ in the last bits), and a
//! tally says how many agree to the last bit.

use serde_json::Value;

fn close(a: f64, b: f64) -> bool {
    (a.is_nan() && b.is_nan()) || a == b || (a - b).abs() <= 1e-9 * a.abs().max(b.abs())
}

#[derive(Debug, Default)]
pub struct Tally {
    pub values: usize,
    pub bit_exact: usize,
}

/// The first difference between two JSON documents, by path; strings that are both numbers
/// compare with tolerance.
pub fn diff(ours: &Value, theirs: &Value, path: &str, tally: &mut Tally) -> Result<(), String> {
    let differ = || Err(format!("{path}: quiver {ours}, prometheus {theirs}"));
    match (ours, theirs) {
        (Value::Object(a), Value::Object(b)) => {
            if a.keys().ne(b.keys()) {
                return differ();
            }
            for (k, v) in a {
                diff(v, &b[k], &format!("{path}.{k}"), tally)?;
            }
            Ok(())
        }
        (Value::Array(a), Value::Array(b)) => {
            if a.len() != b.len() {
                return Err(format!("{path}: {} elements in quiver, {} in prometheus", a.len(), b.len()));
            }
            for (i, (x, y)) in a.iter().zip(b).enumerate() {
                diff(x, y, &format!("{path}[{i}]"), tally)?;
            }
            Ok(())
        }
        (Value::String(a), Value::String(b)) if a == b => {
            if a.parse::<f64>().is_ok() {
                tally.values += 1;
                tally.bit_exact += 1;
            }
            Ok(())
        }
        (Value::String(a), Value::String(b)) => match (a.parse::<f64>(), b.parse::<f64>()) {
            (Ok(x), Ok(y)) if close(x, y) => {
                tally.values += 1;
                Ok(())
            }
            _ => differ(),
        },
        (a, b) if a == b => Ok(()),
        _ => differ(),
    }
}

/// An instant vector's order is unspecified unless the query sorts.
pub fn normalize(query: &str, mut v: Value) -> Value {
    if v["data"]["resultType"] == "vector"
        && !query.contains("sort")
        && let Some(r) = v["data"]["result"].as_array_mut()
    {
        r.sort_by_key(|s| s["metric"].to_string());
    }
    v
}
