//! A minimal deterministic harness: replicas, their "disks", and a message queue that
//! can drop traffic to or from cut-off members, or drop and duplicate chosen messages.
//! Each member's state machine is the list of commands it applied; its snapshot image
//! is that list, length-prefixed.

use std::collections::{BTreeSet, VecDeque};

use bytes::Bytes;

use crate::engine::{
    Config, Entry, Membership, Message, Payload, Persisted, ReadOutcome, Ready, Rejected, Replica,
    Role, Snapshot, SnapshotMeta,
};
use crate::types::{GroupId, LogIndex, NodeId, Time};

/// What the network does with one message.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Fate {
    Deliver,
    Drop,
    Duplicate,
}

type Intercept = Box<dyn FnMut(&Message) -> Fate>;

pub(super) struct Cluster {
    pub replicas: Vec<Replica>,
    pub disks: Vec<Persisted>,
    /// Commands restored from the last snapshot installed (or restarted from).
    pub restored: Vec<Vec<Bytes>>,
    /// Entries applied since.
    pub applied: Vec<Vec<Entry>>,
    /// Snapshots each member was handed in a `Ready`.
    pub installed: Vec<Vec<SnapshotMeta>>,
    /// Every message delivered, in order (for assertions about what travelled).
    pub delivered: Vec<Message>,
    /// Decides the fate of each message before delivery.
    pub intercept: Option<Intercept>,
    pub reads: Vec<Vec<ReadOutcome>>,
    pub queue: VecDeque<Message>,
    pub cut: BTreeSet<NodeId>,
    pub now: Time,
}

pub(super) fn config(id: u64, n: u64) -> Config {
    Config::new(NodeId(id), GroupId(7), (1..=n).map(NodeId))
}

impl Cluster {
    pub fn new(n: u64) -> Cluster {
        Cluster::with(n, |_| {})
    }

    pub fn with(n: u64, tweak: impl Fn(&mut Config)) -> Cluster {
        let replicas = (1..=n)
            .map(|id| {
                let mut c = config(id, n);
                tweak(&mut c);
                Replica::new(c, Persisted::default(), Time(0)).unwrap()
            })
            .collect();
        Cluster {
            replicas,
            disks: vec![Persisted::default(); n as usize],
            restored: vec![Vec::new(); n as usize],
            applied: vec![Vec::new(); n as usize],
            installed: vec![Vec::new(); n as usize],
            delivered: Vec::new(),
            intercept: None,
            reads: vec![Vec::new(); n as usize],
            queue: VecDeque::new(),
            cut: BTreeSet::new(),
            now: Time(0),
        }
    }

    /// Starts a new, empty member `id` (the next id after the existing ones) that knows
    /// the group's voters are `voters`; it waits to be added by a configuration entry.
    pub fn add(&mut self, id: u64, voters: &[u64], tweak: impl Fn(&mut Config)) {
        assert_eq!(
            id as usize,
            self.replicas.len() + 1,
            "members are numbered in order"
        );
        let mut c = Config::new(NodeId(id), GroupId(7), voters.iter().copied().map(NodeId));
        tweak(&mut c);
        self.replicas
            .push(Replica::new(c, Persisted::default(), self.now).unwrap());
        self.disks.push(Persisted::default());
        self.restored.push(Vec::new());
        self.applied.push(Vec::new());
        self.installed.push(Vec::new());
        self.reads.push(Vec::new());
    }

    pub fn node(&mut self, id: u64) -> &mut Replica {
        &mut self.replicas[id as usize - 1]
    }

    /// Applies a Ready as the contract says: persist (snapshot first), send, restore and
    /// apply, answer.
    fn handle(&mut self, i: usize, ready: Ready) {
        let disk = &mut self.disks[i];
        if let Some(snap) = &ready.snapshot {
            install(disk, snap.clone());
        }
        if let Some(hs) = ready.hard_state {
            disk.hard_state = hs;
        }
        if let Some(first) = ready.entries.first() {
            let disk_first = disk.entries.first().map_or(first.index, |e| e.index);
            let keep = first.index.0.saturating_sub(disk_first.0) as usize;
            disk.entries.truncate(keep);
            disk.entries.extend(ready.entries.iter().cloned());
        }
        self.queue.extend(ready.messages);
        if let Some(snap) = ready.snapshot {
            self.restored[i] = decode(&snap.data);
            self.applied[i].clear();
            self.installed[i].push(snap.meta);
        }
        self.applied[i].extend(ready.committed);
        self.reads[i].extend(ready.reads);
    }

    pub fn drain_ready(&mut self) {
        for i in 0..self.replicas.len() {
            while self.replicas[i].has_ready() {
                let r = self.replicas[i].take_ready();
                self.handle(i, r);
            }
        }
    }

