//! The replica: one member's view of one group, and every rule of the protocol.
//!
//! Handlers are grouped by subject: elections (pre-vote, vote, transfer), replication
//! (append, commit), reads (ReadIndex, lease, strict) and time (tick). Each rule cites
//! the paper section or the `docs/protocol.md` anchor that argues it.

use std::collections::{BTreeMap, VecDeque};
use std::fmt;

use bytes::Bytes;

use crate::engine::log::Mismatch;
use crate::engine::prng::Prng;
use crate::engine::progress::{Mode, Progress};
use crate::engine::snapshot::{ChunkOutcome, Incoming, accept_chunk};
use crate::engine::{
    ChangeError, CompactError, Config, ConfigError, Entry, HardState, Log, Membership,
    MembershipChange, Message, MessageBody, Payload, Persisted, QuorumSystem, ReadId, ReadLevel,
    ReadOutcome, Ready, RoleChange, Snapshot, SnapshotMeta,
};
use crate::types::{FencingToken, GroupId, LogIndex, NodeId, Term, Time};

/// The role a replica plays in its current term.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Role {
    /// Follows the leader of its term (if it knows one).
    Follower,
    /// Asking whether a quorum would vote for it, without bumping its term.
    PreCandidate,
    /// Campaigning in its term.
    Candidate,
    /// Leads its term.
    Leader,
}

impl Role {
    /// A short name for logs and metric labels.
    #[must_use]
    pub fn name(self) -> &'static str {
        match self {
            Role::Follower => "follower",
            Role::PreCandidate => "pre_candidate",
            Role::Candidate => "candidate",
            Role::Leader => "leader",
        }
    }
}

/// Why the engine refused an input. A value, not an error: refusing is normal operation.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum Rejected {
    /// Only the leader takes proposals and confirms reads.
    #[error("not the leader of term {term}; the leader is {leader:?}")]
    NotLeader {
        /// The leader this replica knows, if any: retry there.
        leader: Option<NodeId>,
        /// This replica's term.
        term: Term,
    },
    /// The leader is handing over and takes no proposals meanwhile.
    #[error("leadership is being transferred to {to}; retry shortly")]
    TransferInProgress {
        /// The member taking over.
        to: NodeId,
    },
    /// Too many proposals await commitment (back-pressure).
    #[error("more than {limit} entries await commitment; slow down and retry")]
    TooManyUncommitted {
        /// The configured bound.
        limit: usize,
    },
    /// A proposal with no commands.
    #[error("a proposal needs at least one command")]
    EmptyProposal,
    /// A message or request names a member that is not in this group.
    #[error("{0} is not a member of this group")]
    UnknownMember(NodeId),
    /// A message for another group.
    #[error("message for group {0} delivered to the wrong group")]
    WrongGroup(GroupId),
    /// A message addressed to another member.
    #[error("message addressed to {0} delivered to the wrong member")]
    Misaddressed(NodeId),
    /// Leadership was lost before a read could be confirmed; retry.
    #[error("leadership was lost before the read was confirmed; retry")]
    LeadershipLost,
    /// A command starts with the bytes reserved for configuration entries.
    #[error("the command starts with the bytes reserved for configuration entries")]
    ReservedCommand,
    /// A new leader changes membership only after an entry of its term has committed.
    #[error("the leader has not yet committed an entry of its term; retry shortly")]
    LeaderNotReady,
    /// A membership change is uncommitted: one change at a time.
    #[error("the membership change at index {index} is not committed yet; retry after it")]
    ChangeInProgress {
        /// The index of the pending configuration entry.
        index: LogIndex,
    },
    /// The change does not fit the current membership.
    #[error("invalid membership change: {0}")]
    InvalidChange(ChangeError),
    /// The learner to promote has not caught up.
    #[error(
        "learner {id} matches the log through {matched}, more than the allowed lag behind \
         {last}; retry once it has caught up"
    )]
    LearnerLagging {
        /// The learner.
        id: NodeId,
        /// Its match index.
        matched: LogIndex,
        /// The leader's last index.
        last: LogIndex,
    },
}

/// A snapshot of a replica's state, for status reports and invariant checks.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Status {
    /// This replica.
    pub id: NodeId,
    /// Its group.
    pub group: GroupId,
    /// Its role.
    pub role: Role,
    /// Its term.
    pub term: Term,
    /// Its vote in `term`.
    pub vote: Option<NodeId>,
    /// The leader of `term`, if known.
    pub leader: Option<NodeId>,
    /// Commit index.
    pub commit: LogIndex,
    /// Last index handed to the shell to apply.
    pub applied: LogIndex,
    /// Last log index.
    pub last_index: LogIndex,
    /// While leader with a valid lease: when the lease ends (by this replica's clock).
    pub lease_until: Option<Time>,
    /// While leader: the fencing token of its grant.
    pub token: Option<FencingToken>,
}

/// A read waiting for confirmation.
#[derive(Clone, Copy, Debug)]
struct PendingRead {
    id: ReadId,
    /// The read is served at this index once confirmed.
    index: LogIndex,
    /// ReadIndex: confirmed when a quorum echoes this round. Strict: zero, confirmed
    /// when `index` commits.
    round: u64,
}

/// Volatile state that exists only while leading.
#[derive(Debug)]
struct Leadership {
    progress: BTreeMap<NodeId, Progress>,
    /// The current heartbeat round; appends carry it, followers echo it.
    round: u64,
    /// When each recent round started; only rounds still useful for leases are kept.
    round_started: VecDeque<(u64, Time)>,
    /// A read asked for a fresh round that has not been sent yet.
    round_wanted: bool,
    next_heartbeat: Time,
    next_quorum_check: Time,
    /// An entry of this term has committed: the commit index is current (Raft §6.4).
    committed_in_term: bool,
    /// Reads that wait for the first commit of the term.
    reads_waiting_commit: Vec<(ReadId, ReadLevel)>,
    /// ReadIndex reads waiting for their round.
    reads_by_round: Vec<PendingRead>,
    /// Strict reads waiting for their no-op to commit.
    reads_by_commit: Vec<PendingRead>,
    transfer: Option<Transfer>,
    /// A transfer was started in this term: its target's voters skip stickiness, even
    /// for a `TimeoutNow` delivered late, so no lease is safe for the rest of the term.
    lease_forfeited: bool,
    /// Followers that may need an append at the next flush.
    dirty: bool,
}

#[derive(Clone, Copy, Debug)]
struct Transfer {
    to: NodeId,
    deadline: Time,
    timeout_now_sent: bool,
}

/// One replica of one group: a deterministic state machine over inputs.
///
/// See the module docs of [`crate::engine`] for the input/output contract and
/// `docs/protocol.md` for the protocol.
pub struct Replica {
    config: Config,
    /// The quorum system in effect: that of the latest configuration in the log
    /// (committed or not, Raft thesis §4.1), else `base_quorum`.
    quorum: QuorumSystem,
    /// The membership in effect at the log's offset (the bootstrap configuration, or the
    /// latest configuration entry compacted away), and its quorum system.
    base: Membership,
    base_quorum: QuorumSystem,
    /// The configuration entries in the log after the offset, in index order.
    configs: Vec<(LogIndex, Membership)>,
    prng: Prng,
    now: Time,
    role: Role,
    term: Term,
    vote: Option<NodeId>,
    leader: Option<NodeId>,
    log: Log,
    applied: LogIndex,
    /// When this replica last heard from the leader of its term (leader stickiness).
    heard_leader_at: Option<Time>,
    election_deadline: Time,
    /// Candidacy rank `(position, of)`: position 0 campaigns first.
    rank: Option<(u32, u32)>,
    /// Votes (or pre-votes) received in the current campaign.
    votes: BTreeMap<NodeId, bool>,
    /// Whether the current campaign follows a leadership transfer.
    campaign_is_transfer: bool,
    leadership: Option<Leadership>,
    /// The newest snapshot: taken by the shell ([`Replica::compact`]), received from a
    /// leader, or persisted before a restart. A leader sends it to followers that need
    /// compacted entries.
    snapshot: Option<Snapshot>,
    /// A snapshot being received from the leader (volatile: lost in a crash).
    incoming: Option<Incoming>,
    // Outputs accumulated for the next Ready.
    /// A received snapshot the shell must persist and restore.
    snapshot_to_install: Option<Snapshot>,
    persisted_hard_state: HardState,
    messages: Vec<Message>,
    roles: Vec<RoleChange>,
    reads: Vec<ReadOutcome>,
}

