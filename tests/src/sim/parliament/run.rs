//! One parliament run: [`ParliamentRun`] boots districts of [`MemberNode`]s, convenes
//! them, runs clients under the world's faults and the parliament nemesis, heals, and
//! checks every invariant after every step and the histories at the end.

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use parliament_engine::engine::{ReadId, ReadLevel, Role};
use parliament_engine::state::{Command, DistrictName, Key, Scope, Write};
use parliament_engine::westminster::reputation::ReputationTable;
use parliament_engine::westminster::{
    Amendment, COMMONS, DistrictCommand, DistrictId, DistrictRoster, Event, LordsConfig,
    MemberConfig, Refused, Roster, SeatRecord, SessionConfig, TermLimits, Ticket,
};
use parliament_engine::{GroupId, LogIndex, NodeId, Term, Time};

use crate::Error;
use crate::linearizability::{CheckOptions, KvModel, check};
use crate::sim::invariants::{
    AcknowledgedPresent, CommittedNotLost, CriticalRatified, ElectionSafety,
    GlobalStateMachineSafety, Invariant, LeaderCompleteness, LeaseSafety, LogMatching, LogView,
    LordsTerms, Observation, PrimeMinisterSafety, RepresentativeSafety, SeatInvariant,
    SeatObservation, SeatSafety, SessionFairness, StateMachineSafety, Violation,
};
use crate::sim::parliament::{HandOvers, ParliamentEvent, ParliamentOptions, ParliamentReport};
use crate::sim::trace::payload_digest;
use crate::sim::{
    ClientHistory, Clock, Conditions, DiskFault, Fault, FaultSet, MemberNode, Nemesis, Partition,
    Request, Response, Stamp, Step, StorageBug, TraceHash, World,
};

/// Virtual time allowed from boot or heal to a Prime Minister and every representative:
/// ten Commons election timeouts, each waiting on district commits.
const CONVENE_BOUND: Duration = Duration::from_secs(60);
/// How long a client waits for an answer before its outcome stays unknown.
const CLIENT_TIMEOUT: Duration = Duration::from_secs(8);
/// How long a client waits for a global write submitted for a session: a write lost
/// with a forward has no refusal to come, so the client retries sooner than for a
/// proposal it watches.
const SESSION_TIMEOUT: Duration = Duration::from_secs(2);
/// Quiet time after a disturbance before the fairness bound applies again: every
/// representative hears the Prime Minister's heartbeat (300 ms) and persists it.
const FAIRNESS_SETTLE: Duration = Duration::from_secs(1);
/// A Lord not heard for this long is replaced (the simulator's `LordsConfig::timeout`).
const LORD_TIMEOUT: Duration = Duration::from_secs(6);
/// Partition ids of the parliament nemesis, clear of the world nemesis's.
const FIRST_PARTITION: u64 = 1 << 40;

/// A client's outstanding operation.
#[derive(Clone, Debug)]
enum Waiting {
    Write {
        member: NodeId,
        group: GroupId,
        index: LogIndex,
        term: Term,
    },
    Read {
        member: NodeId,
        id: ReadId,
    },
    /// A global write submitted for a session (docs/protocol.md#96-sessions).
    Global {
        ticket: Ticket,
    },
}

#[derive(Clone, Debug)]
struct Pending {
    op: u64,
    scope: usize,
    key: String,
    value: Vec<u8>,
    called: Time,
    waiting: Waiting,
}

/// One parliament seed.
#[derive(Debug)]
pub struct ParliamentRun {
    opts: ParliamentOptions,
    world: World<MemberNode, ParliamentEvent>,
    roster: Roster,
    /// Scopes: one per district, then global.
    scopes: Vec<Scope>,
    scope_names: Vec<String>,
    district_checkers: BTreeMap<DistrictId, Vec<Box<dyn Invariant>>>,
    seat_checkers: Vec<Box<dyn SeatInvariant>>,
    present: AcknowledgedPresent,
    violations: Vec<Violation>,
    histories: Vec<ClientHistory>,
    pending: BTreeMap<u32, Pending>,
    /// Values of accepted proposals, by where they sit; moved to `committed` once any
    /// member applies that entry.
    proposals: BTreeMap<(GroupId, LogIndex, Term), (usize, Vec<u8>)>,
    /// Values of global writes submitted for sessions, by ticket.
    tickets: BTreeMap<Ticket, (usize, Vec<u8>)>,
    fairness: SessionFairness,
    /// The last disturbance (a fault, a crash, a role change) the fairness bound waits out.
    disturbed: Time,
    /// The last session seen per member: (first index, sessions held).
    sessions_seen: BTreeMap<NodeId, (Option<LogIndex>, u64)>,
    committed: Vec<BTreeSet<Vec<u8>>>,
    hints: Vec<Option<NodeId>>,
    applied: BTreeMap<NodeId, (LogIndex, u64)>,
    /// What the members applied first, as the checkers' reference (`Canon`).
    canon: Canon,
    /// Critical decrees a member enacted, judged at the end of its look.
    enacted_pending: Vec<(NodeId, Time, LogIndex, LogIndex)>,
    next_read: u64,
    next_value: u64,
    next_partition: u64,
    clients_on: bool,
    touched: BTreeSet<NodeId>,
    commons_commit: LogIndex,
    /// Reputation tables seen applied: (district, the index it was computed at).
    tables: BTreeSet<(DistrictId, LogIndex)>,
    hand_overs: HandOvers,
    critical: CriticalRatified,
    lords_terms: LordsTerms,
    /// Critical decrees decided, by (pending index, deciding index, passed).
    decided: BTreeSet<(LogIndex, LogIndex, bool)>,
    amendments: u64,
    lords_sets: BTreeSet<Vec<NodeId>>,
    /// Roster changes (`roster_changes.rs`).
    changes: RosterChanges,
    report: ParliamentReport,
}

/// What the members applied first: the reference the checkers compare against.
#[derive(Debug, Default)]
struct Canon {
    /// The applied-sequence fingerprint through each district index, as first seen: a
    /// member that restores a snapshot there continues from it.
    chains: BTreeMap<(DistrictId, LogIndex), u64>,
    /// Each district's seat record as its committed district log builds it, never
    /// compacted; and the committed Commons log they hold, from index 1. The Commons
    /// checkers replay this log (members compact theirs; committed entries are the same
    /// everywhere, which seat-safety and commons agreement check).
    shadows: BTreeMap<DistrictId, SeatRecord>,
    commons_log: Vec<parliament_engine::engine::Entry>,
    /// Commons snapshots the shadow seat records installed.
    installs: u64,
}

impl Canon {
    /// `e` was applied in `district` after the sequence fingerprinted `ch`: the first
    /// time anyone applies its index, that is the fingerprint a snapshot there restores,
    /// and a seat persist in it builds the district's shadow seat record.
    fn first_applied(
        &mut self,
        district: DistrictId,
        e: &parliament_engine::engine::Entry,
        ch: u64,
    ) {
        let std::collections::btree_map::Entry::Vacant(v) = self.chains.entry((district, e.index))
        else {
            return;
        };
        v.insert(ch);
        if let parliament_engine::engine::Payload::Command(bytes) = &e.payload
            && let Ok(DistrictCommand::SeatPersist(p)) = DistrictCommand::decode(bytes)
        {
            let applied = self.shadows.entry(district).or_default().apply(&p);
            self.installs += u64::from(applied.restored.is_some());
            for c in applied.committed {
                if c.index.0 == self.commons_log.len() as u64 + 1 {
                    self.commons_log.push(c);
                }
            }
        }
    }
}

