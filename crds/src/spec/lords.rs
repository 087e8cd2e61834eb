//! `spec.lords`: the House of Lords that ratifies critical decrees.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// Default number of Lords.
pub const DEFAULT_LORDS_SIZE: u32 = 3;
/// Default length of a Lord's term: one day.
pub const DEFAULT_LORDS_TERM_SECONDS: u32 = 86_400;

/// A small set of long-tenured, high-reputation members from different districts. Critical
/// decrees (configuration changes, writes marked critical) take effect only after a majority
/// of the Lords vote aye.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
#[schemars(extend("x-kubernetes-validations" = [
    {
        "rule": "self.size % 2 == 1",
        "message": "size must be odd (1, 3, 5, 7 or 9): an even House can split evenly and ratify nothing",
        "fieldPath": ".size",
    },
]))]
pub struct Lords {
    /// Number of Lords: odd, and no more than the number of districts, since each Lord comes
    /// from a different district.
    #[serde(default = "default_size")]
    #[schemars(range(min = 1, max = 9))]
    pub size: u32,
    /// Length of a Lord's term, in seconds. Terms are staggered so that the House never
    /// changes all at once.
    #[serde(default = "default_term_seconds")]
    #[schemars(range(min = 60, max = 31_536_000))]
    pub term_seconds: u32,
}

impl Default for Lords {
    fn default() -> Self {
        Lords {
            size: DEFAULT_LORDS_SIZE,
            term_seconds: DEFAULT_LORDS_TERM_SECONDS,
        }
    }
}

fn default_size() -> u32 {
    DEFAULT_LORDS_SIZE
}

fn default_term_seconds() -> u32 {
    DEFAULT_LORDS_TERM_SECONDS
}
