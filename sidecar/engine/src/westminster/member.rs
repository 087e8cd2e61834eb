//! A member of a parliament: a replica of its district, the district's state, and —
//! while it is the district's representative — the district's Commons seat.
//!
//! The rules are DESIGN.md §6 and docs/westminster.md §2: a seat persists through its
//! district before any visible effect; only a representative holding its district lease
//! hosts the seat; a new host resumes the seat as a restarted replica.

use std::collections::{BTreeMap, VecDeque};
use std::time::Duration;

use crate::engine::{
    Config, ConfigError, Entry, HardState, MembershipChange, Message, MessageBody, Payload,
    Persisted, ReadId, ReadLevel, ReadOutcome, Ready, Rejected, Replica, Role, RoleChange,
    Snapshot, SnapshotMeta, Status,
};
use crate::state::{self, Command, Key, Read, Response, Scope, StateMachine};
use crate::types::{FencingToken, GroupId, LogIndex, NodeId, Term, Time};
use crate::westminster::lords::{Decided, plan};
use crate::westminster::reputation::{self, Observer, ReputationTable, Score};
use crate::westminster::reputation_duty::{ReputationDuty, standing};
use crate::westminster::session::Sessions;
use crate::westminster::term_limit::{Poll, TermLimit, stagger};
use crate::westminster::ticket_log::TicketLog;
use crate::westminster::{
    Amendment, COMMONS, CommonsDecree, CriticalDecree, DecodeError, DistrictCommand, DistrictId,
    Enacted, Envelope, Lords, MemberConfig, SeatPersist, SeatRecord, SessionEntry, SessionMessage,
    SessionStatus, Ticket,
};

mod image;

/// A district's standing is resubmitted to the Commons only when it moved by more than
/// this (5 %): standings order Prime Minister candidacy, which needs no precision, and
/// every submission is a Commons entry.
const STANDING_SLACK: u16 = 500;

/// How many members of a district a seat message goes to while the seat's host is
/// unknown (docs/protocol.md §9.2 rule 5): more than one, so one member cut off does not
/// lose the message, and few, so founding a Commons of √N seats costs O(N) streams, not
/// O(N^1.5).
const SEAT_PROBES: usize = 3;

/// Something that happened at this member, for the shell to act on after persisting.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Event {
    /// A role in a group changed (the district group, or the Commons for the seat).
    Role {
        /// The group.
        group: GroupId,
        /// The change.
        change: RoleChange,
    },
    /// A key-value command was applied at `(group, index)`; the shell answers the client
    /// whose proposal returned that index and term.
    Applied {
        /// The district group, or [`COMMONS`] for global and critical writes.
        group: GroupId,
        /// Its index in that group's log.
        index: LogIndex,
        /// The term of the entry (compare with the proposal's: an entry overwritten by a
        /// later leader has another term).
        term: Term,
        /// The state machine's answer.
        response: Response,
    },
    /// A global write taken through a session ([`Member::submit_global`]) was applied
    /// at Commons `index`. Every member applying the entry reports it; the member whose
    /// ticket it is (`mine`) answers its client.
    GlobalApplied {
        /// The write's ticket.
        ticket: Ticket,
        /// Whether this member issued the ticket in this incarnation.
        mine: bool,
        /// Its Commons index.
        index: LogIndex,
        /// The Commons term of the entry.
        term: Term,
        /// The state machine's answer.
        response: Response,
    },
    /// A global write this member accepted was refused by its representative or the
    /// Prime Minister (the queue was full, or leadership moved); the client may retry.
    GlobalRefused {
        /// The write's ticket.
        ticket: Ticket,
        /// Why.
        reason: Refused,
    },
    /// A term-limit hand-over began (docs/protocol.md#112-term-limits): this member,
    /// leader of `group` in `term`, asked `to` to take over — a member of its district
    /// for the district group, a seat for the [`COMMONS`].
    HandOver {
        /// The district group, or the Commons.
        group: GroupId,
        /// The term this member leads in.
        term: Term,
        /// The target: a member, or a seat.
        to: NodeId,
    },
    /// A term-limit hand-over did not complete within an election timeout and was
    /// abandoned: this member still leads `group` in `term` (no leaderless gap), and its
    /// next attempt picks the next candidate.
    HandOverAbandoned {
        /// The district group, or the Commons.
        group: GroupId,
        /// The term this member still leads in.
        term: Term,
        /// The target that did not take over.
        to: NodeId,
    },
    /// A critical decree took effect at Commons `index`: a majority of the seated Lords
    /// voted aye (docs/protocol.md#113-the-house-of-lords). A critical write is also
    /// answered by [`Event::GlobalApplied`] at the same index.
    CriticalEnacted {
        /// The Commons index of its `Pending` entry.
        decree: LogIndex,
        /// The index of the vote that made the majority.
        index: LogIndex,
    },
    /// A critical decree was rejected at Commons `index`: a majority can no longer vote
    /// aye. A critical write's origin also gets [`Event::GlobalRefused`].
    CriticalRejected {
        /// The Commons index of its `Pending` entry.
        decree: LogIndex,
        /// The index of the vote that decided it.
        index: LogIndex,
        /// The nays' reasons.
        reasons: Vec<String>,
    },
    /// A read may now be served from [`Member::get`].
    ReadReady {
        /// The read's id.
        id: ReadId,
    },
    /// A read could not be confirmed here.
    ReadFailed {
        /// The read's id.
        id: ReadId,
        /// Why.
        reason: Refused,
    },
}

/// What the shell must do, in this order: persist `snapshot` (a district leader's,
/// with the engine's install rule), then `hard_state` and `entries` (the district
/// replica's, with the engine's truncation rule), then `taken` (this member's own
/// snapshot: store it, then compact the stored log through it); then send `messages`,
/// then act on `events`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct MemberReady {
    /// A snapshot received from the district leader, to persist first (the member has
    /// already restored its state from it).
    pub snapshot: Option<Snapshot>,
    /// District hard state to persist.
    pub hard_state: Option<HardState>,
    /// District entries to persist.
    pub entries: Vec<Entry>,
    /// A snapshot this member took of its own state at its applied index
    /// (docs/protocol.md#12-snapshots-and-compaction-of-a-member): persist it after `entries`, then
    /// drop the stored log through its index.
    pub taken: Option<Snapshot>,
    /// Messages, each to one member.
    pub messages: Vec<(NodeId, Envelope)>,
    /// Events, in order.
    pub events: Vec<Event>,
}

/// Why a member refused a request.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum Refused {
    /// The scope belongs to another district.
    #[error("scope {scope} belongs to another district; send it to a member of that district")]
    WrongDistrict {
        /// The scope asked for.
        scope: String,
    },
    /// This member does not lead the group that must take the request.
    #[error("not the leader of {group}; the leader is {leader:?}")]
    NotLeader {
        /// The district group or the Commons.
        group: GroupId,
        /// The leader this member knows: a member for a district, a seat for the Commons.
        leader: Option<NodeId>,
    },
    /// The engine refused.
    #[error(transparent)]
    Engine(#[from] Rejected),
    /// The state machine refused the command before proposing it.
    #[error("{0}")]
    Invalid(String),
    /// The district's queue of global writes is full: back-pressure.
    #[error(
        "the global write queue of district {district} is full ({queued} writes, sessions max queue {max}); retry after a session or raise the max queue"
    )]
    Busy {
        /// The district whose queue is full.
        district: DistrictId,
        /// Writes queued.
        queued: usize,
        /// The configured bound.
        max: usize,
    },
}

/// A proposal that was accepted: it will be answered by an [`Event::Applied`] with this
/// group, index and term, or superseded.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Proposal {
    /// The group it was proposed to.
    pub group: GroupId,
    /// Its index.
    pub index: LogIndex,
    /// The leader's term.
    pub term: Term,
}

/// A seat `Ready` waiting for its persistence to commit in the district.
#[derive(Debug)]
struct PendingSeatReady {
    /// The district entry that persists it (with the district term it was proposed in),
    /// or `None` when it needed nothing persisted.
    persist_at: Option<(LogIndex, Term)>,
    ready: Ready,
}

/// The seat, while this member hosts it.
#[derive(Debug)]
struct SeatHost {
    incarnation: Term,
    replica: Replica,
    pending: VecDeque<PendingSeatReady>,
    /// The Commons commit index last sent to the district.
    commit_sent: LogIndex,
    /// The candidacy rank last given to the seat replica.
    rank: Option<(u32, u32)>,
}

/// One member: sans-IO, deterministic, driven like an engine replica.
#[derive(Debug)]
pub struct Member {
    config: MemberConfig,
    district: DistrictId,
    replica: Replica,
    district_kv: StateMachine,
    global_kv: StateMachine,
    seat_record: SeatRecord,
    /// District log index applied to the district state.
    applied: LogIndex,
    seat: Option<SeatHost>,
    /// Where this member last proposed a seat persist (index, district term): a seat
    /// released and resumed within one district term waits until it is applied, so the
    /// new incarnation starts from a record holding every persist the old one made.
    last_seat_persist: Option<(LogIndex, Term)>,
    /// The newest host incarnation seen per district (rule 2).
    newest_incarnation: BTreeMap<DistrictId, Term>,
    /// The member last seen hosting each seat.
    hosts: BTreeMap<DistrictId, NodeId>,
    /// Per district whose host is unknown, where the probes start in its members, and
    /// since when they have started there (rule 5).
    probes: BTreeMap<DistrictId, (usize, Time)>,
    /// Global reads confirmed by the seat at a Commons index, waiting for the global
    /// store to apply through it.
    global_reads: Vec<(ReadId, LogIndex)>,
    sessions: Sessions,
    /// Session tickets the global log applied: a write carried twice applies once.
    tickets: TicketLog,
    /// This incarnation, for tickets: the time it started.
    epoch: u64,
    next_ticket: u64,
    now: Time,
    bootstrapped: bool,
    /// Reputation: what this member observes, and the district table it ranks from.
    duty: ReputationDuty,
    /// Every district's standing, as the Commons log decreed it.
    standings: BTreeMap<DistrictId, Score>,
    /// The candidacy rank last given to the district replica.
    district_rank: Option<(u32, u32)>,
    /// Term limits of the district and of the Commons (while Prime Minister).
    district_limit: TermLimit,
    commons_limit: TermLimit,
    /// While the hosted seat leads the Commons: the match index each seat reported, in
    /// the seat's term.
    commons_matched: (Term, BTreeMap<NodeId, LogIndex>),
    /// The term a `TimeoutNow` from the leader asked this member (district) or its seat
    /// (Commons) to campaign in: winning it succeeds a hand-over.
    district_successor: Option<Term>,
    commons_successor: Option<Term>,
    /// The Lords as the Commons log decreed them.
    lords: Lords,
    /// Every district's nominee for the Lords, as decreed with its standing.
    nominees: BTreeMap<DistrictId, NodeId>,
    /// When this member last applied a sign of life of each Lord (its clock).
    lords_heard: BTreeMap<NodeId, Time>,
    /// As a Lord: when it last sent its presence, and each pending decree's vote.
    presence_sent: Option<Time>,
    votes_sent: BTreeMap<LogIndex, Time>,
    /// As Prime Minister: when it last proposed a `Lords` decree, and the next review.
    lords_proposed: Option<Time>,
    /// The log clock of the last `Seated` decree applied, and this member's clock when
    /// it applied it: the member's reading of the log clock runs on from there.
    lords_clock: Option<(Duration, Time)>,
    /// The district index of the newest snapshot (taken or installed).
    snapshot_at: LogIndex,
    /// The districts with a Commons seat by decree: the founding ones, plus those added,
    /// less those removed by ratified amendments (docs/protocol.md#106-adding-and-removing-districts).
    seated_districts: std::collections::BTreeSet<DistrictId>,
    /// As Prime Minister: when it last proposed adding or removing a district.
    districts_proposed: Option<Time>,
    out: MemberReady,
}

