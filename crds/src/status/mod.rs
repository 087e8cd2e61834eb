//! `ParliamentStatus`: what the operator and the sidecars report about a Parliament.

mod district;
mod lord;
mod prime_minister;

pub use district::DistrictStatus;
pub use lord::LordStatus;
pub use prime_minister::PrimeMinisterStatus;

use k8s_openapi::apimachinery::pkg::apis::meta::v1::Condition;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// Condition type: a Prime Minister leads and every district has a representative.
pub const CONDITION_READY: &str = "Ready";
/// Condition type: the Parliament works but something is missing (a district without a
/// representative, a pod in no district, fewer Lords than asked). The reason says which.
pub const CONDITION_DEGRADED: &str = "Degraded";
/// Condition type: the spec was rejected; the message names the offending field.
pub const CONDITION_INVALID_SPEC: &str = "InvalidSpec";

/// Observed state of a Parliament. The operator writes observedGeneration, conditions and
/// the membership counts; each district's representative writes its own district entry and
/// the Prime Minister writes primeMinister, lords, session and committedRevision, always
/// with the fencing term so a deposed leader never overwrites a newer one.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ParliamentStatus {
    /// The metadata.generation of the spec the operator last acted on.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub observed_generation: Option<i64>,
    /// The current Prime Minister, absent while the Commons has no leader.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub prime_minister: Option<PrimeMinisterStatus>,
    /// Districts with a representative out of all districts, such as 3/3.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub districts_represented: Option<String>,
    /// One entry per district, in name order.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[schemars(extend("x-kubernetes-list-type" = "map", "x-kubernetes-list-map-keys" = ["name"]))]
    pub districts: Vec<DistrictStatus>,
    /// The sitting Lords.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[schemars(extend("x-kubernetes-list-type" = "map", "x-kubernetes-list-map-keys" = ["pod"]))]
    pub lords: Vec<LordStatus>,
    /// Number of the last Parliament session that committed global writes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub session: Option<u64>,
    /// Revision of the global key-value store after the last committed session: a read at
    /// least at this revision sees every write acknowledged so far.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub committed_revision: Option<u64>,
    /// Ready, Degraded and InvalidSpec, following the Kubernetes API conventions.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[schemars(extend("x-kubernetes-list-type" = "map", "x-kubernetes-list-map-keys" = ["type"]))]
    pub conditions: Vec<Condition>,
}

impl ParliamentStatus {
    /// The condition of the given type, if set.
    #[must_use]
    pub fn condition(&self, type_: &str) -> Option<&Condition> {
        self.conditions.iter().find(|c| c.type_ == type_)
    }

    /// The status entry of one district, if present.
    #[must_use]
    pub fn district(&self, name: &str) -> Option<&DistrictStatus> {
        self.districts.iter().find(|d| d.name == name)
    }
}
