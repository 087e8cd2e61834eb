//! The one-group scenario: a group of [`ReplicaNode`]s under chaos, a client workload,
//! every invariant checked after every step, then heal, liveness and timed elections.
//!
//! A run has four phases, each announced in the trace log:
//! 1. **chaos**: `steps` events with the nemesis injecting the enabled faults, clients
//!    writing and reading at every level, operators transferring leadership;
//! 2. **heal**: every fault removed and every member restarted; a leader acknowledged by
//!    a quorum must appear within the liveness bound;
//! 3. **elections**: the leader is crashed `elections` times on a calm network and the
//!    time to the next quorum-acknowledged leader is measured;
//! 4. **quiesce**: clients stop, the group must converge, and every acknowledged write
//!    must be applied by every member.

use std::collections::BTreeSet;
use std::time::Duration;

use parliament_engine::engine::{Config, Payload, QuorumSystem, Rejected, Role, Status};
use parliament_engine::{GroupId, LogIndex, NodeId, Term, Time};

use crate::Error;
use crate::linearizability::{CheckOptions, KvModel, Outcome, check};
use crate::sim::invariants::{Invariants, LogView, MemberLog, Observation, Violation};
use crate::sim::{
    AppEvent, Client, ClientHistory, Clock, Command, DiskFaultCounts, ElectionSample, Fact, Fault,
    Pending, ReplicaNode, ReplyOutcome, Request, RequestTag, Response, RunReport, SimOptions,
    SimRng, Stamp, Step, World, splitmix64,
};

/// The group every member of this scenario belongs to.
const GROUP: GroupId = GroupId(1);

/// Client think times (ms). A saturated group never reaches some states (equal logs on
/// every member, nothing in flight) that a light or idle one does, so the pace varies.
const BUSY: (u64, u64) = (0, 10);
/// See [`BUSY`].
const LIGHT: (u64, u64) = (50, 500);
/// See [`BUSY`].
const IDLE: (u64, u64) = (1_000, 4_000);

/// A running one-group simulation.
#[derive(Debug)]
pub struct Simulation {
    opts: SimOptions,
    world: World<ReplicaNode, AppEvent>,
    ids: Vec<NodeId>,
    quorum: QuorumSystem,
    invariants: Invariants,
    violations: Vec<Violation>,
    clients: Vec<Client>,
    history: ClientHistory,
    steps: u64,
    /// Whether to look for a quorum-acknowledged leader after each step (costs a status
    /// per member; only needed after the heal).
    track_leader: bool,
    acknowledged_leader: Option<(NodeId, Term)>,
    operator: bool,
    /// Clients' think time between operations, in ms; the pace changes during chaos.
    think_ms: (u64, u64),
    bound: Duration,
    client_timeout: Duration,
    /// After the heal: when the last message sent during the chaos has arrived.
    calm_from: Time,
    elections: Vec<ElectionSample>,
    heal_to_leader: Option<Duration>,
    max_term: Term,
    max_commit: LogIndex,
    /// Campaigns started so far (pre-candidacies, or candidacies without pre-vote).
    campaigns: u64,
    /// Every value a committed entry wrote (for the linearizability check).
    committed_values: BTreeSet<Vec<u8>>,
    restores: u64,
}

/// Runs one seed to completion.
///
/// # Errors
/// Options or configuration the simulator cannot run. Violations are not errors: they
/// are in the report.
pub fn run(opts: &SimOptions) -> Result<RunReport, Error> {
    let mut sim = Simulation::new(opts)?;
    sim.run_phases();
    Ok(sim.into_report())
}

