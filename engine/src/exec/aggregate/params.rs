//! The numeric parameter of an aggregation (k of topk, bottomk and limitk, the ratio of
//! limit_ratio, φ of quantile): a literal, or a scalar expression with a value per step.
//! Prometheus checks it over the whole range before evaluating any step (`newFParams` and the
//! checks in `rangeEvalAgg`), so one bad step fails or annotates the whole query.

use std::collections::BTreeMap;

use quiver_proto::format_g;

use super::super::common::Rows;
use crate::annotations::Annotation;
use crate::error::{EngineError, Result};
use crate::functions::{go_max, go_min};

#[derive(Debug, Default)]
pub(super) struct Params {
    constant: Option<f64>,
    by_step: BTreeMap<i64, f64>,
    min: f64,
    max: f64,
    any_nan: bool,
}

impl Params {
    /// `literal` for a number literal, else the rows of the parameter's scalar plan. Neither
    /// (no parameter, or an expression without values) behaves like Prometheus's empty
    /// parameter: 0 everywhere.
    pub(super) fn new(literal: Option<f64>, rows: Option<&Rows>) -> Self {
        if let Some(v) = literal {
            return Self { constant: Some(v), min: v, max: v, any_nan: v.is_nan(), ..Self::default() };
        }
        let Some(rows) = rows.filter(|r| r.len() > 0) else { return Self::default() };
        // Go's math.Min/Max, so NaN propagates (and loses against an infinity) exactly as there.
        let mut p = Self { min: f64::MAX, max: -f64::MAX, ..Self::default() };
        for i in 0..rows.len() {
            let v = rows.values[i];
            p.by_step.entry(rows.ts[i]).or_insert(v);
            p.max = go_max(p.max, v);
            p.min = go_min(p.min, v);
            p.any_nan |= v.is_nan();
        }
        p
    }

    /// The value at step `t`.
    pub(super) fn at(&self, t: i64) -> f64 {
        self.constant.or_else(|| self.by_step.get(&t).copied()).unwrap_or(0.0)
    }

    /// Prometheus's range-wide checks for `op`: an error, annotations, or `false` when no step
    /// can give a result (every k below 1, every ratio 0).
    pub(super) fn check(&self, op: &str, annotations: &mut Vec<Annotation>) -> Result<bool> {
        match op {
            "topk" | "bottomk" | "limitk" => {
                if self.max < 1.0 {
                    return Ok(false);
                }
                if self.any_nan {
                    return Err(EngineError::Eval("Parameter value is NaN".into()));
                }
                if self.min <= i64::MIN as f64 {
                    return Err(EngineError::Eval(format!(
                        "Scalar value {} underflows int64",
                        format_g(self.min)
                    )));
                }
                if self.max >= i64::MAX as f64 {
                    return Err(EngineError::Eval(format!(
                        "Scalar value {} overflows int64",
                        format_g(self.max)
                    )));
                }
            }
            "limit_ratio" => {
                if self.max == 0.0 && self.min == 0.0 {
                    return Ok(false);
                }
                if self.any_nan {
                    return Err(EngineError::Eval("Ratio value is NaN".into()));
                }
                if self.max > 1.0 {
                    annotations.push(Annotation::InvalidRatio { ratio: self.max, capped_to: 1.0 });
                }
                if self.min < -1.0 {
                    annotations.push(Annotation::InvalidRatio { ratio: self.min, capped_to: -1.0 });
                }
            }
            "quantile" => {
                if self.any_nan {
                    annotations.push(Annotation::InvalidQuantile { q: f64::NAN });
                }
                if self.max > 1.0 {
                    annotations.push(Annotation::InvalidQuantile { q: self.max });
                }
                if self.min < 0.0 {
                    annotations.push(Annotation::InvalidQuantile { q: self.min });
                }
            }
            _ => {}
        }
        Ok(true)
    }
}
