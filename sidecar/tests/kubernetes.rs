//! `parliament run --kubernetes`, the real binary against the API-server double over
//! HTTP: three member pods in three districts read their identity from the downward-API
//! variables, the roster from the operator's ConfigMap and the timings from the
//! Parliament; they elect representatives and a Prime Minister over gRPC and publish
//! them to their pod labels and the Parliament's status. Killing the Prime Minister
//! moves the status to its successor, with a higher term. A pod the operator adds to the
//! roster joins its district as a learner and is promoted, and a founder it drops is
//! removed, each seen in the status the representative publishes.

#[path = "../kube/tests/common/mod.rs"]
mod kube_common;

use std::net::TcpListener;
use std::process::Stdio;

use kube_common::{Cluster, NS, PARLIAMENT, eventually};
use parliament_crds::labels::ROLE;
use serde_json::json;
use tokio::process::{Child, Command};

const PODS: [(&str, &str); 3] = [("web-0", "east"), ("web-1", "north"), ("web-2", "west")];

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

/// A kubeconfig in `dir` pointing at the double, as a pod's in-cluster config would.
fn kubeconfig(dir: &std::path::Path, cluster: &Cluster) -> anyhow::Result<std::path::PathBuf> {
    let path = dir.join("kubeconfig");
    cluster.double.write_kubeconfig(&path, Some(NS))?;
    Ok(path)
}

fn spawn(pod: &str, data: &std::path::Path, kubeconfig: &std::path::Path, peer: &str) -> Child {
    let log = std::fs::File::create(data.join(format!("{pod}.log"))).expect("log");
    Command::new(env!("CARGO_BIN_EXE_parliament"))
        .args(["run", "--kubernetes", "--data"])
        .arg(data.join(pod))
        .args(["--peer-listen", peer])
        .args(["--api", &format!("127.0.0.1:{}", free_port())])
        .args(["--metrics", &format!("127.0.0.1:{}", free_port())])
        .env("KUBECONFIG", kubeconfig)
        .env("POD_NAME", pod)
        .env("POD_NAMESPACE", NS)
        .env("POD_UID", format!("uid-{pod}"))
        .env("POD_IP", "127.0.0.1")
        .env("PARLIAMENT_NAME", PARLIAMENT)
        .env("RUST_LOG", "info")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::from(log))
        .kill_on_drop(true)
        .spawn()
        .expect("spawn parliament run --kubernetes")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn members_in_pods_publish_their_leaders_and_follow_a_failover() -> anyhow::Result<()> {
    let cluster = Cluster::start().await?;
    let dir = tempfile::tempdir()?;
    let kubeconfig = kubeconfig(dir.path(), &cluster)?;
    tracing::info!("--- a Parliament, three pods in three zones, and the operator's roster");
    cluster.parliament().await?;
    for (pod, district) in PODS {
        cluster.pod(pod, district).await?;
    }
    cluster
        .operator_status(&[("east", 1), ("north", 1), ("west", 1)])
        .await?;
    // Every pod runs on 127.0.0.1 here, so each gets a peer address of its own.
    let peers: Vec<String> = PODS
        .iter()
        .map(|_| format!("127.0.0.1:{}", free_port()))
        .collect();
    let districts: Vec<_> = PODS
        .iter()
        .zip(&peers)
        .enumerate()
        .map(|(i, ((pod, district), peer))| {
            json!({"name": district, "members": [{
                "id": i + 1, "pod": pod, "uid": format!("uid-{pod}"), "district": district,
                "ip": "127.0.0.1", "peerAddress": peer,
            }]})
        })
        .collect();
    let roster = json!({"revision": 1, "generation": 1, "peerPort": 7400, "districts": districts});
    cluster.publish_roster(&roster.to_string()).await?;

    tracing::info!("--- start the sidecars");
    let mut children: Vec<Child> = PODS
        .iter()
        .zip(&peers)
        .map(|((pod, _), peer)| spawn(pod, dir.path(), &kubeconfig, peer))
        .collect();

    tracing::info!("--- representatives and a Prime Minister appear in status and labels");
    let (pm, term) = eventually(
        "a Prime Minister and three representatives in status",
        || async {
            let s = cluster.status().await?;
            let reps = s
                .districts
                .iter()
                .filter(|d| d.representative.is_some())
                .count();
            Ok(s.prime_minister
                .filter(|_| reps == 3)
                .map(|p| (p.pod.clone(), p.term)))
        },
    )
    .await?;
    eventually("the Prime Minister's pod label", || async {
        let labels = cluster.labels(&pm).await?;
        Ok((labels.get(ROLE).map(String::as_str) == Some("prime-minister")).then_some(()))
    })
    .await?;
    let others = PODS.iter().map(|(p, _)| *p).filter(|p| *p != pm);
    for pod in others {
        eventually("a representative's pod label", || async {
            let labels = cluster.labels(pod).await?;
            Ok((labels.get(ROLE).map(String::as_str) == Some("representative")).then_some(()))
        })
        .await?;
    }

    tracing::info!("--- kill -9 the Prime Minister: its successor takes the status");
    let index = PODS.iter().position(|(p, _)| *p == pm).expect("a pod");
    children[index].start_kill()?;
    children[index].wait().await?;
    let (next, next_term) = eventually("a new Prime Minister in status", || async {
        let s = cluster.status().await?;
        Ok(s.prime_minister
            .filter(|p| p.pod != pm && p.term > term)
            .map(|p| (p.pod.clone(), p.term)))
    })
    .await?;
    eventually("the new Prime Minister's label", || async {
        let labels = cluster.labels(&next).await?;
        Ok((labels.get(ROLE).map(String::as_str) == Some("prime-minister")).then_some(()))
    })
    .await?;
    assert!(next_term > term);
    for mut c in children {
        let _ = c.start_kill();
        let _ = c.wait().await;
    }
    Ok(())
}

