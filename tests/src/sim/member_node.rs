//! A simulated parliament member: a Westminster [`Member`] (district replica, district
//! state, and the Commons seat while it represents the district) on a simulated disk.
//!
//! It follows the `MemberReady` contract: persist the leader's snapshot, the district hard
//! state and entries, and its own snapshot, then send, then hand the events to the
//! scenario. A crash drops the `Member` (volatile); a restart rebuilds it from the disk
//! with `Member::new`, which replays the committed district log into the district state,
//! the seat record and the global store. An armed [`DiskFault`] crashes it in the middle
//! of a persist: the disk keeps what the fault leaves, and nothing of that `Ready` is sent
//! or reported.

use std::collections::BTreeSet;

use parliament_engine::engine::{Entry, HardState, Snapshot};
use parliament_engine::westminster::{
    Envelope, Event, Member, MemberConfig, MemberReady, SessionMessage,
};
use parliament_engine::{LogIndex, NodeId, Term, Time};

use crate::sim::{
    CrashPoint, Digest, Disk, DiskFault, DiskFaultCounts, Node, Outbox, ReadyWrites, StorageBug,
    TraceHash,
};

/// Readies drained per input before the node gives up (a member that always has more
/// to do is a bug; the scenario reports it).
const MAX_READIES: usize = 10_000;

/// One persisted batch of district entries, for the log checkers.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PersistRecord {
    /// The term before `entries[0]` in the persisted log.
    pub prev_term: Term,
    /// The entries written.
    pub entries: Vec<Entry>,
    /// The entries the truncation removed.
    pub removed: Vec<Entry>,
}

/// How much a member sent, for the fan-out report.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SendStats {
    /// District messages sent.
    pub district: u64,
    /// Commons messages sent (as a seat's host or forwarded).
    pub commons: u64,
    /// Session messages sent (global writes to a representative or the Prime Minister).
    pub session: u64,
    /// Every member it ever sent a message to.
    pub peers: BTreeSet<NodeId>,
    /// Snapshots the member took of its own state.
    pub snapshots_taken: u64,
    /// Snapshots it installed from its district leader.
    pub snapshots_installed: u64,
}

/// A member on a simulated disk.
#[derive(Debug)]
pub struct MemberNode {
    config: MemberConfig,
    disk: Disk,
    member: Option<Member>,
    events: Vec<Event>,
    persists: Vec<PersistRecord>,
    contract: Vec<String>,
    stats: SendStats,
    /// Entries dropped from the disk by the member's own snapshots, for the checkers
    /// (they were applied before the snapshot that covers them was taken).
    compacted: Vec<Entry>,
    /// The crash armed for a coming persist.
    armed: Option<DiskFault>,
    /// The armed crash fired during the last call.
    stopped: bool,
    disk_faults: DiskFaultCounts,
    bug: Option<StorageBug>,
}

impl MemberNode {
    /// A member that has never run, with an empty disk. It starts at the world's boot.
    #[must_use]
    pub fn new(config: MemberConfig) -> MemberNode {
        MemberNode {
            config,
            disk: Disk::new(),
            member: None,
            events: Vec::new(),
            persists: Vec::new(),
            contract: Vec::new(),
            stats: SendStats::default(),
            compacted: Vec::new(),
            armed: None,
            stopped: false,
            disk_faults: DiskFaultCounts::default(),
            bug: None,
        }
    }

