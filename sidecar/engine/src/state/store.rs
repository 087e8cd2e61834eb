//! The store of one scope: its keys, revision, fences and sessions, and how a command
//! changes them.

use std::collections::BTreeMap;
use std::ops::Bound;

use bytes::Bytes;

use crate::state::command::{Command, Write, WriteOp};
use crate::state::config::{Config, KEY_OVERHEAD_BYTES};
use crate::state::error::{Error, Result, preview};
use crate::state::fences::Fences;
use crate::state::key::Key;
use crate::state::rejected::Rejected;
use crate::state::response::Outcome;
use crate::state::revision::Revision;
use crate::state::sessions::{Admission, SavedReply, Sessions};
use crate::state::versioned::{KeyMeta, Versioned};
use crate::state::wire::{Reader, Wire, Writer, to_u64};
use crate::types::{FencingToken, GroupId, Term};

/// One scope's replicated state.
///
/// Everything here is a function of the sequence of this scope's commands alone (not of
/// log indexes), so every log that carries the same scope commands in the same order
/// yields the same store: the global scope is identical in every district.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct ScopeStore {
    revision: Revision,
    keys: BTreeMap<Key, Versioned>,
    /// Sum of [`cost`] over `keys`; derived, rebuilt on restore.
    used_bytes: u64,
    fences: Fences,
    sessions: Sessions,
}

/// Bytes a key and its value count against the scope quota.
fn cost(key: &Key, value: &[u8]) -> u64 {
    to_u64(key.len())
        .saturating_add(to_u64(value.len()))
        .saturating_add(KEY_OVERHEAD_BYTES)
}

impl ScopeStore {
    /// The scope's revision: the number of writes that changed a key.
    pub(crate) fn revision(&self) -> Revision {
        self.revision
    }

    /// Whether no command ever changed anything (such stores are not kept, so that a
    /// rejected command leaves no trace).
    pub(crate) fn is_pristine(&self) -> bool {
        self.revision == Revision::ZERO
            && self.keys.is_empty()
            && self.fences.is_empty()
            && self.sessions.is_pristine()
    }

    /// The value of `key`.
    pub(crate) fn get(&self, key: &str) -> Option<&Versioned> {
        self.keys.get(key)
    }

    /// Up to `limit` keys starting with `prefix`, after `start_after` if given, in key
    /// order, and whether more follow.
    pub(crate) fn list(
        &self,
        prefix: &str,
        start_after: Option<&str>,
        limit: usize,
    ) -> (Vec<(Key, Versioned)>, bool) {
        let lower = match start_after {
            Some(after) if after >= prefix => Bound::Excluded(after),
            _ => Bound::Included(prefix),
        };
        let mut matching = self
            .keys
            .range::<str, _>((lower, Bound::Unbounded))
            .take_while(|(k, _)| k.as_str().starts_with(prefix));
        let items: Vec<(Key, Versioned)> = matching
            .by_ref()
            .take(limit)
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        let more = matching.next().is_some();
        (items, more)
    }

    /// The highest fencing token accepted for `group`.
    pub(crate) fn highest_fence(&self, group: GroupId) -> Option<FencingToken> {
        self.fences.highest(group)
    }

    /// How many sessions are open.
    pub(crate) fn session_count(&self) -> usize {
        self.sessions.len()
    }

    /// Executes a command of this scope. Returns the answer and whether it is a replay.
    pub(crate) fn execute(
        &mut self,
        command: &Command,
        token: Option<FencingToken>,
        config: &Config,
    ) -> (SavedReply, bool) {
        let outcome = match command {
            Command::OpenSession { scope } => {
                let (client, evicted) = self.sessions.open(config.max_sessions);
                if let Some(evicted) = evicted {
                    tracing::debug!(%scope, client = evicted, "session evicted, least recently active");
                }
                Outcome::SessionOpened { client }
            }
            Command::CloseSession { client, .. } => {
                if self.sessions.close(*client) {
                    Outcome::SessionClosed
                } else {
                    Outcome::Rejected(Rejected::UnknownSession { client: *client })
                }
            }
            Command::Barrier { fence, .. } => match fence {
                Some(fence) => match self.fences.admit(*fence, config.max_fence_groups) {
                    Ok(()) => Outcome::Barrier,
                    Err(rejected) => Outcome::Rejected(rejected),
                },
                None => Outcome::Barrier,
            },
            Command::Write(write) => return self.execute_write(write, token, config),
        };
        (self.reply(token, outcome), false)
    }

    fn reply(&self, token: Option<FencingToken>, outcome: Outcome) -> SavedReply {
        SavedReply {
            revision: self.revision,
            token,
            outcome,
        }
    }

    /// A write: session check, then the write itself, then the answer saved.
    fn execute_write(
        &mut self,
        write: &Write,
        token: Option<FencingToken>,
        config: &Config,
    ) -> (SavedReply, bool) {
        if let Some(id) = write.request {
            let early = match self.sessions.admit(id) {
                Admission::Fresh => None,
                Admission::Replay(saved) => return (saved, true),
                Admission::Unknown => Some(Rejected::UnknownSession { client: id.client }),
                Admission::TooOld { floor } => Some(Rejected::Duplicate { request: id, floor }),
            };
            if let Some(rejected) = early {
                return (self.reply(token, Outcome::Rejected(rejected)), false);
            }
        }
        let outcome = self.write(write, config);
        let reply = self.reply(token, outcome);
        if let Some(id) = write.request {
            self.sessions
                .record(id, reply.clone(), config.session_window);
        }
        (reply, false)
    }

