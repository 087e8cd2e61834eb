//! A member running one replica of one group: engine, disk and key-value store, acting on
//! every `Ready` exactly as the contract says (persist, send, apply, answer). An armed
//! [`DiskFault`] crashes it in the middle of a persist (a `Ready`'s, or its own snapshot's):
//! the disk keeps what the fault leaves, and nothing of that `Ready` is sent or applied.

use std::collections::BTreeMap;

use parliament_engine::engine::{
    Config, Entry, Message, Payload, ReadId, ReadLevel, ReadOutcome, Ready, Rejected, Replica,
    Role, Snapshot, SnapshotMeta, Status,
};
use parliament_engine::{LogIndex, NodeId, Term, Time};

use crate::sim::{
    Command, CrashPoint, Disk, DiskFault, DiskFaultCounts, KvStore, Node, Outbox, ReadyWrites,
    StorageBug,
};
use crate::sim::{Fact, Reply, ReplyOutcome, RequestTag};

#[derive(Clone, Debug)]
struct PendingProposal {
    tag: RequestTag,
    payload: bytes::Bytes,
}

/// Bound on `take_ready` rounds per input: the engine must settle.
const MAX_READY_ROUNDS: usize = 64;

/// One member of one group.
#[derive(Debug)]
pub struct ReplicaNode {
    config: Config,
    /// Snapshot and compact every this many applied entries (0: never).
    snapshot_every: u64,
    disk: Disk,
    replica: Option<Replica>,
    kv: KvStore,
    proposals: BTreeMap<LogIndex, PendingProposal>,
    reads: BTreeMap<ReadId, (RequestTag, String)>,
    next_read: u64,
    replies: Vec<Reply>,
    facts: Vec<Fact>,
    /// The crash armed for a coming persist.
    armed: Option<DiskFault>,
    /// The armed crash fired during the last call.
    stopped: bool,
    disk_faults: DiskFaultCounts,
    bug: Option<StorageBug>,
}

impl ReplicaNode {
    /// A member that has never run, with an empty disk; it starts on its first
    /// [`Node::restart`]. It snapshots its state machine and compacts its log every
    /// `snapshot_every` applied entries (never when 0).
    ///
    /// # Errors
    /// The engine's refusal of `config`.
    pub fn new(config: Config, snapshot_every: u64) -> Result<ReplicaNode, crate::Error> {
        config.validate()?;
        Ok(ReplicaNode {
            config,
            snapshot_every,
            disk: Disk::new(),
            replica: None,
            kv: KvStore::new(),
            proposals: BTreeMap::new(),
            reads: BTreeMap::new(),
            next_read: 1,
            replies: Vec::new(),
            facts: Vec::new(),
            armed: None,
            stopped: false,
            disk_faults: DiskFaultCounts::default(),
            bug: None,
        })
    }

    /// Breaks the storage contract as `bug` says, from now on: only for tests that show
    /// a checker catches it.
    pub fn plant(&mut self, bug: StorageBug) {
        self.bug = Some(bug);
    }

    /// The disk faults that fired on this member.
    #[must_use]
    pub fn disk_faults(&self) -> &DiskFaultCounts {
        &self.disk_faults
    }

    /// The replica's status; `None` while crashed.
    #[must_use]
    pub fn status(&self) -> Option<Status> {
        self.replica.as_ref().map(Replica::status)
    }

    /// The durable state.
    #[must_use]
    pub fn disk(&self) -> &Disk {
        &self.disk
    }

    /// The state machine.
    #[must_use]
    pub fn kv(&self) -> &KvStore {
        &self.kv
    }

    /// The configuration.
    #[must_use]
    pub fn config(&self) -> &Config {
        &self.config
    }

    /// Takes what happened since the last call.
    pub fn take_facts(&mut self) -> Vec<Fact> {
        std::mem::take(&mut self.facts)
    }

    /// Takes the answers to clients produced since the last call.
    pub fn take_replies(&mut self) -> Vec<Reply> {
        std::mem::take(&mut self.replies)
    }

