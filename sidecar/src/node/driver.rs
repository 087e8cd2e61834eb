//! The engine task: the one task that owns the member's core and ledger. It runs a
//! `select!` over the timer, inbound peer messages, client requests and shutdown, and
//! after every input drains the core in the `MemberReady` order — persist (fsync), then
//! send, then act on events (answer clients). Handlers elsewhere only forward requests
//! with a oneshot for the answer; no lock is held across an await.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use parliament_crds::Roster as PublishedRoster;
use parliament_engine::engine::{ReadId, ReadLevel as EngineReadLevel, Rejected, Role};
use parliament_engine::state::{Key, Response, Scope};
use parliament_engine::westminster::{
    COMMONS, DistrictId, Event, Member, MemberReady, Refused, Ticket,
};
use parliament_engine::{GroupId, LogIndex, NodeId, Term};
use parliament_net::{Inbound, Transport};
use parliament_store::Ledger;
use tokio::sync::{mpsc, oneshot, watch};
use tokio::time::{Instant, MissedTickBehavior};

use crate::directory::Directory;
use crate::error::{Error, Result};
use crate::metrics::Metrics;
use crate::node::request::Request;
use crate::node::{ClientError, Clock, LeaderHint, ReadAnswer, ReadLevel, RolesView, SeatView};

/// A write waiting for its entry to apply.
#[derive(Debug)]
struct PendingWrite {
    /// The term the proposal was made in (district proposals only).
    term: Term,
    scope: &'static str,
    started: Instant,
    deadline: Instant,
    reply: oneshot::Sender<Result<Response, ClientError>>,
}

/// A read waiting for confirmation or for the store to catch up.
#[derive(Debug)]
struct PendingRead {
    scope: Scope,
    key: Key,
    /// For at-least-revision reads: the revision to wait for.
    min_revision: Option<u64>,
    deadline: Instant,
    reply: oneshot::Sender<Result<ReadAnswer, ClientError>>,
}

/// The engine task's state.
pub(crate) struct Driver {
    pub(crate) member: Member,
    pub(crate) ledger: Ledger,
    pub(crate) transport: Transport,
    pub(crate) directory: Arc<Directory>,
    /// Where a newly adopted directory goes for the client API and the publisher.
    pub(crate) directories: watch::Sender<Arc<Directory>>,
    pub(crate) clock: Clock,
    pub(crate) tick: Duration,
    pub(crate) request_timeout: Duration,
    pub(crate) requests: mpsc::Receiver<Request>,
    pub(crate) inbound: mpsc::Receiver<Inbound>,
    pub(crate) roles: watch::Sender<RolesView>,
    pub(crate) metrics: Arc<Metrics>,
    pub(crate) shutdown: watch::Receiver<bool>,
    proposals: BTreeMap<(GroupId, LogIndex), PendingWrite>,
    tickets: BTreeMap<Ticket, PendingWrite>,
    reads: BTreeMap<ReadId, PendingRead>,
    /// At-least-revision reads waiting for the store.
    catching_up: Vec<PendingRead>,
    next_read: u64,
    leader_seen_unix_ms: u64,
    next_rtt_export: Instant,
    next_expiry: Instant,
}

impl std::fmt::Debug for Driver {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Driver")
            .field("member", &self.member.id())
            .finish_non_exhaustive()
    }
}

impl Driver {
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn new(
        member: Member,
        ledger: Ledger,
        transport: Transport,
        directories: watch::Sender<Arc<Directory>>,
        clock: Clock,
        timing: (Duration, Duration),
        channels: (
            mpsc::Receiver<Request>,
            mpsc::Receiver<Inbound>,
            watch::Sender<RolesView>,
            watch::Receiver<bool>,
        ),
        metrics: Arc<Metrics>,
    ) -> Driver {
        let (requests, inbound, roles, shutdown) = channels;
        let directory = directories.borrow().clone();
        metrics.set_roster_revision(directory.revision());
        Driver {
            member,
            ledger,
            transport,
            directory,
            directories,
            clock,
            tick: timing.0,
            request_timeout: timing.1,
            requests,
            inbound,
            roles,
            metrics,
            shutdown,
            proposals: BTreeMap::new(),
            tickets: BTreeMap::new(),
            reads: BTreeMap::new(),
            catching_up: Vec::new(),
            next_read: 0,
            leader_seen_unix_ms: 0,
            next_rtt_export: Instant::now(),
            next_expiry: Instant::now(),
        }
    }

