//! Names of envelope kinds for errors, logs and metric labels, from explicit matches.

use parliament_engine::westminster::{Envelope, SessionMessage};

/// The envelope kind (`district`, `commons`, `session`) and the kind of message inside
/// (`MessageBody::kind`, or `submit`, `batch`, `refused` for session messages).
pub(crate) fn of(envelope: &Envelope) -> (&'static str, &'static str) {
    match envelope {
        Envelope::District(m) => ("district", m.body.kind()),
        Envelope::Commons { message, .. } => ("commons", message.body.kind()),
        Envelope::Session(s) => (
            "session",
            match s {
                SessionMessage::Submit { .. } => "submit",
                SessionMessage::Batch { .. } => "batch",
                SessionMessage::Refused { .. } => "refused",
            },
        ),
    }
}
