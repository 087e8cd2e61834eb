//! `Placement`: which district a pod belongs to under spec.districting, and why not.

use std::collections::BTreeMap;

use parliament_crds::spec::Districting;

use crate::ObservedPod;

/// Where a pod stands under the districting rules.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Placement {
    /// The pod belongs to this district.
    District(String),
    /// The pod belongs to no district; the text says why, naming the node or pod and the
    /// field to change. Reported in the Degraded condition.
    Outside(String),
    /// The pod is not scheduled yet, so its node (and district) is not known. Not a fault.
    Unscheduled,
}

impl Placement {
    /// Places a pod by its node's labels or its name, as spec.districting says.
    #[must_use]
    pub fn of(
        districting: &Districting,
        pod: &ObservedPod,
        nodes: &BTreeMap<String, BTreeMap<String, String>>,
    ) -> Placement {
        let node_value = |key: &str| -> Result<(String, String), Placement> {
            let Some(node) = &pod.node else {
                return Err(Placement::Unscheduled);
            };
            match nodes.get(node).and_then(|labels| labels.get(key)) {
                Some(value) if !value.is_empty() => Ok((node.clone(), value.clone())),
                _ => Err(Placement::Outside(format!(
                    "pod {} runs on node {node}, which has no label {key}",
                    pod.name
                ))),
            }
        };
        match districting {
            Districting::NodeLabel(key) => match node_value(key) {
                Ok((_, value)) => Placement::District(value),
                Err(placement) => placement,
            },
            Districting::NodeLabelValues(values) => match node_value(&values.key) {
                Ok((node, value)) => values
                    .districts
                    .iter()
                    .find(|(_, listed)| listed.contains(&value))
                    .map_or_else(
                        || {
                            Placement::Outside(format!(
                                "pod {} runs on node {node} with {}={value}, a value spec.districting.nodeLabelValues lists in no district",
                                pod.name, values.key
                            ))
                        },
                        |(district, _)| Placement::District(district.to_owned()),
                    ),
                Err(placement) => placement,
            },
            Districting::PodNames(map) => map
                .iter()
                .find(|(_, pods)| pods.contains(&pod.name))
                .map_or_else(
                    || {
                        Placement::Outside(format!(
                            "pod {} is selected but spec.districting.podNames names it in no district",
                            pod.name
                        ))
                    },
                    |(district, _)| Placement::District(district.to_owned()),
                ),
        }
    }
}
