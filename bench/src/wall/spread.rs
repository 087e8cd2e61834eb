//! One measured run with the members spread over host processes ([`run`]): the same
//! members, clients and readings as [`super::load::run`], but each host process
//! (`parliament-bench wall-host`, [`super::host`]) runs `per_process` of the members with
//! its own descriptor table, and this process only steers the hosts and adds up what
//! they report. Member `i` (from 1) lives in host `(i - 1) mod hosts`, so every host
//! holds members of every district, as pods of a district spread over nodes.

use std::io::{BufRead, BufReader, Write as _};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use parliament_engine::NodeId;

use super::cluster::{REQUEST_TIMEOUT, Topology, roster};
use super::host::{self, Reply, Request, Start};
use super::load::{ClientPlan, RunOptions, WallReport, data_dir};
use super::process;
use super::seen::{self, Links, Seen};
use super::traffic::Traffic;

/// How long a host may take to start its members.
const START_BOUND: Duration = Duration::from_secs(120);
/// How long a host may take to answer any other request.
const REPLY_BOUND: Duration = Duration::from_secs(60);
/// See [`super::load`]: CPU time with no clients is read over this long.
const IDLE: Duration = Duration::from_secs(1);
/// A run is given up when the machine has less memory left than this, before the
/// kernel's out-of-memory killer picks a process (the benchmark's own, as like as not).
const MEMORY_FLOOR_MIB: u64 = 2_048;

/// How many hosts `members` need at `per_process` members each.
#[must_use]
pub fn hosts_for(members: usize, per_process: usize) -> usize {
    members.div_ceil(per_process.max(1)).max(1)
}

/// One host process, its stdin and a thread reading its stdout line by line.
struct Host {
    child: Child,
    stdin: ChildStdin,
    lines: mpsc::Receiver<String>,
    members: Vec<u64>,
    log: PathBuf,
}

impl Host {
    fn spawn(program: &Path, start: &Start, log: PathBuf) -> anyhow::Result<Host> {
        let stderr = std::fs::File::create(&log).context("a host's log file")?;
        let mut child = Command::new(program)
            .arg(host::COMMAND)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(stderr)
            .spawn()
            .with_context(|| format!("starting {} {}", program.display(), host::COMMAND))?;
        let (stdin, stdout) = match (child.stdin.take(), child.stdout.take()) {
            (Some(i), Some(o)) => (i, o),
            _ => bail!("a host without its pipes"),
        };
        let (tx, lines) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        let mut host = Host {
            child,
            stdin,
            lines,
            members: start.members.clone(),
            log,
        };
        host.send_line(&serde_json::to_string(start)?)?;
        Ok(host)
    }

    fn send_line(&mut self, line: &str) -> anyhow::Result<()> {
        writeln!(self.stdin, "{line}")
            .and_then(|()| self.stdin.flush())
            .map_err(|e| anyhow::anyhow!("{}: {e}", self.gone()))
    }

    fn send(&mut self, request: &Request) -> anyhow::Result<()> {
        self.send_line(&serde_json::to_string(request)?)
    }

    fn receive(&mut self, bound: Duration) -> anyhow::Result<Reply> {
        let line = match self.lines.recv_timeout(bound) {
            Ok(line) => line,
            Err(mpsc::RecvTimeoutError::Timeout) => {
                bail!(
                    "{} did not answer within {} s",
                    self.name(),
                    bound.as_secs()
                )
            }
            Err(mpsc::RecvTimeoutError::Disconnected) => bail!("{}", self.gone()),
        };
        match serde_json::from_str(&line)
            .with_context(|| format!("{} answered {line:?}", self.name()))?
        {
            Reply::Failed(why) => bail!("{}: {why}", self.name()),
            reply => Ok(reply),
        }
    }

    fn name(&self) -> String {
        match (self.members.first(), self.members.len()) {
            (Some(first), n) => format!("the host of {n} members from member {first}"),
            (None, _) => "a host of no members".to_owned(),
        }
    }

    /// Why the host stopped answering: its exit status and its log's last line (an
    /// out-of-memory kill shows as signal 9).
    fn gone(&mut self) -> String {
        let status = match self.child.try_wait() {
            Ok(Some(s)) => s.to_string(),
            _ => "still running".to_owned(),
        };
        let last = std::fs::read_to_string(&self.log)
            .ok()
            .and_then(|l| l.lines().last().map(str::to_owned))
            .unwrap_or_default();
        format!("{} stopped answering ({status}) {last}", self.name())
    }
}

/// Every host of a run.
struct Hosts {
    hosts: Vec<Host>,
    districts: usize,
}

impl Hosts {
    /// Asks every host the same, all at once, and collects the answers in host order.
    fn ask(&mut self, request: &Request, bound: Duration) -> anyhow::Result<Vec<Reply>> {
        for h in &mut self.hosts {
            h.send(request)?;
        }
        self.hosts.iter_mut().map(|h| h.receive(bound)).collect()
    }

