//! `Roster`: the membership the operator publishes and every sidecar reads.
//!
//! The operator computes districts from the spec and the selected pods, and writes the
//! roster as JSON under [`ROSTER_KEY`](crate::labels::ROSTER_KEY) in the ConfigMap named by
//! [`roster_config_map_name`](crate::labels::roster_config_map_name), owned by the
//! Parliament. Sidecars watch it; the Parliament turns a changed roster into membership
//! decrees, so the roster is a proposal of membership, not the membership itself.

use serde::{Deserialize, Serialize};

use crate::{Error, Result};

/// Districts and their member pods, as the operator last saw them.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Roster {
    /// Rises by one with every change of the roster; a sidecar ignores a roster older than
    /// the newest it has applied (ConfigMap watches may replay old versions).
    pub revision: u64,
    /// The Parliament's metadata.generation this roster was computed from.
    pub generation: i64,
    /// Port of the peer protocol on every member (spec.ports.peer).
    pub peer_port: u16,
    /// Districts in name order.
    pub districts: Vec<RosterDistrict>,
    /// Pod named to campaign first for Prime Minister (spec.bootstrap.primeMinister), kept
    /// only until the Parliament has convened.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bootstrap_prime_minister: Option<String>,
}

/// One district of the roster.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RosterDistrict {
    /// District name (the value of the parliament.dev/district label).
    pub name: String,
    /// Members in pod-name order.
    pub members: Vec<RosterMember>,
    /// Pod named to campaign first for this district's seat (spec.bootstrap), kept only
    /// until the Parliament has convened.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bootstrap_representative: Option<String>,
}

/// One member pod.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RosterMember {
    /// Member id used by the consensus engine (its `NodeId`). The operator assigns it when
    /// the pod first joins and never reuses it, so a replaced pod with the same name is a
    /// new member and cannot inherit an old vote.
    pub id: u64,
    /// Pod name.
    pub pod: String,
    /// Pod UID, to tell a recreated pod from its predecessor.
    pub uid: String,
    /// District the member belongs to; always the enclosing district's name.
    pub district: String,
    /// Pod IP, absent until the pod has one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ip: Option<String>,
    /// Stable DNS name, when the pod has one (a StatefulSet pod behind a headless Service:
    /// pod.service.namespace.svc). Peers prefer it to the IP.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dns: Option<String>,
}

impl Roster {
    /// Parses a roster published by the operator.
    ///
    /// # Errors
    /// [`Error::Roster`] when the text is not a roster.
    pub fn from_json(text: &str) -> Result<Roster> {
        serde_json::from_str(text).map_err(|source| Error::Roster { source })
    }

    /// The roster as JSON, in the form the operator publishes.
    ///
    /// # Errors
    /// [`Error::Roster`] when serialisation fails (it does not for rosters built in memory).
    pub fn to_json(&self) -> Result<String> {
        serde_json::to_string_pretty(self).map_err(|source| Error::Roster { source })
    }

    /// Finds a pod: its district and its roster entry.
    #[must_use]
    pub fn member(&self, pod: &str) -> Option<(&RosterDistrict, &RosterMember)> {
        self.districts
            .iter()
            .find_map(|d| d.members.iter().find(|m| m.pod == pod).map(|m| (d, m)))
    }

    /// Every member, district by district.
    pub fn members(&self) -> impl Iterator<Item = &RosterMember> {
        self.districts.iter().flat_map(|d| d.members.iter())
    }
}
