//! Responses: what applying one command produced, and their binary encoding.
//!
//! ```text
//! response := version:u8 (= 1) index:u64 revision:u64 token:opt<group:u64 term:u64>
//!             replayed:u8 outcome
//! outcome  := 1 Written create:u64 mod:u64 version:u64 | 2 Deleted existed:u8
//!           | 3 Conflict current:u64 | 4 Barrier | 5 SessionOpened client:u64
//!           | 6 SessionClosed | 7 Rejected rejection
//! ```

use bytes::Bytes;

use crate::state::error::{Error, Result};
use crate::state::rejected::Rejected;
use crate::state::revision::Revision;
use crate::state::versioned::KeyMeta;
use crate::state::wire::{Reader, Wire, Writer};
use crate::types::{FencingToken, LogIndex};

/// The encoding version this build writes and reads.
pub const RESPONSE_VERSION: u8 = 1;

/// The answer to one applied command.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Response {
    /// The log entry whose application produced this response.
    pub index: LogIndex,
    /// The command's scope revision once its outcome was decided: for a write that took
    /// effect, the revision of that write (its decree number); otherwise the scope's
    /// revision at the time. Reading at least this revision afterwards sees the outcome.
    /// Zero when the command could not be decoded (it has no scope).
    pub revision: Revision,
    /// The leadership that committed the entry, when the shell supplied it. For a
    /// replayed response, the token of the original write.
    pub token: Option<FencingToken>,
    /// What happened.
    pub outcome: Outcome,
    /// True when this is a retry of a request the session had already answered:
    /// `revision`, `token` and `outcome` are the first answer's, and nothing changed now.
    pub replayed: bool,
}

impl Response {
    /// The response's encoding.
    #[must_use]
    pub fn encode(&self) -> Bytes {
        let mut w = Writer::new();
        w.u8(RESPONSE_VERSION);
        w.u64(self.index.get());
        self.revision.put(&mut w);
        w.option(self.token.as_ref());
        w.bool(self.replayed);
        self.outcome.put(&mut w);
        Bytes::from(w.finish())
    }

    /// Decodes untrusted bytes written by [`Response::encode`].
    ///
    /// # Errors
    /// An [`Error`] naming what could not be read and where. Never panics.
    pub fn decode(bytes: &[u8]) -> Result<Response> {
        let mut r = Reader::new(bytes);
        r.version("response version", RESPONSE_VERSION)?;
        let response = Response {
            index: LogIndex(r.u64("response index")?),
            revision: Revision::take(&mut r)?,
            token: r.option("response token")?,
            replayed: r.bool("response replayed flag")?,
            outcome: Outcome::take(&mut r)?,
        };
        r.finish("response")?;
        Ok(response)
    }
}

/// What a command did.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Outcome {
    /// A write stored a value (put, a successful compare-and-swap with a value,
    /// create-if-absent). `meta.mod_revision` is the write's revision.
    Written {
        /// The key's revisions after the write.
        meta: KeyMeta,
    },
    /// A delete (or a compare-and-swap to nothing) succeeded. When nothing existed,
    /// nothing changed and the revision did not move.
    Deleted {
        /// Whether a value was removed.
        existed: bool,
    },
    /// A conditional write found the key other than expected and was discarded: nothing
    /// changed. Re-read and decide again; conflicting requests are never merged.
    Conflict {
        /// The key's mod revision now; zero when it is absent.
        current_revision: Revision,
    },
    /// A barrier was applied.
    Barrier,
    /// A session was opened.
    SessionOpened {
        /// The client id to put in the session's [`RequestId`](crate::state::RequestId)s.
        client: u64,
    },
    /// A session was closed.
    SessionClosed,
    /// The command changed nothing, for this reason.
    Rejected(Rejected),
}

impl Outcome {
    /// A short name for logs and metric labels.
    #[must_use]
    pub fn name(&self) -> &'static str {
        match self {
            Outcome::Written { .. } => "written",
            Outcome::Deleted { .. } => "deleted",
            Outcome::Conflict { .. } => "conflict",
            Outcome::Barrier => "barrier",
            Outcome::SessionOpened { .. } => "session-opened",
            Outcome::SessionClosed => "session-closed",
            Outcome::Rejected(r) => r.name(),
        }
    }
}

const WRITTEN: u8 = 1;
const DELETED: u8 = 2;
const CONFLICT: u8 = 3;
const BARRIER: u8 = 4;
const SESSION_OPENED: u8 = 5;
const SESSION_CLOSED: u8 = 6;
const REJECTED: u8 = 7;

impl Wire for Outcome {
    fn put(&self, w: &mut Writer) {
        match self {
            Outcome::Written { meta } => {
                w.u8(WRITTEN);
                meta.put(w);
            }
            Outcome::Deleted { existed } => {
                w.u8(DELETED);
                w.bool(*existed);
            }
            Outcome::Conflict { current_revision } => {
                w.u8(CONFLICT);
                current_revision.put(w);
            }
            Outcome::Barrier => w.u8(BARRIER),
            Outcome::SessionOpened { client } => {
                w.u8(SESSION_OPENED);
                w.u64(*client);
            }
            Outcome::SessionClosed => w.u8(SESSION_CLOSED),
            Outcome::Rejected(rejected) => {
                w.u8(REJECTED);
                rejected.put(w);
            }
        }
    }

    fn take(r: &mut Reader<'_>) -> Result<Outcome> {
        let offset = r.position();
        Ok(match r.u8("outcome")? {
            WRITTEN => Outcome::Written {
                meta: KeyMeta::take(r)?,
            },
            DELETED => Outcome::Deleted {
                existed: r.bool("deleted flag")?,
            },
            CONFLICT => Outcome::Conflict {
                current_revision: Revision::take(r)?,
            },
            BARRIER => Outcome::Barrier,
            SESSION_OPENED => Outcome::SessionOpened {
                client: r.u64("session client")?,
            },
            SESSION_CLOSED => Outcome::SessionClosed,
            REJECTED => Outcome::Rejected(Rejected::take(r)?),
            tag => {
                return Err(Error::UnknownTag {
                    what: "outcome",
                    tag,
                    offset,
                });
            }
        })
    }
}