impl fmt::Debug for Replica {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Replica")
            .field("id", &self.config.id)
            .field("group", &self.config.group)
            .field("role", &self.role)
            .field("term", &self.term)
            .field("leader", &self.leader)
            .field("last_index", &self.log.last_index())
            .field("commit", &self.log.commit())
            .finish_non_exhaustive()
    }
}

impl Replica {
    /// Starts (or restarts) a replica from what it persisted.
    ///
    /// A restarted replica is a follower that knows no leader; it resumes with its
    /// durable term, vote, snapshot and log, and will re-emit committed entries after
    /// the snapshot (from index 1 without one) for the shell to apply: the shell restores
    /// its state machine from `persisted.snapshot` and replays the rest.
    ///
    /// # Errors
    /// An invalid configuration, or persisted state that contradicts itself (entries
    /// not contiguous, starting after the snapshot, or disagreeing with its term; terms
    /// decreasing; an entry or snapshot newer than the hard state's term).
    pub fn new(config: Config, persisted: Persisted, now: Time) -> Result<Replica, ConfigError> {
        config.validate()?;
        let Persisted {
            mut hard_state,
            entries,
            snapshot,
        } = persisted;
        let meta = snapshot
            .as_ref()
            .map_or(SnapshotMeta::default(), |s| s.meta);
        if snapshot.is_some() && (meta.index == LogIndex(0) || meta.term == Term(0)) {
            return Err(ConfigError::Persisted(format!(
                "snapshot at index {} term {} covers nothing",
                meta.index, meta.term
            )));
        }
        if meta.term > hard_state.term {
            // The shell persists a leader's snapshot before the hard state of the same
            // `Ready` (step 1), so a crash between the two leaves a snapshot of a term the
            // hard state never reached. Adopt that term with no vote: a vote cast in it
            // would have been durable with a hard state of that term, which this is not,
            // so this replica never voted in it; and terms only grow.
            tracing::info!(
                snapshot_term = %meta.term,
                hard_state_term = %hard_state.term,
                "the stored snapshot is of a newer term than the hard state; adopting its term with no vote"
            );
            hard_state.term = meta.term;
            hard_state.vote = None;
        }
        let first = entries.first().map_or(meta.index.next(), |e| e.index);
        let want_first = if snapshot.is_some() {
            first >= LogIndex(1) && first <= meta.index.next()
        } else {
            first == LogIndex(1)
        };
        if !want_first {
            return Err(ConfigError::Persisted(format!(
                "log starts at index {first}; expected index 1, or with a snapshot at most \
                 the snapshot's index + 1 ({})",
                meta.index.next()
            )));
        }
        let mut prev_term = Term(0);
        for (i, e) in entries.iter().enumerate() {
            if e.index != LogIndex(first.0 + i as u64) {
                return Err(ConfigError::Persisted(format!(
                    "entry at position {i} has index {}, expected {}",
                    e.index,
                    first.0 + i as u64
                )));
            }
            if e.term < prev_term || e.term > hard_state.term {
                return Err(ConfigError::Persisted(format!(
                    "entry {} has term {} (previous {prev_term}, hard state {})",
                    e.index, e.term, hard_state.term
                )));
            }
            if e.index == meta.index && e.term != meta.term {
                return Err(ConfigError::Persisted(format!(
                    "entry {} has term {}, but the snapshot there has term {}",
                    e.index, e.term, meta.term
                )));
            }
            if e.index == meta.index.next() && e.term < meta.term {
                return Err(ConfigError::Persisted(format!(
                    "entry {} has term {}, older than the snapshot's term {}",
                    e.index, e.term, meta.term
                )));
            }
            prev_term = e.term;
        }
        let entries: Vec<Entry> = entries
            .into_iter()
            .filter(|e| e.index > meta.index)
            .collect();
        let base = Membership {
            voters: config.quorum.voters(),
            learners: config.learners.clone(),
        };
        let mut r = Replica {
            quorum: config.quorum.clone(),
            base_quorum: config.quorum.clone(),
            base,
            configs: Vec::new(),
            prng: Prng::new(config.seed),
            now,
            role: Role::Follower,
            term: hard_state.term,
            vote: hard_state.vote,
            leader: None,
            log: Log::restore_after(meta.index, meta.term, entries, hard_state.commit),
            applied: meta.index,
            // A replica that has ever been in a term may have echoed a leader's round just
            // before it crashed; it must keep refusing votes for an election timeout as if
            // it had heard that leader now, or the leader's lease would not be safe
            // (docs/protocol.md#66-lease-safety-no-two-leaders-hold-a-lease-at-the-same-moment).
            heard_leader_at: (hard_state.term > Term(0)).then_some(now),
            election_deadline: now,
            rank: None,
            votes: BTreeMap::new(),
            campaign_is_transfer: false,
            leadership: None,
            snapshot,
            incoming: None,
            snapshot_to_install: None,
            persisted_hard_state: hard_state,
            messages: Vec::new(),
            roles: Vec::new(),
            reads: Vec::new(),
            config,
        };
        r.refresh_membership(meta.index.next());
        r.reset_election_deadline();
        Ok(r)
    }

    // ----- observation ---------------------------------------------------------------

    /// The configuration.
    #[must_use]
    pub fn config(&self) -> &Config {
        &self.config
    }

    /// The membership in effect: the latest configuration in the log, committed or not.
    #[must_use]
    pub fn membership(&self) -> &Membership {
        self.configs.last().map_or(&self.base, |(_, m)| m)
    }

    /// The configuration in effect at `index`: the latest configuration entry at or
    /// below it, else the base (the configuration at the log's offset). A shell that
    /// snapshots at `index` stores it in the image (docs/protocol.md#104-restarts-and-snapshots).
    #[must_use]
    pub fn membership_at(&self, index: LogIndex) -> &Membership {
        self.configs
            .iter()
            .rev()
            .find(|(i, _)| *i <= index)
            .map_or(&self.base, |(_, m)| m)
    }

    /// Sets the configuration at the log's offset — the snapshot at `index` this replica
    /// restarted from or just installed — to `membership`, which the shell read from the
    /// snapshot's image. Configuration entries after the offset stay in effect over it.
    /// False (and nothing changes) when `index` is not the log's offset or `membership`
    /// has no voter.
    pub fn restore_membership(&mut self, index: LogIndex, membership: Membership) -> bool {
        if index != self.log.offset_index() || membership.voters.is_empty() {
            return false;
        }
        self.base_quorum = QuorumSystem::majority(membership.voters.iter().copied());
        self.base = membership;
        self.on_membership_changed();
        true
    }

    /// The latest configuration at or below the commit index.
    fn committed_membership(&self) -> &Membership {
        let commit = self.log.commit();
        self.configs
            .iter()
            .rev()
            .find(|(i, _)| *i <= commit)
            .map_or(&self.base, |(_, m)| m)
    }

    /// The index of an uncommitted configuration entry, if any.
    fn pending_change(&self) -> Option<LogIndex> {
        let commit = self.log.commit();
        self.configs.last().map(|(i, _)| *i).filter(|i| *i > commit)
    }

    /// Whether `id` is in any configuration this replica holds (the base one or one in
    /// its log).
    #[must_use]
    pub fn knows(&self, id: NodeId) -> bool {
        self.base.contains(id) || self.configs.iter().any(|(_, m)| m.contains(id))
    }

