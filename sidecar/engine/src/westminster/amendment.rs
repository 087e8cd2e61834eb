//! Amendments: configuration changes of the parliament that are critical decrees, and
//! the constitution a Lord checks each against (docs/protocol.md#113-the-house-of-lords).

use std::collections::BTreeSet;
use std::time::Duration;

use crate::types::NodeId;
use crate::westminster::{DistrictId, MemberConfig};

/// A change to the parliament's configuration. It takes effect only once a majority of
/// the seated Lords voted aye; the Commons records that it was ratified
/// ([`Member::enacted`](crate::westminster::Member::enacted)). A term-limit change is
/// applied by every member at once; roster changes are carried out by the operator,
/// which reads them from there.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Amendment {
    /// A new district with these members.
    AddDistrict {
        /// Its id.
        district: DistrictId,
        /// Its members.
        members: BTreeSet<NodeId>,
    },
    /// Districts to remove.
    RemoveDistricts {
        /// Their ids.
        districts: BTreeSet<DistrictId>,
    },
    /// A district's members from now on.
    SetDistrictMembers {
        /// The district.
        district: DistrictId,
        /// Its members.
        members: BTreeSet<NodeId>,
    },
    /// New term limits (docs/protocol.md#112-term-limits).
    SetTermLimits {
        /// Representatives' limit; `None` off.
        representative: Option<Duration>,
        /// The Prime Minister's limit; `None` off.
        prime_minister: Option<Duration>,
    },
}

impl Amendment {
    /// Why this amendment breaks the constitution for a parliament configured as
    /// `config`, or `None` when a Lord may vote aye. The constitution: never remove or
    /// replace a majority of districts at once, never leave a district without a
    /// majority of its members, never set a term limit shorter than its level's
    /// election timeout, and only change districts that sit (or add ones that do not).
    /// `seated` are the districts with a Commons seat by decree: the founding ones,
    /// those added, less those removed.
    #[must_use]
    pub fn breaks_constitution(
        &self,
        config: &MemberConfig,
        seated: &BTreeSet<DistrictId>,
    ) -> Option<String> {
        let roster = &config.roster;
        let districts = seated.len();
        match self {
            Amendment::AddDistrict { district, members } => {
                if seated.contains(district) {
                    return Some(format!("district {district} has a seat already"));
                }
                if members.is_empty() {
                    return Some(format!("district {district} would have no members"));
                }
                let taken: Vec<NodeId> = members
                    .iter()
                    .copied()
                    .filter(|m| {
                        roster
                            .district_of(*m)
                            .is_some_and(|d| d != *district && seated.contains(&d))
                    })
                    .collect();
                (!taken.is_empty())
                    .then(|| format!("members {taken:?} already belong to a district"))
            }
            Amendment::RemoveDistricts { districts: gone } => {
                if let Some(d) = gone.iter().find(|d| !seated.contains(d)) {
                    return Some(format!("district {d} has no seat"));
                }
                (2 * gone.len() >= districts).then(|| {
                    format!(
                        "removing {} of {districts} districts at once removes a majority (at most {} at a time)",
                        gone.len(),
                        districts.saturating_sub(1) / 2
                    )
                })
            }
            Amendment::SetDistrictMembers { district, members } => {
                let Some(now) = roster.district(*district) else {
                    return Some(format!("district {district} does not exist"));
                };
                let kept = now.members.intersection(members).count();
                (2 * kept <= now.members.len()).then(|| {
                    format!(
                        "district {district} would keep {kept} of its {} members, not a majority; change fewer at a time",
                        now.members.len()
                    )
                })
            }
            Amendment::SetTermLimits {
                representative,
                prime_minister,
            } => {
                for (level, limit, min) in [
                    (
                        "representative",
                        representative,
                        config.district.election_timeout_max,
                    ),
                    (
                        "prime minister",
                        prime_minister,
                        config.commons.election_timeout_max,
                    ),
                ] {
                    if let Some(l) = limit.filter(|l| *l < min) {
                        return Some(format!(
                            "the {level} term limit {l:?} is shorter than its election timeout {min:?}"
                        ));
                    }
                }
                None
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::state::DistrictName;
    use crate::westminster::{DistrictRoster, Roster};

    /// Districts `0..n` of 3 members, ids `10 d + k`.
    fn roster(n: u64) -> Roster {
        Roster::new(
            (0..n).map(|d| {
                (
                    DistrictId(d),
                    DistrictRoster {
                        name: DistrictName::new(format!("zone-{d}")).unwrap(),
                        members: (1..=3).map(|k| NodeId(10 * d + k)).collect(),
                        bootstrap_representative: None,
                    },
                )
            }),
            None,
        )
        .unwrap()
    }

    fn ids(v: &[u64]) -> BTreeSet<NodeId> {
        v.iter().copied().map(NodeId).collect()
    }

    #[test]
    fn the_constitution_refuses_what_it_must_and_nothing_else() {
        let config = MemberConfig::new(NodeId(1), roster(5), 1);
        let districts = |v: &[u64]| v.iter().copied().map(DistrictId).collect();
        let cases: Vec<(Amendment, Option<&str>)> = vec![
            (
                Amendment::RemoveDistricts {
                    districts: districts(&[1, 2]),
                },
                None,
            ),
            (
                Amendment::RemoveDistricts {
                    districts: districts(&[0, 1, 2]),
                },
                Some("majority"),
            ),
            (
                Amendment::RemoveDistricts {
                    districts: districts(&[9]),
                },
                Some("no seat"),
            ),
            (
                Amendment::SetDistrictMembers {
                    district: DistrictId(0),
                    members: ids(&[1, 2, 7]),
                },
                None,
            ),
            (
                Amendment::SetDistrictMembers {
                    district: DistrictId(0),
                    members: ids(&[1, 7, 8]),
                },
                Some("not a majority"),
            ),
            (
                Amendment::AddDistrict {
                    district: DistrictId(5),
                    members: ids(&[51, 52]),
                },
                None,
            ),
            (
                Amendment::AddDistrict {
                    district: DistrictId(5),
                    members: ids(&[1]),
                },
                Some("already belong"),
            ),
            (
                Amendment::AddDistrict {
                    district: DistrictId(0),
                    members: ids(&[99]),
                },
                Some("has a seat already"),
            ),
            (
                Amendment::SetTermLimits {
                    representative: Some(Duration::from_secs(600)),
                    prime_minister: None,
                },
                None,
            ),
            (
                Amendment::SetTermLimits {
                    representative: Some(Duration::from_secs(600)),
                    prime_minister: Some(Duration::from_secs(5)),
                },
                Some("prime minister term limit"),
            ),
        ];
        for (amendment, want) in cases {
            let seated = config.roster.districts().map(|(d, _)| d).collect();
            let got = amendment.breaks_constitution(&config, &seated);
            match (&got, want) {
                (None, None) => {}
                (Some(why), Some(w)) => assert!(why.contains(w), "{amendment:?}: {why}"),
                _ => panic!("{amendment:?}: got {got:?}, want {want:?}"),
            }
        }
    }
}
