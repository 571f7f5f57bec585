//! A parser for the OpenMetrics text format as `promtool tsdb create-blocks-from openmetrics`
//! reads it: every sample must carry a timestamp (seconds, may be fractional); `# TYPE`,
//! `# HELP`, `# UNIT` and exemplars are accepted and ignored; `# EOF` ends the input.

use quiver_proto::{Labels, LabelsBuilder, METRIC_NAME};

use crate::error::CliError;

/// One parsed sample line.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct OmSample {
    pub labels: Labels,
    pub t_ms: i64,
    pub v: f64,
}

/// Parses a whole OpenMetrics document, calling `f` for each sample.
pub(crate) fn parse(input: &str, mut f: impl FnMut(OmSample)) -> Result<(), CliError> {
    for (i, line) in input.lines().enumerate() {
        let bad = |reason: &str| CliError::Input(format!("line {}: {reason}: {line:?}", i + 1));
        let line = line.trim_end_matches('\r');
        if line.is_empty() {
            continue;
        }
        if let Some(rest) = line.strip_prefix('#') {
            if rest.trim() == "EOF" {
                return Ok(());
            }
            continue;
        }
        let s = parse_line(line).map_err(|r| bad(&r))?;
        f(s);
    }
    Ok(())
}

fn parse_line(line: &str) -> Result<OmSample, String> {
    let name_end = line.find(['{', ' ']).ok_or("expected a value after the metric name")?;
    let name = &line[..name_end];
    if name.is_empty() || !is_metric_name(name) {
        return Err(format!("invalid metric name {name:?}"));
    }
    let mut b = LabelsBuilder::default();
    b.push(METRIC_NAME, name);
    let mut rest = &line[name_end..];
    if let Some(r) = rest.strip_prefix('{') {
        rest = parse_labels(r, &mut b)?;
    }
    // Exemplars follow " # ".
    let rest = rest.split(" # ").next().unwrap_or("");
    let mut fields = rest.split_ascii_whitespace();
    let value = fields.next().ok_or("missing value")?;
    let v = parse_float(value).ok_or_else(|| format!("invalid value {value:?}"))?;
    let ts = fields.next().ok_or("expected timestamp")?;
    let secs: f64 = ts.parse().map_err(|_| format!("invalid timestamp {ts:?}"))?;
    if fields.next().is_some() {
        return Err("unexpected text after the timestamp".into());
    }
    let t_ms = (secs * 1000.0).round();
    if !t_ms.is_finite() || t_ms.abs() > 9.2e18 {
        return Err(format!("timestamp {ts} out of range"));
    }
    let labels = b.build().map_err(|e| e.to_string())?;
    Ok(OmSample { labels, t_ms: t_ms as i64, v })
}

fn is_metric_name(s: &str) -> bool {
    let mut it = s.bytes();
    matches!(it.next(), Some(b) if b.is_ascii_alphabetic() || b == b'_' || b == b':')
        && it.all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b':')
}

/// Parses `name="value",...}` and returns the text after the closing brace.
fn parse_labels<'a>(mut s: &'a str, b: &mut LabelsBuilder) -> Result<&'a str, String> {
    loop {
        s = s.trim_start_matches([' ', ',']);
        if let Some(r) = s.strip_prefix('}') {
            return Ok(r);
        }
        let eq = s.find('=').ok_or("expected '=' in labels")?;
        let name = s[..eq].trim();
        s = s[eq + 1..].trim_start();
        s = s.strip_prefix('"').ok_or("expected '\"' to open a label value")?;
        let mut value = String::new();
        let mut chars = s.char_indices();
        let end = loop {
            match chars.next() {
                None => return Err("unterminated label value".into()),
                Some((i, '"')) => break i,
                Some((_, '\\')) => match chars.next() {
                    Some((_, 'n')) => value.push('\n'),
                    Some((_, '"')) => value.push('"'),
                    Some((_, '\\')) => value.push('\\'),
                    _ => return Err("invalid escape in label value".into()),
                },
                Some((_, c)) => value.push(c),
            }
        };
        b.push(name, value);
        s = &s[end + 1..];
    }
}

fn parse_float(s: &str) -> Option<f64> {
    match s {
        "+Inf" | "Inf" | "+inf" | "inf" => Some(f64::INFINITY),
        "-Inf" | "-inf" => Some(f64::NEG_INFINITY),
        "NaN" | "nan" => Some(f64::NAN),
        _ => s.parse().ok(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_samples_labels_and_escapes() {
        let doc = "# HELP x y\n# TYPE m counter\nm_total{a=\"1\",b=\"q\\\"\\n\"} 3.5 1700000000.5\nup 1 10 # {t=\"x\"} 1 10\n# EOF\nignored 1 1\n";
        let mut out = Vec::new();
        parse(doc, |s| out.push(s)).unwrap();
        assert_eq!(out.len(), 2);
        assert_eq!(out[0].labels.to_string(), r#"{__name__="m_total", a="1", b="q\"\n"}"#);
        assert_eq!(out[0].t_ms, 1_700_000_000_500);
        assert_eq!(out[0].v, 3.5);
        assert_eq!(out[1].t_ms, 10_000);
    }

    #[test]
    fn rejects_malformed_lines() {
        for bad in ["m 1", "m{a=\"1} 1 1", "m{a=1} 1 1", "m x 1", "1m 1 1", "m 1 1 1", "m{a=\"\\x\"} 1 1"] {
            assert!(parse(bad, |_| {}).is_err(), "{bad}");
        }
    }
}
