//! Prints fsync'd commits/s and commit latency of a 3-member district on this machine's
//! disk, for closed-loop clients keeping 1, 16, 256 and 1000 commands of 128 bytes
//! outstanding at the leader, beside the disk's raw fsync rate measured in the same
//! rounds.
//!
//! ```text
//! cargo bench -p parliament-store --bench district -- [--dir DIR] [--rounds N] [--window-ms MS]
//! ```
//! Each member is an engine `Replica` with its own `Ledger` (its own directory, all on
//! the disk under `--dir`) on its own OS thread; members talk over in-process channels,
//! so what is measured is the engine, the ledger and the disk, not a network. Every
//! member obeys the `Ready` contract: it persists (fsync) before it sends, and applies
//! only after that. Batching is what the shell gets for free from the contract: a
//! member drains every input that arrived while it was fsyncing before it takes its
//! next `Ready`, so one fsync covers every command proposed, or every entry received,
//! meanwhile.
//!
//! The clients live in the leader's thread: each has one command outstanding and
//! proposes its next as soon as the leader applies the last one. Latency runs from the
//! proposal to that apply. Variants run interleaved, round after round and each round
//! starting one variant later, so that a slow spell of a shared disk hits all of them;
//! the ratio column is the median over rounds of (district commits/s) / (raw fsyncs/s in
//! the same round).
//!
//! After the run every member's ledger is reopened, and each must hold every
//! acknowledged command at the index it was acknowledged at, with the same log as the
//! others through the last of them; the bench panics otherwise. That is a correctness
//! check; no timing is asserted.

use std::collections::BTreeMap;
use std::fs::File;
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError, Sender};
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

use bytes::Bytes;
use parliament_engine::engine::{Config, Entry, Message, Payload, Ready, Replica, Role};
use parliament_engine::{GroupId, LogIndex, NodeId, Time};
use parliament_store::{Ledger, LedgerOptions};

const OUTSTANDING: [usize; 4] = [1, 16, 256, 1000];
const COMMAND_BYTES: usize = 128;
const MEMBERS: [NodeId; 3] = [NodeId(1), NodeId(2), NodeId(3)];
const DISTRICT: GroupId = GroupId(1);
/// How often a member ticks its replica; the engine's heartbeats are every 100 ms.
const TICK: Duration = Duration::from_millis(10);
const RAW_FSYNCS_PER_ROUND: usize = 100;
/// Bound on every wait for the district, so that a stuck run fails instead of hanging.
const PATIENCE: Duration = Duration::from_secs(30);

/// The command with sequence number `seq`: unique, so that the ledger check can tell
/// which one sits at an index.
fn command(seq: u64) -> Bytes {
    let mut b = vec![(seq % 251) as u8; COMMAND_BYTES];
    b[..8].copy_from_slice(&seq.to_le_bytes());
    Bytes::from(b)
}

fn seq_of(command: &[u8]) -> Option<u64> {
    Some(u64::from_le_bytes(command.get(..8)?.try_into().ok()?))
}

/// Wall time as the engine sees it: milliseconds since the district started.
#[derive(Clone, Copy)]
struct Clock(Instant);

impl Clock {
    fn now(self) -> Time {
        Time(u64::try_from(self.0.elapsed().as_millis()).unwrap_or(u64::MAX))
    }
}

/// What a member publishes for the bench to read without asking it.
#[derive(Default)]
struct Gauges {
    /// Ledger writes, each one `fdatasync` (plus a directory fsync on a new segment).
    fsyncs: AtomicU64,
    /// Time spent in those writes, in nanoseconds.
    fsync_nanos: AtomicU64,
    /// The last index durable in the member's ledger.
    persisted: AtomicU64,
    leading: AtomicBool,
}

enum Input {
    Message(Message),
    Load(Load),
    Stop,
}

/// Closed-loop clients to run at the leader for `window`, then drain.
struct Load {
    outstanding: usize,
    window: Duration,
    first_seq: u64,
    done: Sender<Phase>,
}

/// What the leader's clients saw in one phase.
struct Phase {
    /// `(index, seq)` of every acknowledged command.
    acked: Vec<(LogIndex, u64)>,
    latencies: Vec<Duration>,
    /// From the first proposal to the last acknowledgement.
    elapsed: Duration,
    next_seq: u64,
}

