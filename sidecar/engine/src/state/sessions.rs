//! Client sessions of one scope: the table that makes a retried write apply once
//! (Raft thesis §6.3; docs/store.md#sessions-and-retries).

use std::collections::BTreeMap;

use crate::state::error::{Error, Result};
use crate::state::request::RequestId;
use crate::state::response::Outcome;
use crate::state::revision::Revision;
use crate::state::wire::{Reader, Wire, Writer, to_u64};
use crate::types::FencingToken;

/// The part of a response a session saves for replay.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct SavedReply {
    /// The scope revision of the original answer.
    pub(crate) revision: Revision,
    /// The leadership that committed the original request.
    pub(crate) token: Option<FencingToken>,
    /// The original outcome.
    pub(crate) outcome: Outcome,
}

/// One session: its recent answers and the floor below which it judges nothing.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Session {
    /// The scope's activity clock when the session was last used.
    last_active: u64,
    /// Every sequence number at or below it is settled: applied with its answer
    /// evicted, or never to be applied.
    floor: u64,
    /// Answers of the newest requests, by sequence number, all above `floor`.
    replies: BTreeMap<u64, SavedReply>,
}

/// What a session says about a request before it is executed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Admission {
    /// No such session.
    Unknown,
    /// Not seen before: execute it and [`Sessions::record`] the answer.
    Fresh,
    /// Already answered: send this again, change nothing.
    Replay(SavedReply),
    /// At or below the floor: cannot be judged, must not be executed.
    TooOld {
        /// The session's floor.
        floor: u64,
    },
}

/// All sessions of one scope.
///
/// Bounded: at most `max_sessions` sessions, each with at most `session_window`
/// answers. Eviction depends only on the scope's command sequence (an activity clock
/// that ticks once per session use), never on time or log indexes, so every replica of
/// every log that carries the scope evicts the same session.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Sessions {
    /// The client id the next session gets. Ids are never reused, so a client id that
    /// is not in the table is known to be closed or evicted.
    next_client: u64,
    /// Ticks once per use of any session.
    clock: u64,
    sessions: BTreeMap<u64, Session>,
    /// `last_active -> client`, to find the least recently active session.
    by_activity: BTreeMap<u64, u64>,
}

impl Default for Sessions {
    fn default() -> Sessions {
        Sessions {
            next_client: 1,
            clock: 0,
            sessions: BTreeMap::new(),
            by_activity: BTreeMap::new(),
        }
    }
}

impl Sessions {
    /// Whether no session was ever opened.
    pub(crate) fn is_pristine(&self) -> bool {
        self.next_client == 1 && self.clock == 0
    }

    /// How many sessions are open.
    pub(crate) fn len(&self) -> usize {
        self.sessions.len()
    }

    /// Marks `client` as just used.
    fn touch(&mut self, client: u64) {
        self.clock = self.clock.saturating_add(1);
        if let Some(session) = self.sessions.get_mut(&client) {
            self.by_activity.remove(&session.last_active);
            session.last_active = self.clock;
            self.by_activity.insert(self.clock, client);
        }
    }

    /// Opens a session; returns its client id and the id of the session evicted to
    /// make room, if any.
    pub(crate) fn open(&mut self, max_sessions: usize) -> (u64, Option<u64>) {
        let client = self.next_client;
        self.next_client = self.next_client.saturating_add(1);
        self.sessions.insert(
            client,
            Session {
                last_active: 0,
                floor: 0,
                replies: BTreeMap::new(),
            },
        );
        self.touch(client);
        let mut evicted = None;
        while self.sessions.len() > max_sessions {
            let Some((_, oldest)) = self.by_activity.pop_first() else {
                break;
            };
            self.sessions.remove(&oldest);
            evicted = Some(oldest);
        }
        (client, evicted)
    }

    /// Closes `client`'s session; false if there was none.
    pub(crate) fn close(&mut self, client: u64) -> bool {
        match self.sessions.remove(&client) {
            Some(session) => {
                self.by_activity.remove(&session.last_active);
                self.clock = self.clock.saturating_add(1);
                true
            }
            None => false,
        }
    }

