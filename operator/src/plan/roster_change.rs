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
    /// starts (docs/protocol.md#105-the-roster-and-the-configuration).
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

        let mut roster_districts = Vec::with_capacity(districts.len());
        for district in districts {
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
            });
        }
        let bootstrap_prime_minister = bootstrap.and_then(|b| b.prime_minister.clone());
        let peer_port = parliament.spec.ports.peer;

        let same_content = published.is_some_and(|p| {
            p.roster.districts == roster_districts
                && p.roster.peer_port == peer_port
                && p.roster.bootstrap_prime_minister == bootstrap_prime_minister
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
