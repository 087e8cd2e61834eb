//! Pods added or removed become membership changes while the parliament runs: in-process
//! members of one district on 127.0.0.1 adopt newer rosters (`NodeHandle::set_roster`,
//! what the Kubernetes roster watch calls), and the representative moves the district's
//! configuration one member at a time. Every wait polls with a deadline.

use std::future::Future;
use std::net::TcpListener;
use std::sync::Arc;
use std::time::Duration;

use parliament::directory::Directory;
use parliament::metrics::Metrics;
use parliament::node::{Node, NodeHandle, NodeOptions, ReadLevel, Settings};
use parliament_crds::{Roster, RosterDistrict, RosterMember};
use parliament_engine::NodeId;
use parliament_engine::engine::Role;
use parliament_engine::state::{Command, DistrictName, Key, Scope, Write};
use tokio::time::Instant;

const CLUSTER: &str = "grow";
const LIMIT: Duration = Duration::from_secs(30);

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

/// The roster of district `east` with `members` (id, port), founded by 1, 2, 3.
fn roster(revision: u64, members: &[(u64, u16)]) -> Roster {
    Roster {
        revision,
        generation: 1,
        peer_port: 0,
        districts: vec![RosterDistrict {
            name: "east".to_owned(),
            members: members
                .iter()
                .map(|(id, port)| RosterMember {
                    id: *id,
                    pod: format!("m{id}"),
                    uid: format!("uid-{id}"),
                    district: "east".to_owned(),
                    ip: Some("127.0.0.1".to_owned()),
                    peer_address: Some(format!("127.0.0.1:{port}")),
                    ..RosterMember::default()
                })
                .collect(),
            bootstrap_representative: None,
            founders: Some(vec![1, 2, 3]),
            id: None,
        }],
        bootstrap_prime_minister: None,
        ..Roster::default()
    }
}

async fn start(dir: &std::path::Path, published: &Roster, id: u64, port: u16) -> Node {
    let options = NodeOptions {
        directory: Arc::new(Directory::new(CLUSTER, published).expect("a valid roster")),
        member: NodeId(id),
        data_dir: dir.join(format!("m{id}")),
        settings: Settings::default(),
        tls: None,
        peer_listen: Some(format!("127.0.0.1:{port}")),
        request_timeout: Duration::from_secs(5),
        tick: Duration::from_millis(10),
    };
    Node::start(options, Arc::new(Metrics::new()))
        .await
        .expect("the member starts")
}

/// Polls `check` every 20 ms until it gives a value; fails naming `what` after `LIMIT`.
async fn wait_for<T, F, Fut>(what: &str, mut check: F) -> T
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Option<T>>,
{
    let deadline = Instant::now() + LIMIT;
    loop {
        if let Some(v) = check().await {
            return v;
        }
        assert!(
            Instant::now() < deadline,
            "waited {LIMIT:?} for {what}; gave up"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// The configuration (voters, learners) at the district's representative.
fn configuration(handles: &[&NodeHandle]) -> Option<(Vec<NodeId>, Vec<NodeId>)> {
    handles.iter().find_map(|h| {
        let view = h.roles().borrow().clone();
        (view.district_role == Role::Leader).then_some((view.voters, view.learners))
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_member_joins_catches_up_and_a_founder_leaves_while_running() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let ports: Vec<(u64, u16)> = (1..=4).map(|id| (id, free_port())).collect();
    let scope = Scope::District(DistrictName::new("east").expect("a district name"));
    let key = Key::new("before").expect("a key");

    tracing::info!("--- three founders run and commit a write");
    let first = roster(1, &ports[..3]);
    let mut nodes = Vec::new();
    for (id, port) in &ports[..3] {
        nodes.push(start(dir.path(), &first, *id, *port).await);
    }
    let handles: Vec<NodeHandle> = nodes.iter().map(|n| n.handle.clone()).collect();
    let put: Command = Write::put(scope.clone(), key.clone(), "v1").into();
    wait_for("a write to commit in district east", || {
        let handles = handles.clone();
        let put = put.clone();
        async move {
            for h in &handles {
                if h.write(put.clone()).await.is_ok() {
                    return Some(());
                }
            }
            None
        }
    })
    .await;

    tracing::info!("--- the roster adds member 4; it starts and the founders adopt the roster");
    let grown = roster(2, &ports);
    nodes.push(start(dir.path(), &grown, 4, ports[3].1).await);
    let handles: Vec<NodeHandle> = nodes.iter().map(|n| n.handle.clone()).collect();
    for h in &handles[..3] {
        assert!(h.set_roster(grown.clone()).await.expect("adopted"));
        assert!(
            !h.set_roster(grown.clone()).await.expect("a replay"),
            "a replayed roster is ignored"
        );
    }
    let newcomer = handles[3].clone();
    wait_for("member 4 to serve the key written before it joined", || {
        let (newcomer, scope, key) = (newcomer.clone(), scope.clone(), key.clone());
        async move {
            let answer = newcomer.read(scope, key, ReadLevel::Stale).await.ok()?;
            (answer.served_by == NodeId(4)
                && answer.read.value.is_some_and(|v| v.value.as_ref() == b"v1"))
            .then_some(())
        }
    })
    .await;
    let all: Vec<&NodeHandle> = handles.iter().collect();
    wait_for("member 4 to be promoted to voter", || {
        let got = configuration(&all);
        async move {
            let (voters, learners) = got?;
            (voters == [NodeId(1), NodeId(2), NodeId(3), NodeId(4)] && learners.is_empty())
                .then_some(())
        }
    })
    .await;

    tracing::info!("--- the roster drops founder 1");
    let shrunk = roster(3, &ports[1..]);
    for h in &handles {
        h.set_roster(shrunk.clone()).await.expect("adopted");
    }
    let rest: Vec<&NodeHandle> = handles[1..].iter().collect();
    wait_for("member 1 to leave the configuration", || {
        let got = configuration(&rest);
        async move {
            let (voters, learners) = got?;
            (voters == [NodeId(2), NodeId(3), NodeId(4)] && learners.is_empty()).then_some(())
        }
    })
    .await;
    let put: Command = Write::put(scope.clone(), key.clone(), "v2").into();
    wait_for("a write to commit without member 1", || {
        let (rest, put) = (handles[1..].to_vec(), put.clone());
        async move {
            for h in &rest {
                if h.write(put.clone()).await.is_ok() {
                    return Some(());
                }
            }
            None
        }
    })
    .await;

    tracing::info!("--- a roster moving founders is refused and changes nothing");
    let mut bad = roster(4, &ports[1..]);
    bad.districts[0].founders = Some(vec![2, 3, 4]);
    let refused = handles[1]
        .set_roster(bad)
        .await
        .expect_err("founders changed");
    assert!(refused.to_string().contains("founders"), "{refused}");
    assert_eq!(handles[1].directory().revision(), 3);

    for h in &handles {
        h.shutdown();
    }
    for node in nodes {
        node.task.await.expect("joins").expect("stops cleanly");
    }
}
