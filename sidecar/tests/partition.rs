//! A whole district cut off from the network and healed, with real processes: each
//! district runs in a network namespace of its own (a "zone host" with its own address,
//! joined to the others by a bridge), and the test cuts the Prime Minister's district
//! off by taking its link down while clients at the other districts keep writing. The
//! cut-off members keep running: their representative must stop acting for its seat
//! when its district lease lapses, the other districts must elect a new Prime Minister,
//! and after the heal every scope's history must be linearizable, with every
//! acknowledged write present.
//!
//! Needs root and `ip` (iproute2). Without them the test prints why and passes; CI sets
//! `PARLIAMENT_REQUIRE_NETNS=1`, which turns a missing capability into a failure.

mod common;

use std::collections::BTreeMap;
use std::process::Command;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Duration;

use bytes::Bytes;
use parliament::cli::client;
use parliament::local::{ClusterOptions, LocalCluster, Shape, plan};
use parliament_proto::client as pb;
use parliament_tests::linearizability::{CheckOptions, KvInput, KvModel, KvOutput, Op, check};
use tokio::sync::Mutex;

fn ip(args: &[&str]) -> Result<(), String> {
    let out = Command::new("ip")
        .args(args)
        .output()
        .map_err(|e| format!("cannot run ip: {e}"))?;
    if out.status.success() {
        Ok(())
    } else {
        Err(format!(
            "ip {}: {}",
            args.join(" "),
            String::from_utf8_lossy(&out.stderr).trim()
        ))
    }
}

/// The namespaces and links of one test; removed on drop. The bridge that joins the
/// districts lives in a "switch" namespace of its own, so the host's firewall (Docker
/// sets FORWARD to DROP for bridged traffic) does not apply to it; the test reaches the
/// members through one more link from the host into the switch.
struct Network {
    tag: String,
    districts: usize,
}

impl Network {
    fn ns(&self, d: usize) -> String {
        format!("{}-d{d}", self.tag)
    }
    fn switch(&self) -> String {
        format!("{}-sw", self.tag)
    }
    /// The switch's end of district `d`'s link.
    fn port(&self, d: usize) -> String {
        format!("{}p{d}", self.tag)
    }
    fn address(d: usize) -> String {
        format!("10.211.{}.1", d + 1)
    }

    fn create(districts: usize) -> Result<Network, String> {
        let tag = format!("pt{}", std::process::id() % 100_000);
        let net = Network { tag, districts };
        let sw = net.switch();
        ip(&["netns", "add", &sw])?;
        ip(&["-n", &sw, "link", "add", "br0", "type", "bridge"])?;
        ip(&["-n", &sw, "link", "set", "br0", "up"])?;
        // The host's link into the switch.
        let host = format!("{}h", net.tag);
        let host_port = format!("{}hp", net.tag);
        ip(&[
            "link", "add", &host, "type", "veth", "peer", "name", &host_port,
        ])?;
        ip(&["link", "set", &host_port, "netns", &sw])?;
        ip(&["-n", &sw, "link", "set", &host_port, "master", "br0"])?;
        ip(&["-n", &sw, "link", "set", &host_port, "up"])?;
        ip(&["addr", "add", "10.211.0.1/16", "dev", &host])?;
        ip(&["link", "set", &host, "up"])?;
        for d in 0..districts {
            let ns = net.ns(d);
            ip(&["netns", "add", &ns])?;
            let inner = format!("{}n{d}", net.tag);
            let port = net.port(d);
            ip(&["link", "add", &port, "type", "veth", "peer", "name", &inner])?;
            ip(&["link", "set", &inner, "netns", &ns])?;
            ip(&["link", "set", &port, "netns", &sw])?;
            ip(&["-n", &sw, "link", "set", &port, "master", "br0"])?;
            ip(&["-n", &sw, "link", "set", &port, "up"])?;
            let cidr = format!("{}/16", Network::address(d));
            ip(&["-n", &ns, "addr", "add", &cidr, "dev", &inner])?;
            ip(&["-n", &ns, "link", "set", &inner, "up"])?;
            ip(&["-n", &ns, "link", "set", "lo", "up"])?;
        }
        Ok(net)
    }

    fn cut(&self, d: usize) {
        ip(&["-n", &self.switch(), "link", "set", &self.port(d), "down"])
            .expect("cut the district off");
    }

