//! `Directory`: the published roster turned into what the core and the transport need —
//! the Westminster roster (districts and member ids), the transport's roster (addresses
//! and certificate identities), and names and client addresses for answers.

use std::collections::{BTreeMap, BTreeSet};

use parliament_crds::Roster as PublishedRoster;
use parliament_engine::NodeId;
use parliament_engine::state::DistrictName;
use parliament_engine::westminster::{DistrictId, DistrictRoster, Roster};

use crate::error::{Error, Result};

/// One member as the directory knows it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Entry {
    /// Its id.
    pub id: NodeId,
    /// Its name (the pod name in Kubernetes).
    pub name: String,
    /// Its district.
    pub district: DistrictId,
    /// Where its peer service listens.
    pub peer_address: String,
    /// Where its client API listens, when other members' clients can reach it.
    pub api_address: Option<String>,
    /// The DNS name its certificate must carry.
    pub identity: String,
}

/// Members and districts of one parliament.
#[derive(Clone, Debug)]
pub struct Directory {
    cluster: String,
    members: BTreeMap<NodeId, Entry>,
    districts: BTreeMap<DistrictId, String>,
    roster: Roster,
    revision: u64,
}

impl Directory {
    /// Reads a published roster. Districts take the ids the operator recorded (in a
    /// roster from before it recorded them, their places in name order), which every
    /// member reads alike, and the Commons' founding districts are those it recorded.
    ///
    /// # Errors
    /// [`Error::Roster`] naming what is wrong: a member without an address, a bad district
    /// name, a bootstrap leader that is not a member, or a roster the core refuses.
    pub fn new(cluster: &str, published: &PublishedRoster) -> Result<Directory> {
        let bad = |what: String| Error::Roster(what);
        let ids: BTreeMap<&str, u64> = published.district_ids().into_iter().collect();
        let mut sorted: Vec<_> = published.districts.iter().collect();
        sorted.sort_by(|a, b| a.name.cmp(&b.name));
        let mut members = BTreeMap::new();
        let mut districts = BTreeMap::new();
        let mut by_pod: BTreeMap<&str, NodeId> = BTreeMap::new();
        let mut roster_districts = Vec::new();
        let mut founders = Vec::new();
        for d in &sorted {
            let id = DistrictId(ids.get(d.name.as_str()).copied().unwrap_or_default());
            if districts.contains_key(&id) {
                return Err(bad(format!(
                    "district id {} is given to two districts ({} and {})",
                    id.0, districts[&id], d.name
                )));
            }
            let name = DistrictName::new(d.name.clone())
                .map_err(|e| bad(format!("district name {:?}: {e}", d.name)))?;
            let mut ids = BTreeSet::new();
            for m in &d.members {
                let host = m.dns.as_deref().or(m.ip.as_deref());
                let peer_address = match (&m.peer_address, host) {
                    (Some(a), _) => a.clone(),
                    (None, Some(h)) => format!("{h}:{}", published.peer_port),
                    (None, None) => {
                        return Err(bad(format!(
                            "member {} ({}) has no peer address, IP or DNS name yet; wait until its pod has an IP",
                            m.pod, m.id
                        )));
                    }
                };
                let identity = m
                    .dns
                    .clone()
                    .unwrap_or_else(|| format!("{}.{cluster}", m.pod));
                let entry = Entry {
                    id: NodeId(m.id),
                    name: m.pod.clone(),
                    district: id,
                    peer_address,
                    api_address: m.api_address.clone(),
                    identity,
                };
                if members.insert(NodeId(m.id), entry).is_some() {
                    return Err(bad(format!("member id {} appears twice", m.id)));
                }
                by_pod.insert(m.pod.as_str(), NodeId(m.id));
                ids.insert(NodeId(m.id));
            }
            let bootstrap_representative = match &d.bootstrap_representative {
                None => None,
                Some(pod) => Some(*by_pod.get(pod.as_str()).ok_or_else(|| {
                    bad(format!(
                        "bootstrap representative {pod} of district {} is not one of its members",
                        d.name
                    ))
                })?),
            };
            districts.insert(id, d.name.clone());
            founders.push((id, d.founder_ids()));
            roster_districts.push((
                id,
                DistrictRoster {
                    name,
                    members: ids,
                    bootstrap_representative,
                },
            ));
        }
        let bootstrap_prime_minister = match &published.bootstrap_prime_minister {
            None => None,
            Some(pod) => {
                let id = by_pod.get(pod.as_str()).ok_or_else(|| {
                    bad(format!("bootstrap Prime Minister {pod} is not a member"))
                })?;
                members.get(id).map(|e| e.district)
            }
        };
        let mut roster = Roster::new(roster_districts, bootstrap_prime_minister)
            .map_err(|e| bad(e.to_string()))?;
        // Every member must start a district from the same first configuration, however
        // the district has grown or shrunk since: the founders the operator recorded.
        for (id, ids) in founders {
            roster = roster
                .with_founders(id, ids.into_iter().map(NodeId))
                .map_err(|e| bad(format!("founders of district {}: {e}", districts[&id])))?;
        }
        // Every member must start the Commons from the same first configuration, however
        // many districts came or went since. A founding district no longer in the roster
        // still counts (its seat was a first voter until a decree removed it).
        if published.founding_districts.is_some() {
            roster = roster
                .with_founding_districts(
                    published
                        .founding_district_ids()
                        .into_iter()
                        .map(DistrictId),
                )
                .map_err(|e| bad(format!("founding districts: {e}")))?;
        }
        Ok(Directory {
            cluster: cluster.to_owned(),
            members,
            districts,
            roster,
            revision: published.revision,
        })
    }