    /// Judges request `id` and marks its session as used.
    pub(crate) fn admit(&mut self, id: RequestId) -> Admission {
        let Some(session) = self.sessions.get(&id.client) else {
            return Admission::Unknown;
        };
        let admission = if id.seq <= session.floor {
            Admission::TooOld {
                floor: session.floor,
            }
        } else if let Some(reply) = session.replies.get(&id.seq) {
            Admission::Replay(reply.clone())
        } else {
            Admission::Fresh
        };
        self.touch(id.client);
        admission
    }

    /// Saves the answer to a fresh request, evicting the session's oldest answers
    /// beyond `window` and raising its floor past them.
    pub(crate) fn record(&mut self, id: RequestId, reply: SavedReply, window: usize) {
        let Some(session) = self.sessions.get_mut(&id.client) else {
            return;
        };
        session.replies.insert(id.seq, reply);
        while session.replies.len() > window {
            let Some((seq, _)) = session.replies.pop_first() else {
                break;
            };
            session.floor = session.floor.max(seq);
        }
    }

    /// Appends the snapshot encoding.
    pub(crate) fn put_snapshot(&self, w: &mut Writer) {
        w.u64(self.next_client);
        w.u64(self.clock);
        w.u64(to_u64(self.sessions.len()));
        for (client, session) in &self.sessions {
            w.u64(*client);
            w.u64(session.last_active);
            w.u64(session.floor);
            w.u64(to_u64(session.replies.len()));
            for (seq, reply) in &session.replies {
                w.u64(*seq);
                reply.revision.put(w);
                w.option(reply.token.as_ref());
                reply.outcome.put(w);
            }
        }
    }

    /// Reads a snapshot encoding and checks its invariants against the scope's
    /// `revision`.
    pub(crate) fn take_snapshot(r: &mut Reader<'_>, revision: Revision) -> Result<Sessions> {
        let corrupt = |reason: String| Error::CorruptSnapshot { reason };
        let next_client = r.u64("session next client")?;
        let clock = r.u64("session clock")?;
        if next_client == 0 {
            return Err(corrupt("next session client id is 0".to_owned()));
        }
        let mut out = Sessions {
            next_client,
            clock,
            sessions: BTreeMap::new(),
            by_activity: BTreeMap::new(),
        };
        let count = r.u64("session count")?;
        for _ in 0..count {
            let client = r.u64("session client")?;
            let last_active = r.u64("session last active")?;
            let floor = r.u64("session floor")?;
            if client == 0 || client >= next_client {
                return Err(corrupt(format!(
                    "session {client} outside the issued ids 1..{next_client}"
                )));
            }
            if out
                .sessions
                .last_key_value()
                .is_some_and(|(c, _)| *c >= client)
            {
                return Err(corrupt(format!("session {client} out of order")));
            }
            if last_active == 0 || last_active > clock {
                return Err(corrupt(format!(
                    "session {client} last active at {last_active}, clock is {clock}"
                )));
            }
            if out.by_activity.insert(last_active, client).is_some() {
                return Err(corrupt(format!(
                    "two sessions last active at {last_active}"
                )));
            }
            let mut replies = BTreeMap::new();
            let replies_count = r.u64("session reply count")?;
            for _ in 0..replies_count {
                let seq = r.u64("reply seq")?;
                let reply = SavedReply {
                    revision: Revision::take(r)?,
                    token: r.option("reply token")?,
                    outcome: Outcome::take(r)?,
                };
                if seq <= floor
                    || replies
                        .last_key_value()
                        .is_some_and(|(s, _): (&u64, _)| *s >= seq)
                {
                    return Err(corrupt(format!(
                        "session {client} reply {seq} at or below floor {floor} or out of order"
                    )));
                }
                if reply.revision > revision {
                    return Err(corrupt(format!(
                        "session {client} reply {seq} at {} is ahead of the scope at {revision}",
                        reply.revision
                    )));
                }
                replies.insert(seq, reply);
            }
            out.sessions.insert(
                client,
                Session {
                    last_active,
                    floor,
                    replies,
                },
            );
        }
        Ok(out)
    }
}