impl Simulation {
    /// Builds the group and its clients, ready to run.
    ///
    /// # Errors
    /// Invalid options, or a configuration the engine refuses.
    pub fn new(opts: &SimOptions) -> Result<Simulation, Error> {
        opts.validate()?;
        let ids: Vec<NodeId> = (1..=opts.nodes as u64).map(NodeId).collect();
        let template = configure(opts.seed, Config::new(ids[0], GROUP, ids.iter().copied()));
        template.validate()?;
        let drift_ms = u64::try_from(template.max_clock_drift.as_millis()).unwrap_or(0);
        let eto_min = u64::try_from(template.election_timeout_min.as_millis()).unwrap_or(0);
        let eto_max = template.election_timeout_max;
        let skew = opts
            .skew_ppm
            .unwrap_or_else(|| Clock::max_skew_ppm(drift_ms, eto_min) * 9 / 10);
        let nodes = ids
            .iter()
            .map(|&id| {
                let config = Config {
                    id,
                    ..template.clone()
                };
                Ok((id, ReplicaNode::new(config, opts.snapshot_every)?))
            })
            .collect::<Result<Vec<_>, Error>>()?;
        let world = World::new(opts.seed, nodes, opts.faults, skew, opts.tick_ms);
        let bound = eto_max * 5;
        let clients = (0..opts.clients)
            .map(|c| Client::new(c, ids[c as usize % ids.len()]))
            .collect();
        let mut sim = Simulation {
            opts: opts.clone(),
            world,
            quorum: template.quorum.clone(),
            ids,
            invariants: Invariants::all(bound),
            violations: Vec::new(),
            clients,
            history: ClientHistory::new(),
            steps: 0,
            track_leader: false,
            acknowledged_leader: None,
            operator: opts.faults.has(Fault::Transfer) || opts.faults.has(Fault::Campaign),
            think_ms: BUSY,
            bound,
            client_timeout: eto_max * 2,
            calm_from: Time(0),
            elections: Vec::new(),
            heal_to_leader: None,
            max_term: Term(0),
            max_commit: LogIndex(0),
            campaigns: 0,
            committed_values: BTreeSet::new(),
            restores: 0,
        };
        for id in sim.world.boot() {
            sim.after_member(id);
        }
        for c in 0..opts.clients {
            let after = Duration::from_millis(sim.world.rng().between(0, 100));
            sim.world.schedule(after, AppEvent::Issue { client: c });
        }
        if sim.operator {
            let after = Duration::from_millis(sim.world.rng().between(1_000, 3_000));
            sim.world.schedule(after, AppEvent::Operator);
        }
        if opts.faults.iter().next().is_some() {
            let after = Duration::from_millis(sim.world.rng().between(2_000, 8_000));
            sim.world.schedule(after, AppEvent::Pace);
        }
        Ok(sim)
    }

    /// Runs every phase, stopping at the first violation.
    pub fn run_phases(&mut self) {
        if let Some(c) = self.world.node(self.ids[0]).map(ReplicaNode::config) {
            tracing::info!(
                seed = self.opts.seed,
                faults = %self.opts.faults,
                steps = self.opts.steps,
                max_append_entries = c.max_append_entries,
                max_append_bytes = c.max_append_bytes,
                max_inflight = c.max_inflight,
                snapshot_chunk_bytes = c.snapshot_chunk_bytes,
                "--- chaos"
            );
        }
        self.world.start_chaos();
        for _ in 0..self.opts.steps {
            if !self.violations.is_empty() || !self.step_once() {
                break;
            }
        }
        if !self.violations.is_empty() {
            return;
        }
        self.heal();
        if !self.violations.is_empty() {
            return;
        }
        // Timing elections needs a quorum to survive the leader's crash.
        let survivable = self
            .ids
            .iter()
            .all(|&gone| self.quorum.is_quorum(&|id| id != gone));
        for _ in 0..if survivable { self.opts.elections } else { 0 } {
            self.measure_election();
            if !self.violations.is_empty() {
                return;
            }
        }
        self.quiesce();
        if self.violations.is_empty() {
            self.check_linearizability();
        }
    }

    /// Checks the client history against a sequential key-value store.
    fn check_linearizability(&mut self) {
        let ops = self.history.to_kv_ops(&self.committed_values);
        let outcome = check(&KvModel::new(), &ops, &CheckOptions::default());
        let detail = match &outcome {
            Outcome::Linearizable => return,
            Outcome::NotLinearizable(v) => v.to_string(),
            Outcome::Unknown { reason } => format!("the check could not decide: {reason}"),
        };
        self.push_violation("linearizability", None, detail);
    }