    /// Publishes the round-trip times the core's reputation observer measured.
    fn export_rtts(&self) {
        for (peer, observation) in self.member.observer().peers() {
            if let Some(rtt) = observation.rtt {
                let name = self
                    .directory
                    .member(peer)
                    .map_or_else(|| peer.to_string(), |e| e.name.clone());
                self.metrics.set_peer_rtt(&name, rtt.as_secs_f64());
            }
        }
    }

    /// Runs until shutdown, or until the ledger fails (the member must then stop rather
    /// than acknowledge anything it could not make durable).
    ///
    /// # Errors
    /// The ledger failed.
    pub(crate) async fn run(mut self) -> Result<()> {
        let mut ticker = tokio::time::interval(self.tick);
        ticker.set_missed_tick_behavior(MissedTickBehavior::Delay);
        loop {
            tokio::select! {
                _ = ticker.tick() => {
                    let now = self.clock.now();
                    self.member.tick(now);
                    // Deadlines are seconds long: checking them every 50 ms is plenty.
                    if Instant::now() >= self.next_expiry {
                        self.next_expiry = Instant::now() + Duration::from_millis(50);
                        self.expire(Instant::now());
                    }
                    if Instant::now() >= self.next_rtt_export {
                        self.next_rtt_export = Instant::now() + Duration::from_secs(5);
                        self.export_rtts();
                    }
                }
                Some(inbound) = self.inbound.recv() => {
                    let now = self.clock.now();
                    // A refused message changed nothing (stale, misaddressed, unknown
                    // group): dropping it is what the protocol expects.
                    if let Err(e) = self.member.step(now, inbound.peer, inbound.envelope) {
                        tracing::debug!(peer = %inbound.peer, error = %e, "message refused");
                    }
                    // Take what else has arrived before draining: one fsync for the lot.
                    let mut more = 0;
                    while more < 256 {
                        let Ok(inbound) = self.inbound.try_recv() else { break };
                        if let Err(e) = self.member.step(now, inbound.peer, inbound.envelope) {
                            tracing::debug!(peer = %inbound.peer, error = %e, "message refused");
                        }
                        more += 1;
                    }
                }
                Some(request) = self.requests.recv() => {
                    self.handle(request);
                    let mut more = 0;
                    while more < 256 {
                        let Ok(request) = self.requests.try_recv() else { break };
                        self.handle(request);
                        more += 1;
                    }
                }
                _ = self.shutdown.changed() => break,
            }
            self.drain()?;
        }
        tracing::info!(member = %self.member.id(), "engine task stopping");
        self.fail_all(&ClientError::Unavailable(
            "the member is shutting down; retry at another member".to_owned(),
        ));
        self.transport.shutdown().await;
        Ok(())
    }

    // ----- requests ------------------------------------------------------------------