/// A configuration the member cannot start with.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum MemberError {
    /// The member is not in the roster.
    #[error("member {0} is not in the roster; add it to a district first")]
    NotInRoster(NodeId),
    /// A roster this running member cannot adopt.
    #[error("the new roster cannot be adopted while running: {0}")]
    RosterChange(String),
    /// The engine refused its configuration or persisted state.
    #[error(transparent)]
    Engine(#[from] ConfigError),
    /// The stored snapshot's image does not decode: the snapshot file is damaged or
    /// was written by another program.
    #[error(
        "the stored snapshot at district index {index} is not a member image this build reads: {source}"
    )]
    Image {
        /// The snapshot's index.
        index: LogIndex,
        /// What is wrong with it.
        source: DecodeError,
    },
    /// The state machine refused its configuration.
    #[error(transparent)]
    State(#[from] state::Error),
    /// The reputation configuration is invalid.
    #[error(transparent)]
    Reputation(#[from] reputation::ConfigError),
    /// A term limit shorter than its level's election timeout: the leader would hand
    /// over before a hand-over can complete.
    #[error(
        "the {level} term limit is {limit:?}, shorter than its election timeout {min:?}; raise it or switch it off"
    )]
    TermLimitTooShort {
        /// `representative` or `prime minister`.
        level: &'static str,
        /// The limit configured.
        limit: Duration,
        /// The level's maximum election timeout.
        min: Duration,
    },
}

impl Member {
    /// Starts (or restarts) a member from its district replica's persisted state. The
    /// district state, the seat record and the global store are rebuilt by re-applying
    /// the committed district log.
    ///
    /// # Errors
    /// The member is not in the roster, or the engine refuses the persisted state.
    pub fn new(
        config: MemberConfig,
        persisted: Persisted,
        now: Time,
    ) -> Result<Member, MemberError> {
        let district = config
            .roster
            .district_of(config.id)
            .ok_or(MemberError::NotInRoster(config.id))?;
        let roster_district = config
            .roster
            .district(district)
            .ok_or(MemberError::NotInRoster(config.id))?;
        // The configuration before any in the log: the one the stored snapshot was
        // taken under, else the district's founders as voters and its other members as
        // learners (docs/protocol.md#105-the-roster-and-the-configuration).
        let base = match &persisted.snapshot {
            Some(snap) => {
                image::membership_of(&snap.data).map_err(|source| MemberError::Image {
                    index: snap.meta.index,
                    source,
                })?
            }
            None => {
                let voters = config
                    .roster
                    .founders(district)
                    .cloned()
                    .unwrap_or_default();
                let learners = roster_district
                    .members
                    .iter()
                    .copied()
                    .filter(|m| !voters.contains(m))
                    .collect();
                crate::engine::Membership { voters, learners }
            }
        };
        let mut c = Config::new(config.id, district.group(), base.voters.iter().copied());
        c.learners = base.learners;
        config.district.apply_to(&mut c);
        c.seed = config.seed;
        let stored = persisted.snapshot.clone();
        let replica = Replica::new(c, persisted, now)?;
        let district_scope = Scope::District(roster_district.name.clone());
        let district_kv = StateMachine::new(state::Config::for_scopes([district_scope]))?;
        let global_kv = StateMachine::new(image::global_scopes())?;
        let duty = ReputationDuty::new(config.id, config.reputation.clone(), now)?;
        let limits = config.term_limits;
        for (level, limit, min) in [
            (
                "representative",
                limits.representative,
                config.district.election_timeout_max,
            ),
            (
                "prime minister",
                limits.prime_minister,
                config.commons.election_timeout_max,
            ),
        ] {
            if let Some(limit) = limit.filter(|l| *l < min) {
                return Err(MemberError::TermLimitTooShort { level, limit, min });
            }
        }
        Member {
            district,
            replica,
            district_kv,
            global_kv,
            seat_record: SeatRecord::default(),
            applied: LogIndex(0),
            seat: None,
            last_seat_persist: None,
            newest_incarnation: BTreeMap::new(),
            hosts: BTreeMap::new(),
            probes: BTreeMap::new(),
            global_reads: Vec::new(),
            sessions: Sessions::new(config.sessions),
            tickets: TicketLog::default(),
            epoch: now.0,
            next_ticket: 0,
            now,
            bootstrapped: false,
            duty,
            standings: BTreeMap::new(),
            district_rank: None,
            district_limit: TermLimit::default(),
            commons_limit: TermLimit::default(),
            commons_matched: (Term(0), BTreeMap::new()),
            district_successor: None,
            commons_successor: None,
            lords: Lords::default(),
            nominees: BTreeMap::new(),
            lords_heard: BTreeMap::new(),
            presence_sent: None,
            votes_sent: BTreeMap::new(),
            lords_proposed: None,
            lords_clock: None,
            snapshot_at: LogIndex(0),
            seated_districts: config.roster.founding_districts(),
            districts_proposed: None,
            out: MemberReady::default(),
            config,
        }
        .restored(stored)
    }

    /// Restores a member just built from a stored snapshot's image.
    fn restored(mut self, stored: Option<Snapshot>) -> Result<Member, MemberError> {
        if let Some(snap) = stored {
            // The replica was configured from the image's membership already.
            self.restore_member(snap.meta, &snap.data)
                .map_err(|source| MemberError::Image {
                    index: snap.meta.index,
                    source,
                })?;
            self.snapshot_at = snap.meta.index;
        }
        Ok(self)
    }

    // ----- observation ---------------------------------------------------------------

    /// The Commons configuration in effect at the seat this member hosts, if it hosts
    /// one.
    #[must_use]
    pub fn commons_membership(&self) -> Option<&crate::engine::Membership> {
        self.seat.as_ref().map(|s| s.replica.membership())
    }

    /// The districts with a Commons seat by decree (docs/protocol.md#106-adding-and-removing-districts).
    #[must_use]
    pub fn seated_districts(&self) -> &std::collections::BTreeSet<DistrictId> {
        &self.seated_districts
    }

    /// The district's configuration in effect at this member: voters and learners.
    #[must_use]
    pub fn district_membership(&self) -> &crate::engine::Membership {
        self.replica.membership()
    }

    /// This member.
    #[must_use]
    pub fn id(&self) -> NodeId {
        self.config.id
    }

    /// Its district.
    #[must_use]
    pub fn district(&self) -> DistrictId {
        self.district
    }

    /// The district replica's status.
    #[must_use]
    pub fn district_status(&self) -> Status {
        self.replica.status()
    }

    /// The seat replica's status, while this member hosts the seat.
    #[must_use]
    pub fn seat_status(&self) -> Option<Status> {
        self.seat.as_ref().map(|s| s.replica.status())
    }

    /// The incarnation of the hosted seat.
    #[must_use]
    pub fn seat_incarnation(&self) -> Option<Term> {
        self.seat.as_ref().map(|s| s.incarnation)
    }

    /// The district's durable Commons state, as this member has applied it.
    #[must_use]
    pub fn seat_record(&self) -> &SeatRecord {
        &self.seat_record
    }

    /// The district replica's log.
    #[must_use]
    pub fn district_log(&self) -> &crate::engine::Log {
        self.replica.log()
    }

    /// Whether this member is the Prime Minister: it hosts the seat that leads the
    /// Commons.
    #[must_use]
    pub fn is_prime_minister(&self) -> bool {
        self.seat_status().is_some_and(|s| s.role == Role::Leader)
    }

    /// Sessions as this member sees them: the last it held as Prime Minister, and what
    /// waits in its queues.
    #[must_use]
    pub fn session_status(&self) -> SessionStatus {
        self.sessions.status()
    }

    /// The member last seen hosting `district`'s seat, as this member knows it (from
    /// Commons messages it received). The shell uses it to tell clients where the Prime
    /// Minister is.
    #[must_use]
    pub fn seat_host(&self, district: DistrictId) -> Option<NodeId> {
        self.hosts.get(&district).copied()
    }

    /// The last Commons index this member has applied (the global state's applied index):
    /// [`Member::lords`] is the House as of this index.
    #[must_use]
    pub fn commons_applied(&self) -> LogIndex {
        self.global_kv.applied_index()
    }

    /// The revision of `scope` this member has applied.
    #[must_use]
    pub fn applied_revision(&self, scope: &Scope) -> crate::state::Revision {
        match scope {
            Scope::District(_) => self.district_kv.applied_revision(scope),
            Scope::Global | Scope::Critical => self.global_kv.applied_revision(scope),
        }
    }

    /// The district's reputation table last applied from the district log: every member
    /// of the district ranks from it (docs/protocol.md#111-publishing-reputation).
    #[must_use]
    pub fn reputation(&self) -> Option<&ReputationTable> {
        self.duty.table()
    }

    /// What this member has observed of its district's members.
    #[must_use]
    pub fn observer(&self) -> &Observer {
        self.duty.observer()
    }

    /// Every district's standing as the Commons decreed it (the mean score of its
    /// published table); Prime Minister candidacy ranks districts by it.
    #[must_use]
    pub fn standings(&self) -> &BTreeMap<DistrictId, Score> {
        &self.standings
    }

    /// The candidacy rank this member gave its district replica, from the published
    /// table: `(position, of)`, position 0 campaigns first; `None` before a table names it.
    #[must_use]
    pub fn candidacy_rank(&self) -> Option<(u32, u32)> {
        self.district_rank
    }

    /// The candidacy rank of the hosted seat among the districts' seats, from the
    /// standings; `None` when not hosting or before any standing is decreed.
    #[must_use]
    pub fn seat_candidacy_rank(&self) -> Option<(u32, u32)> {
        self.seat.as_ref().and_then(|s| s.rank)
    }

    /// When this member, as representative, must hand its district over (its clock):
    /// tenure start + `term_limits.representative` + its district's stagger. `None` when
    /// not leading or without a limit.
    #[must_use]
    pub fn representative_deadline(&self) -> Option<Time> {
        let limit = self.config.term_limits.representative?;
        let (position, of) = self.district_position();
        self.district_limit
            .deadline(limit, stagger(limit, position, of))
    }

