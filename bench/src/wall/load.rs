//! One measured run of one topology at one size, in wall time: [`run`] starts the
//! members on a fresh 2-worker runtime, waits until they convene, runs closed-loop
//! clients through a warm-up and then a window, and reads every member's transport
//! counters at the window's ends ([`WallReport`]).

use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use anyhow::Context;
use parliament::node::{NodeHandle, Settings};
use parliament_engine::NodeId;
use parliament_engine::state::{Command, DistrictName, Key, Outcome, Scope, Write};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use tokio::time::Instant;

use super::process::{Proc, open_descriptors};
use crate::wall::cluster::{InProcess, REQUEST_TIMEOUT, Topology, district_name, roster};
use crate::wall::traffic::{Sent, Traffic, member_of};

/// Worker threads of each run's runtime: the machine's two cores.
pub const WORKERS: usize = 2;
/// A client that was refused waits this long before its next write.
const BACKOFF: Duration = Duration::from_millis(10);
/// After convening and before the clients start, CPU time is read over this long: what
/// the members cost with no writes (ticks, heartbeats, presence).
const IDLE: Duration = Duration::from_secs(1);

/// What one run does.
#[derive(Clone, Copy, Debug)]
pub struct RunOptions {
    /// Parliament or flat.
    pub topology: Topology,
    /// Members in all.
    pub members: usize,
    /// Districts (1 for flat).
    pub districts: usize,
    /// Clients, each with one write outstanding at a time.
    pub clients: u32,
    /// Clients run this long before the window opens.
    pub warmup: Duration,
    /// The measurement window.
    pub window: Duration,
    /// Bytes of each write's value.
    pub value_bytes: usize,
    /// Convening must take no longer.
    pub convene_bound: Duration,
    /// Seeds the clients' choice of member (Parliament).
    pub seed: u64,
    /// The members' timings and sessions.
    pub settings: Settings,
}

/// What one run measured.
#[derive(Clone, Debug, Default)]
pub struct WallReport {
    /// Wall time from starting the first member to a Prime Minister with every seat
    /// hosted (Parliament) or a leader that committed (flat).
    pub convened: Duration,
    /// Latency of every write answered in the window, the client's call to its answer.
    pub latencies: Vec<Duration>,
    /// The window's length.
    pub window: Duration,
    /// What the Prime Minister (Parliament) or the leader (flat) sent in the window.
    pub leader: Sent,
    /// Envelopes all members sent in the window.
    pub total_messages: u64,
    /// Their bytes.
    pub total_bytes: u64,
    /// The most distinct peers one member sent to in the window.
    pub max_fan_out: usize,
    /// The most envelopes one member sent in the window.
    pub max_sent: u64,
    /// Writes refused or timed out in the window.
    pub lost: u64,
    /// Envelopes dropped by full outbound queues in the window.
    pub dropped: u64,
    /// CPU time of the whole process (every thread) in the window.
    pub cpu: Option<Duration>,
    /// The process's resident set after convening, MiB.
    pub rss_mib: Option<f64>,
    /// Cores the process kept busy with no clients, just after convening.
    pub idle_cores: Option<f64>,
    /// The leader at the window's end was not the one at its start.
    pub leader_changed: bool,
    /// Peer streams up at the window's end, in all.
    pub streams: usize,
    /// The most peer streams one member held at the window's end.
    pub max_member_streams: usize,
    /// Who held the most streams at the window's end: its id and roles (for the log).
    pub busiest: String,
    /// Open file descriptors of the whole process at the window's end.
    pub descriptors: Option<usize>,
}

impl WallReport {
    /// Writes answered in the window.
    #[must_use]
    pub fn commits(&self) -> u64 {
        self.latencies.len() as u64
    }

    /// Commits per second.
    #[must_use]
    pub fn throughput(&self) -> f64 {
        self.commits() as f64 / self.window.as_secs_f64().max(1e-9)
    }

    /// Takes in what every member sent in the window, `leader` being the member that led
    /// the writes at its start.
    pub fn add_window(&mut self, window: &BTreeMap<NodeId, Sent>, leader: NodeId) {
        if let Some(s) = window.get(&leader) {
            self.leader = s.clone();
        }
        for s in window.values() {
            self.total_messages += s.messages;
            self.total_bytes += s.bytes;
            self.max_fan_out = self.max_fan_out.max(s.peers);
            self.max_sent = self.max_sent.max(s.messages);
            self.dropped += s.dropped;
        }
    }

    /// `x` per commit (NaN when nothing committed).
    #[must_use]
    pub fn per_commit(&self, x: f64) -> f64 {
        if self.commits() == 0 {
            return f64::NAN;
        }
        x / self.commits() as f64
    }
}

