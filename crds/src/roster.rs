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
    /// Ids of the districts whose seats were the Commons' first voters, recorded with the
    /// first roster that has any district and never changed after: a district published
    /// later joins the Commons as a learner through an `AddDistrict` decree, and every
    /// member, whenever it starts, must agree on the Commons' first configuration. Absent
    /// in rosters from before it was recorded: then every district of the roster.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub founding_districts: Option<Vec<u64>>,
    /// The id the next new district gets: above every id ever given, so a district that
    /// left and one that comes later never share a Commons seat.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub next_district_id: u64,
}

fn is_zero(n: &u64) -> bool {
    *n == 0
}

/// One district of the roster.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RosterDistrict {
    /// District name (the value of the parliament.dev/district label).
    pub name: String,
    /// The district's number in the engine (its `DistrictId`, hence its Commons seat),
    /// given the first time the district is published and never changed or reused, so
    /// that adding or removing another district never renumbers it. Absent in rosters
    /// from before it was recorded: then districts are numbered in name order.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<u64>,
    /// Members in pod-name order.
    pub members: Vec<RosterMember>,
    /// Pod named to campaign first for this district's seat (spec.bootstrap), kept only
    /// until the Parliament has convened.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bootstrap_representative: Option<String>,
    /// Member ids the district first ran with: the voters of its first configuration,
    /// recorded the first time the district is published and never changed after (a
    /// founder that leaves stays a founder; later members join as learners). Absent in
    /// rosters from before founders were recorded: then the members are the founders.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub founders: Option<Vec<u64>>,
}

impl RosterDistrict {
    /// The founders' ids: as recorded, else the members' ids.
    #[must_use]
    pub fn founder_ids(&self) -> Vec<u64> {
        match &self.founders {
            Some(ids) => ids.clone(),
            None => self.members.iter().map(|m| m.id).collect(),
        }
    }
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
    /// Where this member's peer service listens (`host:port`) when that is not
    /// `<dns or ip>:<peerPort>`: `parliament up` runs every member on 127.0.0.1, each
    /// with its own ports. The operator leaves it out.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub peer_address: Option<String>,
    /// Where this member's client API listens (`host:port`), so that a member can tell a
    /// client where the leader is. Absent in Kubernetes, where each pod's API is on its
    /// own localhost.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub api_address: Option<String>,
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

    /// Each district's id, in roster order: as recorded, else (a roster from before ids
    /// were recorded) its place in name order, which is how such rosters were read.
    #[must_use]
    pub fn district_ids(&self) -> Vec<(&str, u64)> {
        let mut names: Vec<&str> = self.districts.iter().map(|d| d.name.as_str()).collect();
        names.sort_unstable();
        self.districts
            .iter()
            .map(|d| {
                let id = d
                    .id
                    .unwrap_or_else(|| names.iter().position(|n| *n == d.name).unwrap_or(0) as u64);
                (d.name.as_str(), id)
            })
            .collect()
    }

    /// The founding districts' ids: as recorded, else every district's.
    #[must_use]
    pub fn founding_district_ids(&self) -> Vec<u64> {
        match &self.founding_districts {
            Some(ids) => ids.clone(),
            None => self.district_ids().into_iter().map(|(_, id)| id).collect(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn member(id: u64, pod: &str, district: &str) -> RosterMember {
        RosterMember {
            id,
            pod: pod.to_owned(),
            uid: format!("uid-{pod}"),
            district: district.to_owned(),
            ip: Some(format!("10.0.0.{id}")),
            dns: None,
            peer_address: None,
            api_address: None,
        }
    }

    fn roster() -> Roster {
        Roster {
            revision: 7,
            generation: 2,
            peer_port: 7400,
            districts: vec![
                RosterDistrict {
                    name: "east".to_owned(),
                    members: vec![member(1, "web-0", "east"), member(2, "web-1", "east")],
                    bootstrap_representative: Some("web-0".to_owned()),
                    founders: Some(vec![1]),
                    id: Some(4),
                },
                RosterDistrict {
                    name: "west".to_owned(),
                    members: vec![member(3, "web-2", "west")],
                    bootstrap_representative: None,
                    founders: None,
                    id: Some(2),
                },
            ],
            bootstrap_prime_minister: Some("web-0".to_owned()),
            founding_districts: Some(vec![2]),
            next_district_id: 5,
        }
    }

    #[test]
    fn roster_survives_the_config_map() {
        let roster = roster();
        let json = roster.to_json().expect("serialises");
        assert!(
            json.contains("\"peerPort\": 7400"),
            "camelCase keys: {json}"
        );
        assert!(
            !json.contains("\"dns\""),
            "absent fields are left out: {json}"
        );
        assert_eq!(Roster::from_json(&json).expect("reads back"), roster);
    }

    #[test]
    fn members_are_found_by_pod_name() {
        let roster = roster();
        let (district, member) = roster.member("web-2").expect("web-2 is a member");
        assert_eq!((district.name.as_str(), member.id), ("west", 3));
        assert!(roster.member("web-9").is_none());
        let ids: Vec<u64> = roster.members().map(|m| m.id).collect();
        assert_eq!(ids, [1, 2, 3]);
    }

    #[test]
    fn founders_default_to_the_members() {
        let roster = roster();
        assert_eq!(roster.districts[0].founder_ids(), [1], "as recorded");
        assert_eq!(
            roster.districts[1].founder_ids(),
            [3],
            "absent: the members"
        );
        let json = roster.to_json().expect("serialises");
        assert!(json.contains("\"founders\""), "{json}");
        // The same roster as a build from before founders wrote it: no such field.
        let mut value: serde_json::Value = serde_json::from_str(&json).expect("json");
        for d in value["districts"].as_array_mut().expect("districts") {
            d.as_object_mut().expect("a district").remove("founders");
        }
        let old = value.to_string();
        assert!(!old.contains("founders"), "an older roster: {old}");
        let read = Roster::from_json(&old).expect("an older roster reads");
        assert_eq!(read.districts[0].founders, None);
    }

    #[test]
    fn district_ids_and_founding_districts_are_recorded_else_name_order() {
        let roster = roster();
        assert_eq!(roster.district_ids(), [("east", 4), ("west", 2)]);
        assert_eq!(roster.founding_district_ids(), [2]);
        // A roster from before ids were recorded, districts listed out of name order.
        let mut old = roster.clone();
        old.districts.reverse();
        for d in &mut old.districts {
            d.id = None;
        }
        old.founding_districts = None;
        old.next_district_id = 0;
        let json = old.to_json().expect("serialises");
        assert!(
            !json.contains("\"id\": 4") && !json.contains("foundingDistricts"),
            "{json}"
        );
        let read = Roster::from_json(&json).expect("reads");
        assert_eq!(read.district_ids(), [("west", 1), ("east", 0)]);
        assert_eq!(read.founding_district_ids(), [1, 0]);
    }

    #[test]
    fn a_malformed_roster_is_an_error_not_a_panic() {
        let error = Roster::from_json(r#"{"revision": "seven"}"#).expect_err("not a roster");
        assert!(
            error
                .to_string()
                .starts_with("cannot read or write the roster"),
            "{error}"
        );
    }
}
