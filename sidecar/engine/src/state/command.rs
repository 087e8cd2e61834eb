//! Commands: what a `Payload::Command` entry asks the state machine to do, and their
//! binary encoding.
//!
//! ```text
//! command  := version:u8 (= 1) kind:u8 body
//! kind 1   OpenSession     scope
//! kind 2   CloseSession    scope client:u64
//! kind 3   Barrier         scope fence:opt<token>
//! kind 4   Write           scope request:opt<client:u64 seq:u64> fence:opt<token>
//!                          key:(len:u16 utf8) op
//! op       := 1 Put value | 2 Delete | 3 CompareAndSwap expect:u64 opt<value>
//!           | 4 CreateIfAbsent value
//! scope    := 1 len:u8 name | 2 (global) | 3 (critical)
//! value    := len:u64 bytes          token := group:u64 term:u64
//! opt<x>   := 0 | 1 x                integers little-endian
//! ```
//! Kinds 16 and up are reserved for the seat, roster and reputation commands that the
//! Westminster layer adds; a build that does not know a kind rejects it as malformed,
//! so new kinds may be proposed only once every member runs a build that knows them.

use bytes::Bytes;

use crate::state::error::{Error, Result};
use crate::state::key::Key;
use crate::state::request::RequestId;
use crate::state::revision::Revision;
use crate::state::scope::Scope;
use crate::state::wire::{Reader, Wire, Writer};
use crate::types::FencingToken;

/// The encoding version this build writes and reads.
pub const COMMAND_VERSION: u8 = 1;

/// One state-machine command: the payload of a committed `Payload::Command` entry.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Command {
    /// Opens a client session in `scope`; the response carries the client id to use in
    /// [`RequestId`]s. Not deduplicated: a retried open makes a second session, which
    /// the oldest-first eviction eventually drops.
    OpenSession {
        /// The scope the session writes to.
        scope: Scope,
    },
    /// Ends a session and forgets its saved responses. Closing an unknown session is
    /// answered [`Rejected::UnknownSession`](crate::state::Rejected::UnknownSession).
    CloseSession {
        /// The session's scope.
        scope: Scope,
        /// The session's client id.
        client: u64,
    },
    /// Changes nothing; answers with the scope's revision. A client that reads at least
    /// that revision afterwards sees every write committed before the barrier. With a
    /// `fence`, it checks the fence and raises the scope's fence for its group, so a new
    /// leader can shut out its predecessors before its first write.
    Barrier {
        /// The scope.
        scope: Scope,
        /// A fencing token to check and raise.
        fence: Option<FencingToken>,
    },
    /// A change to one key.
    Write(Write),
}

impl Command {
    /// The scope the command acts on.
    #[must_use]
    pub fn scope(&self) -> &Scope {
        match self {
            Command::OpenSession { scope }
            | Command::CloseSession { scope, .. }
            | Command::Barrier { scope, .. } => scope,
            Command::Write(w) => &w.scope,
        }
    }

    /// A short name for logs and metric labels.
    #[must_use]
    pub fn name(&self) -> &'static str {
        match self {
            Command::OpenSession { .. } => "open-session",
            Command::CloseSession { .. } => "close-session",
            Command::Barrier { .. } => "barrier",
            Command::Write(w) => w.op.name(),
        }
    }

    /// The command's encoding: the bytes to propose.
    #[must_use]
    pub fn encode(&self) -> Bytes {
        let mut w = Writer::new();
        w.u8(COMMAND_VERSION);
        self.put(&mut w);
        Bytes::from(w.finish())
    }

    /// Decodes untrusted bytes written by [`Command::encode`].
    ///
    /// # Errors
    /// An [`Error`] naming what could not be read and where: truncated input, an
    /// unsupported version, an unknown tag, trailing bytes, or a key or district name
    /// that breaks its rules. Never panics.
    pub fn decode(bytes: &[u8]) -> Result<Command> {
        let mut r = Reader::new(bytes);
        r.version("command version", COMMAND_VERSION)?;
        let command = Command::take(&mut r)?;
        r.finish("command")?;
        Ok(command)
    }
}