struct Clients {
    outstanding: usize,
    until: Instant,
    started: Instant,
    last_ack: Instant,
    next_seq: u64,
    /// Proposed and not yet applied: seq → when it was proposed.
    in_flight: BTreeMap<u64, Instant>,
    acked: Vec<(LogIndex, u64)>,
    latencies: Vec<Duration>,
    done: Sender<Phase>,
}

struct Member {
    id: NodeId,
    replica: Replica,
    ledger: Ledger,
    clock: Clock,
    inbox: Receiver<Input>,
    peers: BTreeMap<NodeId, Sender<Input>>,
    gauges: Arc<Gauges>,
    clients: Option<Clients>,
}

impl Member {
    fn run(mut self) {
        let mut next_tick = Instant::now() + TICK;
        loop {
            let wait = next_tick.saturating_duration_since(Instant::now());
            let mut inputs = match self.inbox.recv_timeout(wait) {
                Ok(input) => vec![input],
                Err(RecvTimeoutError::Timeout) => Vec::new(),
                Err(RecvTimeoutError::Disconnected) => return,
            };
            // Everything that queued up during the last fsync goes into one Ready.
            inputs.extend(std::iter::from_fn(|| self.inbox.try_recv().ok()));
            for input in inputs {
                match input {
                    Input::Message(m) => {
                        let from = m.from;
                        if let Err(r) = self.replica.step(self.clock.now(), m) {
                            panic!("{} refused a message from {from}: {r}", self.id);
                        }
                    }
                    Input::Load(load) => self.start_clients(load),
                    Input::Stop => return,
                }
            }
            if Instant::now() >= next_tick {
                self.replica.tick(self.clock.now());
                next_tick = Instant::now() + TICK;
            }
            while self.replica.has_ready() {
                let ready = self.replica.take_ready();
                self.act(ready);
                self.propose_more();
            }
        }
    }

    /// The `Ready` contract, in its order: persist, send, apply.
    fn act(&mut self, ready: Ready) {
        if let Some(s) = &ready.snapshot {
            self.ledger
                .install_snapshot(s.meta, &s.data)
                .expect("install snapshot");
            self.gauges.fsyncs.fetch_add(1, Ordering::Relaxed);
        }
        let writes = !ready.entries.is_empty()
            || ready
                .hard_state
                .is_some_and(|hs| hs != self.ledger.hard_state());
        let start = Instant::now();
        self.ledger
            .persist(ready.hard_state, &ready.entries)
            .expect("persist");
        if writes {
            let nanos = u64::try_from(start.elapsed().as_nanos()).unwrap_or(u64::MAX);
            self.gauges.fsyncs.fetch_add(1, Ordering::Relaxed);
            self.gauges.fsync_nanos.fetch_add(nanos, Ordering::Relaxed);
        }
        self.gauges
            .persisted
            .store(self.ledger.last_index().get(), Ordering::Release);

        for m in ready.messages {
            // A member that has stopped (at shutdown) loses the message, as a network would.
            if let Some(peer) = self.peers.get(&m.to) {
                let _ = peer.send(Input::Message(m));
            }
        }
        for r in &ready.roles {
            self.gauges
                .leading
                .store(r.role == Role::Leader, Ordering::Release);
        }

        let Some(c) = self.clients.as_mut() else {
            return;
        };
        let now = Instant::now();
        for e in &ready.committed {
            let Payload::Command(b) = &e.payload else {
                continue;
            };
            let Some(seq) = seq_of(b) else { continue };
            if let Some(proposed) = c.in_flight.remove(&seq) {
                c.latencies.push(now - proposed);
                c.acked.push((e.index, seq));
                c.last_ack = now;
            }
        }
    }

    fn start_clients(&mut self, load: Load) {
        let status = self.replica.status();
        assert_eq!(
            status.role,
            Role::Leader,
            "clients sent to {}, which is {} in {}",
            self.id,
            status.role.name(),
            status.term
        );
        let now = Instant::now();
        self.clients = Some(Clients {
            outstanding: load.outstanding,
            until: now + load.window,
            started: now,
            last_ack: now,
            next_seq: load.first_seq,
            in_flight: BTreeMap::new(),
            acked: Vec::new(),
            latencies: Vec::new(),
            done: load.done,
        });
        self.propose_more();
    }