    /// A client proposes `cmd`; the answer comes later as a [`Reply`] (or now, as the
    /// engine's refusal).
    ///
    /// # Errors
    /// The engine's refusal, which had no effect.
    pub fn propose(
        &mut self,
        now: Time,
        tag: RequestTag,
        cmd: &Command,
        out: &mut Outbox<Message>,
    ) -> Result<LogIndex, Rejected> {
        let Some(r) = self.replica.as_mut() else {
            return Err(Rejected::LeadershipLost);
        };
        let payload = cmd.encode();
        let result = r.propose(now, vec![payload.clone()]);
        if let Ok((first, _)) = result {
            // An older proposal at this index lost its place: it can never commit.
            if let Some(old) = self
                .proposals
                .insert(first, PendingProposal { tag, payload })
            {
                self.replies.push(Reply {
                    tag: old.tag,
                    outcome: ReplyOutcome::NotApplied,
                });
            }
        }
        self.drain(out);
        result.map(|(first, _)| first)
    }

    /// A client reads `key` at `level`.
    ///
    /// # Errors
    /// The engine's refusal.
    pub fn read(
        &mut self,
        now: Time,
        tag: RequestTag,
        key: &str,
        level: ReadLevel,
        out: &mut Outbox<Message>,
    ) -> Result<(), Rejected> {
        let Some(r) = self.replica.as_mut() else {
            return Err(Rejected::LeadershipLost);
        };
        let id = ReadId(self.next_read);
        self.next_read += 1;
        let result = r.read(now, id, level);
        if result.is_ok() {
            self.reads.insert(id, (tag, key.to_owned()));
        }
        self.drain(out);
        result
    }

    /// An operator asks this member to hand leadership to `to`.
    ///
    /// # Errors
    /// The engine's refusal.
    pub fn transfer_leadership(
        &mut self,
        now: Time,
        to: NodeId,
        out: &mut Outbox<Message>,
    ) -> Result<(), Rejected> {
        let Some(r) = self.replica.as_mut() else {
            return Err(Rejected::LeadershipLost);
        };
        let result = r.transfer_leadership(now, to);
        self.drain(out);
        result
    }

    /// An operator asks this member to campaign now.
    pub fn campaign(&mut self, now: Time, out: &mut Outbox<Message>) {
        if let Some(r) = self.replica.as_mut() {
            r.campaign(now);
        }
        self.drain(out);
    }

    /// Sets the candidacy rank (volatile: a restart forgets it).
    pub fn set_candidacy_rank(&mut self, rank: Option<(u32, u32)>) {
        if let Some(r) = self.replica.as_mut() {
            r.set_candidacy_rank(rank);
        }
    }

    /// Acts on every `Ready` the replica has, in contract order.
    fn drain(&mut self, out: &mut Outbox<Message>) {
        for _ in 0..MAX_READY_ROUNDS {
            let Some(r) = self.replica.as_mut() else {
                return;
            };
            if !r.has_ready() {
                self.check_consistency();
                self.maybe_compact();
                return;
            }
            let ready = r.take_ready();
            let term = r.status().term;
            self.handle_ready(ready, term, out);
        }
        if self.replica.as_ref().is_some_and(Replica::has_ready) {
            self.facts.push(Fact::Contract(format!(
                "still has output after {MAX_READY_ROUNDS} take_ready rounds"
            )));
        }
    }

