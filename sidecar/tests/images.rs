//! The sidecar image, built by `images/build.sh` from this build's binary, as pods would
//! run it: three containers on a Docker network of their own, each reachable only by the
//! DNS name a StatefulSet pod gets (`web-0.web.shop.svc`). The operator (the library,
//! unmodified, in this process) turns the pods and nodes it reads from the API-server
//! double into the roster, so the members find each other by those names from inside
//! `scratch`, as non-root, with nothing but the image's files. They elect, publish their
//! leaders, and follow a `docker kill` of the Prime Minister.
//!
//! Needs Docker. Without a daemon the test prints why and passes, unless
//! `PARLIAMENT_REQUIRE_DOCKER` is set (`.ci/run` sets it where `docker info` works).

#[path = "../kube/tests/common/mod.rs"]
mod kube_common;

use std::net::SocketAddr;
use std::time::Duration;

use anyhow::{Context as _, anyhow, bail};
use k8s_openapi::api::core::v1::{Node, Pod};
use kube::api::{Api, Patch, PatchParams, PostParams};
use kube_common::{Cluster, NS, PARLIAMENT};
use parliament_crds::labels::ROLE;
use parliament_crds::{Parliament, ParliamentStatus};
use parliament_tests::docker::{self, Container, Image, Network, Spec};
use serde_json::json;

const PODS: [(&str, &str); 3] = [("web-0", "east"), ("web-1", "north"), ("web-2", "west")];
/// Containers start, elect and fail over on a loaded CI machine well within this.
const DEADLINE: Duration = Duration::from_secs(60);