    /// Re-reads the configuration entries from `from` on (after the log changed there)
    /// and adopts the latest.
    fn refresh_membership(&mut self, from: LogIndex) {
        let before = self.configs.len();
        self.configs.retain(|(i, _)| *i < from);
        let mut changed = self.configs.len() != before;
        let mut i = from.max(self.log.first_index());
        while i <= self.log.last_index() {
            if let Some(m) = self.log.entry(i).and_then(Membership::of_entry) {
                self.configs.push((i, m));
                changed = true;
            }
            i = i.next();
        }
        if changed {
            self.on_membership_changed();
        }
    }

    fn on_membership_changed(&mut self) {
        self.quorum = match self.configs.last() {
            Some((_, m)) => QuorumSystem::majority(m.voters.iter().copied()),
            None => self.base_quorum.clone(),
        };
        tracing::debug!(id = %self.config.id, membership = ?self.membership(), "membership in effect");
        if matches!(self.role, Role::Candidate | Role::PreCandidate)
            && !self.quorum.contains(self.config.id)
        {
            self.become_follower(self.term, None);
        }
        self.sync_progress();
    }

    /// A leader tracks exactly its replication targets.
    fn sync_progress(&mut self) {
        if self.leadership.is_none() {
            return;
        }
        let targets = self.replication_targets();
        // Probe with the last entry (the configuration that added the member), so the
        // probe carries an entry and the back-off starts at once.
        let next = self.log.last_index().max(LogIndex(1));
        if let Some(l) = self.leadership.as_mut() {
            l.progress.retain(|id, _| targets.contains(id));
            for id in targets {
                l.progress.entry(id).or_insert_with(|| Progress::new(next));
            }
            l.dirty = true;
        }
    }

    /// A leader that is not a voter of its committed configuration hands over to a
    /// voter that holds its whole log, if there is one, and steps down.
    fn maybe_leave(&mut self) {
        if self.role != Role::Leader
            || self.quorum.contains(self.config.id)
            || self.pending_change().is_some()
        {
            return;
        }
        let last = self.log.last_index();
        let target = self.leadership.as_ref().and_then(|l| {
            l.progress
                .iter()
                .filter(|(id, p)| self.quorum.contains(**id) && p.match_index == last)
                .map(|(id, _)| *id)
                .next()
        });
        tracing::info!(id = %self.config.id, term = %self.term, to = ?target, "removed from the group; stepping down");
        // Tell everyone the commit first, so the successor need not wait for it.
        if let Some(l) = self.leadership.as_mut() {
            l.dirty = true;
        }
        self.flush_appends();
        if let Some(to) = target {
            self.send(to, self.term, MessageBody::TimeoutNow);
        }
        self.become_follower(self.term, None);
    }

    /// The log.
    #[must_use]
    pub fn log(&self) -> &Log {
        &self.log
    }

    /// A snapshot of the replica's state.
    #[must_use]
    pub fn status(&self) -> Status {
        Status {
            id: self.config.id,
            group: self.config.group,
            role: self.role,
            term: self.term,
            vote: self.vote,
            leader: self.leader,
            commit: self.log.commit(),
            applied: self.applied,
            last_index: self.log.last_index(),
            lease_until: self.lease_until(),
            token: self.token(),
        }
    }

    fn token(&self) -> Option<FencingToken> {
        (self.role == Role::Leader).then_some(FencingToken {
            group: self.config.group,
            term: self.term,
        })
    }

    /// When the leader lease ends, if this replica is leader and holds one now.
    ///
    /// The lease starts when the leader began a heartbeat round that a quorum has
    /// echoed: each of those followers received it later, and refuses to vote for
    /// anyone else for `election_timeout_min` of its own clock after that
    /// (docs/protocol.md#leases). The lease is `max_clock_drift` shorter than that.
    fn lease_until(&self) -> Option<Time> {
        let l = self.leadership.as_ref()?;
        if l.lease_forfeited {
            return None;
        }
        let me = self.config.id;
        let now = self.now;
        let start = self.quorum.quorum_min(&|id| {
            if id == me {
                Some(now)
            } else {
                l.progress.get(&id).and_then(|p| p.acked_at)
            }
        })?;
        let until = start + self.config.lease_duration();
        (until > now).then_some(until)
    }

    // ----- inputs: time --------------------------------------------------------------

    /// Advances time: fires election timeouts, heartbeats and check-quorum.
    pub fn tick(&mut self, now: Time) {
        self.advance_clock(now);
        if self.role == Role::Leader {
            self.tick_leader();
        } else if self.now >= self.election_deadline && self.quorum.contains(self.config.id) {
            tracing::debug!(id = %self.config.id, term = %self.term, "election timeout");
            self.start_campaign(false);
        }
    }

    fn advance_clock(&mut self, now: Time) {
        self.now = self.now.max(now);
    }

    fn tick_leader(&mut self) {
        let now = self.now;
        let Some(l) = self.leadership.as_mut() else {
            return;
        };
        if let Some(t) = l.transfer
            && now >= t.deadline
        {
            tracing::info!(to = %t.to, "leadership transfer timed out; keeping leadership");
            l.transfer = None;
        }
        if now >= l.next_heartbeat {
            l.next_heartbeat = now + self.config.heartbeat_interval;
            l.round_wanted = true;
        }
        if self.config.check_quorum && now >= l.next_quorum_check {
            l.next_quorum_check = now + self.config.election_timeout_min;
            let me = self.config.id;
            let active =
                |id: NodeId| id == me || l.progress.get(&id).is_some_and(|p| p.recent_active);
            let confident = self.quorum.is_quorum(&active);
            for p in l.progress.values_mut() {
                p.recent_active = false;
            }
            if !confident {
                tracing::info!(id = %me, term = %self.term, "lost the confidence of a quorum; stepping down");
                self.become_follower(self.term, None);
            }
        }
    }

    // ----- inputs: client ------------------------------------------------------------

    /// Proposes commands as one batch. Returns the indexes they will occupy.
    ///
    /// An index is no promise of commitment: the entries may be overwritten if this
    /// leader is deposed first. Wait for them in [`Ready::committed`].
    ///
    /// # Errors
    /// [`Rejected::NotLeader`], [`Rejected::TransferInProgress`],
    /// [`Rejected::TooManyUncommitted`] or [`Rejected::EmptyProposal`].
    pub fn propose(
        &mut self,
        now: Time,
        commands: Vec<Bytes>,
    ) -> Result<(LogIndex, LogIndex), Rejected> {
        self.advance_clock(now);
        if commands.is_empty() {
            return Err(Rejected::EmptyProposal);
        }
        if commands.iter().any(|c| Membership::is_reserved(c)) {
            return Err(Rejected::ReservedCommand);
        }
        self.check_can_propose(commands.len())?;
        let payloads = commands.into_iter().map(Payload::Command);
        Ok(self.append_as_leader(payloads))
    }