    fn handle_ready(&mut self, ready: Ready, term: Term, out: &mut Outbox<Message>) {
        let stored = self.disk.hard_state().term;
        let writes = ReadyWrites {
            install: ready.snapshot.is_some(),
            install_newer_term: ready
                .snapshot
                .as_ref()
                .is_some_and(|s| s.meta.term > stored),
            hard_state: ready.hard_state.is_some(),
            entries: ready.entries.len(),
            taken: false,
            entries_without_hard_state: ready.entries.iter().position(|e| e.term > stored),
        };
        let bug = self.bug;
        let fired = self.armed.and_then(|f| {
            let point = bug.map_or_else(|| f.crash_point(&writes), |b| b.crash_point(&f, &writes));
            Some((f.kind, point?))
        });
        let point = fired.map_or_else(|| CrashPoint::all(&writes), |(_, p)| p);
        // 1. Persist: the snapshot first, then hard state and entries.
        let installed = ready.snapshot.filter(|_| point.install).map(|snap| {
            let removed = self.disk.install_snapshot(snap.clone());
            (snap, removed)
        });
        let prev_term = ready
            .entries
            .first()
            .and_then(|e| self.disk.term_at(e.index.prev()))
            .unwrap_or(Term(0));
        let hard_state = ready.hard_state.filter(|_| point.hard_state);
        if hard_state.is_some() || point.entries > 0 {
            let mut entries = ready.entries;
            match self.disk.write_torn(hard_state, &entries, point.entries) {
                Ok(removed) => {
                    entries.truncate(point.entries);
                    if !entries.is_empty() {
                        self.facts.push(Fact::Persisted {
                            prev_term,
                            entries,
                            removed,
                        });
                    }
                }
                Err(e) => self.facts.push(Fact::Contract(e.to_string())),
            }
        }
        if let Some((kind, _)) = fired {
            tracing::debug!(node = %self.config.id, kind = kind.name(), ?point, "crash during a persist");
            self.disk_faults.record(kind);
            if bug.is_some_and(StorageBug::sends_before_durable) {
                for m in ready.messages {
                    out.send(m.to, m);
                }
            }
            self.stop();
            return;
        }
        // 2. Send.
        for m in ready.messages {
            out.send(m.to, m);
        }
        // 3. Restore from the snapshot, then apply.
        if let Some((snap, removed)) = installed {
            self.restore(&snap, removed, true);
        }
        for entry in ready.committed {
            if let Err(why) = self.kv.apply(&entry) {
                self.facts.push(Fact::Contract(why));
            }
            if let Some(p) = self.proposals.remove(&entry.index) {
                let ours = matches!(&entry.payload, Payload::Command(b) if *b == p.payload);
                let outcome = if ours {
                    ReplyOutcome::Written { index: entry.index }
                } else {
                    ReplyOutcome::NotApplied
                };
                self.replies.push(Reply {
                    tag: p.tag,
                    outcome,
                });
            }
            let chain = self.kv.chain();
            self.facts.push(Fact::Applied { term, entry, chain });
        }
        for change in ready.roles {
            self.facts.push(Fact::Role(change));
        }
        // 4. Answer reads.
        for outcome in ready.reads {
            match outcome {
                ReadOutcome::Ready { id, index, token } => {
                    let Some((tag, key)) = self.reads.remove(&id) else {
                        self.facts
                            .push(Fact::Contract(format!("unknown read {id:?} ready")));
                        continue;
                    };
                    if self.kv.applied() < index {
                        self.facts.push(Fact::Contract(format!(
                            "read ready at {index} but only {} applied",
                            self.kv.applied()
                        )));
                    }
                    let value = self.kv.get(&key).map(<[u8]>::to_vec);
                    self.replies.push(Reply {
                        tag,
                        outcome: ReplyOutcome::Value {
                            value,
                            index,
                            token,
                        },
                    });
                }
                ReadOutcome::Failed { id, reason } => {
                    if let Some((tag, _)) = self.reads.remove(&id) {
                        self.replies.push(Reply {
                            tag,
                            outcome: ReplyOutcome::Rejected(reason),
                        });
                    }
                }
            }
        }
    }

    /// Replaces the state machine with a snapshot's image.
    fn restore(&mut self, snap: &Snapshot, removed: Vec<Entry>, received: bool) {
        match KvStore::decode(&snap.data) {
            Some(kv) if kv.applied() == snap.meta.index => {
                let chain = kv.chain();
                self.kv = kv;
                self.facts.push(Fact::Restored {
                    received,
                    meta: snap.meta,
                    removed,
                    chain,
                });
            }
            Some(kv) => self.facts.push(Fact::Contract(format!(
                "snapshot labelled {} holds an image taken at {}",
                snap.meta.index,
                kv.applied()
            ))),
            None => self.facts.push(Fact::Contract(format!(
                "snapshot at {} holds an unreadable image",
                snap.meta.index
            ))),
        }
    }

