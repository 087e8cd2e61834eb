//! Failover of real member processes ([`trials`]): 3 districts × 3 members, each a
//! `parliament-bench run` process (the same `parliament::run::run` as `parliament run`)
//! on 127.0.0.1 with the example spec's timings (the defaults) and mutual TLS; kill -9 of
//! a representative, then of the Prime Minister, timed from the kill to a write
//! acknowledged by a survivor and to `parliament status` showing a newer holder. Also the
//! footprint of one idle member.

use std::path::Path;
use std::time::Duration;

use anyhow::{Context, bail};
use bytes::Bytes;
use parliament::cli::{client, status};
use parliament::local::{ClusterOptions, LocalCluster, Shape, plan};
use parliament_proto::client as pb;
use tokio::time::Instant;

/// The spec the members run with (default timings, TLS generated).
const SPEC: &str = include_str!("../../../examples/parliament.yaml");
/// The parliament's shape.
pub const DISTRICTS: usize = 3;
/// See [`DISTRICTS`].
pub const MEMBERS_PER_DISTRICT: usize = 3;
/// Longest wait for the parliament to (re)convene.
const CONVENE_LIMIT: Duration = Duration::from_secs(120);
/// Longest wait from a kill to a survivor's acknowledgement or a new holder in status.
const FAILOVER_LIMIT: Duration = Duration::from_secs(60);
/// Between polls of the members (status, writes).
const POLL: Duration = Duration::from_millis(10);
/// Where the search for free ports starts; below Linux's default ephemeral range
/// (32768–60999), so that client connections are not handed these ports meanwhile.
const PORT_SEARCH_FROM: u16 = 20_000;
/// Linux's `USER_HZ`: the unit of `utime` and `stime` in `/proc/PID/stat`.
const TICKS_PER_SECOND: f64 = 100.0;

/// Milliseconds from each kill, per trial.
#[derive(Clone, Debug, Default)]
pub struct Failovers {
    /// Representative killed: a district write acknowledged by a surviving member.
    pub rep_serving: Vec<f64>,
    /// Representative killed: status shows a new one with a higher term.
    pub rep_status: Vec<f64>,
    /// Prime Minister killed: a global write acknowledged by a surviving member.
    pub pm_serving: Vec<f64>,
    /// Prime Minister killed: status shows a new one with a higher term.
    pub pm_status: Vec<f64>,
}

/// One idle member, and the first convening.
#[derive(Clone, Copy, Debug)]
pub struct Footprint {
    /// From spawning the 9 members to convened.
    pub first_convening: Duration,
    /// The idle member's resident set, KiB.
    pub idle_rss_kib: u64,
    /// Its CPU over the window, per cent of one core.
    pub idle_cpu_percent: f64,
    /// The window.
    pub idle_window: Duration,
}

/// What one run of the part measured.
#[derive(Clone, Debug)]
pub struct Measured {
    /// The failover times.
    pub failovers: Failovers,
    /// The footprint.
    pub footprint: Footprint,
    /// The first of the member ports.
    pub base_port: u16,
    /// Trials that were cut short, with why.
    pub problems: Vec<String>,
}

/// The first of `count` consecutive ports on 127.0.0.1 that can all be bound now.
/// `Shape` gives member `i` the ports `base + 3i ..= base + 3i + 2`, so the members'
/// ports cannot each be picked by binding port 0; a block is probed instead, and released
/// for the members to bind (a process that takes one in between makes that member fail to
/// start, which the part reports).
///
/// # Errors
/// No such block below the ephemeral range.
pub fn free_port_block(count: u16) -> anyhow::Result<u16> {
    let mut base = PORT_SEARCH_FROM;
    while let Some(end) = base.checked_add(count).filter(|e| *e < 32_768) {
        let all_free = (base..end).all(|p| std::net::TcpListener::bind(("127.0.0.1", p)).is_ok());
        if all_free {
            return Ok(base);
        }
        base = end;
    }
    bail!("no {count} consecutive free ports on 127.0.0.1 between {PORT_SEARCH_FROM} and 32767")
}

/// Runs `trials` of each kill on a fresh parliament under `dir`, then stops it.
///
/// # Errors
/// The parliament could not be prepared, started, or did not convene at first.
pub async fn trials(dir: &Path, trials: usize, idle_window: Duration) -> anyhow::Result<Measured> {
    let spec_path = dir.join("parliament.yaml");
    std::fs::write(&spec_path, SPEC).context("writing the spec")?;
    let spec = parliament_crds::parliament_from_yaml(SPEC)
        .context("examples/parliament.yaml")?
        .spec;
    let members = u16::try_from(DISTRICTS * MEMBERS_PER_DISTRICT)?;
    let base_port = free_port_block(3 * members)?;
    let (roster, members) = plan(
        "web",
        &spec,
        Shape {
            districts: Some(DISTRICTS),
            members: Some(MEMBERS_PER_DISTRICT),
            base_port,
        },
    )?;
    let exe = std::env::current_exe().context("this benchmark's own path")?;
    let mut cluster = LocalCluster::prepare(
        ClusterOptions {
            exe,
            data: dir.join("data"),
            name: "web".to_owned(),
            spec: spec_path,
            tls: true,
            log: "warn".to_owned(),
            wrappers: std::collections::BTreeMap::new(),
        },
        roster,
        members,
    )?;
    let outcome = measure(&mut cluster, trials, idle_window, base_port).await;
    cluster.stop_all().await;
    outcome
}

