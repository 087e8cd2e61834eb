//! `spec.bootstrap`: the leaders named by hand for the Parliament's first sitting.

use std::collections::BTreeMap;

use schemars::{JsonSchema, Schema, SchemaGenerator, json_schema};
use serde::{Deserialize, Serialize};

use crate::spec::{MAX_DISTRICTS, MAX_ENTRY_LENGTH};

/// Leaders that campaign first when the Parliament convenes, so that the first elections
/// have a known outcome. After that everything is automatic: bootstrap is read once and
/// cannot be changed later.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
#[schemars(extend("x-kubernetes-validations" = [
    {
        "rule": "self == oldSelf",
        "message": "bootstrap is used once, when the Parliament first convenes, and cannot be changed afterwards",
    },
    {
        "rule": "!has(self.primeMinister) || self.representatives.exists(d, self.representatives[d] == self.primeMinister)",
        "message": "primeMinister must be one of the bootstrap representatives: the Prime Minister leads the Commons from a district's seat",
        "fieldPath": ".primeMinister",
    },
]))]
pub struct Bootstrap {
    /// District name to the pod that campaigns first for its seat. Districts left out elect
    /// their first representative without a head start.
    #[serde(default)]
    #[schemars(schema_with = "representatives_schema")]
    pub representatives: BTreeMap<String, String>,
    /// Pod that campaigns first for Prime Minister. It must be one of the representatives.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(min = 1, max = 253))]
    pub prime_minister: Option<String>,
}

/// Bounded, so that the CEL rule over the map stays within the API server's cost budget.
fn representatives_schema(_: &mut SchemaGenerator) -> Schema {
    json_schema!({
        "type": "object",
        "maxProperties": MAX_DISTRICTS,
        "additionalProperties": {
            "type": "string",
            "minLength": 1,
            "maxLength": MAX_ENTRY_LENGTH,
        },
    })
}
