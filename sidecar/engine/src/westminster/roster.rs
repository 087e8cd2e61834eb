//! The roster: which members exist, which district each belongs to, and who is named
//! to lead first.

use std::collections::{BTreeMap, BTreeSet};

use crate::state::DistrictName;
use crate::types::NodeId;
use crate::westminster::DistrictId;

/// One district in the roster.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DistrictRoster {
    /// Its name (the `<name>` of the `district/<name>` scope).
    pub name: DistrictName,
    /// Its members.
    pub members: BTreeSet<NodeId>,
    /// The member named to campaign first, if any.
    pub bootstrap_representative: Option<NodeId>,
}

/// Every district and member of a parliament.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Roster {
    districts: BTreeMap<DistrictId, DistrictRoster>,
    member_district: BTreeMap<NodeId, DistrictId>,
    bootstrap_prime_minister: Option<DistrictId>,
    /// Each district's founders, where they differ from its members: the voters of its
    /// configuration before any membership change (docs/protocol.md#105-the-roster-and-the-configuration).
    founders: BTreeMap<DistrictId, BTreeSet<NodeId>>,
    /// The districts whose seats were the Commons' first voters, where they differ from
    /// the roster's districts (docs/protocol.md#106-adding-and-removing-districts).
    founding_districts: Option<BTreeSet<DistrictId>>,
}

/// A roster that cannot run.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum RosterError {
    /// No districts at all.
    #[error("the roster has no districts; name at least one")]
    Empty,
    /// A district without members.
    #[error("district {0} has no members; give it at least one or remove it")]
    EmptyDistrict(String),
    /// A member listed in two districts.
    #[error("member {member} is in both {first} and {second}; a member belongs to one district")]
    TwoDistricts {
        /// The member.
        member: NodeId,
        /// One district.
        first: String,
        /// The other.
        second: String,
    },
    /// Two districts with one name.
    #[error("two districts are named {0}; names must be unique")]
    DuplicateName(String),
    /// A bootstrap representative outside its district.
    #[error("bootstrap representative {member} of {district} is not a member of it")]
    BootstrapOutside {
        /// The member named.
        member: NodeId,
        /// The district.
        district: String,
    },
    /// A bootstrap Prime Minister district that does not exist.
    #[error("bootstrap Prime Minister district {0} is not in the roster")]
    UnknownPrimeMinister(DistrictId),
}

impl Roster {
    /// The roster with `district` founded by `founders` (the members it first ran
    /// with): its members not among them join as learners and are promoted by the
    /// district leader, members it no longer lists are removed
    /// (docs/protocol.md#105-the-roster-and-the-configuration).
    ///
    /// # Errors
    /// [`RosterError::EmptyDistrict`] for no founders or an unknown district.
    pub fn with_founders(
        mut self,
        district: DistrictId,
        founders: impl IntoIterator<Item = NodeId>,
    ) -> Result<Roster, RosterError> {
        let founders: BTreeSet<NodeId> = founders.into_iter().collect();
        let Some(d) = self.districts.get(&district) else {
            return Err(RosterError::EmptyDistrict(format!("{district:?}")));
        };
        if founders.is_empty() {
            return Err(RosterError::EmptyDistrict(d.name.as_str().to_owned()));
        }
        if founders == d.members {
            self.founders.remove(&district);
        } else {
            self.founders.insert(district, founders);
        }
        Ok(self)
    }

    /// The roster with the Commons founded by `districts` (the districts it first ran
    /// with): a district added later gets a seat only by a ratified
    /// `Amendment::AddDistrict`, one removed loses it by `Amendment::RemoveDistricts`.
    ///
    /// # Errors
    /// [`RosterError::Empty`] for no founding district.
    pub fn with_founding_districts(
        mut self,
        districts: impl IntoIterator<Item = DistrictId>,
    ) -> Result<Roster, RosterError> {
        let districts: BTreeSet<DistrictId> = districts.into_iter().collect();
        if districts.is_empty() {
            return Err(RosterError::Empty);
        }
        let all: BTreeSet<DistrictId> = self.districts.keys().copied().collect();
        self.founding_districts = (districts != all).then_some(districts);
        Ok(self)
    }

    /// Whether the founding districts were named ([`Roster::with_founding_districts`])
    /// rather than taken to be the roster's districts.
    pub(crate) fn names_founding_districts(&self) -> bool {
        self.founding_districts.is_some()
    }

    /// The districts whose seats were the Commons' first voters: by default the
    /// roster's districts.
    #[must_use]
    pub fn founding_districts(&self) -> BTreeSet<DistrictId> {
        self.founding_districts
            .clone()
            .unwrap_or_else(|| self.districts.keys().copied().collect())
    }

    /// This roster with only the districts in `keep` (e.g. those with a Commons seat).
    #[must_use]
    pub fn only(&self, keep: &BTreeSet<DistrictId>) -> Roster {
        let mut out = self.clone();
        out.districts.retain(|d, _| keep.contains(d));
        out.member_district.retain(|_, d| keep.contains(d));
        out.founders.retain(|d, _| keep.contains(d));
        if out
            .bootstrap_prime_minister
            .is_some_and(|d| !keep.contains(&d))
        {
            out.bootstrap_prime_minister = None;
        }
        out
    }