    /// Proposes one single-server membership change as a configuration entry. It takes
    /// effect on every member as soon as that member appends it (Raft thesis §4.1);
    /// returns the entry's index (twice, as [`Replica::propose`] returns a range).
    ///
    /// # Errors
    /// As [`Replica::propose`]; [`Rejected::LeaderNotReady`] before the leader has
    /// committed an entry of its term; [`Rejected::ChangeInProgress`] while another change
    /// is uncommitted; [`Rejected::InvalidChange`]; [`Rejected::LearnerLagging`] when a
    /// learner to promote trails the leader's last index by more than
    /// `Config::max_promotion_lag`.
    pub fn propose_membership(
        &mut self,
        now: Time,
        change: MembershipChange,
    ) -> Result<(LogIndex, LogIndex), Rejected> {
        self.advance_clock(now);
        self.check_can_propose(1)?;
        // Ongaro's fix for single-server changes (raft-dev, 2015): a new leader may hold a
        // log that a leader of a configuration it never saw could still overwrite;
        // committing an entry of its own term first rules that out.
        if !self
            .leadership
            .as_ref()
            .is_some_and(|l| l.committed_in_term)
        {
            return Err(Rejected::LeaderNotReady);
        }
        if let Some(index) = self.pending_change() {
            return Err(Rejected::ChangeInProgress { index });
        }
        let next = self
            .membership()
            .apply(change)
            .map_err(Rejected::InvalidChange)?;
        if let MembershipChange::Promote(id) = change {
            let last = self.log.last_index();
            let matched = self
                .leadership
                .as_ref()
                .and_then(|l| l.progress.get(&id))
                .map_or(LogIndex(0), |p| p.match_index);
            if last.0.saturating_sub(matched.0) > self.config.max_promotion_lag {
                return Err(Rejected::LearnerLagging { id, matched, last });
            }
        }
        tracing::info!(id = %self.config.id, term = %self.term, ?change, "proposing a membership change");
        Ok(self.append_as_leader([next.to_payload()]))
    }

    fn check_can_propose(&self, count: usize) -> Result<(), Rejected> {
        let Some(l) = self.leadership.as_ref() else {
            return Err(Rejected::NotLeader {
                leader: self.leader,
                term: self.term,
            });
        };
        if let Some(t) = l.transfer {
            return Err(Rejected::TransferInProgress { to: t.to });
        }
        let uncommitted = (self.log.last_index().0 - self.log.commit().0) as usize;
        if uncommitted + count > self.config.max_uncommitted_entries {
            return Err(Rejected::TooManyUncommitted {
                limit: self.config.max_uncommitted_entries,
            });
        }
        Ok(())
    }

    fn append_as_leader(
        &mut self,
        payloads: impl IntoIterator<Item = Payload>,
    ) -> (LogIndex, LogIndex) {
        let first = self.log.last_index().next();
        let term = self.term;
        let mut index = first.prev();
        self.log.append_new(payloads.into_iter().map(|payload| {
            index = index.next();
            Entry {
                term,
                index,
                payload,
            }
        }));
        if let Some(l) = self.leadership.as_mut() {
            l.dirty = true;
        }
        self.refresh_membership(first);
        // A single-voter group commits on its own acknowledgement.
        self.maybe_commit();
        (first, self.log.last_index())
    }

    /// Asks to confirm a read at `level`; the answer comes in [`Ready::reads`].
    ///
    /// # Errors
    /// [`Rejected::NotLeader`] when this replica does not lead, and
    /// [`Rejected::TransferInProgress`] for strict reads during a hand-over.
    pub fn read(&mut self, now: Time, id: ReadId, level: ReadLevel) -> Result<(), Rejected> {
        self.advance_clock(now);
        let Some(l) = self.leadership.as_mut() else {
            return Err(Rejected::NotLeader {
                leader: self.leader,
                term: self.term,
            });
        };
        if level == ReadLevel::Strict {
            self.check_can_propose(1)?;
            let (index, _) = self.append_as_leader([Payload::Noop]);
            if let Some(l) = self.leadership.as_mut() {
                l.reads_by_commit.push(PendingRead {
                    id,
                    index,
                    round: 0,
                });
            }
            self.confirm_reads_by_commit();
            return Ok(());
        }
        if !l.committed_in_term {
            // Raft §6.4: the commit index is only known current once an entry of this
            // term has committed.
            l.reads_waiting_commit.push((id, level));
            return Ok(());
        }
        self.start_read(id, level);
        Ok(())
    }

    fn start_read(&mut self, id: ReadId, level: ReadLevel) {
        let index = self.log.commit();
        if level == ReadLevel::Lease && self.lease_until().is_some() {
            self.push_read_ready(id, index);
            return;
        }
        let Some(l) = self.leadership.as_mut() else {
            return;
        };
        // Confirmed by the next round: an earlier round may have been sent before this
        // read arrived, and echoes of it prove nothing about leadership now.
        l.reads_by_round.push(PendingRead {
            id,
            index,
            round: l.round + 1,
        });
        l.round_wanted = true;
        self.confirm_reads_by_round();
    }

    fn push_read_ready(&mut self, id: ReadId, index: LogIndex) {
        let token = FencingToken {
            group: self.config.group,
            term: self.term,
        };
        self.reads.push(ReadOutcome::Ready { id, index, token });
    }

    /// Hands leadership to `to`: brings it up to date, then tells it to campaign at
    /// once. Proposals are refused meanwhile and the lease is given up, because `to`'s
    /// voters will ignore stickiness for it.
    ///
    /// # Errors
    /// [`Rejected::NotLeader`] when not leading, [`Rejected::UnknownMember`] when `to`
    /// is not a voter (or is this replica).
    pub fn transfer_leadership(&mut self, now: Time, to: NodeId) -> Result<(), Rejected> {
        self.advance_clock(now);
        if !self.quorum.contains(to) || to == self.config.id {
            return Err(Rejected::UnknownMember(to));
        }
        let deadline = self.now + self.config.election_timeout_max;
        let Some(l) = self.leadership.as_mut() else {
            return Err(Rejected::NotLeader {
                leader: self.leader,
                term: self.term,
            });
        };
        tracing::info!(from = %self.config.id, %to, term = %self.term, "transferring leadership");
        l.transfer = Some(Transfer {
            to,
            deadline,
            timeout_now_sent: false,
        });
        l.lease_forfeited = true;
        l.dirty = true;
        self.maybe_send_timeout_now();
        Ok(())
    }

    /// Campaigns now instead of waiting for an election timeout (bootstrap leaders).
    /// Still runs the pre-vote when configured, so it cannot disrupt a healthy leader.
    pub fn campaign(&mut self, now: Time) {
        self.advance_clock(now);
        // Its own vote obeys stickiness too: a replica that heard a leader within the
        // election timeout waits for its timer instead.
        if self.role != Role::Leader
            && self.quorum.contains(self.config.id)
            && !self.leader_is_fresh()
        {
            self.start_campaign(false);
        }
    }

    /// Sets this replica's candidacy rank: `Some((position, of))`, position 0 best.
    ///
    /// The election timeout window is cut into `of` slots and a replica draws its
    /// timeout inside the slot of its position, so better-ranked replicas campaign
    /// first. Rank never changes who may win: votes still follow the log rule.
    pub fn set_candidacy_rank(&mut self, rank: Option<(u32, u32)>) {
        self.rank = rank.filter(|(p, of)| *of > 0 && p < of);
        if self.role != Role::Leader {
            self.reset_election_deadline();
        }
    }

    /// Compacts the log through `snapshot.meta.index`, which the shell has just
    /// snapshotted its state machine at (docs/protocol.md#snapshots).
    ///
    /// The shell must have persisted the snapshot first (`parliament-store`'s
    /// `install_snapshot`), and may compact its stored log once this returns. The replica
    /// keeps `snapshot` (a cheap [`Bytes`] clone) to send to followers that need entries
    /// it no longer holds. A snapshot no newer than the log's offset is ignored.
    ///
    /// # Errors
    /// [`CompactError::BeyondApplied`] when the snapshot covers entries not yet handed
    /// to the shell to apply (compaction never passes the applied, hence committed,
    /// index), [`CompactError::TermMismatch`] when its term is not the log's term at its
    /// index. Either way nothing changes.
    pub fn compact(&mut self, snapshot: Snapshot) -> Result<(), CompactError> {
        let SnapshotMeta { index, term } = snapshot.meta;
        if index <= self.log.offset_index() {
            return Ok(());
        }
        if index > self.applied {
            return Err(CompactError::BeyondApplied {
                index,
                applied: self.applied,
            });
        }
        let log_term = self.log.term_at(index);
        if log_term != Some(term) {
            return Err(CompactError::TermMismatch {
                index,
                term,
                log_term,
            });
        }
        tracing::debug!(id = %self.config.id, %index, %term, "compacting the log");
        self.log.compact_to(index);
        self.fold_configs_into_base(index);
        self.snapshot = Some(snapshot);
        if let Some(l) = self.leadership.as_mut() {
            l.dirty = true; // followers behind the new offset need the snapshot now
        }
        Ok(())
    }

