//! `@st` lines of `load` blocks: `metric{labels}@st <offsets>` gives the start timestamps of the
//! samples on the following line of the same series, as offsets from each sample's timestamp.

use quiver_proto::Labels;

use super::literals::parse_duration_ms;
use super::series::parse_series_desc;

/// `metric{labels}@st <offsets>`: the first word ends in `@st`.
pub(super) fn is_st_line(line: &str) -> bool {
    let line = line.trim();
    line.find([' ', '\t']).is_some_and(|idx| line[..idx].ends_with("@st"))
}

pub(super) fn parse_st_line(line: &str) -> Result<(Labels, Vec<Option<i64>>), String> {
    let line = line.trim();
    let idx = line.find([' ', '\t']).ok_or("invalid @st line: missing value sequence")?;
    let metric = line[..idx].strip_suffix("@st").unwrap_or(&line[..idx]);
    let (labels, _) = parse_series_desc(&format!("{metric} _"))
        .map_err(|e| format!("invalid @st line metric {metric:?}: {e}"))?;
    let mut out = Vec::new();
    for item in line[idx + 1..].split_whitespace() {
        out.extend(
            parse_st_item(item)
                .map_err(|e| format!("invalid @st sequence: invalid ST item {item:?}: {e}"))?,
        );
    }
    Ok((labels, out))
}

/// `_`, `_xN`, `<dur>`, `<dur>xN`, `<dur>+<dur>xN`, `<dur>-<dur>xN` (promqltest's `parseSTItem`).
fn parse_st_item(item: &str) -> Result<Vec<Option<i64>>, String> {
    if item == "_" {
        return Ok(vec![None]);
    }
    if let Some(n) = item.strip_prefix("_x") {
        let n: usize = n.parse().map_err(|_| "invalid repeat count")?;
        if n == 0 || n > 1_000_000 {
            return Err("invalid repeat count".into());
        }
        return Ok(vec![None; n]);
    }
    let repeat = |s: &str| -> Result<usize, String> {
        let n: usize = s.parse().map_err(|_| "invalid repeat count".to_string())?;
        if n >= 1_000_000 {
            return Err("invalid repeat count".into());
        }
        Ok(n)
    };
    let (base, rest) = duration_prefix(item)?;
    if rest.is_empty() {
        return Ok(vec![Some(base)]);
    }
    if let Some(n) = rest.strip_prefix('x') {
        return Ok(vec![Some(base); repeat(n)? + 1]);
    }
    let negative = match rest.as_bytes()[0] {
        b'+' => false,
        b'-' => true,
        c => return Err(format!("unexpected character {:?} after duration", c as char)),
    };
    let (delta, rest2) = duration_prefix(&rest[1..]).map_err(|e| format!("invalid step duration: {e}"))?;
    let delta = if negative { -delta } else { delta };
    let n = rest2.strip_prefix('x').ok_or("expected 'x<count>' after step duration")?;
    let n = repeat(n)?;
    Ok((0..=n as i64).map(|k| Some(base + k * delta)).collect())
}

/// promqltest's `parseDurationPrefix`: an optionally signed duration at the start of `s`.
fn duration_prefix(s: &str) -> Result<(i64, &str), String> {
    if s.is_empty() {
        return Err("empty duration".into());
    }
    let b = s.as_bytes();
    let mut i = 0;
    let negative = match b[0] {
        b'-' => {
            i = 1;
            true
        }
        b'+' => {
            i = 1;
            false
        }
        _ => false,
    };
    let start = i;
    while i < b.len() && b[i].is_ascii_digit() {
        i += 1;
    }
    if i == start {
        return Err(format!("expected digits in duration {s:?}"));
    }
    while i < b.len() && b[i].is_ascii_alphabetic() && b[i] != b'x' {
        i += 1;
    }
    let ms =
        parse_duration_ms(&s[start..i]).map_err(|e| format!("invalid duration {:?}: {e}", &s[start..i]))?;
    Ok((if negative { -ms } else { ms }, &s[i..]))
}
