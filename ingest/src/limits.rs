//! Per-tenant write limits, as Thanos receive's `--receive.limits-config`: request limits (body
//! size, series and samples in one request; exceeded: 413) and the head series limit (active
//! series of a tenant; exceeded: 429). A limit of 0 is no limit; a tenant without an entry gets
//! the `default` ones.
//!
//! ```yaml
//! write:
//!   default:
//!     request: {size_bytes_limit: 1048576, series_limit: 1000, samples_limit: 10000}
//!     head_series_limit: 100000
//!   tenants:
//!     acme:
//!       request: {samples_limit: 0}
//!       head_series_limit: 2000
//! ```

use std::collections::BTreeMap;

use serde::Deserialize;

use crate::error::{Error, Result};

/// One tenant's limits.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TenantLimits {
    #[serde(default)]
    pub request: RequestLimits,
    #[serde(default)]
    pub head_series_limit: u64,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RequestLimits {
    #[serde(default)]
    pub size_bytes_limit: u64,
    #[serde(default)]
    pub series_limit: u64,
    #[serde(default)]
    pub samples_limit: u64,
}

/// The limits of every tenant.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct WriteLimits {
    pub default: TenantLimits,
    pub tenants: BTreeMap<String, TenantLimits>,
}

#[derive(Debug, Deserialize)]
struct LimitsYaml {
    #[serde(default)]
    write: Option<WriteYaml>,
}

#[derive(Debug, Deserialize)]
struct WriteYaml {
    /// Thanos's `global` section (`max_concurrency`, meta-monitoring) is accepted and not used.
    #[serde(default)]
    #[allow(dead_code)]
    global: Option<serde_yaml::Value>,
    #[serde(default)]
    default: TenantLimits,
    #[serde(default)]
    tenants: BTreeMap<String, TenantLimits>,
}

impl WriteLimits {
    pub fn from_yaml(yaml: &str) -> Result<Self> {
        let y: LimitsYaml =
            serde_yaml::from_str(yaml).map_err(|e| Error::Config(format!("limits config: {e}")))?;
        let Some(w) = y.write else { return Ok(Self::default()) };
        Ok(Self { default: w.default, tenants: w.tenants })
    }

    pub fn of(&self, tenant: &str) -> TenantLimits {
        self.tenants.get(tenant).copied().unwrap_or(self.default)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn thanos_limits_yaml() {
        let yaml = "write:\n  global:\n    max_concurrency: 30\n  default:\n    request:\n      size_bytes_limit: 1024\n      series_limit: 10\n    head_series_limit: 100\n  tenants:\n    acme:\n      head_series_limit: 5\n";
        let l = WriteLimits::from_yaml(yaml).unwrap();
        assert_eq!(l.of("other").request.size_bytes_limit, 1024);
        assert_eq!(l.of("other").head_series_limit, 100);
        assert_eq!(l.of("acme").head_series_limit, 5);
        assert_eq!(l.of("acme").request.series_limit, 0, "a tenant's entry replaces the default");
        assert!(WriteLimits::from_yaml("write:\n  default:\n    request:\n      bogus: 1\n").is_err());
        assert_eq!(WriteLimits::from_yaml("").unwrap(), WriteLimits::default());
    }
}
