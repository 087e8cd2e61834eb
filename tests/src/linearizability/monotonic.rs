//! Session guarantees of at-least-revision reads: [`check_monotonic_reads`].
//!
//! At-least-revision ("decree number") reads are served from any member's copy of the
//! log, so they are not linearizable and the search in this module's parent does not
//! apply. What they promise instead is per client: a read never shows a revision older
//! than the floor the client asked for, and a client never goes back in time: once it has
//! seen revision `r` (from a read or from the acknowledgement of its own write), nothing
//! it sees later is older than `r`.

use std::collections::HashMap;
use std::fmt;

/// One response that carried a revision, as one client saw it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RevisionRead {
    /// The client that received the response.
    pub client: u64,
    /// The floor the request asked for (`min_revision` of an at-least-revision read);
    /// `None` when it asked for none, or the response acknowledges a write.
    pub min_revision: Option<u64>,
    /// The revision the response reported: the revision a read was served at, or the
    /// revision a write committed at.
    pub observed: u64,
}

/// A broken session guarantee.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RevisionViolation {
    /// The client saw an older revision than one it had already seen.
    Regressed {
        /// Index of the offending response.
        index: usize,
        /// The client.
        client: u64,
        /// The revision it saw now.
        observed: u64,
        /// The newest revision it had seen before.
        previous: u64,
        /// Index of the response that showed `previous`.
        previous_index: usize,
    },
    /// A read was served below the floor it asked for.
    BelowMinimum {
        /// Index of the offending response.
        index: usize,
        /// The client.
        client: u64,
        /// The floor the request asked for.
        min_revision: u64,
        /// The revision it was served at.
        observed: u64,
    },
}

/// Check per-client session guarantees over `reads`.
///
/// `reads` holds every client's responses in the order that client received them; how
/// the clients interleave does not matter. Returns every violation, in input order; an
/// empty list is a pass. A response can break both rules at once and is then reported
/// twice.
#[must_use]
pub fn check_monotonic_reads(reads: &[RevisionRead]) -> Vec<RevisionViolation> {
    // client -> (newest revision seen, where)
    let mut newest: HashMap<u64, (u64, usize)> = HashMap::new();
    let mut violations = Vec::new();
    for (index, read) in reads.iter().enumerate() {
        if let Some(min_revision) = read.min_revision
            && read.observed < min_revision
        {
            violations.push(RevisionViolation::BelowMinimum {
                index,
                client: read.client,
                min_revision,
                observed: read.observed,
            });
        }
        match newest.get_mut(&read.client) {
            Some((previous, previous_index)) if read.observed < *previous => {
                violations.push(RevisionViolation::Regressed {
                    index,
                    client: read.client,
                    observed: read.observed,
                    previous: *previous,
                    previous_index: *previous_index,
                });
            }
            Some(seen) => *seen = (read.observed, index),
            None => {
                newest.insert(read.client, (read.observed, index));
            }
        }
    }
    violations
}

impl fmt::Display for RevisionViolation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RevisionViolation::Regressed {
                index,
                client,
                observed,
                previous,
                previous_index,
            } => write!(
                f,
                "client {client} went back in time: response #{index} is at revision \
                 {observed}, but response #{previous_index} had already shown revision {previous}"
            ),
            RevisionViolation::BelowMinimum {
                index,
                client,
                min_revision,
                observed,
            } => write!(
                f,
                "client {client} asked for revision {min_revision} or later but response \
                 #{index} was served at revision {observed}"
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(client: u64, min_revision: Option<u64>, observed: u64) -> RevisionRead {
        RevisionRead {
            client,
            min_revision,
            observed,
        }
    }

    #[test]
    fn non_decreasing_sessions_that_meet_their_floors_pass() {
        let reads = [
            read(1, None, 3),
            read(2, Some(5), 5),
            read(1, Some(3), 3),
            read(2, None, 9),
            read(1, Some(1), 7),
        ];
        assert_eq!(check_monotonic_reads(&reads), vec![]);
    }

    #[test]
    fn other_clients_may_be_behind() {
        // Client 2 has not seen revision 9, so revision 4 is news to it, not a regression.
        let reads = [read(1, None, 9), read(2, None, 4)];
        assert_eq!(check_monotonic_reads(&reads), vec![]);
    }

    #[test]
    fn planted_regression_is_flagged_against_the_newest_revision_seen() {
        let reads = [
            read(1, None, 4),
            read(1, None, 8),
            read(2, None, 1),
            read(1, None, 6),
            read(1, None, 8),
        ];
        let violations = check_monotonic_reads(&reads);
        assert_eq!(
            violations,
            vec![RevisionViolation::Regressed {
                index: 3,
                client: 1,
                observed: 6,
                previous: 8,
                previous_index: 1,
            }]
        );
        assert!(violations[0].to_string().contains("went back in time"));
    }

    #[test]
    fn read_below_its_floor_is_flagged() {
        let reads = [read(1, None, 2), read(1, Some(7), 5)];
        let violations = check_monotonic_reads(&reads);
        assert_eq!(
            violations,
            vec![RevisionViolation::BelowMinimum {
                index: 1,
                client: 1,
                min_revision: 7,
                observed: 5,
            }]
        );
        assert!(violations[0].to_string().contains("asked for revision 7"));
    }

    #[test]
    fn a_response_can_break_both_rules() {
        let reads = [read(3, None, 10), read(3, Some(12), 9)];
        let violations = check_monotonic_reads(&reads);
        assert_eq!(violations.len(), 2, "{violations:?}");
    }
}