    /// When this member, as Prime Minister, must hand the Commons over (its clock).
    /// `None` when not Prime Minister or without a limit. (A Prime Minister whose
    /// representative deadline comes first hands the Commons over then.)
    #[must_use]
    pub fn prime_minister_deadline(&self) -> Option<Time> {
        let limit = self.config.term_limits.prime_minister?;
        let (position, of) = self.district_position();
        self.commons_limit
            .deadline(limit, stagger(limit, position, of))
    }

    /// The term-limit hand-over under way, if any: the group and the target (a member,
    /// or a seat for the Commons).
    #[must_use]
    pub fn handing_over(&self) -> Option<(GroupId, NodeId)> {
        self.commons_limit
            .handing_over()
            .map(|to| (COMMONS, to))
            .or_else(|| {
                self.district_limit
                    .handing_over()
                    .map(|to| (self.district.group(), to))
            })
    }

    /// The House of Lords as this member has applied the Commons log: who sits, what
    /// waits for their vote, what they decided.
    #[must_use]
    pub fn lords(&self) -> &Lords {
        &self.lords
    }

    /// This member's reading of the Commons log clock that Lords' terms end on: the last
    /// `Seated` decree's stamp plus the time this member's clock says has passed since
    /// it applied it (`None` before the first). Compare with [`Lords::term_ends`].
    #[must_use]
    pub fn lords_clock(&self) -> Option<Duration> {
        self.lords_clock
            .map(|(at, applied)| at + self.now.saturating_since(applied))
    }

    /// Whether this member sits in the Lords.
    #[must_use]
    pub fn is_lord(&self) -> bool {
        self.lords.is_lord(self.config.id)
    }

    /// Critical decrees decided so far (the last 1,024), oldest first: what passed took
    /// effect at its `index`.
    pub fn enacted(&self) -> impl Iterator<Item = &Enacted> {
        self.lords.decided()
    }

    /// Every district's nominee for the Lords, as the Commons decreed it.
    #[must_use]
    pub fn nominees(&self) -> &BTreeMap<DistrictId, NodeId> {
        &self.nominees
    }

    /// Reads `key` from what this member has applied (a stale read unless a
    /// [`Event::ReadReady`] confirmed it).
    ///
    /// # Errors
    /// The scope is another district's.
    pub fn get(&self, scope: &Scope, key: &Key) -> Result<Read, state::Rejected> {
        match scope {
            Scope::District(_) => self.district_kv.get(scope, key),
            Scope::Global | Scope::Critical => self.global_kv.get(scope, key),
        }
    }

    // ----- inputs --------------------------------------------------------------------

    /// Time passes.
    pub fn tick(&mut self, now: Time) {
        self.now = self.now.max(now);
        if !self.bootstrapped {
            self.bootstrapped = true;
            let named = self
                .config
                .roster
                .district(self.district)
                .and_then(|d| d.bootstrap_representative);
            if named == Some(self.config.id) {
                self.replica.campaign(self.now);
            }
        }
        self.replica.tick(self.now);
        if let Some(seat) = self.seat.as_mut() {
            seat.replica.tick(self.now);
        }
        self.duty
            .expire(self.now, self.config.district.election_timeout_min);
        self.maybe_publish();
        self.reconcile_membership();
        self.enforce_term_limits();
        self.lord_duties();
        self.review_lords();
        self.reconcile_commons();
        self.refresh_seat();
        if self.sessions.due(self.now) {
            self.run_session();
            self.refresh_seat();
        }
    }

    /// Adopts a newer roster (the operator added or removed pods): messages are routed
    /// by it, and this district's leader changes the district's configuration towards
    /// it one member at a time — a new member joins as a learner and is promoted once
    /// caught up, a member the roster no longer lists is removed
    /// (docs/protocol.md#105-the-roster-and-the-configuration).
    ///
    /// # Errors
    /// [`MemberError::RosterChange`] when the roster moves this member to another
    /// district, renames a district, removes its own, or changes its district's founders
    /// or the Commons' founding districts (a member changes district by leaving and
    /// joining again). Nothing changed. Districts added or removed get or lose their seat
    /// by amendment, which the Prime Minister proposes (docs/protocol.md#106-adding-and-removing-districts).
    pub fn set_roster(&mut self, roster: crate::westminster::Roster) -> Result<(), MemberError> {
        let me = self.config.id;
        let refuse = |why: &str| Err(MemberError::RosterChange(why.to_owned()));
        // A roster without this member is adopted: it is leaving, and while it leads it
        // removes itself (the engine then hands over and steps down).
        if roster.district_of(me).is_some_and(|d| d != self.district) {
            return refuse("it moves this member to another district");
        }
        let renamed = self
            .config
            .roster
            .districts()
            .any(|(d, r)| roster.district(d).is_some_and(|n| n.name != r.name));
        if renamed {
            return refuse("it renames a district");
        }
        if roster.district(self.district).is_none() {
            return refuse("it removes this member's own district");
        }
        // A roster that does not name the founding districts keeps the ones this member
        // runs with (the operator's roster does not record them: a district it adds is
        // then not founding, as it must not be).
        let roster = if roster.names_founding_districts() {
            roster
        } else {
            match roster
                .clone()
                .with_founding_districts(self.config.roster.founding_districts())
            {
                Ok(r) => r,
                Err(_) => roster,
            }
        };
        if roster.founding_districts() != self.config.roster.founding_districts() {
            return refuse("it changes the Commons' founding districts");
        }
        if roster.founders(self.district) != self.config.roster.founders(self.district) {
            return refuse("it changes the district's founders");
        }
        self.config.roster = roster;
        Ok(())
    }

    /// The district leader moves the configuration one step towards the roster: promote
    /// a caught-up learner, else add a new member as a learner, else remove a member the
    /// roster dropped (after every addition, so a replacement never lowers the number of
    /// voters). The engine refuses a step while another is uncommitted, a promotion of a
    /// lagging learner, and removing the last voter; the next tick tries again.
    fn reconcile_membership(&mut self) {
        if self.replica.status().role != Role::Leader {
            return;
        }
        let Some(wanted) = self
            .config
            .roster
            .district(self.district)
            .map(|d| d.members.clone())
        else {
            return;
        };
        let current = self.replica.membership().clone();
        let change = if let Some(l) = current.learners.iter().find(|l| wanted.contains(l)) {
            MembershipChange::Promote(*l)
        } else if let Some(n) = wanted.iter().find(|m| !current.contains(**m)) {
            MembershipChange::AddLearner(*n)
        } else if let Some(gone) = current.members().into_iter().find(|m| !wanted.contains(m)) {
            MembershipChange::Remove(gone)
        } else {
            return;
        };
        match self.replica.propose_membership(self.now, change) {
            Ok((index, _)) => {
                tracing::info!(member = %self.config.id, district = %self.district, ?change, %index, "the representative changes the district's configuration");
            }
            Err(err) => tracing::trace!(?change, error = %err, "configuration change waits"),
        }
    }

    /// As Prime Minister: proposes the amendment that gives a district of the roster
    /// its seat, or takes the seat of one the roster no longer lists (at most one per
    /// Commons election timeout; the Lords ratify it), and moves the Commons
    /// configuration one single-server step towards the seated districts (promote a
    /// caught-up seat, else add one as a learner, else remove one).
    fn reconcile_commons(&mut self) {
        let Some(seat) = self.seat.as_ref() else {
            return;
        };
        if seat.replica.status().role != Role::Leader {
            return;
        }
        let now = self.now;
        let listed: std::collections::BTreeSet<DistrictId> =
            self.config.roster.districts().map(|(d, _)| d).collect();
        let pending = |d: DistrictId, adding: bool| {
            self.lords.pending().any(|(_, c)| match c {
                CriticalDecree::Amend(Amendment::AddDistrict { district, .. }) => {
                    adding && *district == d
                }
                CriticalDecree::Amend(Amendment::RemoveDistricts { districts }) => {
                    !adding && districts.contains(&d)
                }
                _ => false,
            })
        };
        let due = self
            .districts_proposed
            .is_none_or(|t| t + self.config.commons.election_timeout_max <= now);
        if due {
            let add = listed
                .iter()
                .copied()
                .find(|d| !self.seated_districts.contains(d) && !pending(*d, true));
            let remove = self
                .seated_districts
                .iter()
                .copied()
                .find(|d| !listed.contains(d) && !pending(*d, false));
            let amendment = if let Some(district) = add {
                let members = self
                    .config
                    .roster
                    .district(district)
                    .map(|r| r.members.clone())
                    .unwrap_or_default();
                Some(Amendment::AddDistrict { district, members })
            } else {
                remove.map(|d| Amendment::RemoveDistricts {
                    districts: [d].into(),
                })
            };
            if let Some(amendment) = amendment {
                self.districts_proposed = Some(now);
                tracing::info!(
                    ?amendment,
                    "the Prime Minister proposes a district amendment"
                );
                if let Err(err) = self.propose_amendment(now, amendment) {
                    tracing::debug!(error = %err, "the district amendment waits");
                }
            }
        }
        let Some(seat) = self.seat.as_mut() else {
            return;
        };
        let wanted: std::collections::BTreeSet<NodeId> = self
            .seated_districts
            .iter()
            .filter(|d| listed.contains(d))
            .map(|d| d.seat())
            .collect();
        let current = seat.replica.membership().clone();
        let change = if let Some(l) = current.learners.iter().find(|l| wanted.contains(l)) {
            MembershipChange::Promote(*l)
        } else if let Some(n) = wanted.iter().find(|s| !current.contains(**s)) {
            MembershipChange::AddLearner(*n)
        } else if let Some(gone) = current.members().into_iter().find(|s| !wanted.contains(s)) {
            MembershipChange::Remove(gone)
        } else {
            return;
        };
        match seat.replica.propose_membership(now, change) {
            Ok((index, _)) => {
                tracing::info!(?change, %index, "the Prime Minister changes the Commons configuration");
            }
            Err(err) => {
                tracing::trace!(?change, error = %err, "Commons configuration change waits")
            }
        }
    }

    /// A message from member `from`.
    ///
    /// # Errors
    /// The engine refused it (wrong group, unknown member, ...); nothing changed.
    pub fn step(&mut self, now: Time, from: NodeId, envelope: Envelope) -> Result<(), Rejected> {
        self.now = self.now.max(now);
        if self.config.roster.district_of(from) == Some(self.district) {
            self.duty.heard(from, self.now);
        }
        let result = match envelope {
            Envelope::District(m) => {
                // The engine answers requests from strangers (Raft §4.1); only members
                // of this district's roster or of a configuration it holds get through.
                if !self.replica.knows(m.from)
                    && self.config.roster.district_of(m.from) != Some(self.district)
                {
                    return Err(Rejected::UnknownMember(m.from));
                }
                if m.body == MessageBody::TimeoutNow {
                    self.district_successor = Some(Term(m.term.0 + 1));
                }
                if m.from == from {
                    self.duty
                        .received(&m, self.replica.log().last_index(), self.now);
                }
                self.replica.step(self.now, m)
            }
            Envelope::Commons {
                incarnation,
                forwarded,
                origin,
                message,
            } => self.receive_commons(from, incarnation, (forwarded, origin), message),
            Envelope::Session(m) => {
                self.receive_session(from, m);
                Ok(())
            }
        };
        self.refresh_seat();
        result
    }