    fn handle(&mut self, request: Request) {
        let now = self.clock.now();
        match request {
            Request::SetRoster { roster, reply } => {
                let adopted = self.set_roster(&roster);
                if let Err(e) = &adopted {
                    tracing::error!(revision = roster.revision, error = %e, "roster not adopted");
                    self.metrics.roster_refused();
                }
                let _ = reply.send(adopted);
            }
            Request::Write {
                command,
                deadline,
                reply,
            } => {
                let scope = scope_label(command.scope());
                let started = Instant::now();
                match command.scope() {
                    Scope::District(_) => match self.member.propose(now, &command) {
                        Ok(p) => {
                            self.proposals.insert(
                                (p.group, p.index),
                                PendingWrite {
                                    term: p.term,
                                    scope,
                                    started,
                                    deadline,
                                    reply,
                                },
                            );
                        }
                        Err(refused) => {
                            let _ = reply.send(Err(self.refused(&refused)));
                        }
                    },
                    Scope::Global | Scope::Critical => {
                        match self.member.submit_global(now, &command) {
                            Ok(ticket) => {
                                self.tickets.insert(
                                    ticket,
                                    PendingWrite {
                                        term: Term(0),
                                        scope,
                                        started,
                                        deadline,
                                        reply,
                                    },
                                );
                            }
                            Err(refused) => {
                                let _ = reply.send(Err(self.refused(&refused)));
                            }
                        }
                    }
                }
            }
            Request::Read {
                scope,
                key,
                level,
                deadline,
                reply,
            } => {
                let engine_level = match level {
                    ReadLevel::Stale => {
                        let answer = self.serve(&scope, &key);
                        let _ = reply.send(answer);
                        return;
                    }
                    ReadLevel::AtLeast(min) => {
                        let read = PendingRead {
                            scope,
                            key,
                            min_revision: Some(min.0),
                            deadline,
                            reply,
                        };
                        self.try_catch_up(read);
                        return;
                    }
                    ReadLevel::Strict => EngineReadLevel::Strict,
                    ReadLevel::Linearizable => EngineReadLevel::Linearizable,
                    ReadLevel::Lease => EngineReadLevel::Lease,
                };
                self.next_read += 1;
                let id = ReadId(self.next_read);
                match self.member.read(now, id, &scope, engine_level) {
                    Ok(()) => {
                        self.reads.insert(
                            id,
                            PendingRead {
                                scope,
                                key,
                                min_revision: None,
                                deadline,
                                reply,
                            },
                        );
                    }
                    Err(refused) => {
                        let _ = reply.send(Err(self.refused(&refused)));
                    }
                }
            }
        }
    }

    /// Adopts a newer roster: a new directory, the transport's address book, the core's
    /// roster. Checked whole before anything changes, so a refused roster changes
    /// nothing.
    fn set_roster(&mut self, published: &PublishedRoster) -> Result<bool> {
        let current = self.directory.revision();
        if published.revision <= current {
            return Ok(false);
        }
        let directory = Directory::new(self.directory.cluster(), published)?;
        self.member
            .set_roster(directory.roster().clone())
            .map_err(|e| {
                Error::Roster(format!(
                    "the member refused roster revision {} (running revision {current}): {e}",
                    published.revision
                ))
            })?;
        let (added, removed) = self.transport.set_roster(directory.transport_roster());
        tracing::info!(
            revision = published.revision,
            ?added,
            ?removed,
            "adopted a new roster; the representative changes the district configuration towards it"
        );
        self.directory = Arc::new(directory);
        self.directories.send_replace(Arc::clone(&self.directory));
        self.metrics.set_roster_revision(published.revision);
        Ok(true)
    }

    fn serve(&self, scope: &Scope, key: &Key) -> Result<ReadAnswer, ClientError> {
        match self.member.get(scope, key) {
            Ok(read) => Ok(ReadAnswer {
                read,
                served_by: self.member.id(),
            }),
            Err(rejected) => Err(ClientError::BadRequest {
                field: "scope".to_owned(),
                reason: rejected.to_string(),
            }),
        }
    }

    /// Serves an at-least-revision read if the store has caught up, else parks it.
    fn try_catch_up(&mut self, read: PendingRead) {
        let min = read.min_revision.unwrap_or(0);
        match self.member.get(&read.scope, &read.key) {
            Ok(r) if r.revision.0 >= min => {
                let _ = read.reply.send(Ok(ReadAnswer {
                    read: r,
                    served_by: self.member.id(),
                }));
            }
            Ok(_) => self.catching_up.push(read),
            Err(rejected) => {
                let _ = read.reply.send(Err(ClientError::BadRequest {
                    field: "scope".to_owned(),
                    reason: rejected.to_string(),
                }));
            }
        }
    }

