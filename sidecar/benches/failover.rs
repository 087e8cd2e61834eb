//! Failover of real member processes, and the footprint of one member: prints tables.
//!
//! ```sh
//! cargo bench -p parliament --bench failover            # 20 trials of each kill
//! cargo bench -p parliament --bench failover -- --trials 5
//! ```
//!
//! A parliament of 3 districts × 3 members runs on 127.0.0.1 with the default timings
//! (district elections 1–2 s, Commons 3–6 s) and mutual TLS. Each trial kills -9 a
//! representative (or the Prime Minister), then measures, from the kill:
//! - *serving*: until a district write (a global write, for the Prime Minister) sent to a
//!   surviving member is acknowledged;
//! - *in status*: until `parliament status` shows a new holder with a higher term.
//!
//! The member is restarted and the parliament reconvenes before the next trial.
//! Figures are medians and 99th percentiles over the trials, with min and max.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use bytes::Bytes;
use parliament::cli::{client, status};
use parliament::local::{ClusterOptions, LocalCluster, Shape, plan};
use parliament_proto::client as pb;

fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let rank = ((p / 100.0) * (sorted.len() as f64 - 1.0)).round() as usize;
    sorted[rank.min(sorted.len() - 1)]
}

fn row(name: &str, mut v: Vec<f64>) -> String {
    v.sort_by(f64::total_cmp);
    format!(
        "| {name:<38} | {:>4} | {:>8.0} | {:>8.0} | {:>8.0} | {:>8.0} |",
        v.len(),
        percentile(&v, 50.0),
        percentile(&v, 99.0),
        v.first().copied().unwrap_or(f64::NAN),
        v.last().copied().unwrap_or(f64::NAN),
    )
}