    /// The newest snapshot this replica holds, if any.
    #[must_use]
    pub fn snapshot(&self) -> Option<&Snapshot> {
        self.snapshot.as_ref()
    }

    // ----- inputs: messages ----------------------------------------------------------

    /// Handles a message from another replica of the group.
    ///
    /// # Errors
    /// A message for another group or member, or from a non-member, is refused and
    /// changes nothing.
    pub fn step(&mut self, now: Time, msg: Message) -> Result<(), Rejected> {
        self.advance_clock(now);
        if msg.group != self.config.group {
            return Err(Rejected::WrongGroup(msg.group));
        }
        if msg.to != self.config.id {
            return Err(Rejected::Misaddressed(msg.to));
        }
        // Requests are answered whoever sends them, as Raft's §4.1 asks: a member whose
        // log has not reached a configuration entry yet must still vote for, and follow,
        // a member that entry added, or a district whose founders left before every
        // member heard of the newcomers can never elect again. Which senders may reach
        // the engine at all is the caller's business (the member admits its roster's
        // members). Answers, and requests to hand over, come only from known members.
        let request = matches!(
            msg.body,
            MessageBody::PreVote { .. }
                | MessageBody::RequestVote { .. }
                | MessageBody::Append { .. }
                | MessageBody::InstallSnapshot { .. }
        );
        if msg.from == self.config.id || (!request && !self.knows(msg.from)) {
            return Err(Rejected::UnknownMember(msg.from));
        }
        match msg.body {
            MessageBody::PreVote {
                last_index,
                last_term,
            } => {
                self.handle_pre_vote(msg.from, msg.term, last_index, last_term);
            }
            MessageBody::RequestVote {
                last_index,
                last_term,
                transfer,
            } => {
                self.handle_request_vote(msg.from, msg.term, last_index, last_term, transfer);
            }
            MessageBody::PreVoteResponse { granted } => {
                self.handle_vote_response(msg.from, msg.term, granted, Role::PreCandidate);
            }
            MessageBody::RequestVoteResponse { granted } => {
                self.handle_vote_response(msg.from, msg.term, granted, Role::Candidate);
            }
            MessageBody::Append {
                prev_index,
                prev_term,
                entries,
                commit,
                round,
            } => {
                self.handle_append(
                    msg.from, msg.term, prev_index, prev_term, &entries, commit, round,
                );
            }
            MessageBody::AppendResponse {
                success,
                index,
                hint_index,
                hint_term,
                round,
            } => {
                self.handle_append_response(
                    msg.from, msg.term, success, index, hint_index, hint_term, round,
                );
            }
            MessageBody::TimeoutNow => self.handle_timeout_now(msg.from, msg.term),
            MessageBody::InstallSnapshot {
                meta,
                offset,
                data,
                done,
                round,
            } => {
                self.handle_install_snapshot(msg.from, msg.term, meta, offset, &data, done, round);
            }
            MessageBody::InstallSnapshotResponse {
                meta,
                received,
                done,
                round,
            } => {
                self.handle_install_snapshot_response(
                    msg.from, msg.term, meta, received, done, round,
                );
            }
        }
        Ok(())
    }

    // ----- elections -----------------------------------------------------------------

    fn reset_election_deadline(&mut self) {
        let min = self.config.election_timeout_min.as_millis() as u64;
        let max = self.config.election_timeout_max.as_millis() as u64;
        let timeout = match self.rank {
            Some((position, of)) => {
                let slot = ((max - min) / u64::from(of)).max(1);
                let lo = min + slot * u64::from(position);
                self.prng.below(lo, lo + slot)
            }
            None => self.prng.below(min, max),
        };
        self.election_deadline = Time(self.now.0 + timeout);
    }

    /// Whether this replica heard from a leader (or restarted after having been in a
    /// term) within the minimum election timeout. Such a replica refuses (pre-)votes to
    /// anyone else, including itself: that is what
    /// keeps a partitioned member from deposing a healthy leader, and what makes
    /// leases safe (docs/protocol.md#leases).
    fn leader_is_fresh(&self) -> bool {
        if self.role == Role::Leader {
            return true;
        }
        self.heard_leader_at
            .is_some_and(|at| self.now < at + self.config.election_timeout_min)
    }

    fn start_campaign(&mut self, transfer: bool) {
        self.reset_election_deadline();
        if self.config.pre_vote && !transfer {
            self.become_pre_candidate();
        } else {
            self.become_candidate(transfer);
        }
    }

    fn become_pre_candidate(&mut self) {
        self.role = Role::PreCandidate;
        self.leader = None;
        self.votes.clear();
        self.campaign_is_transfer = false;
        self.push_role();
        tracing::debug!(id = %self.config.id, term = %self.term, "motion of no confidence (pre-vote)");
        self.record_vote(self.config.id, true, Role::PreCandidate);
        self.broadcast_ballot(true, false);
    }

    fn become_candidate(&mut self, transfer: bool) {
        self.term = self.term.next();
        self.vote = Some(self.config.id);
        self.role = Role::Candidate;
        self.leader = None;
        self.votes.clear();
        self.campaign_is_transfer = transfer;
        self.push_role();
        tracing::debug!(id = %self.config.id, term = %self.term, transfer, "campaigning");
        self.record_vote(self.config.id, true, Role::Candidate);
        self.broadcast_ballot(false, transfer);
    }

    fn broadcast_ballot(&mut self, pre: bool, transfer: bool) {
        if self.role == Role::Leader {
            return; // a single-voter group won on its own vote
        }
        let last_index = self.log.last_index();
        let last_term = self.log.last_term();
        let (term, body) = if pre {
            (
                self.term.next(),
                MessageBody::PreVote {
                    last_index,
                    last_term,
                },
            )
        } else {
            (
                self.term,
                MessageBody::RequestVote {
                    last_index,
                    last_term,
                    transfer,
                },
            )
        };
        for to in self.peers() {
            self.send(to, term, body.clone());
        }
    }

    fn handle_pre_vote(&mut self, from: NodeId, term: Term, last_index: LogIndex, last_term: Term) {
        // A pre-vote never changes our term or vote (docs/protocol.md#pre-vote).
        let granted = term > self.term
            && !self.leader_is_fresh()
            && self.log.is_up_to_date(last_index, last_term);
        let reply_term = if granted { term } else { self.term };
        self.send(from, reply_term, MessageBody::PreVoteResponse { granted });
    }

    fn handle_request_vote(
        &mut self,
        from: NodeId,
        term: Term,
        last_index: LogIndex,
        last_term: Term,
        transfer: bool,
    ) {
        if term > self.term && !transfer && self.leader_is_fresh() {
            // Leader stickiness: ignore without adopting the term (Raft thesis §4.2.3).
            tracing::debug!(id = %self.config.id, %from, %term, "vote refused: leader is alive");
            return;
        }
        if term > self.term {
            self.become_follower(term, None);
        }
        let granted = term == self.term
            && self.vote.is_none_or(|v| v == from)
            && self.log.is_up_to_date(last_index, last_term); // Raft §5.4.1
        if granted {
            self.vote = Some(from);
            self.reset_election_deadline();
        }
        self.send(
            from,
            self.term,
            MessageBody::RequestVoteResponse { granted },
        );
    }

