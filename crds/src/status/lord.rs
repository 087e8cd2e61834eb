//! `status.lords[]`: one sitting Lord.

use k8s_openapi::apimachinery::pkg::apis::meta::v1::Time;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// A member sitting in the House of Lords.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct LordStatus {
    /// Name of the Lord's pod, also labelled parliament.dev/lord=true.
    pub pod: String,
    /// District the Lord comes from.
    pub district: String,
    /// When the Lord's term ends.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub term_ends: Option<Time>,
}