    /// The write's checks in order (size, fence, condition, quota), then its effect.
    fn write(&mut self, write: &Write, config: &Config) -> Outcome {
        if let Some(value) = write.op.value()
            && value.len() > config.max_value_bytes
        {
            return Outcome::Rejected(Rejected::TooLarge {
                field: "value".to_owned(),
                preview: preview(value),
                len: to_u64(value.len()),
                limit: to_u64(config.max_value_bytes),
            });
        }
        // A fence that passes is raised even if the write then conflicts: raising only
        // ever shuts out older leaderships, which is always safe.
        if let Some(fence) = write.fence
            && let Err(rejected) = self.fences.admit(fence, config.max_fence_groups)
        {
            return Outcome::Rejected(rejected);
        }
        let current = self.keys.get(&write.key).map(|v| v.meta.mod_revision);
        let current_revision = current.unwrap_or(Revision::ZERO);
        match &write.op {
            WriteOp::Put(value) => self.set(&write.key, value, config),
            WriteOp::Delete => self.remove(&write.key),
            WriteOp::CompareAndSwap { expect, .. } if *expect != current_revision => {
                Outcome::Conflict { current_revision }
            }
            WriteOp::CompareAndSwap { value, .. } => match value {
                Some(value) => self.set(&write.key, value, config),
                None => self.remove(&write.key),
            },
            WriteOp::CreateIfAbsent(_) if current.is_some() => {
                Outcome::Conflict { current_revision }
            }
            WriteOp::CreateIfAbsent(value) => self.set(&write.key, value, config),
        }
    }

    fn set(&mut self, key: &Key, value: &Bytes, config: &Config) -> Outcome {
        let old = self.keys.get(key);
        let old_cost = old.map_or(0, |v| cost(key, &v.value));
        let new_cost = cost(key, value);
        if new_cost > old_cost {
            let needed = new_cost.saturating_sub(old_cost);
            if self.used_bytes.saturating_add(needed) > config.max_scope_bytes {
                return Outcome::Rejected(Rejected::ScopeFull {
                    used: self.used_bytes,
                    needed,
                    limit: config.max_scope_bytes,
                });
            }
        }
        let revision = self.revision.next();
        let meta = match old {
            Some(old) => KeyMeta {
                create_revision: old.meta.create_revision,
                mod_revision: revision,
                version: old.meta.version.saturating_add(1),
            },
            None => KeyMeta {
                create_revision: revision,
                mod_revision: revision,
                version: 1,
            },
        };
        self.revision = revision;
        self.used_bytes = self
            .used_bytes
            .saturating_sub(old_cost)
            .saturating_add(new_cost);
        self.keys.insert(
            key.clone(),
            Versioned {
                value: value.clone(),
                meta,
            },
        );
        Outcome::Written { meta }
    }

    fn remove(&mut self, key: &Key) -> Outcome {
        match self.keys.remove(key) {
            Some(old) => {
                self.revision = self.revision.next();
                self.used_bytes = self.used_bytes.saturating_sub(cost(key, &old.value));
                Outcome::Deleted { existed: true }
            }
            None => Outcome::Deleted { existed: false },
        }
    }

    /// Appends the snapshot encoding: revision, fences, sessions, keys.
    pub(crate) fn put_snapshot(&self, w: &mut Writer) {
        self.revision.put(w);
        w.u64(to_u64(self.fences.iter().len()));
        for (group, term) in self.fences.iter() {
            w.u64(group.get());
            w.u64(term.get());
        }
        self.sessions.put_snapshot(w);
        w.u64(to_u64(self.keys.len()));
        for (key, versioned) in &self.keys {
            key.put(w);
            w.bytes(&versioned.value);
            versioned.meta.put(w);
        }
    }

    /// Reads a snapshot encoding and checks its invariants.
    pub(crate) fn take_snapshot(r: &mut Reader<'_>) -> Result<ScopeStore> {
        let corrupt = |reason: String| Error::CorruptSnapshot { reason };
        let revision = Revision::take(r)?;
        let mut fences = Fences::default();
        let fence_count = r.u64("fence count")?;
        for _ in 0..fence_count {
            let group = GroupId(r.u64("fence group")?);
            let term = Term(r.u64("fence term")?);
            if !fences.push_restored(group, term) {
                return Err(corrupt(format!("fence of group {group} out of order")));
            }
        }
        let sessions = Sessions::take_snapshot(r, revision)?;
        let mut store = ScopeStore {
            revision,
            keys: BTreeMap::new(),
            used_bytes: 0,
            fences,
            sessions,
        };
        let key_count = r.u64("key count")?;
        for _ in 0..key_count {
            let key = Key::take(r)?;
            let value = Bytes::copy_from_slice(r.bytes("value")?);
            let meta = KeyMeta::take(r)?;
            if store.keys.last_key_value().is_some_and(|(k, _)| *k >= key) {
                return Err(corrupt(format!("key {:?} out of order", key.as_str())));
            }
            let revisions_ok = Revision::ZERO < meta.create_revision
                && meta.create_revision <= meta.mod_revision
                && meta.mod_revision <= revision
                && meta.version >= 1;
            if !revisions_ok {
                return Err(corrupt(format!(
                    "key {:?} has revisions {}..{} version {} in a scope at {revision}",
                    key.as_str(),
                    meta.create_revision,
                    meta.mod_revision,
                    meta.version
                )));
            }
            store.used_bytes = store.used_bytes.saturating_add(cost(&key, &value));
            store.keys.insert(key, Versioned { value, meta });
        }
        Ok(store)
    }
}
