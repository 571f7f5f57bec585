//! Float functions applied to each sample of an instant vector, with Prometheus's formulas and
//! Go's `math` semantics where they differ from Rust's (`log2`, `log10`, `math.Max`/`math.Min`).
//!
//! Histogram samples are skipped by all of these (the caller drops them from the output).
//! `timestamp()` is handled by the caller (the sample's timestamp / 1000), as are `time()`,
//! `vector()` and `scalar()`. The date functions without argument use the evaluation time:
//! [`DateFunction::apply_at_ms`].

use std::f64::consts::{LOG2_E, LOG10_E, PI};

use crate::functions::date::{Civil, days_in_month};
use crate::functions::stats::{go_max, go_min};

/// The one-argument math functions.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum MathFunction {
    Abs,
    Ceil,
    Floor,
    Exp,
    Ln,
    Log2,
    Log10,
    Sqrt,
    Sgn,
    Sin,
    Cos,
    Tan,
    Asin,
    Acos,
    Atan,
    Sinh,
    Cosh,
    Tanh,
    Asinh,
    Acosh,
    Atanh,
    Deg,
    Rad,
}

const MATH: &[(MathFunction, &str)] = &[
    (MathFunction::Abs, "abs"),
    (MathFunction::Ceil, "ceil"),
    (MathFunction::Floor, "floor"),
    (MathFunction::Exp, "exp"),
    (MathFunction::Ln, "ln"),
    (MathFunction::Log2, "log2"),
    (MathFunction::Log10, "log10"),
    (MathFunction::Sqrt, "sqrt"),
    (MathFunction::Sgn, "sgn"),
    (MathFunction::Sin, "sin"),
    (MathFunction::Cos, "cos"),
    (MathFunction::Tan, "tan"),
    (MathFunction::Asin, "asin"),
    (MathFunction::Acos, "acos"),
    (MathFunction::Atan, "atan"),
    (MathFunction::Sinh, "sinh"),
    (MathFunction::Cosh, "cosh"),
    (MathFunction::Tanh, "tanh"),
    (MathFunction::Asinh, "asinh"),
    (MathFunction::Acosh, "acosh"),
    (MathFunction::Atanh, "atanh"),
    (MathFunction::Deg, "deg"),
    (MathFunction::Rad, "rad"),
];

impl MathFunction {
    pub fn from_name(name: &str) -> Option<Self> {
        MATH.iter().find(|(_, n)| *n == name).map(|(f, _)| *f)
    }

    pub fn name(self) -> &'static str {
        MATH.iter().find(|(f, _)| *f == self).map_or("", |(_, n)| n)
    }

    pub fn apply(self, v: f64) -> f64 {
        use MathFunction::*;
        match self {
            Abs => v.abs(),
            Ceil => v.ceil(),
            Floor => v.floor(),
            Exp => v.exp(),
            Ln => v.ln(),
            Log2 => go_log2(v),
            // Go: math.Log(x) * (1 / Ln10).
            Log10 => v.ln() * LOG10_E,
            Sqrt => v.sqrt(),
            Sgn => {
                if v < 0.0 {
                    -1.0
                } else if v > 0.0 {
                    1.0
                } else {
                    v
                }
            }
            Sin => v.sin(),
            Cos => v.cos(),
            Tan => v.tan(),
            Asin => v.asin(),
            Acos => v.acos(),
            Atan => v.atan(),
            Sinh => v.sinh(),
            Cosh => v.cosh(),
            Tanh => v.tanh(),
            Asinh => v.asinh(),
            Acosh => v.acosh(),
            Atanh => v.atanh(),
            Deg => v * 180.0 / PI,
            Rad => v * PI / 180.0,
        }
    }
}