/// Runs one seed to the end.
///
/// # Errors
/// Invalid options.
pub fn run_parliament(opts: &ParliamentOptions) -> Result<ParliamentReport, Error> {
    let mut run = ParliamentRun::new(opts)?;
    run.run_phases();
    Ok(run.into_report())
}

fn district_invariants() -> Vec<Box<dyn Invariant>> {
    vec![
        Box::new(ElectionSafety::default()),
        Box::new(LogMatching::default()),
        Box::new(LeaderCompleteness::default()),
        Box::new(StateMachineSafety::default()),
        Box::new(LeaseSafety::default()),
        Box::new(CommittedNotLost::default()),
    ]
}

/// Two session intervals, three calm network hops (origin to representative, to a
/// member of the Prime Minister's district that passes it to the host when the sender
/// knows no host), two ticks of timer granularity (docs/simulation.md).
fn fairness_bound(tick_ms: u64) -> Duration {
    let s = SessionConfig::default();
    2 * s.interval + Duration::from_millis(3 * Conditions::calm().max_ms + 2 * tick_ms)
}

/// Members whose district table differs from the first one seen in their district.
fn disagreeing_tables(tables: &[(NodeId, DistrictId, Option<ReputationTable>)]) -> Vec<String> {
    let mut first: BTreeMap<DistrictId, (NodeId, &Option<ReputationTable>)> = BTreeMap::new();
    let mut out = Vec::new();
    for (id, district, table) in tables {
        match first.get(district) {
            None => {
                first.insert(*district, (*id, table));
            }
            Some((other, t)) if *t != table => out.push(format!(
                "member {id} of {district} ranks from {:?}, member {other} from {:?}",
                table.as_ref().map(|t| (t.publisher(), t.index())),
                t.as_ref().map(|t| (t.publisher(), t.index())),
            )),
            Some(_) => {}
        }
    }
    out
}

fn chain(prev: u64, index: LogIndex, term: Term, digest: u64) -> u64 {
    let mut h = TraceHash::new();
    h.write_u64(prev);
    h.write_u64(index.0);
    h.write_u64(term.0);
    h.write_u64(digest);
    h.value()
}

impl ParliamentRun {
    /// Builds the parliament: districts `d0..`, members numbered from 1 in district order.
    ///
    /// # Errors
    /// Invalid options.
    pub fn new(opts: &ParliamentOptions) -> Result<ParliamentRun, Error> {
        opts.validate()?;
        let mut next = 1u64;
        let mut districts = Vec::new();
        let mut scopes = Vec::new();
        for (d, &size) in opts.sizes.iter().enumerate() {
            let name = DistrictName::new(format!("d{d}")).map_err(|e| Error::Option {
                option: "--districts",
                value: e.to_string(),
                want: "a valid district name",
            })?;
            scopes.push(Scope::District(name.clone()));
            let members: BTreeSet<NodeId> = (next..next + size as u64).map(NodeId).collect();
            next += size as u64;
            districts.push((
                DistrictId(d as u64),
                DistrictRoster {
                    name,
                    members,
                    bootstrap_representative: None,
                },
            ));
        }
        scopes.push(Scope::Global);
        scopes.push(Scope::Critical);
        let roster = Roster::new(districts, None).map_err(|e| Error::Option {
            option: "--members",
            value: e.to_string(),
            want: "a valid roster",
        })?;
        let changes = RosterChanges::new(opts, &roster, next);
        let nodes: Vec<(NodeId, MemberNode)> = roster
            .members()
            .chain(changes.spare_ids())
            .map(|id| {
                let mut config = MemberConfig::new(id, roster.clone(), opts.seed ^ id.0);
                let limit =
                    (opts.term_limit_ms > 0).then(|| Duration::from_millis(opts.term_limit_ms));
                config.term_limits = TermLimits {
                    representative: limit,
                    prime_minister: limit,
                };
                config.lords = LordsConfig {
                    count: 3,
                    timeout: LORD_TIMEOUT,
                    presence_interval: Duration::from_secs(2),
                    lord_term: (opts.lord_term_ms > 0)
                        .then(|| Duration::from_millis(opts.lord_term_ms)),
                };
                config.snapshot_every = opts.snapshot_every;
                (id, MemberNode::new(config))
            })
            .collect();
        let t = parliament_engine::westminster::Timings::district();
        let drift_ms = u64::try_from(t.max_clock_drift.as_millis()).unwrap_or(0);
        let eto_min = u64::try_from(t.election_timeout_min.as_millis()).unwrap_or(1);
        let skew = Clock::max_skew_ppm(drift_ms, eto_min) * 9 / 10;
        let mut world = World::new(opts.seed, nodes, opts.faults, skew, opts.tick_ms);
        for id in changes.spare_ids() {
            world.park(id);
        }
        let district_checkers = roster
            .districts()
            .map(|(d, _)| (d, district_invariants()))
            .collect();
        let n = scopes.len();
        Ok(ParliamentRun {
            opts: opts.clone(),
            world,
            roster,
            scope_names: scopes.iter().map(ToString::to_string).collect(),
            scopes,
            district_checkers,
            seat_checkers: vec![
                Box::new(PrimeMinisterSafety::default()),
                Box::new(RepresentativeSafety::default()),
                Box::new(SeatSafety::default()),
                Box::new(GlobalStateMachineSafety::default()),
            ],
            present: AcknowledgedPresent::default(),
            violations: Vec::new(),
            histories: vec![ClientHistory::new(); n],
            pending: BTreeMap::new(),
            proposals: BTreeMap::new(),
            tickets: BTreeMap::new(),
            fairness: SessionFairness::new(fairness_bound(opts.tick_ms)),
            disturbed: Time(0),
            sessions_seen: BTreeMap::new(),
            committed: vec![BTreeSet::new(); n],
            hints: vec![None; n],
            applied: BTreeMap::new(),
            canon: Canon::default(),
            enacted_pending: Vec::new(),
            next_read: 1,
            next_value: 1,
            next_partition: FIRST_PARTITION,
            clients_on: false,
            touched: BTreeSet::new(),
            commons_commit: LogIndex(0),
            tables: BTreeSet::new(),
            hand_overs: HandOvers::default(),
            critical: CriticalRatified::default(),
            lords_terms: LordsTerms::default(),
            decided: BTreeSet::new(),
            amendments: 0,
            lords_sets: BTreeSet::new(),
            changes,
            report: ParliamentReport {
                options: opts.clone(),
                convene_bound: CONVENE_BOUND,
                ..ParliamentReport::default()
            },
        })
    }

    /// Makes every member's storage break the contract as `bug` says: for the tests
    /// that show the checkers catch it.
    pub fn plant(&mut self, bug: StorageBug) {
        for id in self.world.ids() {
            if let Some(node) = self.world.node_mut(id) {
                node.plant(bug);
            }
        }
    }

