//! The world: virtual time, the event queue, the network, members' clocks, crashes (the
//! nemesis's, and a node's own when a disk fault fires) and the nemesis, for any kind of
//! [`Node`].
//!
//! Single-threaded and deterministic: one [`SimRng`] makes every random choice, events
//! run in `(time, sequence)` order, and every event is folded into a [`TraceHash`].

use std::collections::VecDeque;
use std::time::Duration;

use parliament_engine::{NodeId, Time};

use crate::sim::{Event, Step};

use crate::sim::{
    Clock, ClusterView, Conditions, Digest, DiskFault, EventQueue, Fault, FaultAction, FaultSet,
    MemberView, Nemesis, Network, Node, Outbox, SimRng, TraceHash,
};

/// How many recently delivered messages a member remembers, to replay stale copies of
/// them after it restarts.
const INBOX_MEMORY: usize = 32;

#[derive(Debug)]
struct Member<N: Node> {
    id: NodeId,
    node: N,
    clock: Clock,
    up: bool,
    /// How many times it has crashed.
    crashes: u64,
    inbox: VecDeque<(NodeId, N::Message)>,
    /// How long it stays down when its armed disk fault fires.
    disk_down: Option<Duration>,
    /// Not part of the cluster (yet, or any more): down, never restarted by the nemesis
    /// or the heal, left out of [`World::ids`] and of the nemesis's view.
    parked: bool,
}

/// The simulated cluster.
#[derive(Debug)]
pub struct World<N: Node, A> {
    now: Time,
    queue: EventQueue<Event<N::Message, A>>,
    rng: SimRng,
    net: Network,
    members: Vec<Member<N>>,
    nemesis: Nemesis,
    chaos: bool,
    faults: FaultSet,
    max_skew_ppm: i64,
    tick_ms: u64,
    trace: TraceHash,
    crashes: u64,
    /// Disk faults armed so far.
    disk_armed: u64,
    /// Members whose disk fault fired since the last [`World::take_stopped`].
    stopped: Vec<NodeId>,
    /// The latest arrival scheduled for any message so far.
    last_arrival: Time,
}

impl<N: Node, A: Digest> World<N, A> {
    /// A world of `nodes`, not yet started, with calm network, randomness from `seed`, and
    /// (when `faults` has [`Fault::Drift`]) clocks skewed by up to `max_skew_ppm`. Start
    /// the members with [`World::boot`] and the faults with [`World::start_chaos`].
    pub fn new(
        seed: u64,
        nodes: Vec<(NodeId, N)>,
        faults: FaultSet,
        max_skew_ppm: i64,
        tick_ms: u64,
    ) -> Self {
        let mut rng = SimRng::new(seed);
        let mut queue = EventQueue::new();
        let tick_ms = tick_ms.max(1);
        let members = nodes
            .into_iter()
            .map(|(id, node)| {
                let clock = if faults.has(Fault::Drift) {
                    let skew = rng.between(0, 2 * max_skew_ppm.unsigned_abs());
                    let skew = i64::try_from(skew).unwrap_or(0) - max_skew_ppm.abs();
                    Clock::new(rng.between(0, 100_000), skew)
                } else {
                    Clock::default()
                };
                queue.push(Time(rng.between(0, tick_ms)), Event::Tick(id));
                Member {
                    id,
                    node,
                    clock,
                    up: false,
                    crashes: 0,
                    inbox: VecDeque::new(),
                    disk_down: None,
                    parked: false,
                }
            })
            .collect();
        World {
            now: Time(0),
            queue,
            rng,
            net: Network::new(Conditions::calm()),
            members,
            nemesis: Nemesis::new(faults),
            chaos: false,
            faults,
            max_skew_ppm,
            tick_ms,
            trace: TraceHash::new(),
            crashes: 0,
            disk_armed: 0,
            stopped: Vec::new(),
            last_arrival: Time(0),
        }
    }

    // ----- looking ---------------------------------------------------------------------

    /// Global virtual time.
    #[must_use]
    pub fn now(&self) -> Time {
        self.now
    }

    /// The run's random source (for the scenario's own choices).
    pub fn rng(&mut self) -> &mut SimRng {
        &mut self.rng
    }

    /// The members' ids, in order.
    #[must_use]
    pub fn ids(&self) -> Vec<NodeId> {
        self.members
            .iter()
            .filter(|m| !m.parked)
            .map(|m| m.id)
            .collect()
    }

    /// Whether `id` is parked ([`World::park`]).
    #[must_use]
    pub fn is_parked(&self, id: NodeId) -> bool {
        self.member(id).is_some_and(|m| m.parked)
    }

    /// A member's node, whether up or down.
    #[must_use]
    pub fn node(&self, id: NodeId) -> Option<&N> {
        self.member(id).map(|m| &m.node)
    }