/// Polls `check` until it gives a value; after [`DEADLINE`] fails with what was awaited
/// and every container's log.
async fn eventually<T, F, Fut>(
    what: &str,
    containers: &[Container],
    mut check: F,
) -> anyhow::Result<T>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = anyhow::Result<Option<T>>>,
{
    let deadline = tokio::time::Instant::now() + DEADLINE;
    loop {
        let last = match check().await {
            Ok(Some(value)) => return Ok(value),
            Ok(None) => "not yet".to_owned(),
            Err(error) => format!("{error:#}"),
        };
        if tokio::time::Instant::now() > deadline {
            let logs: String = containers
                .iter()
                .map(|c| format!("--- {}\n{}\n", c.name, c.logs()))
                .collect();
            bail!("waited {DEADLINE:?} for {what}, in vain (last: {last})\n{logs}");
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// A node in `zone` and a StatefulSet-shaped pod on it (hostname and subdomain, so the
/// operator names it by DNS), given `ip` and made ready as the kubelet would.
///
/// Returns the pod's uid, which the downward API gives the sidecar.
async fn pod(cluster: &Cluster, name: &str, zone: &str, ip: &str) -> anyhow::Result<String> {
    let node: Node = serde_json::from_value(json!({
        "apiVersion": "v1", "kind": "Node",
        "metadata": {"name": format!("node-{zone}"),
            "labels": {"topology.kubernetes.io/zone": zone}},
    }))?;
    Api::<Node>::all(cluster.client.clone())
        .create(&PostParams::default(), &node)
        .await?;
    let pod: Pod = serde_json::from_value(json!({
        "apiVersion": "v1", "kind": "Pod",
        "metadata": {"name": name, "namespace": NS, "labels": {"app": "web"}},
        "spec": {"nodeName": format!("node-{zone}"), "hostname": name, "subdomain": "web",
            "containers": [{"name": "app", "image": "web"}]},
    }))?;
    let uid = cluster
        .pods()
        .create(&PostParams::default(), &pod)
        .await?
        .metadata
        .uid
        .context("the double gives pods a uid")?;
    let status = json!({"status": {
        "phase": "Running", "podIP": ip,
        "conditions": [{"type": "Ready", "status": "True"}],
    }});
    cluster
        .pods()
        .patch_status(name, &PatchParams::default(), &Patch::Merge(&status))
        .await?;
    Ok(uid)
}

fn leaders(status: &ParliamentStatus) -> Option<(String, u64)> {
    let representatives = status
        .districts
        .iter()
        .filter(|d| d.representative.is_some())
        .count();
    status
        .prime_minister
        .as_ref()
        .filter(|_| representatives == PODS.len())
        .map(|p| (p.pod.clone(), p.term))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sidecars_in_containers_find_each_other_by_pod_dns_names() -> anyhow::Result<()> {
    if !docker::available().map_err(|e| anyhow!(e))? {
        return Ok(());
    }
    let image = Image::build("sidecar", env!("CARGO_BIN_EXE_parliament").as_ref())
        .map_err(|e| anyhow!(e))?;
    assert_eq!(image.user().map_err(|e| anyhow!(e))?, "65532:65532");
    let network = Network::create().map_err(|e| anyhow!(e))?;

    // The double listens on the network's gateway: the host, as containers see it.
    let listen: SocketAddr = format!("{}:0", network.gateway()).parse()?;
    let cluster = Cluster::start_with(parliament_kube_double::Options {
        listen,
        ..parliament_kube_double::Options::default()
    })
    .await?;
    let operator = tokio::spawn(parliament_operator::controller::run(
        cluster.client.clone(),
        parliament_operator::controller::Settings::default(),
    ));
    let dir = tempfile::tempdir()?;
    let kubeconfig = dir.path().join("kubeconfig");
    cluster.double.write_kubeconfig(&kubeconfig, Some(NS))?;

    tracing::info!("--- a Parliament and three pods in three zones; the operator's roster");
    // The pods exist before the Parliament, so the operator's first roster founds the
    // Commons with all three districts. (Pods that come later join by amendment; killing
    // the Prime Minister before the third district is seated would leave one seat of two,
    // rightly without a majority.)
    let mut uids = Vec::new();
    for (index, (name, zone)) in (0u8..).zip(PODS) {
        uids.push(pod(&cluster, name, zone, &network.address(index)).await?);
    }
    let parliament: Parliament = serde_json::from_value(json!({
        "apiVersion": "parliament.dev/v1alpha1", "kind": "Parliament",
        "metadata": {"name": PARLIAMENT, "namespace": NS},
        "spec": {"selector": {"matchLabels": {"app": "web"}}, "tls": {"mode": "disabled"}},
    }))?;
    cluster
        .parliaments()
        .create(&PostParams::default(), &parliament)
        .await?;
    let names = eventually("a roster naming every member by DNS", &[], || async {
        let Some(cm) = cluster
            .config_maps()
            .get_opt(&parliament_crds::labels::roster_config_map_name(PARLIAMENT))
            .await?
        else {
            return Ok(None);
        };
        let roster = cm
            .data
            .and_then(|d| d.get(parliament_crds::labels::ROSTER_KEY).cloned())
            .context("a roster key")?;
        let roster = parliament_crds::Roster::from_json(&roster)?;
        let names: Vec<String> = roster
            .districts
            .iter()
            .flat_map(|d| d.members.iter().filter_map(|m| m.dns.clone()))
            .collect();
        let founding = roster.founding_districts.as_ref().map_or(0, Vec::len);
        Ok((names.len() == PODS.len() && founding == PODS.len()).then_some(names))
    })
    .await?;
    for (name, _) in PODS {
        let dns = format!("{name}.web.{NS}.svc");
        assert!(
            names.contains(&dns),
            "{dns} is not in the roster: {names:?}"
        );
    }

    tracing::info!("--- one container per pod, reachable only by its pod DNS name");
    let containers = (0u8..)
        .zip(PODS)
        .map(|(index, (name, _))| {
            Container::run(
                &image,
                &network,
                &Spec {
                    ip: Some(network.address(index)),
                    aliases: vec![format!("{name}.web.{NS}.svc")],
                    env: [
                        ("KUBECONFIG", "/etc/parliament/kubeconfig"),
                        ("POD_NAME", name),
                        ("POD_NAMESPACE", NS),
                        ("POD_UID", &uids[usize::from(index)]),
                        ("POD_IP", &network.address(index)),
                        ("PARLIAMENT_NAME", PARLIAMENT),
                        ("RUST_LOG", "info"),
                    ]
                    .into_iter()
                    .map(|(k, v)| (k.to_owned(), v.to_owned()))
                    .collect(),
                    files: vec![(kubeconfig.clone(), "/etc/parliament/kubeconfig".to_owned())],
                    tmpfs: vec!["/var/lib/parliament".to_owned()],
                    args: vec![
                        "run",
                        "--kubernetes",
                        "--data",
                        "/var/lib/parliament",
                        "--peer-listen",
                        "0.0.0.0:7400",
                    ],
                },
            )
        })
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| anyhow!(e))?;

    tracing::info!("--- representatives and a Prime Minister in status and labels");
    let (pm, term) = eventually(
        "a Prime Minister and three representatives",
        &containers,
        || async { Ok(leaders(&cluster.status().await?)) },
    )
    .await?;
    eventually("the Prime Minister's pod label", &containers, || async {
        let labels = cluster.labels(&pm).await?;
        Ok((labels.get(ROLE).map(String::as_str) == Some("prime-minister")).then_some(()))
    })
    .await?;

    tracing::info!("--- docker kill the Prime Minister's container: its successor takes over");
    let index = PODS
        .iter()
        .position(|(name, _)| *name == pm)
        .context("the Prime Minister is one of the pods")?;
    containers[index].kill().map_err(|e| anyhow!(e))?;
    assert!(!containers[index].running().map_err(|e| anyhow!(e))?);
    let (next, next_term) = eventually("a new Prime Minister", &containers, || async {
        Ok(cluster
            .status()
            .await?
            .prime_minister
            .filter(|p| p.pod != pm && p.term > term)
            .map(|p| (p.pod.clone(), p.term)))
    })
    .await?;
    assert!(
        next_term > term,
        "{next} took term {next_term} after {term}"
    );
    operator.abort();
    Ok(())
}