    /// Boot, convene, chaos, heal, convene again, quiesce, final checks.
    pub fn run_phases(&mut self) {
        tracing::info!(
            seed = self.opts.seed,
            members = self.opts.members(),
            districts = self.opts.sizes.len(),
            "--- boot"
        );
        for id in self.world.boot() {
            self.after_member(id);
        }
        let start = self.world.now();
        self.report.convene_after_start = self.convene(start, "after boot");
        if self.opts.converge_only || !self.violations.is_empty() {
            return;
        }
        tracing::info!("--- chaos");
        if self.opts.clients > 0 {
            self.clients_on = true;
            for c in 0..self.opts.clients {
                let after = Duration::from_millis(self.world.rng().between(1, 100));
                self.world
                    .schedule(after, ParliamentEvent::Issue { client: c });
            }
        }
        self.world.start_chaos();
        self.world
            .schedule(Duration::from_millis(1_000), ParliamentEvent::Amend);
        if self.opts.faults.has(Fault::Membership) {
            self.world
                .schedule(Duration::from_millis(1_500), ParliamentEvent::Reroster);
        }
        if [Fault::Partition, Fault::Crash, Fault::Disk]
            .into_iter()
            .any(|f| self.opts.faults.has(f))
        {
            self.world
                .schedule(Duration::from_millis(500), ParliamentEvent::Fault);
        }
        for _ in 0..self.opts.steps {
            if !self.step() {
                return;
            }
        }
        tracing::info!("--- heal");
        let healed = self.world.now();
        for id in self.world.heal_all() {
            self.observe_crash_reset(id);
            self.after_member(id);
        }
        self.report.convene_after_heal = self.convene(healed, "after the heal");
        if !self.violations.is_empty() {
            return;
        }
        tracing::info!("--- quiesce");
        self.clients_on = false;
        let quiet_until = self.world.now() + CLIENT_TIMEOUT + Duration::from_secs(2);
        while self.world.now() < quiet_until && (!self.pending.is_empty() || !self.converged()) {
            if !self.step() {
                return;
            }
        }
        let deadline = self.world.now() + CONVENE_BOUND;
        while !self.converged() {
            if self.world.now() > deadline {
                let lagging = self.lagging();
                self.push("parliament-liveness", None, format!(
                    "members did not converge on their district and Commons commits within {} ms of quiescing: {lagging}",
                    CONVENE_BOUND.as_millis()
                ));
                return;
            }
            if !self.step() {
                return;
            }
        }
        self.check_reputation();
        if self.opts.faults == FaultSet::none() && self.opts.term_limit_ms > 0 {
            // A calm run lasting three limits must have rotated leaders at both levels.
            let long = self.world.now().0 > 3 * self.opts.term_limit_ms;
            if let Some(why) = self.hand_overs.missing().filter(|_| long) {
                self.push("term-limits", None, why);
            }
        }
        self.final_reads();
        self.check_histories();
    }

    /// Runs until a Prime Minister and every representative exist; `None` and a liveness
    /// violation when that takes longer than the bound.
    fn convene(&mut self, since: Time, when: &str) -> Option<Duration> {
        let deadline = since + CONVENE_BOUND;
        // Looking at every member costs O(members²) in the world's lookups: look once per
        // 10 ms of virtual time, which is the figure's resolution.
        let mut next_look = self.world.now();
        loop {
            if self.world.now() >= next_look && self.convened() {
                let took = Duration::from_millis(self.world.now().0 - since.0);
                tracing::info!(took_ms = took.as_millis(), "convened {when}");
                return Some(took);
            }
            if self.world.now() >= next_look {
                next_look = self.world.now() + Duration::from_millis(10);
            }
            if self.world.now() > deadline || !self.step() {
                let missing = self.unconvened();
                self.push(
                    "parliament-liveness",
                    None,
                    format!(
                        "no Prime Minister and every representative within {} ms {when}: {missing}",
                        CONVENE_BOUND.as_millis()
                    ),
                );
                return None;
            }
        }
    }

    /// A Prime Minister exists and every district's seat is hosted.
    fn convened(&self) -> bool {
        let mut hosted = BTreeSet::new();
        let mut pm = false;
        for id in self.world.ids() {
            if !self.world.is_up(id) {
                continue;
            }
            if let Some(m) = self.world.node(id).and_then(MemberNode::member)
                && m.seat_incarnation().is_some()
            {
                hosted.insert(m.district());
                pm |= m.is_prime_minister();
            }
        }
        pm && hosted.len() == self.opts.sizes.len()
    }

    /// Every running member's district role, commit and applied index, Commons record
    /// commit, and district configuration, for the liveness report of
    /// [`ParliamentRun::converged`].
    fn lagging(&self) -> String {
        let mut out = Vec::new();
        for id in self.world.ids() {
            let Some(m) = self.world.node(id).and_then(MemberNode::member) else {
                out.push(format!("{id} down"));
                continue;
            };
            let s = m.district_status();
            let c = m.district_membership();
            out.push(format!(
                "{id} of {} {:?} {} commit {} applied {} commons {} voters {:?} learners {:?}",
                m.district(),
                s.role,
                s.term,
                s.commit,
                s.applied,
                m.seat_record().commit(),
                c.voters,
                c.learners
            ));
        }
        out.join("; ")
    }

    /// What [`ParliamentRun::convened`] misses, for the liveness report: the districts
    /// whose seat nobody hosts (with each running member's role, term and configuration),
    /// and whether a Prime Minister exists.
    fn unconvened(&self) -> String {
        let mut hosted = BTreeSet::new();
        let mut pm = false;
        let mut roles: BTreeMap<DistrictId, Vec<String>> = BTreeMap::new();
        for id in self.world.ids() {
            let Some(m) = self.world.node(id).and_then(MemberNode::member) else {
                continue;
            };
            if !self.world.is_up(id) {
                continue;
            }
            if m.seat_incarnation().is_some() {
                hosted.insert(m.district());
                pm |= m.is_prime_minister();
            }
            let s = m.district_status();
            let c = m.district_membership();
            roles.entry(m.district()).or_default().push(format!(
                "{id} {:?} {} commit {} applied {} voters {:?} learners {:?}",
                s.role, s.term, s.commit, s.applied, c.voters, c.learners
            ));
        }
        let unhosted: Vec<String> = self
            .roster
            .districts()
            .map(|(d, _)| d)
            .filter(|d| !hosted.contains(d))
            .map(|d| {
                format!(
                    "{d} [{}]",
                    roles.get(&d).map(|r| r.join("; ")).unwrap_or_default()
                )
            })
            .collect();
        format!(
            "Prime Minister {}; seats not hosted: {}",
            if pm { "present" } else { "missing" },
            if unhosted.is_empty() {
                "none".to_owned()
            } else {
                unhosted.join(", ")
            }
        )
    }

