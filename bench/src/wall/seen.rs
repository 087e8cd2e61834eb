//! What the benchmark reads of the members' roles and links, as plain rows ([`Seen`],
//! [`Links`]) that a host process can send its parent: which member leads the writes of
//! a topology ([`leader`]), and why none did in time ([`why_not`]). The members in this
//! process and those in host processes (`wall-host`) are judged by the same code.

use std::collections::BTreeSet;
use std::time::Duration;

use parliament::node::{MemberRole, NodeHandle};
use parliament_engine::NodeId;
use parliament_engine::engine::Role;
use parliament_engine::westminster::DistrictId;
use serde::{Deserialize, Serialize};

use super::cluster::Topology;

/// One member's roles, as read from its handle.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Seen {
    /// The member.
    pub member: u64,
    /// Its district.
    pub district: u64,
    /// It leads its district group.
    pub district_leader: bool,
    /// Its district term.
    pub district_term: u64,
    /// Its district commit index.
    pub district_commit: u64,
    /// The term of the Commons seat it hosts, if it hosts one.
    pub seat_term: Option<u64>,
    /// It is Prime Minister.
    pub prime_minister: bool,
    /// Its role's label (member, representative, prime-minister…).
    pub role: String,
}

impl Seen {
    /// Reads one member's roles now.
    #[must_use]
    pub fn of(handle: &NodeHandle) -> Seen {
        let roles = handle.roles();
        let v = roles.borrow();
        let role = v.member_role();
        Seen {
            member: v.member.0,
            district: v.district.0,
            district_leader: v.district_role == Role::Leader,
            district_term: v.district_term.0,
            district_commit: v.district_commit.0,
            seat_term: v.seat.as_ref().map(|s| s.term.0),
            prime_minister: role == MemberRole::PrimeMinister,
            role: role.label().to_owned(),
        }
    }
}

/// The member that leads the writes of `topology`: the Prime Minister once all
/// `districts` seats are hosted, or the flat group's leader once it has committed in its
/// term. The newest term wins when two members think they lead.
#[must_use]
pub fn leader(seen: &[Seen], topology: Topology, districts: usize) -> Option<NodeId> {
    let mut hosted = BTreeSet::new();
    let mut best: Option<(u64, u64)> = None;
    for v in seen {
        let term = match topology {
            Topology::Parliament => {
                if v.seat_term.is_some() {
                    hosted.insert(v.district);
                }
                v.seat_term.filter(|_| v.prime_minister)
            }
            Topology::Flat => {
                (v.district_leader && v.district_commit > 0).then_some(v.district_term)
            }
        };
        if let Some(t) = term
            && best.is_none_or(|(bt, _)| t > bt)
        {
            best = Some((t, v.member));
        }
    }
    if topology == Topology::Parliament && hosted.len() < districts {
        return None;
    }
    best.map(|(_, id)| NodeId(id))
}

/// Why [`leader`] named nobody within `bound`: what the roles had reached.
#[must_use]
pub fn why_not(seen: &[Seen], topology: Topology, districts: usize, bound: Duration) -> String {
    let representatives: BTreeSet<_> = seen
        .iter()
        .filter(|v| v.district_leader)
        .map(|v| v.district)
        .collect();
    let hosted: BTreeSet<_> = seen
        .iter()
        .filter(|v| v.seat_term.is_some())
        .map(|v| v.district)
        .collect();
    match topology {
        Topology::Parliament => format!(
            "not convened within {} s: {} of {districts} districts had a representative, {} a hosted seat, and {} Prime Minister",
            bound.as_secs(),
            representatives.len(),
            hosted.len(),
            if seen.iter().any(|v| v.prime_minister) {
                "a"
            } else {
                "no"
            }
        ),
        Topology::Flat => format!(
            "no leader that committed in its term within {} s ({} member(s) thought they led, and terms had reached {})",
            bound.as_secs(),
            seen.iter().filter(|v| v.district_leader).count(),
            seen.iter().map(|v| v.district_term).max().unwrap_or(0)
        ),
    }
}

