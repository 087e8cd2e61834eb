//! Tickets of global writes taken through sessions, and the Commons entry that carries
//! one: (origin member, ticket, command) (docs/protocol.md#96-sessions).
//!
//! ```text
//! session entry := version:u8 (= 1) kind:u8 (= 16) origin:u64 epoch:u64 seq:u64
//!                  command:(len:u64 bytes)
//! ```
//! Kind 16 is the first of the kinds `state::command` reserves for the Westminster layer,
//! so a session entry can never be read as a plain command, and a plain command (the
//! Prime Minister's direct [`Member::propose`](crate::westminster::Member::propose)) can
//! never be read as a session entry.

use std::fmt;

use bytes::Bytes;

use crate::state::Error;
use crate::state::wire::{Reader, Writer};
use crate::types::NodeId;

const VERSION: u8 = 1;
const KIND_SESSION_ENTRY: u8 = 16;

/// Names one global write submitted through a session, so its origin can answer the
/// client once the write is applied.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Ticket {
    /// The member that accepted the write from its client.
    pub origin: NodeId,
    /// The origin's incarnation (the virtual time it started at): a restarted member
    /// never answers tickets of its previous life.
    pub epoch: u64,
    /// Counts the origin's submissions in this incarnation.
    pub seq: u64,
}

impl fmt::Display for Ticket {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}/{}", self.origin, self.epoch, self.seq)
    }
}

/// A Commons entry made by a session: one global write and its ticket.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SessionEntry {
    /// The write's ticket.
    pub ticket: Ticket,
    /// The encoded `state::Command`.
    pub command: Bytes,
}

impl SessionEntry {
    /// The bytes of the Commons entry.
    #[must_use]
    pub fn encode(&self) -> Bytes {
        let mut w = Writer::new();
        w.u8(VERSION);
        w.u8(KIND_SESSION_ENTRY);
        w.u64(self.ticket.origin.get());
        w.u64(self.ticket.epoch);
        w.u64(self.ticket.seq);
        w.bytes(&self.command);
        Bytes::from(w.finish())
    }

    /// Whether `bytes` claim to be a session entry (else they are a plain command).
    #[must_use]
    pub fn is_session_entry(bytes: &[u8]) -> bool {
        bytes.get(..2) == Some(&[VERSION, KIND_SESSION_ENTRY][..])
    }

    /// Reads a session entry.
    ///
    /// # Errors
    /// An [`Error`] naming what could not be read and where; never panics.
    pub fn decode(bytes: &[u8]) -> Result<SessionEntry, Error> {
        let mut r = Reader::new(bytes);
        r.version("session entry version", VERSION)?;
        let at = r.position();
        let kind = r.u8("session entry kind")?;
        if kind != KIND_SESSION_ENTRY {
            return Err(Error::UnknownTag {
                what: "session entry kind",
                tag: kind,
                offset: at,
            });
        }
        let origin = NodeId(r.u64("ticket origin")?);
        let epoch = r.u64("ticket epoch")?;
        let seq = r.u64("ticket seq")?;
        let command = Bytes::copy_from_slice(r.bytes("session command")?);
        r.finish("session entry")?;
        Ok(SessionEntry {
            ticket: Ticket { origin, epoch, seq },
            command,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_session_entry_round_trips_and_is_never_a_plain_command() {
        let e = SessionEntry {
            ticket: Ticket {
                origin: NodeId(12),
                epoch: 3_000,
                seq: 7,
            },
            command: Bytes::from_static(b"\x01\x04xyz"),
        };
        let bytes = e.encode();
        assert!(SessionEntry::is_session_entry(&bytes));
        assert_eq!(SessionEntry::decode(&bytes), Ok(e));
        assert!(crate::state::Command::decode(&bytes).is_err());
        assert!(SessionEntry::decode(&bytes[..bytes.len() - 1]).is_err());
    }
}