    /// The operator publishes a new roster: the running member adopts it
    /// ([`Member::set_roster`]) and a restart starts from it, as a sidecar reads the
    /// roster again when it starts.
    ///
    /// # Errors
    /// The member's refusal; the node keeps its roster then.
    pub fn set_roster(
        &mut self,
        roster: parliament_engine::westminster::Roster,
    ) -> Result<(), String> {
        if let Some(m) = self.member.as_mut() {
            m.set_roster(roster.clone()).map_err(|e| e.to_string())?;
        }
        self.config.roster = roster;
        Ok(())
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

    /// The running member, `None` while crashed.
    #[must_use]
    pub fn member(&self) -> Option<&Member> {
        self.member.as_ref()
    }

    /// The running member, to propose and read through (the caller then drains).
    pub fn member_mut(&mut self) -> Option<&mut Member> {
        self.member.as_mut()
    }

    /// The district replica's durable state.
    #[must_use]
    pub fn disk(&self) -> &Disk {
        &self.disk
    }

    /// What it has sent so far.
    #[must_use]
    pub fn stats(&self) -> &SendStats {
        &self.stats
    }

    /// The events produced since the last call, in order.
    pub fn take_events(&mut self) -> Vec<Event> {
        std::mem::take(&mut self.events)
    }

    /// The entries persisted since the last call.
    pub fn take_persists(&mut self) -> Vec<PersistRecord> {
        std::mem::take(&mut self.persists)
    }

    /// Entries the member's own snapshots compacted away since the last call.
    pub fn take_compacted(&mut self) -> Vec<Entry> {
        std::mem::take(&mut self.compacted)
    }

    /// Breaches of the `MemberReady` contract since the last call.
    pub fn take_contract(&mut self) -> Vec<String> {
        std::mem::take(&mut self.contract)
    }

    /// Acts on everything the member has to do: persist, then send, then keep the events.
    /// If the armed disk fault fires on a `Ready`, the member crashes there: the disk
    /// keeps what the fault leaves of that persist, and the `Ready`'s messages and events
    /// are dropped (earlier `Ready`s of this call stand, they were durable).
    pub fn drain(&mut self, out: &mut Outbox<Envelope>) {
        let mut rounds = 0;
        loop {
            let Some(member) = self.member.as_mut() else {
                return;
            };
            if !member.has_ready() {
                return;
            }
            rounds += 1;
            if rounds > MAX_READIES {
                self.contract
                    .push(format!("still has a ready after {MAX_READIES} drains"));
                return;
            }
            let ready = member.take_ready();
            let writes = self.writes(&ready);
            let bug = self.bug;
            let fired = self.armed.and_then(|f| {
                let point =
                    bug.map_or_else(|| f.crash_point(&writes), |b| b.crash_point(&f, &writes));
                Some((f.kind, point?))
            });
            let MemberReady {
                snapshot,
                hard_state,
                entries,
                taken,
                messages,
                events,
            } = ready;
            let point = fired.map_or_else(|| CrashPoint::all(&writes), |(_, p)| p);
            self.persist(snapshot, hard_state, entries, taken, point);
            if let Some((kind, _)) = fired {
                tracing::debug!(node = %self.config.id, kind = kind.name(), ?point, "crash during a persist");
                self.disk_faults.record(kind);
                if bug.is_some_and(StorageBug::sends_before_durable) {
                    self.send(messages, out);
                }
                self.stop();
                return;
            }
            self.send(messages, out);
            self.events.extend(events);
        }
    }

    /// What `ready` writes, for choosing where a crash falls in it.
    fn writes(&self, ready: &MemberReady) -> ReadyWrites {
        let stored = self.disk.hard_state().term;
        ReadyWrites {
            install: ready.snapshot.is_some(),
            install_newer_term: ready
                .snapshot
                .as_ref()
                .is_some_and(|s| s.meta.term > stored),
            hard_state: ready.hard_state.is_some(),
            entries: ready.entries.len(),
            taken: ready.taken.is_some(),
            entries_without_hard_state: ready.entries.iter().position(|e| e.term > stored),
        }
    }

    /// Persists the prefix `point` of one `Ready`'s writes, in contract order: the
    /// leader's snapshot, then hard state and entries, then the member's own snapshot.
    fn persist(
        &mut self,
        snapshot: Option<Snapshot>,
        hard_state: Option<HardState>,
        mut entries: Vec<Entry>,
        taken: Option<Snapshot>,
        point: CrashPoint,
    ) {
        if let Some(snap) = snapshot.filter(|_| point.install) {
            // Step 1 begins with the leader's snapshot (the store's install rule).
            self.stats.snapshots_installed += 1;
            let removed = self.disk.install_snapshot(snap);
            if !removed.is_empty() {
                self.persists.push(PersistRecord {
                    prev_term: self.disk.snapshot_meta().term,
                    entries: Vec::new(),
                    removed,
                });
            }
        }
        let hard_state = hard_state.filter(|_| point.hard_state);
        if hard_state.is_some() || point.entries > 0 {
            let prev_term = entries
                .first()
                .and_then(|e| self.disk.term_at(LogIndex(e.index.0 - 1)))
                .unwrap_or_default();
            match self.disk.write_torn(hard_state, &entries, point.entries) {
                Ok(removed) => {
                    entries.truncate(point.entries);
                    if !entries.is_empty() {
                        self.persists.push(PersistRecord {
                            prev_term,
                            entries,
                            removed,
                        });
                    }
                }
                Err(e) => self.contract.push(e.to_string()),
            }
        }
        if let Some(taken) = taken.filter(|_| point.taken) {
            // The member's own snapshot, after the entries it covers are durable.
            if self.disk.term_at(taken.meta.index) == Some(taken.meta.term) {
                let through = taken.meta.index;
                self.stats.snapshots_taken += 1;
                self.compacted.extend(
                    self.disk
                        .entries()
                        .iter()
                        .filter(|e| e.index <= through)
                        .cloned(),
                );
                self.disk.compact(taken);
            } else {
                self.contract.push(format!(
                    "a snapshot at {} term {} of entries not persisted",
                    taken.meta.index, taken.meta.term
                ));
            }
        }
    }

    fn send(&mut self, messages: Vec<(NodeId, Envelope)>, out: &mut Outbox<Envelope>) {
        for (to, envelope) in messages {
            match envelope {
                Envelope::District(_) => self.stats.district += 1,
                Envelope::Commons { .. } => self.stats.commons += 1,
                Envelope::Session(_) => self.stats.session += 1,
            }
            self.stats.peers.insert(to);
            out.send(to, envelope);
        }
    }

    /// The process dies in the middle of a persist: what [`Node::crash`] drops, except
    /// the events of earlier `Ready`s, which it acted on before.
    fn stop(&mut self) {
        self.member = None;
        self.armed = None;
        // Kept: the run reads what this step compacted after the crash (it was applied
        // before it).
        self.stopped = true;
    }
}

impl Node for MemberNode {
    type Message = Envelope;

