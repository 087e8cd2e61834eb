//! `Observed`: what the operator saw of the world before planning, as plain values.

mod pod;
mod published_roster;

pub use pod::ObservedPod;
pub use published_roster::PublishedRoster;

use std::collections::BTreeMap;

use k8s_openapi::apimachinery::pkg::apis::meta::v1::Time;

/// The world as the operator last saw it, for one Parliament: the pods it selects (and
/// pods still carrying its labels), the labels of their nodes, and the roster it published.
#[derive(Clone, Debug, PartialEq)]
pub struct Observed {
    /// The time of observation; conditions that change get it as lastTransitionTime.
    pub now: Time,
    /// Pods selected by spec.selector, plus pods labelled with this Parliament's name that
    /// no longer match (their labels must come off).
    pub pods: Vec<ObservedPod>,
    /// Node name to the node's labels, for the nodes the pods run on. A node missing here
    /// is treated as a node without labels.
    pub nodes: BTreeMap<String, BTreeMap<String, String>>,
    /// The roster published in the roster ConfigMap, if it exists.
    pub roster: Option<PublishedRoster>,
}