/// A roster member entry as the operator writes it.
fn roster_member(id: u64, pod: &str, peer: &str) -> serde_json::Value {
    json!({
        "id": id, "pod": pod, "uid": format!("uid-{pod}"), "district": "east",
        "ip": "127.0.0.1", "peerAddress": peer,
    })
}

/// The district's configuration as the representative published it.
async fn configuration(cluster: &Cluster) -> anyhow::Result<Option<(Vec<String>, Vec<String>)>> {
    let s = cluster.status().await?;
    Ok(s.district("east")
        .filter(|d| d.representative.is_some())
        .map(|d| (d.voters.clone(), d.learners.clone())))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_pod_added_and_a_founder_removed_become_membership_changes_in_status()
-> anyhow::Result<()> {
    let cluster = Cluster::start().await?;
    let dir = tempfile::tempdir()?;
    let kubeconfig = kubeconfig(dir.path(), &cluster)?;
    tracing::info!("--- one district of three founders");
    cluster.parliament().await?;
    let pods = ["web-0", "web-1", "web-2", "web-3"];
    for pod in &pods[..3] {
        cluster.pod(pod, "east").await?;
    }
    cluster.operator_status(&[("east", 3)]).await?;
    let peers: Vec<String> = pods
        .iter()
        .map(|_| format!("127.0.0.1:{}", free_port()))
        .collect();
    let roster = |revision: u64, members: &[usize]| {
        let members: Vec<_> = members
            .iter()
            .map(|&i| roster_member(i as u64 + 1, pods[i], &peers[i]))
            .collect();
        json!({"revision": revision, "generation": 1, "peerPort": 7400,
            "foundingDistricts": [0], "nextDistrictId": 1,
            "districts": [{"name": "east", "id": 0, "founders": [1, 2, 3], "members": members}]})
        .to_string()
    };
    cluster.publish_roster(&roster(1, &[0, 1, 2])).await?;
    let mut children: Vec<Child> = (0..3)
        .map(|i| spawn(pods[i], dir.path(), &kubeconfig, &peers[i]))
        .collect();
    let names = |v: &[&str]| v.iter().map(|p| (*p).to_owned()).collect::<Vec<_>>();
    eventually("the founders as voters in status", || async {
        Ok(configuration(&cluster)
            .await?
            .filter(|(v, l)| *v == names(&pods[..3]) && l.is_empty()))
    })
    .await?;

    tracing::info!("--- a fourth pod: the operator adds it, it joins as a learner and is promoted");
    cluster.pod(pods[3], "east").await?;
    cluster.publish_roster(&roster(2, &[0, 1, 2, 3])).await?;
    children.push(spawn(pods[3], dir.path(), &kubeconfig, &peers[3]));
    eventually("four voters in status", || async {
        Ok(configuration(&cluster)
            .await?
            .filter(|(v, l)| *v == names(&pods) && l.is_empty()))
    })
    .await?;

    tracing::info!("--- a founder's pod goes: the operator drops it, the district removes it");
    cluster.publish_roster(&roster(3, &[1, 2, 3])).await?;
    eventually("three voters without web-0 in status", || async {
        Ok(configuration(&cluster)
            .await?
            .filter(|(v, l)| *v == names(&pods[1..]) && l.is_empty()))
    })
    .await?;
    let _ = children[0].start_kill();
    let _ = children[0].wait().await;
    tracing::info!("--- the district still elects without it: kill its representative");
    // web-0 may have been the representative that removed itself: wait for its successor.
    let (rep, term) = eventually("a representative other than web-0", || async {
        let s = cluster.status().await?;
        Ok(s.district("east")
            .filter(|d| d.representative.as_deref().is_some_and(|r| r != pods[0]))
            .and_then(|d| d.representative.clone().map(|r| (r, d.term))))
    })
    .await?;
    let index = pods.iter().position(|p| *p == rep).expect("a pod");
    children[index].start_kill()?;
    children[index].wait().await?;
    eventually(
        "a new representative of the three-member district",
        || async {
            let s = cluster.status().await?;
            Ok(s.district("east")
                .filter(|d| d.term > term && d.representative.as_deref().is_some_and(|r| r != rep))
                .map(|_| ()))
        },
    )
    .await?;
    for mut c in children {
        let _ = c.start_kill();
        let _ = c.wait().await;
    }
    Ok(())
}