    fn handle_vote_response(&mut self, from: NodeId, term: Term, granted: bool, kind: Role) {
        let campaign_term = if kind == Role::PreCandidate {
            self.term.next()
        } else {
            self.term
        };
        // A grant carries the campaign's term; a refusal carries the voter's own term.
        if term > campaign_term || (term > self.term && !granted) {
            self.become_follower(term, None);
            return;
        }
        let current = if granted {
            term == campaign_term
        } else {
            term == self.term
        };
        if self.role != kind || !current {
            return; // stale: from an earlier campaign
        }
        self.record_vote(from, granted, kind);
    }

    fn record_vote(&mut self, from: NodeId, granted: bool, kind: Role) {
        self.votes.insert(from, granted);
        let votes = &self.votes;
        let won = self.quorum.is_quorum(&|id| votes.get(&id) == Some(&true));
        let lost = self.quorum.is_blocked(&|id| votes.get(&id) == Some(&false));
        if won {
            match kind {
                Role::PreCandidate => self.become_candidate(false),
                _ => self.become_leader(),
            }
        } else if lost {
            tracing::debug!(id = %self.config.id, term = %self.term, "campaign lost");
            self.become_follower(self.term, None);
        }
    }

    fn handle_timeout_now(&mut self, from: NodeId, term: Term) {
        // Only the leader of our current term may ask us to take over.
        if term != self.term || self.leader != Some(from) || self.role != Role::Follower {
            return;
        }
        tracing::info!(id = %self.config.id, term = %self.term, "taking over leadership on request");
        self.reset_election_deadline();
        self.become_candidate(true);
    }

    fn become_follower(&mut self, term: Term, leader: Option<NodeId>) {
        let changed = self.role != Role::Follower || self.term != term || self.leader != leader;
        if term > self.term {
            self.term = term;
            self.vote = None;
        }
        if self.role == Role::Leader {
            self.fail_pending_reads();
        }
        self.role = Role::Follower;
        self.leader = leader;
        self.leadership = None;
        self.votes.clear();
        if changed {
            self.push_role();
        }
    }

    fn become_leader(&mut self) {
        tracing::info!(id = %self.config.id, group = %self.config.group, term = %self.term, "became leader");
        self.role = Role::Leader;
        self.leader = Some(self.config.id);
        let next = self.log.last_index().next();
        let progress = self
            .replication_targets()
            .into_iter()
            .map(|p| (p, Progress::new(next)))
            .collect();
        self.leadership = Some(Leadership {
            progress,
            round: 0,
            round_started: VecDeque::new(),
            round_wanted: true,
            next_heartbeat: self.now + self.config.heartbeat_interval,
            next_quorum_check: self.now + self.config.election_timeout_min,
            committed_in_term: false,
            reads_waiting_commit: Vec::new(),
            reads_by_round: Vec::new(),
            reads_by_commit: Vec::new(),
            transfer: None,
            lease_forfeited: false,
            dirty: true,
        });
        self.push_role();
        // Raft §5.4.2 / §8: commit an entry of the new term so earlier ones commit too.
        self.append_as_leader([Payload::Noop]);
    }

    fn push_role(&mut self) {
        self.roles.push(RoleChange {
            role: self.role,
            term: self.term,
            leader: self.leader,
            token: self.token(),
        });
    }

    // ----- replication ---------------------------------------------------------------

    #[allow(clippy::too_many_arguments)]
    fn handle_append(
        &mut self,
        from: NodeId,
        term: Term,
        prev_index: LogIndex,
        prev_term: Term,
        entries: &[Entry],
        commit: LogIndex,
        round: u64,
    ) {
        if term < self.term {
            // Tell a deposed leader the news.
            self.send(
                from,
                self.term,
                reject(prev_index, LogIndex(0), None, round),
            );
            return;
        }
        if term > self.term || self.role != Role::Follower || self.leader != Some(from) {
            self.become_follower(term, Some(from));
        }
        self.heard_leader_at = Some(self.now);
        self.reset_election_deadline();
        let response = match self.log.try_append(prev_index, prev_term, entries) {
            Ok(matched) => {
                if let Some(first) = entries.first() {
                    self.refresh_membership(first.index);
                }
                self.log.commit_to(commit.min(matched));
                MessageBody::AppendResponse {
                    success: true,
                    index: matched,
                    hint_index: LogIndex(0),
                    hint_term: None,
                    round,
                }
            }
            Err(Mismatch::TooShort { hint_index }) => reject(prev_index, hint_index, None, round),
            Err(Mismatch::Conflict { hint_index, term }) => {
                reject(prev_index, hint_index, Some(term), round)
            }
            Err(Mismatch::Invalid(why)) => {
                tracing::warn!(id = %self.config.id, leader = %from, %prev_index, why, "invalid append refused");
                return;
            }
        };
        self.send(from, self.term, response);
    }

    #[allow(clippy::too_many_arguments)]
    fn handle_append_response(
        &mut self,
        from: NodeId,
        term: Term,
        success: bool,
        index: LogIndex,
        hint_index: LogIndex,
        hint_term: Option<Term>,
        round: u64,
    ) {
        if term > self.term {
            self.become_follower(term, None);
            return;
        }
        if term < self.term || self.role != Role::Leader {
            return;
        }
        let last_index = self.log.last_index();
        let next_from_hint = match hint_term {
            // Skip the follower's whole conflicting term: resume after our last entry of
            // that term if we have one, else at the first index of it (Raft §5.3 note).
            Some(t) => self
                .last_index_of_term(t, hint_index)
                .map_or(hint_index, LogIndex::next),
            None => hint_index,
        };
        let Some(l) = self.leadership.as_mut() else {
            return;
        };
        let Some(p) = l.progress.get_mut(&from) else {
            return;
        };
        record_echo(p, &l.round_started, round);
        let mut advanced = false;
        if success {
            advanced = p.on_success(index);
        } else if p.on_reject(index, next_from_hint) {
            tracing::debug!(follower = %from, rejected = %index, next = %p.next_index, "append rejected; probing");
        }
        if p.mode == Mode::Probe && !p.probe_sent {
            l.dirty = true;
        }
        // An answer to a round newer than an unanswered append means that append (or its
        // answer) was most likely lost: resend from the match point. A false alarm only
        // duplicates entries, which appends tolerate.
        p.resend_if_lost(round);
        if p.match_index < last_index || p.lags_commit(self.log.commit()) {
            l.dirty = true;
        }
        self.prune_rounds();
        if advanced {
            self.maybe_commit();
            self.maybe_send_timeout_now();
        }
        self.confirm_reads_by_round();
    }

    // ----- snapshots -----------------------------------------------------------------

    #[allow(clippy::too_many_arguments)]
    fn handle_install_snapshot(
        &mut self,
        from: NodeId,
        term: Term,
        meta: SnapshotMeta,
        offset: u64,
        data: &Bytes,
        done: bool,
        round: u64,
    ) {
        let answer = |received, done| MessageBody::InstallSnapshotResponse {
            meta,
            received,
            done,
            round,
        };
        if term < self.term {
            self.send(from, self.term, answer(0, false)); // tell a deposed leader the news
            return;
        }
        if term > self.term || self.role != Role::Follower || self.leader != Some(from) {
            self.become_follower(term, Some(from));
        }
        self.heard_leader_at = Some(self.now);
        self.reset_election_deadline();
        if meta.index <= self.log.commit() {
            // Everything the snapshot covers is committed here already, and committed
            // entries match every leader's log: nothing to install (a duplicate final
            // chunk lands here too).
            self.incoming = None;
            self.send(from, self.term, answer(0, true));
            return;
        }
        if meta.index == LogIndex(0) || meta.term == Term(0) || meta.term > term {
            // Malformed: no leader can have compacted an entry of a later term. Refuse.
            tracing::warn!(id = %self.config.id, %from, index = %meta.index, snapshot_term = %meta.term, "refused a malformed snapshot chunk");
            self.send(from, self.term, answer(0, false));
            return;
        }
        match accept_chunk(&mut self.incoming, from, term, meta, offset, data, done) {
            ChunkOutcome::Need(received) => self.send(from, self.term, answer(received, false)),
            ChunkOutcome::Complete(image) => {
                let received = image.len() as u64;
                tracing::info!(id = %self.config.id, index = %meta.index, term = %meta.term, bytes = received, "installing snapshot from the leader");
                // Raft §7: keep the suffix if it continues the snapshot's last entry.
                let kept = self.log.term_at(meta.index) == Some(meta.term);
                let verified = if kept { meta.index } else { self.log.commit() };
                self.log.install_snapshot(meta.index, meta.term);
                // Configurations through what the log verified stay known; the discarded
                // entries beyond it may have diverged (docs/protocol.md#104-restarts-and-snapshots).
                self.fold_configs_into_base(verified);
                self.configs.retain(|(i, _)| *i > meta.index);
                self.refresh_membership(meta.index.next());
                // applied <= old commit < meta.index: the shell restores the image
                // instead of applying the entries it covers.
                self.applied = meta.index;
                let snapshot = Snapshot { meta, data: image };
                self.snapshot = Some(snapshot.clone());
                self.snapshot_to_install = Some(snapshot);
                self.send(from, self.term, answer(received, true));
            }
        }
    }

