//! Our side of the comparison: one group of the real engine in memory ([`EngineGroup`]),
//! messages handed over through one in-process queue, the `Ready` contract honoured
//! (entries "persisted" to a `Vec` before the messages go out). The same harness as
//! `tests/benches/engine_throughput.rs`, kept here so the two sides run in one process.

use std::collections::VecDeque;
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use bytes::Bytes;
use parliament_engine::engine::{Config, Entry, Message, Persisted, Replica, Role};
use parliament_engine::{GroupId, NodeId, Time};

/// A group of `n` replicas with member 1 leading.
#[derive(Debug)]
pub struct EngineGroup {
    replicas: Vec<Replica>,
    disks: Vec<Vec<Entry>>,
    queue: VecDeque<Message>,
    /// Messages sent since the last reset.
    pub messages: u64,
    /// Entries the leader applied since the last reset.
    pub applied: u64,
}

impl EngineGroup {
    /// Builds the group and elects member 1.
    ///
    /// # Errors
    /// The engine refused the configuration, or member 1 was not elected.
    pub fn start(n: u64) -> anyhow::Result<EngineGroup> {
        let replicas = (1..=n)
            .map(|id| {
                let mut c = Config::new(NodeId(id), GroupId(1), (1..=n).map(NodeId));
                // As openraft's side: up to 4096 entries per append.
                c.max_append_entries = 4096;
                c.max_append_bytes = 4 << 20;
                c.max_uncommitted_entries = 1 << 20;
                Replica::new(c, Persisted::default(), Time(0)).context("engine config")
            })
            .collect::<anyhow::Result<Vec<_>>>()?;
        let mut g = EngineGroup {
            replicas,
            disks: vec![Vec::new(); n as usize],
            queue: VecDeque::new(),
            messages: 0,
            applied: 0,
        };
        g.replicas[0].campaign(Time(0));
        g.pump()?;
        if g.replicas[0].status().role != Role::Leader {
            bail!("member 1 was not elected");
        }
        g.messages = 0;
        g.applied = 0;
        Ok(g)
    }

    fn drain(&mut self, i: usize) {
        while self.replicas[i].has_ready() {
            let r = self.replicas[i].take_ready();
            if let Some(first) = r.entries.first() {
                let keep = usize::try_from(first.index.0 - 1).unwrap_or(0);
                self.disks[i].truncate(keep);
                self.disks[i].extend(r.entries);
            }
            self.messages += r.messages.len() as u64;
            self.queue.extend(r.messages);
            if i == 0 {
                self.applied += r.committed.len() as u64;
            }
        }
    }

    /// Delivers every message until the group is quiet.
    fn pump(&mut self) -> anyhow::Result<()> {
        for i in 0..self.replicas.len() {
            self.drain(i);
        }
        while let Some(m) = self.queue.pop_front() {
            let to = usize::try_from(m.to.0 - 1).unwrap_or(usize::MAX);
            let r = self
                .replicas
                .get_mut(to)
                .with_context(|| format!("message to unknown member {}", m.to))?;
            r.step(Time(0), m).context("engine refused a message")?;
            self.drain(to);
        }
        Ok(())
    }

    /// Proposes `total` commands in batches of `batch`, one batch outstanding at a time
    /// (each delivered until the group is quiet), and returns the wall time.
    ///
    /// # Errors
    /// A proposal was refused, or the leader did not apply every command.
    pub fn run(&mut self, batch: usize, total: usize, payload: &Bytes) -> anyhow::Result<Duration> {
        let before = self.applied;
        let start = Instant::now();
        let mut proposed = 0;
        while proposed < total {
            self.replicas[0]
                .propose(Time(0), vec![payload.clone(); batch])
                .map_err(|e| anyhow::anyhow!("leader refused a proposal: {e:?}"))?;
            proposed += batch;
            self.pump()?;
        }
        let took = start.elapsed();
        let applied = self.applied - before;
        if applied != proposed as u64 {
            bail!("engine leader applied {applied} of {proposed} commands");
        }
        Ok(took)
    }
}
