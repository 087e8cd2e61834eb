//! `RosterChange`: the next roster, with stable member ids, and who joined or left.

use std::collections::{BTreeMap, HashMap};

use parliament_crds::{Parliament, Roster, RosterDistrict, RosterMember};

use crate::plan::PlannedDistrict;
use crate::{ObservedPod, PublishedRoster};

/// A member that joined or left, as named in Events.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MemberMove {
    /// Pod name.
    pub pod: String,
    /// District joined or left.
    pub district: String,
    /// Member id given or retired.
    pub id: u64,
}

/// The roster to publish and how it differs from the published one.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RosterChange {
    /// The roster, unchanged (same revision) when nothing in it changed.
    pub next: PublishedRoster,
    /// Whether `next` differs from the published roster and must be written.
    pub changed: bool,
    /// Members new in this roster, in roster order.
    pub joined: Vec<MemberMove>,
    /// Members gone from this roster (their ids are retired), in roster order.
    pub left: Vec<MemberMove>,
}

impl RosterChange {
    /// Computes the roster for `districts` (built from `pods`).
    ///
    /// A pod keeps its id for as long as its UID is in the roster, even if it moves to
    /// another district; a new UID (a new pod, or a pod recreated under the same name) gets
    /// the next id above every id ever given. Bootstrap leaders are named until the
    /// Parliament has convened (a Prime Minister is in status) and, once dropped, never
    /// come back. A district's founders (the voters of its first configuration) are its
    /// members the first time it is published with any, and are carried forward
    /// unchanged: every member must compute the same first configuration, whenever it
    /// starts (docs/protocol.md#105-the-roster-and-the-configuration). Likewise a district
    /// keeps the id it was first published with (a new one gets the next id ever given),
    /// and the Commons' founding districts are recorded with the first roster that has a
    /// member (docs/protocol.md#106-adding-and-removing-districts).
    #[must_use]
    pub fn compute(
        parliament: &Parliament,
        districts: &[PlannedDistrict],
        pods: &[ObservedPod],
        published: Option<&PublishedRoster>,
    ) -> RosterChange {
        let empty = PublishedRoster::default();
        let old = published.unwrap_or(&empty);
        let mut next_id = old.next_id();
        let ids: HashMap<&str, u64> = old
            .roster
            .members()
            .map(|m| (m.uid.as_str(), m.id))
            .collect();
        let pods: HashMap<&str, &ObservedPod> = pods.iter().map(|p| (p.name.as_str(), p)).collect();

        let convened = parliament
            .status
            .as_ref()
            .is_some_and(|s| s.prime_minister.is_some());
        let bootstrap_dropped = published.is_some_and(|p| {
            p.roster.bootstrap_prime_minister.is_none()
                && p.roster
                    .districts
                    .iter()
                    .all(|d| d.bootstrap_representative.is_none())
        });
        let bootstrap = parliament
            .spec
            .bootstrap
            .as_ref()
            .filter(|_| !convened && !bootstrap_dropped);

        // District ids: as the published roster has them (in one from before ids were
        // recorded, their name-order places, which is how members read it), a new
        // district the next id above every id ever given.
        let old_ids: HashMap<&str, u64> = old.roster.district_ids().into_iter().collect();
        let mut next_district = old
            .roster
            .next_district_id
            .max(old_ids.values().map(|i| i + 1).max().unwrap_or(0));
        let mut roster_districts = Vec::with_capacity(districts.len());
        for district in districts {
            let district_id = old_ids
                .get(district.name.as_str())
                .copied()
                .unwrap_or_else(|| {
                    let id = next_district;
                    next_district += 1;
                    id
                });
            let mut members = Vec::with_capacity(district.members.len());
            for name in &district.members {
                let Some(pod) = pods.get(name.as_str()) else {
                    continue;
                };
                let id = ids.get(pod.uid.as_str()).copied().unwrap_or_else(|| {
                    let id = next_id;
                    next_id += 1;
                    id
                });
                members.push(RosterMember {
                    id,
                    pod: pod.name.clone(),
                    uid: pod.uid.clone(),
                    district: district.name.clone(),
                    ip: pod.ip.clone(),
                    dns: pod.dns.clone(),
                    peer_address: None,
                    api_address: None,
                });
            }
            let founders = founders(&old.roster, &district.name, &members);
            roster_districts.push(RosterDistrict {
                name: district.name.clone(),
                members,
                bootstrap_representative: bootstrap
                    .and_then(|b| b.representatives.get(&district.name))
                    .cloned(),
                founders,
                id: Some(district_id),
            });
        }
        let founding_districts = founding_districts(&old.roster, &roster_districts);
        let bootstrap_prime_minister = bootstrap.and_then(|b| b.prime_minister.clone());
        let peer_port = parliament.spec.ports.peer;

        let same_content = published.is_some_and(|p| {
            p.roster.districts == roster_districts
                && p.roster.peer_port == peer_port
                && p.roster.bootstrap_prime_minister == bootstrap_prime_minister
                && p.roster.founding_districts == founding_districts
                && p.roster.next_district_id == next_district
                && p.next_member_id == next_id
        });
        if same_content {
            return RosterChange {
                next: old.clone(),
                changed: false,
                joined: Vec::new(),
                left: Vec::new(),
            };
        }
        let next = PublishedRoster {
            roster: Roster {
                revision: old.roster.revision + 1,
                generation: parliament.metadata.generation.unwrap_or_default(),
                peer_port,
                districts: roster_districts,
                bootstrap_prime_minister,
                founding_districts,
                next_district_id: next_district,
            },
            next_member_id: next_id,
        };
        let (joined, left) = moves(&old.roster, &next.roster);
        RosterChange {
            next,
            changed: true,
            joined,
            left,
        }
    }
}

