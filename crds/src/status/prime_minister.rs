//! `status.primeMinister`: who leads the Commons, since when, in which term.

use k8s_openapi::apimachinery::pkg::apis::meta::v1::Time;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// The Prime Minister: the representative whose seat leads the Commons.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct PrimeMinisterStatus {
    /// Name of the Prime Minister's pod.
    pub pod: String,
    /// District whose seat leads the Commons.
    pub district: String,
    /// Commons term in which it leads; with the Commons group it forms the fencing token.
    pub term: u64,
    /// When it took office.
    pub since: Time,
}