    /// The parliament's name.
    #[must_use]
    pub fn cluster(&self) -> &str {
        &self.cluster
    }

    /// The revision of the published roster this directory was read from.
    #[must_use]
    pub fn revision(&self) -> u64 {
        self.revision
    }

    /// The Westminster roster for the core.
    #[must_use]
    pub fn roster(&self) -> &Roster {
        &self.roster
    }

    /// The transport's roster.
    #[must_use]
    pub fn transport_roster(&self) -> parliament_net::Roster {
        parliament_net::Roster::new(self.members.values().map(|e| parliament_net::Member {
            id: e.id,
            address: e.peer_address.clone(),
            identity: e.identity.clone(),
        }))
    }

    /// One member.
    #[must_use]
    pub fn member(&self, id: NodeId) -> Option<&Entry> {
        self.members.get(&id)
    }

    /// The member named `name`.
    #[must_use]
    pub fn by_name(&self, name: &str) -> Option<&Entry> {
        self.members.values().find(|e| e.name == name)
    }

    /// Every member in id order.
    pub fn members(&self) -> impl Iterator<Item = &Entry> {
        self.members.values()
    }

    /// The name of a district.
    #[must_use]
    pub fn district_name(&self, id: DistrictId) -> &str {
        self.districts.get(&id).map_or("?", String::as_str)
    }

    /// The district called `name`.
    #[must_use]
    pub fn district_by_name(&self, name: &str) -> Option<DistrictId> {
        self.districts
            .iter()
            .find_map(|(id, n)| (n == name).then_some(*id))
    }

    /// The members of a district, in id order.
    pub fn district_members(&self, id: DistrictId) -> impl Iterator<Item = &Entry> {
        self.members.values().filter(move |e| e.district == id)
    }
}

#[cfg(test)]
mod tests {
    use parliament_crds::{RosterDistrict, RosterMember};

    use super::*;

    fn member(id: u64, pod: &str, district: &str) -> RosterMember {
        RosterMember {
            id,
            pod: pod.to_owned(),
            uid: format!("uid-{id}"),
            district: district.to_owned(),
            ip: Some(format!("10.0.0.{id}")),
            ..RosterMember::default()
        }
    }