    /// Whether `id` is running.
    #[must_use]
    pub fn is_up(&self, id: NodeId) -> bool {
        self.member(id).is_some_and(|m| m.up)
    }

    /// A member's clock.
    #[must_use]
    pub fn clock(&self, id: NodeId) -> Option<Clock> {
        self.member(id).map(|m| m.clock)
    }

    /// `id`'s local time now.
    #[must_use]
    pub fn local_now(&self, id: NodeId) -> Time {
        self.member(id)
            .map_or(self.now, |m| m.clock.local(self.now))
    }

    /// The network (for reports).
    #[must_use]
    pub fn network(&self) -> &Network {
        &self.net
    }

    /// The network, to script faults by hand in directed scenarios.
    pub fn network_mut(&mut self) -> &mut Network {
        &mut self.net
    }

    /// The trace so far.
    #[must_use]
    pub fn trace(&self) -> TraceHash {
        self.trace
    }

    /// When the last message sent so far will have arrived: after a heal, the network
    /// carries nothing from the chaos once this time has passed.
    #[must_use]
    pub fn last_arrival(&self) -> Time {
        self.last_arrival
    }

    /// Whether the nemesis is running.
    #[must_use]
    pub fn chaos(&self) -> bool {
        self.chaos
    }

    /// Crashes so far, disk faults that fired included.
    #[must_use]
    pub fn crashes(&self) -> u64 {
        self.crashes
    }

    /// Disk faults armed so far (each fires at a later persist, unless a crash or the
    /// heal disarms it first).
    #[must_use]
    pub fn disk_faults_armed(&self) -> u64 {
        self.disk_armed
    }

    /// Members that crashed during a persist since the last call, in order: the
    /// scenario shows the checkers what they did before (the call that crashed them
    /// may have persisted, sent and reported earlier `Ready`s), then the crash.
    pub fn take_stopped(&mut self) -> Vec<NodeId> {
        std::mem::take(&mut self.stopped)
    }

    /// When the next event is due.
    #[must_use]
    pub fn next_time(&self) -> Option<Time> {
        self.queue.peek_time()
    }

    fn member(&self, id: NodeId) -> Option<&Member<N>> {
        self.members.iter().find(|m| m.id == id)
    }

    fn index(&self, id: NodeId) -> Option<usize> {
        self.members.iter().position(|m| m.id == id)
    }

    // ----- doing -----------------------------------------------------------------------

    /// Schedules a scenario event `after` from now.
    pub fn schedule(&mut self, after: Duration, event: A) {
        let at = self.now + after;
        self.queue.push(at, Event::App(event));
    }

    /// Runs `f` on a member that is up, with its local time and an outbox whose messages
    /// are then sent. `None` when the member is down (the call never reaches it).
    pub fn act<R>(
        &mut self,
        id: NodeId,
        f: impl FnOnce(&mut N, Time, &mut Outbox<N::Message>) -> R,
    ) -> Option<R> {
        let i = self.index(id)?;
        let now = self.now;
        let m = &mut self.members[i];
        if !m.up {
            return None;
        }
        let mut out = Outbox::new();
        let r = f(&mut m.node, m.clock.local(now), &mut out);
        self.route(id, &mut out);
        self.settle(i);
        Some(r)
    }

    /// Arms a crash during one of `id`'s next persists (see [`Node::arm_disk_fault`]);
    /// when it fires the member is down like after [`World::crash`], and restarts
    /// `restart_after` later while the chaos lasts. False if `id` is down.
    pub fn arm_disk_fault(
        &mut self,
        id: NodeId,
        fault: DiskFault,
        restart_after: Duration,
    ) -> bool {
        let Some(i) = self.index(id) else {
            return false;
        };
        let m = &mut self.members[i];
        if !m.up {
            return false;
        }
        m.node.arm_disk_fault(Some(fault));
        m.disk_down = Some(restart_after);
        self.disk_armed += 1;
        tracing::debug!(at = %self.now, node = %id, ?fault, ?restart_after, "disk fault armed");
        true
    }

    /// After a member ran: if its disk fault fired, it is down now.
    fn settle(&mut self, i: usize) {
        let m = &mut self.members[i];
        if !m.up || !m.node.take_stopped() {
            return;
        }
        m.up = false;
        m.crashes += 1;
        let (id, crash, down) = (m.id, m.crashes, m.disk_down.take());
        self.crashes += 1;
        self.trace.write_str("stopped");
        id.digest(&mut self.trace);
        if let Some(after) = down {
            self.queue.push(self.now + after, Event::Restart(id, crash));
        }
        self.stopped.push(id);
        tracing::debug!(at = %self.now, node = %id, "crash during a persist");
    }

    /// Starts every member from its (empty) disk, as a restart. Returns their ids.
    pub fn boot(&mut self) -> Vec<NodeId> {
        let ids = self.ids();
        for &id in &ids {
            self.restart(id);
        }
        ids
    }