impl From<Write> for Command {
    fn from(write: Write) -> Command {
        Command::Write(write)
    }
}

/// A change to one key of one scope, with the request id and fence that guard it.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Write {
    /// The scope.
    pub scope: Scope,
    /// The key.
    pub key: Key,
    /// The change.
    pub op: WriteOp,
    /// The session request this write is, so a retry applies once. `None`: the write
    /// applies every time it is committed (fine for a `Put` of a fixed value; use a
    /// session for anything else).
    pub request: Option<RequestId>,
    /// The writer's fencing token: refused if the scope has seen a higher term of the
    /// same group (docs/store.md#fencing).
    pub fence: Option<FencingToken>,
}

impl Write {
    /// Sets `key` to `value`.
    #[must_use]
    pub fn put(scope: Scope, key: Key, value: impl Into<Bytes>) -> Write {
        Write::new(scope, key, WriteOp::Put(value.into()))
    }

    /// Removes `key`.
    #[must_use]
    pub fn delete(scope: Scope, key: Key) -> Write {
        Write::new(scope, key, WriteOp::Delete)
    }

    /// Sets `key` to `value` (or removes it, for `None`) if its mod revision is
    /// `expect` (0: the key is absent).
    #[must_use]
    pub fn compare_and_swap(
        scope: Scope,
        key: Key,
        expect: Revision,
        value: Option<Bytes>,
    ) -> Write {
        Write::new(scope, key, WriteOp::CompareAndSwap { expect, value })
    }

    /// Sets `key` to `value` if it is absent.
    #[must_use]
    pub fn create_if_absent(scope: Scope, key: Key, value: impl Into<Bytes>) -> Write {
        Write::new(scope, key, WriteOp::CreateIfAbsent(value.into()))
    }

    fn new(scope: Scope, key: Key, op: WriteOp) -> Write {
        Write {
            scope,
            key,
            op,
            request: None,
            fence: None,
        }
    }

    /// The same write as request `id` of a session.
    #[must_use]
    pub fn with_request(mut self, id: RequestId) -> Write {
        self.request = Some(id);
        self
    }

    /// The same write fenced by `token`.
    #[must_use]
    pub fn with_fence(mut self, token: FencingToken) -> Write {
        self.fence = Some(token);
        self
    }
}

/// What a [`Write`] does to its key.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum WriteOp {
    /// Set the value, whatever was there.
    Put(Bytes),
    /// Remove the key. Removing an absent key succeeds and changes nothing (no new
    /// revision).
    Delete,
    /// Set (`Some`) or remove (`None`) the value only if the key's mod revision equals
    /// `expect`; `Revision::ZERO` expects the key to be absent. Otherwise nothing
    /// changes and the answer is a conflict with the current mod revision.
    CompareAndSwap {
        /// The mod revision the key must have; zero for absent.
        expect: Revision,
        /// The new value; `None` removes the key.
        value: Option<Bytes>,
    },
    /// Set the value only if the key is absent; otherwise a conflict.
    CreateIfAbsent(Bytes),
}

impl WriteOp {
    /// A short name for logs and metric labels.
    #[must_use]
    pub fn name(&self) -> &'static str {
        match self {
            WriteOp::Put(_) => "put",
            WriteOp::Delete => "delete",
            WriteOp::CompareAndSwap { .. } => "compare-and-swap",
            WriteOp::CreateIfAbsent(_) => "create-if-absent",
        }
    }

    /// The value the op would store, if any.
    #[must_use]
    pub fn value(&self) -> Option<&Bytes> {
        match self {
            WriteOp::Put(v) | WriteOp::CreateIfAbsent(v) => Some(v),
            WriteOp::CompareAndSwap { value, .. } => value.as_ref(),
            WriteOp::Delete => None,
        }
    }
}

