//! Conversions between the peer protocol's messages and what members send each other:
//! the Westminster [`Envelope`](parliament_engine::westminster::Envelope) and its session
//! messages (`convert/envelope.rs`), the engine [`Message`] inside district and Commons
//! envelopes (this file), and refusals (`convert/refused.rs`).
//!
//! Outbound (engine → proto) is infallible. Inbound (proto → engine) is a `TryFrom` that
//! checks everything the engine relies on and returns an [`Error`] naming the field, so a
//! malformed or hostile frame can never panic the engine: a missing `oneof` or required
//! message field, an `Append` whose entries are not contiguous after `prev_index`, an
//! index that would overflow, a district id with no group, a count this platform cannot
//! hold, and collections over [`MAX_APPEND_ENTRIES`](crate::MAX_APPEND_ENTRIES) and
//! [`MAX_SESSION_BATCH_ENTRIES`](crate::MAX_SESSION_BATCH_ENTRIES). Every conversion
//! round-trips exactly: `TryFrom(From(x)) == x` for every value the engine can send.

mod envelope;
mod refused;

use parliament_engine::engine::{Entry, Message, MessageBody, Payload, SnapshotMeta};
use parliament_engine::{GroupId, LogIndex, NodeId, Term};

use crate::MAX_APPEND_ENTRIES;
use crate::error::{Error, Result};
use crate::peer;
use crate::peer::message::Body;

/// The value of a required field (a `oneof` or message field), or the error naming it.
fn required<T>(value: Option<T>, message: &'static str, field: &'static str) -> Result<T> {
    value.ok_or(Error::Missing { message, field })
}

impl From<&Message> for peer::Message {
    fn from(m: &Message) -> peer::Message {
        peer::Message {
            group: m.group.get(),
            from: m.from.get(),
            to: m.to.get(),
            term: m.term.get(),
            body: Some(Body::from(&m.body)),
        }
    }
}

impl From<Message> for peer::Message {
    fn from(m: Message) -> peer::Message {
        peer::Message::from(&m)
    }
}

impl From<&MessageBody> for Body {
    fn from(body: &MessageBody) -> Body {
        match body {
            MessageBody::PreVote {
                last_index,
                last_term,
            } => Body::PreVote(peer::PreVote {
                last_index: last_index.get(),
                last_term: last_term.get(),
            }),
            MessageBody::PreVoteResponse { granted } => {
                Body::PreVoteResponse(peer::PreVoteResponse { granted: *granted })
            }
            MessageBody::RequestVote {
                last_index,
                last_term,
                transfer,
            } => Body::RequestVote(peer::RequestVote {
                last_index: last_index.get(),
                last_term: last_term.get(),
                transfer: *transfer,
            }),
            MessageBody::RequestVoteResponse { granted } => {
                Body::RequestVoteResponse(peer::RequestVoteResponse { granted: *granted })
            }
            MessageBody::Append {
                prev_index,
                prev_term,
                entries,
                commit,
                round,
            } => Body::Append(peer::Append {
                prev_index: prev_index.get(),
                prev_term: prev_term.get(),
                entries: entries.iter().map(peer::Entry::from).collect(),
                commit: commit.get(),
                round: *round,
            }),
            MessageBody::AppendResponse {
                success,
                index,
                hint_index,
                hint_term,
                round,
            } => Body::AppendResponse(peer::AppendResponse {
                success: *success,
                index: index.get(),
                hint_index: hint_index.get(),
                hint_term: hint_term.map(Term::get),
                round: *round,
            }),
            MessageBody::TimeoutNow => Body::TimeoutNow(peer::TimeoutNow {}),
            MessageBody::InstallSnapshot {
                meta,
                offset,
                data,
                done,
                round,
            } => Body::InstallSnapshot(peer::InstallSnapshot {
                meta: Some(meta.into()),
                offset: *offset,
                data: data.clone(),
                done: *done,
                round: *round,
            }),
            MessageBody::InstallSnapshotResponse {
                meta,
                received,
                done,
                round,
            } => Body::InstallSnapshotResponse(peer::InstallSnapshotResponse {
                meta: Some(meta.into()),
                received: *received,
                done: *done,
                round: *round,
            }),
        }
    }
}

impl From<&Entry> for peer::Entry {
    fn from(e: &Entry) -> peer::Entry {
        let payload = match &e.payload {
            Payload::Noop => peer::entry::Payload::Noop(peer::Noop {}),
            Payload::Command(bytes) => peer::entry::Payload::Command(bytes.clone()),
        };
        peer::Entry {
            term: e.term.get(),
            index: e.index.get(),
            payload: Some(payload),
        }
    }
}

impl TryFrom<peer::Message> for Message {
    type Error = Error;