    fn tick(&mut self, now: Time, out: &mut Outbox<Envelope>) {
        if let Some(m) = self.member.as_mut() {
            m.tick(now);
        }
        self.drain(out);
    }

    fn receive(&mut self, now: Time, from: NodeId, msg: Envelope, out: &mut Outbox<Envelope>) {
        if let Some(m) = self.member.as_mut() {
            // A refused message changed nothing (a stale or misaddressed one): dropping
            // it is what a real member does.
            let _ = m.step(now, from, msg);
        }
        self.drain(out);
    }

    fn crash(&mut self) {
        self.member = None;
        self.armed = None;
        self.events.clear();
        self.compacted.clear();
    }

    fn restart(&mut self, now: Time, seed: u64, out: &mut Outbox<Envelope>) {
        let config = MemberConfig {
            seed,
            ..self.config.clone()
        };
        match Member::new(config, self.disk.persisted(), now) {
            Ok(m) => self.member = Some(m),
            Err(e) => self.contract.push(format!("cannot restart from disk: {e}")),
        }
        self.drain(out);
    }

    fn leads(&self) -> bool {
        self.member
            .as_ref()
            .is_some_and(|m| m.district_status().role == parliament_engine::engine::Role::Leader)
    }

    fn arm_disk_fault(&mut self, fault: Option<DiskFault>) {
        self.armed = fault;
    }

    fn take_stopped(&mut self) -> bool {
        std::mem::take(&mut self.stopped)
    }
}

impl Digest for Envelope {
    fn digest(&self, h: &mut TraceHash) {
        match self {
            Envelope::District(m) => {
                h.write_str("district");
                m.digest(h);
            }
            Envelope::Commons {
                incarnation,
                forwarded,
                origin,
                message,
            } => {
                h.write_str("commons");
                incarnation.digest(h);
                h.write_u64(u64::from(*forwarded));
                h.write_u64(origin.map_or(0, |o| o.0 + 1));
                message.digest(h);
            }
            Envelope::Session(m) => {
                h.write_str("session");
                let ticket = |h: &mut TraceHash, t: &parliament_engine::westminster::Ticket| {
                    t.origin.digest(h);
                    h.write_u64(t.epoch);
                    h.write_u64(t.seq);
                };
                match m {
                    SessionMessage::Submit { ticket: t, command } => {
                        h.write_str("submit");
                        ticket(h, t);
                        h.write_bytes(command);
                    }
                    SessionMessage::Batch { district, entries } => {
                        h.write_str("batch");
                        h.write_u64(district.0);
                        for e in entries {
                            ticket(h, &e.ticket);
                            h.write_bytes(&e.command);
                        }
                    }
                    SessionMessage::Refused { ticket: t, reason } => {
                        h.write_str("refused");
                        ticket(h, t);
                        h.write_str(&reason.to_string());
                    }
                }
            }
        }
    }
}
