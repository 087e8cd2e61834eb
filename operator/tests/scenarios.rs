//! The operator, unmodified, against the API-server double over HTTP: one story from
//! applying a Parliament to deleting it. Every wait polls with a deadline and says what it
//! waited for when the deadline passes.

use std::collections::BTreeMap;
use std::future::Future;
use std::time::Duration;

use anyhow::{Context as _, bail};
use k8s_openapi::api::core::v1::{ConfigMap, Node, Pod};
use k8s_openapi::api::events::v1::Event;
use kube::api::{Api, DeleteParams, ListParams, Patch, PatchParams, PostParams};
use kube::{Client, Config, ResourceExt};
use parliament_crds::labels::{DISTRICT, PARLIAMENT, ROSTER_KEY};
use parliament_crds::status::{CONDITION_DEGRADED, CONDITION_INVALID_SPEC, CONDITION_READY};
use parliament_crds::{Parliament, Roster, parliament_from_yaml};
use parliament_kube_double::KubeDouble;
use parliament_operator::FINALIZER;
use parliament_operator::controller::{Settings, run};
use serde_json::json;

const NS: &str = "shop";
const ZONE: &str = "topology.kubernetes.io/zone";
const DEADLINE: Duration = Duration::from_secs(20);

struct Cluster {
    double: KubeDouble,
    client: Client,
    operator: tokio::task::JoinHandle<()>,
}

impl Cluster {
    async fn start() -> anyhow::Result<Cluster> {
        let double = KubeDouble::start().await?;
        let config = Config::new(double.url().parse()?);
        let client = Client::try_from(config)?;
        let operator = tokio::spawn(run(client.clone(), Settings::default()));
        Ok(Cluster {
            double,
            client,
            operator,
        })
    }

    fn parliaments(&self) -> Api<Parliament> {
        Api::namespaced(self.client.clone(), NS)
    }

    fn pods(&self) -> Api<Pod> {
        Api::namespaced(self.client.clone(), NS)
    }

    async fn node(&self, name: &str, zone: Option<&str>) -> anyhow::Result<()> {
        let labels: BTreeMap<&str, &str> = zone.map(|z| (ZONE, z)).into_iter().collect();
        let node: Node = serde_json::from_value(json!({
            "apiVersion": "v1", "kind": "Node",
            "metadata": {"name": name, "labels": labels},
        }))?;
        Api::<Node>::all(self.client.clone())
            .create(&PostParams::default(), &node)
            .await?;
        Ok(())
    }

    /// A pod of app `web` scheduled on `node`, then given an IP and made ready, as the
    /// scheduler and kubelet would.
    async fn pod(&self, name: &str, node: &str, ip: &str) -> anyhow::Result<()> {
        let pod: Pod = serde_json::from_value(json!({
            "apiVersion": "v1", "kind": "Pod",
            "metadata": {"name": name, "namespace": NS, "labels": {"app": "web"}},
            "spec": {"nodeName": node, "containers": [{"name": "app", "image": "web"}]},
        }))?;
        self.pods().create(&PostParams::default(), &pod).await?;
        let status = json!({"status": {
            "phase": "Running",
            "podIP": ip,
            "conditions": [{"type": "Ready", "status": "True"}],
        }});
        self.pods()
            .patch_status(name, &PatchParams::default(), &Patch::Merge(&status))
            .await?;
        Ok(())
    }

    async fn roster(&self) -> Option<Roster> {
        let cm = Api::<ConfigMap>::namespaced(self.client.clone(), NS)
            .get_opt("web-roster")
            .await
            .ok()??;
        Roster::from_json(cm.data?.get(ROSTER_KEY)?).ok()
    }

    async fn parliament(&self) -> Option<Parliament> {
        self.parliaments().get_opt("web").await.ok()?
    }

    async fn event_notes(&self, reason: &str) -> Vec<String> {
        Api::<Event>::namespaced(self.client.clone(), NS)
            .list(&ListParams::default())
            .await
            .map(|list| {
                list.items
                    .into_iter()
                    .filter(|e| e.reason.as_deref() == Some(reason))
                    .filter_map(|e| e.note)
                    .collect()
            })
            .unwrap_or_default()
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        self.operator.abort();
    }
}