    fn handle_install_snapshot_response(
        &mut self,
        from: NodeId,
        term: Term,
        meta: SnapshotMeta,
        received: u64,
        done: bool,
        round: u64,
    ) {
        if term > self.term {
            self.become_follower(term, None);
            return;
        }
        if term < self.term || self.role != Role::Leader {
            return;
        }
        let Some(l) = self.leadership.as_mut() else {
            return;
        };
        let Some(p) = l.progress.get_mut(&from) else {
            return;
        };
        record_echo(p, &l.round_started, round);
        let transfer = p
            .snapshot
            .filter(|s| p.mode == Mode::Snapshot && s.meta == meta);
        let mut advanced = false;
        if done {
            // The follower's log matches ours through `meta.index` (it installed a
            // snapshot of this term's leader, whose entries are all committed).
            if transfer.is_some() || meta.index > p.match_index {
                advanced = meta.index > p.match_index;
                p.on_snapshot_done(meta.index);
                tracing::debug!(follower = %from, index = %meta.index, "snapshot transfer complete");
            }
        } else if let (Some(mut s), Some(snap)) = (transfer, p.snapshot.as_mut()) {
            s.acked = received;
            s.sent = false;
            *snap = s;
        }
        l.dirty = true;
        self.prune_rounds();
        if advanced {
            self.maybe_commit();
            self.maybe_send_timeout_now();
        }
        self.confirm_reads_by_round();
    }

    fn last_index_of_term(&self, term: Term, at_or_below: LogIndex) -> Option<LogIndex> {
        let mut i = at_or_below.min(self.log.last_index());
        while i >= self.log.first_index() {
            match self.log.term_at(i) {
                Some(t) if t == term => return Some(i),
                Some(t) if t < term => return None,
                _ => {}
            }
            i = i.prev();
            if i == LogIndex(0) {
                break;
            }
        }
        None
    }

    /// Forgets round start times no follower can still echo usefully.
    fn prune_rounds(&mut self) {
        let Some(l) = self.leadership.as_mut() else {
            return;
        };
        let oldest_needed = l
            .progress
            .values()
            .map(|p| p.acked_round)
            .min()
            .unwrap_or(l.round);
        while l.round_started.len() > 1
            && l.round_started
                .front()
                .is_some_and(|(r, _)| *r <= oldest_needed)
        {
            l.round_started.pop_front();
        }
        // Bound memory against a follower that never answers: its echoes of very old
        // rounds then count for nothing, which only shortens leases (safe).
        while l.round_started.len() > 1024 {
            l.round_started.pop_front();
        }
    }

    fn maybe_commit(&mut self) {
        let me = self.config.id;
        let last = self.log.last_index();
        let Some(l) = self.leadership.as_mut() else {
            return;
        };
        let candidate = self.quorum.committed_index(&|id| {
            if id == me {
                last
            } else {
                l.progress.get(&id).map_or(LogIndex(0), |p| p.match_index)
            }
        });
        // Raft §5.4.2: count replicas only for entries of the current term.
        let old_commit = self.log.commit();
        if candidate > old_commit && self.log.term_at(candidate) == Some(self.term) {
            self.log.commit_to(candidate);
            let first_commit = !l.committed_in_term;
            l.committed_in_term = true;
            l.dirty = true;
            if first_commit {
                let waiting = std::mem::take(&mut l.reads_waiting_commit);
                for (id, level) in waiting {
                    self.start_read(id, level);
                }
            }
            self.confirm_reads_by_commit();
            if self
                .configs
                .iter()
                .any(|(i, _)| *i > old_commit && *i <= candidate)
            {
                // The committed configuration may have changed: drop members it removed.
                self.sync_progress();
                self.maybe_leave();
            }
        }
    }

    /// Moves the configurations at or below `index` into the base (the log no longer
    /// holds them).
    fn fold_configs_into_base(&mut self, index: LogIndex) {
        if let Some(pos) = self.configs.iter().rposition(|(i, _)| *i <= index) {
            let (_, m) = self.configs[pos].clone();
            self.base_quorum = QuorumSystem::majority(m.voters.iter().copied());
            self.base = m;
            self.configs.drain(..=pos);
            self.on_membership_changed();
        }
    }

    fn confirm_reads_by_commit(&mut self) {
        let commit = self.log.commit();
        let Some(l) = self.leadership.as_mut() else {
            return;
        };
        let (ready, waiting): (Vec<_>, Vec<_>) =
            l.reads_by_commit.drain(..).partition(|r| r.index <= commit);
        l.reads_by_commit = waiting;
        for r in ready {
            self.push_read_ready(r.id, r.index);
        }
    }

    fn confirm_reads_by_round(&mut self) {
        let me = self.config.id;
        let Some(l) = self.leadership.as_mut() else {
            return;
        };
        if l.reads_by_round.is_empty() {
            return;
        }
        let sent_round = l.round;
        let progress = &l.progress;
        // A read is confirmed when a quorum has echoed a round at least as new as its own.
        let (ready, waiting): (Vec<_>, Vec<_>) = l.reads_by_round.drain(..).partition(|r| {
            r.round <= sent_round
                && self.quorum.is_quorum(&|id| {
                    id == me || progress.get(&id).is_some_and(|p| p.acked_round >= r.round)
                })
        });
        l.reads_by_round = waiting;
        for r in ready {
            self.push_read_ready(r.id, r.index);
        }
    }

    fn fail_pending_reads(&mut self) {
        let Some(l) = self.leadership.as_mut() else {
            return;
        };
        let ids: Vec<ReadId> = l
            .reads_waiting_commit
            .drain(..)
            .map(|(id, _)| id)
            .chain(l.reads_by_round.drain(..).map(|r| r.id))
            .chain(l.reads_by_commit.drain(..).map(|r| r.id))
            .collect();
        for id in ids {
            self.reads.push(ReadOutcome::Failed {
                id,
                reason: Rejected::LeadershipLost,
            });
        }
    }

    fn maybe_send_timeout_now(&mut self) {
        let last = self.log.last_index();
        let term = self.term;
        let Some(l) = self.leadership.as_mut() else {
            return;
        };
        let Some(t) = l.transfer.as_mut() else { return };
        if t.timeout_now_sent {
            return;
        }
        if l.progress.get(&t.to).is_some_and(|p| p.match_index == last) {
            t.timeout_now_sent = true;
            let to = t.to;
            self.send(to, term, MessageBody::TimeoutNow);
        }
    }

