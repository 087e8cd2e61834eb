//! Shared by the process-level tests: a parliament of real `parliament run` processes on
//! 127.0.0.1 (the binary this package builds), and ways to wait for it without sleeping
//! blind: every wait polls with a deadline and fails saying what it waited for.

#![allow(dead_code)]

use std::net::TcpListener;
use std::path::Path;
use std::time::Duration;

use parliament::cli::status::{self, MemberStatus};
use parliament::local::{ClusterOptions, LocalCluster, Shape, plan};
use parliament_proto::client as pb;
use tokio::time::Instant;

/// Fast timings so that elections take a fraction of a second, and frequent snapshots so
/// that every test of real processes also restarts from and catches up by snapshots.
pub fn spec_yaml(name: &str, tls: &str) -> String {
    format!(
        r#"apiVersion: parliament.dev/v1alpha1
kind: Parliament
metadata:
  name: {name}
spec:
  selector:
    matchLabels:
      app: {name}
  timeouts:
    electionTimeoutMinMs: 400
    electionTimeoutMaxMs: 800
    heartbeatIntervalMs: 50
    maxClockDriftMs: 50
  sessions:
    intervalMs: 10
    maxBatchPerDistrict: 64
  storage:
    snapshotEvery: 64
  tls:
    mode: {tls}
"#
    )
}

/// A base port whose 3 × `members` ports are free now, searched from `hint`.
pub fn free_base(hint: u16, members: usize) -> u16 {
    let mut base = hint;
    loop {
        let free = (0..3 * members).all(|i| {
            u16::try_from(usize::from(base) + i)
                .ok()
                .is_some_and(|p| TcpListener::bind(("127.0.0.1", p)).is_ok())
        });
        if free {
            return base;
        }
        base = base.wrapping_add(97);
        if base < 20_000 {
            base = 20_000;
        }
    }
}

/// Starts a parliament of `districts` × `members` under `dir`.
pub fn start(
    dir: &Path,
    name: &str,
    districts: usize,
    members: usize,
    tls: bool,
    hint: u16,
) -> LocalCluster {
    let spec_path = dir.join("parliament.yaml");
    std::fs::write(
        &spec_path,
        spec_yaml(name, if tls { "generated" } else { "disabled" }),
    )
    .expect("write the spec");
    let spec = parliament_crds::parliament_from_yaml(&spec_yaml(name, "disabled"))
        .expect("the test spec parses")
        .spec;
    let base = free_base(hint, districts * members);
    let (roster, locals) = plan(
        name,
        &spec,
        Shape {
            districts: Some(districts),
            members: Some(members),
            base_port: base,
        },
    )
    .expect("plan");
    let options = ClusterOptions {
        exe: env!("CARGO_BIN_EXE_parliament").into(),
        data: dir.join("data"),
        name: name.to_owned(),
        spec: spec_path,
        tls,
        log: "info".to_owned(),
        wrappers: std::collections::BTreeMap::new(),
    };
    let mut cluster = LocalCluster::prepare(options, roster, locals).expect("prepare");
    cluster.start_all().expect("spawn members");
    cluster
}

/// Polls `status` until `done` holds or `limit` passes; panics naming `what`.
pub async fn wait_for<F>(
    cluster: &LocalCluster,
    limit: Duration,
    what: &str,
    done: F,
) -> Vec<MemberStatus>
where
    F: Fn(&[MemberStatus]) -> bool,
{
    let until = Instant::now() + limit;
    loop {
        let statuses = status::gather(cluster.roster()).await;
        if done(&statuses) {
            return statuses;
        }
        if Instant::now() > until {
            panic!(
                "waited {limit:?} for {what}; last status:\n{}",
                status::render(&statuses)
            );
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Waits until a Prime Minister leads and every district has a representative.
pub async fn convened(cluster: &LocalCluster, limit: Duration) -> Vec<MemberStatus> {
    wait_for(
        cluster,
        limit,
        "the parliament to convene",
        status::convened,
    )
    .await
}

/// The member holding `kind` in `district`, with the highest term.
pub fn holder(
    statuses: &[MemberStatus],
    kind: pb::RoleKind,
    district: Option<&str>,
) -> Option<(u64, u64)> {
    status::holder(statuses, kind, district)
}

/// The API address of member `id`.
pub fn api(cluster: &LocalCluster, id: u64) -> String {
    cluster.member(id).expect("member").api.clone()
}

/// A plain HTTP/1.1 request to `addr`; returns status code and body.
pub async fn http(addr: &str, method: &str, path: &str, body: Option<&str>) -> (u16, String) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut s = tokio::net::TcpStream::connect(addr).await.expect("connect");
    let body = body.unwrap_or("");
    let req = format!(
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    s.write_all(req.as_bytes()).await.expect("send");
    let mut out = Vec::new();
    s.read_to_end(&mut out).await.expect("read");
    let text = String::from_utf8_lossy(&out).into_owned();
    let code = text
        .split_whitespace()
        .nth(1)
        .and_then(|c| c.parse().ok())
        .unwrap_or(0);
    let body = text
        .split_once("\r\n\r\n")
        .map_or("", |(_, b)| b)
        .to_owned();
    (code, body)
}
