//! Representative safety: at most one member hosts a district's seat per district term
//! (DESIGN.md §6 rule 2: one incarnation at a time). District election safety (one leader
//! per district term) is checked per group by [`ElectionSafety`](super::ElectionSafety);
//! this checks the hosting rule on top of it.

use std::collections::{BTreeMap, BTreeSet};

use parliament_engine::westminster::DistrictId;
use parliament_engine::{NodeId, Term};

use super::{SeatInvariant, SeatObservation, Violation};

/// Remembers who hosted each district's seat in each incarnation.
#[derive(Debug, Default)]
pub struct RepresentativeSafety {
    hosts: BTreeMap<(DistrictId, Term), NodeId>,
    flagged: BTreeSet<(DistrictId, Term)>,
}

impl SeatInvariant for RepresentativeSafety {
    fn name(&self) -> &'static str {
        "representative-safety"
    }

    fn observe(&mut self, obs: &SeatObservation<'_>, out: &mut Vec<Violation>) {
        let SeatObservation::Hosting {
            node,
            district,
            at,
            incarnation,
        } = *obs
        else {
            return;
        };
        let first = *self.hosts.entry((district, incarnation)).or_insert(node);
        if first != node && self.flagged.insert((district, incarnation)) {
            out.push(Violation::new(
                self.name(),
                at,
                Some(node),
                format!(
                    "{node} hosts the seat of {district} in district {incarnation}, \
                     which {first} already hosted"
                ),
            ));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sim::invariants::fixtures::{n, t};

    fn host(node: u64, district: u64, term: u64) -> SeatObservation<'static> {
        SeatObservation::Hosting {
            node: n(node),
            district: DistrictId(district),
            at: t(1),
            incarnation: Term(term),
        }
    }

    fn run(obs: &[SeatObservation<'_>]) -> Vec<Violation> {
        let mut c = RepresentativeSafety::default();
        let mut out = Vec::new();
        for o in obs {
            c.observe(o, &mut out);
        }
        out
    }

    #[test]
    fn one_host_per_district_term_passes() {
        // The same term number in two districts is two different terms.
        assert_eq!(run(&[host(1, 0, 2), host(4, 1, 2), host(2, 0, 3)]), vec![]);
    }

    #[test]
    fn planted_second_host_in_a_district_term_is_flagged() {
        let v = run(&[host(1, 0, 2), host(2, 0, 2)]);
        assert_eq!(v.len(), 1, "{v:?}");
        assert!(
            v[0].detail
                .contains("n2 hosts the seat of d0 in district t2, which n1 already hosted"),
            "{}",
            v[0]
        );
    }
}