    /// Delivers one message (subject to cuts and the intercept); false when none is queued.
    pub fn deliver_one(&mut self) -> bool {
        let Some(m) = self.queue.pop_front() else {
            return false;
        };
        if self.cut.contains(&m.from) || self.cut.contains(&m.to) {
            return true;
        }
        let fate = self.intercept.as_mut().map_or(Fate::Deliver, |f| f(&m));
        let copies = match fate {
            Fate::Deliver => 1,
            Fate::Drop => 0,
            Fate::Duplicate => 2,
        };
        let to = m.to.0 as usize - 1;
        for _ in 0..copies {
            self.delivered.push(m.clone());
            if to >= self.replicas.len() {
                continue; // a member not started yet
            }
            match self.replicas[to].step(self.now, m.clone()) {
                // A member removed from (or not yet added to) the recipient's configuration.
                Ok(()) | Err(Rejected::UnknownMember(_)) => {}
                Err(e) => panic!("{m:?} refused: {e}"),
            }
            self.drain_ready();
        }
        true
    }

    /// Delivers messages until the network is quiet.
    pub fn deliver_all(&mut self) {
        self.drain_ready();
        let mut budget = 100_000;
        while self.deliver_one() {
            budget -= 1;
            assert!(budget > 0, "message storm");
        }
    }

    /// Advances time by one 10 ms tick without delivering anything.
    pub fn tick_once(&mut self) {
        self.now = Time(self.now.0 + 10);
        let now = self.now;
        for r in &mut self.replicas {
            r.tick(now);
        }
        self.drain_ready();
    }

    /// Advances time in 10 ms ticks, delivering everything after each.
    pub fn run_for(&mut self, ms: u64) {
        let end = self.now.0 + ms;
        while self.now.0 < end {
            self.now = Time(self.now.0 + 10);
            let now = self.now;
            for r in &mut self.replicas {
                r.tick(now);
            }
            self.deliver_all();
        }
    }

    pub fn leaders(&self) -> Vec<u64> {
        self.replicas
            .iter()
            .filter(|r| r.status().role == Role::Leader)
            .map(|r| r.status().id.0)
            .collect()
    }

    /// Runs until exactly one leader exists (among members not cut off) and returns it.
    pub fn elect(&mut self) -> u64 {
        for _ in 0..1000 {
            self.run_for(10);
            let live: Vec<u64> = self
                .leaders()
                .into_iter()
                .filter(|id| !self.cut.contains(&NodeId(*id)))
                .collect();
            if live.len() == 1 {
                return live[0];
            }
        }
        panic!("no leader elected within 10 s of virtual time");
    }

    pub fn propose(&mut self, leader: u64, cmd: &'static str) -> LogIndex {
        let now = self.now;
        let (_, last) = self
            .node(leader)
            .propose(now, vec![Bytes::from_static(cmd.as_bytes())])
            .unwrap();
        self.deliver_all();
        last
    }

    /// The member's state machine: what it restored from a snapshot, then what it applied.
    pub fn applied_commands(&self, id: u64) -> Vec<Bytes> {
        let i = id as usize - 1;
        self.restored[i]
            .iter()
            .cloned()
            .chain(self.applied[i].iter().filter_map(|e| match &e.payload {
                Payload::Command(_) if Membership::of_entry(e).is_some() => None,
                Payload::Command(b) => Some(b.clone()),
                Payload::Noop => None,
            }))
            .collect()
    }

    /// The member snapshots its state machine at its applied index, persists the
    /// snapshot, compacts its disk, and tells the engine to compact.
    pub fn snapshot(&mut self, id: u64) -> SnapshotMeta {
        let i = id as usize - 1;
        let index = self.replicas[i].status().applied;
        let term = self.replicas[i].log().term_at(index).unwrap();
        let meta = SnapshotMeta { index, term };
        let snap = Snapshot {
            meta,
            data: encode(&self.applied_commands(id)),
        };
        install(&mut self.disks[i], snap.clone());
        self.replicas[i].compact(snap).unwrap();
        meta
    }

    /// Crashes and restarts `id` from its disk.
    pub fn restart(&mut self, id: u64) {
        let i = id as usize - 1;
        let cfg = self.replicas[i].config().clone();
        self.replicas[i] = Replica::new(cfg, self.disks[i].clone(), self.now).unwrap();
        self.restored[i] = self.disks[i]
            .snapshot
            .as_ref()
            .map_or_else(Vec::new, |s| decode(&s.data));
        self.applied[i].clear();
    }
}

/// What `parliament-store`'s `install_snapshot` + `compact` do to a disk: keep the
/// entries after the snapshot if the log holds its last entry with its term, else none.
fn install(disk: &mut Persisted, snap: Snapshot) {
    let SnapshotMeta { index, term } = snap.meta;
    let holds = disk
        .entries
        .iter()
        .any(|e| e.index == index && e.term == term);
    if holds {
        disk.entries.retain(|e| e.index > index);
    } else {
        disk.entries.clear();
    }
    disk.snapshot = Some(snap);
}

pub(super) fn encode(commands: &[Bytes]) -> Bytes {
    let mut out = Vec::new();
    for c in commands {
        out.extend_from_slice(&(c.len() as u32).to_be_bytes());
        out.extend_from_slice(c);
    }
    Bytes::from(out)
}

pub(super) fn decode(mut data: &[u8]) -> Vec<Bytes> {
    let mut out = Vec::new();
    while data.len() >= 4 {
        let len = u32::from_be_bytes([data[0], data[1], data[2], data[3]]) as usize;
        out.push(Bytes::copy_from_slice(&data[4..4 + len]));
        data = &data[4 + len..];
    }
    out
}
