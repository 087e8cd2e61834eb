//! The payload of one frame: what one `persist` call wrote, in a small explicit
//! binary encoding.
//!
//! ```text
//! version   u8   = 1
//! flags     u8   bit 0: hard state, bit 1: reset, bit 2: entries (others must be 0)
//! [hard state]   term u64, has_vote u8 (0|1), vote u64, commit u64
//! [reset]        next_index u64            the log is emptied; it resumes at next_index
//! [entries]      first_index u64, count u32 (> 0), then per entry:
//!                term u64, kind u8 (0 noop | 1 command), [len u32, bytes]  for commands
//! ```
//! All integers are little-endian. A decoder rejects unknown versions, flags and
//! kinds and any trailing byte, so a record decodes in exactly one way.

use bytes::Bytes;
use parliament_engine::engine::{Entry, HardState, Payload};
use parliament_engine::{LogIndex, NodeId, Term};

use crate::wire::{Reader, Short, len_u32, put_u32, put_u64};

/// The only record version this crate writes and reads.
const VERSION: u8 = 1;
const HAS_HARD_STATE: u8 = 1;
const HAS_RESET: u8 = 1 << 1;
const HAS_ENTRIES: u8 = 1 << 2;
const KIND_NOOP: u8 = 0;
const KIND_COMMAND: u8 = 1;

/// One decoded record.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Record {
    /// A new hard state, if the write carried one.
    pub(crate) hard_state: Option<HardState>,
    /// If set, the log was emptied here and its next entry is at this index (written
    /// when a snapshot replaces a conflicting log).
    pub(crate) reset: Option<LogIndex>,
    /// Entries, consecutive, replacing any entries from the first one's index on.
    pub(crate) entries: Vec<Entry>,
}

impl Record {
    /// Appends the encoding of a record to `out`. `entries` must be consecutive (the
    /// caller checked); their indexes after the first are implied.
    ///
    /// Returns `None` if a command or the entry count does not fit the format's `u32`
    /// lengths.
    pub(crate) fn encode(
        hard_state: Option<&HardState>,
        reset: Option<LogIndex>,
        entries: &[Entry],
        out: &mut Vec<u8>,
    ) -> Option<()> {
        let mut flags = 0;
        if hard_state.is_some() {
            flags |= HAS_HARD_STATE;
        }
        if reset.is_some() {
            flags |= HAS_RESET;
        }
        if !entries.is_empty() {
            flags |= HAS_ENTRIES;
        }
        out.push(VERSION);
        out.push(flags);
        if let Some(hs) = hard_state {
            put_u64(out, hs.term.get());
            out.push(u8::from(hs.vote.is_some()));
            put_u64(out, hs.vote.map_or(0, NodeId::get));
            put_u64(out, hs.commit.get());
        }
        if let Some(next) = reset {
            put_u64(out, next.get());
        }
        if let Some(first) = entries.first() {
            put_u64(out, first.index.get());
            put_u32(out, len_u32(entries.len())?);
            for e in entries {
                put_u64(out, e.term.get());
                match &e.payload {
                    Payload::Noop => out.push(KIND_NOOP),
                    Payload::Command(bytes) => {
                        out.push(KIND_COMMAND);
                        put_u32(out, len_u32(bytes.len())?);
                        out.extend_from_slice(bytes);
                    }
                }
            }
        }
        Some(())
    }

    /// Decodes one record, which must fill `buf` exactly.
    ///
    /// # Errors
    /// A description of what is wrong, for a corruption report.
    pub(crate) fn decode(buf: &[u8]) -> Result<Record, String> {
        let mut r = Reader::new(buf);
        Self::decode_from(&mut r).map_err(|e| match e {
            Decode::Short => format!(
                "record ends early (at byte {} of {})",
                r.position(),
                buf.len()
            ),
            Decode::Bad(reason) => reason,
        })
    }

