//! Engine throughput: batched proposals through an in-memory group, no disk, no network.
//!
//! Every member runs the real engine; messages are handed over through in-process
//! queues and the Ready contract is honoured (entries "persisted" to a Vec before the
//! messages go out). Prints entries/s and messages per entry for 3 and 5 members and
//! several batch sizes, beside openraft's published in-memory figure.
//!
//! Run: `cargo bench -p parliament-tests --bench engine_throughput`

use std::collections::VecDeque;
use std::time::{Duration, Instant};

use bytes::Bytes;
use parliament_engine::engine::{Config, Message, Persisted, Replica, Role};
use parliament_engine::{GroupId, NodeId, Time};

/// openraft's published in-memory benchmark: 3 nodes, one process, batched writes
/// (openraft README / benchmarks, "cluster_benchmark", ~5.6M writes/s). Not measured here.
const OPENRAFT_PUBLISHED: f64 = 5_600_000.0;

struct Group {
    replicas: Vec<Replica>,
    disks: Vec<Vec<parliament_engine::engine::Entry>>,
    queue: VecDeque<Message>,
    messages: u64,
    committed: u64,
    now: Time,
}

impl Group {
    fn new(n: u64) -> Group {
        let replicas = (1..=n)
            .map(|id| {
                let mut c = Config::new(NodeId(id), GroupId(1), (1..=n).map(NodeId));
                c.max_append_entries = 4096;
                c.max_append_bytes = 4 << 20;
                c.max_uncommitted_entries = 1 << 20;
                Replica::new(c, Persisted::default(), Time(0)).expect("valid config")
            })
            .collect();
        let mut g = Group {
            replicas,
            disks: vec![Vec::new(); n as usize],
            queue: VecDeque::new(),
            messages: 0,
            committed: 0,
            now: Time(0),
        };
        g.replicas[0].campaign(Time(0));
        g.pump();
        assert_eq!(
            g.replicas[0].status().role,
            Role::Leader,
            "bootstrap leader elected"
        );
        g.committed = 0;
        g.messages = 0;
        g
    }

    fn drain(&mut self, i: usize) {
        while self.replicas[i].has_ready() {
            let r = self.replicas[i].take_ready();
            if let Some(first) = r.entries.first() {
                let keep = (first.index.0 - 1) as usize;
                self.disks[i].truncate(keep);
                self.disks[i].extend(r.entries);
            }
            self.messages += r.messages.len() as u64;
            self.queue.extend(r.messages);
            if i == 0 {
                self.committed += r.committed.len() as u64;
            }
        }
    }

    fn pump(&mut self) {
        for i in 0..self.replicas.len() {
            self.drain(i);
        }
        while let Some(m) = self.queue.pop_front() {
            let to = m.to.0 as usize - 1;
            self.replicas[to]
                .step(self.now, m)
                .expect("well-formed message");
            self.drain(to);
        }
    }
}

struct Row {
    members: u64,
    batch: usize,
    entries_per_sec: f64,
    messages_per_entry: f64,
}

fn run(members: u64, batch: usize, total: usize) -> Row {
    let mut g = Group::new(members);
    let payload = Bytes::from(vec![7u8; 64]);
    let start = Instant::now();
    let mut proposed = 0;
    while proposed < total {
        let cmds = vec![payload.clone(); batch];
        g.replicas[0]
            .propose(g.now, cmds)
            .expect("leader takes proposals");
        proposed += batch;
        g.pump();
    }
    let elapsed = start.elapsed().max(Duration::from_nanos(1));
    assert_eq!(g.committed as usize, proposed, "every proposal committed");
    Row {
        members,
        batch,
        entries_per_sec: g.committed as f64 / elapsed.as_secs_f64(),
        messages_per_entry: g.messages as f64 / g.committed as f64,
    }
}

fn median(mut v: Vec<f64>) -> (f64, f64, f64) {
    v.sort_by(f64::total_cmp);
    (v[v.len() / 2], v[0], v[v.len() - 1])
}

fn main() {
    let quick = std::env::args().any(|a| a == "--quick");
    let total = if quick { 20_000 } else { 400_000 };
    let repeats = if quick { 1 } else { 5 };
    println!(
        "engine throughput, in-memory (no disk, no network), 64-byte commands, {total} entries per run, median of {repeats} (min..max)"
    );
    println!(
        "| members | batch | entries/s (median) | min..max | messages/entry | vs openraft published 5.6M/s |"
    );
    println!("|---:|---:|---:|---:|---:|---:|");
    for members in [3u64, 5] {
        for batch in [1usize, 64, 1024] {
            let runs: Vec<Row> = (0..repeats)
                .map(|_| run(members, batch, if batch == 1 { total / 10 } else { total }))
                .collect();
            let mpe = runs[0].messages_per_entry;
            let (med, lo, hi) = median(runs.iter().map(|r| r.entries_per_sec).collect());
            println!(
                "| {} | {} | {:.0} | {:.0}..{:.0} | {:.3} | {:.2}x |",
                runs[0].members,
                runs[0].batch,
                med,
                lo,
                hi,
                mpe,
                med / OPENRAFT_PUBLISHED
            );
        }
    }
    println!(
        "openraft's figure is its published one (different machine); issue #7 measures both in one process."
    );
}
