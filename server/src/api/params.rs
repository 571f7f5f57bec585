//! Request parameters as Prometheus's HTTP API reads them: form values from a form-encoded POST
//! body and from the URL (the body's first, as Go's `Request.FormValue`), times as Unix seconds
//! or RFC 3339, durations as seconds or `1h30m`, `limit`, and `match[]` selectors.

use axum::extract::{FromRequest, Request};
use axum::http::header::CONTENT_TYPE;
use bytes::Bytes;
use quiver_proto::Matcher;

use super::error::ApiError;

/// Milliseconds of Prometheus's `MinTime` and `MaxTime`, the defaults of optional time ranges.
pub(crate) const MIN_TIME_MS: i64 = -9_223_309_901_257_974_000;
pub(crate) const MAX_TIME_MS: i64 = 9_223_309_901_257_974_999;
/// How Prometheus writes `MinTime` and `MaxTime` in RFC 3339; clients send them back.
const MIN_TIME_TEXT: &str = "-292273086-05-16T16:47:06Z";
const MAX_TIME_TEXT: &str = "292277025-08-18T07:12:54.999999999Z";

/// The form values of a request, body first.
#[derive(Debug, Default)]
pub(crate) struct Params {
    pairs: Vec<(String, String)>,
}

impl<S: Send + Sync> FromRequest<S> for Params {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let query = req.uri().query().unwrap_or_default().to_owned();
        let form_body = req
            .headers()
            .get(CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|ct| ct.starts_with("application/x-www-form-urlencoded"));
        let mut pairs = Vec::new();
        if form_body {
            let body = Bytes::from_request(req, state)
                .await
                .map_err(|e| ApiError::BadData(format!("error parsing form values: {e}")))?;
            pairs.extend(form_urlencoded::parse(&body).into_owned());
        }
        pairs.extend(form_urlencoded::parse(query.as_bytes()).into_owned());
        Ok(Params { pairs })
    }
}

impl Params {
    #[cfg(test)]
    pub(crate) fn from_pairs(pairs: &[(&str, &str)]) -> Self {
        Self { pairs: pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect() }
    }

    /// The first value of `name`, empty when absent (as `FormValue`).
    pub(crate) fn value(&self, name: &str) -> &str {
        self.pairs.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str()).unwrap_or_default()
    }

    pub(crate) fn all(&self, name: &str) -> Vec<&str> {
        self.pairs.iter().filter(|(k, _)| k == name).map(|(_, v)| v.as_str()).collect()
    }

    /// An optional time parameter, `default` when absent.
    pub(crate) fn time_or(&self, name: &'static str, default: i64) -> Result<i64, ApiError> {
        match self.value(name) {
            "" => Ok(default),
            v => parse_time(v)
                .map_err(|e| ApiError::param(name, format!("invalid time value for '{name}': {e}"))),
        }
    }

    /// A required time parameter.
    pub(crate) fn time(&self, name: &'static str) -> Result<i64, ApiError> {
        parse_time(self.value(name)).map_err(|e| ApiError::param(name, e))
    }

    /// An optional duration parameter, in nanoseconds.
    pub(crate) fn duration(&self, name: &'static str) -> Result<Option<i64>, ApiError> {
        match self.value(name) {
            "" => Ok(None),
            v => parse_duration(v).map(Some).map_err(|e| ApiError::param(name, e)),
        }
    }

    /// `limit`: 0 (the default) for none.
    pub(crate) fn limit(&self) -> Result<usize, ApiError> {
        match self.value("limit") {
            "" => Ok(0),
            v => match v.parse::<i64>() {
                Ok(n) if n < 0 => Err(ApiError::param("limit", "limit must be non-negative")),
                Ok(n) => Ok(usize::try_from(n).unwrap_or(usize::MAX)),
                Err(e) => Err(ApiError::param("limit", format!("strconv.Atoi: parsing {v:?}: {e}"))),
            },
        }
    }

    /// The `match[]` selectors: alternatives of matchers, each with a matcher that needs a
    /// non-empty value, as Prometheus requires.
    pub(crate) fn matcher_sets(&self) -> Result<Vec<Vec<Matcher>>, String> {
        let mut sets = Vec::new();
        for s in self.all("match[]") {
            sets.extend(crate::tools::parse_selector(s).map_err(|e| e.to_string())?);
        }
        if sets.iter().any(|set| set.iter().all(|m| m.matches(""))) {
            return Err("match[] must contain at least one non-empty matcher".into());
        }
        Ok(sets)
    }

    /// A boolean flag of ours (`explain`), Go's `strconv.ParseBool` spelling.
    pub(crate) fn flag(&self, name: &str) -> bool {
        matches!(self.value(name), "1" | "t" | "T" | "true" | "TRUE" | "True")
    }
}