    /// Every client without a command outstanding proposes its next, until the window
    /// closes; once the last outstanding command is applied the phase is reported.
    fn propose_more(&mut self) {
        let Some(c) = self.clients.as_mut() else {
            return;
        };
        if Instant::now() < c.until {
            let now = self.clock.now();
            while c.in_flight.len() < c.outstanding {
                let seq = c.next_seq;
                c.next_seq += 1;
                if let Err(r) = self.replica.propose(now, vec![command(seq)]) {
                    panic!("the leader {} refused a proposal: {r}", self.id);
                }
                c.in_flight.insert(seq, Instant::now());
            }
        } else if c.in_flight.is_empty()
            && let Some(c) = self.clients.take()
        {
            let _ = c.done.send(Phase {
                acked: c.acked,
                latencies: c.latencies,
                elapsed: c.last_ack - c.started,
                next_seq: c.next_seq,
            });
        }
    }
}

fn member_dir(dir: &Path, id: NodeId) -> PathBuf {
    dir.join(format!("member-{}", id.get()))
}

/// Polls `done` until it holds, failing loudly with `what` after [`PATIENCE`].
fn wait_until(what: &str, mut done: impl FnMut() -> bool) {
    let deadline = Instant::now() + PATIENCE;
    while !done() {
        assert!(
            Instant::now() < deadline,
            "gave up after {PATIENCE:?} waiting for {what}"
        );
        thread::sleep(Duration::from_millis(1));
    }
}

/// Three members on their threads.
struct District {
    inboxes: BTreeMap<NodeId, Sender<Input>>,
    gauges: BTreeMap<NodeId, Arc<Gauges>>,
    threads: Vec<JoinHandle<()>>,
    leader: NodeId,
    next_seq: u64,
    acked: Vec<(LogIndex, u64)>,
}

/// One measured phase, as the bench reports it.
struct Measured {
    commits_per_sec: f64,
    latencies: Vec<Duration>,
    fsyncs: u64,
    /// The mean time of one member's ledger write (write + fdatasync) in the phase.
    mean_fsync: Duration,
    leader_fsyncs: u64,
    commits: u64,
    elapsed: Duration,
    /// CPU time of the whole process (all members) during the phase, where the OS tells.
    cpu: Option<Duration>,
}

/// CPU time consumed so far by all threads of this process, from Linux's
/// `/proc/self/task/*/schedstat` (nanoseconds on a CPU); `None` elsewhere.
fn cpu_time() -> Option<Duration> {
    let mut total = 0u64;
    for task in std::fs::read_dir("/proc/self/task").ok()? {
        let task = task.ok()?;
        let stat = std::fs::read_to_string(task.path().join("schedstat")).ok()?;
        total += stat.split_whitespace().next()?.parse::<u64>().ok()?;
    }
    Some(Duration::from_nanos(total))
}

impl District {
    fn start(dir: &Path) -> District {
        let clock = Clock(Instant::now());
        let channels: Vec<_> = MEMBERS.iter().map(|id| (*id, mpsc::channel())).collect();
        let inboxes: BTreeMap<NodeId, Sender<Input>> = channels
            .iter()
            .map(|(id, (tx, _))| (*id, tx.clone()))
            .collect();
        let mut gauges = BTreeMap::new();
        let mut threads = Vec::new();
        for (id, (_, inbox)) in channels {
            let (ledger, recovered) =
                Ledger::open(member_dir(dir, id), LedgerOptions::default()).expect("open ledger");
            let mut replica = Replica::new(
                Config::new(id, DISTRICT, MEMBERS),
                recovered.into_persisted(),
                clock.now(),
            )
            .expect("start replica");
            if id == MEMBERS[0] {
                replica.campaign(clock.now());
            }
            let g = Arc::new(Gauges::default());
            gauges.insert(id, Arc::clone(&g));
            let member = Member {
                id,
                replica,
                ledger,
                clock,
                inbox,
                peers: inboxes
                    .iter()
                    .filter(|(peer, _)| **peer != id)
                    .map(|(peer, tx)| (*peer, tx.clone()))
                    .collect(),
                gauges: g,
                clients: None,
            };
            threads.push(
                thread::Builder::new()
                    .name(format!("member-{}", id.get()))
                    .spawn(move || member.run())
                    .expect("spawn member"),
            );
        }
        let mut district = District {
            inboxes,
            gauges,
            threads,
            leader: MEMBERS[0],
            next_seq: 1,
            acked: Vec::new(),
        };
        wait_until("a leader to be elected", || {
            district.find_leader().is_some()
        });
        district.leader = district.find_leader().unwrap_or(MEMBERS[0]);
        district
    }

