//! What a district log holds besides no-ops: key-value commands of the district scope,
//! the seat's durable Commons state (docs/protocol.md §9), and the district's published
//! reputation table (docs/protocol.md#111-publishing-reputation).

use bytes::Bytes;

use crate::engine::{Entry, HardState, Payload, Snapshot, SnapshotMeta};
use crate::state::Error;
use crate::state::wire::{Reader, Writer, to_u64};
use crate::types::{LogIndex, NodeId, Term};
use crate::westminster::DecodeError;
use crate::westminster::reputation::ReputationTable;

const VERSION: u8 = 1;
const TAG_KV: u8 = 1;
const TAG_SEAT_PERSIST: u8 = 2;
const TAG_REPUTATION: u8 = 3;
/// A seat persist that also carries a Commons snapshot (after the fields of tag 2).
const TAG_SEAT_PERSIST_SNAPSHOT: u8 = 4;

/// One command of a district log.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum DistrictCommand {
    /// A `state::Command` for the district's key-value scope, encoded.
    Kv(Bytes),
    /// What the district's Commons seat must persist before it may act.
    SeatPersist(SeatPersist),
    /// The district's reputation table, published by its leader; every member ranks
    /// from the last one applied.
    Reputation(ReputationTable),
}

/// The seat's "fsync": the part of a Commons `Ready` that must be durable before the
/// seat's messages leave, plus the Commons commit index for every member to learn.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SeatPersist {
    /// The district term of the member hosting the seat when it wrote this.
    pub incarnation: Term,
    /// The seat's new term and vote, if they changed.
    pub hard_state: Option<HardState>,
    /// Commons entries to persist (truncating the seat's log from the first one).
    pub entries: Vec<Entry>,
    /// The Commons commit index the seat has learned.
    pub commit: LogIndex,
    /// A Commons snapshot the seat received from the Prime Minister (its log was
    /// behind the Prime Minister's compaction): installed before `entries`, and the
    /// global state of every member of the district becomes its image.
    pub snapshot: Option<Snapshot>,
}

impl DistrictCommand {
    /// The bytes stored in a district entry.
    #[must_use]
    pub fn encode(&self) -> Bytes {
        let mut w = Writer::new();
        w.u8(VERSION);
        match self {
            DistrictCommand::Kv(bytes) => {
                w.u8(TAG_KV);
                w.bytes(bytes);
            }
            DistrictCommand::SeatPersist(p) => {
                w.u8(if p.snapshot.is_some() {
                    TAG_SEAT_PERSIST_SNAPSHOT
                } else {
                    TAG_SEAT_PERSIST
                });
                w.u64(p.incarnation.get());
                w.bool(p.hard_state.is_some());
                if let Some(hs) = p.hard_state {
                    w.u64(hs.term.get());
                    w.bool(hs.vote.is_some());
                    w.u64(hs.vote.map_or(0, NodeId::get));
                    w.u64(hs.commit.get());
                }
                put_entries(&mut w, &p.entries);
                w.u64(p.commit.get());
                if let Some(snap) = &p.snapshot {
                    w.u64(snap.meta.index.get());
                    w.u64(snap.meta.term.get());
                    w.bytes(&snap.data);
                }
            }
            DistrictCommand::Reputation(table) => {
                w.u8(TAG_REPUTATION);
                w.bytes(&table.encode());
            }
        }
        Bytes::from(w.finish())
    }

    /// Reads a district command.
    ///
    /// # Errors
    /// A [`DecodeError`] naming what could not be read and at which offset; never
    /// panics.
    pub fn decode(bytes: &[u8]) -> Result<DistrictCommand, DecodeError> {
        let mut r = Reader::new(bytes);
        r.version("district command", VERSION)?;
        let offset = r.position();
        let cmd = match r.u8("district command tag")? {
            TAG_KV => DistrictCommand::Kv(Bytes::copy_from_slice(r.bytes("key-value command")?)),
            tag @ (TAG_SEAT_PERSIST | TAG_SEAT_PERSIST_SNAPSHOT) => {
                let incarnation = Term(r.u64("seat incarnation")?);
                let hard_state = if r.bool("seat hard state flag")? {
                    let term = Term(r.u64("seat term")?);
                    let has_vote = r.bool("seat vote flag")?;
                    let vote = r.u64("seat vote")?;
                    let commit = LogIndex(r.u64("seat hard state commit")?);
                    Some(HardState {
                        term,
                        vote: has_vote.then_some(NodeId(vote)),
                        commit,
                    })
                } else {
                    None
                };
                let entries = take_entries(&mut r)?;
                let commit = LogIndex(r.u64("seat commit")?);
                let snapshot = if tag == TAG_SEAT_PERSIST_SNAPSHOT {
                    let meta = SnapshotMeta {
                        index: LogIndex(r.u64("seat snapshot index")?),
                        term: Term(r.u64("seat snapshot term")?),
                    };
                    let data = Bytes::copy_from_slice(r.bytes("seat snapshot image")?);
                    Some(Snapshot { meta, data })
                } else {
                    None
                };
                DistrictCommand::SeatPersist(SeatPersist {
                    incarnation,
                    hard_state,
                    entries,
                    commit,
                    snapshot,
                })
            }
            TAG_REPUTATION => {
                DistrictCommand::Reputation(ReputationTable::decode(r.bytes("reputation table")?)?)
            }
            tag => {
                return Err(Error::UnknownTag {
                    what: "district command tag",
                    tag,
                    offset,
                }
                .into());
            }
        };
        r.finish("district command")?;
        Ok(cmd)
    }
}