/// A member's id, district and role, as the progress log names it.
#[must_use]
pub fn describe(seen: &[Seen], id: NodeId) -> String {
    match seen.iter().find(|v| v.member == id.0) {
        Some(v) => format!(
            "member {id} of district {}, {}",
            DistrictId(v.district),
            v.role
        ),
        None => format!("member {id}"),
    }
}

/// The members' links in one or more processes, summed.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Links {
    /// Stream ends the members hold (two per stream: both ends are members).
    pub stream_ends: usize,
    /// Dials that failed.
    pub failed_dials: u64,
    /// Descriptors open in the process(es), when known.
    pub descriptors: Option<usize>,
}

impl Links {
    /// Adds another process's links.
    #[must_use]
    pub fn plus(self, other: Links) -> Links {
        Links {
            stream_ends: self.stream_ends + other.stream_ends,
            failed_dials: self.failed_dials + other.failed_dials,
            descriptors: self.descriptors.zip(other.descriptors).map(|(a, b)| a + b),
        }
    }

    /// The tail of a "not convened" message.
    #[must_use]
    pub fn describe(&self) -> String {
        format!(
            "; by then {} peer streams were up, {} dials had failed, and {} descriptors were open",
            self.stream_ends / 2,
            self.failed_dials,
            self.descriptors
                .map_or_else(|| "unknown".to_owned(), |d| d.to_string())
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(member: u64, district: u64) -> Seen {
        Seen {
            member,
            district,
            district_leader: false,
            district_term: 1,
            district_commit: 0,
            seat_term: None,
            prime_minister: false,
            role: "member".to_owned(),
        }
    }

    #[test]
    fn a_prime_minister_counts_only_once_every_seat_is_hosted() {
        let mut seen = vec![row(1, 0), row(2, 0), row(3, 1), row(4, 1)];
        seen[0].seat_term = Some(3);
        seen[0].prime_minister = true;
        assert_eq!(leader(&seen, Topology::Parliament, 2), None);
        assert!(
            why_not(&seen, Topology::Parliament, 2, Duration::from_secs(9))
                .contains("1 a hosted seat, and a Prime Minister")
        );
        seen[2].seat_term = Some(3);
        assert_eq!(leader(&seen, Topology::Parliament, 2), Some(NodeId(1)));
        // A newer Prime Minister wins over one that has not heard of it yet.
        seen[2].seat_term = Some(4);
        seen[2].prime_minister = true;
        assert_eq!(leader(&seen, Topology::Parliament, 2), Some(NodeId(3)));
    }

    #[test]
    fn a_flat_leader_counts_once_it_has_committed_in_its_term() {
        let mut seen = vec![row(1, 0), row(2, 0), row(3, 0)];
        seen[1].district_leader = true;
        seen[2].district_term = 7;
        assert_eq!(leader(&seen, Topology::Flat, 1), None);
        assert!(
            why_not(&seen, Topology::Flat, 1, Duration::from_secs(9))
                .ends_with("(1 member(s) thought they led, and terms had reached 7)")
        );
        seen[1].district_commit = 1;
        assert_eq!(leader(&seen, Topology::Flat, 1), Some(NodeId(2)));
        assert_eq!(
            describe(&seen, NodeId(2)),
            format!("member {} of district {}, member", NodeId(2), DistrictId(0))
        );
        let sum = Links {
            stream_ends: 4,
            failed_dials: 1,
            descriptors: Some(10),
        }
        .plus(Links {
            stream_ends: 2,
            failed_dials: 0,
            descriptors: Some(5),
        });
        assert_eq!(
            sum.describe(),
            "; by then 3 peer streams were up, 1 dials had failed, and 15 descriptors were open"
        );
    }
}