    fn receive_commons(
        &mut self,
        from: NodeId,
        incarnation: Term,
        (forwarded, origin): (bool, Option<NodeId>),
        message: Message,
    ) -> Result<(), Rejected> {
        if message.group != COMMONS {
            return Err(Rejected::WrongGroup(message.group));
        }
        let sender = DistrictId::of_seat(message.from);
        if self.config.roster.district(sender).is_none() {
            return Err(Rejected::UnknownMember(message.from));
        }
        let newest = self.newest_incarnation.entry(sender).or_default();
        if incarnation < *newest {
            tracing::debug!(seat = %message.from, %incarnation, newest = %*newest, "stale seat incarnation ignored");
            return Ok(());
        }
        *newest = incarnation;
        // Who hosts the sending seat: the sender of a direct message, or the member a
        // forwarder had it from (rule 5).
        let host = if forwarded { origin } else { Some(from) };
        if let Some(host) = host.filter(|h| self.config.roster.district_of(*h) == Some(sender)) {
            self.hosts.insert(sender, host);
        }
        if message.to != self.district.seat() {
            return Err(Rejected::Misaddressed(message.to));
        }
        if let Some(seat) = self.seat.as_mut() {
            let st = seat.replica.status();
            if st.role == Role::Leader
                && message.term == st.term
                && let MessageBody::AppendResponse {
                    success: true,
                    index,
                    ..
                } = message.body
            {
                if self.commons_matched.0 != st.term {
                    self.commons_matched = (st.term, BTreeMap::new());
                }
                let seen = self.commons_matched.1.entry(message.from).or_default();
                *seen = (*seen).max(index);
            }
            if message.body == MessageBody::TimeoutNow {
                self.commons_successor = Some(Term(message.term.0 + 1));
            }
            return seat.replica.step(self.now, message);
        }
        // Not hosting: pass it to the representative once.
        let leader = self.replica.status().leader;
        if let Some(rep) = leader.filter(|l| *l != self.config.id && !forwarded) {
            self.out.messages.push((
                rep,
                Envelope::Commons {
                    incarnation,
                    forwarded: true,
                    origin: Some(from),
                    message,
                },
            ));
        }
        Ok(())
    }

    /// Accepts a global or critical write from a client, for a session
    /// (docs/protocol.md#96-sessions). A critical write enters the Commons as a pending
    /// critical decree and takes effect (and is answered) at the Lords' vote that makes
    /// their majority (docs/protocol.md#113-the-house-of-lords). Any member takes it: a representative queues it,
    /// any other member passes it to its representative. Answered by an
    /// [`Event::GlobalApplied`] with the returned ticket and `mine` set, or an
    /// [`Event::GlobalRefused`]; neither comes if the write was lost with a
    /// representative or Prime Minister, so the client times out and retries with the
    /// same request id (the store applies a retried request once).
    ///
    /// # Errors
    /// [`Refused::Invalid`] for a district write or one the store would refuse,
    /// [`Refused::Busy`] when this representative's queue is full,
    /// [`Refused::NotLeader`] (the district) when no representative is known.
    pub fn submit_global(&mut self, now: Time, command: &Command) -> Result<Ticket, Refused> {
        self.now = self.now.max(now);
        if let scope @ Scope::District(_) = command.scope() {
            return Err(Refused::Invalid(format!(
                "submit_global takes global and critical writes, not one of scope {scope}; propose it to the district"
            )));
        }
        self.global_kv
            .config()
            .admit(command)
            .map_err(|e| Refused::Invalid(e.to_string()))?;
        let ticket = self.new_ticket();
        let encoded = command.encode();
        // A critical write waits in the Commons for the Lords (docs/protocol.md §11.3).
        let command = if command.scope() == &Scope::Critical {
            CommonsDecree::Pending {
                decree: CriticalDecree::Write(encoded),
            }
            .encode()
        } else {
            encoded
        };
        let entry = SessionEntry { ticket, command };
        self.route_session_entry(entry)
    }

    /// Queues a session entry here when this member represents its district, else passes
    /// it to the representative (docs/protocol.md#96-sessions).
    fn route_session_entry(&mut self, entry: SessionEntry) -> Result<Ticket, Refused> {
        let ticket = entry.ticket;
        let status = self.replica.status();
        let result = if status.role == Role::Leader {
            self.sessions
                .enqueue(entry)
                .map_err(|(_, queued)| self.busy(self.district, queued))
        } else if let Some(rep) = status.leader {
            self.out.messages.push((
                rep,
                Envelope::Session(SessionMessage::Submit {
                    ticket,
                    command: entry.command,
                }),
            ));
            Ok(())
        } else {
            Err(Refused::NotLeader {
                group: self.district.group(),
                leader: None,
            })
        };
        self.refresh_seat();
        result.map(|()| ticket)
    }

    /// Proposes an amendment (a configuration change) as a critical decree: it goes to
    /// the Commons like a global write and takes effect once a majority of the seated
    /// Lords voted aye; each Lord votes nay if it breaks the constitution
    /// ([`Amendment::breaks_constitution`]). Answered by [`Event::CriticalEnacted`] or
    /// [`Event::CriticalRejected`] at every member; the returned ticket names the
    /// `Pending` entry's session entry.
    ///
    /// # Errors
    /// [`Refused::NotLeader`] (the district) when no representative is known,
    /// [`Refused::Busy`] when this representative's queue is full.
    pub fn propose_amendment(
        &mut self,
        now: Time,
        amendment: Amendment,
    ) -> Result<Ticket, Refused> {
        self.now = self.now.max(now);
        let ticket = self.new_ticket();
        let entry = SessionEntry {
            ticket,
            command: CommonsDecree::Pending {
                decree: CriticalDecree::Amend(amendment),
            }
            .encode(),
        };
        self.route_session_entry(entry)
    }

    fn busy(&self, district: DistrictId, queued: usize) -> Refused {
        Refused::Busy {
            district,
            queued,
            max: self.config.sessions.max_queue,
        }
    }

    fn receive_session(&mut self, from: NodeId, message: SessionMessage) {
        match message {
            SessionMessage::Submit { ticket, command } => {
                let status = self.replica.status();
                if status.role != Role::Leader {
                    let reason = Refused::NotLeader {
                        group: self.district.group(),
                        leader: status.leader,
                    };
                    self.refuse(ticket, reason);
                    return;
                }
                if let Err((e, queued)) = self.sessions.enqueue(SessionEntry { ticket, command }) {
                    let reason = self.busy(self.district, queued);
                    self.refuse(e.ticket, reason);
                }
            }
            SessionMessage::Batch { district, entries } => {
                if self.config.roster.district(district).is_none() {
                    tracing::debug!(%district, "session batch of an unknown district ignored");
                    return;
                }
                let leader = self.replica.status().leader;
                let from_outside = self.config.roster.district_of(from) != Some(self.district);
                if self.is_prime_minister() {
                    for e in self.sessions.accept_batch(district, entries) {
                        let reason = self.busy(district, self.config.sessions.max_queue);
                        self.refuse(e.ticket, reason);
                    }
                } else if let Some(rep) =
                    leader.filter(|l| *l != self.config.id && from_outside && self.seat.is_none())
                {
                    // Sent to a member of the Prime Minister's district that does not host
                    // its seat (the sender knew no host): pass it on once, as Commons
                    // messages are.
                    self.out.messages.push((
                        rep,
                        Envelope::Session(SessionMessage::Batch { district, entries }),
                    ));
                } else {
                    let leader = self.seat_status().and_then(|s| s.leader);
                    for e in entries {
                        let reason = Refused::NotLeader {
                            group: COMMONS,
                            leader,
                        };
                        self.refuse(e.ticket, reason);
                    }
                }
            }
            SessionMessage::Refused { ticket, reason } => {
                if self.is_mine(ticket) {
                    self.out
                        .events
                        .push(Event::GlobalRefused { ticket, reason });
                }
            }
        }
    }

    fn is_mine(&self, ticket: Ticket) -> bool {
        ticket.origin == self.config.id && ticket.epoch == self.epoch
    }

    /// Tells a write's origin it was refused (an event when the origin is this member;
    /// a ticket of a previous incarnation of this member has no client to answer).
    fn refuse(&mut self, ticket: Ticket, reason: Refused) {
        if self.is_mine(ticket) {
            self.out
                .events
                .push(Event::GlobalRefused { ticket, reason });
        } else if ticket.origin != self.config.id {
            self.out.messages.push((
                ticket.origin,
                Envelope::Session(SessionMessage::Refused { ticket, reason }),
            ));
        }
    }

    /// One session interval: the representative passes its queue's head on, and the
    /// Prime Minister proposes one batch taking districts round-robin
    /// (docs/protocol.md#96-sessions).
    fn run_session(&mut self) {
        let status = self.replica.status();
        if status.role != Role::Leader {
            for e in self.sessions.take_queue() {
                let reason = Refused::NotLeader {
                    group: self.district.group(),
                    leader: status.leader,
                };
                self.refuse(e.ticket, reason);
            }
        } else if self.is_prime_minister() {
            let batch = self.sessions.take_batch();
            for e in self.sessions.accept_batch(self.district, batch) {
                let reason = self.busy(self.district, self.config.sessions.max_queue);
                self.refuse(e.ticket, reason);
            }
        } else if let Some(pm) = self.prime_minister_host() {
            let entries = self.sessions.take_batch();
            if !entries.is_empty() {
                self.out.messages.push((
                    pm,
                    Envelope::Session(SessionMessage::Batch {
                        district: self.district,
                        entries,
                    }),
                ));
            }
        }
        if !self.is_prime_minister() {
            for e in self.sessions.take_waiting() {
                let leader = self.seat_status().and_then(|s| s.leader);
                self.refuse(
                    e.ticket,
                    Refused::NotLeader {
                        group: COMMONS,
                        leader,
                    },
                );
            }
            return;
        }
        let districts: Vec<DistrictId> = self.config.roster.districts().map(|(d, _)| d).collect();
        let batch = self.sessions.take_session(&districts);
        if batch.is_empty() {
            return;
        }
        let payloads = batch.iter().map(SessionEntry::encode).collect();
        let proposed = match self.seat.as_mut() {
            Some(seat) => seat.replica.propose(self.now, payloads),
            None => Err(Rejected::LeadershipLost),
        };
        match proposed {
            Ok((first, _)) => {
                tracing::debug!(session = %first, writes = batch.len(), "session held");
                self.sessions.held(first);
            }
            Err(err) => {
                for e in batch {
                    self.refuse(e.ticket, Refused::Engine(err.clone()));
                }
            }
        }
    }

