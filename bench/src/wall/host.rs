//! `parliament-bench wall-host`: this binary as a host of some of a wall-time run's
//! members, so that a run's members can be spread over several processes, each with
//! its own descriptor table (docs/benchmarks.md §7: one process of 729 flat members runs
//! out of descriptors). The members are the same `parliament::node::Node`s as in one
//! process ([`InProcess`]), and the clients call their handles in the same way: the
//! parent ([`super::spread`]) only tells each host what to do and when, one JSON line per
//! request on stdin, one JSON line per reply on stdout.
//!
//! The first line is a [`Start`]; then any number of [`Request`]s, each answered by one
//! [`Reply`] (or [`Reply::Failed`]). The host stops its members and exits on
//! [`Request::Stop`] or when stdin closes (its parent died).

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use anyhow::{Context, bail};
use parliament::node::NodeHandle;
use parliament_crds::Roster;
use serde::{Deserialize, Serialize};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::time::Instant;

use super::cluster::InProcess;
use super::load::{ClientPlan, Tally, WORKERS, finish_clients, reading, spawn_clients};
use super::process::Proc;
use super::seen::{Links, Seen};
use super::traffic::Rows;

/// The first argument that makes this binary a host.
pub const COMMAND: &str = "wall-host";

/// The host's first line: which members of which roster to run, and where.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Start {
    /// The whole parliament (every member's peer address).
    pub roster: Roster,
    /// The members this host runs.
    pub members: Vec<u64>,
    /// Their ledgers go under this folder.
    pub data: PathBuf,
}

/// What the parent asks, after [`Start`].
#[derive(Clone, Debug, Serialize, Deserialize)]
pub enum Request {
    /// Every member's roles ([`Reply::Roles`]).
    Roles,
    /// The members' link counters and the process's CPU time and memory
    /// ([`Reply::Reading`]); each reading marks a moment for [`Request::Finish`].
    Reading,
    /// Start these clients at this host's members ([`Reply::Clients`]).
    Clients(ClientPlan),
    /// Stop the clients and report the writes they had answered between the last two
    /// readings ([`Reply::Finished`]).
    Finish,
    /// Stop the members and exit ([`Reply::Stopped`]).
    Stop,
}

/// A host's answer.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub enum Reply {
    /// The members are up.
    Started,
    /// See [`Request::Roles`].
    Roles(Vec<Seen>),
    /// See [`Request::Reading`].
    Reading {
        /// Every member's links.
        traffic: Rows,
        /// The process's CPU time so far, ms.
        cpu_ms: Option<u64>,
        /// Its resident set, MiB.
        rss_mib: Option<f64>,
        /// Its stream ends, failed dials and open descriptors.
        links: Links,
    },
    /// The clients are running.
    Clients,
    /// See [`Request::Finish`].
    Finished {
        /// Latencies of the writes answered, µs.
        latencies_us: Vec<u64>,
        /// Writes refused or timed out.
        lost: u64,
    },
    /// The members have stopped.
    Stopped,
    /// The request could not be done.
    Failed(String),
}

/// Runs a host on stdin and stdout until told to stop; its members on a runtime of
/// [`WORKERS`] workers, as in one process.
///
/// # Errors
/// The first line is not a [`Start`], the members could not start, or stdout closed.
pub fn run() -> anyhow::Result<()> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(WORKERS)
        .enable_all()
        .build()
        .context("the host's tokio runtime")?;
    runtime.block_on(serve())
}

/// The clients running here, and the moments of the readings so far.
#[derive(Default)]
struct Clients {
    running: Vec<tokio::task::JoinHandle<Tally>>,
    stop: Arc<AtomicBool>,
    marks: Vec<Instant>,
}

async fn serve() -> anyhow::Result<()> {
    // Opened before the members start, so that a host whose members fill its descriptor
    // table still reports its CPU time and memory.
    let proc = Proc::open();
    let mut lines = BufReader::new(tokio::io::stdin()).lines();
    let mut out = tokio::io::stdout();
    let cluster = match start(lines.next_line().await?).await {
        Ok(c) => c,
        Err(e) => {
            send(&mut out, &Reply::Failed(format!("{e:#}"))).await?;
            return Err(e);
        }
    };
    send(&mut out, &Reply::Started).await?;
    let handles: Arc<Vec<NodeHandle>> = Arc::new(cluster.handles().to_vec());
    let mut clients = Clients::default();
    let outcome = loop {
        let Some(line) = lines.next_line().await? else {
            break Ok(());
        };
        let reply = match serde_json::from_str::<Request>(&line) {
            Err(e) => Reply::Failed(format!("not a request: {e}")),
            Ok(Request::Stop) => break Ok(()),
            Ok(r) => answer(r, &cluster, &handles, proc.as_ref(), &mut clients)
                .await
                .unwrap_or_else(|e| Reply::Failed(format!("{e:#}"))),
        };
        if let Err(e) = send(&mut out, &reply).await {
            break Err(e);
        }
    };
    clients.stop.store(true, Ordering::Relaxed);
    cluster.stop().await;
    send(&mut out, &Reply::Stopped).await.ok();
    outcome
}

/// Starts the members the start line names.
async fn start(line: Option<String>) -> anyhow::Result<InProcess> {
    let start: Start =
        serde_json::from_str(&line.context("no start line")?).context("the start line")?;
    let settings = super::spec_settings()?;
    let wanted: std::collections::BTreeSet<u64> = start.members.iter().copied().collect();
    InProcess::start(
        &start.roster,
        |id| wanted.contains(&id),
        settings,
        &start.data,
    )
    .await
}

async fn answer(
    request: Request,
    cluster: &InProcess,
    handles: &Arc<Vec<NodeHandle>>,
    proc: Option<&Proc>,
    clients: &mut Clients,
) -> anyhow::Result<Reply> {
    Ok(match request {
        Request::Roles => Reply::Roles(cluster.seen()),
        Request::Reading => {
            let (at, traffic, cpu) = reading(handles, proc);
            clients.marks.push(at);
            Reply::Reading {
                traffic: traffic.rows(),
                cpu_ms: cpu.map(|c| u64::try_from(c.as_millis()).unwrap_or(u64::MAX)),
                rss_mib: proc.and_then(Proc::rss_mib),
                links: cluster.links(),
            }
        }
        Request::Clients(plan) => {
            if !clients.running.is_empty() {
                bail!("clients are already running here");
            }
            clients.stop = Arc::new(AtomicBool::new(false));
            clients.running = spawn_clients(&plan, handles, &clients.stop)?;
            Reply::Clients
        }
        Request::Finish => {
            let [.., t0, t1] = clients.marks[..] else {
                bail!("a window needs two readings first");
            };
            clients.stop.store(true, Ordering::Relaxed);
            let (latencies, lost) =
                finish_clients(std::mem::take(&mut clients.running), t0, t1).await?;
            Reply::Finished {
                latencies_us: latencies.iter().map(micros).collect(),
                lost,
            }
        }
        Request::Stop => Reply::Stopped,
    })
}

fn micros(d: &Duration) -> u64 {
    u64::try_from(d.as_micros()).unwrap_or(u64::MAX)
}

async fn send(out: &mut tokio::io::Stdout, reply: &Reply) -> anyhow::Result<()> {
    let mut line = serde_json::to_vec(reply)?;
    line.push(b'\n');
    out.write_all(&line).await?;
    out.flush().await?;
    Ok(())
}
