//! Parsing a test script into its commands, following promqltest's `test.parse`: lines are
//! trimmed, `#` lines are blank, a blank line ends a `load` or `eval` block, and every command
//! keeps its 1-based line number.

use std::sync::LazyLock;

use quiver_proto::Labels;
use regex::Regex;

use super::commands::{
    Command, EvalCmd, EvalKind, Expect, ExpectKind, ExpectMatcher, ExpectedSeries, LoadCmd, LoadSeries,
    ParseError, Script,
};
use super::literals::{parse_duration_ms, parse_number, unquote};
use super::series::parse_series_desc;
use super::start_timestamps::{is_st_line, parse_st_line};

/// Go's `\s`.
macro_rules! s {
    () => {
        r"[\t\n\f\r ]"
    };
}

fn re(pattern: &str) -> Regex {
    #[allow(clippy::expect_used)]
    Regex::new(pattern).expect("promqltest pattern is a valid regex")
}

static PAT_SPACE: LazyLock<Regex> = LazyLock::new(|| re(r"[\t ]+"));
static PAT_LOAD: LazyLock<Regex> = LazyLock::new(|| re(concat!(r"^load(?:_(with_nhcb))?", s!(), r"+(.+?)$")));
static PAT_EVAL_INSTANT: LazyLock<Regex> = LazyLock::new(|| {
    re(concat!(
        r"^eval(?:_(fail|warn|ordered|info))?",
        s!(),
        "+instant",
        s!(),
        "+(?:at",
        s!(),
        "+(.+?))?",
        s!(),
        "+(.+)$"
    ))
});
static PAT_EVAL_RANGE: LazyLock<Regex> = LazyLock::new(|| {
    re(concat!(
        r"^eval(?:_(fail|warn|info))?",
        s!(),
        "+range",
        s!(),
        "+from",
        s!(),
        "+(.+)",
        s!(),
        "+to",
        s!(),
        "+(.+)",
        s!(),
        "+step",
        s!(),
        "+(.+?)",
        s!(),
        "+(.+)$"
    ))
});
static PAT_EXPECT: LazyLock<Regex> = LazyLock::new(|| {
    re(concat!(
        r"^expect",
        s!(),
        "+(ordered|fail|warn|no_warn|info|no_info)(?:",
        s!(),
        "+(regex|msg):(.+))?$"
    ))
});
static PAT_EXPECT_RANGE: LazyLock<Regex> = LazyLock::new(|| {
    re(concat!(
        r"^expect range vector",
        s!(),
        "+from",
        s!(),
        "+(.+)",
        s!(),
        "+to",
        s!(),
        "+(.+)",
        s!(),
        "+step",
        s!(),
        "+(.+)$"
    ))
});
/// promqltest's `patMatchAny`, used for `expect warn` etc. without a message.
pub(super) static PAT_MATCH_ANY: LazyLock<Regex> = LazyLock::new(|| re(r"^.*$"));

const RANGE_VECTOR_PREFIX: &str = "expect range vector";
const EXPECT_STRING_PREFIX: &str = "expect string";

/// Parses a whole script.
pub fn parse_script(input: &str) -> Result<Script, ParseError> {
    let lines: Vec<String> = input
        .split('\n')
        .map(|l| {
            let l = l.trim();
            if l.starts_with('#') { String::new() } else { l.to_string() }
        })
        .collect();
    let mut commands = Vec::new();
    let mut i = 0;
    while i < lines.len() {
        let l = &lines[i];
        if l.is_empty() {
            i += 1;
            continue;
        }
        let first = PAT_SPACE.split(l).next().unwrap_or("").to_lowercase();
        if first == "clear" {
            commands.push(Command::Clear { line: i + 1 });
        } else if first.starts_with("load") {
            let (end, cmd) = parse_load(&lines, i)?;
            i = end;
            commands.push(Command::Load(cmd));
        } else if first.starts_with("eval") {
            let (end, cmd) = parse_eval(&lines, i)?;
            i = end;
            commands.push(Command::Eval(Box::new(cmd)));
        } else {
            return Err(err(i, format!("invalid command {l:?}")));
        }
        i += 1;
    }
    Ok(Script { commands })
}

fn err(i: usize, message: impl Into<String>) -> ParseError {
    ParseError { line: i + 1, message: message.into() }
}

