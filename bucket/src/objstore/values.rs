//! Value types shared by every provider's config: secrets and Prometheus durations.

use std::fmt;
use std::time::Duration;

use serde::{Deserialize, Deserializer};

use super::config_error;
use crate::error::Result;

/// A secret string (key, password, token, credentials JSON): kept as given, never printed by
/// `Debug`.
#[derive(Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(transparent)]
pub struct Secret(String);

impl Secret {
    /// Wraps a value.
    pub fn new(value: impl Into<String>) -> Self {
        Secret(value.into())
    }

    /// The secret value.
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// True when no value was given.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.0.is_empty() { f.write_str("\"\"") } else { f.write_str("<secret>") }
    }
}

/// A Prometheus duration (`90s`, `1m30s`, `2h`, `1d`, `500ms`, `0`), as Thanos's `model.Duration`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord)]
pub struct PromDuration(pub Duration);

impl PromDuration {
    /// Parses a Prometheus duration string.
    pub fn parse(text: &str) -> Result<Self> {
        parse_prom_duration(text).map(PromDuration).map_err(config_error)
    }

    /// The duration, `None` when zero (Thanos treats zero as "not set").
    pub fn non_zero(self) -> Option<Duration> {
        if self.0.is_zero() { None } else { Some(self.0) }
    }
}

impl<'de> Deserialize<'de> for PromDuration {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> std::result::Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Raw {
            Text(String),
            Int(u64),
        }
        match Raw::deserialize(deserializer)? {
            Raw::Text(text) => parse_prom_duration(&text).map(PromDuration).map_err(serde::de::Error::custom),
            Raw::Int(0) => Ok(PromDuration(Duration::ZERO)),
            Raw::Int(n) => {
                Err(serde::de::Error::custom(format!("duration {n} has no unit; write it as e.g. {n}s")))
            }
        }
    }
}

/// Parses a Prometheus duration: `0`, or units in the order y, w, d, h, m, s, ms, each at most
/// once (`1h30m`, `90s`, `500ms`).
fn parse_prom_duration(text: &str) -> std::result::Result<Duration, String> {
    const UNITS: [(&str, u64); 7] = [
        ("y", 365 * 24 * 3600 * 1000),
        ("w", 7 * 24 * 3600 * 1000),
        ("d", 24 * 3600 * 1000),
        ("h", 3600 * 1000),
        ("m", 60 * 1000),
        ("s", 1000),
        ("ms", 1),
    ];
    let bad = || format!("not a valid duration string: {text:?}");
    if text.is_empty() {
        return Err("empty duration string".to_string());
    }
    if text == "0" {
        return Ok(Duration::ZERO);
    }
    let mut rest = text;
    let mut next_unit = 0;
    let mut millis: u64 = 0;
    while !rest.is_empty() {
        let digits = rest.find(|c: char| !c.is_ascii_digit()).unwrap_or(rest.len());
        if digits == 0 {
            return Err(bad());
        }
        let value: u64 = rest[..digits].parse().map_err(|_| bad())?;
        rest = &rest[digits..];
        let letters = rest.find(|c: char| !c.is_ascii_alphabetic()).unwrap_or(rest.len());
        let unit = &rest[..letters];
        rest = &rest[letters..];
        let index = UNITS[next_unit..]
            .iter()
            .position(|(name, _)| *name == unit)
            .map(|i| i + next_unit)
            .ok_or_else(bad)?;
        next_unit = index + 1;
        millis = value
            .checked_mul(UNITS[index].1)
            .and_then(|v| millis.checked_add(v))
            .ok_or_else(|| format!("duration out of range: {text:?}"))?;
    }
    Ok(Duration::from_millis(millis))
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn durations() {
        let d = |s: &str| parse_prom_duration(s);
        assert_eq!(d("0"), Ok(Duration::ZERO));
        assert_eq!(d("0s"), Ok(Duration::ZERO));
        assert_eq!(d("1m30s"), Ok(Duration::from_secs(90)));
        assert_eq!(d("2h"), Ok(Duration::from_secs(7200)));
        assert_eq!(d("1d2h"), Ok(Duration::from_secs(26 * 3600)));
        assert_eq!(d("500ms"), Ok(Duration::from_millis(500)));
        assert_eq!(d("1w"), Ok(Duration::from_secs(7 * 86400)));
        assert!(d("").is_err());
        assert!(d("90").is_err());
        assert!(d("1s1m").is_err());
        assert!(d("1.5s").is_err());
        assert!(d("1x").is_err());
        assert!(d("1s1s").is_err());
    }
}