    /// Every running member has applied its district leader's commit and the highest
    /// Commons commit any member knows, and a Prime Minister exists.
    fn converged(&self) -> bool {
        let mut commit: BTreeMap<DistrictId, LogIndex> = BTreeMap::new();
        let mut commons = LogIndex(0);
        let mut pm = false;
        for id in self.world.ids() {
            let Some(m) = self.world.node(id).and_then(MemberNode::member) else {
                return false;
            };
            let s = m.district_status();
            if s.role == Role::Leader {
                commit.insert(m.district(), s.commit);
            }
            pm |= m.is_prime_minister();
            // A new Prime Minister knows only its district's recorded commit until it
            // commits an entry of its own term: wait for the highest commit anyone knows.
            let seat = m.seat_status().map_or(LogIndex(0), |s| s.commit);
            commons = commons.max(seat).max(m.seat_record().commit());
        }
        if !pm {
            return false;
        }
        if commit.len() != self.opts.sizes.len() {
            return false;
        }
        self.world.ids().into_iter().all(|id| {
            self.world
                .node(id)
                .and_then(MemberNode::member)
                .is_some_and(|m| {
                    let s = m.district_status();
                    commit.get(&m.district()).is_some_and(|c| s.applied >= *c)
                        && m.seat_record().commit() >= commons
                })
        })
    }

    /// One world step and everything it needs checked. False when the run must stop.
    fn step(&mut self) -> bool {
        let Some(step) = self.world.step() else {
            return false;
        };
        match step {
            Step::Member(id) | Step::Restarted(id) => self.after_member(id),
            Step::Crashed(id) => self.observe_crash(id),
            Step::Quiet => {}
            Step::App(event) => self.handle(event),
        }
        let touched = std::mem::take(&mut self.touched);
        for id in touched {
            self.after_member(id);
        }
        // Members that crashed during a persist in this step: what they did before it
        // (after_member above), then the crash.
        for id in self.world.take_stopped() {
            self.after_member(id);
            self.observe_crash(id);
        }
        self.update_calm();
        self.violations.is_empty()
    }

    /// Tells the fairness checker whether the parliament is calm (its module docs).
    fn update_calm(&mut self) {
        let now = self.world.now();
        let net = self.world.network();
        let calm_net = net.conditions() == Conditions::calm() && net.partitions().is_empty();
        if !calm_net || self.world.ids().iter().any(|id| !self.world.is_up(*id)) {
            self.disturbed = now;
        }
        self.fairness
            .set_calm(now >= self.disturbed + FAIRNESS_SETTLE);
    }

    fn handle(&mut self, event: ParliamentEvent) {
        match event {
            ParliamentEvent::Issue { client } => self.issue(client),
            ParliamentEvent::Timeout { client, op } => {
                if self.pending.get(&client).is_some_and(|p| p.op == op) {
                    self.pending.remove(&client);
                    self.next_issue(client);
                }
            }
            ParliamentEvent::Fault => self.parliament_fault(),
            ParliamentEvent::Heal(id) => {
                if let Some(p) = self.world.network_mut().heal(id) {
                    tracing::debug!(partition = %p.label, "parliament partition healed");
                }
            }
            ParliamentEvent::Restart(id) => {
                if self.world.chaos() && self.world.restart(id) {
                    self.after_member(id);
                }
            }
            ParliamentEvent::Amend => self.amend(),
            ParliamentEvent::Reroster => self.reroster(),
            ParliamentEvent::AdoptRoster { node, version } => self.adopt_roster(node, version),
            ParliamentEvent::Retire(id) => self.retire(id),
        }
    }

    // ----- the parliament nemesis --------------------------------------------------------

    fn parliament_fault(&mut self) {
        if !self.world.chaos() {
            return;
        }
        let after = Duration::from_millis(self.world.rng().between(500, 3_000));
        self.world.schedule(after, ParliamentEvent::Fault);
        let mut kinds = Vec::new();
        if self.opts.faults.has(Fault::Partition) {
            kinds.extend(["district-cut", "representative-cut", "lord-cut"]);
        }
        if self.opts.faults.has(Fault::Crash) {
            kinds.extend(["pm-crash", "representative-crash"]);
        }
        if self.opts.faults.has(Fault::Disk) {
            kinds.extend(["pm-disk", "representative-disk"]);
        }
        let Some(&kind) = self.world.rng().pick(&kinds) else {
            return;
        };
        let districts: Vec<DistrictId> = self.roster.districts().map(|(d, _)| d).collect();
        let Some(&district) = self.world.rng().pick(&districts) else {
            return;
        };
        let members: Vec<NodeId> = self
            .roster
            .district(district)
            .map(|d| d.members.iter().copied().collect())
            .unwrap_or_default();
        let representative = members.iter().copied().find(|&id| {
            self.world
                .node(id)
                .and_then(MemberNode::member)
                .is_some_and(|m| m.district_status().role == Role::Leader)
        });
        let heal_after = Duration::from_millis(self.world.rng().between(500, 5_000));
        match kind {
            "district-cut" => {
                let rest: Vec<NodeId> = self
                    .world
                    .ids()
                    .into_iter()
                    .filter(|id| !members.contains(id))
                    .collect();
                self.cut(
                    Partition::symmetric(self.next_partition, &members, &rest),
                    heal_after,
                );
            }
            "lord-cut" => {
                // A Lord unreachable for longer than the Lords' timeout, some of the time.
                let lords: Vec<NodeId> = self
                    .world
                    .ids()
                    .into_iter()
                    .find_map(|id| self.world.node(id).and_then(MemberNode::member))
                    .map(|m| m.lords().seated().iter().map(|(l, _)| *l).collect())
                    .unwrap_or_default();
                let Some(&lord) = self.world.rng().pick(&lords) else {
                    return;
                };
                let rest: Vec<NodeId> = self
                    .world
                    .ids()
                    .into_iter()
                    .filter(|id| *id != lord)
                    .collect();
                let long = Duration::from_millis(self.world.rng().between(
                    3_000,
                    2 * u64::try_from(LORD_TIMEOUT.as_millis()).unwrap_or(6_000),
                ));
                self.cut(
                    Partition::symmetric(self.next_partition, &[lord], &rest),
                    long,
                );
            }
            "representative-cut" => {
                // DESIGN.md §6's hardest case: cut from its own district, still reaching
                // every other seat.
                let Some(rep) = representative else { return };
                let others: Vec<NodeId> = members.iter().copied().filter(|&m| m != rep).collect();
                if others.is_empty() {
                    return;
                }
                self.cut(
                    Partition::symmetric(self.next_partition, &[rep], &others),
                    heal_after,
                );
            }
            "pm-crash" | "representative-crash" | "pm-disk" | "representative-disk" => {
                let victim = if kind.starts_with("pm-") {
                    self.world.ids().into_iter().find(|&id| {
                        self.world
                            .node(id)
                            .and_then(MemberNode::member)
                            .is_some_and(parliament_engine::westminster::Member::is_prime_minister)
                    })
                } else {
                    representative
                };
                let Some(victim) = victim else { return };
                if kind.ends_with("-disk") {
                    // The seat's host persists the Commons log in its district log too.
                    let fault = DiskFault::random(self.world.rng());
                    let down = Nemesis::down_time(self.world.rng());
                    self.world.arm_disk_fault(victim, fault, down);
                } else if self.world.crash(victim) {
                    tracing::debug!(node = %victim, kind, "parliament nemesis crash");
                    self.observe_crash(victim);
                    let down = Duration::from_millis(self.world.rng().between(50, 3_000));
                    self.world.schedule(down, ParliamentEvent::Restart(victim));
                }
            }
            _ => {}
        }
    }

