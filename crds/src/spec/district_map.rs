//! `DistrictMap`: an explicit map from district name to what belongs to the district.

use std::borrow::Cow;
use std::collections::BTreeMap;

use schemars::{JsonSchema, Schema, SchemaGenerator, json_schema};
use serde::{Deserialize, Serialize};

/// Most districts a Parliament may name (a Commons seat each).
pub const MAX_DISTRICTS: usize = 32;
/// Most entries (pod names or node-label values) one district may list.
pub const MAX_DISTRICT_ENTRIES: usize = 256;
/// Longest entry: a pod name is a DNS subdomain of at most 253 characters.
pub const MAX_ENTRY_LENGTH: usize = 253;

/// District name to the entries that place a pod in that district. A map, so a district can
/// be named only once; which pod or label value sits in two districts is found by
/// `validate`, since a schema cannot compare list items across map entries.
///
/// District names must be DNS labels (lowercase letters, digits and '-', at most 63
/// characters) because they become the value of the `parliament.dev/district` pod label.
/// That rule is checked by `validate` too: a CEL rule over map keys would have no length
/// bound, and the API server would reject it as too costly.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct DistrictMap(pub BTreeMap<String, Vec<String>>);

impl DistrictMap {
    /// Districts in name order, each with its entries.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &[String])> {
        self.0
            .iter()
            .map(|(name, entries)| (name.as_str(), entries.as_slice()))
    }

    /// The district names, in order.
    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.0.keys().map(String::as_str)
    }

    /// Number of districts.
    #[must_use]
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Whether no district is named.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The entries of one district.
    #[must_use]
    pub fn get(&self, district: &str) -> Option<&[String]> {
        self.0.get(district).map(Vec::as_slice)
    }
}

impl<N, E, I> FromIterator<(N, I)> for DistrictMap
where
    N: Into<String>,
    E: Into<String>,
    I: IntoIterator<Item = E>,
{
    fn from_iter<T: IntoIterator<Item = (N, I)>>(districts: T) -> Self {
        DistrictMap(
            districts
                .into_iter()
                .map(|(name, entries)| (name.into(), entries.into_iter().map(Into::into).collect()))
                .collect(),
        )
    }
}

impl JsonSchema for DistrictMap {
    fn schema_name() -> Cow<'static, str> {
        "DistrictMap".into()
    }

    fn inline_schema() -> bool {
        true
    }

    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        // Bounds on every size keep the CEL rules elsewhere within the API server's cost budget.
        json_schema!({
            "type": "object",
            "minProperties": 1,
            "maxProperties": MAX_DISTRICTS,
            "additionalProperties": {
                "type": "array",
                "minItems": 1,
                "maxItems": MAX_DISTRICT_ENTRIES,
                "items": {
                    "type": "string",
                    "minLength": 1,
                    "maxLength": MAX_ENTRY_LENGTH,
                },
            },
        })
    }
}
