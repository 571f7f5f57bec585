//! Literals as promqltest reads them: Prometheus durations (`model.ParseDuration`), numbers as
//! Go's `strconv.ParseInt(s, 0, 64)` / `strconv.ParseFloat(s, 64)` accept them, and quoted strings
//! as Prometheus's `strutil.Unquote` (and Go's `strconv.Unquote`) decode them.

/// Parses a Prometheus duration (`1m`, `1h30m`, `10s`, `20s500ms`, `0`) into milliseconds.
///
/// Units are `y` (365d), `w`, `d`, `h`, `m`, `s` and `ms`, each at most once and from the largest
/// to the smallest, as Prometheus's `model.ParseDuration`. Unlike Prometheus, a leading `-` is
/// accepted and negates the duration (promqltest itself only takes negative offsets in `@st`
/// lines).
pub fn parse_duration_ms(s: &str) -> Result<i64, String> {
    let (neg, body) = match s.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, s),
    };
    let ms = parse_unsigned_duration_ms(body)
        .map_err(|e| if neg { e.replace(&format!("{body:?}"), &format!("{s:?}")) } else { e })?;
    Ok(if neg { -ms } else { ms })
}

fn parse_unsigned_duration_ms(s: &str) -> Result<i64, String> {
    match s {
        "0" => return Ok(0),
        "" => return Err("empty duration string".into()),
        _ => {}
    }
    // (unit, position, nanoseconds)
    const UNITS: [(&str, u8, u128); 7] = [
        ("y", 1, 365 * 24 * 3_600_000_000_000),
        ("w", 2, 7 * 24 * 3_600_000_000_000),
        ("d", 3, 24 * 3_600_000_000_000),
        ("h", 4, 3_600_000_000_000),
        ("m", 5, 60_000_000_000),
        ("s", 6, 1_000_000_000),
        ("ms", 7, 1_000_000),
    ];
    let invalid = || format!("not a valid duration string: {s:?}");
    let bytes = s.as_bytes();
    let mut i = 0;
    let mut total: u128 = 0;
    let mut last_pos = 0u8;
    while i < bytes.len() {
        let start = i;
        while i < bytes.len() && bytes[i].is_ascii_digit() {
            i += 1;
        }
        if i == start {
            return Err(invalid());
        }
        let v: u128 = s[start..i].parse().map_err(|_| "duration out of range".to_string())?;
        let unit_start = i;
        while i < bytes.len() && !bytes[i].is_ascii_digit() {
            i += 1;
        }
        if i == unit_start {
            return Err(invalid());
        }
        let unit = &s[unit_start..i];
        let Some(&(_, pos, mult)) = UNITS.iter().find(|(u, _, _)| *u == unit) else {
            return Err(format!("unknown unit {unit:?} in duration {s:?}"));
        };
        if pos <= last_pos {
            return Err(invalid());
        }
        last_pos = pos;
        total = total.saturating_add(v.saturating_mul(mult));
        if total > i64::MAX as u128 {
            return Err("duration out of range".into());
        }
    }
    Ok((total / 1_000_000) as i64)
}

/// Go's `strconv.ParseInt(s, 0, 64)`: optional sign, `0x`/`0o`/`0b` prefixes, a leading `0` for
/// octal, and underscores between digits.
pub(super) fn go_parse_int_base0(s: &str) -> Option<i64> {
    let (neg, body) = match s.as_bytes().first() {
        Some(b'-') => (true, &s[1..]),
        Some(b'+') => (false, &s[1..]),
        _ => (false, s),
    };
    let lower = body.to_ascii_lowercase();
    let (radix, digits, prefixed) = if let Some(d) = lower.strip_prefix("0x") {
        (16, d.to_string(), true)
    } else if let Some(d) = lower.strip_prefix("0o") {
        (8, d.to_string(), true)
    } else if let Some(d) = lower.strip_prefix("0b") {
        (2, d.to_string(), true)
    } else if lower.len() > 1 && lower.starts_with('0') {
        (8, lower[1..].to_string(), true)
    } else {
        (10, lower.clone(), false)
    };
    if !underscores_ok(&lower, prefixed) {
        return None;
    }
    let digits: String = digits.chars().filter(|&c| c != '_').collect();
    if digits.is_empty() || digits.starts_with(['+', '-']) {
        return None;
    }
    let magnitude = u64::from_str_radix(&digits, radix).ok()?;
    if neg {
        if magnitude > i64::MAX as u64 + 1 { None } else { Some((magnitude as i64).wrapping_neg()) }
    } else {
        i64::try_from(magnitude).ok()
    }
}