/// Go's `math.Frexp`: `v = frac * 2^exp` with `|frac|` in [0.5, 1).
fn frexp(v: f64) -> (f64, i32) {
    if v == 0.0 || !v.is_finite() {
        return (v, 0);
    }
    let (mut v, mut exp) = (v, 0i32);
    if v.abs() < f64::MIN_POSITIVE {
        // Normalize subnormals.
        v *= (1u64 << 52) as f64;
        exp = -52;
    }
    let bits = v.to_bits();
    exp += ((bits >> 52) & 0x7ff) as i32 - 1022;
    let frac = f64::from_bits((bits & !(0x7ff << 52)) | (1022 << 52));
    (frac, exp)
}

/// Go's `math.Log2`: exact for powers of two, `Log(frac) / Ln2 + exp` otherwise.
fn go_log2(v: f64) -> f64 {
    let (frac, exp) = frexp(v);
    if frac == 0.5 {
        return f64::from(exp - 1);
    }
    frac.ln() * LOG2_E + f64::from(exp)
}

/// `round(v, to_nearest)`: rounds to the nearest multiple of `to_nearest`, ties up
/// (`floor(v / to_nearest + 0.5) * to_nearest`, computed with the inverse as Prometheus does).
/// `round(v)` is `round(v, 1.0)`.
pub fn round(v: f64, to_nearest: f64) -> f64 {
    let inverse = 1.0 / to_nearest;
    (v * inverse + 0.5).floor() / inverse
}

/// `clamp(v, min, max)`: `None` (the sample is dropped) when `max < min`; NaN bounds give NaN.
pub fn clamp(v: f64, min: f64, max: f64) -> Option<f64> {
    if max < min {
        return None;
    }
    Some(go_max(min, go_min(max, v)))
}

/// `clamp_min(v, min)`.
pub fn clamp_min(v: f64, min: f64) -> f64 {
    go_max(min, go_min(f64::INFINITY, v))
}

/// `clamp_max(v, max)`.
pub fn clamp_max(v: f64, max: f64) -> f64 {
    go_max(f64::NEG_INFINITY, go_min(max, v))
}

/// `max_of(a, b)` (experimental): Go's `math.Max`.
pub fn max_of(a: f64, b: f64) -> f64 {
    go_max(a, b)
}

/// `min_of(a, b)` (experimental): Go's `math.Min`.
pub fn min_of(a: f64, b: f64) -> f64 {
    go_min(a, b)
}

/// `pi()`.
pub fn pi() -> f64 {
    PI
}

/// The date functions, in UTC.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DateFunction {
    DayOfMonth,
    DayOfWeek,
    DayOfYear,
    DaysInMonth,
    Hour,
    Minute,
    Month,
    Year,
}

const DATE: &[(DateFunction, &str)] = &[
    (DateFunction::DayOfMonth, "day_of_month"),
    (DateFunction::DayOfWeek, "day_of_week"),
    (DateFunction::DayOfYear, "day_of_year"),
    (DateFunction::DaysInMonth, "days_in_month"),
    (DateFunction::Hour, "hour"),
    (DateFunction::Minute, "minute"),
    (DateFunction::Month, "month"),
    (DateFunction::Year, "year"),
];

impl DateFunction {
    pub fn from_name(name: &str) -> Option<Self> {
        DATE.iter().find(|(_, n)| *n == name).map(|(f, _)| *f)
    }