    /// Sends what followers need: new entries (pipelined, within the in-flight bound),
    /// and a heartbeat round when one is due or a read wants one.
    fn flush_appends(&mut self) {
        let Some(l) = self.leadership.as_mut() else {
            return;
        };
        let new_round = std::mem::take(&mut l.round_wanted);
        if new_round {
            l.round += 1;
            l.round_started.push_back((l.round, self.now));
            l.next_heartbeat = self.now + self.config.heartbeat_interval;
        }
        if !new_round && !std::mem::take(&mut l.dirty) {
            return;
        }
        l.dirty = false;
        let round = l.round;
        let commit = self.log.commit();
        let last = self.log.last_index();
        let mut out = Vec::new();
        let me = self.config.id;
        let single_voter = self.quorum.is_quorum(&|id| id == me);
        for (&to, p) in &mut l.progress {
            if let Some(body) = snapshot_chunk(
                p,
                self.log.offset_index(),
                self.snapshot.as_ref(),
                new_round,
                self.config.snapshot_chunk_bytes,
                round,
            ) {
                out.push((to, body));
                continue;
            }
            if p.mode == Mode::Snapshot {
                continue; // a chunk is outstanding
            }
            let mut sent = false;
            while p.next_index <= last && !p.is_paused(self.config.max_inflight) {
                let prev_index = p.next_index.prev();
                let Some(prev_term) = self.log.term_at(prev_index) else {
                    break;
                };
                let entries = self.log.slice(
                    p.next_index,
                    last,
                    self.config.max_append_entries,
                    self.config.max_append_bytes,
                );
                let Some(last_sent) = entries.last().map(|e| e.index) else {
                    break;
                };
                p.on_sent(last_sent, round);
                p.commit_sent = p.commit_sent.max(commit.min(last_sent));
                out.push((
                    to,
                    append(prev_index, prev_term, entries, commit.min(last_sent), round),
                ));
                sent = true;
                if p.mode == Mode::Probe {
                    break;
                }
            }
            // A heartbeat (or a commit notice to a caught-up follower): an empty append
            // after the point known to match, so it never fails the consistency check.
            if !sent && (new_round || p.lags_commit(commit)) {
                if p.mode == Mode::Probe {
                    p.probe_sent = false; // a lost probe is retried at the next heartbeat
                }
                let Some(prev_term) = self.log.term_at(p.match_index) else {
                    continue;
                };
                p.commit_sent = p.commit_sent.max(commit.min(p.match_index));
                out.push((
                    to,
                    append(
                        p.match_index,
                        prev_term,
                        Vec::new(),
                        commit.min(p.match_index),
                        round,
                    ),
                ));
            }
        }
        let term = self.term;
        for (to, body) in out {
            self.send(to, term, body);
        }
        if single_voter {
            self.confirm_reads_by_round(); // nobody will echo; our own ack is a quorum
        }
    }

    // ----- outputs -------------------------------------------------------------------

    /// The voters to ask for ballots.
    fn peers(&self) -> Vec<NodeId> {
        self.quorum
            .voters()
            .into_iter()
            .filter(|&id| id != self.config.id)
            .collect()
    }

    /// The members a leader replicates to: everyone in the latest configuration, and
    /// while a change is uncommitted also the members it removes, so that they learn of
    /// their removal and stop campaigning (docs/protocol.md#10-membership-changes).
    fn replication_targets(&self) -> Vec<NodeId> {
        self.membership()
            .members()
            .union(&self.committed_membership().members())
            .copied()
            .filter(|&id| id != self.config.id)
            .collect()
    }

    fn send(&mut self, to: NodeId, term: Term, body: MessageBody) {
        self.messages.push(Message {
            group: self.config.group,
            from: self.config.id,
            to,
            term,
            body,
        });
    }

    fn hard_state(&self) -> HardState {
        HardState {
            term: self.term,
            vote: self.vote,
            commit: self.log.commit(),
        }
    }

    /// Whether [`Replica::take_ready`] has anything to hand out.
    #[must_use]
    pub fn has_ready(&self) -> bool {
        let hs = self.hard_state();
        !self.messages.is_empty()
            || self.snapshot_to_install.is_some()
            || !self.roles.is_empty()
            || !self.reads.is_empty()
            || self.log.has_unstable()
            || self.log.commit() > self.applied
            || hs.term != self.persisted_hard_state.term
            || hs.vote != self.persisted_hard_state.vote
            || self
                .leadership
                .as_ref()
                .is_some_and(|l| l.dirty || l.round_wanted)
    }

    /// Drains the outputs accumulated since the last call. Act on them as [`Ready`]
    /// documents: persist, then send, then apply, then answer reads.
    pub fn take_ready(&mut self) -> Ready {
        self.flush_appends();
        let hs = self.hard_state();
        // The commit index alone is not worth an fsync; it rides along when term or
        // vote change.
        let hard_state = (hs.term != self.persisted_hard_state.term
            || hs.vote != self.persisted_hard_state.vote)
            .then(|| {
                self.persisted_hard_state = hs;
                hs
            });
        let entries = self.log.take_unstable();
        let commit = self.log.commit();
        let committed = if commit > self.applied {
            let c = self
                .log
                .slice(self.applied.next(), commit, usize::MAX, usize::MAX);
            self.applied = commit;
            c
        } else {
            Vec::new()
        };
        Ready {
            snapshot: self.snapshot_to_install.take(),
            hard_state,
            entries,
            messages: std::mem::take(&mut self.messages),
            committed,
            roles: std::mem::take(&mut self.roles),
            reads: std::mem::take(&mut self.reads),
        }
    }
}

/// The next snapshot chunk for a follower, if it needs one now. A follower enters
/// Snapshot mode when the entries it needs next are compacted (`next_index` at or below
/// the log's offset); a newer snapshot restarts the transfer; an unanswered chunk is
/// resent from the acknowledged offset at the next heartbeat round.
fn snapshot_chunk(
    p: &mut Progress,
    offset_index: LogIndex,
    snapshot: Option<&Snapshot>,
    new_round: bool,
    chunk_bytes: usize,
    round: u64,
) -> Option<MessageBody> {
    let snap = snapshot?;
    if p.mode != Mode::Snapshot && p.next_index > offset_index {
        return None;
    }
    if p.mode == Mode::Snapshot && p.match_index >= offset_index {
        // A delayed append answer proved the follower holds everything compacted:
        // appends can take over.
        p.on_snapshot_done(p.match_index);
        return None;
    }
    if p.snapshot.is_none_or(|s| s.meta != snap.meta) {
        p.start_snapshot(snap.meta);
    }
    let s = p.snapshot.as_mut()?;
    if new_round {
        s.sent = false; // the chunk or its answer may be lost: resend
    }
    if s.sent {
        return None;
    }
    let len = snap.data.len();
    let start = usize::try_from(s.acked).unwrap_or(usize::MAX).min(len);
    let end = start.saturating_add(chunk_bytes).min(len);
    s.sent = true;
    Some(MessageBody::InstallSnapshot {
        meta: snap.meta,
        offset: start as u64,
        data: snap.data.slice(start..end),
        done: end == len,
        round,
    })
}

/// Notes that a follower answered, echoing heartbeat `round` (check-quorum, reads, leases).
fn record_echo(p: &mut Progress, round_started: &VecDeque<(u64, Time)>, round: u64) {
    p.recent_active = true;
    if round > p.acked_round {
        p.acked_round = round;
        if let Some(&(_, at)) = round_started.iter().find(|(r, _)| *r == round) {
            p.acked_at = Some(p.acked_at.map_or(at, |a| a.max(at)));
        }
    }
}

fn reject(
    prev_index: LogIndex,
    hint_index: LogIndex,
    hint_term: Option<Term>,
    round: u64,
) -> MessageBody {
    MessageBody::AppendResponse {
        success: false,
        index: prev_index,
        hint_index,
        hint_term,
        round,
    }
}

fn append(
    prev_index: LogIndex,
    prev_term: Term,
    entries: Vec<Entry>,
    commit: LogIndex,
    round: u64,
) -> MessageBody {
    MessageBody::Append {
        prev_index,
        prev_term,
        entries,
        commit,
        round,
    }
}