const KIND_OPEN_SESSION: u8 = 1;
const KIND_CLOSE_SESSION: u8 = 2;
const KIND_BARRIER: u8 = 3;
const KIND_WRITE: u8 = 4;

const OP_PUT: u8 = 1;
const OP_DELETE: u8 = 2;
const OP_CAS: u8 = 3;
const OP_CREATE: u8 = 4;

impl Wire for Command {
    fn put(&self, w: &mut Writer) {
        match self {
            Command::OpenSession { scope } => {
                w.u8(KIND_OPEN_SESSION);
                scope.put(w);
            }
            Command::CloseSession { scope, client } => {
                w.u8(KIND_CLOSE_SESSION);
                scope.put(w);
                w.u64(*client);
            }
            Command::Barrier { scope, fence } => {
                w.u8(KIND_BARRIER);
                scope.put(w);
                w.option(fence.as_ref());
            }
            Command::Write(write) => {
                w.u8(KIND_WRITE);
                write.scope.put(w);
                w.option(write.request.as_ref());
                w.option(write.fence.as_ref());
                write.key.put(w);
                write.op.put(w);
            }
        }
    }

    fn take(r: &mut Reader<'_>) -> Result<Command> {
        let offset = r.position();
        match r.u8("command kind")? {
            KIND_OPEN_SESSION => Ok(Command::OpenSession {
                scope: Scope::take(r)?,
            }),
            KIND_CLOSE_SESSION => Ok(Command::CloseSession {
                scope: Scope::take(r)?,
                client: r.u64("session client")?,
            }),
            KIND_BARRIER => Ok(Command::Barrier {
                scope: Scope::take(r)?,
                fence: r.option("barrier fence")?,
            }),
            KIND_WRITE => Ok(Command::Write(Write {
                scope: Scope::take(r)?,
                request: r.option("write request id")?,
                fence: r.option("write fence")?,
                key: Key::take(r)?,
                op: WriteOp::take(r)?,
            })),
            tag => Err(Error::UnknownTag {
                what: "command kind",
                tag,
                offset,
            }),
        }
    }
}

/// A value as `len:u64 bytes`, copied out of the input so that a stored value never
/// pins a larger network or log buffer in memory.
struct Value(Bytes);

impl Wire for Value {
    fn put(&self, w: &mut Writer) {
        w.bytes(&self.0);
    }

    fn take(r: &mut Reader<'_>) -> Result<Value> {
        Ok(Value(Bytes::copy_from_slice(r.bytes("value")?)))
    }
}

impl Wire for WriteOp {
    fn put(&self, w: &mut Writer) {
        match self {
            WriteOp::Put(v) => {
                w.u8(OP_PUT);
                w.bytes(v);
            }
            WriteOp::Delete => w.u8(OP_DELETE),
            WriteOp::CompareAndSwap { expect, value } => {
                w.u8(OP_CAS);
                expect.put(w);
                match value {
                    None => w.bool(false),
                    Some(v) => {
                        w.bool(true);
                        w.bytes(v);
                    }
                }
            }
            WriteOp::CreateIfAbsent(v) => {
                w.u8(OP_CREATE);
                w.bytes(v);
            }
        }
    }

    fn take(r: &mut Reader<'_>) -> Result<WriteOp> {
        let offset = r.position();
        match r.u8("write op")? {
            OP_PUT => Ok(WriteOp::Put(Value::take(r)?.0)),
            OP_DELETE => Ok(WriteOp::Delete),
            OP_CAS => Ok(WriteOp::CompareAndSwap {
                expect: Revision::take(r)?,
                value: r.option::<Value>("compare-and-swap value")?.map(|v| v.0),
            }),
            OP_CREATE => Ok(WriteOp::CreateIfAbsent(Value::take(r)?.0)),
            tag => Err(Error::UnknownTag {
                what: "write op",
                tag,
                offset,
            }),
        }
    }
}