    fn seen(&mut self) -> anyhow::Result<Vec<Seen>> {
        let mut all = Vec::new();
        for reply in self.ask(&Request::Roles, REPLY_BOUND)? {
            match reply {
                Reply::Roles(rows) => all.extend(rows),
                other => bail!("roles answered with {other:?}"),
            }
        }
        all.sort_by_key(|s| s.member);
        Ok(all)
    }

    fn leader(&mut self, topology: Topology) -> anyhow::Result<Option<NodeId>> {
        Ok(seen::leader(&self.seen()?, topology, self.districts))
    }

    fn reading(&mut self) -> anyhow::Result<Reading> {
        let a = Instant::now();
        let replies = self.ask(&Request::Reading, REPLY_BOUND)?;
        let b = Instant::now();
        let mut r = Reading {
            at: a + (b - a) / 2,
            traffic: Traffic::default(),
            cpu: Some(Duration::ZERO),
            rss_mib: Some(0.0),
            links: Links {
                descriptors: Some(0),
                ..Links::default()
            },
            most_descriptors: None,
        };
        let mut rows = Vec::new();
        for reply in replies {
            let Reply::Reading {
                traffic,
                cpu_ms,
                rss_mib,
                links,
            } = reply
            else {
                bail!("a reading answered with {reply:?}");
            };
            rows.push(traffic);
            r.cpu = r
                .cpu
                .zip(cpu_ms)
                .map(|(c, ms)| c + Duration::from_millis(ms));
            r.rss_mib = r.rss_mib.zip(rss_mib).map(|(a, b)| a + b);
            r.links = r.links.plus(links);
            r.most_descriptors = r.most_descriptors.max(links.descriptors);
        }
        r.traffic = Traffic::from_rows(rows);
        Ok(r)
    }

    /// Tells every host to stop, waits a bounded time for each, then kills what is left.
    fn stop(mut self) {
        for h in &mut self.hosts {
            let _ = h.send(&Request::Stop);
        }
        let until = Instant::now() + Duration::from_secs(30);
        for h in &mut self.hosts {
            let left = until.saturating_duration_since(Instant::now());
            let _ = h.lines.recv_timeout(left);
            let _ = h.child.kill();
            let _ = h.child.wait();
        }
    }
}

/// The hosts' figures at one moment, added up.
struct Reading {
    at: Instant,
    traffic: Traffic,
    cpu: Option<Duration>,
    rss_mib: Option<f64>,
    links: Links,
    /// The most descriptors one host had open.
    most_descriptors: Option<usize>,
}

/// What [`run`] measured, with the host count and the most descriptors one host held.
#[derive(Clone, Debug)]
pub struct SpreadReport {
    /// The run's figures, summed over the hosts (CPU, memory, descriptors).
    pub report: WallReport,
    /// Host processes.
    pub hosts: usize,
    /// The most descriptors one host had open at the window's end.
    pub most_descriptors: Option<usize>,
}

/// Runs `opts` with the members in hosts of `per_process` members each, `program` being
/// this benchmark's binary; ledgers under a fresh folder, removed afterwards.
///
/// # Errors
/// A host could not start or stopped answering, or the members did not convene within
/// the bound.
pub fn run(opts: &RunOptions, program: &Path, per_process: usize) -> anyhow::Result<SpreadReport> {
    let dir = data_dir()?;
    let started = Instant::now();
    let roster = roster(opts.members, opts.districts)?;
    let n = hosts_for(opts.members, per_process);
    let mut hosts = Vec::with_capacity(n);
    let mut failed = None;
    for h in 0..n {
        let start = Start {
            roster: roster.clone(),
            members: (1..=opts.members as u64)
                .filter(|m| (m - 1) as usize % n == h)
                .collect(),
            data: dir.path().to_owned(),
        };
        match Host::spawn(program, &start, dir.path().join(format!("host-{h}.log"))) {
            Ok(host) => hosts.push(host),
            Err(e) => {
                failed = Some(e);
                break;
            }
        }
    }
    let mut hosts = Hosts {
        hosts,
        districts: opts.districts,
    };
    let outcome = match failed {
        Some(e) => Err(e),
        None => drive(opts, &mut hosts, started),
    };
    hosts.stop();
    outcome.map(|(report, most_descriptors)| SpreadReport {
        report,
        hosts: n,
        most_descriptors,
    })
}

