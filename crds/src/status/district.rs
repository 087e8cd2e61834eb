//! `status.districts[]`: one district's representative and membership.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// One district as last reported by its representative (leadership) and the operator
/// (membership).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct DistrictStatus {
    /// District name, also the value of the parliament.dev/district label on its pods.
    pub name: String,
    /// Pod that represents the district, absent during an election.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub representative: Option<String>,
    /// District term of the representative; with the district it forms the fencing token.
    #[serde(default)]
    pub term: u64,
    /// Member pods in the district.
    #[serde(default)]
    pub members: u32,
    /// Member pods that are ready.
    #[serde(default)]
    pub ready_members: u32,
    /// The district's reputation score as the engine keeps it: a higher score ranks the
    /// district's representative earlier among candidates for Prime Minister. Only the order
    /// of scores matters, not their size.
    #[serde(default)]
    pub reputation: i64,
    /// Pods that vote in the district's configuration, as its representative applies it
    /// (a member that left the roster stays here until the representative removes it).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub voters: Vec<String>,
    /// Pods that receive the district's log without voting yet: members that joined and
    /// are catching up before the representative promotes them.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub learners: Vec<String>,
}