    fn find_leader(&self) -> Option<NodeId> {
        self.gauges
            .iter()
            .find(|(_, g)| g.leading.load(Ordering::Acquire))
            .map(|(id, _)| *id)
    }

    /// Ledger writes of all members so far, and the nanoseconds they took.
    fn fsyncs(&self) -> (u64, u64) {
        self.gauges.values().fold((0, 0), |(n, t), g| {
            (
                n + g.fsyncs.load(Ordering::Relaxed),
                t + g.fsync_nanos.load(Ordering::Relaxed),
            )
        })
    }

    /// Runs `outstanding` closed-loop clients for `window`, drains them, and waits until
    /// every member holds the last entry durably, so that no fsync of this phase spills
    /// into the next measurement.
    fn phase(&mut self, outstanding: usize, window: Duration) -> Measured {
        let leader_gauges = Arc::clone(&self.gauges[&self.leader]);
        let (fsyncs_before, nanos_before) = self.fsyncs();
        let cpu_before = cpu_time();
        let leader_before = leader_gauges.fsyncs.load(Ordering::Relaxed);
        let (done, report) = mpsc::channel();
        self.inboxes[&self.leader]
            .send(Input::Load(Load {
                outstanding,
                window,
                first_seq: self.next_seq,
                done,
            }))
            .expect("the leader's thread is running");
        let phase = report
            .recv_timeout(window + PATIENCE)
            .unwrap_or_else(|e| panic!("the leader reported no phase ({e})"));
        if let Some(last) = phase.acked.iter().map(|(i, _)| i.get()).max() {
            wait_until("every member to persist the phase's last entry", || {
                self.gauges
                    .values()
                    .all(|g| g.persisted.load(Ordering::Acquire) >= last)
            });
        }
        assert_eq!(
            self.find_leader(),
            Some(self.leader),
            "leadership moved during the phase; rerun on a quieter machine"
        );
        self.next_seq = phase.next_seq;
        let commits = phase.acked.len() as u64;
        self.acked.extend_from_slice(&phase.acked);
        let (fsyncs, nanos) = self.fsyncs();
        let fsyncs = fsyncs - fsyncs_before;
        Measured {
            commits_per_sec: commits as f64 / phase.elapsed.as_secs_f64(),
            latencies: phase.latencies,
            fsyncs,
            mean_fsync: Duration::from_nanos((nanos - nanos_before) / fsyncs.max(1)),
            leader_fsyncs: leader_gauges.fsyncs.load(Ordering::Relaxed) - leader_before,
            commits,
            elapsed: phase.elapsed,
            cpu: cpu_time()
                .zip(cpu_before)
                .map(|(after, before)| after - before),
        }
    }

    /// Stops the members and returns every acknowledged `(index, seq)`.
    fn stop(self) -> Vec<(LogIndex, u64)> {
        for tx in self.inboxes.values() {
            let _ = tx.send(Input::Stop);
        }
        drop(self.inboxes);
        for t in self.threads {
            t.join().expect("a member thread panicked");
        }
        self.acked
    }
}

/// The acknowledged commands that `entries` (a recovered log) does not hold at their
/// index.
fn missing(entries: &[Entry], acked: &[(LogIndex, u64)]) -> Vec<(LogIndex, u64)> {
    let first = entries.first().map_or(1, |e| e.index.get());
    acked
        .iter()
        .filter(|(index, seq)| {
            let held = index
                .get()
                .checked_sub(first)
                .and_then(|k| entries.get(usize::try_from(k).ok()?));
            !matches!(held, Some(Entry { index: i, payload: Payload::Command(b), .. })
                if i == index && *b == command(*seq))
        })
        .copied()
        .collect()
}