    /// Snapshots the state machine and compacts the log once enough has been applied
    /// since the last snapshot; the engine then serves lagging followers a snapshot.
    fn maybe_compact(&mut self) {
        let applied = self.kv.applied();
        let since = self.disk.snapshot_meta().index;
        if self.snapshot_every == 0 || applied.0 < since.0 + self.snapshot_every {
            return;
        }
        let Some(r) = self.replica.as_mut() else {
            return;
        };
        let Some(term) = self.disk.term_at(applied) else {
            return;
        };
        let snap = Snapshot {
            meta: SnapshotMeta {
                index: applied,
                term,
            },
            data: self.kv.encode(),
        };
        match r.compact(snap.clone()) {
            Ok(()) => {
                let writes = ReadyWrites {
                    taken: true,
                    ..ReadyWrites::default()
                };
                match self
                    .armed
                    .and_then(|f| f.crash_point(&writes).map(|p| (f.kind, p)))
                {
                    None => self.disk.compact(snap),
                    Some((kind, point)) => {
                        if point.taken {
                            self.disk.compact(snap);
                        }
                        self.disk_faults.record(kind);
                        self.stop();
                    }
                }
            }
            Err(e) => self
                .facts
                .push(Fact::Contract(format!("refused its own snapshot: {e}"))),
        }
    }

    /// The process dies in the middle of a persist: what [`Node::crash`] drops, except
    /// what earlier `Ready`s did, which was durable and acted on.
    fn stop(&mut self) {
        let facts = std::mem::take(&mut self.facts);
        self.crash();
        self.facts = facts;
        self.stopped = true;
    }

    /// After a full drain the engine's log must be exactly what was persisted.
    fn check_consistency(&mut self) {
        let Some(r) = self.replica.as_ref() else {
            return;
        };
        let log = r.log();
        let (last, last_term) = (log.last_index(), log.last_term());
        let disk_last = self.disk.last_index();
        let disk_term = self.disk.term_at(disk_last).unwrap_or(Term(0));
        if (last, last_term) != (disk_last, disk_term) {
            self.facts.push(Fact::Contract(format!(
                "engine log ends at ({last}, {last_term}) but the persisted log at ({disk_last}, {disk_term})"
            )));
        }
        if r.status().applied > log.commit() {
            self.facts.push(Fact::Contract(format!(
                "applied {} beyond commit {}",
                r.status().applied,
                log.commit()
            )));
        }
    }
}

impl Node for ReplicaNode {
    type Message = Message;

    fn tick(&mut self, now: Time, out: &mut Outbox<Message>) {
        if let Some(r) = self.replica.as_mut() {
            r.tick(now);
        }
        self.drain(out);
    }

    fn receive(&mut self, now: Time, _from: NodeId, msg: Message, out: &mut Outbox<Message>) {
        if let Some(r) = self.replica.as_mut()
            && let Err(why) = r.step(now, msg)
        {
            // Only misrouted messages are refused, and the simulator routes correctly.
            self.facts.push(Fact::Contract(format!(
                "a correctly routed message was refused: {why}"
            )));
        }
        self.drain(out);
    }

    fn crash(&mut self) {
        self.replica = None;
        self.armed = None;
        self.kv = KvStore::new();
        let lost = std::mem::take(&mut self.proposals)
            .into_values()
            .map(|p| p.tag)
            .chain(
                std::mem::take(&mut self.reads)
                    .into_values()
                    .map(|(tag, _)| tag),
            );
        let lost: Vec<Reply> = lost
            .map(|tag| Reply {
                tag,
                outcome: ReplyOutcome::Lost,
            })
            .collect();
        self.replies.extend(lost);
        self.facts.clear();
    }

    fn restart(&mut self, now: Time, seed: u64, out: &mut Outbox<Message>) {
        let mut config = self.config.clone();
        config.seed = seed;
        if let Some(snap) = self.disk.snapshot().cloned() {
            self.restore(&snap, Vec::new(), false);
        }
        match Replica::new(config, self.disk.persisted(), now) {
            Ok(r) => self.replica = Some(r),
            Err(e) => self.facts.push(Fact::Contract(format!(
                "refused to restart from its own disk: {e}"
            ))),
        }
        self.drain(out);
    }

    fn leads(&self) -> bool {
        self.replica
            .as_ref()
            .is_some_and(|r| r.status().role == Role::Leader)
    }

    fn arm_disk_fault(&mut self, fault: Option<DiskFault>) {
        self.armed = fault;
    }

    fn take_stopped(&mut self) -> bool {
        std::mem::take(&mut self.stopped)
    }
}