fn parse_load(lines: &[String], mut i: usize) -> Result<(usize, LoadCmd), ParseError> {
    let Some(caps) = PAT_LOAD.captures(&lines[i]) else {
        return Err(err(i, "invalid load command. (load[_with_nhcb] <step:duration>)"));
    };
    let with_nhcb = caps.get(1).is_some();
    let step = caps.get(2).map_or("", |m| m.as_str());
    let interval_ms =
        parse_duration_ms(step).map_err(|e| err(i, format!("invalid step definition {step:?}: {e}")))?;
    let mut cmd = LoadCmd { line: i + 1, interval_ms, with_nhcb, series: Vec::new() };
    // A pending `@st` line: (line index, labels, offsets).
    let mut pending: Option<(usize, Labels, Vec<Option<i64>>)> = None;
    while i + 1 < lines.len() {
        i += 1;
        let def = &lines[i];
        if def.is_empty() {
            i -= 1;
            break;
        }
        if is_st_line(def) {
            if let Some((l, _, _)) = pending {
                return Err(err(l, "@st line has no following sample line"));
            }
            let (labels, st) = parse_st_line(def).map_err(|e| err(i, e))?;
            pending = Some((i, labels, st));
            continue;
        }
        let (labels, values) = parse_series_desc(def).map_err(|e| err(i, e))?;
        let start_timestamps = match pending.take() {
            None => None,
            Some((l, st_labels, st)) => {
                if st_labels != labels {
                    return Err(err(l, "@st metric does not match the following sample line metric"));
                }
                if st.len() != values.len() {
                    return Err(err(
                        l,
                        format!("@st line has {} values but sample line has {}", st.len(), values.len()),
                    ));
                }
                Some(st)
            }
        };
        cmd.series.push(LoadSeries { line: i + 1, labels, values, start_timestamps });
    }
    if let Some((l, _, _)) = pending {
        return Err(err(l, "@st line has no following sample line"));
    }
    Ok((i, cmd))
}

fn parse_eval(lines: &[String], mut i: usize) -> Result<(usize, EvalCmd), ParseError> {
    let line = &lines[i];
    let instant = PAT_EVAL_INSTANT.captures(line);
    let range = PAT_EVAL_RANGE.captures(line);
    let group = |c: &regex::Captures<'_>, n: usize| c.get(n).map_or("", |m| m.as_str()).to_string();
    let (modifier, expr, kind) = match (&instant, &range) {
        (Some(c), _) => {
            let expr = group(c, 3);
            let at = group(c, 2);
            let at_ms = parse_duration_ms(&at).map_err(|e| {
                err(
                    i,
                    format!(
                        "error in eval {expr} (line {}): invalid timestamp definition {at:?}: {e}",
                        i + 1
                    ),
                )
            })?;
            (group(c, 1), expr, EvalKind::Instant { at_ms })
        }
        (None, Some(c)) => {
            let expr = group(c, 5);
            let (start_ms, end_ms, step_ms) = parse_durations(&group(c, 2), &group(c, 3), &group(c, 4))
                .map_err(|e| err(i, format!("error in eval {expr} (line {}): {e}", i + 1)))?;
            (group(c, 1), expr, EvalKind::Range { start_ms, end_ms, step_ms })
        }
        (None, None) => {
            return Err(err(
                i,
                "invalid evaluation command. Must be either 'eval[_fail|_warn|_ordered] instant [at <offset:duration>] <query>' or 'eval[_fail|_warn] range from <from> to <to> step <step> <query>'",
            ));
        }
    };
    let is_instant = matches!(kind, EvalKind::Instant { .. });
    let mut cmd = EvalCmd {
        line: i + 1,
        expr: expr.clone(),
        kind,
        range_vector: None,
        expected_string: None,
        legacy_fail: modifier == "fail",
        legacy_warn: modifier == "warn",
        legacy_info: modifier == "info",
        legacy_ordered: modifier == "ordered",
        expected_fail_message: None,
        expected_fail_regexp: None,
        expects: Vec::new(),
        expected_scalar: None,
        expected_series: Vec::new(),
        exclude_from_range_query: false,
    };
    let eval_line = i;
    let format_err =
        |at: usize, msg: String| err(at, format!("error in eval {expr} (line {}): {msg}", eval_line + 1));

    let mut j: usize = 1;
    while i + 1 < lines.len() {
        i += 1;
        let def = &lines[i];
        if def.is_empty() {
            i -= 1;
            break;
        }
        if cmd.legacy_fail {
            if let Some(rest) = def.strip_prefix("expected_fail_message") {
                cmd.expected_fail_message = Some(rest.trim().to_string());
                break;
            }
            if let Some(rest) = def.strip_prefix("expected_fail_regexp") {
                let pattern = rest.trim();
                let r = Regex::new(pattern).map_err(|e| {
                    format_err(i, format!("invalid regexp '{pattern}' for expected_fail_regexp: {e}"))
                })?;
                cmd.expected_fail_regexp = Some(r);
                break;
            }
        }
        if def.starts_with(RANGE_VECTOR_PREFIX) {
            let c = PAT_EXPECT_RANGE
                .captures(def)
                .ok_or_else(|| format_err(i, format!("invalid range vector definition {def:?}")))?;
            let rv =
                parse_durations(&group(&c, 1), &group(&c, 2), &group(&c, 3)).map_err(|e| format_err(i, e))?;
            cmd.range_vector = Some(rv);
            cmd.exclude_from_range_query = true;
            j += 1;
            continue;
        }
        if def.starts_with(EXPECT_STRING_PREFIX) {
            cmd.expected_string = Some(parse_string_literal(def).map_err(|e| format_err(i, e))?);
            cmd.exclude_from_range_query = true;
            j += 1;
            continue;
        }
        if def.split(' ').next() == Some("expect") {
            let e = parse_expect(def, i + 1).map_err(|e| format_err(i, e))?;
            cmd.expects.push(e);
            validate_expects(&cmd).map_err(|e| format_err(i, e.to_string()))?;
            continue;
        }
        if let Some(v) = parse_number(def) {
            cmd.expected_scalar = Some(v);
            break;
        }
        let (labels, values) = parse_series_desc(def).map_err(|e| err(i, e))?;
        if values.len() > 1 && is_instant && cmd.range_vector.is_none() {
            return Err(format_err(
                i,
                "expecting multiple values in instant evaluation not allowed. consider using 'expect range vector' directive to enable a range vector result for an instant query".into(),
            ));
        }
        let series = ExpectedSeries { line: i + 1, pos: j, labels, values };
        // Expectations are keyed by label set: a later line replaces an earlier one.
        match cmd.expected_series.iter_mut().find(|s| s.labels == series.labels) {
            Some(existing) => *existing = series,
            None => cmd.expected_series.push(series),
        }
        j += 1;
    }
    Ok((i, cmd))
}