    /// A member's node, to drain its outputs. Inputs must go through [`World::act`], which
    /// passes the member's local time and sends what it outputs.
    pub fn node_mut(&mut self, id: NodeId) -> Option<&mut N> {
        let i = self.index(id)?;
        Some(&mut self.members[i].node)
    }

    /// Starts the nemesis (and with it the network faults).
    pub fn start_chaos(&mut self) {
        if !self.chaos {
            self.chaos = true;
            let after = self.nemesis.interval(&mut self.rng);
            self.queue.push(self.now + after, Event::Nemesis);
        }
    }

    /// Stops the nemesis and heals everything: partitions removed, network calm, disk
    /// faults disarmed, every crashed member restarted. Returns the members restarted.
    pub fn heal_all(&mut self) -> Vec<NodeId> {
        self.chaos = false;
        self.net.heal_all();
        self.net.set_conditions(Conditions::calm());
        for m in &mut self.members {
            if m.disk_down.take().is_some() {
                m.node.arm_disk_fault(None);
            }
        }
        let down: Vec<NodeId> = self
            .members
            .iter()
            .filter(|m| !m.up && !m.parked)
            .map(|m| m.id)
            .collect();
        for &id in &down {
            self.restart(id);
        }
        tracing::debug!(at = %self.now, restarted = down.len(), "healed");
        down
    }

    /// Crashes `id`: volatile state gone, disk kept, messages in flight to it dropped on
    /// arrival while it is down. Returns false if it was already down.
    pub fn crash(&mut self, id: NodeId) -> bool {
        let Some(i) = self.index(id) else {
            return false;
        };
        let m = &mut self.members[i];
        if !m.up {
            return false;
        }
        m.up = false;
        m.crashes += 1;
        m.disk_down = None;
        m.node.crash();
        self.crashes += 1;
        tracing::debug!(at = %self.now, node = %id, "crash");
        true
    }

    /// Takes `id` out of the cluster: a member not yet joined (before [`World::boot`]),
    /// or one that left (its process stopped for good, its disk discarded). It is down,
    /// receives nothing, and only [`World::unpark`] starts it.
    pub fn park(&mut self, id: NodeId) {
        let Some(i) = self.index(id) else {
            return;
        };
        let m = &mut self.members[i];
        m.parked = true;
        m.disk_down = None;
        m.node.arm_disk_fault(None);
        if m.up {
            m.up = false;
            m.node.crash();
            tracing::debug!(at = %self.now, node = %id, "parked");
        }
    }

    /// Brings a parked member into the cluster: it starts from its disk (empty, for one
    /// never started). False when it was not parked.
    pub fn unpark(&mut self, id: NodeId) -> bool {
        let Some(i) = self.index(id) else {
            return false;
        };
        if !self.members[i].parked {
            return false;
        }
        self.members[i].parked = false;
        self.restart(id)
    }

    /// Restarts a crashed member from its disk. During chaos with crashes enabled, a few
    /// messages it received before the crash are delivered to it again, stale. A parked
    /// member stays down.
    pub fn restart(&mut self, id: NodeId) -> bool {
        let Some(i) = self.index(id) else {
            return false;
        };
        if self.members[i].up || self.members[i].parked {
            return false;
        }
        if self.faults.has(Fault::Drift) {
            // A new process may read a monotonic clock with a different epoch.
            let skew = self.members[i].clock.skew_ppm;
            self.members[i].clock = Clock::new(self.rng.between(0, 100_000), skew);
        }
        let seed = self.rng.next_u64();
        let now = self.now;
        let m = &mut self.members[i];
        m.up = true;
        let mut out = Outbox::new();
        m.node.restart(m.clock.local(now), seed, &mut out);
        tracing::debug!(at = %now, node = %id, "restart");
        self.route(id, &mut out);
        self.settle(i);
        if self.chaos && self.faults.has(Fault::Crash) {
            let replays = self.rng.below(3);
            for _ in 0..replays {
                let m = &self.members[i];
                let n = m.inbox.len() as u64;
                if n == 0 {
                    break;
                }
                let pick = usize::try_from(self.rng.below(n)).unwrap_or(0);
                if let Some((from, msg)) = m.inbox.get(pick).cloned() {
                    let at = self.now + Duration::from_millis(self.rng.between(1, 50));
                    self.last_arrival = self.last_arrival.max(at);
                    self.queue.push(at, Event::Deliver { from, to: id, msg });
                }
            }
        }
        true
    }

    fn route(&mut self, from: NodeId, out: &mut Outbox<N::Message>) {
        for (to, msg) in out.drain() {
            let times = self.net.route(self.now, from, to, &mut self.rng);
            for at in times {
                self.last_arrival = self.last_arrival.max(at);
                self.queue.push(
                    at,
                    Event::Deliver {
                        from,
                        to,
                        msg: msg.clone(),
                    },
                );
            }
        }
    }