    /// A random member proposes an amendment; about half break the constitution
    /// (removing a majority of districts, a term limit below the election timeout).
    fn amend(&mut self) {
        if !self.world.chaos() {
            return;
        }
        let after = Duration::from_millis(self.world.rng().between(2_000, 6_000));
        self.world.schedule(after, ParliamentEvent::Amend);
        let districts: Vec<DistrictId> = self.roster.districts().map(|(d, _)| d).collect();
        let amendment = match self.world.rng().below(4) {
            0 => Amendment::RemoveDistricts {
                districts: districts.iter().copied().take(1).collect(),
            },
            1 => Amendment::RemoveDistricts {
                districts: districts.iter().copied().collect(),
            },
            2 => Amendment::SetTermLimits {
                representative: (self.opts.term_limit_ms > 0)
                    .then(|| Duration::from_millis(self.opts.term_limit_ms)),
                prime_minister: (self.opts.term_limit_ms > 0)
                    .then(|| Duration::from_millis(self.opts.term_limit_ms)),
            },
            _ => Amendment::SetTermLimits {
                representative: Some(Duration::from_millis(500)),
                prime_minister: None,
            },
        };
        let mut ids = self.world.ids();
        let start = self.world.rng().below(ids.len().max(1) as u64) as usize;
        ids.rotate_left(start);
        for id in ids.into_iter().take(3) {
            let proposed = self.world.act(id, |node, now, out| {
                let r = node
                    .member_mut()
                    .map(|m| m.propose_amendment(now, amendment.clone()));
                node.drain(out);
                r
            });
            self.touched.insert(id);
            if matches!(proposed, Some(Some(Ok(_)))) {
                self.amendments += 1;
                return;
            }
        }
    }

    fn cut(&mut self, partition: Partition, heal_after: Duration) {
        tracing::debug!(partition = %partition.label, "parliament nemesis cut");
        let id = partition.id;
        self.next_partition += 1;
        self.world.network_mut().partition(partition);
        self.world.schedule(heal_after, ParliamentEvent::Heal(id));
    }

    // ----- clients ---------------------------------------------------------------------

    fn stamp(&self) -> Stamp {
        Stamp {
            at: self.world.now(),
            step: self.world.trace().events(),
        }
    }

    fn next_issue(&mut self, client: u32) {
        if self.clients_on {
            let after = Duration::from_millis(self.world.rng().between(1, 50));
            self.world
                .schedule(after, ParliamentEvent::Issue { client });
        }
    }

    fn issue(&mut self, client: u32) {
        if !self.clients_on || self.pending.contains_key(&client) {
            return;
        }
        let scope = self.world.rng().below(self.scopes.len() as u64) as usize;
        let key = format!("k{}", self.world.rng().below(u64::from(self.opts.keys)));
        let write = self.world.rng().chance(600_000);
        let candidates = self.candidates(scope);
        let called = self.world.now();
        let global = scope >= self.opts.sizes.len();
        let accepted = if write && global {
            self.submit_global(client, scope, &key, called)
        } else if write {
            let value = format!("v{}", self.next_value).into_bytes();
            self.next_value += 1;
            let Ok(k) = Key::new(key.clone()) else { return };
            let cmd: Command = Write::put(
                self.scopes[scope].clone(),
                k,
                bytes::Bytes::from(value.clone()),
            )
            .into();
            self.try_members(scope, &candidates, |node, now| {
                node.member_mut()
                    .map(|m| m.propose(now, &cmd))
                    .unwrap_or(Err(Refused::NotLeader {
                        group: COMMONS,
                        leader: None,
                    }))
            })
            .map(|(member, p)| {
                self.proposals
                    .insert((p.group, p.index, p.term), (scope, value.clone()));
                let stamp = self.stamp();
                let op = self.histories[scope].invoke(
                    client,
                    &key,
                    Request::Put {
                        value: value.clone(),
                    },
                    stamp,
                );
                Pending {
                    op,
                    scope,
                    key: key.clone(),
                    value,
                    called,
                    waiting: Waiting::Write {
                        member,
                        group: p.group,
                        index: p.index,
                        term: p.term,
                    },
                }
            })
        } else {
            let id = ReadId(self.next_read);
            self.next_read += 1;
            let levels = [ReadLevel::Linearizable, ReadLevel::Lease, ReadLevel::Strict];
            let level = *self
                .world
                .rng()
                .pick(&levels)
                .unwrap_or(&ReadLevel::Linearizable);
            let s = self.scopes[scope].clone();
            self.try_members(scope, &candidates, |node, now| {
                node.member_mut()
                    .map(|m| m.read(now, id, &s, level))
                    .unwrap_or(Err(Refused::NotLeader {
                        group: COMMONS,
                        leader: None,
                    }))
            })
            .map(|(member, ())| {
                let stamp = self.stamp();
                let op = self.histories[scope].invoke(client, &key, Request::Get { level }, stamp);
                Pending {
                    op,
                    scope,
                    key: key.clone(),
                    value: Vec::new(),
                    called,
                    waiting: Waiting::Read { member, id },
                }
            })
        };
        match accepted {
            Some(p) => {
                let op = p.op;
                let timeout = if matches!(p.waiting, Waiting::Global { .. }) {
                    SESSION_TIMEOUT
                } else {
                    CLIENT_TIMEOUT
                };
                self.pending.insert(client, p);
                self.world
                    .schedule(timeout, ParliamentEvent::Timeout { client, op });
            }
            None => self.next_issue(client),
        }
    }

    /// A global write through `submit_global` at random members: any member takes it.
    fn submit_global(
        &mut self,
        client: u32,
        scope: usize,
        key: &str,
        called: Time,
    ) -> Option<Pending> {
        let value = format!("v{}", self.next_value).into_bytes();
        self.next_value += 1;
        let k = Key::new(key.to_owned()).ok()?;
        let cmd: Command = Write::put(
            self.scopes[scope].clone(),
            k,
            bytes::Bytes::from(value.clone()),
        )
        .into();
        let mut all = self.world.ids();
        if all.is_empty() {
            return None;
        }
        let start = self.world.rng().below(all.len() as u64) as usize;
        all.rotate_left(start);
        all.truncate(3);
        let (member, ticket) = self.try_members(scope, &all, |node, now| {
            node.member_mut()
                .map(|m| m.submit_global(now, &cmd))
                .unwrap_or(Err(Refused::NotLeader {
                    group: COMMONS,
                    leader: None,
                }))
        })?;
        let at_head = self.changes.home(member).is_some_and(|d| {
            self.world.ids().into_iter().any(|id| {
                self.changes.home(id) == Some(d)
                    && self
                        .world
                        .node(id)
                        .and_then(MemberNode::member)
                        .is_some_and(|m| {
                            m.district_status().role == Role::Leader
                                && m.session_status().queued
                                    < SessionConfig::default().max_batch_per_district
                        })
            })
        });
        // A critical write waits for the Lords after its session: the fairness bound is
        // about sessions, so only global writes are judged.
        if self.scopes[scope] == Scope::Global {
            self.fairness.submitted(ticket, called, at_head);
        }
        self.tickets.insert(ticket, (scope, value.clone()));
        let stamp = self.stamp();
        let op = self.histories[scope].invoke(
            client,
            key,
            Request::Put {
                value: value.clone(),
            },
            stamp,
        );
        Some(Pending {
            op,
            scope,
            key: key.to_owned(),
            value,
            called,
            waiting: Waiting::Global { ticket },
        })
    }