/// Unix seconds (fractions rounded to the millisecond) or RFC 3339, to milliseconds.
pub(crate) fn parse_time(s: &str) -> Result<i64, String> {
    let bad = || format!("cannot parse {s:?} to a valid timestamp");
    if let Ok(t) = s.parse::<f64>() {
        if !t.is_finite() || t.abs() >= (i64::MAX / 1000) as f64 {
            return Err(bad());
        }
        // Whole seconds exactly, the fraction rounded to milliseconds, as Prometheus does.
        return Ok(t.trunc() as i64 * 1000 + (t.fract() * 1000.0).round() as i64);
    }
    match s {
        MIN_TIME_TEXT => return Ok(MIN_TIME_MS),
        MAX_TIME_TEXT => return Ok(MAX_TIME_MS),
        _ => {}
    }
    chrono::DateTime::parse_from_rfc3339(s).map(|t| t.timestamp_millis()).map_err(|_| bad())
}

/// A duration in nanoseconds: float seconds, or Prometheus's `[0-9]+(y|w|d|h|m|s|ms)` run.
pub(crate) fn parse_duration(s: &str) -> Result<i64, String> {
    if let Ok(secs) = s.parse::<f64>() {
        let ns = secs * 1e9;
        if !ns.is_finite() || ns >= i64::MAX as f64 || ns <= i64::MIN as f64 {
            return Err(format!("cannot parse {s:?} to a valid duration. It overflows int64"));
        }
        return Ok(ns as i64);
    }
    parse_prometheus_duration(s).map_err(|_| format!("cannot parse {s:?} to a valid duration"))
}

/// Prometheus's duration syntax (`model.ParseDuration`): units from largest to smallest, each
/// at most once, `0` alone allowed. Nanoseconds.
pub(crate) fn parse_prometheus_duration(s: &str) -> Result<i64, String> {
    const UNITS: [(&str, u64); 7] = [
        ("y", 365 * 24 * 3_600_000_000_000),
        ("w", 7 * 24 * 3_600_000_000_000),
        ("d", 24 * 3_600_000_000_000),
        ("h", 3_600_000_000_000),
        ("m", 60_000_000_000),
        ("s", 1_000_000_000),
        ("ms", 1_000_000),
    ];
    match s {
        "0" => return Ok(0),
        "" => return Err("empty duration string".into()),
        _ => {}
    }
    let invalid = || format!("not a valid duration string: {s:?}");
    let mut rest = s;
    let mut total: u64 = 0;
    let mut next_unit = 0;
    while !rest.is_empty() {
        let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
        let letters = rest[digits..].bytes().take_while(|b| !b.is_ascii_digit()).count();
        if digits == 0 || letters == 0 {
            return Err(invalid());
        }
        let n: u64 = rest[..digits].parse().map_err(|_| invalid())?;
        let unit = &rest[digits..digits + letters];
        let pos = UNITS
            .iter()
            .position(|(u, _)| *u == unit)
            .ok_or_else(|| format!("unknown unit {unit:?} in duration {s:?}"))?;
        // Units go from the largest to the smallest.
        if pos < next_unit {
            return Err(invalid());
        }
        next_unit = pos + 1;
        total = n
            .checked_mul(UNITS[pos].1)
            .and_then(|d| total.checked_add(d))
            .filter(|d| *d <= i64::MAX as u64)
            .ok_or("duration out of range")?;
        rest = &rest[digits + letters..];
    }
    Ok(total as i64)
}

