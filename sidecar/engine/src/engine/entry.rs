//! Log entries: the decrees a group agrees on.

use bytes::Bytes;

use crate::types::{LogIndex, Term};

/// One log entry, the Paxon decree: written at `index` by the leader of `term`.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Entry {
    /// The term of the leader that created it.
    pub term: Term,
    /// Its position.
    pub index: LogIndex,
    /// What it says.
    pub payload: Payload,
}

/// The content of an entry.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Payload {
    /// Written by every new leader so that it can commit (Raft §5.4.2) and by `strict`
    /// reads; applies nothing. The Paxon "olive day" decree.
    Noop,
    /// An opaque command for the state machine above the engine.
    Command(Bytes),
}

impl Entry {
    /// Bytes this entry contributes to a message's size budget.
    #[must_use]
    pub fn size(&self) -> usize {
        match &self.payload {
            Payload::Noop => 16,
            Payload::Command(b) => 16 + b.len(),
        }
    }
}
