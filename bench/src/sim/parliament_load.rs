//! The global-write workload through a whole parliament in the simulator:
//! [`run_parliament_load`]. Clients submit global writes at random members (any member
//! takes one: docs/protocol.md §9.6) and are answered by the origin's `GlobalApplied`.

use std::collections::{BTreeMap, BTreeSet};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use parliament_engine::state::{Command, DistrictName, Key, Scope, Write};
use parliament_engine::westminster::{
    DistrictId, DistrictRoster, Event, MemberConfig, Roster, Ticket,
};
use parliament_engine::{NodeId, Time};
use parliament_tests::sim::parliament::ParliamentOptions;
use parliament_tests::sim::{FaultSet, MemberNode, Step, World};

use crate::sim::counted::Counted;
use crate::sim::load::{
    CLIENT_TIMEOUT, CONVENE_BOUND, Clients, LoadEvent, LoadOptions, LoadReport, THINK,
};

type ParliamentWorld = World<Counted<MemberNode>, LoadEvent>;

/// Districts `d0..` sharing `opts.members` as evenly as possible, members numbered from 1
/// in district order (as the simulator's parliament mode does).
///
/// # Errors
/// A topology the roster refuses.
pub fn roster(opts: &LoadOptions) -> anyhow::Result<Roster> {
    let mut next = 1u64;
    let mut districts = Vec::new();
    for (d, size) in ParliamentOptions::spread(opts.districts, opts.members)
        .into_iter()
        .enumerate()
    {
        let name = DistrictName::new(format!("d{d}")).context("district name")?;
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
    Roster::new(districts, None).context("roster")
}

/// A booted parliament in a calm world, not yet convened.
///
/// # Errors
/// A topology the roster refuses.
pub fn boot(opts: &LoadOptions) -> anyhow::Result<ParliamentWorld> {
    let roster = roster(opts)?;
    let nodes = roster
        .members()
        .map(|id| {
            let config = MemberConfig::new(id, roster.clone(), opts.seed ^ id.0);
            (id, Counted::new(MemberNode::new(config)))
        })
        .collect();
    let mut world = World::new(opts.seed, nodes, FaultSet::none(), 0, 10);
    world.boot();
    Ok(world)
}

/// A Prime Minister exists and every district's seat is hosted.
#[must_use]
pub fn convened(world: &ParliamentWorld, districts: usize) -> Option<NodeId> {
    let mut hosted = BTreeSet::new();
    let mut pm = None;
    for id in world.ids() {
        if let Some(m) = world.node(id).and_then(|n| n.inner.member())
            && m.seat_incarnation().is_some()
        {
            hosted.insert(m.district());
            if m.is_prime_minister() {
                pm = Some(id);
            }
        }
    }
    pm.filter(|_| hosted.len() == districts)
}

/// Steps `world` until it convenes; returns the virtual time that took and the Prime
/// Minister. Drops what members keep for checkers (persist records, events) as it goes.
///
/// # Errors
/// Not convened within [`CONVENE_BOUND`].
pub fn convene(
    world: &mut ParliamentWorld,
    districts: usize,
) -> anyhow::Result<(Duration, NodeId)> {
    let start = world.now();
    let mut next_look = start;
    loop {
        if world.now() >= next_look {
            if let Some(pm) = convened(world, districts) {
                return Ok((Duration::from_millis(world.now().0 - start.0), pm));
            }
            next_look = world.now() + Duration::from_millis(10);
        }
        if world.now() > start + CONVENE_BOUND {
            bail!("no Prime Minister and every representative within {CONVENE_BOUND:?}");
        }
        match world.step() {
            Some(Step::Member(id) | Step::Restarted(id)) => {
                if let Some(n) = world.node_mut(id) {
                    n.inner.take_persists();
                    n.inner.take_events();
                    n.inner.take_contract();
                }
            }
            Some(_) => {}
            None => bail!("the world ran out of events"),
        }
    }
}

struct Run {
    world: ParliamentWorld,
    clients: Clients,
    tickets: BTreeMap<Ticket, u32>,
    value_bytes: usize,
    next_value: u64,
}

impl Run {
    fn issue(&mut self, client: u32) {
        let ids = self.world.ids();
        let origin = ids[self.world.rng().below(ids.len() as u64) as usize];
        self.next_value += 1;
        let mut value = format!("v{}-", self.next_value).into_bytes();
        value.resize(self.value_bytes.max(value.len()), b'.');
        let Ok(key) = Key::new(format!("k{client}")) else {
            return;
        };
        let cmd: Command = Write::put(Scope::Global, key, value).into();
        let result = self.world.act(origin, |node, now, out| {
            node.counting(out, |n, o| {
                let r = n.member_mut().map(|m| m.submit_global(now, &cmd));
                n.drain(o);
                r
            })
        });
        self.clients.touched.push(origin);
        match result.flatten() {
            Some(Ok(ticket)) => {
                let op = self.clients.submitted(client, self.world.now());
                self.tickets.insert(ticket, client);
                self.world
                    .schedule(CLIENT_TIMEOUT, LoadEvent::Timeout { client, op });
            }
            _ => self.world.schedule(THINK, LoadEvent::Issue { client }),
        }
    }

    fn look(&mut self, id: NodeId) {
        let at = self.world.now();
        let Some(node) = self.world.node_mut(id) else {
            return;
        };
        node.inner.take_persists();
        node.inner.take_contract();
        for e in node.inner.take_events() {
            match e {
                Event::GlobalApplied {
                    ticket, mine: true, ..
                } => {
                    if let Some(client) = self.tickets.remove(&ticket)
                        && self.clients.answered(client, at)
                    {
                        self.world.schedule(THINK, LoadEvent::Issue { client });
                    }
                }
                Event::GlobalRefused { ticket, .. } => {
                    if let Some(client) = self.tickets.remove(&ticket)
                        && self.clients.give_up(client, None)
                    {
                        self.world.schedule(THINK, LoadEvent::Issue { client });
                    }
                }
                _ => {}
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
                    self.tickets.retain(|_, c| *c != client);
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

/// Boots and convenes a parliament, runs the clients for the warm-up, then measures a
/// window of `opts.commits` acknowledged global writes.
///
/// # Errors
/// The parliament did not convene, or the world ran dry.
pub fn run_parliament_load(opts: &LoadOptions) -> anyhow::Result<LoadReport> {
    let wall = Instant::now();
    let mut world = boot(opts)?;
    let (convened_after, _) = convene(&mut world, opts.districts)?;
    for client in 0..opts.clients {
        world.schedule(
            Duration::from_millis(u64::from(client % 10)),
            LoadEvent::Issue { client },
        );
    }
    let mut run = Run {
        world,
        clients: Clients::default(),
        tickets: BTreeMap::new(),
        value_bytes: opts.value_bytes,
        next_value: 0,
    };
    let warm_until = run.world.now() + opts.warmup;
    while run.world.now() < warm_until {
        if !run.step() {
            bail!("the world ran out of events in the warm-up");
        }
    }
    let from = run.world.now();
    run.clients.window_from = Some(from);
    for id in run.world.ids() {
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
    let end: Time = run.world.now();
    let pm = convened(&run.world, opts.districts);
    let mut report = LoadReport {
        convened: Some(convened_after),
        latencies: std::mem::take(&mut run.clients.latencies),
        window: Duration::from_millis(end.0 - from.0),
        lost: run.clients.lost,
        ..LoadReport::default()
    };
    if let Some(n) = pm.and_then(|pm| run.world.node(pm)) {
        report.leader = n.sent.clone();
    }
    let ids = run.world.ids();
    report.add_senders(
        ids.iter()
            .filter_map(|&id| run.world.node(id).map(|n| &n.sent)),
    );
    report.wall = wall.elapsed();
    Ok(report)
}
