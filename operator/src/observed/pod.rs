//! `ObservedPod`: the facts about one pod that planning needs.

use std::collections::BTreeMap;

/// One pod as the operator saw it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ObservedPod {
    /// Pod name.
    pub name: String,
    /// Pod UID: a recreated pod with the same name is a new member.
    pub uid: String,
    /// Node the pod is scheduled on, if any.
    pub node: Option<String>,
    /// Pod IP, once it has one.
    pub ip: Option<String>,
    /// Stable DNS name (hostname.subdomain.namespace.svc) when the pod has both.
    pub dns: Option<String>,
    /// Whether the Ready condition is true.
    pub ready: bool,
    /// The pod's labels.
    pub labels: BTreeMap<String, String>,
    /// Whether the pod has a deletion timestamp: it is leaving.
    pub deleting: bool,
    /// Whether the pod has finished (phase Succeeded or Failed): it will not come back.
    pub finished: bool,
    /// Whether spec.selector matches the pod; false for a pod that only still carries
    /// this Parliament's labels.
    pub selected: bool,
}