    fn heal(&self, d: usize) {
        ip(&["-n", &self.switch(), "link", "set", &self.port(d), "up"]).expect("heal the district");
    }
}

impl Drop for Network {
    fn drop(&mut self) {
        for d in 0..self.districts {
            let _ = ip(&["netns", "del", &self.ns(d)]);
        }
        let _ = ip(&["netns", "del", &self.switch()]);
        let _ = ip(&["link", "del", &format!("{}h", self.tag)]);
    }
}

/// Keys the clients write, round robin: more keys means fewer overlapping writes per key
/// for the checker to order.
const KEYS: u64 = 8;
/// How long a client waits after a failed write before the next.
const RETRY_PAUSE: Duration = Duration::from_millis(100);

fn capability() -> Result<(), String> {
    let probe = format!("ptprobe{}", std::process::id() % 100_000);
    ip(&["netns", "add", &probe])?;
    ip(&["netns", "del", &probe])
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_district_cut_off_loses_the_prime_minister_and_nothing_acknowledged() {
    if let Err(why) = capability() {
        assert!(
            std::env::var_os("PARLIAMENT_REQUIRE_NETNS").is_none(),
            "network namespaces are required here (PARLIAMENT_REQUIRE_NETNS) but: {why}"
        );
        println!("skipped: network namespaces are not available ({why})");
        return;
    }
    let districts = 3;
    let net = Network::create(districts).expect("build the test network");

    let dir = tempfile::tempdir().expect("tempdir");
    let spec_path = dir.path().join("parliament.yaml");
    std::fs::write(&spec_path, common::spec_yaml("part", "generated")).expect("spec");
    let spec = parliament_crds::parliament_from_yaml(&common::spec_yaml("part", "disabled"))
        .expect("spec parses")
        .spec;
    let (mut roster, mut members) = plan(
        "part",
        &spec,
        Shape {
            districts: Some(districts),
            members: Some(3),
            base_port: 24_000,
        },
    )
    .expect("plan");
    // Each district's members on its namespace's address.
    let names: Vec<String> = roster.districts.iter().map(|d| d.name.clone()).collect();
    let index = |district: &str| names.iter().position(|n| n == district).expect("district");
    let readdress = |a: &str, d: usize| a.replace("127.0.0.1", &Network::address(d));
    let mut wrappers = BTreeMap::new();
    for m in &mut members {
        let d = index(&m.district);
        m.peer = readdress(&m.peer, d);
        m.api = readdress(&m.api, d);
        m.metrics = readdress(&m.metrics, d);
        wrappers.insert(
            m.id,
            vec![
                "ip".to_owned(),
                "netns".to_owned(),
                "exec".to_owned(),
                net.ns(d),
            ],
        );
    }
    for district in &mut roster.districts {
        let d = index(&district.name);
        for m in &mut district.members {
            m.ip = Some(Network::address(d));
            m.peer_address = m.peer_address.as_deref().map(|a| readdress(a, d));
            m.api_address = m.api_address.as_deref().map(|a| readdress(a, d));
        }
    }
    let mut cluster = LocalCluster::prepare(
        ClusterOptions {
            exe: env!("CARGO_BIN_EXE_parliament").into(),
            data: dir.path().join("data"),
            name: "part".to_owned(),
            spec: spec_path,
            tls: true,
            log: "info".to_owned(),
            wrappers,
        },
        roster,
        members,
    )
    .expect("prepare");
    cluster.start_all().expect("start");
    let statuses = common::convened(&cluster, Duration::from_secs(60)).await;
    let (pm, pm_term) = common::holder(&statuses, pb::RoleKind::PrimeMinister, None).expect("a PM");
    let pm_district = cluster.member(pm).expect("pm").district.clone();
    let cut = index(&pm_district);

    tracing::info!("--- clients write global keys at the members outside the PM's district");
    let clock = Arc::new(AtomicU64::new(0));
    let ops: Arc<Mutex<Vec<Op<KvInput, KvOutput>>>> = Arc::default();
    let stop = Arc::new(AtomicBool::new(false));
    let acked = Arc::new(AtomicU64::new(0));
    let mut tasks = Vec::new();
    for (i, m) in cluster
        .members()
        .iter()
        .filter(|m| m.district != pm_district)
        .enumerate()
    {
        let (addr, clock, ops, stop, acked) = (
            m.api.clone(),
            clock.clone(),
            ops.clone(),
            stop.clone(),
            acked.clone(),
        );
        tasks.push(tokio::spawn(async move {
            let mut n = 0u64;
            while !stop.load(Ordering::SeqCst) {
                n += 1;
                let key = format!("k{}", n % KEYS);
                let value = format!("c{i}-{n}").into_bytes();
                let call = clock.fetch_add(1, Ordering::SeqCst);
                // A write that never reached the member cannot have been applied: leave
                // it out of the history rather than record it as unknown.
                let Ok(mut c) = client::connect(&addr).await else {
                    tokio::time::sleep(RETRY_PAUSE).await;
                    continue;
                };
                let result = c
                    .put(pb::PutRequest {
                        scope: Some(pb::Scope {
                            kind: Some(pb::scope::Kind::Global(pb::Global {})),
                        }),
                        key: key.clone(),
                        value: Bytes::from(value.clone()),
                        options: None,
                        if_absent: false,
                    })
                    .await;
                let op = match result {
                    Ok(_) => {
                        acked.fetch_add(1, Ordering::SeqCst);
                        Op::completed(
                            i as u64,
                            key,
                            KvInput::Put(value),
                            KvOutput::Ok,
                            call,
                            clock.fetch_add(1, Ordering::SeqCst),
                        )
                    }
                    // Whatever the error, the write may have been queued: unknown.
                    Err(_) => Op::unknown(i as u64, key, KvInput::Put(value), call),
                };
                let failed = op.output.is_none();
                ops.lock().await.push(op);
                // A client pauses before retrying a failed write, as a real one would; a
                // tight retry loop during the election would record hundreds of
                // unknown-outcome writes per key, each of which the checker must try at
                // every later point of the history.
                if failed {
                    tokio::time::sleep(RETRY_PAUSE).await;
                }
            }
        }));
    }
    common::wait_for(
        &cluster,
        Duration::from_secs(30),
        "writes before the cut",
        |_| acked.load(Ordering::SeqCst) >= 20,
    )
    .await;

    tracing::info!("--- cut the Prime Minister's district off");
    net.cut(cut);
    let before = acked.load(Ordering::SeqCst);
    common::wait_for(
        &cluster,
        Duration::from_secs(60),
        "a new Prime Minister outside the cut district",
        |s| {
            common::holder(s, pb::RoleKind::PrimeMinister, None)
                .is_some_and(|(id, t)| id != pm && t > pm_term)
        },
    )
    .await;
    common::wait_for(
        &cluster,
        Duration::from_secs(60),
        "global writes acknowledged during the cut",
        |_| acked.load(Ordering::SeqCst) >= before + 20,
    )
    .await;

    tracing::info!("--- heal");
    net.heal(cut);
    common::convened(&cluster, Duration::from_secs(60)).await;
    stop.store(true, Ordering::SeqCst);
    for t in tasks {
        t.await.expect("client");
    }

    tracing::info!("--- read every key strictly through a member of the healed district");
    let reader = cluster
        .members()
        .iter()
        .find(|m| m.district == pm_district)
        .expect("member")
        .api
        .clone();
    let mut history = ops.lock().await.clone();
    for k in 0..KEYS {
        let key = format!("k{k}");
        let call = clock.fetch_add(1, Ordering::SeqCst);
        let req = pb::GetRequest {
            scope: Some(pb::Scope {
                kind: Some(pb::scope::Kind::Global(pb::Global {})),
            }),
            key: key.clone(),
            read: Some(pb::ReadOptions {
                level: pb::ReadLevel::Strict as i32,
                min_revision: 0,
            }),
        };
        let (r, _) = client::call(&reader, Duration::from_secs(30), |mut c| {
            let req = req.clone();
            async move { c.get(req).await.map(tonic::Response::into_inner) }
        })
        .await
        .expect("final read");
        history.push(Op::completed(
            999,
            key,
            KvInput::Get,
            KvOutput::Value(r.found.then(|| r.value.to_vec())),
            call,
            clock.fetch_add(1, Ordering::SeqCst),
        ));
    }
    let outcome = check(&KvModel::new(), &history, &CheckOptions::default());
    assert!(outcome.is_linearizable(), "{outcome}");
    println!(
        "partition: {} global writes acknowledged ({} during the cut), history of {} operations linearizable",
        acked.load(Ordering::SeqCst),
        acked.load(Ordering::SeqCst) - before,
        history.len()
    );
    cluster.stop_all().await;
    drop(net);
}