async fn measure(
    cluster: &mut LocalCluster,
    trials: usize,
    idle_window: Duration,
    base_port: u16,
) -> anyhow::Result<Measured> {
    cluster.start_all()?;
    let started = Instant::now();
    let s = convened(cluster).await?;
    let first_convening = started.elapsed();

    // An idle member: one that holds no seat.
    let holders: Vec<u64> = cluster
        .roster()
        .districts
        .iter()
        .filter_map(|d| status::holder(&s, pb::RoleKind::Representative, Some(&d.name)))
        .chain(status::holder(&s, pb::RoleKind::PrimeMinister, None))
        .map(|(id, _)| id)
        .collect();
    let idle = cluster
        .members()
        .iter()
        .map(|m| m.id)
        .rfind(|id| !holders.contains(id))
        .context("every member holds a seat")?;
    let pid = cluster
        .pid(idle)
        .context("the idle member is not running")?;
    let t0 = cpu_ticks(pid)?;
    let window_start = Instant::now();
    tokio::time::sleep(idle_window).await;
    let t1 = cpu_ticks(pid)?;
    let window = window_start.elapsed();
    let footprint = Footprint {
        first_convening,
        idle_rss_kib: proc_status_kib(pid, "VmRSS")?,
        idle_cpu_percent: t1.saturating_sub(t0) as f64 / TICKS_PER_SECOND / window.as_secs_f64()
            * 100.0,
        idle_window: window,
    };

    let mut failovers = Failovers::default();
    let mut problems = Vec::new();
    for trial in 0..trials {
        if let Err(e) = representative_trial(cluster, trial, &mut failovers).await {
            problems.push(format!("trial {}, representative: {e:#}", trial + 1));
        }
        if let Err(e) = prime_minister_trial(cluster, trial, &mut failovers).await {
            problems.push(format!("trial {}, Prime Minister: {e:#}", trial + 1));
        }
        eprintln!("  parliament failover trial {}/{trials} done", trial + 1);
    }
    Ok(Measured {
        failovers,
        footprint,
        base_port,
        problems,
    })
}

/// Kills -9 the representative of a district the Prime Minister is not in.
async fn representative_trial(
    cluster: &mut LocalCluster,
    trial: usize,
    out: &mut Failovers,
) -> anyhow::Result<()> {
    let s = convened(cluster).await?;
    let pm = status::holder(&s, pb::RoleKind::PrimeMinister, None).context("no PM")?;
    let pm_district = cluster
        .member(pm.0)
        .context("PM not in roster")?
        .district
        .clone();
    let district = cluster
        .roster()
        .districts
        .iter()
        .map(|d| d.name.clone())
        .filter(|d| *d != pm_district)
        .nth(trial % (DISTRICTS - 1))
        .context("no district without the PM")?;
    let rep = status::holder(&s, pb::RoleKind::Representative, Some(&district))
        .with_context(|| format!("no representative of {district}"))?;
    let survivors: Vec<String> = cluster
        .members()
        .iter()
        .filter(|m| m.district == district && m.id != rep.0)
        .map(|m| m.api.clone())
        .collect();
    let scope = pb::Scope {
        kind: Some(pb::scope::Kind::District(district.clone())),
    };
    let kill = Instant::now();
    cluster.kill(rep.0).await;
    let (served, shown) = tokio::join!(
        serve_write(&survivors, &scope, trial as u64),
        status_shows(cluster, pb::RoleKind::Representative, Some(&district), rep)
    );
    let restarted = cluster.start(rep.0);
    out.rep_serving.push(ms(served?.duration_since(kill)));
    out.rep_status.push(ms(shown?.duration_since(kill)));
    restarted?;
    Ok(())
}