fn drive(
    opts: &RunOptions,
    hosts: &mut Hosts,
    started: Instant,
) -> anyhow::Result<(WallReport, Option<usize>)> {
    for h in &mut hosts.hosts {
        match h.receive(START_BOUND)? {
            Reply::Started => {}
            other => bail!("{} answered its start with {other:?}", h.name()),
        }
    }
    let until = Instant::now() + opts.convene_bound;
    let (convening, overflows) = (Instant::now(), process::listen_overflows());
    let first = loop {
        if let Some(l) = hosts.leader(opts.topology)? {
            break l;
        }
        let low = process::memory_available_mib().filter(|m| *m < MEMORY_FLOOR_MIB);
        if Instant::now() > until || low.is_some() {
            // Given up early for memory, the message gives the time it had.
            let had = if low.is_some() {
                convening.elapsed()
            } else {
                opts.convene_bound
            };
            let roles = seen::why_not(&hosts.seen()?, opts.topology, hosts.districts, had);
            let r = hosts.reading()?;
            let most = r
                .most_descriptors
                .map_or_else(|| "?".to_owned(), |d| d.to_string());
            let overflowed =
                overflows
                    .zip(process::listen_overflows())
                    .map_or_else(String::new, |(a, b)| {
                        format!(
                            "; the kernel counted {} listen-queue overflows",
                            b.saturating_sub(a)
                        )
                    });
            let memory = r
                .rss_mib
                .map_or_else(String::new, |m| format!("; the hosts held {:.0} MiB", m));
            let given_up = low.map_or_else(String::new, |m| {
                format!(
                    " (given up after {:.0} s with {m} MiB of memory left)",
                    convening.elapsed().as_secs_f64()
                )
            });
            bail!(
                "{roles}{given_up}{} (at most {most} in one of {} hosts){overflowed}{memory}",
                r.links.describe(),
                hosts.hosts.len()
            );
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    let convened = started.elapsed();
    let idle_start = hosts.reading()?;
    std::thread::sleep(IDLE);
    let idle_end = hosts.reading()?;
    let idle_cores = idle_start.cpu.zip(idle_end.cpu).map(|(a, b)| {
        b.saturating_sub(a).as_secs_f64() / (idle_end.at - idle_start.at).as_secs_f64()
    });
    start_clients(opts, hosts, first)?;
    std::thread::sleep(opts.warmup);

    let before = hosts.reading()?;
    let leader = hosts.leader(opts.topology)?.unwrap_or(first);
    std::thread::sleep(opts.window);
    let after = hosts.reading()?;
    let seen_after = hosts.seen()?;
    let leader_after = seen::leader(&seen_after, opts.topology, hosts.districts);

    let (streams, max_member_streams) = after.traffic.streams();
    let mut report = WallReport {
        convened,
        window: after.at - before.at,
        cpu: before.cpu.zip(after.cpu).map(|(a, b)| b.saturating_sub(a)),
        rss_mib: idle_start.rss_mib,
        idle_cores,
        leader_changed: leader_after != Some(leader),
        streams,
        max_member_streams,
        busiest: after.traffic.busiest().map_or_else(String::new, |(id, n)| {
            format!("{} ({n} streams)", seen::describe(&seen_after, id))
        }),
        descriptors: after.links.descriptors,
        ..WallReport::default()
    };
    for reply in hosts.ask(&Request::Finish, REQUEST_TIMEOUT * 2 + REPLY_BOUND)? {
        let Reply::Finished { latencies_us, lost } = reply else {
            bail!("finishing answered with {reply:?}");
        };
        report
            .latencies
            .extend(latencies_us.into_iter().map(Duration::from_micros));
        report.lost += lost;
    }
    report.add_window(&after.traffic.since(&before.traffic), leader);
    Ok((report, after.most_descriptors))
}

/// Parliament: the clients dealt over the hosts in turn, each writing at random members
/// of its host (every host holds members of every district). Flat: every client at the
/// leader's host, writing at the leader, as in one process.
fn start_clients(opts: &RunOptions, hosts: &mut Hosts, leader: NodeId) -> anyhow::Result<()> {
    let n = hosts.hosts.len();
    let home = hosts
        .hosts
        .iter()
        .position(|h| h.members.contains(&leader.0))
        .unwrap_or(0);
    for (i, h) in hosts.hosts.iter_mut().enumerate() {
        let ids: Vec<u32> = (0..opts.clients)
            .filter(|c| match opts.topology {
                Topology::Parliament => *c as usize % n == i,
                Topology::Flat => i == home,
            })
            .collect();
        if ids.is_empty() {
            continue;
        }
        h.send(&Request::Clients(ClientPlan {
            ids,
            topology: opts.topology,
            seed: opts.seed,
            value_bytes: opts.value_bytes,
            leader: Some(leader.0),
        }))?;
        match h.receive(REPLY_BOUND)? {
            Reply::Clients => {}
            other => bail!("{} answered its clients with {other:?}", h.name()),
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hosts_hold_at_most_their_share() {
        assert_eq!(hosts_for(729, 27), 27);
        assert_eq!(hosts_for(243, 27), 9);
        assert_eq!(hosts_for(10, 3), 4);
        assert_eq!(hosts_for(5, 0), 5);
        assert_eq!(hosts_for(0, 27), 1);
    }
}