    // ----- the Ready contract --------------------------------------------------------

    /// Drains the core: persist, then send, then events.
    fn drain(&mut self) -> Result<()> {
        let mut rounds = 0;
        while self.member.has_ready() {
            rounds += 1;
            let ready = self.member.take_ready();
            self.persist_send(&ready)?;
            for event in ready.events {
                self.on_event(event);
            }
            if rounds > 1_000 {
                tracing::error!("the core still has work after 1,000 drains; yielding");
                break;
            }
        }
        if !self.catching_up.is_empty() {
            let waiting = std::mem::take(&mut self.catching_up);
            for read in waiting {
                self.try_catch_up(read);
            }
        }
        self.publish_roles();
        Ok(())
    }

    fn persist_send(&mut self, ready: &MemberReady) -> Result<()> {
        let ledger = &mut self.ledger;
        if let Some(snap) = &ready.snapshot {
            // The district leader's snapshot first: the ledger keeps its log after the
            // snapshot only if it holds the snapshot's last entry (Raft §7).
            tokio::task::block_in_place(|| ledger.install_snapshot(snap.meta, &snap.data))?;
        }
        if ready.hard_state.is_some() || !ready.entries.is_empty() {
            let started = std::time::Instant::now();
            // fsync blocks: tell the runtime, so other tasks move to another worker.
            tokio::task::block_in_place(|| ledger.persist(ready.hard_state, &ready.entries))?;
            self.metrics
                .observe_persist(started.elapsed().as_secs_f64());
        }
        if let Some(taken) = &ready.taken {
            // This member's own snapshot, after the entries it covers are durable; then
            // the log segments it covers are freed.
            tokio::task::block_in_place(|| {
                ledger.install_snapshot(taken.meta, &taken.data)?;
                ledger.compact(taken.meta.index)
            })?;
        }
        for (to, envelope) in &ready.messages {
            if let Err(e) = self.transport.send(*to, envelope) {
                tracing::debug!(peer = %to, error = %e, "message not sent");
            }
        }
        Ok(())
    }

    fn on_event(&mut self, event: Event) {
        match event {
            Event::Role { group, change } => {
                tracing::info!(member = %self.member.id(), %group, role = change.role.name(), term = %change.term, leader = ?change.leader, "role changed");
                if change.role == Role::Leader {
                    self.metrics.election(if group == COMMONS {
                        "commons"
                    } else {
                        "district"
                    });
                }
            }
            Event::Applied {
                group,
                index,
                term,
                response,
            } => {
                if let Some(p) = self.proposals.remove(&(group, index)) {
                    if p.term == term {
                        self.metrics
                            .observe_commit(p.scope, p.started.elapsed().as_secs_f64());
                        let _ = p.reply.send(Ok(response));
                    } else {
                        // Another leader's entry took the index: ours was never committed.
                        let _ = p.reply.send(Err(self.not_leader_district()));
                    }
                }
            }
            Event::GlobalApplied {
                ticket,
                mine,
                response,
                ..
            } => {
                if mine && let Some(p) = self.tickets.remove(&ticket) {
                    self.metrics
                        .observe_commit(p.scope, p.started.elapsed().as_secs_f64());
                    let _ = p.reply.send(Ok(response));
                }
            }
            Event::GlobalRefused { ticket, reason } => {
                if let Some(p) = self.tickets.remove(&ticket) {
                    let _ = p.reply.send(Err(self.refused(&reason)));
                }
            }
            Event::ReadReady { id } => {
                if let Some(r) = self.reads.remove(&id) {
                    let answer = self.serve(&r.scope, &r.key);
                    let _ = r.reply.send(answer);
                }
            }
            Event::ReadFailed { id, reason } => {
                if let Some(r) = self.reads.remove(&id) {
                    let _ = r.reply.send(Err(self.refused(&reason)));
                }
            }
            Event::HandOver { group, term, to } => {
                tracing::info!(%group, %term, %to, "term limit reached: handing over");
                self.metrics.hand_over(if group == COMMONS {
                    "commons"
                } else {
                    "district"
                });
            }
            other => tracing::debug!(event = ?other, "event"),
        }
    }