    /// The report of the run so far.
    #[must_use]
    pub fn into_report(self) -> RunReport {
        let engine = self
            .world
            .node(self.ids[0])
            .map(|n| {
                let c = n.config();
                format!(
                    "max_append_entries {}, max_append_bytes {}, max_inflight {}, snapshot_chunk_bytes {}",
                    c.max_append_entries, c.max_append_bytes, c.max_inflight, c.snapshot_chunk_bytes
                )
            })
            .unwrap_or_default();
        RunReport {
            engine,
            ops: self.history.tally(),
            options: self.opts,
            violations: self.violations,
            trace_hash: self.world.trace().value(),
            events: self.world.trace().events(),
            virtual_time: self.world.now(),
            elections: self.elections,
            heal_to_leader: self.heal_to_leader,
            liveness_bound: self.bound,
            history: self.history,
            crashes: self.world.crashes(),
            net: self.world.network().stats,
            max_term: self.max_term,
            commit: self.max_commit,
            restores: self.restores,
            disk_faults: self
                .ids
                .iter()
                .fold(DiskFaultCounts::default(), |mut c, id| {
                    if let Some(n) = self.world.node(*id) {
                        c.add(n.disk_faults());
                    }
                    c
                }),
            disk_faults_armed: self.world.disk_faults_armed(),
        }
    }

    // ----- phases ----------------------------------------------------------------------

    fn heal(&mut self) {
        tracing::info!(at = %self.world.now(), "--- heal");
        self.operator = false;
        for id in self.world.heal_all() {
            self.after_member(id);
        }
        for id in self.ids.clone() {
            self.world
                .act(id, |node, _, _| node.set_candidacy_rank(None));
        }
        let at = self.world.now();
        self.calm_from = self.world.last_arrival();
        self.observe_event(&Observation::Healed { at });
        self.track_leader = true;
        self.acknowledged_leader = None;
        self.update_acknowledged_leader();
        let deadline = at + self.bound;
        let found = self.run_until(deadline, |s| s.acknowledged_leader.is_some());
        if found {
            self.heal_to_leader = Some(self.world.now().saturating_since(at));
        }
        if self.violations.is_empty() {
            let at = self.world.now().max(if found { Time(0) } else { deadline });
            self.observe_event(&Observation::LivenessDeadline { at });
        }
    }

    fn measure_election(&mut self) {
        let deadline = self.world.now() + self.bound;
        if !self.run_until(deadline, |s| s.acknowledged_leader.is_some()) {
            self.push_violation(
                "liveness",
                None,
                "no leader acknowledged by a quorum before an election measurement".to_owned(),
            );
            return;
        }
        // Crash at a random point of the heartbeat cycle, once nothing sent during the
        // chaos is still in flight: a leader's heartbeat delayed by seconds would reset
        // the followers' timers and time the network's tail, not the election.
        let settle = Duration::from_millis(self.world.rng().between(100, 600));
        let until = (self.world.now() + settle).max(self.calm_from + settle);
        self.run_until(until, |_| false);
        let Some((leader, term)) = self.acknowledged_leader else {
            return; // leadership moved while settling; the next measurement retries
        };
        let t0 = self.world.now();
        let campaigns_before = self.campaigns;
        tracing::info!(at = %t0, %leader, %term, "--- crash the leader");
        self.crash(leader);
        let found = self.run_until(t0 + self.bound, |s| {
            s.acknowledged_leader
                .is_some_and(|(l, t)| l != leader && t > term)
        });
        if let (true, Some((_, new_term))) = (found, self.acknowledged_leader) {
            let took = self.world.now().saturating_since(t0);
            let rounds = self.campaigns - campaigns_before;
            let terms = new_term.0 - term.0;
            tracing::info!(took_ms = took.as_millis(), rounds, terms, "new leader");
            self.elections.push(ElectionSample {
                took,
                rounds,
                terms,
            });
        } else if self.violations.is_empty() {
            self.push_violation(
                "liveness",
                None,
                format!(
                    "no new leader acknowledged by a quorum within {} ms of crashing leader {leader} of {term} at {t0}",
                    self.bound.as_millis()
                ),
            );
            return;
        }
        if self.world.restart(leader) {
            self.after_member(leader);
        }
        self.run_for(Duration::from_millis(500));
    }