/// Kills -9 the Prime Minister.
async fn prime_minister_trial(
    cluster: &mut LocalCluster,
    trial: usize,
    out: &mut Failovers,
) -> anyhow::Result<()> {
    let s = convened(cluster).await?;
    let pm = status::holder(&s, pb::RoleKind::PrimeMinister, None).context("no PM")?;
    let others: Vec<String> = cluster
        .members()
        .iter()
        .filter(|m| m.id != pm.0)
        .map(|m| m.api.clone())
        .collect();
    let global = pb::Scope {
        kind: Some(pb::scope::Kind::Global(pb::Global {})),
    };
    let kill = Instant::now();
    cluster.kill(pm.0).await;
    let (served, shown) = tokio::join!(
        serve_write(&others, &global, trial as u64),
        status_shows(cluster, pb::RoleKind::PrimeMinister, None, pm)
    );
    let restarted = cluster.start(pm.0);
    out.pm_serving.push(ms(served?.duration_since(kill)));
    out.pm_status.push(ms(shown?.duration_since(kill)));
    restarted?;
    Ok(())
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

/// Polls every member until the parliament has convened.
async fn convened(cluster: &LocalCluster) -> anyhow::Result<Vec<status::MemberStatus>> {
    let until = Instant::now() + CONVENE_LIMIT;
    loop {
        let s = status::gather(cluster.roster()).await;
        if status::convened(&s) {
            return Ok(s);
        }
        if Instant::now() > until {
            bail!(
                "the parliament did not convene within {} s:\n{}",
                CONVENE_LIMIT.as_secs(),
                status::render(&s)
            );
        }
        tokio::time::sleep(POLL).await;
    }
}

/// Tries one write at each address in turn (following a named leader at once) until one
/// is acknowledged; the time of the acknowledgement.
async fn serve_write(addrs: &[String], scope: &pb::Scope, n: u64) -> anyhow::Result<Instant> {
    let until = Instant::now() + FAILOVER_LIMIT;
    let request = || pb::PutRequest {
        scope: Some(scope.clone()),
        key: "failover".to_owned(),
        value: Bytes::from(n.to_string()),
        options: None,
        if_absent: false,
    };
    for addr in addrs.iter().cycle() {
        let ok = match tokio::time::timeout(Duration::from_millis(500), async {
            let mut c = client::connect(addr).await?;
            c.put(request()).await
        })
        .await
        {
            Ok(Ok(_)) => true,
            Ok(Err(status)) => match parliament::api::grpc::detail(&status) {
                Some(pb::error_detail::Kind::NotLeader(nl)) if !nl.leader_address.is_empty() => {
                    match client::connect(&nl.leader_address).await {
                        Ok(mut c) => c.put(request()).await.is_ok(),
                        Err(_) => false,
                    }
                }
                _ => false,
            },
            Err(_) => false,
        };
        if ok {
            return Ok(Instant::now());
        }
        if Instant::now() > until {
            bail!(
                "no survivor acknowledged a write within {} s",
                FAILOVER_LIMIT.as_secs()
            );
        }
        tokio::time::sleep(POLL).await;
    }
    bail!("no surviving member to write to")
}

/// Polls status until a member other than `old`'s holds `kind` with a higher term.
async fn status_shows(
    cluster: &LocalCluster,
    kind: pb::RoleKind,
    district: Option<&str>,
    old: (u64, u64),
) -> anyhow::Result<Instant> {
    let until = Instant::now() + FAILOVER_LIMIT;
    loop {
        let s = status::gather(cluster.roster()).await;
        if status::holder(&s, kind, district).is_some_and(|(id, t)| id != old.0 && t > old.1) {
            return Ok(Instant::now());
        }
        if Instant::now() > until {
            bail!(
                "status showed no new {kind:?} within {} s",
                FAILOVER_LIMIT.as_secs()
            );
        }
        tokio::time::sleep(POLL).await;
    }
}

/// A `kB` field of `/proc/PID/status`.
fn proc_status_kib(pid: u32, field: &str) -> anyhow::Result<u64> {
    let path = format!("/proc/{pid}/status");
    let text = std::fs::read_to_string(&path).with_context(|| path.clone())?;
    text.lines()
        .find_map(|l| l.strip_prefix(field)?.strip_prefix(':'))
        .and_then(|v| v.trim().strip_suffix("kB")?.trim().parse().ok())
        .with_context(|| format!("no {field} in {path}"))
}

/// `utime + stime` of `/proc/PID/stat`, in ticks.
fn cpu_ticks(pid: u32) -> anyhow::Result<u64> {
    let path = format!("/proc/{pid}/stat");
    let text = std::fs::read_to_string(&path).with_context(|| path.clone())?;
    parse_cpu_ticks(&text).with_context(|| format!("no utime and stime in {path}"))
}

fn parse_cpu_ticks(stat: &str) -> Option<u64> {
    // The command name (field 2) may hold spaces; it ends at the last ')'. utime and
    // stime are fields 14 and 15, so the 12th and 13th after it.
    let after = stat.rsplit_once(')')?.1;
    let mut fields = after.split_whitespace().skip(11);
    Some(fields.next()?.parse::<u64>().ok()? + fields.next()?.parse::<u64>().ok()?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cpu_ticks_are_utime_plus_stime_after_the_command_name() {
        let stat = "42 (a b) S 1 42 42 0 -1 4194560 100 0 0 0 7 5 0 0 20 0 1 0 10 1000 50";
        assert_eq!(parse_cpu_ticks(stat), Some(12));
        assert_eq!(parse_cpu_ticks("42 (x) S"), None);
        let own = std::fs::read_to_string("/proc/self/stat").unwrap();
        assert!(parse_cpu_ticks(&own).is_some());
    }

    #[test]
    fn a_free_block_can_be_bound() {
        let base = free_port_block(6).unwrap();
        assert!((PORT_SEARCH_FROM..32_768 - 6).contains(&base));
    }
}