    /// The member hosting the Prime Minister's seat, as this representative's seat knows.
    fn prime_minister_host(&self) -> Option<NodeId> {
        let leader = self.seat_status()?.leader?;
        self.route(DistrictId::of_seat(leader))
    }

    /// Proposes a key-value command. District-scope commands go to the district group
    /// (this member must be its leader); global ones to the Commons (this member must be
    /// the Prime Minister). Critical ones are refused: they take effect only once the
    /// Lords ratify them, so they go through [`Member::submit_global`].
    ///
    /// # Errors
    /// [`Refused`] says where to go instead, or what was wrong with the command.
    pub fn propose(&mut self, now: Time, command: &Command) -> Result<Proposal, Refused> {
        self.now = self.now.max(now);
        let result = self.propose_inner(command);
        self.refresh_seat();
        result
    }

    fn propose_inner(&mut self, command: &Command) -> Result<Proposal, Refused> {
        let bytes = command.encode();
        match command.scope() {
            scope @ Scope::District(_) => {
                self.district_kv.config().admit(command).map_err(|e| {
                    if self.owns(scope) {
                        Refused::Invalid(e.to_string())
                    } else {
                        wrong(scope)
                    }
                })?;
                let payload = DistrictCommand::Kv(bytes).encode();
                let (index, _) = self.replica.propose(self.now, vec![payload])?;
                Ok(Proposal {
                    group: self.district.group(),
                    index,
                    term: self.replica.status().term,
                })
            }
            Scope::Critical => Err(Refused::Invalid(
                "a critical write takes effect only once the Lords ratify it; submit it with submit_global".to_owned(),
            )),
            Scope::Global => {
                self.global_kv
                    .config()
                    .admit(command)
                    .map_err(|e| Refused::Invalid(e.to_string()))?;
                let Some(seat) = self.seat.as_mut() else {
                    return Err(Refused::NotLeader {
                        group: COMMONS,
                        leader: None,
                    });
                };
                let (index, _) =
                    seat.replica
                        .propose(self.now, vec![bytes])
                        .map_err(|e| match e {
                            Rejected::NotLeader { leader, .. } => Refused::NotLeader {
                                group: COMMONS,
                                leader,
                            },
                            other => Refused::Engine(other),
                        })?;
                Ok(Proposal {
                    group: COMMONS,
                    index,
                    term: seat.replica.status().term,
                })
            }
        }
    }

    fn owns(&self, scope: &Scope) -> bool {
        self.district_kv.config().keeps(scope)
    }

    /// Asks to confirm a read of `scope` at `level`; answered by [`Event::ReadReady`] or
    /// [`Event::ReadFailed`], after which [`Member::get`] serves it.
    ///
    /// # Errors
    /// [`Refused`] when this member cannot confirm reads of that scope.
    pub fn read(
        &mut self,
        now: Time,
        id: ReadId,
        scope: &Scope,
        level: ReadLevel,
    ) -> Result<(), Refused> {
        self.now = self.now.max(now);
        let result = match scope {
            Scope::District(_) if !self.owns(scope) => Err(wrong(scope)),
            Scope::District(_) => self
                .replica
                .read(self.now, id, level)
                .map_err(Refused::from),
            Scope::Global | Scope::Critical => match self.seat.as_mut() {
                None => Err(Refused::NotLeader {
                    group: COMMONS,
                    leader: None,
                }),
                Some(seat) => {
                    // Rule 5: a global lease read also needs the district lease; without
                    // it the seat is not hosted at all, so the seat's own check suffices.
                    seat.replica.read(self.now, id, level).map_err(|e| match e {
                        Rejected::NotLeader { leader, .. } => Refused::NotLeader {
                            group: COMMONS,
                            leader,
                        },
                        other => Refused::Engine(other),
                    })
                }
            },
        };
        self.refresh_seat();
        result
    }

    // ----- outputs -------------------------------------------------------------------

    /// Whether [`Member::take_ready`] has anything.
    #[must_use]
    pub fn has_ready(&self) -> bool {
        self.replica.has_ready()
            || self.seat.as_ref().is_some_and(|s| s.replica.has_ready())
            || self.out != MemberReady::default()
    }

    /// Drains everything to do. See [`MemberReady`] for the order.
    pub fn take_ready(&mut self) -> MemberReady {
        loop {
            let mut progressed = false;
            if let Some(ready) = self
                .seat
                .as_mut()
                .filter(|s| s.replica.has_ready())
                .map(|s| s.replica.take_ready())
            {
                self.stage_seat_ready(ready);
                progressed = true;
            }
            if self.replica.has_ready() {
                let ready = self.replica.take_ready();
                self.handle_district_ready(ready);
                progressed = true;
            }
            self.refresh_seat();
            self.release_seat_readies();
            self.release_global_reads();
            if !progressed {
                break;
            }
        }
        self.maybe_snapshot();
        std::mem::take(&mut self.out)
    }

    /// Takes a snapshot of this member's state at its applied index once
    /// `snapshot_every` entries were applied since the last, and compacts the district
    /// log and the seat record through it (docs/protocol.md#12-snapshots-and-compaction-of-a-member).
    fn maybe_snapshot(&mut self) {
        let every = self.config.snapshot_every;
        if every == 0 || self.applied.0 < self.snapshot_at.0.saturating_add(every) {
            return;
        }
        let index = self.applied;
        let Some(term) = self.replica.log().term_at(index) else {
            return;
        };
        // The seat record is compacted through its commit index first: the member image
        // then carries its entries after that index only, and the global image is the
        // data of its Commons snapshot.
        let global = self.global_image();
        let commit = self.seat_record.commit();
        if let Some(commons_term) = self.seat_record.term_at(commit).filter(|_| commit.0 > 0) {
            let meta = SnapshotMeta {
                index: commit,
                term: commons_term,
            };
            self.seat_record.compact(meta, global.clone());
            if let Some(seat) = self.seat.as_mut()
                && let Err(err) = seat.replica.compact(Snapshot { meta, data: global })
            {
                tracing::debug!(error = %err, "the seat's log is not compacted yet");
            }
        }
        let snapshot = Snapshot {
            meta: SnapshotMeta { index, term },
            data: self.member_image(),
        };
        match self.replica.compact(snapshot.clone()) {
            Ok(()) => {
                tracing::debug!(member = %self.config.id, %index, bytes = snapshot.data.len(), "snapshot taken");
                self.snapshot_at = index;
                self.out.taken = Some(snapshot);
            }
            Err(err) => {
                tracing::error!(error = %err, "the district refused this member's snapshot")
            }
        }
    }

    fn handle_district_ready(&mut self, ready: Ready) {
        let group = self.district.group();
        if let Some(snap) = ready.snapshot {
            self.install_district_snapshot(snap);
        }
        if let Some(hs) = ready.hard_state {
            self.out.hard_state = Some(hs);
        }
        if let Some(first) = ready.entries.first() {
            // Merge with entries already staged: the later Ready wins from its first index.
            self.out.entries.retain(|e| e.index < first.index);
            self.out.entries.extend(ready.entries.iter().cloned());
        }
        for change in &ready.roles {
            if change.role == Role::Leader {
                let first = self.config.district.election_timeout_min;
                self.duty.lead(change.term, self.now, first);
            } else {
                self.duty.forget_leadership();
            }
        }
        for m in ready.messages {
            self.duty.sent(&m, self.now);
            self.out.messages.push((m.to, Envelope::District(m)));
        }
        for e in &ready.committed {
            self.apply_district_entry(e);
        }
        for change in ready.roles {
            self.out.events.push(Event::Role { group, change });
        }
        for r in ready.reads {
            self.out.events.push(match r {
                ReadOutcome::Ready { id, .. } => Event::ReadReady { id },
                ReadOutcome::Failed { id, reason } => Event::ReadFailed {
                    id,
                    reason: Refused::Engine(reason),
                },
            });
        }
    }

    /// A snapshot from the district leader: this member's state becomes its image
    /// before anything else of the `Ready` applies, and the shell persists it first.
    fn install_district_snapshot(&mut self, snap: Snapshot) {
        let index = snap.meta.index;
        match self.restore_member(snap.meta, &snap.data) {
            Ok(membership) => {
                // The configuration at the snapshot's index, which the engine cannot know
                // when the install discarded the log that held it.
                if !self.replica.restore_membership(index, membership) {
                    tracing::error!(member = %self.config.id, %index, "the snapshot's configuration was not adopted");
                }
            }
            Err(err) => {
                // The leader's image does not decode here (another build?): the state
                // stays as it was, which is behind the log; the member keeps running and
                // says so.
                tracing::error!(member = %self.config.id, %index, error = %err, "the district leader's snapshot does not decode");
                return;
            }
        }
        tracing::info!(member = %self.config.id, %index, "installed the district leader's snapshot");
        self.release_seat();
        self.snapshot_at = index;
        // Entries staged for persistence that the snapshot covers or the install
        // discarded are not persisted; nor is an older snapshot of this member's own.
        let log = self.replica.log();
        self.out
            .entries
            .retain(|e| e.index > index && log.term_at(e.index) == Some(e.term));
        if self
            .out
            .taken
            .as_ref()
            .is_some_and(|t| t.meta.index <= index)
        {
            self.out.taken = None;
        }
        self.out.snapshot = Some(snap);
    }

    fn apply_district_entry(&mut self, e: &Entry) {
        let group = self.district.group();
        self.applied = e.index;
        let Payload::Command(bytes) = &e.payload else {
            self.skip_district(e.index);
            return;
        };
        // A configuration entry concerns the engine (it took effect when appended).
        if crate::engine::Membership::of_entry(e).is_some() {
            self.skip_district(e.index);
            return;
        }
        match DistrictCommand::decode(bytes) {
            Ok(DistrictCommand::Kv(cmd)) => {
                let token = FencingToken {
                    group,
                    term: e.term,
                };
                match self.district_kv.apply(e.index, Some(token), &cmd) {
                    Ok(response) => {
                        self.out.events.push(Event::Applied {
                            group,
                            index: e.index,
                            term: e.term,
                            response,
                        });
                    }
                    Err(err) => {
                        tracing::error!(index = %e.index, error = %err, "district state refused an index")
                    }
                }
            }
            Ok(DistrictCommand::SeatPersist(p)) => {
                self.skip_district(e.index);
                let applied = self.seat_record.apply(&p);
                if let Some(snap) = applied.restored {
                    // The seat installed the Prime Minister's Commons snapshot.
                    if let Err(err) = self.restore_global(&snap.data) {
                        tracing::error!(index = %snap.meta.index, error = %err, "the Commons snapshot does not decode");
                    }
                }
                for ce in applied.committed {
                    self.apply_global_entry(&ce);
                }
            }
            Ok(DistrictCommand::Reputation(table)) => {
                self.skip_district(e.index);
                self.adopt_table(table);
            }
            Err(err) => {
                tracing::warn!(index = %e.index, error = %err, "committed district entry is not a district command");
                self.skip_district(e.index);
            }
        }
    }

