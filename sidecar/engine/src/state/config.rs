//! Limits and ownership of one state machine. Part of the group's configuration: every
//! replica of a group must use the same values, or their decisions diverge.

use std::collections::BTreeSet;

use crate::state::command::Command;
use crate::state::error::{Error, Result, preview};
use crate::state::rejected::Rejected;
use crate::state::scope::Scope;
use crate::state::wire::to_u64;

/// Bytes charged per key on top of its key and value, for the map entry, revisions and
/// allocation overhead, so that a flood of tiny keys also meets the quota.
pub const KEY_OVERHEAD_BYTES: u64 = 64;

/// How one state machine behaves.
///
/// Every field is applied deterministically at apply time, so a change must take effect
/// at the same log index on every replica (a future critical decree); until then the
/// shell sets the same values everywhere.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Config {
    /// The scopes this state machine keeps; `None` keeps every scope. A district group
    /// keeps its own `district/<name>`; commands for other scopes are answered
    /// [`Rejected::WrongScope`].
    pub scopes: Option<BTreeSet<Scope>>,
    /// Largest value, in bytes (default 1 MiB).
    pub max_value_bytes: usize,
    /// Quota per scope: keys plus values plus [`KEY_OVERHEAD_BYTES`] per key (default
    /// 256 MiB). A write that would grow a scope past it is answered
    /// [`Rejected::ScopeFull`]; writes that shrink a scope are always taken.
    pub max_scope_bytes: u64,
    /// Answers each session remembers, newest sequence numbers kept (default 32): how
    /// many requests a client may have in flight at once and still retry safely.
    pub session_window: usize,
    /// Sessions per scope (default 10,000). Opening one more evicts the least recently
    /// active session.
    pub max_sessions: usize,
    /// Groups whose fencing tokens a scope tracks (default 64). A fenced command of a
    /// new group beyond it is answered [`Rejected::TooManyFenceGroups`]; fences are
    /// never evicted, because forgetting one would let a deposed leader write.
    pub max_fence_groups: usize,
}

impl Default for Config {
    fn default() -> Config {
        Config {
            scopes: None,
            max_value_bytes: 1 << 20,
            max_scope_bytes: 256 << 20,
            session_window: 32,
            max_sessions: 10_000,
            max_fence_groups: 64,
        }
    }
}

impl Config {
    /// The default limits, keeping only `scopes`.
    #[must_use]
    pub fn for_scopes(scopes: impl IntoIterator<Item = Scope>) -> Config {
        Config {
            scopes: Some(scopes.into_iter().collect()),
            ..Config::default()
        }
    }

    /// Checks for values that would make the store unusable.
    ///
    /// # Errors
    /// [`Error::InvalidConfig`] naming the field and its value.
    pub fn validate(&self) -> Result<()> {
        let invalid = |field, value: usize, reason| Error::InvalidConfig {
            field,
            value: value.to_string(),
            reason,
        };
        if self.max_value_bytes == 0 {
            return Err(invalid("max_value_bytes", 0, "must be at least 1"));
        }
        if self.session_window == 0 {
            return Err(invalid("session_window", 0, "must be at least 1"));
        }
        if self.max_sessions == 0 {
            return Err(invalid("max_sessions", 0, "must be at least 1"));
        }
        if self.max_fence_groups == 0 {
            return Err(invalid("max_fence_groups", 0, "must be at least 1"));
        }
        if self.scopes.as_ref().is_some_and(BTreeSet::is_empty) {
            return Err(Error::InvalidConfig {
                field: "scopes",
                value: "{}".to_owned(),
                reason: "must name at least one scope, or be None for every scope",
            });
        }
        Ok(())
    }

    /// Whether this state machine keeps `scope`.
    #[must_use]
    pub fn keeps(&self, scope: &Scope) -> bool {
        self.scopes.as_ref().is_none_or(|s| s.contains(scope))
    }

    /// The checks that depend only on the command and this configuration, for the
    /// shell to run before proposing so that a hopeless command does not take a log
    /// entry. Applying runs them again, so skipping this is safe.
    ///
    /// # Errors
    /// [`Rejected::WrongScope`] or [`Rejected::TooLarge`].
    pub fn admit(&self, command: &Command) -> Result<(), Rejected> {
        if !self.keeps(command.scope()) {
            return Err(Rejected::WrongScope {
                scope: command.scope().clone(),
            });
        }
        if let Command::Write(write) = command
            && let Some(value) = write.op.value()
            && value.len() > self.max_value_bytes
        {
            return Err(Rejected::TooLarge {
                field: "value".to_owned(),
                preview: preview(value),
                len: to_u64(value.len()),
                limit: to_u64(self.max_value_bytes),
            });
        }
        Ok(())
    }
}