    fn published() -> PublishedRoster {
        PublishedRoster {
            revision: 1,
            generation: 1,
            peer_port: 7400,
            districts: vec![
                RosterDistrict {
                    name: "west".to_owned(),
                    members: vec![member(3, "web-2", "west")],
                    bootstrap_representative: None,
                    founders: None,
                    id: None,
                },
                RosterDistrict {
                    name: "east".to_owned(),
                    members: vec![member(1, "web-0", "east"), member(2, "web-1", "east")],
                    bootstrap_representative: Some("web-1".to_owned()),
                    founders: None,
                    id: None,
                },
            ],
            bootstrap_prime_minister: Some("web-2".to_owned()),
            ..PublishedRoster::default()
        }
    }

    #[test]
    fn districts_are_numbered_in_name_order_and_addresses_derived() {
        let d = Directory::new("web", &published()).expect("valid roster");
        assert_eq!(d.district_by_name("east"), Some(DistrictId(0)));
        assert_eq!(d.district_by_name("west"), Some(DistrictId(1)));
        let e = d.member(NodeId(2)).expect("member 2");
        assert_eq!(e.peer_address, "10.0.0.2:7400");
        assert_eq!(e.identity, "web-1.web");
        assert_eq!(
            d.roster()
                .district(DistrictId(0))
                .and_then(|r| r.bootstrap_representative),
            Some(NodeId(2))
        );
        assert_eq!(d.roster().bootstrap_prime_minister(), Some(DistrictId(1)));
        assert_eq!(d.transport_roster().members().count(), 3);
    }

    #[test]
    fn recorded_district_ids_and_founding_districts_reach_the_core() {
        let mut p = published();
        // "central" sorts first but was published last: it keeps the id it was given.
        p.districts.push(RosterDistrict {
            name: "central".to_owned(),
            members: vec![member(5, "web-4", "central")],
            id: Some(2),
            ..RosterDistrict::default()
        });
        p.districts[0].id = Some(1);
        p.districts[1].id = Some(0);
        p.founding_districts = Some(vec![0, 1]);
        let d = Directory::new("web", &p).expect("valid roster");
        assert_eq!(d.district_by_name("east"), Some(DistrictId(0)));
        assert_eq!(d.district_by_name("west"), Some(DistrictId(1)));
        assert_eq!(d.district_by_name("central"), Some(DistrictId(2)));
        assert_eq!(
            d.roster().founding_districts(),
            [DistrictId(0), DistrictId(1)].into_iter().collect()
        );
        p.districts[2].id = Some(1);
        let err = Directory::new("web", &p)
            .map(|_| ())
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("district id 1 is given to two districts"),
            "{err}"
        );
    }

    #[test]
    fn recorded_founders_reach_the_core_and_later_members_are_not_founders() {
        let mut p = published();
        p.districts[1].members.push(member(4, "web-3", "east"));
        p.districts[1].founders = Some(vec![1, 2, 9]);
        let d = Directory::new("web", &p).expect("valid roster");
        let east = DistrictId(0);
        let founders: Vec<NodeId> = d
            .roster()
            .founders(east)
            .map(|f| f.iter().copied().collect())
            .unwrap_or_default();
        assert_eq!(founders, [NodeId(1), NodeId(2), NodeId(9)]);
        p.districts[1].founders = None;
        let d = Directory::new("web", &p).expect("valid roster");
        assert_eq!(
            d.roster().founders(east).map(BTreeSet::len),
            Some(3),
            "absent: the members are the founders"
        );
    }

    #[test]
    fn a_member_without_an_address_is_refused_by_name() {
        let mut p = published();
        p.districts[0].members[0].ip = None;
        let err = Directory::new("web", &p).expect_err("no address");
        assert!(err.to_string().contains("web-2"), "{err}");
    }

    #[test]
    fn a_bootstrap_leader_outside_the_district_is_refused() {
        let mut p = published();
        p.districts[1].bootstrap_representative = Some("web-2".to_owned());
        let err = Directory::new("web", &p).expect_err("outside");
        assert!(err.to_string().contains("web-2"), "{err}");
    }
}