    /// Members to try for `scope`, the last known leader first, then from a random start.
    fn candidates(&mut self, scope: usize) -> Vec<NodeId> {
        let mut all: Vec<NodeId> = match DistrictId::of_group(GroupId(scope as u64 + 1)) {
            Some(d) if scope < self.opts.sizes.len() => self
                .roster
                .district(d)
                .map(|r| r.members.iter().copied().collect())
                .unwrap_or_default(),
            _ => self.world.ids(),
        };
        if all.is_empty() {
            return all;
        }
        let start = self.world.rng().below(all.len() as u64) as usize;
        all.rotate_left(start);
        if let Some(h) = self.hints[scope] {
            all.retain(|&x| x != h);
            all.insert(0, h);
        }
        all
    }

    /// Tries members in turn, following `NotLeader` hints; returns the one that took it.
    fn try_members<R>(
        &mut self,
        scope: usize,
        candidates: &[NodeId],
        mut f: impl FnMut(&mut MemberNode, Time) -> Result<R, Refused>,
    ) -> Option<(NodeId, R)> {
        let mut queue: Vec<NodeId> = candidates.to_vec();
        let mut tried = BTreeSet::new();
        let mut i = 0;
        while i < queue.len() && tried.len() < candidates.len() + 4 {
            let id = queue[i];
            i += 1;
            if !tried.insert(id) {
                continue;
            }
            let result = self.world.act(id, |node, now, out| {
                let r = f(node, now);
                node.drain(out);
                r
            });
            self.touched.insert(id);
            match result {
                Some(Ok(r)) => {
                    self.hints[scope] = Some(id);
                    return Some((id, r));
                }
                Some(Err(Refused::NotLeader {
                    group,
                    leader: Some(l),
                })) => {
                    // A district leader is a member; a Commons leader is a seat, hosted
                    // by one of its district's members.
                    let next: Vec<NodeId> = if group == COMMONS {
                        self.roster
                            .district(DistrictId::of_seat(l))
                            .map(|d| d.members.iter().copied().collect())
                            .unwrap_or_default()
                    } else {
                        vec![l]
                    };
                    for n in next.into_iter().rev() {
                        if !tried.contains(&n) {
                            queue.insert(i, n);
                        }
                    }
                }
                _ => {}
            }
        }
        None
    }

    fn complete(&mut self, client: u32, response: Response) {
        let Some(p) = self.pending.remove(&client) else {
            return;
        };
        let stamp = self.stamp();
        let took = Duration::from_millis(stamp.at.0.saturating_sub(p.called.0));
        if let Response::Written { .. } = response {
            if p.scope >= self.opts.sizes.len() {
                self.report.global_latencies.push(took);
            } else {
                self.report.district_latencies.push(took);
            }
        }
        self.histories[p.scope].complete(p.op, response, stamp);
        self.next_issue(client);
    }

    // ----- observing -------------------------------------------------------------------

    fn push(&mut self, invariant: &'static str, node: Option<NodeId>, detail: String) {
        let at = self.world.now();
        self.violations
            .push(Violation::new(invariant, at, node, detail));
    }

    fn observe_district(&mut self, district: DistrictId, obs: &Observation<'_>) {
        if let Some(checkers) = self.district_checkers.get_mut(&district) {
            for c in checkers {
                c.observe(obs, &mut self.violations);
            }
        }
    }

    fn observe_seat(&mut self, obs: &SeatObservation<'_>) {
        for c in &mut self.seat_checkers {
            c.observe(obs, &mut self.violations);
        }
        self.present.observe(obs, &mut self.violations);
    }

    fn observe_crash(&mut self, id: NodeId) {
        self.crashed_while_leaving(id);
        let at = self.world.now();
        if let Some(d) = self.changes.home(id) {
            self.observe_district(d, &Observation::Crashed { node: id, at });
        }
        self.observe_seat(&SeatObservation::Crashed { node: id, at });
        self.applied.remove(&id);
        // Its clients' operations stay unknown: the member may or may not have acted.
        let lost: Vec<u32> = self
            .pending
            .iter()
            .filter(|(_, p)| match p.waiting {
                Waiting::Write { member, .. } | Waiting::Read { member, .. } => member == id,
                Waiting::Global { ticket } => ticket.origin == id,
            })
            .map(|(c, _)| *c)
            .collect();
        for c in lost {
            self.pending.remove(&c);
            self.next_issue(c);
        }
    }

    /// A member restarted outside the world's own step (by the heal): its applied
    /// sequence starts over.
    fn observe_crash_reset(&mut self, id: NodeId) {
        self.applied.remove(&id);
    }

