//! `spec.districting`: how member pods are grouped into districts (constituencies).

use schemars::JsonSchema;
use serde::de::Error as _;
use serde::{Deserialize, Deserializer, Serialize};

use crate::spec::DistrictMap;

/// The node label that places a pod in a district by default: its node's zone.
pub const DEFAULT_NODE_LABEL: &str = "topology.kubernetes.io/zone";
/// Longest node-label key: a DNS-subdomain prefix (253), '/', and a name (63).
pub const MAX_LABEL_KEY_LENGTH: usize = 317;

/// How member pods are grouped into districts. Exactly one mode is set. Each district elects
/// a representative and holds one seat in the Commons.
///
/// Serialised as serde's externally tagged enum (one key naming the mode), which also gives
/// the schema its oneOf. Deserialisation is written by hand only to say "set exactly one
/// mode" instead of serde's generic complaint when two modes are given.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
#[schemars(extend("x-kubernetes-validations" = [
    {
        "rule": "[has(self.nodeLabel), has(self.nodeLabelValues), has(self.podNames)].filter(isSet, isSet).size() == 1",
        "message": "set exactly one districting mode: nodeLabel, nodeLabelValues or podNames",
    },
]))]
pub enum Districting {
    /// One district per distinct value of this label on the members' nodes, named after the
    /// value. A pod whose node lacks the label belongs to no district and is reported in the
    /// Degraded condition.
    NodeLabel(#[schemars(length(min = 1, max = MAX_LABEL_KEY_LENGTH))] String),
    /// Named districts, each a list of values of one node label; a pod belongs to the
    /// district listing its node's value. Use it to merge zones into one district.
    NodeLabelValues(NodeLabelValues),
    /// Named districts, each a list of member pod names (for example StatefulSet pods
    /// web-0, web-1). Every listed pod must also match the selector.
    PodNames(DistrictMap),
}

impl Default for Districting {
    fn default() -> Self {
        Districting::NodeLabel(DEFAULT_NODE_LABEL.to_owned())
    }
}

impl Districting {
    /// The mode's name as spelled in the spec.
    #[must_use]
    pub fn mode(&self) -> &'static str {
        match self {
            Districting::NodeLabel(_) => "nodeLabel",
            Districting::NodeLabelValues(_) => "nodeLabelValues",
            Districting::PodNames(_) => "podNames",
        }
    }

    /// The districts named in the spec, or `None` when they come from the nodes at run time.
    #[must_use]
    pub fn explicit(&self) -> Option<&DistrictMap> {
        match self {
            Districting::NodeLabel(_) => None,
            Districting::NodeLabelValues(values) => Some(&values.districts),
            Districting::PodNames(pods) => Some(pods),
        }
    }
}

impl<'de> Deserialize<'de> for Districting {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(rename_all = "camelCase", deny_unknown_fields)]
        struct Modes {
            node_label: Option<String>,
            node_label_values: Option<NodeLabelValues>,
            pod_names: Option<DistrictMap>,
        }
        let modes = Modes::deserialize(deserializer)?;
        match (modes.node_label, modes.node_label_values, modes.pod_names) {
            (Some(key), None, None) => Ok(Districting::NodeLabel(key)),
            (None, Some(values), None) => Ok(Districting::NodeLabelValues(values)),
            (None, None, Some(pods)) => Ok(Districting::PodNames(pods)),
            (key, values, pods) => {
                let given: Vec<&str> = [
                    key.map(|_| "nodeLabel"),
                    values.map(|_| "nodeLabelValues"),
                    pods.map(|_| "podNames"),
                ]
                .into_iter()
                .flatten()
                .collect();
                let found = if given.is_empty() {
                    "none".to_owned()
                } else {
                    given.join(" and ")
                };
                Err(D::Error::custom(format!(
                    "set exactly one districting mode (nodeLabel, nodeLabelValues or podNames); found {found}"
                )))
            }
        }
    }
}

/// Named districts built from the values of one node label.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct NodeLabelValues {
    /// The node label whose values are listed.
    #[serde(default = "default_key")]
    #[schemars(length(min = 1, max = MAX_LABEL_KEY_LENGTH))]
    pub key: String,
    /// District name to the label values that belong to it. A value may appear in one
    /// district only; a node whose value is listed nowhere hosts no member.
    pub districts: DistrictMap,
}

fn default_key() -> String {
    DEFAULT_NODE_LABEL.to_owned()
}