    fn try_from(m: peer::Message) -> Result<Message> {
        let body = required(m.body, "Message", "body")?;
        Ok(Message {
            group: GroupId(m.group),
            from: NodeId(m.from),
            to: NodeId(m.to),
            term: Term(m.term),
            body: MessageBody::try_from(body)?,
        })
    }
}

impl TryFrom<Body> for MessageBody {
    type Error = Error;

    fn try_from(body: Body) -> Result<MessageBody> {
        Ok(match body {
            Body::PreVote(v) => MessageBody::PreVote {
                last_index: LogIndex(v.last_index),
                last_term: Term(v.last_term),
            },
            Body::PreVoteResponse(r) => MessageBody::PreVoteResponse { granted: r.granted },
            Body::RequestVote(v) => MessageBody::RequestVote {
                last_index: LogIndex(v.last_index),
                last_term: Term(v.last_term),
                transfer: v.transfer,
            },
            Body::RequestVoteResponse(r) => MessageBody::RequestVoteResponse { granted: r.granted },
            Body::Append(a) => append(a)?,
            Body::AppendResponse(r) => MessageBody::AppendResponse {
                success: r.success,
                index: LogIndex(r.index),
                hint_index: LogIndex(r.hint_index),
                hint_term: r.hint_term.map(Term),
                round: r.round,
            },
            Body::TimeoutNow(peer::TimeoutNow {}) => MessageBody::TimeoutNow,
            Body::InstallSnapshot(s) => MessageBody::InstallSnapshot {
                meta: snapshot_meta(s.meta, "InstallSnapshot")?,
                offset: s.offset,
                data: s.data,
                done: s.done,
                round: s.round,
            },
            Body::InstallSnapshotResponse(r) => MessageBody::InstallSnapshotResponse {
                meta: snapshot_meta(r.meta, "InstallSnapshotResponse")?,
                received: r.received,
                done: r.done,
                round: r.round,
            },
        })
    }
}

impl From<&SnapshotMeta> for peer::SnapshotMeta {
    fn from(m: &SnapshotMeta) -> peer::SnapshotMeta {
        peer::SnapshotMeta {
            index: m.index.get(),
            term: m.term.get(),
        }
    }
}

fn snapshot_meta(meta: Option<peer::SnapshotMeta>, message: &'static str) -> Result<SnapshotMeta> {
    let m = required(meta, message, "meta")?;
    Ok(SnapshotMeta {
        index: LogIndex(m.index),
        term: Term(m.term),
    })
}

/// An append's entries must sit at `prev_index + 1, prev_index + 2, …`: the engine's log
/// places them by position, so a gap or a repeat would corrupt it. At most
/// [`MAX_APPEND_ENTRIES`] of them.
fn append(a: peer::Append) -> Result<MessageBody> {
    if a.entries.len() > MAX_APPEND_ENTRIES {
        return Err(Error::Invalid {
            message: "Append",
            field: "entries",
            reason: format!(
                "{} entries, over the limit of {MAX_APPEND_ENTRIES}; a leader sends at most max_append_entries",
                a.entries.len()
            ),
        });
    }
    let mut entries = Vec::with_capacity(a.entries.len());
    let mut expected = a.prev_index;
    for e in a.entries {
        expected = expected.checked_add(1).ok_or_else(|| Error::Invalid {
            message: "Append",
            field: "entries",
            reason: format!(
                "entries after prev_index {} overflow the index space",
                a.prev_index
            ),
        })?;
        let entry = Entry::try_from(e)?;
        if entry.index.get() != expected {
            return Err(Error::Invalid {
                message: "Append",
                field: "entries",
                reason: format!(
                    "entry index {} where {expected} was expected (prev_index {}): entries must be contiguous",
                    entry.index.get(),
                    a.prev_index
                ),
            });
        }
        entries.push(entry);
    }
    Ok(MessageBody::Append {
        prev_index: LogIndex(a.prev_index),
        prev_term: Term(a.prev_term),
        entries,
        commit: LogIndex(a.commit),
        round: a.round,
    })
}

impl TryFrom<peer::Entry> for Entry {
    type Error = Error;

    fn try_from(e: peer::Entry) -> Result<Entry> {
        if e.index == 0 {
            return Err(Error::Invalid {
                message: "Entry",
                field: "index",
                reason: "index 0 is the empty prefix; entries start at 1".to_owned(),
            });
        }
        let payload = match required(e.payload, "Entry", "payload")? {
            peer::entry::Payload::Noop(peer::Noop {}) => Payload::Noop,
            peer::entry::Payload::Command(bytes) => Payload::Command(bytes),
        };
        Ok(Entry {
            term: Term(e.term),
            index: LogIndex(e.index),
            payload,
        })
    }
}

#[cfg(test)]
mod tests;
