//! Conversions of the envelopes members send each other: district and Commons messages
//! and session messages (tickets, batches, refusals).

use parliament_engine::engine::Message;
use parliament_engine::westminster::{DistrictId, Envelope, SessionEntry, SessionMessage, Ticket};
use parliament_engine::{NodeId, Term, westminster};

use super::required;
use crate::MAX_SESSION_BATCH_ENTRIES;
use crate::error::{Error, Result};
use crate::peer;
use crate::peer::envelope::Kind;
use crate::peer::session_message::Kind as SessionKind;

impl From<&Envelope> for peer::Envelope {
    fn from(e: &Envelope) -> peer::Envelope {
        let kind = match e {
            Envelope::District(m) => Kind::District(m.into()),
            Envelope::Commons {
                incarnation,
                forwarded,
                origin,
                message,
            } => Kind::Commons(peer::CommonsMessage {
                incarnation: incarnation.get(),
                forwarded: *forwarded,
                message: Some(message.into()),
                origin: origin.map(|o| o.0),
            }),
            Envelope::Session(m) => Kind::Session(m.into()),
        };
        peer::Envelope { kind: Some(kind) }
    }
}

impl From<Envelope> for peer::Envelope {
    fn from(e: Envelope) -> peer::Envelope {
        peer::Envelope::from(&e)
    }
}

impl TryFrom<peer::Envelope> for Envelope {
    type Error = Error;

    fn try_from(e: peer::Envelope) -> Result<Envelope> {
        Ok(match required(e.kind, "Envelope", "kind")? {
            Kind::District(m) => Envelope::District(Message::try_from(m)?),
            Kind::Commons(c) => Envelope::Commons {
                incarnation: Term(c.incarnation),
                forwarded: c.forwarded,
                origin: c.origin.map(NodeId),
                message: Message::try_from(required(c.message, "CommonsMessage", "message")?)?,
            },
            Kind::Session(m) => Envelope::Session(SessionMessage::try_from(m)?),
        })
    }
}

impl From<&SessionMessage> for peer::SessionMessage {
    fn from(m: &SessionMessage) -> peer::SessionMessage {
        let kind = match m {
            SessionMessage::Submit { ticket, command } => {
                SessionKind::Submit(peer::SessionSubmit {
                    ticket: Some(ticket.into()),
                    command: command.clone(),
                })
            }
            SessionMessage::Batch { district, entries } => SessionKind::Batch(peer::SessionBatch {
                district: district.0,
                entries: entries.iter().map(peer::SessionEntry::from).collect(),
            }),
            SessionMessage::Refused { ticket, reason } => {
                SessionKind::Refused(peer::SessionRefused {
                    ticket: Some(ticket.into()),
                    reason: Some(reason.into()),
                })
            }
        };
        peer::SessionMessage { kind: Some(kind) }
    }
}

impl TryFrom<peer::SessionMessage> for SessionMessage {
    type Error = Error;

    fn try_from(m: peer::SessionMessage) -> Result<SessionMessage> {
        Ok(match required(m.kind, "SessionMessage", "kind")? {
            SessionKind::Submit(s) => SessionMessage::Submit {
                ticket: ticket(s.ticket, "SessionSubmit")?,
                command: s.command,
            },
            SessionKind::Batch(b) => {
                if b.entries.len() > MAX_SESSION_BATCH_ENTRIES {
                    return Err(Error::Invalid {
                        message: "SessionBatch",
                        field: "entries",
                        reason: format!(
                            "{} entries, over the limit of {MAX_SESSION_BATCH_ENTRIES}; a representative sends at most max_batch_per_district",
                            b.entries.len()
                        ),
                    });
                }
                SessionMessage::Batch {
                    district: district(b.district, "SessionBatch")?,
                    entries: b
                        .entries
                        .into_iter()
                        .map(SessionEntry::try_from)
                        .collect::<Result<_>>()?,
                }
            }
            SessionKind::Refused(r) => SessionMessage::Refused {
                ticket: ticket(r.ticket, "SessionRefused")?,
                reason: westminster::Refused::try_from(required(
                    r.reason,
                    "SessionRefused",
                    "reason",
                )?)?,
            },
        })
    }
}

impl From<&Ticket> for peer::Ticket {
    fn from(t: &Ticket) -> peer::Ticket {
        peer::Ticket {
            origin: t.origin.get(),
            epoch: t.epoch,
            seq: t.seq,
        }
    }
}

/// The required ticket of a `message`.
fn ticket(t: Option<peer::Ticket>, message: &'static str) -> Result<Ticket> {
    let t = required(t, message, "ticket")?;
    Ok(Ticket {
        origin: NodeId(t.origin),
        epoch: t.epoch,
        seq: t.seq,
    })
}

impl From<&SessionEntry> for peer::SessionEntry {
    fn from(e: &SessionEntry) -> peer::SessionEntry {
        peer::SessionEntry {
            ticket: Some((&e.ticket).into()),
            command: e.command.clone(),
        }
    }
}

impl TryFrom<peer::SessionEntry> for SessionEntry {
    type Error = Error;

    fn try_from(e: peer::SessionEntry) -> Result<SessionEntry> {
        Ok(SessionEntry {
            ticket: ticket(e.ticket, "SessionEntry")?,
            command: e.command,
        })
    }
}

/// A district id from the wire. The last id is refused: its group id
/// (`DistrictId::group`, id + 1) does not exist, and nothing a peer sends may make the
/// engine overflow computing it.
pub(super) fn district(id: u64, message: &'static str) -> Result<DistrictId> {
    if id == u64::MAX {
        return Err(Error::Invalid {
            message,
            field: "district",
            reason: format!("district {id} has no group id (the group of district d is d + 1)"),
        });
    }
    Ok(DistrictId(id))
}
