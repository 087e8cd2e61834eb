//! `spec.termLimits`: how long a leader may hold office before it hands over on purpose.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// Default longest tenure of a representative: one hour.
pub const DEFAULT_REPRESENTATIVE_MAX_TENURE_SECONDS: u32 = 3600;
/// Default longest tenure of a Prime Minister: half an hour.
pub const DEFAULT_PRIME_MINISTER_MAX_TENURE_SECONDS: u32 = 1800;

/// Term limits make failover routine: a leader past its maximum tenure transfers leadership
/// to the best-reputation, up-to-date member, and districts' deadlines are offset so that no
/// two districts rotate together.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
#[schemars(extend("x-kubernetes-validations" = [
    {
        "rule": "self.primeMinisterMaxTenureSeconds <= self.representativeMaxTenureSeconds",
        "message": "primeMinisterMaxTenureSeconds must not exceed representativeMaxTenureSeconds: a Prime Minister is also its district's representative, so the district's limit would end its tenure first",
        "fieldPath": ".primeMinisterMaxTenureSeconds",
    },
    {
        "rule": "!has(self.staggerSeconds) || self.staggerSeconds < self.representativeMaxTenureSeconds",
        "message": "staggerSeconds must be less than representativeMaxTenureSeconds: offsets wrap around the tenure",
        "fieldPath": ".staggerSeconds",
    },
]))]
pub struct TermLimits {
    /// Whether leaders hand over when their tenure runs out. When false, leaders keep
    /// office until they fail or lose their quorum.
    #[serde(default = "default_enabled")]
    pub enabled: bool,
    /// Longest time, in seconds, a member represents its district before it transfers
    /// leadership. Must be at least ten times timeouts.electionTimeoutMaxMs, so that
    /// hand-overs stay rare next to elections.
    #[serde(default = "default_representative_max_tenure_seconds")]
    #[schemars(range(min = 10, max = 2_592_000))]
    pub representative_max_tenure_seconds: u32,
    /// Longest time, in seconds, a seat leads the Commons before the Prime Minister hands the
    /// office to another seat. At most representativeMaxTenureSeconds.
    #[serde(default = "default_prime_minister_max_tenure_seconds")]
    #[schemars(range(min = 10, max = 2_592_000))]
    pub prime_minister_max_tenure_seconds: u32,
    /// Offset, in seconds, between consecutive districts' hand-over deadlines: the i-th
    /// district (in name order) hands over i times this later, modulo the tenure. When
    /// absent, deadlines are spread evenly: tenure divided by the number of districts.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 1, max = 2_592_000))]
    pub stagger_seconds: Option<u32>,
}

impl Default for TermLimits {
    fn default() -> Self {
        TermLimits {
            enabled: true,
            representative_max_tenure_seconds: DEFAULT_REPRESENTATIVE_MAX_TENURE_SECONDS,
            prime_minister_max_tenure_seconds: DEFAULT_PRIME_MINISTER_MAX_TENURE_SECONDS,
            stagger_seconds: None,
        }
    }
}

fn default_enabled() -> bool {
    true
}

fn default_representative_max_tenure_seconds() -> u32 {
    DEFAULT_REPRESENTATIVE_MAX_TENURE_SECONDS
}

fn default_prime_minister_max_tenure_seconds() -> u32 {
    DEFAULT_PRIME_MINISTER_MAX_TENURE_SECONDS
}
