use std::fmt;

use regex::Regex;

use crate::error::{Error, Result};
use crate::labels::{Labels, write_go_quoted};

/// How a matcher compares a label value.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum MatchOp {
    Equal,
    NotEqual,
    RegexMatch,
    RegexNoMatch,
}

impl MatchOp {
    pub fn as_str(self) -> &'static str {
        match self {
            MatchOp::Equal => "=",
            MatchOp::NotEqual => "!=",
            MatchOp::RegexMatch => "=~",
            MatchOp::RegexNoMatch => "!~",
        }
    }
}

/// A label matcher as in PromQL selectors and StoreAPI requests.
///
/// Regular expressions are anchored at both ends and `.` matches a newline, as in Prometheus 3.
/// A missing label matches as the empty string, so `{foo=""}` selects series without `foo`.
#[derive(Debug, Clone)]
pub struct Matcher {
    pub name: String,
    pub op: MatchOp,
    pub value: String,
    regex: Option<Regex>,
}

impl Matcher {
    pub fn new(op: MatchOp, name: impl Into<String>, value: impl Into<String>) -> Result<Self> {
        let value = value.into();
        let regex = match op {
            MatchOp::RegexMatch | MatchOp::RegexNoMatch => {
                let anchored = format!("^(?s:{value})$");
                Some(
                    Regex::new(&anchored)
                        .map_err(|e| Error::InvalidRegex { pattern: value.clone(), source: Box::new(e) })?,
                )
            }
            MatchOp::Equal | MatchOp::NotEqual => None,
        };
        Ok(Self { name: name.into(), op, value, regex })
    }

    pub fn equal(name: impl Into<String>, value: impl Into<String>) -> Self {
        Self { name: name.into(), op: MatchOp::Equal, value: value.into(), regex: None }
    }

    /// Whether a label value (empty when the label is absent) satisfies the matcher.
    pub fn matches(&self, value: &str) -> bool {
        match (self.op, &self.regex) {
            (MatchOp::Equal, _) => value == self.value,
            (MatchOp::NotEqual, _) => value != self.value,
            (MatchOp::RegexMatch, Some(re)) => re.is_match(value),
            (MatchOp::RegexNoMatch, Some(re)) => !re.is_match(value),
            // Constructors always compile a regex for the regex ops.
            (MatchOp::RegexMatch | MatchOp::RegexNoMatch, None) => false,
        }
    }

    /// Whether the matcher selects series that lack the label altogether.
    pub fn matches_empty(&self) -> bool {
        self.matches("")
    }

    pub fn matches_labels(&self, labels: &Labels) -> bool {
        self.matches(labels.get(&self.name).unwrap_or(""))
    }
}

impl PartialEq for Matcher {
    fn eq(&self, other: &Self) -> bool {
        self.name == other.name && self.op == other.op && self.value == other.value
    }
}

impl fmt::Display for Matcher {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}{}", self.name, self.op.as_str())?;
        write_go_quoted(f, &self.value)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn regex_is_anchored_and_dotall() {
        let m = Matcher::new(MatchOp::RegexMatch, "a", "fo+").unwrap();
        assert!(m.matches("foo"));
        assert!(!m.matches("xfoo"));
        assert!(!m.matches("foox"));
        let m = Matcher::new(MatchOp::RegexMatch, "a", "a.b").unwrap();
        assert!(m.matches("a\nb"));
    }

    #[test]
    fn missing_label_is_empty() {
        let l = Labels::from_pairs([("job", "x")]).unwrap();
        assert!(Matcher::equal("env", "").matches_labels(&l));
        assert!(!Matcher::equal("job", "").matches_labels(&l));
        let m = Matcher::new(MatchOp::RegexNoMatch, "job", "y|z").unwrap();
        assert!(m.matches_labels(&l));
    }

    #[test]
    fn bad_regex_is_an_error() {
        assert!(matches!(Matcher::new(MatchOp::RegexMatch, "a", "("), Err(Error::InvalidRegex { .. })));
    }
}