/// Go's `underscoreOK`: underscores only between digits (or after a base prefix).
fn underscores_ok(s: &str, prefixed: bool) -> bool {
    if !s.contains('_') {
        return true;
    }
    // '^' for "start or after a base prefix", '0' for a digit, '_' for an underscore.
    let mut saw = '^';
    let bytes = s.as_bytes();
    let mut i = 0;
    if prefixed && bytes.len() >= 2 && bytes[0] == b'0' && bytes[1].is_ascii_alphabetic() {
        i = 2;
        saw = '0';
    }
    while i < bytes.len() {
        let c = bytes[i];
        if c.is_ascii_hexdigit() {
            saw = '0';
        } else if c == b'_' {
            if saw != '0' {
                return false;
            }
            saw = '_';
        } else {
            if saw == '_' {
                return false;
            }
            saw = '!';
        }
        i += 1;
    }
    saw != '_'
}

/// Go's `strconv.ParseFloat(s, 64)` for the forms test scripts use: decimal with optional
/// exponent, `Inf`/`Infinity`/`NaN` in any case with an optional sign for infinities. Values out of
/// range are errors, as in Go.
pub(super) fn go_parse_float(s: &str) -> Option<f64> {
    let lower = s.to_ascii_lowercase();
    let unsigned = lower.strip_prefix(['+', '-']).unwrap_or(&lower);
    match unsigned {
        "inf" | "infinity" => {
            return Some(if lower.starts_with('-') { f64::NEG_INFINITY } else { f64::INFINITY });
        }
        "nan" => return (unsigned.len() == lower.len()).then_some(f64::NAN),
        _ => {}
    }
    if unsigned.starts_with("0x") {
        return parse_hex_float(&lower);
    }
    if s.contains('_')
        || !unsigned.bytes().all(|b| b.is_ascii_digit() || matches!(b, b'.' | b'e' | b'+' | b'-'))
    {
        return None;
    }
    let v: f64 = s.parse().ok()?;
    if v.is_infinite() { None } else { Some(v) }
}

/// Hexadecimal floats (`0x1.8p3`): Go accepts them in `ParseFloat`.
fn parse_hex_float(lower: &str) -> Option<f64> {
    let (neg, body) = match lower.as_bytes().first() {
        Some(b'-') => (true, &lower[1..]),
        Some(b'+') => (false, &lower[1..]),
        _ => (false, lower),
    };
    let body = body.strip_prefix("0x")?.replace('_', "");
    let (mantissa, exp) = body.split_once('p')?;
    let exp: i32 = exp.parse().ok()?;
    let (int_part, frac_part) = mantissa.split_once('.').unwrap_or((mantissa, ""));
    if int_part.is_empty() && frac_part.is_empty() {
        return None;
    }
    let mut v = 0f64;
    for c in int_part.chars() {
        v = v * 16.0 + f64::from(c.to_digit(16)?);
    }
    let mut scale = 1.0 / 16.0;
    for c in frac_part.chars() {
        v += f64::from(c.to_digit(16)?) * scale;
        scale /= 16.0;
    }
    let v = v * 2f64.powi(exp);
    if v.is_infinite() {
        return None;
    }
    Some(if neg { -v } else { v })
}

/// promqltest's `parseNumber` and the parser's `number`: `ParseInt(s, 0, 64)`, falling back to
/// `ParseFloat(s, 64)`.
pub(super) fn parse_number(s: &str) -> Option<f64> {
    go_parse_int_base0(s).map(|n| n as f64).or_else(|| go_parse_float(s))
}

