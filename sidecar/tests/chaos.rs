//! Real-process chaos: a parliament of 3 districts × 3 members, concurrent clients at
//! several members writing and reading every scope, while the nemesis kills -9
//! representatives and the Prime Minister, restarts them, and freezes a whole district
//! (SIGSTOP: cut off from the others, and from time) then thaws it. Every client
//! operation is recorded and the history of each scope is checked for linearizability;
//! after the faults heal, a final read of every key sees every acknowledged write.

mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Duration;

use bytes::Bytes;
use parliament::cli::client;
use parliament_proto::client as pb;
use parliament_tests::linearizability::{CheckOptions, KvInput, KvModel, KvOutput, Op, check};
use tokio::sync::Mutex;
use tonic::Code;

type KvOp = Op<KvInput, KvOutput>;

/// The shared event counter and the recorded operations.
#[derive(Default)]
struct Recorder {
    clock: AtomicU64,
    ops: Mutex<Vec<(String, KvOp)>>,
}

impl Recorder {
    fn now(&self) -> u64 {
        self.clock.fetch_add(1, Ordering::SeqCst)
    }
}

fn scope_of(name: &str) -> Option<pb::Scope> {
    let kind = match name.strip_prefix("district/") {
        Some(d) => pb::scope::Kind::District(d.to_owned()),
        None => pb::scope::Kind::Global(pb::Global {}),
    };
    Some(pb::Scope { kind: Some(kind) })
}

/// Whether an error proves the operation had no effect: refused before proposing.
fn no_effect(status: &tonic::Status) -> bool {
    matches!(
        status.code(),
        Code::InvalidArgument | Code::FailedPrecondition | Code::ResourceExhausted
    ) || (status.code() == Code::Unavailable && status.message().starts_with("no quorum"))
        || status.message().starts_with("cannot reach")
}

async fn one_client(
    id: u64,
    addr: String,
    scope: String,
    keys: Vec<String>,
    recorder: Arc<Recorder>,
    stop: Arc<AtomicBool>,
    acknowledged: Arc<AtomicU64>,
) {
    let mut n = 0u64;
    while !stop.load(Ordering::SeqCst) {
        n += 1;
        let key = keys[(n as usize) % keys.len()].clone();
        let value = format!("c{id}-{n}").into_bytes();
        let write = !n.is_multiple_of(3);
        let call = recorder.now();
        let result = match client::connect(&addr).await {
            Err(e) => Err(e),
            Ok(mut c) => {
                if write {
                    c.put(pb::PutRequest {
                        scope: scope_of(&scope),
                        key: key.clone(),
                        value: Bytes::from(value.clone()),
                        options: None,
                        if_absent: false,
                    })
                    .await
                    .map(|_| KvOutput::Ok)
                } else {
                    c.get(pb::GetRequest {
                        scope: scope_of(&scope),
                        key: key.clone(),
                        read: Some(pb::ReadOptions {
                            level: pb::ReadLevel::Linearizable as i32,
                            min_revision: 0,
                        }),
                    })
                    .await
                    .map(|r| {
                        let r = r.into_inner();
                        KvOutput::Value(r.found.then(|| r.value.to_vec()))
                    })
                }
            }
        };
        let input = if write {
            KvInput::Put(value)
        } else {
            KvInput::Get
        };
        let op = match result {
            Ok(output) => {
                if write {
                    acknowledged.fetch_add(1, Ordering::SeqCst);
                }
                Some(Op::completed(
                    id,
                    key.clone(),
                    input,
                    output,
                    call,
                    recorder.now(),
                ))
            }
            // A refusal before proposing had no effect: it is not part of the history.
            Err(status) if no_effect(&status) => None,
            // Timed out or lost: may or may not have taken effect.
            Err(_) => (write).then(|| Op::unknown(id, key.clone(), input, call)),
        };
        if let Some(op) = op {
            recorder.ops.lock().await.push((scope.clone(), op));
        }
    }
}

