//! A minimal deterministic harness: replicas, their "disks", and a message queue that
//! can drop traffic to or from cut-off members.

use std::collections::{BTreeSet, VecDeque};

use bytes::Bytes;

use crate::engine::{Config, Entry, Message, Persisted, ReadOutcome, Ready, Replica, Role};
use crate::types::{GroupId, LogIndex, NodeId, Time};

pub(super) struct Cluster {
    pub replicas: Vec<Replica>,
    pub disks: Vec<Persisted>,
    pub applied: Vec<Vec<Entry>>,
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
            applied: vec![Vec::new(); n as usize],
            reads: vec![Vec::new(); n as usize],
            queue: VecDeque::new(),
            cut: BTreeSet::new(),
            now: Time(0),
        }
    }

    pub fn node(&mut self, id: u64) -> &mut Replica {
        &mut self.replicas[id as usize - 1]
    }

    /// Applies a Ready as the contract says: persist, send, apply, answer.
    fn handle(&mut self, i: usize, ready: Ready) {
        let disk = &mut self.disks[i];
        if let Some(hs) = ready.hard_state {
            disk.hard_state = hs;
        }
        if let Some(first) = ready.entries.first() {
            disk.entries.truncate(first.index.0 as usize - 1);
            disk.entries.extend(ready.entries.iter().cloned());
        }
        self.queue.extend(ready.messages);
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

    /// Delivers messages until the network is quiet.
    pub fn deliver_all(&mut self) {
        self.drain_ready();
        let mut budget = 100_000;
        while let Some(m) = self.queue.pop_front() {
            budget -= 1;
            assert!(budget > 0, "message storm");
            if self.cut.contains(&m.from) || self.cut.contains(&m.to) {
                continue;
            }
            let to = m.to.0 as usize - 1;
            self.replicas[to].step(self.now, m).unwrap();
            self.drain_ready();
        }
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

    pub fn applied_commands(&self, id: u64) -> Vec<Bytes> {
        self.applied[id as usize - 1]
            .iter()
            .filter_map(|e| match &e.payload {
                crate::engine::Payload::Command(b) => Some(b.clone()),
                crate::engine::Payload::Noop => None,
            })
            .collect()
    }

    /// Crashes and restarts `id` from its disk.
    pub fn restart(&mut self, id: u64) {
        let i = id as usize - 1;
        let cfg = self.replicas[i].config().clone();
        self.replicas[i] = Replica::new(cfg, self.disks[i].clone(), self.now).unwrap();
        self.applied[i].clear();
    }
}
