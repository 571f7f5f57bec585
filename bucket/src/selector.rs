//! Which blocks a component serves, as Thanos's `--selector.relabel-config` says: Prometheus
//! relabel rules (only `keep`, `drop` and `hashmod`) run over a block's external labels plus
//! `__block_id` (its ULID); the block is served unless they drop it. `hashmod` hashes as
//! Prometheus does (the low 64 bits of the MD5 of the joined values), so shards split a bucket
//! exactly as Thanos store gateways sharded the same way would.

use md5::{Digest, Md5};
use quiver_proto::Labels;
use regex::Regex;
use serde::Deserialize;

use crate::error::{Error, Result};

/// The label holding a block's ULID during selection.
pub const BLOCK_ID_LABEL: &str = "__block_id";

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
enum Action {
    Keep,
    Drop,
    Hashmod,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRule {
    #[serde(default)]
    source_labels: Vec<String>,
    separator: Option<String>,
    regex: Option<String>,
    #[serde(default)]
    target_label: String,
    #[serde(default)]
    modulus: u64,
    #[serde(default)]
    replacement: Option<String>,
    action: Option<String>,
}

#[derive(Debug, Clone)]
struct Rule {
    action: Action,
    source_labels: Vec<String>,
    separator: String,
    regex: Regex,
    target_label: String,
    modulus: u64,
}

/// The rules of a `--selector.relabel-config`.
#[derive(Debug, Clone, Default)]
pub struct BlockSelector {
    rules: Vec<Rule>,
}

impl BlockSelector {
    /// Parses the YAML list of relabel rules; an empty text selects every block.
    pub fn from_yaml(yaml: &str) -> Result<Self> {
        if yaml.trim().is_empty() {
            return Ok(Self::default());
        }
        let bad = |m: String| Error::ObjstoreConfig(format!("selector relabel config: {m}"));
        let raw: Vec<RawRule> = serde_yaml::from_str(yaml).map_err(|e| bad(e.to_string()))?;
        let mut rules = Vec::with_capacity(raw.len());
        for r in raw {
            let action = match r.action.as_deref().unwrap_or("replace").to_ascii_lowercase().as_str() {
                "keep" => Action::Keep,
                "drop" => Action::Drop,
                "hashmod" => Action::Hashmod,
                other => return Err(bad(format!("unsupported relabel action: {other}"))),
            };
            if action == Action::Hashmod && (r.modulus == 0 || r.target_label.is_empty()) {
                return Err(bad("hashmod needs a target_label and a modulus above 0".into()));
            }
            let _ = r.replacement;
            let pattern = r.regex.unwrap_or_else(|| "(.*)".into());
            let regex = Regex::new(&format!("^(?s:{pattern})$")).map_err(|e| bad(e.to_string()))?;
            rules.push(Rule {
                action,
                source_labels: r.source_labels,
                separator: r.separator.unwrap_or_else(|| ";".into()),
                regex,
                target_label: r.target_label,
                modulus: r.modulus,
            });
        }
        Ok(Self { rules })
    }

    /// Whether a block with these external labels and ULID is served.
    pub fn keeps(&self, external: &Labels, block_id: &str) -> bool {
        if self.rules.is_empty() {
            return true;
        }
        let mut labels: Vec<(String, String)> =
            external.iter().map(|l| (l.name.clone(), l.value.clone())).collect();
        labels.push((BLOCK_ID_LABEL.into(), block_id.into()));
        for rule in &self.rules {
            let value: Vec<&str> = rule
                .source_labels
                .iter()
                .map(|n| labels.iter().find(|(k, _)| k == n).map_or("", |(_, v)| v.as_str()))
                .collect();
            let joined = value.join(&rule.separator);
            match rule.action {
                Action::Keep if !rule.regex.is_match(&joined) => return false,
                Action::Drop if rule.regex.is_match(&joined) => return false,
                Action::Hashmod => {
                    let digest = Md5::digest(joined.as_bytes());
                    let mut low = [0u8; 8];
                    low.copy_from_slice(&digest[8..16]);
                    let m = (u64::from_be_bytes(low) % rule.modulus).to_string();
                    labels.retain(|(k, _)| *k != rule.target_label);
                    labels.push((rule.target_label.clone(), m));
                }
                _ => {}
            }
        }
        true
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn ext(pairs: &[(&str, &str)]) -> Labels {
        Labels::from_pairs(pairs.iter().copied()).unwrap()
    }

    #[test]
    fn keep_drop_and_hashmod_shards() {
        let s =
            BlockSelector::from_yaml("- action: keep\n  source_labels: [cluster]\n  regex: eu-.*\n").unwrap();
        assert!(s.keeps(&ext(&[("cluster", "eu-1")]), "01A"));
        assert!(!s.keeps(&ext(&[("cluster", "us-1")]), "01A"));
        assert!(!s.keeps(&ext(&[]), "01A"));
        let d = BlockSelector::from_yaml("- action: drop\n  source_labels: [__block_id]\n  regex: 01B\n")
            .unwrap();
        assert!(d.keeps(&ext(&[]), "01A") && !d.keeps(&ext(&[]), "01B"));
        // Two hashmod shards split blocks between them, each block to exactly one.
        let shard = |i: u32| {
            BlockSelector::from_yaml(&format!(
                "- action: hashmod\n  source_labels: [__block_id]\n  target_label: shard\n  modulus: 2\n\
                 - action: keep\n  source_labels: [shard]\n  regex: {i}\n"
            ))
            .unwrap()
        };
        let (s0, s1) = (shard(0), shard(1));
        let ids: Vec<String> = (0..40).map(|i| format!("01HBLOCK{i:02}")).collect();
        assert!(ids.iter().all(|id| s0.keeps(&ext(&[]), id) != s1.keeps(&ext(&[]), id)));
        assert!(ids.iter().filter(|id| s0.keeps(&ext(&[]), id)).count() > 5);
        // Prometheus's relabel tests: hashmod of "baz" modulo 1000 is 976.
        let digest = Md5::digest(b"baz");
        let mut low = [0u8; 8];
        low.copy_from_slice(&digest[8..16]);
        assert_eq!(u64::from_be_bytes(low) % 1000, 976);
        assert!(BlockSelector::from_yaml("- action: replace\n  target_label: x\n").is_err());
        assert!(BlockSelector::from_yaml("").unwrap().keeps(&ext(&[]), "x"));
    }
}