    pub fn name(self) -> &'static str {
        DATE.iter().find(|(f, _)| *f == self).map_or("", |(_, n)| n)
    }

    /// The function of a sample value holding Unix seconds. The value is truncated to whole
    /// seconds as Go's `int64(v)`; NaN and values outside the `i64` range become `i64::MIN`, as
    /// on amd64 (Go's own result for those depends on internal overflow and is not reproduced).
    pub fn apply(self, unix_seconds: f64) -> f64 {
        let secs = if unix_seconds.is_nan()
            || !(-9.223_372_036_854_776e18..9.223_372_036_854_776e18).contains(&unix_seconds)
        {
            i64::MIN
        } else {
            unix_seconds as i64
        };
        self.at_seconds(secs)
    }

    /// The function without argument, at evaluation time `ts_ms` (`time.Unix(ts/1000, 0)`).
    pub fn apply_at_ms(self, ts_ms: i64) -> f64 {
        self.at_seconds(ts_ms / 1000)
    }

    fn at_seconds(self, secs: i64) -> f64 {
        let c = Civil::from_unix_seconds(secs);
        let v = match self {
            DateFunction::DayOfMonth => u64::from(c.day),
            DateFunction::DayOfWeek => u64::from(c.weekday),
            DateFunction::DayOfYear => u64::from(c.year_day),
            DateFunction::DaysInMonth => u64::from(days_in_month(c.year, c.month)),
            DateFunction::Hour => u64::from(c.hour),
            DateFunction::Minute => u64::from(c.minute),
            DateFunction::Month => u64::from(c.month),
            DateFunction::Year => return c.year as f64,
        };
        v as f64
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: f64, b: f64) -> bool {
        (a.is_nan() && b.is_nan()) || a == b || ((a - b) / b).abs() < 1e-12
    }

    #[test]
    fn instant_math_functions_corpus() {
        use MathFunction::*;
        // functions.test: exp/ln/sqrt/log2/log10 on 10 and 20.
        let cases = [
            (Exp, 10.0, 22026.465794806718),
            (Exp, 20.0, 485165195.4097903),
            (Exp, -10.0, 4.5399929762484854e-05),
            (Ln, 10.0, std::f64::consts::LN_10),
            (Ln, 20.0, 2.995732273553991),
            (Ln, 0.0, f64::NEG_INFINITY),
            (Ln, -10.0, f64::NAN),
            (Sqrt, 10.0, 3.1622776601683795),
            (Sqrt, 20.0, 4.47213595499958),
            (Log2, 10.0, 3.3219280948873626),
            (Log2, 20.0, 4.321928094887363),
            (Log2, 0.0, f64::NEG_INFINITY),
            (Log2, -10.0, f64::NAN),
            (Log2, 1024.0, 10.0),
            (Log2, 0.25, -2.0),
            (Log2, 5e-324, -1074.0),
            (Log10, 10.0, 1.0),
            (Log10, 20.0, 1.301029995663981),
            (Log10, 0.0, f64::NEG_INFINITY),
            (Log10, -10.0, f64::NAN),
        ];
        for (f, v, want) in cases {
            assert!(close(f.apply(v), want), "{}({v}) = {} want {want}", f.name(), f.apply(v));
        }
        // abs/ceil/floor/round/sgn on the corpus' data.
        let data = [2.5, 2.0, -2.5, -2.0, 0.0, -0.0, f64::INFINITY, f64::NEG_INFINITY, f64::NAN];
        let abs = [2.5, 2.0, 2.5, 2.0, 0.0, 0.0, f64::INFINITY, f64::INFINITY, f64::NAN];
        let ceil = [3.0, 2.0, -2.0, -2.0, 0.0, 0.0, f64::INFINITY, f64::NEG_INFINITY, f64::NAN];
        let floor = [2.0, 2.0, -3.0, -2.0, 0.0, 0.0, f64::INFINITY, f64::NEG_INFINITY, f64::NAN];
        let rnd = [3.0, 2.0, -2.0, -2.0, 0.0, 0.0, f64::INFINITY, f64::NEG_INFINITY, f64::NAN];
        for (i, v) in data.into_iter().enumerate() {
            assert!(close(Abs.apply(v), abs[i]));
            assert!(close(Ceil.apply(v), ceil[i]));
            assert!(close(Floor.apply(v), floor[i]));
            assert!(close(round(v, 1.0), rnd[i]), "round({v})");
        }
        let sgn = [
            (f64::NEG_INFINITY, -1.0),
            (f64::INFINITY, 1.0),
            (f64::NAN, f64::NAN),
            (-50.0, -1.0),
            (0.0, 0.0),
        ];
        for (v, want) in sgn {
            assert!(close(Sgn.apply(v), want));
        }
        assert_eq!(round(2.345, 0.1), 2.3);
        assert_eq!(round(7.0, 5.0), 5.0);
        assert_eq!(round(7.5, 5.0), 10.0);
        assert_eq!(Deg.apply(PI), 180.0);
        assert_eq!(Rad.apply(180.0), PI);
        assert_eq!(MathFunction::from_name("atanh"), Some(Atanh));
        assert!(MathFunction::from_name("time").is_none());
        assert!(Acosh.apply(0.5).is_nan());
        assert_eq!(Atanh.apply(1.0), f64::INFINITY);
    }

    #[test]
    fn instant_clamp_corpus() {
        let data = [-50.0, 0.0, 100.0];
        let max75 = [-50.0, 0.0, 75.0];
        let min25 = [-25.0, 0.0, 100.0];
        let both = [-25.0, 0.0, 75.0];
        for i in 0..3 {
            assert_eq!(clamp_max(data[i], 75.0), max75[i]);
            assert_eq!(clamp_min(data[i], -25.0), min25[i]);
            assert_eq!(clamp(data[i], -25.0, 75.0), Some(both[i]));
            assert!(clamp(data[i], 0.0, f64::NAN).unwrap().is_nan());
            assert!(clamp(data[i], f64::NAN, 0.0).unwrap().is_nan());
            assert_eq!(clamp(data[i], 5.0, -5.0), None);
        }
        assert!(clamp_min(f64::NAN, 1.0).is_nan());
        assert_eq!(min_of(3.0, 5.0), 3.0);
        assert_eq!(max_of(-2.0, -5.0), -2.0);
        assert!(max_of(f64::NAN, 3.0).is_nan());
        assert!(min_of(3.0, f64::NAN).is_nan());
        assert_eq!(pi(), PI);
    }

    #[test]
    fn instant_date_functions_corpus() {
        use DateFunction::*;
        // functions.test: vector(1136239445) is 2006-01-02T22:04:05Z, a Monday.
        let t = 1_136_239_445.0;
        let want = [(Year, 2006.0), (Month, 1.0), (DayOfMonth, 2.0), (DayOfYear, 2.0), (DayOfWeek, 1.0)];
        for (f, w) in want {
            assert_eq!(f.apply(t), w, "{}", f.name());
        }
        assert_eq!(Hour.apply(t), 22.0);
        assert_eq!(Minute.apply(t), 4.0);
        // Without argument at time 0: Thursday, 1970-01-01.
        assert_eq!(Year.apply_at_ms(0), 1970.0);
        assert_eq!(DayOfWeek.apply_at_ms(0), 4.0);
        assert_eq!(Month.apply_at_ms(0), 1.0);
        assert_eq!(DayOfMonth.apply_at_ms(59_999), 1.0);
        assert_eq!(Year.apply(1_230_767_999.0), 2008.0);
        assert_eq!(Year.apply(1_230_768_000.0), 2009.0);
        assert_eq!(Month.apply(1_456_790_399.0) + DayOfMonth.apply(1_456_790_399.0) / 100.0, 2.29);
        assert_eq!(Month.apply(1_456_790_400.0) + DayOfMonth.apply(1_456_790_400.0) / 100.0, 3.01);
        assert_eq!(DayOfYear.apply(1_483_191_420.0), 366.0);
        assert_eq!(DayOfYear.apply(1_672_493_820.0), 365.0);
        assert_eq!(DaysInMonth.apply(1_454_284_800.0), 29.0);
        assert_eq!(DaysInMonth.apply(1_485_907_200.0), 28.0);
        // Truncation toward zero: -0.5 s is 1970-01-01T00:00:00.
        assert_eq!(Year.apply(-0.5), 1970.0);
        assert_eq!(Year.apply(-1.5), 1969.0);
        assert_eq!(DateFunction::from_name("days_in_month"), Some(DaysInMonth));
    }
}
