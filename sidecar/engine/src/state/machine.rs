//! The replicated state machine of one log: applies committed commands in order and
//! serves reads from what it has applied.

use std::collections::BTreeMap;

use bytes::Bytes;

use crate::engine::{Entry, Membership, Payload};
use crate::state::command::Command;
use crate::state::config::Config;
use crate::state::error::{Error, Result};
use crate::state::key::Key;
use crate::state::read::{Page, Read};
use crate::state::rejected::Rejected;
use crate::state::response::{Outcome, Response};
use crate::state::revision::Revision;
use crate::state::scope::Scope;
use crate::state::store::ScopeStore;
use crate::types::{FencingToken, GroupId, LogIndex};

/// The state machine one log drives: a store per [`Scope`], and the last applied
/// log index.
///
/// # Contract
/// The shell hands it every committed entry of its log in index order, without gaps
/// (docs/protocol.md §3, step 3): commands to [`StateMachine::apply`] (or
/// [`StateMachine::apply_entry`]), no-ops to [`StateMachine::skip`]. Applying is
/// deterministic: replicas that apply the same entries with the same [`Config`] reach
/// byte-identical [`snapshots`](StateMachine::snapshot) and give the same responses.
/// Reads never change anything.
///
/// After a restart the shell [`restores`](StateMachine::restore) the latest snapshot
/// and resumes applying at [`applied_index`](StateMachine::applied_index) + 1. An index
/// at or below it is refused with [`Error::AlreadyApplied`] and changes nothing, so an
/// accidental re-apply is harmless; a retried client request is answered from its
/// session instead (docs/store.md#sessions-and-retries).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StateMachine {
    config: Config,
    applied: LogIndex,
    scopes: BTreeMap<Scope, ScopeStore>,
}

impl StateMachine {
    /// An empty state machine: nothing applied.
    ///
    /// # Errors
    /// [`Error::InvalidConfig`] when `config` fails [`Config::validate`].
    pub fn new(config: Config) -> Result<StateMachine> {
        config.validate()?;
        Ok(StateMachine {
            config,
            applied: LogIndex(0),
            scopes: BTreeMap::new(),
        })
    }

    /// Rebuilds a state machine from its parts (used by restore).
    pub(crate) fn from_parts(
        config: Config,
        applied: LogIndex,
        scopes: BTreeMap<Scope, ScopeStore>,
    ) -> StateMachine {
        StateMachine {
            config,
            applied,
            scopes,
        }
    }

    /// The stores by scope (used by snapshot).
    pub(crate) fn scopes(&self) -> &BTreeMap<Scope, ScopeStore> {
        &self.scopes
    }

    /// The configuration.
    #[must_use]
    pub fn config(&self) -> &Config {
        &self.config
    }

    /// The last log index applied (or skipped); zero before the first.
    #[must_use]
    pub fn applied_index(&self) -> LogIndex {
        self.applied
    }

    fn advance(&mut self, index: LogIndex) -> Result<()> {
        if index <= self.applied {
            return Err(Error::AlreadyApplied {
                index,
                applied: self.applied,
            });
        }
        if index != self.applied.next() {
            return Err(Error::Gap {
                index,
                applied: self.applied,
            });
        }
        self.applied = index;
        Ok(())
    }

    /// Marks entry `index` applied without a command (a no-op entry).
    ///
    /// # Errors
    /// [`Error::AlreadyApplied`] or [`Error::Gap`] when `index` is not the next index;
    /// nothing changes then.
    pub fn skip(&mut self, index: LogIndex) -> Result<()> {
        self.advance(index)
    }

    /// Applies the command bytes of committed entry `index`.
    ///
    /// `token` is the leadership that committed the entry, `FencingToken { group, term:
    /// entry.term }` for the group whose log decided it; it is echoed in the response
    /// and saved for replays. Bytes that are not a command consume the index and are
    /// answered [`Rejected::Malformed`].
    ///
    /// # Errors
    /// [`Error::AlreadyApplied`] or [`Error::Gap`] when `index` is not the next index;
    /// nothing changes then. Everything else is an [`Outcome`].
    pub fn apply(
        &mut self,
        index: LogIndex,
        token: Option<FencingToken>,
        command: &[u8],
    ) -> Result<Response> {
        self.advance(index)?;
        Ok(match Command::decode(command) {
            Ok(command) => self.execute(index, token, &command),
            Err(err) => {
                tracing::warn!(%index, error = %err, "committed entry is not a command");
                Response {
                    index,
                    revision: Revision::ZERO,
                    token,
                    outcome: Outcome::Rejected(Rejected::Malformed {
                        reason: err.to_string(),
                    }),
                    replayed: false,
                }
            }
        })
    }

    /// [`StateMachine::apply`] for a command already decoded (the simulator and tests
    /// skip the encoding with it).
    ///
    /// # Errors
    /// As [`StateMachine::apply`].
    pub fn apply_command(
        &mut self,
        index: LogIndex,
        token: Option<FencingToken>,
        command: &Command,
    ) -> Result<Response> {
        self.advance(index)?;
        Ok(self.execute(index, token, command))
    }