    fn quiesce(&mut self) {
        tracing::info!(at = %self.world.now(), "--- quiesce");
        for c in &mut self.clients {
            c.active = false;
        }
        let deadline = self.world.now() + self.bound + self.client_timeout;
        self.run_until(deadline, Simulation::converged);
        if !self.violations.is_empty() {
            return;
        }
        let at = self.world.now();
        let members: Vec<MemberLog<'_>> = self
            .ids
            .iter()
            .filter(|id| self.world.is_up(**id))
            .filter_map(|&id| {
                let node = self.world.node(id)?;
                Some(MemberLog {
                    node: id,
                    applied: node.kv().applied(),
                    log: log_view(node),
                })
            })
            .collect();
        let obs = Observation::Converged {
            at,
            members: &members,
        };
        self.invariants.observe(&obs, &mut self.violations);
    }

    /// Clients idle, a leader acknowledged with nothing uncommitted, and every running
    /// member applied through its commit.
    fn converged(&self) -> bool {
        if self.clients.iter().any(|c| c.pending.is_some()) {
            return false;
        }
        let Some((leader, _)) = self.acknowledged_leader else {
            return false;
        };
        let Some(ls) = self.status(leader) else {
            return false;
        };
        ls.commit == ls.last_index
            && self
                .ids
                .iter()
                .filter_map(|id| self.status(*id))
                .all(|s| s.applied == ls.commit)
    }

    // ----- stepping --------------------------------------------------------------------

    /// Runs events until `done` holds or the next event is past `deadline`. Returns
    /// whether `done` held; false also on a violation.
    fn run_until(&mut self, deadline: Time, done: impl Fn(&Simulation) -> bool) -> bool {
        loop {
            if !self.violations.is_empty() {
                return false;
            }
            if done(self) {
                return true;
            }
            match self.world.next_time() {
                Some(t) if t <= deadline => {
                    if !self.step_once() {
                        return false;
                    }
                }
                _ => return false,
            }
        }
    }

    fn run_for(&mut self, d: Duration) {
        let deadline = self.world.now() + d;
        self.run_until(deadline, |_| false);
    }

    /// Runs one event and every check that follows it. False when nothing is left.
    fn step_once(&mut self) -> bool {
        let Some(step) = self.world.step() else {
            return false;
        };
        self.steps += 1;
        match step {
            Step::Member(id) | Step::Restarted(id) => self.after_member(id),
            Step::Crashed(id) => {
                let at = self.world.now();
                self.observe_event(&Observation::Crashed { node: id, at });
                self.after_member(id);
            }
            Step::Quiet => {}
            Step::App(ev) => self.handle_app(ev),
        }
        // Members that crashed during a persist in this step: what they did before it,
        // then the crash (and their clients' lost requests).
        for id in self.world.take_stopped() {
            self.after_member(id);
            let at = self.world.now();
            self.observe_event(&Observation::Crashed { node: id, at });
            self.after_member(id);
        }
        if self.track_leader {
            self.update_acknowledged_leader();
        }
        true
    }

    fn crash(&mut self, id: NodeId) {
        if self.world.crash(id) {
            let at = self.world.now();
            self.observe_event(&Observation::Crashed { node: id, at });
            self.after_member(id);
        }
    }

    fn status(&self, id: NodeId) -> Option<Status> {
        if !self.world.is_up(id) {
            return None;
        }
        self.world.node(id)?.status()
    }

    /// The leader a quorum of running members acknowledges (same term, name it leader).
    fn update_acknowledged_leader(&mut self) {
        let statuses: Vec<Status> = self.ids.iter().filter_map(|id| self.status(*id)).collect();
        let found = statuses
            .iter()
            .filter(|s| s.role == Role::Leader)
            .find(|l| {
                self.quorum.is_quorum(&|id| {
                    statuses
                        .iter()
                        .any(|s| s.id == id && s.term == l.term && s.leader == Some(l.id))
                })
            })
            .map(|l| (l.id, l.term));
        if found != self.acknowledged_leader {
            self.acknowledged_leader = found;
            if let Some((leader, term)) = found {
                let at = self.world.now();
                self.observe_event(&Observation::LeaderAcknowledged { at, leader, term });
            }
        }
    }

