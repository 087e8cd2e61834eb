//! The same global-write workload through one flat group of the same engine, every
//! member a voter, majority quorum: [`run_flat_load`]. Clients propose at the leader
//! directly (the flat group has no forwarding, so this spares it the hop a client at
//! a random member would need).

use std::time::{Duration, Instant};

use anyhow::bail;
use parliament_engine::engine::{Config, Role};
use parliament_engine::{GroupId, NodeId, Term};
use parliament_tests::sim::{
    Command, FaultSet, ReplicaNode, ReplyOutcome, RequestTag, Step, World,
};

use crate::sim::counted::Counted;
use crate::sim::load::{
    CLIENT_TIMEOUT, CONVENE_BOUND, Clients, LoadEvent, LoadOptions, LoadReport, THINK,
};

type FlatWorld = World<Counted<ReplicaNode>, LoadEvent>;

/// The group's one id.
const GROUP: GroupId = GroupId(1);

/// The member that leads in the newest term, if it has committed in that term.
fn leader(world: &FlatWorld) -> Option<NodeId> {
    let mut best: Option<(Term, NodeId)> = None;
    for id in world.ids() {
        if let Some(s) = world.node(id).and_then(|n| n.inner.status())
            && s.role == Role::Leader
            && s.commit.0 > 0
            && best.is_none_or(|(t, _)| s.term > t)
        {
            best = Some((s.term, id));
        }
    }
    best.map(|(_, id)| id)
}

struct Run {
    world: FlatWorld,
    clients: Clients,
    leader: Option<NodeId>,
    payload_bytes: usize,
    next_value: u64,
}

impl Run {
    fn issue(&mut self, client: u32) {
        let Some(at) = self.leader.or_else(|| leader(&self.world)) else {
            self.world.schedule(THINK, LoadEvent::Issue { client });
            return;
        };
        self.next_value += 1;
        let key = format!("k{client}");
        let mut value = format!("v{}-", self.next_value).into_bytes();
        // The same entry payload as Parliament's encoded global write.
        value.resize(
            self.payload_bytes
                .saturating_sub(key.len() + 1)
                .max(value.len()),
            b'.',
        );
        let cmd = Command { key, value };
        let op = self.clients.submitted(client, self.world.now());
        let tag = RequestTag { client, op };
        let result = self.world.act(at, |node, now, out| {
            node.counting(out, |n, o| n.propose(now, tag, &cmd, o))
        });
        self.clients.touched.push(at);
        if let Some(Ok(_)) = result {
            self.world
                .schedule(CLIENT_TIMEOUT, LoadEvent::Timeout { client, op });
        } else {
            self.clients.give_up(client, Some(op));
            self.leader = None;
            self.world.schedule(THINK, LoadEvent::Issue { client });
        }
    }

    fn look(&mut self, id: NodeId) {
        let at = self.world.now();
        let Some(node) = self.world.node_mut(id) else {
            return;
        };
        node.inner.take_facts();
        for reply in node.inner.take_replies() {
            let RequestTag { client, op } = reply.tag;
            let done = match reply.outcome {
                ReplyOutcome::Written { .. } => self.clients.answered(client, at),
                _ => self.clients.give_up(client, Some(op)),
            };
            if done {
                self.world.schedule(THINK, LoadEvent::Issue { client });
            }
        }
    }

    fn step(&mut self) -> bool {
        let Some(step) = self.world.step() else {
            return false;
        };
        match step {
            Step::Member(id) | Step::Restarted(id) => self.look(id),
            Step::App(LoadEvent::Issue { client }) => self.issue(client),
            Step::App(LoadEvent::Timeout { client, op }) => {
                if self.clients.give_up(client, Some(op)) {
                    self.leader = None;
                    self.issue(client);
                }
            }
            Step::Crashed(_) | Step::Quiet => {}
        }
        for id in std::mem::take(&mut self.clients.touched) {
            self.look(id);
        }
        true
    }
}

/// Boots a flat group of `opts.members` voters with the engine's default (district)
/// timings, waits for a leader, runs the clients for the warm-up, then measures a window
/// of `opts.commits` acknowledged writes. `payload_bytes` is the entry payload size, set
/// to that of Parliament's encoded global write.
///
/// # Errors
/// No leader within the bound, or the world ran dry.
pub fn run_flat_load(opts: &LoadOptions, payload_bytes: usize) -> anyhow::Result<LoadReport> {
    let wall = Instant::now();
    let ids: Vec<NodeId> = (1..=opts.members as u64).map(NodeId).collect();
    let nodes = ids
        .iter()
        .map(|&id| {
            let mut c = Config::new(id, GROUP, ids.iter().copied());
            c.seed = opts.seed ^ id.0;
            // No compaction: Parliament's members do not compact either.
            Ok((id, Counted::new(ReplicaNode::new(c, 0)?)))
        })
        .collect::<anyhow::Result<Vec<_>>>()?;
    let mut world: FlatWorld = World::new(opts.seed, nodes, FaultSet::none(), 0, 10);
    world.boot();
    let mut run = Run {
        world,
        clients: Clients::default(),
        leader: None,
        payload_bytes,
        next_value: 0,
    };
    let start = run.world.now();
    let mut next_look = start;
    let convened = loop {
        if run.world.now() >= next_look {
            if let Some(l) = leader(&run.world) {
                run.leader = Some(l);
                break Duration::from_millis(run.world.now().0 - start.0);
            }
            next_look = run.world.now() + Duration::from_millis(10);
        }
        if run.world.now() > start + CONVENE_BOUND {
            bail!(
                "no leader among {} members within {CONVENE_BOUND:?}",
                opts.members
            );
        }
        if !run.step() {
            bail!("the world ran out of events");
        }
    };
    for client in 0..opts.clients {
        run.world.schedule(
            Duration::from_millis(u64::from(client % 10)),
            LoadEvent::Issue { client },
        );
    }
    let warm_until = run.world.now() + opts.warmup;
    while run.world.now() < warm_until {
        if !run.step() {
            bail!("the world ran out of events in the warm-up");
        }
    }
    let from = run.world.now();
    run.clients.window_from = Some(from);
    for &id in &ids {
        if let Some(n) = run.world.node_mut(id) {
            n.reset();
        }
    }
    let until = from + opts.max_window;
    while (run.clients.latencies.len() as u64) < opts.commits && run.world.now() < until {
        if !run.step() {
            bail!("the world ran out of events in the window");
        }
    }
    let end = run.world.now();
    let mut report = LoadReport {
        convened: Some(convened),
        latencies: std::mem::take(&mut run.clients.latencies),
        window: Duration::from_millis(end.0 - from.0),
        lost: run.clients.lost,
        ..LoadReport::default()
    };
    if let Some(n) = leader(&run.world).and_then(|l| run.world.node(l)) {
        report.leader = n.sent.clone();
    }
    report.add_senders(
        ids.iter()
            .filter_map(|&id| run.world.node(id).map(|n| &n.sent)),
    );
    report.wall = wall.elapsed();
    Ok(report)
}
