//! Log matching: if two logs hold an entry with the same index and term, they are
//! identical up to and including it (Raft §5.3, Figure 3).
//!
//! Checked incrementally by induction: every `(index, term)` ever persisted must always
//! come with the same payload and the same term at `index − 1`. If two logs share
//! `(i, t)`, they then share the term at `i − 1`, hence (by the same rule) that entry, and
//! so on down to index 1. Terms must also never decrease along a log.

use std::collections::HashMap;

use parliament_engine::{LogIndex, NodeId, Term};

use super::{Invariant, Observation, Violation};
use crate::sim::trace::payload_digest;

#[derive(Clone, Copy, Debug)]
struct Seen {
    prev_term: Term,
    digest: u64,
    holder: NodeId,
}

/// Remembers every `(index, term)` ever persisted with its predecessor's term and payload.
#[derive(Debug, Default)]
pub struct LogMatching {
    seen: HashMap<(LogIndex, Term), Seen>,
}

impl Invariant for LogMatching {
    fn name(&self) -> &'static str {
        "log-matching"
    }

    fn observe(&mut self, obs: &Observation<'_>, out: &mut Vec<Violation>) {
        let Observation::Persisted {
            node,
            at,
            prev_term,
            entries,
            ..
        } = *obs
        else {
            return;
        };
        let mut prev = prev_term;
        for e in entries {
            if e.term < prev {
                out.push(Violation::new(
                    self.name(),
                    at,
                    Some(node),
                    format!(
                        "entry {} has term {} after an entry of {prev}",
                        e.index, e.term
                    ),
                ));
            }
            let this = Seen {
                prev_term: prev,
                digest: payload_digest(&e.payload),
                holder: node,
            };
            let first = *self.seen.entry((e.index, e.term)).or_insert(this);
            if first.prev_term != this.prev_term {
                out.push(Violation::new(
                    self.name(),
                    at,
                    Some(node),
                    format!(
                        "({}, {}) follows an entry of {} here but of {} on {}",
                        e.index, e.term, this.prev_term, first.prev_term, first.holder
                    ),
                ));
            } else if first.digest != this.digest {
                out.push(Violation::new(
                    self.name(),
                    at,
                    Some(node),
                    format!(
                        "({}, {}) holds a different command here than on {}",
                        e.index, e.term, first.holder
                    ),
                ));
            }
            prev = e.term;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sim::invariants::fixtures::{entry, log, n, run, t};

    fn persisted<'a>(
        node: u64,
        prev: u64,
        entries: &'a [parliament_engine::engine::Entry],
    ) -> Observation<'a> {
        Observation::Persisted {
            node: n(node),
            at: t(1),
            prev_term: Term(prev),
            entries,
            removed: &[],
        }
    }

    #[test]
    fn identical_prefixes_and_divergent_suffixes_pass() {
        let a = log(&[(1, "x"), (1, "y"), (2, "z")]);
        let b = log(&[(1, "x"), (1, "y"), (3, "w")]);
        let v = run(
            &mut LogMatching::default(),
            &[persisted(1, 0, &a), persisted(2, 0, &b)],
        );
        assert_eq!(v, vec![]);
    }

    #[test]
    fn planted_same_index_and_term_with_different_command_is_flagged() {
        let a = log(&[(1, "x"), (1, "y")]);
        let b = log(&[(1, "x"), (1, "other")]);
        let v = run(
            &mut LogMatching::default(),
            &[persisted(1, 0, &a), persisted(2, 0, &b)],
        );
        assert_eq!(v.len(), 1);
        assert!(
            v[0].detail.contains("(i2, t1) holds a different command"),
            "{}",
            v[0]
        );
    }

    #[test]
    fn planted_same_entry_after_different_predecessors_is_flagged() {
        // n1: [t1, t2] ; n2 appends (2, t2) after an entry of t3 at index 1.
        let a = log(&[(1, ""), (2, "y")]);
        let b = [entry(2, 2, "y")];
        let v = run(
            &mut LogMatching::default(),
            &[persisted(1, 0, &a), persisted(2, 3, &b)],
        );
        assert_eq!(v.len(), 2, "{v:?}"); // decreasing term, and a different predecessor
        assert!(
            v.iter()
                .any(|x| x.detail.contains("follows an entry of t3 here but of t1"))
        );
    }
}
