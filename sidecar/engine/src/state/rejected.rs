//! Rejections: the answers to commands that were committed but could not take effect.

use crate::state::error::{Error, Result};
use crate::state::request::RequestId;
use crate::state::scope::Scope;
use crate::state::wire::{Reader, Wire, Writer};
use crate::types::FencingToken;

/// Why a committed command changed nothing. A value, not an error: every replica decides
/// it the same way, and it is saved and replayed like any other answer.
#[derive(Clone, Debug, PartialEq, Eq, Hash, thiserror::Error)]
pub enum Rejected {
    /// The entry's bytes are not a command this build understands.
    #[error("malformed command: {reason}")]
    Malformed {
        /// The decoding error, as text.
        reason: String,
    },
    /// A value (or other field) over this group's configured limit.
    #[error(
        "{field} {preview} is {len} bytes; the limit is {limit} bytes: split it or store a reference"
    )]
    TooLarge {
        /// The field, e.g. `value`.
        field: String,
        /// The start of the value, quoted (or hex), ending in `…` if cut.
        preview: String,
        /// Its length in bytes.
        len: u64,
        /// The limit in bytes.
        limit: u64,
    },
    /// The scope is not kept by this state machine (a district command routed to
    /// another district's group, or the reverse).
    #[error("scope {scope} is not kept here; send it to the group that owns it")]
    WrongScope {
        /// The scope asked for.
        scope: Scope,
    },
    /// No session with this client id in the scope: it was never opened, was closed,
    /// or was evicted. Open a new session; writes of the old one that have no answer may
    /// or may not have applied.
    #[error("no session {client} in this scope (closed, evicted or never opened); open a new one")]
    UnknownSession {
        /// The client id.
        client: u64,
    },
    /// The request's sequence number is at or below the session's floor: the session
    /// no longer remembers whether it applied (it did, and its answer was evicted; or it
    /// never will). It was not applied now. Use a new sequence number.
    #[error(
        "request {request} is at or below sequence {floor}, the oldest this session can judge; \
         it was not applied now; retry with a new sequence number"
    )]
    Duplicate {
        /// The request.
        request: RequestId,
        /// The session's floor: every sequence number up to it is settled.
        floor: u64,
    },
    /// The write's fencing token is older than one the scope has already accepted for
    /// the same group: its holder has been deposed.
    #[error("fencing token {fence} is stale: this scope has accepted {seen}")]
    StaleFence {
        /// The token the write carried.
        fence: FencingToken,
        /// The highest token of the same group the scope has accepted.
        seen: FencingToken,
    },
    /// The scope already tracks fences for the most groups it may.
    #[error("this scope already tracks fencing tokens of {limit} groups, the configured limit")]
    TooManyFenceGroups {
        /// The limit.
        limit: u64,
    },
    /// The write would take the scope over its byte quota.
    #[error(
        "scope holds {used} bytes; this write needs {needed} more and the quota is {limit}: \
         delete keys or raise max_scope_bytes"
    )]
    ScopeFull {
        /// Bytes in use before the write.
        used: u64,
        /// Bytes the write would add.
        needed: u64,
        /// The quota.
        limit: u64,
    },
}

impl Rejected {
    /// A short name for logs and metric labels.
    #[must_use]
    pub fn name(&self) -> &'static str {
        match self {
            Rejected::Malformed { .. } => "malformed",
            Rejected::TooLarge { .. } => "too-large",
            Rejected::WrongScope { .. } => "wrong-scope",
            Rejected::UnknownSession { .. } => "unknown-session",
            Rejected::Duplicate { .. } => "duplicate",
            Rejected::StaleFence { .. } => "stale-fence",
            Rejected::TooManyFenceGroups { .. } => "too-many-fence-groups",
            Rejected::ScopeFull { .. } => "scope-full",
        }
    }
}

const MALFORMED: u8 = 1;
const TOO_LARGE: u8 = 2;
const WRONG_SCOPE: u8 = 3;
const UNKNOWN_SESSION: u8 = 4;
const DUPLICATE: u8 = 5;
const STALE_FENCE: u8 = 6;
const TOO_MANY_FENCE_GROUPS: u8 = 7;
const SCOPE_FULL: u8 = 8;

impl Wire for Rejected {
    fn put(&self, w: &mut Writer) {
        match self {
            Rejected::Malformed { reason } => {
                w.u8(MALFORMED);
                w.str(reason);
            }
            Rejected::TooLarge {
                field,
                preview,
                len,
                limit,
            } => {
                w.u8(TOO_LARGE);
                w.str(field);
                w.str(preview);
                w.u64(*len);
                w.u64(*limit);
            }
            Rejected::WrongScope { scope } => {
                w.u8(WRONG_SCOPE);
                scope.put(w);
            }
            Rejected::UnknownSession { client } => {
                w.u8(UNKNOWN_SESSION);
                w.u64(*client);
            }
            Rejected::Duplicate { request, floor } => {
                w.u8(DUPLICATE);
                request.put(w);
                w.u64(*floor);
            }
            Rejected::StaleFence { fence, seen } => {
                w.u8(STALE_FENCE);
                fence.put(w);
                seen.put(w);
            }
            Rejected::TooManyFenceGroups { limit } => {
                w.u8(TOO_MANY_FENCE_GROUPS);
                w.u64(*limit);
            }
            Rejected::ScopeFull {
                used,
                needed,
                limit,
            } => {
                w.u8(SCOPE_FULL);
                w.u64(*used);
                w.u64(*needed);
                w.u64(*limit);
            }
        }
    }

    fn take(r: &mut Reader<'_>) -> Result<Rejected> {
        let offset = r.position();
        Ok(match r.u8("rejection")? {
            MALFORMED => Rejected::Malformed {
                reason: r.str("rejection reason")?.to_owned(),
            },
            TOO_LARGE => Rejected::TooLarge {
                field: r.str("rejection field")?.to_owned(),
                preview: r.str("rejection preview")?.to_owned(),
                len: r.u64("rejection length")?,
                limit: r.u64("rejection limit")?,
            },
            WRONG_SCOPE => Rejected::WrongScope {
                scope: Scope::take(r)?,
            },
            UNKNOWN_SESSION => Rejected::UnknownSession {
                client: r.u64("session client")?,
            },
            DUPLICATE => Rejected::Duplicate {
                request: RequestId::take(r)?,
                floor: r.u64("session floor")?,
            },
            STALE_FENCE => Rejected::StaleFence {
                fence: FencingToken::take(r)?,
                seen: FencingToken::take(r)?,
            },
            TOO_MANY_FENCE_GROUPS => Rejected::TooManyFenceGroups {
                limit: r.u64("fence group limit")?,
            },
            SCOPE_FULL => Rejected::ScopeFull {
                used: r.u64("scope bytes used")?,
                needed: r.u64("scope bytes needed")?,
                limit: r.u64("scope byte quota")?,
            },
            tag => {
                return Err(Error::UnknownTag {
                    what: "rejection",
                    tag,
                    offset,
                });
            }
        })
    }
}