/// Reopens every member's ledger and fails loudly unless each holds every acknowledged
/// command, and all agree on the log through the last of them.
fn check_ledgers(dir: &Path, acked: &[(LogIndex, u64)]) {
    assert!(!acked.is_empty(), "no command was acknowledged");
    let last = acked.iter().map(|(i, _)| *i).max().unwrap_or_default();
    let mut reference: Option<(NodeId, Vec<Entry>)> = None;
    for id in MEMBERS {
        let (_ledger, recovered) =
            Ledger::open(member_dir(dir, id), LedgerOptions::default()).expect("reopen ledger");
        assert!(
            recovered.torn_tail.is_none(),
            "{id}'s ledger has a torn tail after a clean stop: {:?}",
            recovered.torn_tail
        );
        let lost = missing(&recovered.entries, acked);
        assert!(
            lost.is_empty(),
            "{id}'s ledger lacks {} of {} acknowledged commands; the first: index {}, seq {}",
            lost.len(),
            acked.len(),
            lost[0].0,
            lost[0].1
        );
        let prefix: Vec<Entry> = recovered
            .entries
            .into_iter()
            .take_while(|e| e.index <= last)
            .collect();
        match &reference {
            None => {
                // The check must be able to fail: a ledger that lost its last
                // acknowledged write must be flagged.
                let cut: Vec<Entry> = prefix.iter().filter(|e| e.index < last).cloned().collect();
                assert!(
                    !missing(&cut, acked).is_empty(),
                    "the ledger check did not flag a planted loss of index {last}"
                );
                reference = Some((id, prefix));
            }
            Some((first, theirs)) => assert!(
                *theirs == prefix,
                "{id}'s log differs from {first}'s at or before index {last}"
            ),
        }
    }
    eprintln!(
        "checked: all {} members' ledgers hold all {} acknowledged commands and agree through {last}",
        MEMBERS.len(),
        acked.len()
    );
}

/// The disk's raw fsync rate: 4 KiB writes over preallocated blocks, each fdatasynced.
struct RawDisk {
    file: File,
    at: u64,
}

impl RawDisk {
    fn new(dir: &Path, total_ops: usize) -> RawDisk {
        let file = File::create(dir.join("raw")).expect("create raw file");
        // Written and synced up front: the loop then measures data flushes only.
        file.write_all_at(&vec![0; 4096 * total_ops], 0)
            .expect("preallocate raw file");
        file.sync_all().expect("fsync raw file");
        RawDisk { file, at: 0 }
    }

    fn round(&mut self, latencies: &mut Vec<Duration>) -> f64 {
        let block = [0x5A; 4096];
        let mut total = Duration::ZERO;
        for _ in 0..RAW_FSYNCS_PER_ROUND {
            let start = Instant::now();
            self.file.write_all_at(&block, self.at).expect("raw write");
            self.file.sync_data().expect("raw fdatasync");
            let d = start.elapsed();
            self.at += 4096;
            total += d;
            latencies.push(d);
        }
        RAW_FSYNCS_PER_ROUND as f64 / total.as_secs_f64()
    }
}

#[derive(Default)]
struct Samples {
    latencies: Vec<Duration>,
    rates: Vec<f64>,
    ratios: Vec<f64>,
    fsyncs_per_commit: Vec<f64>,
    commits_per_leader_fsync: Vec<f64>,
    fsyncs_per_sec: Vec<f64>,
    mean_fsync_ms: Vec<f64>,
    cores_busy: Vec<f64>,
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i.min(sorted.len() - 1)]
}

fn median(v: &mut [f64]) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

/// `median (min–max)` of `v`.
fn spread(v: &mut [f64], decimals: usize) -> String {
    let m = median(v);
    format!(
        "{m:.decimals$} ({:.decimals$}–{:.decimals$})",
        v[0],
        v[v.len() - 1]
    )
}

fn ms(d: Duration) -> String {
    format!("{:.2} ms", d.as_secs_f64() * 1e3)
}

