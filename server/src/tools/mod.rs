//! `quiver tools ...`: offline tools over blocks and buckets.

pub(crate) mod bucket;
pub(crate) mod create_blocks;
pub(crate) mod promql_query;
pub(crate) mod promql_test;
pub(crate) mod tsdb_dump;

use promql_parser::label::MatchOp as PMatchOp;
use promql_parser::parser::Expr;
use quiver_proto::{METRIC_NAME, MatchOp, Matcher};

use crate::error::CliError;

const PLACEHOLDER: &str = "__quiver_placeholder__";

/// Parses a series selector (`up{job="x"}`, `{__name__=~"a.*"}`) with Prometheus's grammar into
/// alternatives of matchers: one list per `or` branch.
pub(crate) fn parse_selector(s: &str) -> Result<Vec<Vec<Matcher>>, CliError> {
    let bad = |e: String| CliError::Usage(format!("invalid series selector {s:?}: {e}"));
    let expr = match promql_parser::parser::parse(s) {
        Ok(e) => e,
        // PromQL refuses selectors whose matchers all accept the empty value, but promtool's
        // selectors (e.g. its default `{__name__=~'(?s:.*)'}`) may. Parse with a placeholder
        // matcher that satisfies the check, then drop it.
        Err(e) if e.contains("non-empty matcher") && s.trim_start().starts_with('{') => {
            let inner = s.trim_start().trim_start_matches('{');
            let padded = format!("{{{PLACEHOLDER}=~\".+\",{inner}");
            let mut expr = promql_parser::parser::parse(&padded).map_err(|_| bad(e))?;
            if let Expr::VectorSelector(vs) = &mut expr {
                vs.matchers.matchers.retain(|m| m.name != PLACEHOLDER);
            }
            expr
        }
        Err(e) => return Err(bad(e)),
    };
    let Expr::VectorSelector(vs) = expr else {
        return Err(bad("not a series selector".into()));
    };
    if vs.offset.is_some() || vs.at.is_some() {
        return Err(bad("offset and @ are not allowed in a selector".into()));
    }
    let groups: Vec<&Vec<promql_parser::label::Matcher>> = if vs.matchers.or_matchers.is_empty() {
        vec![&vs.matchers.matchers]
    } else {
        vs.matchers.or_matchers.iter().collect()
    };
    groups
        .into_iter()
        .map(|group| {
            let mut out = Vec::with_capacity(group.len() + 1);
            if let Some(name) = &vs.name {
                out.push(Matcher::equal(METRIC_NAME, name.clone()));
            }
            for m in group {
                let op = match m.op {
                    PMatchOp::Equal => MatchOp::Equal,
                    PMatchOp::NotEqual => MatchOp::NotEqual,
                    PMatchOp::Re(_) => MatchOp::RegexMatch,
                    PMatchOp::NotRe(_) => MatchOp::RegexNoMatch,
                };
                out.push(Matcher::new(op, m.name.clone(), m.value.clone()).map_err(|e| bad(e.to_string()))?);
            }
            Ok(out)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::parse_selector;

    #[test]
    fn selectors() {
        let all = parse_selector("{__name__=~'(?s:.*)'}").unwrap();
        assert_eq!(all.len(), 1);
        assert_eq!(all[0].len(), 1);
        assert!(all[0][0].matches(""));
        let m = parse_selector(r#"up{job="a",i!~"x.*"}"#).unwrap();
        assert_eq!(
            m[0].iter().map(ToString::to_string).collect::<Vec<_>>(),
            ["__name__=\"up\"", "job=\"a\"", "i!~\"x.*\""]
        );
        assert!(parse_selector("rate(x[5m])").is_err());
        assert!(parse_selector("{a=").is_err());
    }
}