    /// Answers requests whose deadline passed: their outcome is unknown.
    fn expire(&mut self, now: Instant) {
        let timeout = ClientError::Timeout(
            u64::try_from(self.request_timeout.as_millis()).unwrap_or(u64::MAX),
        );
        for p in take_expired(&mut self.proposals, |p| p.deadline <= now) {
            let _ = p.reply.send(Err(timeout.clone()));
        }
        for p in take_expired(&mut self.tickets, |p| p.deadline <= now) {
            let _ = p.reply.send(Err(timeout.clone()));
        }
        for r in take_expired(&mut self.reads, |r| r.deadline <= now) {
            let _ = r.reply.send(Err(timeout.clone()));
        }
        let (gone, waiting): (Vec<_>, Vec<_>) = std::mem::take(&mut self.catching_up)
            .into_iter()
            .partition(|r| r.deadline <= now);
        self.catching_up = waiting;
        for r in gone {
            let _ = r.reply.send(Err(timeout.clone()));
        }
    }

    fn fail_all(&mut self, error: &ClientError) {
        for (_, p) in std::mem::take(&mut self.proposals) {
            let _ = p.reply.send(Err(error.clone()));
        }
        for (_, p) in std::mem::take(&mut self.tickets) {
            let _ = p.reply.send(Err(error.clone()));
        }
        for (_, r) in std::mem::take(&mut self.reads) {
            let _ = r.reply.send(Err(error.clone()));
        }
        for r in std::mem::take(&mut self.catching_up) {
            let _ = r.reply.send(Err(error.clone()));
        }
    }

    // ----- answers -------------------------------------------------------------------

    fn hint(&self, id: NodeId) -> LeaderHint {
        let entry = self.directory.member(id);
        LeaderHint {
            id,
            name: entry.map_or_else(|| id.to_string(), |e| e.name.clone()),
            address: entry.and_then(|e| e.api_address.clone()),
        }
    }

    fn not_leader_district(&self) -> ClientError {
        let s = self.member.district_status();
        match s.leader {
            Some(l) => ClientError::NotLeader {
                group: "district",
                leader: Some(self.hint(l)),
                term: s.term.0,
            },
            None => ClientError::NoQuorum {
                group: "district",
                since_unix_ms: self.leader_seen_unix_ms,
            },
        }
    }

    /// Where to send a request for the Commons: the host of the leading seat when the
    /// seat knows it is in this district, else this district's representative (who
    /// hosts the seat and knows more), else any member of the leading seat's district.
    fn commons_hint(&self, leader_seat: Option<NodeId>) -> Option<LeaderHint> {
        let district = self.member.district_status();
        let mine = self.member.district();
        let to = match leader_seat.map(DistrictId::of_seat) {
            Some(d) if d == mine => district.leader,
            Some(d) if self.member.seat_status().is_some() => self
                .member
                .seat_host(d)
                .or_else(|| self.directory.district_members(d).next().map(|e| e.id)),
            _ => district.leader,
        };
        to.filter(|id| *id != self.member.id())
            .map(|id| self.hint(id))
    }

