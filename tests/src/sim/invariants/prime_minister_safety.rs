//! Prime-Minister safety: at most one Prime Minister per Commons term (Raft §5.2 for the
//! Commons; DESIGN.md §5.2). Keyed by member, not seat: a seat re-hosted by another member
//! resumes as a follower (DESIGN.md §6 rule 3), so it never leads the same term twice.

use std::collections::{BTreeMap, BTreeSet};

use parliament_engine::{NodeId, Term};

use super::{SeatInvariant, SeatObservation, Violation};

/// Remembers the Prime Minister of every Commons term and flags a second one.
#[derive(Debug, Default)]
pub struct PrimeMinisterSafety {
    leaders: BTreeMap<Term, NodeId>,
    flagged: BTreeSet<Term>,
}

impl SeatInvariant for PrimeMinisterSafety {
    fn name(&self) -> &'static str {
        "prime-minister-safety"
    }

    fn observe(&mut self, obs: &SeatObservation<'_>, out: &mut Vec<Violation>) {
        let SeatObservation::PrimeMinister {
            node,
            district,
            at,
            term,
        } = *obs
        else {
            return;
        };
        let first = *self.leaders.entry(term).or_insert(node);
        if first != node && self.flagged.insert(term) {
            out.push(Violation::new(
                self.name(),
                at,
                Some(node),
                format!(
                    "{node} (seat of {district}) is Prime Minister in Commons {term}, \
                     which {first} already led"
                ),
            ));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sim::invariants::fixtures::{n, t};
    use parliament_engine::westminster::DistrictId;

    fn pm(node: u64, district: u64, at: u64, term: u64) -> SeatObservation<'static> {
        SeatObservation::PrimeMinister {
            node: n(node),
            district: DistrictId(district),
            at: t(at),
            term: Term(term),
        }
    }

    fn run(obs: &[SeatObservation<'_>]) -> Vec<Violation> {
        let mut c = PrimeMinisterSafety::default();
        let mut out = Vec::new();
        for o in obs {
            c.observe(o, &mut out);
        }
        out
    }

    #[test]
    fn one_prime_minister_per_term_passes() {
        assert_eq!(
            run(&[pm(1, 0, 1, 1), pm(1, 0, 2, 1), pm(4, 1, 3, 2)]),
            vec![]
        );
    }

    #[test]
    fn planted_second_prime_minister_in_a_term_is_flagged() {
        let v = run(&[pm(1, 0, 1, 3), pm(5, 1, 9, 3)]);
        assert_eq!(v.len(), 1, "{v:?}");
        assert!(
            v[0].detail
                .contains("n5 (seat of d1) is Prime Minister in Commons t3, which n1 already led"),
            "{}",
            v[0]
        );
    }
}