    fn skip_district(&mut self, index: LogIndex) {
        if let Err(err) = self.district_kv.skip(index) {
            tracing::error!(%index, error = %err, "district state refused an index");
        }
    }

    fn apply_global_entry(&mut self, e: &Entry) {
        if let Payload::Command(bytes) = &e.payload {
            if SessionEntry::is_session_entry(bytes) {
                self.apply_session_entry(e, bytes);
                return;
            }
            if CommonsDecree::is_decree(bytes) {
                self.apply_decree(e, bytes, None);
                return;
            }
        }
        match self.global_kv.apply_entry(e, COMMONS) {
            Ok(Some(response)) => {
                self.out.events.push(Event::Applied {
                    group: COMMONS,
                    index: e.index,
                    term: e.term,
                    response,
                });
            }
            Ok(None) => {}
            Err(err) => {
                tracing::error!(index = %e.index, error = %err, "global state refused an index")
            }
        }
    }

    fn apply_session_entry(&mut self, e: &Entry, bytes: &[u8]) {
        let token = FencingToken {
            group: COMMONS,
            term: e.term,
        };
        let (ticket, applied) = match SessionEntry::decode(bytes) {
            Ok(s) if !self.tickets.first_time(s.ticket) => {
                // A duplicate of a write already applied: it takes the index and nothing
                // else, and its origin already had (or will never have) its answer.
                self.skip_global(e.index);
                return;
            }
            Ok(s) if CommonsDecree::is_decree(&s.command) => {
                // A decree a representative submitted through its session queue.
                self.apply_decree(e, &s.command, Some(s.ticket));
                return;
            }
            Ok(s) => (
                Some(s.ticket),
                self.global_kv.apply(e.index, Some(token), &s.command),
            ),
            // Not a session entry after all: the store answers it as malformed.
            Err(_) => (None, self.global_kv.apply(e.index, Some(token), bytes)),
        };
        match (ticket, applied) {
            (Some(ticket), Ok(response)) => self.out.events.push(Event::GlobalApplied {
                ticket,
                mine: self.is_mine(ticket),
                index: e.index,
                term: e.term,
                response,
            }),
            (None, Ok(response)) => self.out.events.push(Event::Applied {
                group: COMMONS,
                index: e.index,
                term: e.term,
                response,
            }),
            (_, Err(err)) => {
                tracing::error!(index = %e.index, error = %err, "global state refused an index")
            }
        }
    }

    /// Applies a Westminster decree from the Commons log: it takes its index in the
    /// global store and changes the parliament's own state, alike on every member.
    fn apply_decree(&mut self, e: &Entry, bytes: &[u8], ticket: Option<Ticket>) {
        let index = e.index;
        let origin = ticket.map(|t| t.origin);
        let decree = match CommonsDecree::decode(bytes) {
            Ok(d) => d,
            Err(err) => {
                tracing::warn!(%index, error = %err, "committed Commons decree is malformed; skipped");
                self.skip_global(index);
                return;
            }
        };
        if let CommonsDecree::LordVote {
            decree,
            lord,
            aye,
            reason,
        } = decree
        {
            // A vote counts only from the Lord itself (the session entry's origin).
            let decided = if origin == Some(lord) {
                self.lords_heard.insert(lord, self.now);
                self.lords.vote(index, decree, lord, aye, reason)
            } else {
                Decided::Open
            };
            self.decide(e, decree, decided);
            return;
        }
        self.skip_global(index);
        match decree {
            CommonsDecree::Standing {
                district,
                score,
                nominee,
            } => {
                // Replicated state only: the roster differs between members while
                // one is being adopted.
                if self.seated_districts.contains(&district) {
                    self.standings.insert(district, score);
                    match nominee {
                        Some(n) => self.nominees.insert(district, n),
                        None => self.nominees.remove(&district),
                    };
                    self.rank_seat();
                }
            }
            CommonsDecree::Lords { lords } => {
                self.lords.seat(&lords);
                for (lord, _) in self.lords.seated() {
                    self.lords_heard.entry(*lord).or_insert(self.now);
                }
                self.lords_proposed = None;
            }
            CommonsDecree::Seated { at, lords, rotated } => {
                match self.lords.seat_terms(at, &lords, rotated) {
                    Ok(()) => {
                        for (lord, _) in self.lords.seated() {
                            self.lords_heard.entry(*lord).or_insert(self.now);
                        }
                        self.lords_clock = Some((at, self.now));
                    }
                    Err(why) => {
                        tracing::debug!(%index, why, "a Seated decree is refused");
                    }
                }
                self.lords_proposed = None;
            }
            CommonsDecree::Pending { decree } => self.lords.propose(index, decree, ticket),
            CommonsDecree::LordPresent { lord } => {
                if origin == Some(lord) {
                    self.lords_heard.insert(lord, self.now);
                }
            }
            CommonsDecree::LordVote { .. } => {}
        }
    }

    /// The outcome of a Lord's vote at `e`: a critical decree that passed takes effect
    /// here (a write applies to the global store at this index), one rejected is
    /// refused to its origin; the index is skipped otherwise.
    fn decide(&mut self, e: &Entry, decree: LogIndex, decided: Decided) {
        let index = e.index;
        match decided {
            Decided::Open => self.skip_global(index),
            Decided::Passed { content, ticket } => {
                match content {
                    CriticalDecree::Write(command) => {
                        let token = FencingToken {
                            group: COMMONS,
                            term: e.term,
                        };
                        match self.global_kv.apply(index, Some(token), &command) {
                            Ok(response) => match ticket {
                                Some(ticket) => self.out.events.push(Event::GlobalApplied {
                                    ticket,
                                    mine: self.is_mine(ticket),
                                    index,
                                    term: e.term,
                                    response,
                                }),
                                None => self.out.events.push(Event::Applied {
                                    group: COMMONS,
                                    index,
                                    term: e.term,
                                    response,
                                }),
                            },
                            Err(err) => {
                                tracing::error!(%index, error = %err, "global state refused an index")
                            }
                        }
                    }
                    CriticalDecree::Amend(amendment) => {
                        self.skip_global(index);
                        match amendment {
                            Amendment::SetTermLimits {
                                representative,
                                prime_minister,
                            } => {
                                self.config.term_limits.representative = representative;
                                self.config.term_limits.prime_minister = prime_minister;
                            }
                            Amendment::AddDistrict { district, .. } => {
                                self.seated_districts.insert(district);
                            }
                            Amendment::RemoveDistricts { districts } => {
                                for d in districts {
                                    self.seated_districts.remove(&d);
                                    // Its standing goes with its seat: no Lord comes from
                                    // a district without one.
                                    self.standings.remove(&d);
                                    self.nominees.remove(&d);
                                }
                            }
                            // The district's members follow the roster (§10.5).
                            Amendment::SetDistrictMembers { .. } => {}
                        }
                    }
                }
                self.out
                    .events
                    .push(Event::CriticalEnacted { decree, index });
            }
            Decided::Rejected { ticket, reasons } => {
                self.skip_global(index);
                if let Some(ticket) = ticket.filter(|t| self.is_mine(*t)) {
                    self.out.events.push(Event::GlobalRefused {
                        ticket,
                        reason: Refused::Invalid(format!(
                            "the Lords rejected the critical decree at Commons index {decree}: {}",
                            reasons.join("; ")
                        )),
                    });
                }
                self.out.events.push(Event::CriticalRejected {
                    decree,
                    index,
                    reasons,
                });
            }
        }
    }

    /// Passes a Westminster decree to the Commons the way a global write goes: queued
    /// here when representative, else sent to the representative. A decree lost on the
    /// way is sent again by whichever duty needs it.
    fn submit_decree(&mut self, decree: &CommonsDecree) {
        let entry = SessionEntry {
            ticket: self.new_ticket(),
            command: decree.encode(),
        };
        let status = self.replica.status();
        if status.role == Role::Leader {
            if self.sessions.enqueue(entry).is_err() {
                tracing::debug!("session queue full; the decree waits for the next round");
            }
        } else if let Some(rep) = status.leader {
            self.out.messages.push((
                rep,
                Envelope::Session(SessionMessage::Submit {
                    ticket: entry.ticket,
                    command: entry.command,
                }),
            ));
        }
    }

    /// A Lord shows it is present every `presence_interval` and votes on every pending
    /// decree whose vote from it is not in the log, at most once per interval each: aye
    /// unless the decree breaks the constitution (docs/protocol.md §11.3).
    fn lord_duties(&mut self) {
        let me = self.config.id;
        if !self.lords.is_lord(me) {
            self.presence_sent = None;
            self.votes_sent.clear();
            return;
        }
        let every = self.config.lords.presence_interval;
        let now = self.now;
        if self.presence_sent.is_none_or(|t| t + every <= now) {
            self.presence_sent = Some(now);
            self.submit_decree(&CommonsDecree::LordPresent { lord: me });
        }
        let open: Vec<(LogIndex, CriticalDecree)> = self
            .lords
            .pending()
            .filter(|(i, _)| !self.lords.has_voted(*i, me))
            .map(|(i, d)| (i, d.clone()))
            .collect();
        self.votes_sent
            .retain(|i, _| open.iter().any(|(o, _)| o == i));
        for (decree, content) in open {
            if self
                .votes_sent
                .get(&decree)
                .is_some_and(|t| *t + every > now)
            {
                continue;
            }
            self.votes_sent.insert(decree, now);
            let nay = match &content {
                CriticalDecree::Write(_) => None,
                CriticalDecree::Amend(a) => {
                    a.breaks_constitution(&self.config, &self.seated_districts)
                }
            };
            tracing::debug!(lord = %me, %decree, aye = nay.is_none(), "the Lord votes");
            self.submit_decree(&CommonsDecree::LordVote {
                decree,
                lord: me,
                aye: nay.is_none(),
                reason: nay.unwrap_or_default(),
            });
        }
    }