/// Runs `opts` on a runtime of its own, with the ledgers under a fresh folder (on tmpfs
/// where `/dev/shm` exists), and removes both afterwards.
///
/// # Errors
/// The members could not start or did not convene within the bound.
pub fn run(opts: &RunOptions) -> anyhow::Result<WallReport> {
    let dir = data_dir()?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(WORKERS)
        .enable_all()
        .build()
        .context("a tokio runtime")?;
    let result = runtime.block_on(measure(opts, dir.path()));
    runtime.shutdown_timeout(Duration::from_secs(10));
    result
}

/// Whether the ledgers go to tmpfs (`/dev/shm`), so that a disk shared with other work
/// does not set the pace; every member still writes and syncs each entry.
#[must_use]
pub fn on_tmpfs() -> bool {
    std::path::Path::new("/dev/shm").is_dir()
}

pub(super) fn data_dir() -> anyhow::Result<tempfile::TempDir> {
    let mut b = tempfile::Builder::new();
    b.prefix("parliament-bench-wall-");
    if on_tmpfs() {
        b.tempdir_in("/dev/shm")
    } else {
        b.tempdir()
    }
    .context("a folder for the ledgers")
}

async fn measure(opts: &RunOptions, data: &std::path::Path) -> anyhow::Result<WallReport> {
    let started = Instant::now();
    let proc = Proc::open();
    let roster = roster(opts.members, opts.districts)?;
    let cluster = InProcess::start(&roster, |_| true, opts.settings, data).await?;
    let outcome = drive(opts, &cluster, proc.as_ref(), started).await;
    cluster.stop().await;
    outcome
}

async fn drive(
    opts: &RunOptions,
    cluster: &InProcess,
    proc: Option<&Proc>,
    started: Instant,
) -> anyhow::Result<WallReport> {
    let cpu = || proc.and_then(Proc::cpu);
    let first = cluster.convene(opts.topology, opts.convene_bound).await?;
    let convened = started.elapsed();
    let rss_mib = proc.and_then(Proc::rss_mib);
    let (idle_at, idle_cpu) = (Instant::now(), cpu());
    tokio::time::sleep(IDLE).await;
    let idle_cores = idle_cpu
        .zip(cpu())
        .map(|(a, b)| b.saturating_sub(a).as_secs_f64() / idle_at.elapsed().as_secs_f64());
    let handles: Arc<Vec<NodeHandle>> = Arc::new(cluster.handles().to_vec());
    let stop = Arc::new(AtomicBool::new(false));
    let clients = spawn_clients(
        &ClientPlan {
            ids: (0..opts.clients).collect(),
            topology: opts.topology,
            seed: opts.seed,
            value_bytes: opts.value_bytes,
            leader: Some(first.0),
        },
        &handles,
        &stop,
    )?;
    tokio::time::sleep(opts.warmup).await;

    let (t0, before, cpu0) = reading(&handles, proc);
    let leader = cluster.leader(opts.topology).unwrap_or(first);
    tokio::time::sleep(opts.window).await;
    let (t1, after, cpu1) = reading(&handles, proc);
    let leader_after = cluster.leader(opts.topology);
    stop.store(true, Ordering::Relaxed);

    let mut report = WallReport {
        convened,
        window: t1 - t0,
        cpu: cpu0.zip(cpu1).map(|(a, b)| b.saturating_sub(a)),
        rss_mib,
        idle_cores,
        leader_changed: leader_after != Some(leader),
        streams: after.streams().0,
        max_member_streams: after.streams().1,
        busiest: after.busiest().map_or_else(String::new, |(id, n)| {
            format!("{} ({n} streams)", cluster.describe(id))
        }),
        descriptors: open_descriptors(),
        ..WallReport::default()
    };
    let (latencies, lost) = finish_clients(clients, t0, t1).await?;
    report.latencies = latencies;
    report.lost = lost;
    report.add_window(&after.since(&before), leader);
    Ok(report)
}

/// Which clients to start, at which members.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ClientPlan {
    /// The clients' numbers: each writes its own key, and seeds its choice of member.
    pub ids: Vec<u32>,
    /// Parliament (global writes at random members) or flat (district writes at its leader).
    pub topology: Topology,
    /// Seeds the clients' choice of member.
    pub seed: u64,
    /// Bytes of each write's value.
    pub value_bytes: usize,
    /// The leader when the clients start (flat clients write there first).
    pub leader: Option<u64>,
}

