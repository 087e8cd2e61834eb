//! The trace hash: a fingerprint of every event a run processed, in order.
//!
//! Two runs of one seed must produce the same hash; if they do not, something in the
//! simulator or the engine is not deterministic (a hash map's iteration order, a clock
//! read, OS randomness). FNV-1a over a canonical encoding: simple, stable across Rust
//! versions and platforms, unlike `std`'s `DefaultHasher`.

use parliament_engine::engine::{Entry, Message, MessageBody, Payload};
use parliament_engine::{LogIndex, NodeId, Term, Time};

const FNV_OFFSET: u64 = 0xcbf2_9ce4_8422_2325;
const FNV_PRIME: u64 = 0x0000_0100_0000_01b3;

/// A running FNV-1a 64 hash.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TraceHash {
    state: u64,
    events: u64,
}

impl Default for TraceHash {
    fn default() -> Self {
        TraceHash {
            state: FNV_OFFSET,
            events: 0,
        }
    }
}

impl TraceHash {
    /// An empty hash.
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// Feeds raw bytes.
    pub fn write_bytes(&mut self, bytes: &[u8]) {
        for b in bytes {
            self.state ^= u64::from(*b);
            self.state = self.state.wrapping_mul(FNV_PRIME);
        }
    }

    /// Feeds a number.
    pub fn write_u64(&mut self, x: u64) {
        self.write_bytes(&x.to_le_bytes());
    }

    /// Feeds a string tag (event kinds).
    pub fn write_str(&mut self, s: &str) {
        self.write_u64(s.len() as u64);
        self.write_bytes(s.as_bytes());
    }

    /// Counts one event; the count is folded into the hash too.
    pub fn event(&mut self, at: Time) {
        self.events += 1;
        self.write_u64(self.events);
        self.write_u64(at.0);
    }

    /// The fingerprint so far.
    #[must_use]
    pub fn value(&self) -> u64 {
        self.state
    }

    /// How many events were hashed.
    #[must_use]
    pub fn events(&self) -> u64 {
        self.events
    }

    /// The 64-bit FNV-1a hash of `bytes` alone (payload digests in the checkers).
    #[must_use]
    pub fn of(bytes: &[u8]) -> u64 {
        let mut h = TraceHash::new();
        h.write_bytes(bytes);
        h.value()
    }
}

/// Something that can be fed to a [`TraceHash`] canonically.
pub trait Digest {
    /// Feeds every field that distinguishes this value.
    fn digest(&self, h: &mut TraceHash);
}

impl Digest for NodeId {
    fn digest(&self, h: &mut TraceHash) {
        h.write_u64(self.0);
    }
}

impl Digest for Term {
    fn digest(&self, h: &mut TraceHash) {
        h.write_u64(self.0);
    }
}

impl Digest for LogIndex {
    fn digest(&self, h: &mut TraceHash) {
        h.write_u64(self.0);
    }
}

impl Digest for Entry {
    fn digest(&self, h: &mut TraceHash) {
        self.term.digest(h);
        self.index.digest(h);
        match &self.payload {
            Payload::Noop => h.write_str("noop"),
            Payload::Command(b) => {
                h.write_str("cmd");
                h.write_u64(b.len() as u64);
                h.write_bytes(b);
            }
        }
    }
}

impl Digest for Message {
    fn digest(&self, h: &mut TraceHash) {
        h.write_u64(self.group.0);
        self.from.digest(h);
        self.to.digest(h);
        self.term.digest(h);
        h.write_str(self.body.kind());
        match &self.body {
            MessageBody::PreVote {
                last_index,
                last_term,
            } => {
                last_index.digest(h);
                last_term.digest(h);
            }
            MessageBody::RequestVote {
                last_index,
                last_term,
                transfer,
            } => {
                last_index.digest(h);
                last_term.digest(h);
                h.write_u64(u64::from(*transfer));
            }
            MessageBody::PreVoteResponse { granted }
            | MessageBody::RequestVoteResponse { granted } => h.write_u64(u64::from(*granted)),
            MessageBody::Append {
                prev_index,
                prev_term,
                entries,
                commit,
                round,
            } => {
                prev_index.digest(h);
                prev_term.digest(h);
                h.write_u64(entries.len() as u64);
                for e in entries {
                    e.digest(h);
                }
                commit.digest(h);
                h.write_u64(*round);
            }
            MessageBody::AppendResponse {
                success,
                index,
                hint_index,
                hint_term,
                round,
            } => {
                h.write_u64(u64::from(*success));
                index.digest(h);
                hint_index.digest(h);
                h.write_u64(hint_term.map_or(u64::MAX, |t| t.0));
                h.write_u64(*round);
            }
            MessageBody::TimeoutNow => {}
            MessageBody::InstallSnapshot {
                meta,
                offset,
                data,
                done,
                round,
            } => {
                meta.index.digest(h);
                meta.term.digest(h);
                h.write_u64(*offset);
                h.write_u64(data.len() as u64);
                h.write_u64(u64::from(*done));
                h.write_u64(*round);
            }
            MessageBody::InstallSnapshotResponse {
                meta,
                received,
                done,
                round,
            } => {
                meta.index.digest(h);
                meta.term.digest(h);
                h.write_u64(*received);
                h.write_u64(u64::from(*done));
                h.write_u64(*round);
            }
        }
    }
}

/// A stable digest of an entry's payload, for checkers that compare entries cheaply.
#[must_use]
pub fn payload_digest(payload: &Payload) -> u64 {
    match payload {
        Payload::Noop => 0,
        Payload::Command(b) => TraceHash::of(b) | 1,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_fnv_vector() {
        // FNV-1a 64 of "a" (Fowler, Noll & Vo reference vectors).
        assert_eq!(TraceHash::of(b"a"), 0xaf63_dc4c_8601_ec8c);
    }

    #[test]
    fn payload_digests_tell_noop_from_commands() {
        let noop = payload_digest(&Payload::Noop);
        let empty = payload_digest(&Payload::Command(bytes::Bytes::new()));
        let x = payload_digest(&Payload::Command(bytes::Bytes::from_static(b"x")));
        assert_ne!(noop, empty);
        assert_ne!(empty, x);
    }
}