async fn convened(cluster: &LocalCluster) -> Vec<status::MemberStatus> {
    let until = Instant::now() + Duration::from_secs(120);
    loop {
        let s = status::gather(cluster.roster()).await;
        if status::convened(&s) {
            return s;
        }
        assert!(
            Instant::now() < until,
            "did not reconvene:\n{}",
            status::render(&s)
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// Tries one write at each address in turn until one is acknowledged.
async fn serve_write(addrs: &[String], scope: pb::Scope, n: u64) -> Instant {
    let mut i = 0;
    loop {
        let addr = &addrs[i % addrs.len()];
        i += 1;
        let req = pb::PutRequest {
            scope: Some(scope.clone()),
            key: "failover".to_owned(),
            value: Bytes::from(n.to_string()),
            options: None,
            if_absent: false,
        };
        let ok = match tokio::time::timeout(Duration::from_millis(500), async {
            let mut c = client::connect(addr).await?;
            c.put(req).await
        })
        .await
        {
            Ok(Ok(_)) => true,
            Ok(Err(status)) => match parliament::api::grpc::detail(&status) {
                // Follow the named leader at once.
                Some(pb::error_detail::Kind::NotLeader(nl)) if !nl.leader_address.is_empty() => {
                    let mut c = match client::connect(&nl.leader_address).await {
                        Ok(c) => c,
                        Err(_) => continue,
                    };
                    let req = pb::PutRequest {
                        scope: Some(scope.clone()),
                        key: "failover".to_owned(),
                        value: Bytes::from(n.to_string()),
                        options: None,
                        if_absent: false,
                    };
                    c.put(req).await.is_ok()
                }
                _ => false,
            },
            Err(_) => false,
        };
        if ok {
            return Instant::now();
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

async fn status_shows(
    cluster: &LocalCluster,
    kind: pb::RoleKind,
    district: Option<&str>,
    old: (u64, u64),
) -> Instant {
    loop {
        let s = status::gather(cluster.roster()).await;
        if status::holder(&s, kind, district).is_some_and(|(id, t)| id != old.0 && t > old.1) {
            return Instant::now();
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

fn proc_field(pid: u32, file: &str, key: &str) -> Option<u64> {
    let text = std::fs::read_to_string(format!("/proc/{pid}/{file}")).ok()?;
    text.lines()
        .find(|l| l.starts_with(key))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|v| v.parse().ok())
}

fn cpu_ticks(pid: u32) -> Option<u64> {
    let text = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    let after = text.rsplit_once(')')?.1;
    let fields: Vec<&str> = after.split_whitespace().collect();
    // utime and stime are fields 14 and 15 of stat; 12 and 13 after the command name.
    Some(fields.get(11)?.parse::<u64>().ok()? + fields.get(12)?.parse::<u64>().ok()?)
}

#[tokio::main]
async fn main() {
    let args: Vec<String> = std::env::args().collect();
    let trials: usize = args
        .iter()
        .position(|a| a == "--trials")
        .and_then(|i| args.get(i + 1))
        .and_then(|v| v.parse().ok())
        .unwrap_or(20);
    let dir = tempfile::tempdir().expect("tempdir");
    let spec_path: PathBuf = [
        env!("CARGO_MANIFEST_DIR"),
        "..",
        "examples",
        "parliament.yaml",
    ]
    .iter()
    .collect();
    let spec = parliament_crds::parliament_from_yaml(
        &std::fs::read_to_string(&spec_path).expect("example"),
    )
    .expect("example parses")
    .spec;
    let (roster, members) = plan(
        "web",
        &spec,
        Shape {
            districts: Some(3),
            members: Some(3),
            base_port: 25_000,
        },
    )
    .expect("plan");
    let mut cluster = LocalCluster::prepare(
        ClusterOptions {
            exe: env!("CARGO_BIN_EXE_parliament").into(),
            data: dir.path().join("data"),
            name: "web".to_owned(),
            spec: spec_path,
            tls: true,
            log: "warn".to_owned(),
            wrappers: std::collections::BTreeMap::new(),
        },
        roster,
        members,
    )
    .expect("prepare");
    cluster.start_all().expect("start");
    let started = Instant::now();
    convened(&cluster).await;
    let convene = started.elapsed();

    // Footprint of one idle member, over 10 s.
    let idle_pid = cluster.pid(cluster.members()[8].id).expect("pid");
    let t0 = cpu_ticks(idle_pid).unwrap_or(0);
    tokio::time::sleep(Duration::from_secs(10)).await;
    let t1 = cpu_ticks(idle_pid).unwrap_or(0);
    let rss_kib = proc_field(idle_pid, "status", "VmRSS:").unwrap_or(0);
    let ticks_per_s = 100.0; // USER_HZ on Linux
    let idle_cpu = (t1.saturating_sub(t0)) as f64 / ticks_per_s / 10.0 * 100.0;

    let districts: Vec<String> = cluster
        .roster()
        .districts
        .iter()
        .map(|d| d.name.clone())
        .collect();
    let mut rep_serve = Vec::new();
    let mut rep_status = Vec::new();
    let mut pm_serve = Vec::new();
    let mut pm_status = Vec::new();
    for trial in 0..trials {
        // A representative that is not the Prime Minister.
        let s = convened(&cluster).await;
        let pm = status::holder(&s, pb::RoleKind::PrimeMinister, None).expect("pm");
        let pm_district = cluster.member(pm.0).expect("pm").district.clone();
        let d = districts
            .iter()
            .filter(|d| **d != pm_district)
            .nth(trial % 2)
            .expect("district")
            .clone();
        let rep = status::holder(&s, pb::RoleKind::Representative, Some(&d)).expect("rep");
        let survivors: Vec<String> = cluster
            .members()
            .iter()
            .filter(|m| m.district == d && m.id != rep.0)
            .map(|m| m.api.clone())
            .collect();
        let scope = pb::Scope {
            kind: Some(pb::scope::Kind::District(d.clone())),
        };
        let kill = Instant::now();
        cluster.kill(rep.0).await;
        let (served, shown) = tokio::join!(
            serve_write(&survivors, scope, trial as u64),
            status_shows(&cluster, pb::RoleKind::Representative, Some(&d), rep)
        );
        rep_serve.push(served.duration_since(kill).as_secs_f64() * 1000.0);
        rep_status.push(shown.duration_since(kill).as_secs_f64() * 1000.0);
        cluster.start(rep.0).expect("restart");

        // The Prime Minister.
        let s = convened(&cluster).await;
        let pm = status::holder(&s, pb::RoleKind::PrimeMinister, None).expect("pm");
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
            serve_write(&others, global, trial as u64),
            status_shows(&cluster, pb::RoleKind::PrimeMinister, None, pm)
        );
        pm_serve.push(served.duration_since(kill).as_secs_f64() * 1000.0);
        pm_status.push(shown.duration_since(kill).as_secs_f64() * 1000.0);
        cluster.start(pm.0).expect("restart");
        eprintln!("trial {}/{trials} done", trial + 1);
    }
    let exe_size = std::fs::metadata(env!("CARGO_BIN_EXE_parliament")).map_or(0, |m| m.len());
    println!("## Failover (3 districts × 3 members, default timings, mTLS, {trials} trials)\n");
    println!("| from kill -9 to … (ms) | n | median | p99 | min | max |");
    println!("|---|---:|---:|---:|---:|---:|");
    println!(
        "{}",
        row("representative: new one serves writes", rep_serve.clone())
    );
    println!("{}", row("representative: status shows it", rep_status));
    println!("{}", row("Prime Minister: global writes served", pm_serve));
    println!("{}", row("Prime Minister: status shows it", pm_status));
    let mut sorted = rep_serve;
    sorted.sort_by(f64::total_cmp);
    let median = percentile(&sorted, 50.0);
    println!(
        "\nYardstick (not measured here): a Kubernetes Lease election with client-go's defaults \
         (15 s lease, 10 s renew deadline, 2 s retry) takes 15–24 s to fail over; the median \
         representative failover above is {:.1}× shorter than the 15 s lower bound.",
        15_000.0 / median
    );
    println!("\n## Footprint\n");
    println!("| what | value |");
    println!("|---|---:|");
    println!(
        "| first convening (9 members, from spawn) | {:.1} s |",
        convene.as_secs_f64()
    );
    println!("| idle member RSS | {:.1} MiB |", rss_kib as f64 / 1024.0);
    println!("| idle member CPU (10 s window) | {idle_cpu:.2} % of one core |");
    println!(
        "| binary size ({} build) | {:.1} MiB |",
        if cfg!(debug_assertions) {
            "debug"
        } else {
            "release"
        },
        exe_size as f64 / 1_048_576.0
    );
    cluster.stop_all().await;
}
