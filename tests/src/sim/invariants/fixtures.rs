//! Test fixtures for the checkers: entries, statuses and a way to run observations.

use bytes::Bytes;
use parliament_engine::engine::{Entry, Payload, Role, Status};
use parliament_engine::{GroupId, LogIndex, NodeId, Term, Time};

use super::{Invariant, Observation, Violation};

/// An entry whose payload is `cmd` (or a no-op when `cmd` is empty).
pub(crate) fn entry(index: u64, term: u64, cmd: &str) -> Entry {
    let payload = if cmd.is_empty() {
        Payload::Noop
    } else {
        Payload::Command(Bytes::copy_from_slice(cmd.as_bytes()))
    };
    Entry {
        term: Term(term),
        index: LogIndex(index),
        payload,
    }
}

/// A log of `(term, cmd)` pairs from index 1.
pub(crate) fn log(entries: &[(u64, &str)]) -> Vec<Entry> {
    entries
        .iter()
        .enumerate()
        .map(|(i, (t, c))| entry(i as u64 + 1, *t, c))
        .collect()
}

/// A status with the given role and term.
pub(crate) fn status(id: u64, role: Role, term: u64) -> Status {
    Status {
        id: NodeId(id),
        group: GroupId(1),
        role,
        term: Term(term),
        vote: None,
        leader: (role == Role::Leader).then_some(NodeId(id)),
        commit: LogIndex(0),
        applied: LogIndex(0),
        last_index: LogIndex(0),
        lease_until: None,
        token: None,
    }
}

/// Feeds `obs` in order and returns what was flagged.
pub(crate) fn run(checker: &mut dyn Invariant, obs: &[Observation<'_>]) -> Vec<Violation> {
    let mut out = Vec::new();
    for o in obs {
        checker.observe(o, &mut out);
    }
    out
}

/// Shorthand for a time.
pub(crate) fn t(ms: u64) -> Time {
    Time(ms)
}

/// Shorthand for a node.
pub(crate) fn n(id: u64) -> NodeId {
    NodeId(id)
}
