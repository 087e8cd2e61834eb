//! The sidecar's Kubernetes side against a real cluster (kind, or any), when KUBECONFIG
//! is set; without it the test prints why it skips and passes. The cluster needs the
//! Parliament CRD (`kubectl apply -f charts/parliament/crds/`). Objects go into the
//! namespace `PARLIAMENT_E2E_NAMESPACE` (default `default`) under names starting with
//! `e2e-sidecar-`, and are deleted at the end.
//!
//! `KUBECONFIG=~/.kube/config cargo test -p parliament-sidecar-kube --test e2e -- --nocapture`

use std::net::{IpAddr, Ipv4Addr};
use std::time::Duration;

use anyhow::{Context as _, bail};
use k8s_openapi::api::core::v1::{ConfigMap, Pod};
use kube::Client;
use kube::api::{Api, DeleteParams, Patch, PatchParams, PostParams};
use parliament_crds::labels::{LORD, ROLE, ROSTER_KEY, roster_config_map_name};
use parliament_crds::{Parliament, Roster};
use parliament_sidecar_kube::publisher::PublishedRoles;
use parliament_sidecar_kube::{Identity, MemberRole, RolePublisher, Roles, RosterWatch};
use serde_json::json;
use tokio::sync::watch;

const NAME: &str = "e2e-sidecar";
const DEADLINE: Duration = Duration::from_secs(60);

async fn until<T: Clone + std::fmt::Debug>(
    what: &str,
    receiver: &mut watch::Receiver<T>,
    done: impl FnMut(&T) -> bool,
) -> anyhow::Result<T> {
    let waited = match tokio::time::timeout(DEADLINE, receiver.wait_for(done)).await {
        Ok(Ok(value)) => Some(value.clone()),
        Ok(Err(_)) => bail!("the channel closed while waiting for {what}"),
        Err(_) => None,
    };
    match waited {
        Some(value) => Ok(value),
        None => bail!(
            "waited {DEADLINE:?} for {what}, in vain (last: {:?})",
            *receiver.borrow()
        ),
    }
}

fn identity(namespace: &str, pod: &str) -> Identity {
    Identity {
        pod: pod.to_owned(),
        namespace: namespace.to_owned(),
        uid: String::new(),
        ip: IpAddr::V4(Ipv4Addr::LOCALHOST),
        parliament: NAME.to_owned(),
    }
}

fn publisher(
    client: &Client,
    namespace: &str,
    pod: &str,
    roles: Roles,
) -> (
    watch::Sender<Roles>,
    watch::Receiver<PublishedRoles>,
    tokio::task::JoinHandle<()>,
) {
    let (sender, receiver) = watch::channel(roles);
    let publisher = RolePublisher::new(client.clone(), identity(namespace, pod), receiver);
    let published = publisher.published();
    (sender, published, tokio::spawn(publisher.run()))
}

fn prime_minister(district: &str, commons_term: u64) -> Roles {
    Roles {
        role: MemberRole::PrimeMinister,
        lord: true,
        district_term: commons_term,
        commons_term,
        session: commons_term,
        committed_revision: commons_term * 10,
        ..Roles::member(district)
    }
}

#[tokio::test]
async fn against_a_real_cluster() -> anyhow::Result<()> {
    if std::env::var_os("KUBECONFIG").is_none() {
        println!(
            "SKIPPED: KUBECONFIG is not set; this test needs a real cluster with the Parliament CRD"
        );
        return Ok(());
    }
    let namespace =
        std::env::var("PARLIAMENT_E2E_NAMESPACE").unwrap_or_else(|_| "default".to_owned());
    let client = Client::try_default()
        .await
        .context("connecting with KUBECONFIG")?;
    let result = story(&client, &namespace).await;
    cleanup(&client, &namespace).await;
    result
}

