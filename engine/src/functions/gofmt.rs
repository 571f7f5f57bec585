//! Formatting as Go's `fmt` and `time` packages print values, for annotation texts: `%q`,
//! `%.<prec>g` and RFC 3339 timestamps.

use std::fmt::Write as _;

use quiver_proto::format_g;

use crate::functions::date::Civil;

pub(crate) use quiver_proto::go_quote;

/// Formats like Go's `%.<prec>g` (`strconv.FormatFloat(v, 'g', prec, 64)`).
pub(crate) fn format_g_prec(v: f64, prec: usize) -> String {
    if !v.is_finite() {
        return format_g(v);
    }
    let prec = prec.max(1);
    if v == 0.0 {
        return if v.is_sign_negative() { "-0".into() } else { "0".into() };
    }
    // `{:.*e}` rounds correctly to `prec` significant digits: `d.ddde<exp>`.
    let e = format!("{:.*e}", prec - 1, v.abs());
    let Some((mantissa, exp)) = e.split_once('e') else { return e };
    let exp: i32 = exp.parse().unwrap_or(0);
    let digits: String = mantissa.chars().filter(|c| c.is_ascii_digit()).collect();
    let digits = digits.trim_end_matches('0');
    let digits = if digits.is_empty() { "0" } else { digits };
    let nd = digits.len() as i32;
    let dp = exp + 1;
    let mut eprec = prec as i32;
    if eprec > nd && nd >= dp {
        eprec = nd;
    }
    let sign = if v < 0.0 { "-" } else { "" };
    if exp < -4 || exp >= eprec {
        let p = (prec as i32).min(nd);
        let mut s = format!("{sign}{}", &digits[..1]);
        if p > 1 {
            s.push('.');
            s.push_str(&digits[1..p as usize]);
        }
        let _ = write!(s, "e{}{:02}", if exp < 0 { '-' } else { '+' }, exp.abs());
        return s;
    }
    // Fixed notation with max(nd - dp, 0) decimals (Go's prec is reduced to nd here).
    let decimals = (nd - dp).max(0) as usize;
    format!("{sign}{:.*}", decimals, v.abs())
}

/// Formats Unix milliseconds as Go's `time.Unix(ms/1000, 0).UTC().Format(time.RFC3339)`.
pub(crate) fn rfc3339_seconds(ms: i64) -> String {
    let c = Civil::from_unix_seconds(ms / 1000);
    let year = if (0..=9999).contains(&c.year) { format!("{:04}", c.year) } else { c.year.to_string() };
    format!("{year}-{:02}-{:02}T{:02}:{:02}:{:02}Z", c.month, c.day, c.hour, c.minute, c.second)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gofmt_helpers() {
        assert_eq!(go_quote("a\"b\\\n\u{1}é\u{a0}"), "\"a\\\"b\\\\\\n\\x01é\\u00a0\"");
        for (v, want) in [
            (150.0, "1.5e+02"),
            (100.0, "1e+02"),
            (0.5, "0.5"),
            (3.0, "3"),
            (12.0, "12"),
            (10.0, "10"),
            (0.012345, "0.012"),
            (0.00001234, "1.2e-05"),
            (99.9, "1e+02"),
            (-2.25, "-2.2"),
        ] {
            assert_eq!(format_g_prec(v, 2), want, "{v}");
        }
        assert_eq!(rfc3339_seconds(1_136_239_445_999), "2006-01-02T22:04:05Z");
        assert_eq!(rfc3339_seconds(-1000), "1969-12-31T23:59:59Z");
    }
}