    /// Drains what member `id` did in this step into the checkers and the clients.
    fn after_member(&mut self, id: NodeId) {
        let at = self.world.now();
        let Some(node) = self.world.node_mut(id) else {
            return;
        };
        let facts = node.take_facts();
        let replies = node.take_replies();
        let Some(node) = self.world.node(id) else {
            return;
        };
        for fact in &facts {
            let obs = match fact {
                Fact::Persisted {
                    prev_term,
                    entries,
                    removed,
                } => Observation::Persisted {
                    node: id,
                    at,
                    prev_term: *prev_term,
                    entries,
                    removed,
                },
                Fact::Applied { term, entry, chain } => {
                    if let Payload::Command(b) = &entry.payload
                        && let Some(cmd) = Command::decode(b)
                    {
                        self.committed_values.insert(cmd.value);
                    }
                    Observation::Applied {
                        node: id,
                        at,
                        term: *term,
                        entry,
                        chain: *chain,
                    }
                }
                Fact::Restored {
                    received,
                    meta,
                    removed,
                    chain,
                } => {
                    self.restores += u64::from(*received);
                    Observation::Restored {
                        node: id,
                        at,
                        meta: *meta,
                        removed,
                        chain: *chain,
                    }
                }
                Fact::Role(change) => {
                    let pre_vote = node.config().pre_vote;
                    let campaign = if pre_vote {
                        Role::PreCandidate
                    } else {
                        Role::Candidate
                    };
                    self.campaigns += u64::from(change.role == campaign);
                    tracing::debug!(%at, node = %id, role = change.role.name(), term = %change.term, leader = ?change.leader, "role");
                    Observation::RoleChanged {
                        node: id,
                        at,
                        change: *change,
                    }
                }
                Fact::Contract(why) => {
                    self.violations.push(Violation::new(
                        "ready-contract",
                        at,
                        Some(id),
                        why.clone(),
                    ));
                    continue;
                }
            };
            self.invariants.observe(&obs, &mut self.violations);
        }
        if self.world.is_up(id)
            && let Some(status) = node.status()
        {
            let lease_end = status
                .lease_until
                .zip(self.world.clock(id))
                .map(|(until, clock)| clock.global_at(until));
            let obs = Observation::State {
                node: id,
                at,
                status: &status,
                log: log_view(node),
                lease_end,
            };
            self.invariants.observe(&obs, &mut self.violations);
            self.max_term = self.max_term.max(status.term);
            self.max_commit = self.max_commit.max(status.commit);
        }
        for reply in replies {
            let latency = self.latency();
            self.world.schedule(
                latency,
                AppEvent::Answer {
                    client: reply.tag.client,
                    op: reply.tag.op,
                    node: id,
                    outcome: reply.outcome,
                },
            );
        }
    }

    fn observe_event(&mut self, obs: &Observation<'_>) {
        self.invariants.observe(obs, &mut self.violations);
    }

    fn push_violation(&mut self, invariant: &'static str, node: Option<NodeId>, detail: String) {
        let at = self.world.now();
        self.violations
            .push(Violation::new(invariant, at, node, detail));
    }

    fn latency(&mut self) -> Duration {
        Duration::from_millis(self.world.rng().between(1, 3))
    }

    fn stamp(&self) -> Stamp {
        Stamp {
            at: self.world.now(),
            step: self.steps,
        }
    }

    // ----- clients and operators -------------------------------------------------------

    fn handle_app(&mut self, ev: AppEvent) {
        match ev {
            AppEvent::Issue { client } => self.issue(client),
            AppEvent::Arrive { client, op } => self.arrive(client, op),
            AppEvent::Answer {
                client,
                op,
                node,
                outcome,
            } => self.answer(client, op, node, outcome),
            AppEvent::Timeout { client, op } => {
                let ids = self.ids.clone();
                let Some(c) = self.clients.get_mut(client as usize) else {
                    return;
                };
                if c.pending.is_some_and(|p| p.op == op) {
                    c.pending = None;
                    c.redirect(None, &ids, self.world.rng());
                    self.world
                        .schedule(Duration::ZERO, AppEvent::Issue { client });
                }
            }
            AppEvent::Operator => self.operate(),
            AppEvent::Pace => {
                if !self.world.chaos() {
                    self.think_ms = BUSY;
                    return;
                }
                let rng = self.world.rng();
                self.think_ms = *rng.pick(&[BUSY, LIGHT, IDLE]).unwrap_or(&BUSY);
                let next = Duration::from_millis(rng.between(2_000, 8_000));
                tracing::debug!(think_ms = ?self.think_ms, "workload pace");
                self.world.schedule(next, AppEvent::Pace);
            }
        }
    }