async fn story(client: &Client, namespace: &str) -> anyhow::Result<()> {
    let parliaments: Api<Parliament> = Api::namespaced(client.clone(), namespace);
    let pods: Api<Pod> = Api::namespaced(client.clone(), namespace);
    let parliament: Parliament = serde_json::from_value(json!({
        "apiVersion": "parliament.dev/v1alpha1", "kind": "Parliament",
        "metadata": {"name": NAME},
        "spec": {"selector": {"matchLabels": {"app": NAME}}},
    }))?;
    parliaments
        .create(&PostParams::default(), &parliament)
        .await
        .context("creating the Parliament (is the CRD installed?)")?;
    for pod in ["e2e-sidecar-0", "e2e-sidecar-1"] {
        let body: Pod = serde_json::from_value(json!({
            "apiVersion": "v1", "kind": "Pod",
            "metadata": {"name": pod, "labels": {"app": NAME}},
            "spec": {"containers": [{"name": "pause", "image": "registry.k8s.io/pause:3.10"}]},
        }))?;
        pods.create(&PostParams::default(), &body).await?;
    }

    println!("--- the roster appears on the watch");
    let (watch, mut roster) =
        RosterWatch::new(client.clone(), &identity(namespace, "e2e-sidecar-0"));
    let watch = tokio::spawn(watch.run());
    let text: Roster = serde_json::from_value(
        json!({"revision": 2, "generation": 1, "peerPort": 7400, "districts": []}),
    )?;
    let config_map = json!({
        "apiVersion": "v1", "kind": "ConfigMap",
        "metadata": {"name": roster_config_map_name(NAME)},
        "data": {ROSTER_KEY: text.to_json()?},
    });
    Api::<ConfigMap>::namespaced(client.clone(), namespace)
        .patch(
            &roster_config_map_name(NAME),
            &PatchParams::apply("parliament-e2e").force(),
            &Patch::Apply(&config_map),
        )
        .await?;
    until("roster revision 2", &mut roster, |r| {
        r.as_ref().is_some_and(|r| r.revision == 2)
    })
    .await?;
    watch.abort();

    println!("--- the newer Prime Minister publishes, then the deposed one tries");
    let newer = prime_minister("west", 7);
    let (_b, mut b_done, b) = publisher(client, namespace, "e2e-sidecar-1", newer.clone());
    until("the newer one's sync", &mut b_done, |p| {
        p.roles.as_ref() == Some(&newer)
    })
    .await?;
    let older = prime_minister("east", 6);
    let (_a, mut a_done, a) = publisher(client, namespace, "e2e-sidecar-0", older.clone());
    until("the older one's sync", &mut a_done, |p| {
        p.roles.as_ref() == Some(&older)
    })
    .await?;
    let status = parliaments
        .get_status(NAME)
        .await?
        .status
        .unwrap_or_default();
    let pm = status
        .prime_minister
        .as_ref()
        .map(|p| (p.pod.clone(), p.term));
    if pm != Some(("e2e-sidecar-1".to_owned(), 7)) {
        bail!("the status names {pm:?} as Prime Minister, not e2e-sidecar-1 in term 7");
    }
    let east = status
        .district("east")
        .map(|d| (d.representative.clone(), d.term));
    if east != Some((Some("e2e-sidecar-0".to_owned()), 6)) {
        bail!("east's entry is {east:?}");
    }
    let labels = pods
        .get("e2e-sidecar-1")
        .await?
        .metadata
        .labels
        .unwrap_or_default();
    if labels.get(ROLE).map(String::as_str) != Some("prime-minister")
        || labels.get(LORD).map(String::as_str) != Some("true")
    {
        bail!("e2e-sidecar-1 is labelled {labels:?}");
    }
    a.abort();
    b.abort();
    println!("--- passed");
    Ok(())
}

async fn cleanup(client: &Client, namespace: &str) {
    let parliaments: Api<Parliament> = Api::namespaced(client.clone(), namespace);
    let pods: Api<Pod> = Api::namespaced(client.clone(), namespace);
    let config_maps: Api<ConfigMap> = Api::namespaced(client.clone(), namespace);
    let _ = parliaments.delete(NAME, &DeleteParams::default()).await;
    let _ = config_maps
        .delete(&roster_config_map_name(NAME), &DeleteParams::default())
        .await;
    for pod in ["e2e-sidecar-0", "e2e-sidecar-1"] {
        let _ = pods.delete(pod, &DeleteParams::default()).await;
    }
}