fn main() {
    let mut args = std::env::args().skip(1);
    let mut dir: Option<PathBuf> = None;
    let mut rounds = 5;
    let mut window = Duration::from_millis(1000);
    while let Some(a) = args.next() {
        match a.as_str() {
            "--dir" => dir = args.next().map(PathBuf::from),
            "--rounds" => rounds = args.next().and_then(|r| r.parse().ok()).unwrap_or(rounds),
            "--window-ms" => {
                window = args
                    .next()
                    .and_then(|r| r.parse().ok())
                    .map_or(window, Duration::from_millis);
            }
            _ => {} // cargo passes --bench
        }
    }
    let base = dir.unwrap_or_else(std::env::temp_dir);
    let tmp = tempfile::tempdir_in(&base).expect("temporary directory");

    let mut raw = RawDisk::new(tmp.path(), rounds * RAW_FSYNCS_PER_ROUND);
    let mut district = District::start(tmp.path());
    eprintln!("{} leads; warming up", district.leader);
    district.phase(16, Duration::from_millis(300));

    let mut raw_samples = Samples::default();
    let mut samples: Vec<Samples> = OUTSTANDING.iter().map(|_| Samples::default()).collect();
    // Slot 0 is the raw disk, slot k the district with OUTSTANDING[k - 1]. Each round
    // starts one slot later, so that no variant always follows the heaviest one (whose
    // writes the disk may still be flushing).
    let slots = OUTSTANDING.len() + 1;
    for round in 0..rounds {
        let mut rates = vec![0.0; slots];
        for slot in (0..slots).map(|k| (k + round) % slots) {
            if slot == 0 {
                rates[0] = raw.round(&mut raw_samples.latencies);
                raw_samples.rates.push(rates[0]);
                continue;
            }
            let s = &mut samples[slot - 1];
            let m = district.phase(OUTSTANDING[slot - 1], window);
            rates[slot] = m.commits_per_sec;
            s.rates.push(m.commits_per_sec);
            s.fsyncs_per_commit
                .push(m.fsyncs as f64 / m.commits.max(1) as f64);
            s.commits_per_leader_fsync
                .push(m.commits as f64 / m.leader_fsyncs.max(1) as f64);
            s.fsyncs_per_sec
                .push(m.fsyncs as f64 / m.elapsed.as_secs_f64());
            s.mean_fsync_ms.push(m.mean_fsync.as_secs_f64() * 1e3);
            if let Some(cpu) = m.cpu {
                s.cores_busy
                    .push(cpu.as_secs_f64() / m.elapsed.as_secs_f64());
            }
            s.latencies.extend(m.latencies);
        }
        let mut line = format!("round {}/{rounds}: raw {:.0} fsyncs/s", round + 1, rates[0]);
        for ((n, s), rate) in OUTSTANDING.iter().zip(&mut samples).zip(&rates[1..]) {
            s.ratios.push(rate / rates[0]);
            line.push_str(&format!("; {n} outstanding {rate:.0}/s"));
        }
        eprintln!("{line}");
    }
    let leader = district.leader;
    let acked = district.stop();
    check_ledgers(tmp.path(), &acked);

    println!(
        "disk under {}; {rounds} rounds of {} ms per configuration; commands of \
         {COMMAND_BYTES} bytes; 3 members, {leader} leading, each with its own ledger on that disk",
        base.display(),
        window.as_millis()
    );
    println!();
    println!(
        "| what | commits/s | p50 | p99 | commands per leader fsync | fsyncs per commit (3 members) | fsyncs/s (3 members) | mean write + fsync | CPU (cores busy) | vs raw fsync |"
    );
    println!("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
    raw_samples.latencies.sort();
    println!(
        "| raw disk: 4 KiB write + fdatasync | {} | {} | {} | – | 1 | {:.0} | {:.2} ms | – | 1.00 |",
        spread(&mut raw_samples.rates.clone(), 0),
        ms(percentile(&raw_samples.latencies, 0.5)),
        ms(percentile(&raw_samples.latencies, 0.99)),
        median(&mut raw_samples.rates),
        raw_samples
            .latencies
            .iter()
            .map(Duration::as_secs_f64)
            .sum::<f64>()
            * 1e3
            / raw_samples.latencies.len() as f64,
    );
    for (n, s) in OUTSTANDING.iter().zip(&mut samples) {
        s.latencies.sort();
        println!(
            "| district, {n} outstanding | {} | {} | {} | {:.1} | {:.3} | {:.0} | {:.2} ms | {} | {} |",
            spread(&mut s.rates, 0),
            ms(percentile(&s.latencies, 0.5)),
            ms(percentile(&s.latencies, 0.99)),
            median(&mut s.commits_per_leader_fsync),
            median(&mut s.fsyncs_per_commit),
            median(&mut s.fsyncs_per_sec),
            median(&mut s.mean_fsync_ms),
            if s.cores_busy.is_empty() {
                "–".to_owned()
            } else {
                format!("{:.2}", median(&mut s.cores_busy))
            },
            spread(&mut s.ratios, 2),
        );
    }
}