    fn issue(&mut self, client: u32) {
        let stamp = self.stamp();
        let keys = self.opts.keys;
        let Some(c) = self.clients.get_mut(client as usize) else {
            return;
        };
        if !c.active || c.pending.is_some() {
            return;
        }
        let (key, request) = c.next_request(self.world.rng(), keys);
        let op = self.history.invoke(client, &key, request, stamp);
        c.pending = Some(Pending { op, node: c.target });
        let latency = self.latency();
        self.world
            .schedule(latency, AppEvent::Arrive { client, op });
        self.world
            .schedule(self.client_timeout, AppEvent::Timeout { client, op });
    }

    fn arrive(&mut self, client: u32, op: u64) {
        let Some(p) = self
            .clients
            .get(client as usize)
            .and_then(|c| c.pending)
            .filter(|p| p.op == op)
        else {
            return;
        };
        let Some(o) = self.history.get(op).cloned() else {
            return;
        };
        let tag = RequestTag { client, op };
        let result = self.world.act(p.node, |node, now, out| match &o.request {
            Request::Put { value } => {
                let cmd = Command {
                    key: o.key.clone(),
                    value: value.clone(),
                };
                node.propose(now, tag, &cmd, out).map(|_| ())
            }
            Request::Get { level } => node.read(now, tag, &o.key, *level, out),
        });
        let reached = result.is_some();
        let refusal = match result {
            None => Some(ReplyOutcome::Unavailable),
            Some(Err(r)) => Some(ReplyOutcome::Rejected(r)),
            Some(Ok(())) => None,
        };
        if reached {
            self.after_member(p.node);
        }
        if let Some(outcome) = refusal {
            let latency = self.latency();
            self.world.schedule(
                latency,
                AppEvent::Answer {
                    client,
                    op,
                    node: p.node,
                    outcome,
                },
            );
        }
    }

    fn answer(&mut self, client: u32, op: u64, node: NodeId, outcome: ReplyOutcome) {
        let stamp = self.stamp();
        let ids = self.ids.clone();
        let Some(c) = self.clients.get_mut(client as usize) else {
            return;
        };
        if c.pending.is_none_or(|p| p.op != op) {
            return; // an answer after the client gave up
        }
        c.pending = None;
        let (lo, hi) = self.think_ms;
        let rng = self.world.rng();
        let mut pause = rng.between(lo, hi);
        let failed = |reason: &str| Response::Failed {
            reason: reason.to_owned(),
        };
        let mut acknowledged = None;
        match outcome {
            ReplyOutcome::Written { index } => {
                self.history
                    .complete(op, Response::Written { index }, stamp);
                acknowledged = Some(index);
            }
            ReplyOutcome::Value { value, .. } => {
                self.history.complete(op, Response::Value { value }, stamp);
            }
            ReplyOutcome::NotApplied => {
                self.history
                    .complete(op, failed("overwritten before it committed"), stamp);
                c.redirect(None, &ids, rng);
            }
            ReplyOutcome::Rejected(r) => {
                self.history.complete(op, failed(rejected_kind(&r)), stamp);
                let hint = match r {
                    Rejected::NotLeader { leader, .. } => leader,
                    _ => None,
                };
                if hint.is_none() {
                    pause = rng.between(20, 100);
                }
                c.redirect(hint, &ids, rng);
            }
            ReplyOutcome::Unavailable => {
                self.history.complete(op, failed("member down"), stamp);
                c.redirect(None, &ids, rng);
            }
            ReplyOutcome::Lost => {
                // The member crashed: the outcome stays unknown.
                c.redirect(None, &ids, rng);
            }
        }
        if let Some(index) = acknowledged
            && let Some(o) = self.history.get(op)
            && let Request::Put { value } = &o.request
        {
            let payload = Command {
                key: o.key.clone(),
                value: value.clone(),
            }
            .encode();
            let at = stamp.at;
            let obs = Observation::Acknowledged {
                node,
                at,
                index,
                payload: &payload,
            };
            self.invariants.observe(&obs, &mut self.violations);
        }
        self.world
            .schedule(Duration::from_millis(pause), AppEvent::Issue { client });
    }