/// promqltest's `parseDurations`: start, end and step, with the end not before the start.
fn parse_durations(from: &str, to: &str, step: &str) -> Result<(i64, i64, i64), String> {
    let start =
        parse_duration_ms(from).map_err(|e| format!("invalid start timestamp definition {from:?}: {e}"))?;
    let end = parse_duration_ms(to).map_err(|e| format!("invalid end timestamp definition {to:?}: {e}"))?;
    if end < start {
        return Err(format!(
            "invalid test definition, end timestamp ({to}) is before start timestamp ({from})"
        ));
    }
    let step = parse_duration_ms(step).map_err(|e| format!("invalid step definition {step:?}: {e}"))?;
    Ok((start, end, step))
}

fn parse_string_literal(line: &str) -> Result<String, String> {
    if line == EXPECT_STRING_PREFIX {
        return Err("expected string literal not valid - a quoted string literal is required".into());
    }
    let s = line.strip_prefix("expect string ").unwrap_or(line);
    if s.is_empty() {
        return Err("expected string literal not valid - a quoted string literal is required".into());
    }
    unquote(s, true).map_err(|_| {
        "expected string literal not valid - check that the string is correctly quoted".to_string()
    })
}

fn parse_expect(line: &str, line_no: usize) -> Result<Expect, String> {
    let c = PAT_EXPECT
        .captures(line.trim())
        .ok_or("invalid expect statement, must match `expect <type> <match_type>: <string>` format")?;
    let mode = c.get(1).map_or("", |m| m.as_str());
    let kind = match mode {
        "ordered" => ExpectKind::Ordered,
        "fail" => ExpectKind::Fail,
        "warn" => ExpectKind::Warn,
        "no_warn" => ExpectKind::NoWarn,
        "info" => ExpectKind::Info,
        "no_info" => ExpectKind::NoInfo,
        _ => return Err(format!("invalid expected error/annotation type {mode}")),
    };
    let text = c.get(3).map_or("", |m| m.as_str()).trim();
    let matcher = match c.get(2).map(|m| m.as_str()) {
        None => ExpectMatcher::Regex(PAT_MATCH_ANY.clone()),
        Some("msg") => ExpectMatcher::Message(text.to_string()),
        Some(_) => {
            ExpectMatcher::Regex(Regex::new(text).map_err(|_| format!("invalid regex {text} for {mode}"))?)
        }
    };
    Ok(Expect { line: line_no, kind, matcher })
}

fn validate_expects(cmd: &EvalCmd) -> Result<(), &'static str> {
    use ExpectKind::*;
    if cmd.has_expect(Info) && cmd.has_expect(NoInfo) {
        return Err("invalid expect lines, info and no_info cannot be used together");
    }
    if cmd.has_expect(Warn) && cmd.has_expect(NoWarn) {
        return Err("invalid expect lines, warn and no_warn cannot be used together");
    }
    if cmd.expects_of(Fail).count() > 1 {
        return Err("invalid expect lines, multiple expect fail lines are not allowed");
    }
    Ok(())
}