    fn view(&self) -> ClusterView {
        ClusterView {
            members: self
                .members
                .iter()
                .filter(|m| !m.parked)
                .map(|m| MemberView {
                    id: m.id,
                    up: m.up,
                    leads: m.up && m.node.leads(),
                })
                .collect(),
            conditions: self.net.conditions(),
        }
    }

    /// Runs the next event. `None` when nothing is scheduled.
    pub fn step(&mut self) -> Option<Step<A>> {
        let (at, _seq, event) = self.queue.pop()?;
        self.now = at;
        self.trace.event(at);
        let step = match event {
            Event::Tick(id) => {
                self.trace.write_str("tick");
                id.digest(&mut self.trace);
                let jitter = self.rng.between(self.tick_ms / 2, self.tick_ms * 3 / 2);
                self.queue
                    .push(at + Duration::from_millis(jitter), Event::Tick(id));
                match self.act(id, |node, now, out| node.tick(now, out)) {
                    Some(()) => Step::Member(id),
                    None => Step::Quiet,
                }
            }
            Event::Deliver { from, to, msg } => {
                self.trace.write_str("deliver");
                from.digest(&mut self.trace);
                to.digest(&mut self.trace);
                msg.digest(&mut self.trace);
                self.deliver(from, to, msg)
            }
            Event::Nemesis => {
                self.trace.write_str("nemesis");
                self.nemesis_acts()
            }
            Event::Heal(id) => {
                self.trace.write_str("heal");
                self.trace.write_u64(id);
                if let Some(p) = self.net.heal(id) {
                    tracing::debug!(at = %self.now, partition = %p.label, "partition healed");
                }
                Step::Quiet
            }
            Event::Restart(id, crash) => {
                self.trace.write_str("restart");
                id.digest(&mut self.trace);
                self.trace.write_u64(crash);
                // After the heal every member is up and stays up unless the scenario
                // crashes it; the nemesis's pending restarts no longer apply.
                let current = self.member(id).is_some_and(|m| m.crashes == crash);
                if self.chaos && current && self.restart(id) {
                    Step::Restarted(id)
                } else {
                    Step::Quiet
                }
            }
            Event::App(a) => {
                self.trace.write_str("app");
                a.digest(&mut self.trace);
                Step::App(a)
            }
        };
        Some(step)
    }

    fn deliver(&mut self, from: NodeId, to: NodeId, msg: N::Message) -> Step<A> {
        let Some(i) = self.index(to) else {
            return Step::Quiet;
        };
        if !self.members[i].up {
            self.net.stats.to_down += 1;
            return Step::Quiet;
        }
        if !self.net.arrives(from, to) {
            return Step::Quiet;
        }
        if self.faults.has(Fault::Crash) {
            let inbox = &mut self.members[i].inbox;
            if inbox.len() == INBOX_MEMORY {
                inbox.pop_front();
            }
            inbox.push_back((from, msg.clone()));
        }
        self.act(to, |node, now, out| node.receive(now, from, msg, out));
        Step::Member(to)
    }

    fn nemesis_acts(&mut self) -> Step<A> {
        if !self.chaos {
            return Step::Quiet;
        }
        let after = self.nemesis.interval(&mut self.rng);
        self.queue.push(self.now + after, Event::Nemesis);
        let view = self.view();
        let action = self.nemesis.plan(&mut self.rng, &view);
        match action {
            FaultAction::Conditions(c) => {
                tracing::debug!(at = %self.now, conditions = ?c, "network conditions");
                self.net.set_conditions(c);
                Step::Quiet
            }
            FaultAction::Partition {
                partition,
                heal_after,
            } => {
                tracing::debug!(at = %self.now, partition = %partition.label, ?heal_after, "partition");
                self.queue
                    .push(self.now + heal_after, Event::Heal(partition.id));
                self.net.partition(partition);
                Step::Quiet
            }
            FaultAction::Crash {
                node,
                restart_after,
            } => {
                if self.crash(node) {
                    let crash = self.member(node).map_or(0, |m| m.crashes);
                    self.queue
                        .push(self.now + restart_after, Event::Restart(node, crash));
                    Step::Crashed(node)
                } else {
                    Step::Quiet
                }
            }
            FaultAction::Disk {
                node,
                fault,
                restart_after,
            } => {
                self.arm_disk_fault(node, fault, restart_after);
                Step::Quiet
            }
            FaultAction::Nothing => Step::Quiet,
        }
    }

    /// The largest clock skew this world was built with.
    #[must_use]
    pub fn max_skew_ppm(&self) -> i64 {
        self.max_skew_ppm
    }
}