    fn decode_from(r: &mut Reader<'_>) -> Result<Record, Decode> {
        let version = r.u8()?;
        if version != VERSION {
            return Err(Decode::Bad(format!("unknown record version {version}")));
        }
        let flags = r.u8()?;
        if flags & !(HAS_HARD_STATE | HAS_RESET | HAS_ENTRIES) != 0 {
            return Err(Decode::Bad(format!("unknown record flags {flags:#04x}")));
        }
        let mut record = Record::default();
        if flags & HAS_HARD_STATE != 0 {
            let term = Term(r.u64()?);
            let has_vote = r.u8()?;
            let vote = r.u64()?;
            let vote = match has_vote {
                0 => None,
                1 => Some(NodeId(vote)),
                other => return Err(Decode::Bad(format!("bad vote marker {other}"))),
            };
            let commit = LogIndex(r.u64()?);
            record.hard_state = Some(HardState { term, vote, commit });
        }
        if flags & HAS_RESET != 0 {
            let next = r.u64()?;
            if next == 0 || next == u64::MAX {
                return Err(Decode::Bad(format!("bad reset index {next}")));
            }
            record.reset = Some(LogIndex(next));
        }
        if flags & HAS_ENTRIES != 0 {
            let first = r.u64()?;
            let count = r.u32()?;
            if count == 0 {
                return Err(Decode::Bad("entry list is empty".into()));
            }
            // Index 0 is the empty prefix and u64::MAX has no successor: neither can
            // hold an entry.
            let last = first
                .checked_add(u64::from(count) - 1)
                .filter(|last| first > 0 && *last < u64::MAX)
                .ok_or_else(|| Decode::Bad(format!("bad entry range {first} + {count}")))?;
            // Each entry takes at least 9 bytes: never trust `count` for an allocation.
            let mut entries = Vec::with_capacity(r.remaining().min(count as usize) / 9);
            for index in first..=last {
                let term = Term(r.u64()?);
                let payload = match r.u8()? {
                    KIND_NOOP => Payload::Noop,
                    KIND_COMMAND => {
                        let len = r.u32()? as usize;
                        Payload::Command(Bytes::copy_from_slice(r.bytes(len)?))
                    }
                    other => return Err(Decode::Bad(format!("unknown entry kind {other}"))),
                };
                entries.push(Entry {
                    term,
                    index: LogIndex(index),
                    payload,
                });
            }
            record.entries = entries;
        }
        if r.remaining() != 0 {
            return Err(Decode::Bad(format!(
                "{} unexpected bytes after the record",
                r.remaining()
            )));
        }
        Ok(record)
    }
}

/// Why decoding stopped.
enum Decode {
    Short,
    Bad(String),
}

impl From<Short> for Decode {
    fn from(_: Short) -> Self {
        Decode::Short
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn entry(index: u64, term: u64, cmd: Option<&'static [u8]>) -> Entry {
        Entry {
            term: Term(term),
            index: LogIndex(index),
            payload: cmd.map_or(Payload::Noop, |c| Payload::Command(Bytes::from_static(c))),
        }
    }

    #[test]
    fn round_trips() {
        let hs = HardState {
            term: Term(7),
            vote: Some(NodeId(3)),
            commit: LogIndex(4),
        };
        let entries = vec![
            entry(5, 7, None),
            entry(6, 7, Some(b"set x 1")),
            entry(7, 7, Some(b"")),
        ];
        let mut buf = Vec::new();
        Record::encode(Some(&hs), Some(LogIndex(5)), &entries, &mut buf).unwrap();
        let back = Record::decode(&buf).unwrap();
        assert_eq!(
            back,
            Record {
                hard_state: Some(hs),
                reset: Some(LogIndex(5)),
                entries
            }
        );
    }

    #[test]
    fn rejects_what_it_does_not_know() {
        let cases: &[(&[u8], &str)] = &[
            (&[], "record ends early"),
            (&[2, 0], "unknown record version 2"),
            (&[1, 8], "unknown record flags"),
            (&[1, 0, 0], "unexpected bytes"),
            (
                &[1, 4, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0],
                "entry list is empty",
            ),
            (
                &[1, 4, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0],
                "bad entry range",
            ),
        ];
        for (bytes, want) in cases {
            let err = Record::decode(bytes).unwrap_err();
            assert!(err.contains(want), "{bytes:?}: {err}");
        }
    }

    proptest! {
        #[test]
        fn decoding_garbage_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..200)) {
            let _ = Record::decode(&bytes);
        }
    }
}