/// Polls `check` until it returns `Some`, or fails after [`DEADLINE`] naming `what`.
async fn eventually<T, F, Fut>(what: &str, mut check: F) -> anyhow::Result<T>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Option<T>>,
{
    let deadline = tokio::time::Instant::now() + DEADLINE;
    loop {
        if let Some(value) = check().await {
            return Ok(value);
        }
        if tokio::time::Instant::now() > deadline {
            bail!("waited {DEADLINE:?} for {what}, in vain");
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

fn condition(parliament: &Parliament, type_: &str) -> Option<(String, String, String)> {
    parliament
        .status
        .as_ref()?
        .condition(type_)
        .map(|c| (c.status.clone(), c.reason.clone(), c.message.clone()))
}

fn members(roster: &Roster) -> Vec<(String, String, u64)> {
    roster
        .members()
        .map(|m| (m.pod.clone(), m.district.clone(), m.id))
        .collect()
}

fn strings(items: &[(&str, &str, u64)]) -> Vec<(String, String, u64)> {
    items
        .iter()
        .map(|(p, d, id)| ((*p).to_owned(), (*d).to_owned(), *id))
        .collect()
}

const PARLIAMENT_YAML: &str = "
apiVersion: parliament.dev/v1alpha1
kind: Parliament
metadata:
  name: web
  namespace: shop
spec:
  selector:
    matchLabels:
      app: web
";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_parliament_from_apply_to_delete() -> anyhow::Result<()> {
    let _ = tracing_subscriber::fmt()
        .with_env_filter("warn,parliament_operator=info")
        .with_test_writer()
        .try_init();
    let cluster = Cluster::start().await?;

    tracing::info!("--- three zones, one node without a zone label");
    for (node, zone) in [
        ("n-a", Some("a")),
        ("n-b", Some("b")),
        ("n-c", Some("c")),
        ("bare", None),
    ] {
        cluster.node(node, zone).await?;
    }

    tracing::info!("--- apply a Parliament");
    let parliament = parliament_from_yaml(PARLIAMENT_YAML)?;
    cluster
        .parliaments()
        .patch(
            "web",
            &PatchParams::apply("kubectl").force(),
            &Patch::Apply(&parliament),
        )
        .await?;
    let p = eventually("the finalizer and a NoMembers Ready condition", || async {
        let p = cluster.parliament().await?;
        let (_, reason, _) = condition(&p, CONDITION_READY)?;
        (reason == "NoMembers" && p.finalizers().contains(&FINALIZER.to_owned())).then_some(p)
    })
    .await?;
    assert_eq!(
        p.status.as_ref().and_then(|s| s.observed_generation),
        Some(1)
    );

    tracing::info!("--- pods appear in three zones");
    for (pod, node, ip) in [
        ("web-0", "n-a", "10.0.0.10"),
        ("web-1", "n-b", "10.0.0.11"),
        ("web-2", "n-c", "10.0.0.12"),
    ] {
        cluster.pod(pod, node, ip).await?;
    }
    // A pod may be published before its IP is known (a later revision adds it): wait
    // for the roster that has all three.
    let roster = eventually("a roster of three districts with their IPs", || async {
        cluster
            .roster()
            .await
            .filter(|r| r.members().count() == 3 && r.members().all(|m| m.ip.is_some()))
    })
    .await?;
    assert_eq!(
        members(&roster),
        strings(&[("web-0", "a", 1), ("web-1", "b", 2), ("web-2", "c", 3)])
    );
    assert_eq!(roster.peer_port, 7400);
    let ips: Vec<Option<&str>> = roster.members().map(|m| m.ip.as_deref()).collect();
    assert_eq!(
        ips,
        [Some("10.0.0.10"), Some("10.0.0.11"), Some("10.0.0.12")]
    );
    eventually("a MemberJoined Event for each pod", || async {
        let notes = cluster.event_notes("MemberJoined").await;
        ["web-0", "web-1", "web-2"]
            .iter()
            .all(|pod| {
                notes
                    .iter()
                    .any(|n| n.starts_with(&format!("pod {pod} joined")))
            })
            .then_some(())
    })
    .await?;
    eventually("district labels on the three pods", || async {
        let pods = cluster
            .pods()
            .list(&ListParams::default().labels(&format!("{PARLIAMENT}=web")))
            .await
            .ok()?;
        let labelled: BTreeMap<String, String> = pods
            .items
            .iter()
            .filter_map(|p| Some((p.name_any(), p.labels().get(DISTRICT)?.clone())))
            .collect();
        (labelled.len() == 3).then_some(())
    })
    .await?;
    let p = eventually(
        "status with three districts of one ready member each",
        || async {
            let p = cluster.parliament().await?;
            let status = p.status.as_ref()?;
            let counts: Vec<(String, u32, u32)> = status
                .districts
                .iter()
                .map(|d| (d.name.clone(), d.members, d.ready_members))
                .collect();
            (counts == [("a".into(), 1, 1), ("b".into(), 1, 1), ("c".into(), 1, 1)]).then_some(p)
        },
    )
    .await?;
    assert_eq!(
        p.status
            .as_ref()
            .and_then(|s| s.districts_represented.as_deref()),
        Some("0/3")
    );
    assert_eq!(
        condition(&p, CONDITION_INVALID_SPEC).map(|c| c.0),
        Some("False".into())
    );

    tracing::info!("--- the sidecars report leaders; the operator keeps their fields");
    let leaders = json!({
        "apiVersion": "parliament.dev/v1alpha1", "kind": "Parliament",
        "metadata": {"name": "web"},
        "status": {
            "primeMinister": {"pod": "web-0", "district": "a", "term": 1, "since": "2026-01-01T00:00:00Z"},
            "districts": [
                {"name": "a", "representative": "web-0", "term": 1},
                {"name": "b", "representative": "web-1", "term": 1},
                {"name": "c", "representative": "web-2", "term": 1},
            ],
        },
    });
    cluster
        .parliaments()
        .patch_status(
            "web",
            &PatchParams::apply("parliament-sidecar").force(),
            &Patch::Apply(&leaders),
        )
        .await?;
    let p = eventually("Ready: the Parliament convened", || async {
        let p = cluster.parliament().await?;
        (condition(&p, CONDITION_READY)?.0 == "True").then_some(p)
    })
    .await?;
    let status = p.status.clone().unwrap_or_default();
    assert_eq!(status.districts_represented.as_deref(), Some("3/3"));
    assert_eq!(
        status
            .district("b")
            .and_then(|d| d.representative.as_deref()),
        Some("web-1")
    );
    assert_eq!(
        status.district("b").map(|d| d.members),
        Some(1),
        "both writers' fields survive"
    );

    tracing::info!("--- a pod dies");
    cluster
        .pods()
        .delete("web-1", &DeleteParams::default())
        .await?;
    let roster = eventually("a roster without web-1", || async {
        cluster
            .roster()
            .await
            .filter(|r| r.member("web-1").is_none())
    })
    .await?;
    assert_eq!(
        members(&roster),
        strings(&[("web-0", "a", 1), ("web-2", "c", 3)])
    );
    eventually("a MemberLeft Event naming web-1", || async {
        let notes = cluster.event_notes("MemberLeft").await;
        notes.iter().any(|n| n.contains("web-1")).then_some(())
    })
    .await?;
    eventually("status without members in district b", || async {
        let p = cluster.parliament().await?;
        let status = p.status.as_ref()?;
        let b_members = status.district("b").map_or(0, |d| d.members);
        (b_members == 0 && condition(&p, CONDITION_READY)?.0 == "True").then_some(())
    })
    .await?;

    tracing::info!("--- a replacement pod gets a new id; one on an unlabelled node is reported");
    cluster.pod("web-1", "n-b", "10.0.0.21").await?;
    cluster.pod("web-3", "bare", "10.0.0.13").await?;
    let roster = eventually("web-1 back under a new id", || async {
        cluster
            .roster()
            .await
            .filter(|r| r.member("web-1").is_some())
    })
    .await?;
    assert_eq!(
        members(&roster),
        strings(&[("web-0", "a", 1), ("web-1", "b", 4), ("web-2", "c", 3)])
    );
    let (_, _, message) = eventually("Degraded: a pod outside every district", || async {
        let p = cluster.parliament().await?;
        condition(&p, CONDITION_DEGRADED).filter(|c| c.0 == "True" && c.1 == "PodsOutsideDistricts")
    })
    .await?;
    assert!(
        message.contains(
            "pod web-3 runs on node bare, which has no label topology.kubernetes.io/zone"
        ),
        "{message}"
    );

    tracing::info!("--- a bad spec is rejected, naming the field");
    let bad = json!({"spec": {"ports": {"peer": 7401}}});
    cluster
        .parliaments()
        .patch("web", &PatchParams::default(), &Patch::Merge(&bad))
        .await?;
    let (_, reason, message) = eventually("InvalidSpec", || async {
        let p = cluster.parliament().await?;
        condition(&p, CONDITION_INVALID_SPEC).filter(|c| c.0 == "True")
    })
    .await?;
    assert_eq!(reason, "InvalidField");
    assert!(
        message.starts_with("spec.ports.api: port 7401 is also the peer port"),
        "{message}"
    );
    eventually("a Warning Event naming the field", || async {
        let notes = cluster.event_notes("InvalidSpec").await;
        notes
            .iter()
            .any(|n| n.contains("spec.ports.api"))
            .then_some(())
    })
    .await?;
    assert_eq!(
        cluster.roster().await.map(|r| r.peer_port),
        Some(7400),
        "the roster stays"
    );

    tracing::info!("--- delete the Parliament: labels come off, the roster goes");
    cluster
        .parliaments()
        .delete("web", &DeleteParams::default())
        .await?;
    eventually("the Parliament gone", || async {
        cluster
            .parliaments()
            .get_opt("web")
            .await
            .ok()?
            .is_none()
            .then_some(())
    })
    .await?;
    eventually("the roster ConfigMap collected", || async {
        Api::<ConfigMap>::namespaced(cluster.client.clone(), NS)
            .get_opt("web-roster")
            .await
            .ok()?
            .is_none()
            .then_some(())
    })
    .await?;
    let pods = cluster.pods().list(&ListParams::default()).await?;
    for pod in &pods.items {
        assert!(
            !pod.labels().contains_key(DISTRICT) && !pod.labels().contains_key(PARLIAMENT),
            "labels left on {}: {:?}",
            pod.name_any(),
            pod.labels()
        );
        assert_eq!(
            pod.labels().get("app").map(String::as_str),
            Some("web"),
            "other labels stay"
        );
    }

    println!(
        "API requests during the story:\n{}",
        cluster.double.requests()
    );
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn explicit_districts_from_pod_names() -> anyhow::Result<()> {
    let cluster = Cluster::start().await?;
    cluster.node("n-a", Some("a")).await?;
    let yaml = format!(
        "{PARLIAMENT_YAML}  districting:\n    podNames:\n      left: [web-0, web-1]\n      right: [web-2]\n  lords:\n    size: 1\n  bootstrap:\n    representatives:\n      left: web-0\n    primeMinister: web-0\n"
    );
    let parliament = parliament_from_yaml(&yaml).context("test manifest")?;
    cluster
        .parliaments()
        .create(&PostParams::default(), &parliament)
        .await?;
    for (pod, ip) in [
        ("web-0", "10.0.1.1"),
        ("web-1", "10.0.1.2"),
        ("web-2", "10.0.1.3"),
    ] {
        cluster.pod(pod, "n-a", ip).await?;
    }
    let roster = eventually("a roster of two named districts", || async {
        cluster.roster().await.filter(|r| r.members().count() == 3)
    })
    .await?;
    assert_eq!(
        members(&roster),
        strings(&[
            ("web-0", "left", 1),
            ("web-1", "left", 2),
            ("web-2", "right", 3)
        ])
    );
    assert_eq!(roster.bootstrap_prime_minister.as_deref(), Some("web-0"));
    assert_eq!(
        roster
            .districts
            .first()
            .and_then(|d| d.bootstrap_representative.as_deref()),
        Some("web-0")
    );
    Ok(())
}