    #[allow(clippy::too_many_lines)]
    fn after_member(&mut self, id: NodeId) {
        let Some(district) = self.changes.home(id) else {
            return;
        };
        let at = self.world.now();
        let Some(node) = self.world.node_mut(id) else {
            return;
        };
        let persists = node.take_persists();
        let compacted = node.take_compacted();
        let events = node.take_events();
        let contract = node.take_contract();
        for why in contract {
            self.push("ready-contract", Some(id), why);
        }
        for p in &persists {
            self.observe_district(
                district,
                &Observation::Persisted {
                    node: id,
                    at,
                    prev_term: p.prev_term,
                    entries: &p.entries,
                    removed: &p.removed,
                },
            );
        }
        for e in events {
            self.member_event(id, district, at, e);
        }
        if !self.world.is_up(id) {
            // It crashed during this step, after applying and compacting these: their
            // fingerprints are what it restarts from.
            let (mut last, mut ch) = self.applied.get(&id).copied().unwrap_or_default();
            for e in &compacted {
                if e.index == last.next() {
                    ch = chain(ch, e.index, e.term, payload_digest(&e.payload));
                    self.canon.first_applied(district, e, ch);
                    last = e.index;
                }
            }
            return;
        }
        let clock = self.world.clock(id);
        let Some(node) = self.world.node(id) else {
            return;
        };
        let Some(m) = node.member() else {
            return;
        };
        let status = m.district_status();
        // Entries applied since the last look, with a chain over the applied sequence.
        let (mut last, mut ch) = self.applied.get(&id).copied().unwrap_or_default();
        let mut applied_obs = Vec::new();
        let mut restored = None;
        let log = m.district_log();
        while last < status.applied {
            let next = last.next();
            let held = log
                .entry(next)
                .or_else(|| compacted.iter().find(|e| e.index == next));
            let Some(e) = held else {
                // Not in the log nor compacted by this member since the last look: the
                // member restored a snapshot (at a restart, or from its leader) that
                // covers it. It continues from the snapshot's fingerprint.
                let offset = log.offset_index();
                if offset >= next {
                    let term = log.term_at(offset).unwrap_or_default();
                    ch = self
                        .canon
                        .chains
                        .get(&(district, offset))
                        .copied()
                        .unwrap_or_default();
                    restored = Some(parliament_engine::engine::SnapshotMeta {
                        index: offset,
                        term,
                    });
                    applied_obs.clear();
                    last = offset;
                    continue;
                }
                break;
            };
            last = next;
            ch = chain(ch, e.index, e.term, payload_digest(&e.payload));
            let e = e.clone();
            self.canon.first_applied(district, &e, ch);
            applied_obs.push((e, ch));
        }
        let lease_end = status
            .lease_until
            .zip(clock)
            .map(|(until, clock)| clock.global_at(until));
        if let Some(t) = m.reputation() {
            self.tables.insert((district, t.index()));
        }
        let lords: Vec<NodeId> = m.lords().seated().iter().map(|(l, _)| *l).collect();
        if !lords.is_empty() && !self.lords_sets.contains(&lords) {
            self.lords_sets.insert(lords);
        }
        let applied = m.commons_applied();
        for (node, at, decree, index) in std::mem::take(&mut self.enacted_pending) {
            self.critical.enacted(
                node,
                at,
                decree,
                index,
                &self.canon.commons_log,
                &mut self.violations,
            );
        }
        self.lords_terms.look(
            id,
            at,
            &self.canon.commons_log,
            applied,
            &m.lords().seated_terms(),
            &mut self.violations,
        );
        let record = m.seat_record().clone();
        let hosting = m.seat_incarnation();
        let sessions = m.session_status();
        if self.sessions_seen.get(&id) != Some(&(sessions.session, sessions.held)) {
            self.sessions_seen
                .insert(id, (sessions.session, sessions.held));
            if let Some(first) = sessions.session {
                let len = sessions.last_sizes.iter().map(|(_, n)| *n as u64).sum();
                self.fairness.session(at, first, len);
                self.report.sessions.0 += 1;
                self.report.sessions.1 = self.report.sessions.1.max(len);
            }
        }
        let seat = m.seat_status();
        let disk_entries = node.disk().entries().to_vec();
        let disk_snapshot = node.disk().snapshot().map(|s| s.meta);
        self.applied.insert(id, (last.min(status.applied), ch));
        if let Some(meta) = restored {
            let chain = self
                .canon
                .chains
                .get(&(district, meta.index))
                .copied()
                .unwrap_or_default();
            self.observe_district(
                district,
                &Observation::Restored {
                    node: id,
                    at,
                    meta,
                    removed: &[],
                    chain,
                },
            );
        }
        for (e, chain) in &applied_obs {
            self.observe_district(
                district,
                &Observation::Applied {
                    node: id,
                    at,
                    term: status.term,
                    entry: e,
                    chain: *chain,
                },
            );
        }
        self.observe_district(
            district,
            &Observation::State {
                node: id,
                at,
                status: &status,
                log: LogView {
                    snapshot: disk_snapshot,
                    entries: &disk_entries,
                },
                lease_end,
            },
        );
        if let Some(incarnation) = hosting {
            self.observe_seat(&SeatObservation::Hosting {
                node: id,
                district,
                at,
                incarnation,
            });
        }
        if let Some(s) = seat
            && s.role == Role::Leader
        {
            self.observe_seat(&SeatObservation::PrimeMinister {
                node: id,
                district,
                at,
                term: s.term,
            });
        }
        self.commons_commit = self.commons_commit.max(record.commit());
        self.observe_seat(&SeatObservation::Record {
            node: id,
            district,
            at,
            record: &record,
        });
    }

    fn member_event(&mut self, id: NodeId, district: DistrictId, at: Time, e: Event) {
        match e {
            Event::CriticalEnacted { decree, index } => {
                self.decided.insert((decree, index, true));
                // Judged once this look has read the member's log (after_member).
                self.enacted_pending.push((id, at, decree, index));
            }
            Event::CriticalRejected { decree, index, .. } => {
                self.decided.insert((decree, index, false));
            }
            Event::HandOver { group, term, to } => {
                self.hand_overs.started(group, term, to, district);
            }
            Event::HandOverAbandoned { group, to, .. } => {
                self.hand_overs.abandoned(group, to);
            }
            Event::Role { group, change } => {
                self.disturbed = at;
                if change.role == Role::Leader {
                    let leader = if group == COMMONS {
                        district.seat()
                    } else {
                        id
                    };
                    self.hand_overs.leader(group, change.term, leader);
                }
                if group == COMMONS {
                    if change.role == Role::Leader {
                        self.observe_seat(&SeatObservation::PrimeMinister {
                            node: id,
                            district,
                            at,
                            term: change.term,
                        });
                    }
                } else {
                    self.observe_district(
                        district,
                        &Observation::RoleChanged {
                            node: id,
                            at,
                            change,
                        },
                    );
                }
            }
            Event::Applied {
                group,
                index,
                term,
                response,
            } => {
                if group == COMMONS {
                    self.observe_seat(&SeatObservation::GlobalApplied {
                        node: id,
                        at,
                        index,
                        term,
                    });
                }
                if let Some((scope, value)) = self.proposals.get(&(group, index, term)) {
                    self.committed[*scope].insert(value.clone());
                }
                let client = self.pending.iter().find_map(|(c, p)| match p.waiting {
                    Waiting::Write {
                        member,
                        group: g,
                        index: i,
                        ..
                    } if member == id && g == group && i == index => Some(*c),
                    _ => None,
                });
                let Some(client) = client else { return };
                let Some(p) = self.pending.get(&client).cloned() else {
                    return;
                };
                let Waiting::Write { term: t, .. } = p.waiting else {
                    return;
                };
                if t == term {
                    self.observe_seat(&SeatObservation::Acknowledged {
                        at,
                        scope: &self.scope_names[p.scope].clone(),
                        key: &p.key,
                        value: &p.value,
                        revision: response.revision.0,
                    });
                    self.complete(client, Response::Written { index });
                } else {
                    self.complete(
                        client,
                        Response::Failed {
                            reason: format!("another entry of {term} committed at {index}"),
                        },
                    );
                }
            }
            Event::GlobalApplied {
                ticket,
                mine,
                index,
                term,
                response,
            } => {
                self.observe_seat(&SeatObservation::GlobalApplied {
                    node: id,
                    at,
                    index,
                    term,
                });
                if let Some((scope, value)) = self.tickets.get(&ticket) {
                    self.committed[*scope].insert(value.clone());
                }
                self.fairness.applied(ticket, index, &mut self.violations);
                if !mine {
                    return;
                }
                let client = self.pending.iter().find_map(|(c, p)| match p.waiting {
                    Waiting::Global { ticket: t } if t == ticket => Some(*c),
                    _ => None,
                });
                let Some(client) = client else { return };
                let Some(p) = self.pending.get(&client).cloned() else {
                    return;
                };
                self.observe_seat(&SeatObservation::Acknowledged {
                    at,
                    scope: &self.scope_names[p.scope].clone(),
                    key: &p.key,
                    value: &p.value,
                    revision: response.revision.0,
                });
                self.complete(client, Response::Written { index });
            }
            Event::GlobalRefused { ticket, .. } => {
                // A duplicated message may have carried the write on elsewhere, so a
                // refusal leaves the outcome unknown, as a timeout does.
                let client = self.pending.iter().find_map(|(c, p)| match p.waiting {
                    Waiting::Global { ticket: t } if t == ticket => Some(*c),
                    _ => None,
                });
                if let Some(client) = client {
                    self.pending.remove(&client);
                    self.next_issue(client);
                }
            }
            Event::ReadReady { id: rid } | Event::ReadFailed { id: rid, .. } => {
                let client = self.pending.iter().find_map(|(c, p)| match p.waiting {
                    Waiting::Read { member, id: r } if member == id && r == rid => Some(*c),
                    _ => None,
                });
                let Some(client) = client else { return };
                let Some(p) = self.pending.get(&client).cloned() else {
                    return;
                };
                let response = match e {
                    Event::ReadReady { .. } if !self.world.is_up(id) => {
                        // Ready before a later persist of the same call crashed the
                        // member: it died before it could serve the read.
                        return;
                    }
                    Event::ReadReady { .. } => {
                        let key = Key::new(p.key.clone()).ok();
                        let value = key
                            .and_then(|k| {
                                self.world
                                    .node(id)
                                    .and_then(MemberNode::member)
                                    .and_then(|m| m.get(&self.scopes[p.scope], &k).ok())
                            })
                            .and_then(|r| r.value)
                            .map(|v| v.value.to_vec());
                        Response::Value { value }
                    }
                    _ => Response::Failed {
                        reason: "read failed".to_owned(),
                    },
                };
                self.complete(client, response);
            }
        }
    }

