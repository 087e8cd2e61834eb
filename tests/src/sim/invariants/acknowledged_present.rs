//! Every acknowledged write is present after the heal: once the parliament has a Prime
//! Minister and every representative again and has converged, every member's store holds,
//! for each key an acknowledged write wrote, that write or a later one (DESIGN.md §5.2).

use std::collections::{BTreeMap, BTreeSet};

use parliament_engine::NodeId;

use super::{SeatInvariant, SeatObservation, Violation};

/// The newest acknowledged write per (scope, key).
#[derive(Debug, Default)]
pub struct AcknowledgedPresent {
    acked: BTreeMap<(String, String), (u64, Vec<u8>)>,
    flagged: BTreeSet<(NodeId, String, String)>,
}

impl AcknowledgedPresent {
    /// The (scope, key) pairs some acknowledged write wrote, for the final reads.
    pub fn keys(&self) -> impl Iterator<Item = (&str, &str)> {
        self.acked.keys().map(|(s, k)| (s.as_str(), k.as_str()))
    }
}

impl SeatInvariant for AcknowledgedPresent {
    fn name(&self) -> &'static str {
        "acknowledged-present"
    }

    fn observe(&mut self, obs: &SeatObservation<'_>, out: &mut Vec<Violation>) {
        match *obs {
            SeatObservation::Acknowledged {
                scope,
                key,
                value,
                revision,
                ..
            } => {
                let slot = self
                    .acked
                    .entry((scope.to_owned(), key.to_owned()))
                    .or_insert((0, Vec::new()));
                if revision > slot.0 {
                    *slot = (revision, value.to_vec());
                }
            }
            SeatObservation::FinalRead {
                node,
                at,
                scope,
                key,
                read,
            } => {
                let Some((revision, value)) = self.acked.get(&(scope.to_owned(), key.to_owned()))
                else {
                    return;
                };
                let problem = match read {
                    None => Some("the key is absent".to_owned()),
                    Some((r, _)) if r < *revision => Some(format!("it holds revision {r}")),
                    Some((r, v)) if r == *revision && v != value.as_slice() => {
                        Some(format!("revision {r} holds another value"))
                    }
                    Some(_) => None,
                };
                if let Some(p) = problem
                    && self
                        .flagged
                        .insert((node, scope.to_owned(), key.to_owned()))
                {
                    out.push(Violation::new(
                        self.name(),
                        at,
                        Some(node),
                        format!(
                            "{scope}/{key} was acknowledged at revision {revision} but on {node} {p}"
                        ),
                    ));
                }
            }
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sim::invariants::fixtures::{n, t};

    fn ack(revision: u64, value: &'static [u8]) -> SeatObservation<'static> {
        SeatObservation::Acknowledged {
            at: t(1),
            scope: "global",
            key: "k",
            value,
            revision,
        }
    }

    fn read(node: u64, read: Option<(u64, &'static [u8])>) -> SeatObservation<'static> {
        SeatObservation::FinalRead {
            node: n(node),
            at: t(9),
            scope: "global",
            key: "k",
            read,
        }
    }

    fn run(obs: &[SeatObservation<'_>]) -> Vec<Violation> {
        let mut c = AcknowledgedPresent::default();
        let mut out = Vec::new();
        for o in obs {
            c.observe(o, &mut out);
        }
        out
    }

    #[test]
    fn the_acknowledged_write_or_a_later_one_passes() {
        let obs = [
            ack(3, b"a"),
            ack(2, b"old"),
            read(1, Some((3, b"a"))),
            read(2, Some((5, b"later"))),
        ];
        assert_eq!(run(&obs), vec![]);
    }

    #[test]
    fn planted_lost_acknowledged_write_is_flagged() {
        let v = run(&[ack(3, b"a"), read(1, Some((2, b"x"))), read(2, None)]);
        assert_eq!(v.len(), 2, "{v:?}");
        assert!(
            v[0].detail
                .contains("global/k was acknowledged at revision 3 but on n1 it holds revision 2"),
            "{}",
            v[0]
        );
        let v = run(&[ack(3, b"a"), read(1, Some((3, b"b")))]);
        assert!(
            v[0].detail.contains("revision 3 holds another value"),
            "{}",
            v[0]
        );
    }
}