/// Appends log entries: a count, then each entry's term, index and payload.
pub(crate) fn put_entries(w: &mut Writer, entries: &[Entry]) {
    w.u64(to_u64(entries.len()));
    for e in entries {
        w.u64(e.term.get());
        w.u64(e.index.get());
        match &e.payload {
            Payload::Noop => w.u8(0),
            Payload::Command(b) => {
                w.u8(1);
                w.bytes(b);
            }
        }
    }
}

/// Reads what [`put_entries`] wrote.
///
/// # Errors
/// A [`DecodeError`] naming the field; never panics.
pub(crate) fn take_entries(r: &mut Reader<'_>) -> Result<Vec<Entry>, DecodeError> {
    let count = r.u64("seat entry count")?;
    // Each entry takes at least 17 bytes: refuse counts the input cannot hold
    // before allocating for them.
    if count > to_u64(r.remaining() / 17) {
        return Err(Error::Truncated {
            what: "seat entries",
            offset: r.position(),
            needed: count.saturating_mul(17),
            available: r.remaining(),
        }
        .into());
    }
    let mut entries = Vec::with_capacity(usize::try_from(count).unwrap_or(0));
    for _ in 0..count {
        let term = Term(r.u64("seat entry term")?);
        let index = LogIndex(r.u64("seat entry index")?);
        let at = r.position();
        let payload = match r.u8("seat entry kind")? {
            0 => Payload::Noop,
            1 => Payload::Command(Bytes::copy_from_slice(r.bytes("seat entry payload")?)),
            tag => {
                return Err(Error::UnknownTag {
                    what: "seat entry kind",
                    tag,
                    offset: at,
                }
                .into());
            }
        };
        entries.push(Entry {
            term,
            index,
            payload,
        });
    }
    Ok(entries)
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    fn persist() -> SeatPersist {
        SeatPersist {
            incarnation: Term(4),
            hard_state: Some(HardState {
                term: Term(3),
                vote: Some(NodeId(2)),
                commit: LogIndex(1),
            }),
            entries: vec![
                Entry {
                    term: Term(3),
                    index: LogIndex(2),
                    payload: Payload::Noop,
                },
                Entry {
                    term: Term(3),
                    index: LogIndex(3),
                    payload: Payload::Command(Bytes::from_static(b"x")),
                },
            ],
            commit: LogIndex(2),
            snapshot: None,
        }
    }

    fn persist_with_snapshot() -> SeatPersist {
        SeatPersist {
            snapshot: Some(Snapshot {
                meta: SnapshotMeta {
                    index: LogIndex(1),
                    term: Term(2),
                },
                data: Bytes::from_static(b"global image"),
            }),
            ..persist()
        }
    }

    fn table() -> ReputationTable {
        let mut t = ReputationTable::new(NodeId(1), LogIndex(40), crate::types::Time(9_000));
        for (id, score) in [(1, 9_900), (2, 7_500), (3, 0)] {
            t.insert(
                NodeId(id),
                crate::westminster::reputation::Score::new(score).unwrap(),
                std::time::Duration::from_millis(id * 1_000),
            );
        }
        t
    }

    #[test]
    fn commands_round_trip() {
        for cmd in [
            DistrictCommand::Kv(Bytes::from_static(b"kv")),
            DistrictCommand::SeatPersist(persist()),
            DistrictCommand::SeatPersist(persist_with_snapshot()),
            DistrictCommand::Reputation(table()),
        ] {
            assert_eq!(DistrictCommand::decode(&cmd.encode()).unwrap(), cmd);
        }
    }

    #[test]
    fn every_truncation_is_refused() {
        for cmd in [
            DistrictCommand::SeatPersist(persist()),
            DistrictCommand::SeatPersist(persist_with_snapshot()),
            DistrictCommand::Reputation(table()),
        ] {
            let bytes = cmd.encode();
            for cut in 0..bytes.len() {
                assert!(
                    DistrictCommand::decode(&bytes[..cut]).is_err(),
                    "cut at {cut}"
                );
            }
        }
    }

    #[test]
    fn a_malformed_table_and_an_unknown_tag_are_errors() {
        // A table whose one row has score 10 001: framed correctly, refused by the table.
        let mut raw = table().encode();
        let row = raw.len() - 18;
        raw[row + 8..row + 10].copy_from_slice(&10_001u16.to_le_bytes());
        let mut w = Writer::new();
        w.u8(VERSION);
        w.u8(TAG_REPUTATION);
        w.bytes(&raw);
        let err = DistrictCommand::decode(&w.finish()).unwrap_err();
        assert!(matches!(err, DecodeError::Table(_)), "{err}");
        let err = DistrictCommand::decode(&[VERSION, 9]).unwrap_err();
        assert!(err.to_string().contains("district command tag"), "{err}");
    }

    #[test]
    fn an_absurd_entry_count_is_refused_before_allocating() {
        let mut w = Writer::new();
        w.u8(VERSION);
        w.u8(TAG_SEAT_PERSIST);
        w.u64(1);
        w.bool(false);
        w.u64(u64::MAX);
        let err = DistrictCommand::decode(&w.finish()).unwrap_err();
        assert!(err.to_string().contains("seat entries"), "{err}");
    }

    proptest! {
        #[test]
        fn random_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..256)) {
            let _ = DistrictCommand::decode(&bytes);
        }
    }
}