    /// The Prime Minister keeps the Lords seated: it proposes a seating decree (an
    /// ordinary one) when a Lord is missing — none chosen yet, one silent for longer than
    /// `lords.timeout`, or one no longer in its district — and a nominee can take the
    /// place, or when a Lord's term has ended on its reading of the log clock
    /// (`lords::plan`; docs/protocol.md §11.3). Every proposal is a `Seated` decree.
    fn review_lords(&mut self) {
        let Some(seat) = self.seat.as_ref() else {
            return;
        };
        let st = seat.replica.status();
        if st.role != Role::Leader {
            return;
        }
        let now = self.now;
        if self
            .lords_proposed
            .is_some_and(|t| t + self.config.commons.election_timeout_max > now)
        {
            return;
        }
        let timeout = self.config.lords.timeout;
        // A new Prime Minister gives every Lord a full timeout from its own start.
        let since = self.commons_limit.since().unwrap_or(now);
        let heard = &self.lords_heard;
        // Silence is judged only of members that have sat: a nominee never seated is
        // vouched for by its district's table.
        let silent = |l: NodeId| {
            heard
                .get(&l)
                .is_some_and(|t| (*t).max(since) + timeout <= now)
        };
        let clock = self.lords_clock().unwrap_or(Duration::ZERO);
        let current = self.lords.seated_terms();
        // Lords come from districts with a seat: applying the decree drops the others.
        let roster = self.config.roster.only(&self.seated_districts);
        let (want, rotated) = plan(
            self.config.lords.count,
            self.config.lords.lord_term,
            clock,
            &current,
            &roster,
            &self.standings,
            &self.nominees,
            silent,
        );
        if rotated.is_none() && want == current {
            return;
        }
        let payload = CommonsDecree::Seated {
            at: clock,
            lords: want.clone(),
            rotated,
        }
        .encode();
        let Some(seat) = self.seat.as_mut() else {
            return;
        };
        match seat.replica.propose(now, vec![payload]) {
            Ok(_) => {
                tracing::info!(lords = ?want, ?rotated, "the Prime Minister proposes the Lords");
                self.lords_proposed = Some(now);
            }
            Err(err) => tracing::debug!(error = %err, "the Commons refused the Lords decree"),
        }
    }

    /// A published table applied from the district log: every member adopts it and
    /// ranks its candidacy from it; the representative whose table it is brings its
    /// district's standing to the Commons when it moved.
    fn adopt_table(&mut self, table: ReputationTable) {
        let me = self.config.id;
        let rank = table.rank_of(me);
        let own = table.publisher() == me;
        let score = standing(&table);
        self.duty.adopt(table, self.now);
        if rank != self.district_rank {
            // Rank changes only when this replica campaigns; votes still follow the
            // log rule (docs/reputation.md#why-reputation-never-weakens-safety).
            self.district_rank = rank;
            self.replica.set_candidacy_rank(rank);
        }
        let nominee = self.duty.table().and_then(|t| {
            let ranking = t.ranking();
            let best = ranking.iter().copied().find(|m| *m != me);
            best.or_else(|| ranking.first().copied())
                .filter(|m| t.score_of(*m).is_some_and(|s| s > Score::ZERO))
        });
        let moved = self
            .standings
            .get(&self.district)
            .is_none_or(|s| s.get().abs_diff(score.get()) > STANDING_SLACK)
            || self.nominees.get(&self.district).copied() != nominee;
        if own && moved && self.replica.status().role == Role::Leader {
            let entry = SessionEntry {
                ticket: self.new_ticket(),
                command: CommonsDecree::Standing {
                    district: self.district,
                    score,
                    nominee,
                }
                .encode(),
            };
            if self.sessions.enqueue(entry).is_err() {
                tracing::debug!(
                    "session queue full; the district's standing waits for the next table"
                );
            }
        }
    }

    /// The district leader publishes the district's table every `publish_interval`,
    /// once it holds its lease and has committed an entry of its term.
    fn maybe_publish(&mut self) {
        if !self.duty.due(self.now) {
            return;
        }
        let s = self.replica.status();
        let established = s.role == Role::Leader
            && s.lease_until.is_some()
            && self.replica.log().term_at(s.commit) == Some(s.term);
        if !established {
            return;
        }
        let members: Vec<NodeId> = self.replica.membership().members().into_iter().collect();
        let table = self.duty.publish(
            members,
            s.last_index,
            self.now,
            self.config.publish_interval,
        );
        let payload = DistrictCommand::Reputation(table).encode();
        if let Err(err) = self.replica.propose(self.now, vec![payload]) {
            tracing::debug!(error = %err, "district refused the reputation table; next interval");
        }
    }

    /// The hosted seat's candidacy rank among seats: districts by standing, highest
    /// first, ties by id; districts without a standing last.
    fn rank_seat(&mut self) {
        let Some(seat) = self.seat.as_mut() else {
            return;
        };
        let rank = seat_rank(&self.config.roster, &self.standings, self.district);
        if rank != seat.rank {
            seat.rank = rank;
            seat.replica.set_candidacy_rank(rank);
        }
    }

    /// This district's place among the roster's districts, for staggering.
    fn district_position(&self) -> (u32, u32) {
        let mut of = 0u32;
        let mut position = 0u32;
        for (d, _) in self.config.roster.districts() {
            if d == self.district {
                position = of;
            }
            of += 1;
        }
        (position, of)
    }

    /// Term limits (docs/protocol.md#112-term-limits): a leader past its deadline hands
    /// over to the best up-to-date candidate; a hand-over not complete within an
    /// election timeout is abandoned and the next candidate tried. A Prime Minister hands
    /// the Commons over before its district, so that the district's hand-over never
    /// leaves the Commons without a leader.
    fn enforce_term_limits(&mut self) {
        let now = self.now;
        let limits = self.config.term_limits;
        let (position, of) = self.district_position();
        let ds = self.replica.status();
        let seat = self.seat.as_ref().map(|s| s.replica.status());
        let seat_term = seat.filter(|s| s.role == Role::Leader).map(|s| s.term);
        let district_term = (ds.role == Role::Leader).then_some(ds.term);
        let successor = district_term.is_some() && district_term == self.district_successor;
        self.district_limit.observe(district_term, now, successor);
        let successor = seat_term.is_some() && seat_term == self.commons_successor;
        self.commons_limit.observe(seat_term, now, successor);
        let past = |limit: Option<Duration>, l: &TermLimit| {
            limit
                .and_then(|limit| l.deadline(limit, stagger(limit, position, of)))
                .is_some_and(|d| now >= d)
        };
        let district_due = past(limits.representative, &self.district_limit);
        // With a single seat there is nobody to hand the Commons to: the district's
        // hand-over moves the seat, and its new host wins the Commons alone.
        let other_seats = self
            .seat
            .as_ref()
            .is_some_and(|s| s.replica.membership().voters.len() > 1);
        if let Some(term) = seat_term.filter(|_| other_seats) {
            let due = district_due || past(limits.prime_minister, &self.commons_limit);
            match self.commons_limit.poll(now, due) {
                Poll::Idle => return,
                Poll::Abandoned(to) => {
                    self.out.events.push(Event::HandOverAbandoned {
                        group: COMMONS,
                        term,
                        to,
                    });
                    return;
                }
                Poll::Due => {
                    // No seat up to date to take the Commons: a due district hand-over
                    // goes ahead rather than wait for one.
                    if self.hand_over_commons(term) || !district_due {
                        return;
                    }
                }
            }
        }
        if ds.role != Role::Leader {
            return;
        }
        let group = self.district.group();
        match self.district_limit.poll(now, district_due) {
            Poll::Idle => {}
            Poll::Abandoned(to) => self.out.events.push(Event::HandOverAbandoned {
                group,
                term: ds.term,
                to,
            }),
            Poll::Due => self.hand_over_district(&ds),
        }
    }

    /// Hands the district to the best-ranked follower whose match equals the last index
    /// (else one holding every committed entry: the engine catches it up before its
    /// `TimeoutNow`, docs/protocol.md §5.8), passing over targets already tried.
    fn hand_over_district(&mut self, ds: &Status) {
        let me = self.config.id;
        // Only a voter can take over: learners never campaign.
        let others: Vec<NodeId> = self
            .replica
            .membership()
            .voters
            .iter()
            .copied()
            .filter(|p| *p != me && !self.district_limit.tried().contains(p))
            .collect();
        let matched = |p: &NodeId| self.duty.matched(*p);
        let exact: Vec<NodeId> = others
            .iter()
            .copied()
            .filter(|p| matched(p) == Some(ds.last_index))
            .collect();
        let candidates = if exact.is_empty() {
            others
                .iter()
                .copied()
                .filter(|p| matched(p).is_some_and(|m| m >= ds.commit))
                .collect()
        } else {
            exact
        };
        let target = match self.duty.table() {
            Some(t) => t.best_handover_target(candidates),
            None => candidates.first().copied(),
        };
        let timeout = self.config.district.election_timeout_max;
        let Some(to) = target else {
            self.district_limit.exhausted(self.now, timeout);
            return;
        };
        match self.replica.transfer_leadership(self.now, to) {
            Ok(()) => {
                tracing::info!(member = %me, district = %self.district, %to, term = %ds.term, "term limit: handing the district over");
                self.district_limit.start(to, self.now, timeout);
                self.out.events.push(Event::HandOver {
                    group: self.district.group(),
                    term: ds.term,
                    to,
                });
            }
            Err(err) => {
                tracing::debug!(error = %err, "term limit: the district refused the hand-over")
            }
        }
    }

    /// Hands the Commons to the best-standing seat whose match equals the seat's last
    /// index (else one holding every committed Commons entry). False when no seat could
    /// be asked.
    fn hand_over_commons(&mut self, term: Term) -> bool {
        let Some(seat) = self.seat.as_mut() else {
            return false;
        };
        let st = seat.replica.status();
        let mine = self.district.seat();
        let empty = BTreeMap::new();
        let matched = if self.commons_matched.0 == st.term {
            &self.commons_matched.1
        } else {
            &empty
        };
        // Only a voting seat can take over.
        let others: Vec<NodeId> = seat
            .replica
            .membership()
            .voters
            .iter()
            .copied()
            .filter(|s| *s != mine && !self.commons_limit.tried().contains(s))
            .collect();
        let exact: Vec<NodeId> = others
            .iter()
            .copied()
            .filter(|s| matched.get(s) == Some(&st.last_index))
            .collect();
        let candidates: Vec<NodeId> = if exact.is_empty() {
            others
                .iter()
                .copied()
                .filter(|s| matched.get(s).is_some_and(|m| *m >= st.commit))
                .collect()
        } else {
            exact
        };
        let standings = &self.standings;
        let target = candidates.into_iter().min_by_key(|s| {
            (
                std::cmp::Reverse(standings.get(&DistrictId::of_seat(*s)).copied()),
                *s,
            )
        });
        let timeout = self.config.commons.election_timeout_max;
        let Some(to) = target else {
            self.commons_limit.exhausted(self.now, timeout);
            return false;
        };
        match seat.replica.transfer_leadership(self.now, to) {
            Ok(()) => {
                tracing::info!(member = %self.config.id, %to, %term, "term limit: handing the Commons over");
                self.commons_limit.start(to, self.now, timeout);
                self.out.events.push(Event::HandOver {
                    group: COMMONS,
                    term,
                    to,
                });
                true
            }
            Err(err) => {
                tracing::debug!(error = %err, "term limit: the seat refused the hand-over");
                false
            }
        }
    }

    fn new_ticket(&mut self) -> Ticket {
        let ticket = Ticket {
            origin: self.config.id,
            epoch: self.epoch,
            seq: self.next_ticket,
        };
        self.next_ticket += 1;
        ticket
    }