    /// An operator's action: transfer leadership, force a campaign, or rank candidates.
    fn operate(&mut self) {
        if !self.operator {
            return;
        }
        let next = Duration::from_millis(self.world.rng().between(500, 3_000));
        self.world.schedule(next, AppEvent::Operator);
        let ids = self.ids.clone();
        let leaders: Vec<NodeId> = ids
            .iter()
            .copied()
            .filter(|id| self.status(*id).is_some_and(|s| s.role == Role::Leader))
            .collect();
        let (transfer, campaign) = (
            self.opts.faults.has(Fault::Transfer),
            self.opts.faults.has(Fault::Campaign),
        );
        let rng = self.world.rng();
        let roll = rng.below(100);
        let leader = rng.pick(&leaders).copied();
        let someone = rng.pick(&ids).copied();
        match (roll, leader, someone) {
            (0..20, _, Some(id)) if campaign => {
                tracing::debug!(%id, "operator: campaign");
                self.world.act(id, |n, now, out| n.campaign(now, out));
                self.after_member(id);
            }
            (20..60, Some(leader), Some(to)) if transfer && to != leader => {
                tracing::debug!(%leader, %to, "operator: transfer leadership");
                self.world
                    .act(leader, |n, now, out| n.transfer_leadership(now, to, out));
                self.after_member(leader);
            }
            (60..90, _, _) if transfer => {
                let mut order = ids.clone();
                self.world.rng().shuffle(&mut order);
                let of = u32::try_from(order.len()).unwrap_or(u32::MAX);
                tracing::debug!(?order, "operator: candidacy ranks");
                for (pos, id) in order.into_iter().enumerate() {
                    let rank = Some((u32::try_from(pos).unwrap_or(0), of));
                    self.world.act(id, |n, _, _| n.set_candidacy_rank(rank));
                }
            }
            (90.., _, _) if transfer => {
                for id in ids {
                    self.world.act(id, |n, _, _| n.set_candidacy_rank(None));
                }
            }
            _ => {}
        }
    }
}

#[cfg(test)]
mod directed;
#[cfg(test)]
mod disk_faults;

/// The engine configuration of a seed: default timings (elections are timed with them),
/// but batching, pipelining and snapshot chunk sizes drawn from the seed, so that some
/// runs replicate in many small appends and stream snapshots in many small chunks.
fn configure(seed: u64, mut config: Config) -> Config {
    let mut rng = SimRng::new(splitmix64(&mut seed.clone()));
    config.max_append_entries = *rng.pick(&[512, 16, 1]).unwrap_or(&512);
    config.max_append_bytes = *rng.pick(&[1 << 20, 1 << 20, 64]).unwrap_or(&(1 << 20));
    config.max_inflight = *rng.pick(&[8, 2, 1]).unwrap_or(&8);
    config.snapshot_chunk_bytes = *rng.pick(&[1 << 20, 64, 7]).unwrap_or(&(1 << 20));
    config
}

/// A member's persisted log as the checkers see it.
fn log_view(node: &ReplicaNode) -> LogView<'_> {
    LogView {
        snapshot: node.disk().snapshot().map(|s| s.meta),
        entries: node.disk().entries(),
    }
}

/// A short reason for a refusal, for the history and the report's tallies.
fn rejected_kind(r: &Rejected) -> &'static str {
    match r {
        Rejected::NotLeader { .. } => "not the leader",
        Rejected::TransferInProgress { .. } => "leadership transfer in progress",
        Rejected::TooManyUncommitted { .. } => "too many uncommitted entries",
        Rejected::LeadershipLost => "leadership lost before the read was confirmed",
        _ => "refused",
    }
}