/// The founders of district `name`: those `old` recorded (or, in a roster from before
/// founders were recorded, its members then), else the members it is first published
/// with; `None` while it has never had a member.
fn founders(old: &Roster, name: &str, members: &[RosterMember]) -> Option<Vec<u64>> {
    let recorded = old
        .districts
        .iter()
        .find(|d| d.name == name)
        .map(RosterDistrict::founder_ids)
        .filter(|ids| !ids.is_empty());
    recorded.or_else(|| (!members.is_empty()).then(|| members.iter().map(|m| m.id).collect()))
}

/// The Commons' founding districts: those `old` recorded; else (a roster from before
/// they were recorded, or none yet) the districts `old` published with members, else the
/// districts published with members now; `None` while no district has a member.
fn founding_districts(old: &Roster, districts: &[RosterDistrict]) -> Option<Vec<u64>> {
    if old.founding_districts.is_some() {
        return old.founding_districts.clone();
    }
    let with_members = |ids: Vec<(u64, bool)>| {
        let mut ids: Vec<u64> = ids
            .into_iter()
            .filter(|(_, m)| *m)
            .map(|(i, _)| i)
            .collect();
        ids.sort_unstable();
        (!ids.is_empty()).then_some(ids)
    };
    let before = old
        .district_ids()
        .into_iter()
        .zip(&old.districts)
        .map(|((_, id), d)| (id, !d.members.is_empty()))
        .collect();
    with_members(before).or_else(|| {
        with_members(
            districts
                .iter()
                .filter_map(|d| d.id.map(|id| (id, !d.members.is_empty())))
                .collect(),
        )
    })
}

/// Members in `new` but not `old`, and in `old` but not `new`, by (UID, district).
fn moves(old: &Roster, new: &Roster) -> (Vec<MemberMove>, Vec<MemberMove>) {
    let key = |m: &RosterMember| (m.uid.clone(), m.district.clone());
    let before: BTreeMap<_, _> = old.members().map(|m| (key(m), m)).collect();
    let after: BTreeMap<_, _> = new.members().map(|m| (key(m), m)).collect();
    let to_move = |m: &RosterMember| MemberMove {
        pod: m.pod.clone(),
        district: m.district.clone(),
        id: m.id,
    };
    let joined = new
        .members()
        .filter(|m| !before.contains_key(&key(m)))
        .map(to_move)
        .collect();
    let left = old
        .members()
        .filter(|m| !after.contains_key(&key(m)))
        .map(to_move)
        .collect();
    (joined, left)
}