/// Decodes a quoted string as Prometheus's `strutil.Unquote`: double or single quotes with Go
/// escapes (single quotes may hold several characters), or back quotes without escapes. With
/// `go_strict`, single-quoted strings must hold exactly one character, as Go's `strconv.Unquote`.
pub(super) fn unquote(s: &str, go_strict: bool) -> Result<String, String> {
    let err = || format!("invalid quoted string {s:?}");
    let bytes = s.as_bytes();
    let n = bytes.len();
    if n < 2 || bytes[0] != bytes[n - 1] {
        return Err(err());
    }
    let quote = bytes[0];
    let inner = &s[1..n - 1];
    if quote == b'`' {
        if inner.contains('`') || (go_strict && inner.contains('\r')) {
            return Err(err());
        }
        return Ok(inner.to_string());
    }
    if quote != b'"' && quote != b'\'' {
        return Err(err());
    }
    if inner.contains('\n') {
        return Err(err());
    }
    let mut out: Vec<u8> = Vec::with_capacity(inner.len());
    let mut chars = 0usize;
    let ib = inner.as_bytes();
    let mut i = 0;
    while i < ib.len() {
        chars += 1;
        let c = ib[i];
        if c == quote {
            return Err(err());
        }
        if c != b'\\' {
            // Copy one UTF-8 character.
            let len = utf8_len(c);
            out.extend_from_slice(&ib[i..(i + len).min(ib.len())]);
            i += len;
            continue;
        }
        let Some(&e) = ib.get(i + 1) else { return Err(err()) };
        i += 2;
        match e {
            b'a' => out.push(7),
            b'b' => out.push(8),
            b'f' => out.push(12),
            b'n' => out.push(b'\n'),
            b'r' => out.push(b'\r'),
            b't' => out.push(b'\t'),
            b'v' => out.push(11),
            b'\\' => out.push(b'\\'),
            b'\'' | b'"' => {
                if e != quote {
                    return Err(err());
                }
                out.push(e);
            }
            b'x' | b'u' | b'U' => {
                let len = match e {
                    b'x' => 2,
                    b'u' => 4,
                    _ => 8,
                };
                let hex = inner.get(i..i + len).ok_or_else(err)?;
                let v = u32::from_str_radix(hex, 16).map_err(|_| err())?;
                if !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
                    return Err(err());
                }
                i += len;
                if e == b'x' {
                    out.push(v as u8);
                } else {
                    let ch = char::from_u32(v).ok_or_else(err)?;
                    let mut buf = [0u8; 4];
                    out.extend_from_slice(ch.encode_utf8(&mut buf).as_bytes());
                }
            }
            b'0'..=b'7' => {
                let oct = inner.get(i..i + 2).ok_or_else(err)?;
                let rest = u32::from_str_radix(oct, 8).map_err(|_| err())?;
                if !oct.bytes().all(|b| (b'0'..=b'7').contains(&b)) {
                    return Err(err());
                }
                let v = (u32::from(e - b'0') << 6) | rest;
                if v > 255 {
                    return Err(err());
                }
                out.push(v as u8);
                i += 2;
            }
            _ => return Err(err()),
        }
    }
    if go_strict && quote == b'\'' && chars != 1 {
        return Err(err());
    }
    String::from_utf8(out).map_err(|_| format!("quoted string {s:?} is not valid UTF-8"))
}

fn utf8_len(first: u8) -> usize {
    match first {
        0xf0..=0xff => 4,
        0xe0..=0xef => 3,
        0xc0..=0xdf => 2,
        _ => 1,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations() {
        assert_eq!(parse_duration_ms("0"), Ok(0));
        assert_eq!(parse_duration_ms("1m"), Ok(60_000));
        assert_eq!(parse_duration_ms("1h30m"), Ok(5_400_000));
        assert_eq!(parse_duration_ms("20s500ms"), Ok(20_500));
        assert_eq!(parse_duration_ms("-5m"), Ok(-300_000));
        assert_eq!(parse_duration_ms("1y"), Ok(365 * 86_400_000));
        assert!(parse_duration_ms("").is_err());
        assert!(parse_duration_ms("5").is_err());
        assert!(parse_duration_ms("1m1h").is_err());
        assert!(parse_duration_ms("1q").is_err());
        assert!(parse_duration_ms("m").is_err());
        assert!(parse_duration_ms("1.5m").is_err());
        assert!(parse_duration_ms("99999999999y").is_err());
    }

    #[test]
    fn numbers() {
        assert_eq!(parse_number("10"), Some(10.0));
        assert_eq!(parse_number("010"), Some(8.0));
        assert_eq!(parse_number("09"), Some(9.0));
        assert_eq!(parse_number("0x10"), Some(16.0));
        assert_eq!(parse_number("1_000"), Some(1000.0));
        assert_eq!(parse_number("-2.5e3"), Some(-2500.0));
        assert_eq!(parse_number(".5"), Some(0.5));
        assert_eq!(parse_number("Inf"), Some(f64::INFINITY));
        assert_eq!(parse_number("-inf"), Some(f64::NEG_INFINITY));
        assert!(parse_number("NaN").is_some_and(f64::is_nan));
        assert_eq!(parse_number("0x1p-2"), Some(0.25));
        assert_eq!(parse_number("99999999999999999999"), Some(1e20));
        assert_eq!(parse_number("1e400"), None);
        assert_eq!(parse_number("1_"), None);
        assert_eq!(parse_number("abc"), None);
        assert_eq!(parse_number(""), None);
        assert_eq!(parse_number("1 2"), None);
    }

    #[test]
    fn quoted() {
        assert_eq!(unquote(r#""a\"b\n""#, false).unwrap(), "a\"b\n");
        assert_eq!(unquote("'abc'", false).unwrap(), "abc");
        assert!(unquote("'abc'", true).is_err());
        assert_eq!(unquote("`a\\b`", true).unwrap(), "a\\b");
        assert_eq!(unquote(r#""\u00e9\101""#, false).unwrap(), "éA");
        assert_eq!(unquote(r#""é""#, false).unwrap(), "é");
        assert!(unquote(r#""\xc5""#, false).is_err());
        assert!(unquote(r#""a"#, false).is_err());
        assert!(unquote(r#""a"b""#, false).is_err());
        assert!(unquote(r#""\q""#, false).is_err());
    }
}