    /// Turns a refusal of the core into what the client should do.
    fn refused(&self, refused: &Refused) -> ClientError {
        match refused {
            Refused::WrongDistrict { scope } => ClientError::BadRequest {
                field: "scope".to_owned(),
                reason: format!("{scope} belongs to another district; ask a member of it"),
            },
            Refused::NotLeader { group, leader } if *group == COMMONS => {
                let term = self.member.seat_status().map_or(0, |s| s.term.0);
                match self.commons_hint(*leader) {
                    Some(hint) => ClientError::NotLeader {
                        group: "commons",
                        leader: Some(hint),
                        term,
                    },
                    None => ClientError::NoQuorum {
                        group: "commons",
                        since_unix_ms: self.leader_seen_unix_ms,
                    },
                }
            }
            Refused::NotLeader { .. } => self.not_leader_district(),
            Refused::Engine(Rejected::NotLeader { .. }) => self.not_leader_district(),
            Refused::Engine(
                e @ (Rejected::TransferInProgress { .. }
                | Rejected::TooManyUncommitted { .. }
                | Rejected::LeaderNotReady),
            ) => ClientError::Busy(e.to_string()),
            Refused::Engine(Rejected::LeadershipLost) => self.not_leader_district(),
            Refused::Engine(e) => ClientError::Unavailable(e.to_string()),
            Refused::Invalid(reason) => ClientError::BadRequest {
                field: "command".to_owned(),
                reason: reason.clone(),
            },
            busy @ Refused::Busy { .. } => ClientError::Busy(busy.to_string()),
            #[allow(unreachable_patterns)]
            other => ClientError::Unavailable(other.to_string()),
        }
    }

    // ----- roles ---------------------------------------------------------------------

    fn publish_roles(&mut self) {
        let s = self.member.district_status();
        if s.leader.is_some() {
            self.leader_seen_unix_ms = self.clock.now().0;
        }
        let session = self.member.session_status();
        let membership = self.member.district_membership();
        let seat = self.member.seat_status().map(|seat| SeatView {
            role: seat.role,
            term: seat.term,
            leader: seat.leader.map(DistrictId::of_seat),
            token: seat.token,
            commit: seat.commit,
        });
        let view = RolesView {
            member: self.member.id(),
            district: self.member.district(),
            district_role: s.role,
            district_term: s.term,
            representative: s.leader,
            district_token: s.token,
            district_commit: s.commit,
            seat,
            global_commit: self.member.seat_record().commit(),
            session: session.session,
            queued: session.queued,
            waiting: session.waiting,
            sessions_held: session.held,
            last_session_size: session.last_sizes.iter().map(|(_, n)| n).sum(),
            global_revision: self.member.applied_revision(&Scope::Global).0,
            leader_seen_unix_ms: self.leader_seen_unix_ms,
            lords: self
                .member
                .lords()
                .seated()
                .iter()
                .map(|(id, _)| *id)
                .collect(),
            reputation: self
                .member
                .reputation()
                .map(|t| t.rows().map(|(id, row)| (id, row.score.get())).collect())
                .unwrap_or_default(),
            roster_revision: self.directory.revision(),
            voters: membership.voters.iter().copied().collect(),
            learners: membership.learners.iter().copied().collect(),
        };
        self.metrics.set_roles(&view);
        self.roles.send_if_modified(|old| {
            // The leader-seen time moves constantly; it alone is no change worth waking
            // watchers for.
            let changed = RolesView {
                leader_seen_unix_ms: old.leader_seen_unix_ms,
                ..view.clone()
            } != *old;
            *old = view;
            changed
        });
    }
}

/// Removes and returns the entries of `map` that `expired` picks.
fn take_expired<K: Ord, V>(map: &mut BTreeMap<K, V>, expired: impl Fn(&V) -> bool) -> Vec<V> {
    if !map.values().any(&expired) {
        return Vec::new();
    }
    let (gone, kept): (BTreeMap<K, V>, BTreeMap<K, V>) = std::mem::take(map)
        .into_iter()
        .partition(|(_, v)| expired(v));
    *map = kept;
    gone.into_values().collect()
}

fn scope_label(scope: &Scope) -> &'static str {
    match scope {
        Scope::District(_) => "district",
        Scope::Global => "global",
        Scope::Critical => "critical",
    }
}