    fn skip_global(&mut self, index: LogIndex) {
        if let Err(err) = self.global_kv.skip(index) {
            tracing::error!(%index, error = %err, "global state refused an index");
        }
    }

    /// Queues a seat `Ready` behind its persistence in the district (rule 1).
    fn stage_seat_ready(&mut self, ready: Ready) {
        let Some(seat) = self.seat.as_mut() else {
            return;
        };
        let commit = ready
            .committed
            .last()
            .map_or(seat.commit_sent, |e| e.index)
            .max(
                ready
                    .snapshot
                    .as_ref()
                    .map_or(LogIndex(0), |s| s.meta.index),
            );
        let needs_persist = ready.snapshot.is_some()
            || ready.hard_state.is_some()
            || !ready.entries.is_empty()
            || commit > seat.commit_sent;
        if !needs_persist {
            seat.pending.push_back(PendingSeatReady {
                persist_at: None,
                ready,
            });
            return;
        }
        let persist = SeatPersist {
            incarnation: seat.incarnation,
            hard_state: ready.hard_state,
            entries: ready.entries.clone(),
            commit,
            snapshot: ready.snapshot.clone(),
        };
        let payload = DistrictCommand::SeatPersist(persist).encode();
        match self.replica.propose(self.now, vec![payload]) {
            Ok((index, _)) => {
                seat.commit_sent = commit;
                let term = self.replica.status().term;
                seat.pending.push_back(PendingSeatReady {
                    persist_at: Some((index, term)),
                    ready,
                });
                self.last_seat_persist = Some((index, term));
            }
            Err(err) => {
                // The district will not take it: stop hosting. Nothing of this Ready was
                // visible, so dropping it is a crash of the seat before its fsync.
                tracing::info!(error = %err, "district refused the seat's persist; releasing the seat");
                self.release_seat();
            }
        }
    }

    /// Sends, applies and answers seat `Ready`s whose persistence has committed, in order.
    fn release_seat_readies(&mut self) {
        loop {
            let Some(seat) = self.seat.as_mut() else {
                return;
            };
            let Some(front) = seat.pending.front() else {
                return;
            };
            if let Some((index, term)) = front.persist_at {
                if index > self.applied {
                    return;
                }
                if self.replica.log().term_at(index) != Some(term) {
                    // Our persist was overwritten by another district leader: we lost the
                    // district, so the seat is not ours to act for.
                    self.release_seat();
                    return;
                }
            }
            let Some(PendingSeatReady { ready, .. }) = seat.pending.pop_front() else {
                return;
            };
            let incarnation = seat.incarnation;
            for m in ready.messages {
                let to = self.route_seat(DistrictId::of_seat(m.to));
                for to in to {
                    self.out.messages.push((
                        to,
                        Envelope::Commons {
                            incarnation,
                            forwarded: false,
                            origin: None,
                            message: m.clone(),
                        },
                    ));
                }
            }
            for change in ready.roles {
                self.out.events.push(Event::Role {
                    group: COMMONS,
                    change,
                });
            }
            for r in ready.reads {
                match r {
                    ReadOutcome::Ready { id, index, .. } => self.global_reads.push((id, index)),
                    ReadOutcome::Failed { id, reason } => {
                        self.out.events.push(Event::ReadFailed {
                            id,
                            reason: Refused::Engine(reason),
                        });
                    }
                }
            }
            // Committed Commons entries were applied when the persist carrying their
            // commit index was applied to the seat record.
        }
    }

    fn release_global_reads(&mut self) {
        let applied = self.seat_record.commit();
        let (ready, waiting): (Vec<_>, Vec<_>) = self
            .global_reads
            .drain(..)
            .partition(|(_, i)| *i <= applied);
        self.global_reads = waiting;
        for (id, _) in ready {
            self.out.events.push(Event::ReadReady { id });
        }
    }

    /// The member to send a message for `district`'s seat to: the last host seen, else
    /// the district's bootstrap representative, else its first member (who forwards).
    fn route(&self, district: DistrictId) -> Option<NodeId> {
        if let Some(host) = self.known_host(district) {
            return Some(host);
        }
        let d = self.config.roster.district(district)?;
        d.bootstrap_representative
            .or_else(|| d.members.iter().next().copied())
    }

    /// Where this member sends `district`'s seat messages now, for tests.
    #[cfg(test)]
    pub(crate) fn known_host_of(&self, district: DistrictId) -> Option<NodeId> {
        self.known_host(district)
    }

    /// The last host seen of `district`'s seat, while the roster still places it in that
    /// district. A host that left the roster is gone for good: it forwards nothing, and
    /// the seat's new host may be heard only through forwards, which do not teach who
    /// hosts (rule 5), so routing to it would cut the seat off for good (the simulator's
    /// `membership` fault found a two-seat Commons that could never elect so).
    fn known_host(&self, district: DistrictId) -> Option<NodeId> {
        self.hosts
            .get(&district)
            .copied()
            .filter(|h| self.config.roster.district_of(*h) == Some(district))
    }

    /// The members to send a seat message for `district` to: the last host seen; while
    /// none is known, [`SEAT_PROBES`] members of the district, its bootstrap representative
    /// first, moving on to the next ones once per Commons minimum election timeout
    /// (docs/protocol.md §9.2 rule 5). Each probe that does not host the seat forwards the
    /// message once to its district leader, naming this member as the origin, so the host
    /// learns where to answer from the first forward and this member learns the host from
    /// the answer. The probes move on so that no member relays for good (cutting a fixed
    /// relay off would cut the seat off from the Commons), and only once per timeout so
    /// that, while a district has no leader yet, a seat contacts three of its members per
    /// timeout rather than three per message: with N members in √N districts, a Commons
    /// founded while districts still elect would otherwise contact about N members per
    /// seat (as sending to every member did).
    fn route_seat(&mut self, district: DistrictId) -> Vec<NodeId> {
        if let Some(host) = self.known_host(district) {
            self.probes.remove(&district);
            return vec![host];
        }
        let Some(d) = self.config.roster.district(district) else {
            return Vec::new();
        };
        let order: Vec<NodeId> = d
            .bootstrap_representative
            .filter(|b| d.members.contains(b))
            .into_iter()
            .chain(
                d.members
                    .iter()
                    .copied()
                    .filter(|m| Some(*m) != d.bootstrap_representative),
            )
            .collect();
        if order.is_empty() {
            return Vec::new();
        }
        let (now, dwell) = (self.now, self.config.commons.election_timeout_min);
        let (start, since) = self.probes.entry(district).or_insert((0, now));
        if now >= *since + dwell {
            *start += SEAT_PROBES;
            *since = now;
        }
        *start %= order.len();
        order
            .iter()
            .cycle()
            .skip(*start)
            .take(SEAT_PROBES.min(order.len()))
            .copied()
            .collect()
    }

    /// Starts or stops hosting the seat (rules 2 and 3).
    fn refresh_seat(&mut self) {
        let s = self.replica.status();
        let term = s.term;
        // Rule 2: host only while leading the district and holding its lease.
        let may_host = s.role == Role::Leader && s.lease_until.is_some();
        match self.seat.as_ref() {
            Some(seat) if !may_host || seat.incarnation != term => self.release_seat(),
            // Resume only once an entry of this term has committed and everything up to
            // it is applied: every persist of an older incarnation is then in the record
            // (docs/westminster.md §2). A seat released within this term (its lease
            // lapsed, the district refused a persist) may have left persists of its own
            // uncommitted, which no new-term commit covers: wait until they are applied
            // too, or the new incarnation could vote again in a Commons term the old one
            // voted in.
            None if may_host
                && self.replica.log().term_at(s.commit) == Some(term)
                && self.applied == s.commit
                && self
                    .last_seat_persist
                    .is_none_or(|(i, t)| t != term || self.applied >= i) =>
            {
                self.resume_seat(term);
            }
            _ => {}
        }
    }

    fn release_seat(&mut self) {
        if let Some(seat) = self.seat.take() {
            tracing::info!(member = %self.config.id, district = %self.district, incarnation = %seat.incarnation, "no longer hosting the seat");
            let failed: Vec<ReadId> = self.global_reads.drain(..).map(|(id, _)| id).collect();
            for id in failed {
                self.out.events.push(Event::ReadFailed {
                    id,
                    reason: Refused::Engine(Rejected::LeadershipLost),
                });
            }
            self.out.events.push(Event::Role {
                group: COMMONS,
                change: RoleChange {
                    role: Role::Follower,
                    term: seat.replica.status().term,
                    leader: None,
                    token: None,
                },
            });
        }
    }

    fn resume_seat(&mut self, incarnation: Term) {
        // The Commons' first configuration: the founding districts' seats vote, every
        // other seat the roster lists is a learner until the Prime Minister promotes it.
        let founding = self.config.roster.founding_districts();
        let mut c = Config::new(
            self.district.seat(),
            COMMONS,
            founding.iter().map(|d| d.seat()),
        );
        c.learners = self
            .config
            .roster
            .districts()
            .map(|(d, _)| d)
            .filter(|d| !founding.contains(d))
            .map(DistrictId::seat)
            .collect();
        self.config.commons.apply_to(&mut c);
        c.seed = self.config.seed ^ incarnation.0.rotate_left(32) ^ 0x5EA7;
        let record = self.seat_record.persisted();
        let fresh = record.hard_state.term == Term(0);
        match Replica::new(c, record, self.now) {
            Ok(mut replica) => {
                tracing::info!(member = %self.config.id, district = %self.district, %incarnation, "hosting the seat");
                if fresh && self.config.roster.bootstrap_prime_minister() == Some(self.district) {
                    replica.campaign(self.now);
                }
                self.newest_incarnation.insert(self.district, incarnation);
                self.seat = Some(SeatHost {
                    incarnation,
                    replica,
                    pending: VecDeque::new(),
                    commit_sent: self.seat_record.commit(),
                    rank: None,
                });
                self.rank_seat();
            }
            Err(err) => {
                tracing::error!(error = %err, "cannot resume the seat from the district's record")
            }
        }
    }
}

/// `district`'s candidacy rank among the roster's seats by `standings`: highest first,
/// ties by district id, districts without a standing after all that have one. `None`
/// before any standing is known (every seat then draws from the whole window).
fn seat_rank(
    roster: &crate::westminster::Roster,
    standings: &BTreeMap<DistrictId, Score>,
    district: DistrictId,
) -> Option<(u32, u32)> {
    if standings.is_empty() {
        return None;
    }
    let key = |d: DistrictId| (std::cmp::Reverse(standings.get(&d).copied()), d);
    let mine = key(district);
    let mut of = 0u32;
    let mut ahead = 0u32;
    for (d, _) in roster.districts() {
        of += 1;
        if key(d) < mine {
            ahead += 1;
        }
    }
    (ahead < of).then_some((ahead, of))
}

fn wrong(scope: &Scope) -> Refused {
    Refused::WrongDistrict {
        scope: scope.to_string(),
    }
}
