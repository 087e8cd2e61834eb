//! The operator image, built by `images/build.sh` from this build's binary, run as a
//! container against the API-server double: it reads its kubeconfig, takes a Parliament
//! and a pod in a zone to a roster, a district label and status, and on delete releases
//! its finalizer. Nothing in the image but the staged root filesystem.
//!
//! Needs Docker. Without a daemon the test prints why and passes, unless
//! `PARLIAMENT_REQUIRE_DOCKER` is set (`.ci/run` sets it where `docker info` works).

use std::future::Future;
use std::net::SocketAddr;
use std::time::Duration;

use anyhow::{anyhow, bail};
use k8s_openapi::api::core::v1::{ConfigMap, Node, Pod};
use kube::api::{Api, DeleteParams, Patch, PatchParams, PostParams};
use kube::{Client, Config};
use parliament_crds::labels::{DISTRICT, ROSTER_KEY};
use parliament_crds::{Parliament, Roster};
use parliament_kube_double::{KubeDouble, Options};
use parliament_tests::docker::{self, Container, Image, Network, Spec};
use serde_json::json;

const NS: &str = "shop";
const DEADLINE: Duration = Duration::from_secs(60);

async fn eventually<T, F, Fut>(what: &str, container: &Container, mut check: F) -> anyhow::Result<T>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = anyhow::Result<Option<T>>>,
{
    let deadline = tokio::time::Instant::now() + DEADLINE;
    loop {
        let last = match check().await {
            Ok(Some(value)) => return Ok(value),
            Ok(None) => "not yet".to_owned(),
            Err(error) => format!("{error:#}"),
        };
        if tokio::time::Instant::now() > deadline {
            bail!(
                "waited {DEADLINE:?} for {what}, in vain (last: {last})\n--- operator log\n{}",
                container.logs()
            );
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_operator_image_reconciles_a_parliament_and_releases_it() -> anyhow::Result<()> {
    if !docker::available().map_err(|e| anyhow!(e))? {
        return Ok(());
    }
    let image = Image::build(
        "operator",
        env!("CARGO_BIN_EXE_parliament-operator").as_ref(),
    )
    .map_err(|e| anyhow!(e))?;
    assert_eq!(image.user().map_err(|e| anyhow!(e))?, "65532:65532");
    let network = Network::create().map_err(|e| anyhow!(e))?;
    let listen: SocketAddr = format!("{}:0", network.gateway()).parse()?;
    let double = KubeDouble::start_with(Options {
        listen,
        ..Options::default()
    })
    .await?;
    let client = Client::try_from(Config::new(double.url().parse()?))?;
    let dir = tempfile::tempdir()?;
    let kubeconfig = dir.path().join("kubeconfig");
    double.write_kubeconfig(&kubeconfig, None)?;
    let operator = Container::run(
        &image,
        &network,
        &Spec {
            env: vec![
                ("KUBECONFIG".into(), "/etc/parliament/kubeconfig".into()),
                ("WATCH_NAMESPACE".into(), NS.into()),
                ("POD_NAME".into(), "parliament-operator-0".into()),
            ],
            files: vec![(kubeconfig.clone(), "/etc/parliament/kubeconfig".into())],
            ..Spec::default()
        },
    )
    .map_err(|e| anyhow!(e))?;

    let node: Node = serde_json::from_value(json!({
        "apiVersion": "v1", "kind": "Node",
        "metadata": {"name": "n-a", "labels": {"topology.kubernetes.io/zone": "a"}},
    }))?;
    Api::<Node>::all(client.clone())
        .create(&PostParams::default(), &node)
        .await?;
    let parliaments: Api<Parliament> = Api::namespaced(client.clone(), NS);
    let parliament: Parliament = serde_json::from_value(json!({
        "apiVersion": "parliament.dev/v1alpha1", "kind": "Parliament",
        "metadata": {"name": "web", "namespace": NS},
        "spec": {"selector": {"matchLabels": {"app": "web"}}},
    }))?;
    parliaments
        .create(&PostParams::default(), &parliament)
        .await?;
    let pods: Api<Pod> = Api::namespaced(client.clone(), NS);
    let pod: Pod = serde_json::from_value(json!({
        "apiVersion": "v1", "kind": "Pod",
        "metadata": {"name": "web-0", "namespace": NS, "labels": {"app": "web"}},
        "spec": {"nodeName": "n-a", "containers": [{"name": "app", "image": "web"}]},
    }))?;
    pods.create(&PostParams::default(), &pod).await?;
    let status = json!({"status": {"phase": "Running", "podIP": "10.0.0.10",
        "conditions": [{"type": "Ready", "status": "True"}]}});
    pods.patch_status("web-0", &PatchParams::default(), &Patch::Merge(&status))
        .await?;

    let roster = eventually("the roster ConfigMap naming web-0", &operator, || async {
        let Some(cm) = Api::<ConfigMap>::namespaced(client.clone(), NS)
            .get_opt("web-roster")
            .await?
        else {
            return Ok(None);
        };
        let text = cm.data.and_then(|d| d.get(ROSTER_KEY).cloned());
        let roster = text.map(|t| Roster::from_json(&t)).transpose()?;
        Ok(roster.filter(|r| r.members().any(|m| m.pod == "web-0" && m.ip.is_some())))
    })
    .await?;
    assert_eq!(roster.districts.len(), 1);
    assert_eq!(roster.districts[0].name, "a");
    eventually("the district label on web-0", &operator, || async {
        let labels = pods.get("web-0").await?.metadata.labels.unwrap_or_default();
        Ok((labels.get(DISTRICT).map(String::as_str) == Some("a")).then_some(()))
    })
    .await?;
    eventually(
        "status with district a and one ready member",
        &operator,
        || async {
            let status = parliaments.get("web").await?.status.unwrap_or_default();
            Ok(status
                .districts
                .iter()
                .any(|d| d.name == "a" && d.members == 1 && d.ready_members == 1)
                .then_some(()))
        },
    )
    .await?;

    parliaments.delete("web", &DeleteParams::default()).await?;
    eventually(
        "the Parliament gone (finalizer released)",
        &operator,
        || async { Ok(parliaments.get_opt("web").await?.is_none().then_some(())) },
    )
    .await?;
    assert!(
        operator.running().map_err(|e| anyhow!(e))?,
        "the operator stopped:\n{}",
        operator.logs()
    );
    drop(operator);
    Ok(())
}