/// Starts the clients of `plan` at the members of `handles`; they run until `stop`.
///
/// # Errors
/// The flat group's district name is invalid (a bug).
pub fn spawn_clients(
    plan: &ClientPlan,
    handles: &Arc<Vec<NodeHandle>>,
    stop: &Arc<AtomicBool>,
) -> anyhow::Result<Vec<tokio::task::JoinHandle<Tally>>> {
    let scope = match plan.topology {
        Topology::Parliament => Scope::Global,
        Topology::Flat => Scope::District(DistrictName::new(district_name(0))?),
    };
    let leader = plan
        .leader
        .and_then(|l| handles.iter().position(|h| member_of(h).0 == l));
    Ok(plan
        .ids
        .iter()
        .map(|&c| {
            let client = Client {
                id: c,
                handles: Arc::clone(handles),
                topology: plan.topology,
                scope: scope.clone(),
                value_bytes: plan.value_bytes,
                rng: StdRng::seed_from_u64(plan.seed ^ (u64::from(c) << 32)),
                leader,
                stop: Arc::clone(stop),
            };
            tokio::spawn(client.run())
        })
        .collect())
}

/// Waits for clients told to stop, and returns the latencies of the writes answered
/// between `t0` and `t1`, and how many were refused or timed out between them.
///
/// # Errors
/// A client did not stop within twice the request timeout, or its task failed.
pub async fn finish_clients(
    clients: Vec<tokio::task::JoinHandle<Tally>>,
    t0: Instant,
    t1: Instant,
) -> anyhow::Result<(Vec<Duration>, u64)> {
    let (mut latencies, mut lost) = (Vec::new(), 0);
    for c in clients {
        // A client finishes the write it has outstanding, which the member answers
        // within its request timeout.
        let tally = tokio::time::timeout(REQUEST_TIMEOUT * 2, c)
            .await
            .context("a client did not stop")?
            .context("a client task failed")?;
        let inside = |at: &Instant| *at >= t0 && *at <= t1;
        latencies.extend(
            tally
                .answered
                .iter()
                .filter(|(at, _)| inside(at))
                .map(|(_, l)| *l),
        );
        lost += tally.failed.iter().filter(|at| inside(at)).count() as u64;
    }
    Ok((latencies, lost))
}

/// The counters and CPU time now, stamped with the middle of the reading (reading 729
/// members' links takes a while).
pub fn reading(
    handles: &[NodeHandle],
    proc: Option<&Proc>,
) -> (Instant, Traffic, Option<Duration>) {
    let a = Instant::now();
    let cpu = proc.and_then(Proc::cpu);
    let traffic = Traffic::read(handles);
    let b = Instant::now();
    (a + (b - a) / 2, traffic, cpu)
}

/// What one client saw.
#[derive(Debug, Default)]
pub struct Tally {
    /// When each write was answered, and its latency.
    answered: Vec<(Instant, Duration)>,
    /// When each write was refused or timed out.
    failed: Vec<Instant>,
}

/// One closed-loop client: one write outstanding, the next sent as soon as it is answered.
struct Client {
    id: u32,
    handles: Arc<Vec<NodeHandle>>,
    topology: Topology,
    scope: Scope,
    value_bytes: usize,
    rng: StdRng,
    /// Flat: the index of the leader last known.
    leader: Option<usize>,
    stop: Arc<AtomicBool>,
}

impl Client {
    async fn run(mut self) -> Tally {
        let mut tally = Tally::default();
        let mut n = 0u64;
        let key = Key::new(format!("k{}", self.id));
        let Ok(key) = key else {
            return tally;
        };
        while !self.stop.load(Ordering::Relaxed) {
            n += 1;
            let Some(at) = self.target() else {
                tally.failed.push(Instant::now());
                tokio::time::sleep(BACKOFF).await;
                continue;
            };
            let mut value = format!("c{}-{n}-", self.id).into_bytes();
            value.resize(self.value_bytes.max(value.len()), b'.');
            let cmd: Command = Write::put(self.scope.clone(), key.clone(), value).into();
            let sent = Instant::now();
            let answer = self.handles[at].write(cmd).await;
            let done = Instant::now();
            match answer {
                Ok(r) if matches!(r.outcome, Outcome::Written { .. }) => {
                    tally.answered.push((done, done - sent));
                }
                _ => {
                    tally.failed.push(done);
                    self.leader = None;
                    tokio::time::sleep(BACKOFF).await;
                }
            }
        }
        tally
    }

    /// The member to write at: a random one (Parliament: any member takes a global
    /// write), or the flat group's leader (it has no forwarding).
    fn target(&mut self) -> Option<usize> {
        match self.topology {
            Topology::Parliament => Some(self.rng.random_range(0..self.handles.len())),
            Topology::Flat => {
                if self.leader.is_none() {
                    self.leader = self.handles.iter().position(|h| {
                        h.roles().borrow().district_role == parliament_engine::engine::Role::Leader
                    });
                }
                self.leader
            }
        }
    }
}