    // ----- the end -----------------------------------------------------------------------

    /// At quiescence every member of a district has applied the same district log, so
    /// ranks from the same table (docs/protocol.md#111-publishing-reputation).
    fn check_reputation(&mut self) {
        let mut tables = Vec::new();
        for id in self.world.ids() {
            if let Some(m) = self.world.node(id).and_then(MemberNode::member) {
                tables.push((id, m.district(), m.reputation().cloned()));
            }
        }
        for why in disagreeing_tables(&tables) {
            self.push("reputation-agreement", None, why);
        }
    }

    fn final_reads(&mut self) {
        let at = self.world.now();
        let keys: Vec<(String, String)> = self
            .present
            .keys()
            .map(|(s, k)| (s.to_owned(), k.to_owned()))
            .collect();
        for (scope_name, key) in keys {
            let Some(si) = self.scope_names.iter().position(|s| *s == scope_name) else {
                continue;
            };
            let scope = self.scopes[si].clone();
            let Ok(k) = Key::new(key.clone()) else {
                continue;
            };
            for id in self.world.ids() {
                let Some(m) = self.world.node(id).and_then(MemberNode::member) else {
                    continue;
                };
                let owns = si >= self.opts.sizes.len() || m.district().0 == si as u64;
                if !owns {
                    continue;
                }
                let read = m.get(&scope, &k).ok().and_then(|r| r.value);
                let read = read
                    .as_ref()
                    .map(|v| (v.meta.mod_revision.0, v.value.to_vec()));
                let obs = SeatObservation::FinalRead {
                    node: id,
                    at,
                    scope: &scope_name,
                    key: &key,
                    read: read.as_ref().map(|(r, v)| (*r, v.as_slice())),
                };
                self.present.observe(&obs, &mut self.violations);
            }
        }
    }

    fn check_histories(&mut self) {
        let mut passed = 0;
        for (i, h) in self.histories.iter().enumerate() {
            let ops = h.to_kv_ops(&self.committed[i]);
            let outcome = check(&KvModel::new(), &ops, &CheckOptions::default());
            if outcome.is_linearizable() {
                passed += 1;
            } else {
                self.report
                    .history_problems
                    .push(format!("{}: {outcome}", self.scope_names[i]));
            }
        }
        self.report.histories = (self.histories.len(), passed);
        let problems = self.report.history_problems.clone();
        for p in problems {
            self.push("linearizability", None, p);
        }
    }

    /// The report, with the run's figures.
    #[must_use]
    pub fn into_report(mut self) -> ParliamentReport {
        let mut r = std::mem::take(&mut self.report);
        r.violations = self.violations;
        r.trace_hash = self.world.trace().value();
        r.events = self.world.trace().events();
        r.virtual_time = Duration::from_millis(self.world.now().0);
        r.net = self.world.network().stats;
        r.crashes = self.world.crashes();
        r.commons_commit = self.commons_commit.0;
        r.tables = self.tables.len() as u64;
        let (mut taken, mut installed) = (0, 0);
        for id in self.changes.all_ids() {
            if let Some(n) = self.world.node(id) {
                taken += n.stats().snapshots_taken;
                installed += n.stats().snapshots_installed;
            }
        }
        r.snapshots = (taken, installed, self.canon.installs);
        r.disk_faults_armed = self.world.disk_faults_armed();
        r.roster_changes = self.changes.counts();
        for id in self.changes.all_ids() {
            if let Some(n) = self.world.node(id) {
                r.disk_faults.add(n.disk_faults());
            }
        }
        r.hand_overs = std::mem::take(&mut self.hand_overs);
        let passed = self.decided.iter().filter(|(_, _, p)| *p).count() as u64;
        r.critical = (
            self.amendments,
            passed,
            self.decided.len() as u64 - passed,
            self.critical.checked,
        );
        r.lords_sets = self.lords_sets.len() as u64;
        r.lord_rotations = self.lords_terms.rotations();
        r.lord_seatings_refused = self.lords_terms.refused();
        r.lords_terms_checked = self.lords_terms.checked;
        let (judged, worst) = self.fairness.figures();
        r.fairness = (judged, worst, self.fairness.bound());
        for h in &self.histories {
            let t = h.tally();
            r.ops = (r.ops.0 + t.0, r.ops.1 + t.1, r.ops.2 + t.2, r.ops.3 + t.3);
        }
        for id in self.world.ids() {
            let Some(node) = self.world.node(id) else {
                continue;
            };
            let s = node.stats();
            let fan = (s.peers.len(), s.district + s.commons + s.session);
            let m = node.member();
            let slot = if m.is_some_and(parliament_engine::westminster::Member::is_prime_minister) {
                &mut r.pm_fan_out
            } else if m.is_some_and(|m| m.seat_incarnation().is_some()) {
                &mut r.representative_fan_out
            } else {
                &mut r.member_fan_out
            };
            *slot = (slot.0.max(fan.0), slot.1.max(fan.1));
        }
        r
    }
}

#[cfg(test)]
mod disk_faults;
mod roster_changes;

use roster_changes::RosterChanges;

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use parliament_engine::westminster::reputation::Score;

    use super::*;

    fn table(publisher: u64, index: u64) -> Option<ReputationTable> {
        let mut t = ReputationTable::new(NodeId(publisher), LogIndex(index), Time(0));
        t.insert(NodeId(publisher), Score::MAX, Duration::ZERO);
        Some(t)
    }

    #[test]
    fn the_reputation_check_flags_a_member_ranking_from_another_table() {
        let d0 = DistrictId(0);
        let d1 = DistrictId(1);
        let agreeing = [
            (NodeId(1), d0, table(1, 9)),
            (NodeId(2), d0, table(1, 9)),
            (NodeId(3), d1, None),
            (NodeId(4), d1, None),
        ];
        assert!(disagreeing_tables(&agreeing).is_empty());
        let planted = [
            (NodeId(1), d0, table(1, 9)),
            (NodeId(2), d0, table(1, 7)),
            (NodeId(3), d1, table(3, 2)),
            (NodeId(4), d1, None),
        ];
        let found = disagreeing_tables(&planted);
        assert_eq!(found.len(), 2, "{found:?}");
        assert!(found[0].starts_with("member n2 of d0"), "{found:?}");
        assert!(found[1].starts_with("member n4 of d1"), "{found:?}");
    }
}