    /// Applies a committed entry of `group`'s log: commands with the token `(group,
    /// entry.term)`, no-ops skipped (`Ok(None)`).
    ///
    /// # Errors
    /// As [`StateMachine::apply`].
    pub fn apply_entry(&mut self, entry: &Entry, group: GroupId) -> Result<Option<Response>> {
        match &entry.payload {
            Payload::Noop => self.skip(entry.index).map(|()| None),
            // A configuration entry concerns the engine, not the state machine.
            Payload::Command(_) if Membership::of_entry(entry).is_some() => {
                self.skip(entry.index).map(|()| None)
            }
            Payload::Command(bytes) => {
                let token = FencingToken {
                    group,
                    term: entry.term,
                };
                self.apply(entry.index, Some(token), bytes).map(Some)
            }
        }
    }

    fn execute(
        &mut self,
        index: LogIndex,
        token: Option<FencingToken>,
        command: &Command,
    ) -> Response {
        let scope = command.scope();
        if !self.config.keeps(scope) {
            return Response {
                index,
                revision: Revision::ZERO,
                token,
                outcome: Outcome::Rejected(Rejected::WrongScope {
                    scope: scope.clone(),
                }),
                replayed: false,
            };
        }
        let store = self.scopes.entry(scope.clone()).or_default();
        let (reply, replayed) = store.execute(command, token, &self.config);
        if store.is_pristine() {
            // Keep no store for a scope that nothing has changed, so that rejected
            // commands for arbitrary scopes leave no trace in memory or snapshots.
            self.scopes.remove(scope);
        }
        if let Outcome::Rejected(rejected) = &reply.outcome {
            tracing::debug!(
                %index, %scope, command = command.name(), reason = %rejected,
                "command rejected"
            );
        }
        Response {
            index,
            revision: reply.revision,
            token: reply.token,
            outcome: reply.outcome,
            replayed,
        }
    }

    fn check_scope(&self, scope: &Scope) -> Result<Option<&ScopeStore>, Rejected> {
        if self.config.keeps(scope) {
            Ok(self.scopes.get(scope))
        } else {
            Err(Rejected::WrongScope {
                scope: scope.clone(),
            })
        }
    }

    /// The value of `key` in `scope` as of what has been applied, with the scope
    /// revision it was read at. This is a stale read: which read level it serves
    /// (linearizable, lease, at-least-revision) is decided by when the shell calls it.
    ///
    /// # Errors
    /// [`Rejected::WrongScope`] when this state machine does not keep `scope`.
    pub fn get(&self, scope: &Scope, key: &Key) -> Result<Read, Rejected> {
        let store = self.check_scope(scope)?;
        Ok(Read {
            revision: store.map_or(Revision::ZERO, ScopeStore::revision),
            value: store.and_then(|s| s.get(key.as_str())).cloned(),
        })
    }

    /// Up to `limit` keys of `scope` that start with `prefix` (`""`: all), in key
    /// order, after `start_after` when given (to continue a previous page).
    ///
    /// # Errors
    /// [`Rejected::WrongScope`] when this state machine does not keep `scope`.
    pub fn list(
        &self,
        scope: &Scope,
        prefix: &str,
        start_after: Option<&Key>,
        limit: usize,
    ) -> Result<Page, Rejected> {
        let store = self.check_scope(scope)?;
        let (items, more) = store.map_or((Vec::new(), false), |s| {
            s.list(prefix, start_after.map(Key::as_str), limit)
        });
        Ok(Page {
            revision: store.map_or(Revision::ZERO, ScopeStore::revision),
            items,
            more,
        })
    }

    /// The revision of `scope` as of what has been applied; zero for a scope with no
    /// writes or not kept here.
    #[must_use]
    pub fn applied_revision(&self, scope: &Scope) -> Revision {
        self.scopes
            .get(scope)
            .map_or(Revision::ZERO, ScopeStore::revision)
    }

    /// Whether an at-least-revision read of `scope` at `revision` may be served now:
    /// the scope is kept here and has applied through `revision`. The shell parks the
    /// read until this turns true (or its deadline passes).
    #[must_use]
    pub fn can_serve_at_least(&self, scope: &Scope, revision: Revision) -> bool {
        self.config.keeps(scope) && self.applied_revision(scope) >= revision
    }

    /// The highest fencing token of `group` that `scope` has accepted.
    #[must_use]
    pub fn highest_fence(&self, scope: &Scope, group: GroupId) -> Option<FencingToken> {
        self.scopes.get(scope)?.highest_fence(group)
    }

    /// How many sessions `scope` has open.
    #[must_use]
    pub fn session_count(&self, scope: &Scope) -> usize {
        self.scopes.get(scope).map_or(0, ScopeStore::session_count)
    }

    /// Encodes a snapshot: see [`snapshot`](crate::state::snapshot) for the format.
    #[must_use]
    pub fn snapshot(&self) -> Bytes {
        crate::state::snapshot::encode(self)
    }

    /// Rebuilds a state machine from [`StateMachine::snapshot`] bytes.
    ///
    /// # Errors
    /// [`Error::InvalidConfig`] for a bad `config`; [`Error::CorruptSnapshot`] or a
    /// decoding error, naming what is wrong, for damaged or foreign bytes. Never panics.
    pub fn restore(config: Config, bytes: &[u8]) -> Result<StateMachine> {
        config.validate()?;
        crate::state::snapshot::decode(config, bytes)
    }
}