async fn freeze(cluster: &parliament::local::LocalCluster, ids: &[u64], signal: &str) {
    for id in ids {
        if let Some(pid) = cluster.pid(*id) {
            let status = tokio::process::Command::new("kill")
                .arg(signal)
                .arg(pid.to_string())
                .status()
                .await
                .expect("run kill");
            assert!(status.success(), "kill {signal} {pid}");
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kill_restart_and_freeze_lose_nothing_acknowledged_and_stay_linearizable() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut cluster = common::start(dir.path(), "chaos", 3, 3, false, 23_000);
    let statuses = common::convened(&cluster, Duration::from_secs(60)).await;
    let districts: Vec<String> = cluster
        .roster()
        .districts
        .iter()
        .map(|d| d.name.clone())
        .collect();
    let recorder = Arc::new(Recorder::default());
    let stop = Arc::new(AtomicBool::new(false));
    let acknowledged = Arc::new(AtomicU64::new(0));

    tracing::info!("--- clients at several members, every scope");
    let mut clients = Vec::new();
    let members: Vec<_> = cluster.members().to_vec();
    for (i, m) in members.iter().enumerate() {
        for (j, scope) in [format!("district/{}", m.district), "global".to_owned()]
            .into_iter()
            .enumerate()
        {
            let keys = vec![format!("{scope}-a"), format!("{scope}-b")];
            clients.push(tokio::spawn(one_client(
                (2 * i + j) as u64,
                m.api.clone(),
                scope,
                keys,
                recorder.clone(),
                stop.clone(),
                acknowledged.clone(),
            )));
        }
    }
    tracing::info!("--- a calm start: every client gets some writes through");
    common::wait_for(
        &cluster,
        Duration::from_secs(30),
        "100 acknowledged writes",
        |_| acknowledged.load(Ordering::SeqCst) >= 100,
    )
    .await;

    tracing::info!("--- kill -9 a representative that is not the Prime Minister, then restart it");
    let (pm, _) = common::holder(&statuses, pb::RoleKind::PrimeMinister, None).expect("a PM");
    let pm_district = cluster.member(pm).expect("pm").district.clone();
    let victim_district = districts
        .iter()
        .find(|d| **d != pm_district)
        .expect("another district")
        .clone();
    let (rep, term) = common::holder(
        &statuses,
        pb::RoleKind::Representative,
        Some(&victim_district),
    )
    .expect("rep");
    cluster.kill(rep).await;
    common::wait_for(
        &cluster,
        Duration::from_secs(30),
        "a new representative",
        |s| {
            common::holder(s, pb::RoleKind::Representative, Some(&victim_district))
                .is_some_and(|(id, t)| id != rep && t > term)
        },
    )
    .await;
    cluster.start(rep).expect("restart");

    tracing::info!("--- kill -9 the Prime Minister, then restart it");
    let statuses = common::convened(&cluster, Duration::from_secs(30)).await;
    let (pm, pm_term) = common::holder(&statuses, pb::RoleKind::PrimeMinister, None).expect("a PM");
    cluster.kill(pm).await;
    common::wait_for(
        &cluster,
        Duration::from_secs(40),
        "a new Prime Minister",
        |s| {
            common::holder(s, pb::RoleKind::PrimeMinister, None)
                .is_some_and(|(id, t)| id != pm && t > pm_term)
                && status_convened(s)
        },
    )
    .await;
    cluster.start(pm).expect("restart");

    tracing::info!("--- freeze a whole district, then thaw it");
    let frozen: Vec<u64> = cluster
        .members()
        .iter()
        .filter(|m| m.district == districts[1])
        .map(|m| m.id)
        .collect();
    freeze(&cluster, &frozen, "-STOP").await;
    // The other districts carry on: a Prime Minister elsewhere serves global writes.
    let before = acknowledged.load(Ordering::SeqCst);
    common::wait_for(
        &cluster,
        Duration::from_secs(40),
        "global writes while a district is frozen",
        |_| acknowledged.load(Ordering::SeqCst) > before + 10,
    )
    .await;
    freeze(&cluster, &frozen, "-CONT").await;
    common::convened(&cluster, Duration::from_secs(60)).await;

    tracing::info!("--- stop the clients and read every key at the end");
    stop.store(true, Ordering::SeqCst);
    for c in clients {
        c.await.expect("client task");
    }
    let mut ops = recorder.ops.lock().await.clone();
    let keys: Vec<(String, String)> = {
        let mut k: Vec<_> = ops
            .iter()
            .map(|(s, o)| (s.clone(), o.key.clone()))
            .collect();
        k.sort();
        k.dedup();
        k
    };
    for (scope, key) in keys {
        let at = cluster
            .members()
            .iter()
            .find(|m| scope == "global" || scope == format!("district/{}", m.district))
            .expect("a member")
            .api
            .clone();
        let call = recorder.now();
        let req = pb::GetRequest {
            scope: scope_of(&scope),
            key: key.clone(),
            read: Some(pb::ReadOptions {
                level: pb::ReadLevel::Strict as i32,
                min_revision: 0,
            }),
        };
        let (r, _) = client::call(&at, Duration::from_secs(30), |mut c| {
            let req = req.clone();
            async move { c.get(req).await.map(tonic::Response::into_inner) }
        })
        .await
        .expect("the final read is answered");
        let ret = recorder.now();
        ops.push((
            scope.clone(),
            Op::completed(
                999,
                key,
                KvInput::Get,
                KvOutput::Value(r.found.then(|| r.value.to_vec())),
                call,
                ret,
            ),
        ));
    }

    tracing::info!("--- every scope's history is linearizable");
    let acked = acknowledged.load(Ordering::SeqCst);
    assert!(
        acked > 50,
        "only {acked} writes were acknowledged; the run proves little"
    );
    let mut scopes: Vec<String> = ops.iter().map(|(s, _)| s.clone()).collect();
    scopes.sort();
    scopes.dedup();
    for scope in scopes {
        let history: Vec<KvOp> = ops
            .iter()
            .filter(|(s, _)| *s == scope)
            .map(|(_, o)| o.clone())
            .collect();
        let acked_here = history
            .iter()
            .filter(|o| o.ret.is_some() && matches!(o.input, KvInput::Put(_)))
            .count();
        assert!(
            acked_here >= 5,
            "scope {scope}: only {acked_here} acknowledged writes"
        );
        let outcome = check(&KvModel::new(), &history, &CheckOptions::default());
        assert!(
            outcome.is_linearizable(),
            "scope {scope}: {outcome} ({} operations)",
            history.len()
        );
        println!(
            "chaos: scope {scope}: {} operations ({acked_here} acknowledged writes) linearizable",
            history.len()
        );
    }
    println!("chaos: {acked} acknowledged writes");
    cluster.stop_all().await;
}

fn status_convened(s: &[parliament::cli::status::MemberStatus]) -> bool {
    parliament::cli::status::convened(s)
}