    /// The voters of `district`'s first configuration: its founders, by default its
    /// members.
    #[must_use]
    pub fn founders(&self, district: DistrictId) -> Option<&BTreeSet<NodeId>> {
        self.founders
            .get(&district)
            .or_else(|| self.districts.get(&district).map(|d| &d.members))
    }

    /// Checks and builds a roster.
    ///
    /// # Errors
    /// A [`RosterError`] naming the district or member at fault.
    pub fn new(
        districts: impl IntoIterator<Item = (DistrictId, DistrictRoster)>,
        bootstrap_prime_minister: Option<DistrictId>,
    ) -> Result<Roster, RosterError> {
        let districts: BTreeMap<DistrictId, DistrictRoster> = districts.into_iter().collect();
        if districts.is_empty() {
            return Err(RosterError::Empty);
        }
        let mut member_district = BTreeMap::new();
        let mut names = BTreeSet::new();
        for (&id, d) in &districts {
            let name = d.name.as_str().to_owned();
            if !names.insert(name.clone()) {
                return Err(RosterError::DuplicateName(name));
            }
            if d.members.is_empty() {
                return Err(RosterError::EmptyDistrict(name));
            }
            for &m in &d.members {
                if let Some(other) = member_district.insert(m, id) {
                    return Err(RosterError::TwoDistricts {
                        member: m,
                        first: districts
                            .get(&other)
                            .map_or_else(String::new, |o| o.name.as_str().to_owned()),
                        second: name,
                    });
                }
            }
            if let Some(b) = d.bootstrap_representative
                && !d.members.contains(&b)
            {
                return Err(RosterError::BootstrapOutside {
                    member: b,
                    district: name,
                });
            }
        }
        if let Some(pm) = bootstrap_prime_minister
            && !districts.contains_key(&pm)
        {
            return Err(RosterError::UnknownPrimeMinister(pm));
        }
        Ok(Roster {
            districts,
            member_district,
            bootstrap_prime_minister,
            founders: BTreeMap::new(),
            founding_districts: None,
        })
    }

    /// The district of `member`, if it is in the roster.
    #[must_use]
    pub fn district_of(&self, member: NodeId) -> Option<DistrictId> {
        self.member_district.get(&member).copied()
    }

    /// One district.
    #[must_use]
    pub fn district(&self, id: DistrictId) -> Option<&DistrictRoster> {
        self.districts.get(&id)
    }

    /// Every district, in id order.
    pub fn districts(&self) -> impl Iterator<Item = (DistrictId, &DistrictRoster)> {
        self.districts.iter().map(|(id, d)| (*id, d))
    }

    /// Every seat of the Commons.
    pub fn seats(&self) -> impl Iterator<Item = NodeId> + '_ {
        self.districts.keys().map(|d| d.seat())
    }

    /// Every member, in id order.
    pub fn members(&self) -> impl Iterator<Item = NodeId> + '_ {
        self.member_district.keys().copied()
    }

    /// The district named to lead the Commons first, if any.
    #[must_use]
    pub fn bootstrap_prime_minister(&self) -> Option<DistrictId> {
        self.bootstrap_prime_minister
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn district(name: &str, members: &[u64]) -> DistrictRoster {
        DistrictRoster {
            name: DistrictName::new(name).unwrap(),
            members: members.iter().copied().map(NodeId).collect(),
            bootstrap_representative: None,
        }
    }

    #[test]
    fn a_valid_roster_answers_lookups() {
        let r = Roster::new(
            [
                (DistrictId(0), district("a", &[1, 2])),
                (DistrictId(1), district("b", &[3])),
            ],
            None,
        )
        .unwrap();
        assert_eq!(r.district_of(NodeId(3)), Some(DistrictId(1)));
        assert_eq!(r.district_of(NodeId(9)), None);
        assert_eq!(r.seats().collect::<Vec<_>>(), vec![NodeId(0), NodeId(1)]);
    }

    #[test]
    fn broken_rosters_are_refused_with_the_culprit_named() {
        type Case = (
            Vec<(DistrictId, DistrictRoster)>,
            Option<DistrictId>,
            &'static str,
        );
        let cases: Vec<Case> = vec![
            (vec![], None, "no districts"),
            (
                vec![(DistrictId(0), district("a", &[]))],
                None,
                "district a has no members",
            ),
            (
                vec![
                    (DistrictId(0), district("a", &[1])),
                    (DistrictId(1), district("b", &[1])),
                ],
                None,
                "member n1 is in both a and b",
            ),
            (
                vec![
                    (DistrictId(0), district("a", &[1])),
                    (DistrictId(1), district("a", &[2])),
                ],
                None,
                "two districts are named a",
            ),
            (
                vec![(DistrictId(0), district("a", &[1]))],
                Some(DistrictId(4)),
                "d4 is not in the roster",
            ),
        ];
        for (districts, pm, want) in cases {
            let err = Roster::new(districts, pm).unwrap_err().to_string();
            assert!(err.contains(want), "{err:?} should contain {want:?}");
        }
        let mut d = district("a", &[1]);
        d.bootstrap_representative = Some(NodeId(2));
        let err = Roster::new([(DistrictId(0), d)], None)
            .unwrap_err()
            .to_string();
        assert!(err.contains("n2 of a is not a member"), "{err}");
    }
}