/// Prometheus 3 takes any UTF-8 label name, and a name escaped as `U__...` (`_` for `__`,
/// `_<hex>_` for a code point) is unescaped first; `None` when the name cannot be a label.
pub(crate) fn label_name(raw: &str) -> Option<String> {
    let name = match raw.strip_prefix("U__") {
        Some(escaped) => unescape(escaped).unwrap_or_else(|| raw.to_string()),
        None => raw.to_string(),
    };
    (!name.is_empty()).then_some(name)
}

fn unescape(s: &str) -> Option<String> {
    let mut out = String::with_capacity(s.len());
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        if c != '_' {
            out.push(c);
            continue;
        }
        if chars.peek() == Some(&'_') {
            chars.next();
            out.push('_');
            continue;
        }
        let mut hex = String::new();
        loop {
            match chars.next()? {
                '_' => break,
                h if h.is_ascii_hexdigit() => hex.push(h),
                _ => return None,
            }
        }
        out.push(char::from_u32(u32::from_str_radix(&hex, 16).ok()?)?);
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_as_prometheus_parses_them() {
        assert_eq!(parse_time("1699988777.3"), Ok(1_699_988_777_300));
        assert_eq!(parse_time("1699988777.3456"), Ok(1_699_988_777_346));
        assert_eq!(parse_time("-1.5"), Ok(-1500));
        assert_eq!(parse_time("1e3"), Ok(1_000_000));
        assert_eq!(parse_time("2023-11-14T22:13:20Z"), Ok(1_700_000_000_000));
        assert_eq!(parse_time("2023-11-14T23:13:20.123+01:00"), Ok(1_700_000_000_123));
        assert_eq!(parse_time(MAX_TIME_TEXT), Ok(MAX_TIME_MS));
        assert_eq!(parse_time("abc"), Err("cannot parse \"abc\" to a valid timestamp".into()));
        assert!(parse_time("").is_err());
        assert!(parse_time("NaN").is_err());
        assert!(parse_time("1e300").is_err());
    }

    #[test]
    fn durations_as_prometheus_parses_them() {
        const S: i64 = 1_000_000_000;
        assert_eq!(parse_duration("15"), Ok(15 * S));
        assert_eq!(parse_duration("0.5"), Ok(S / 2));
        assert_eq!(parse_duration("-1"), Ok(-S));
        assert_eq!(parse_duration("5m"), Ok(300 * S));
        assert_eq!(parse_duration("1h30m"), Ok(5400 * S));
        assert_eq!(parse_duration("1d2h3m4s5ms"), Ok(93_784 * S + 5_000_000));
        assert_eq!(parse_duration("0"), Ok(0));
        assert_eq!(
            parse_duration("1e400"),
            Err("cannot parse \"1e400\" to a valid duration. It overflows int64".into())
        );
        for bad in ["", "m", "5x", "1m1h", "1h1h", "5m ", "-5m", "300y"] {
            assert!(parse_duration(bad).is_err(), "{bad}");
        }
        assert_eq!(parse_prometheus_duration("5x"), Err("unknown unit \"x\" in duration \"5x\"".into()));
    }

    #[test]
    fn params_limit_matchers_and_label_names() {
        let p = Params::from_pairs(&[("limit", "-1"), ("match[]", "up"), ("match[]", "{a=~\".*\"}")]);
        assert!(p.limit().is_err());
        assert_eq!(p.matcher_sets(), Err("match[] must contain at least one non-empty matcher".into()));
        let p = Params::from_pairs(&[("limit", "3"), ("match[]", "up"), ("match[]", "{job=\"x\"}")]);
        assert_eq!(p.limit().ok(), Some(3));
        assert_eq!(p.matcher_sets().map(|s| s.len()), Ok(2));
        assert_eq!(label_name("job").as_deref(), Some("job"));
        assert_eq!(label_name("U__my_2e_label__x").as_deref(), Some("my.label_x"));
        assert_eq!(label_name(""), None);
    }
}
