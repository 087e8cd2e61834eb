//! A cluster for the sidecar's tests: the kube double, a client, a Parliament, pods, and
//! waits with a deadline that fail loudly.

#![allow(dead_code, reason = "each test file uses a different part")]

use std::future::Future;
use std::net::{IpAddr, Ipv4Addr};
use std::time::Duration;

use anyhow::{Context as _, bail};
use k8s_openapi::api::core::v1::{ConfigMap, Pod};
use kube::api::{Api, Patch, PatchParams, PostParams};
use kube::{Client, Config};
use parliament_crds::labels::{ROSTER_KEY, roster_config_map_name};
use parliament_crds::{Parliament, ParliamentStatus, Roster};
use parliament_kube_double::KubeDouble;
use parliament_sidecar_kube::Identity;
use serde_json::json;
use tokio::sync::watch;

pub const NS: &str = "shop";
pub const PARLIAMENT: &str = "web";
pub const DEADLINE: Duration = Duration::from_secs(20);

pub struct Cluster {
    pub double: KubeDouble,
    pub client: Client,
}

pub fn init_tracing() {
    let _ = tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into()),
        )
        .with_test_writer()
        .try_init();
}

impl Cluster {
    pub async fn start() -> anyhow::Result<Cluster> {
        Self::start_with(parliament_kube_double::Options::default()).await
    }

    /// A cluster whose double listens where `options` says.
    pub async fn start_with(options: parliament_kube_double::Options) -> anyhow::Result<Cluster> {
        init_tracing();
        let double = KubeDouble::start_with(options).await?;
        let client = Client::try_from(Config::new(double.url().parse()?))?;
        Ok(Cluster { double, client })
    }

    pub fn identity(&self, pod: &str) -> Identity {
        Identity {
            pod: pod.to_owned(),
            namespace: NS.to_owned(),
            uid: format!("uid-{pod}"),
            ip: IpAddr::V4(Ipv4Addr::LOCALHOST),
            parliament: PARLIAMENT.to_owned(),
        }
    }

    pub fn pods(&self) -> Api<Pod> {
        Api::namespaced(self.client.clone(), NS)
    }

    pub fn parliaments(&self) -> Api<Parliament> {
        Api::namespaced(self.client.clone(), NS)
    }

    pub fn config_maps(&self) -> Api<ConfigMap> {
        Api::namespaced(self.client.clone(), NS)
    }

    pub async fn parliament(&self) -> anyhow::Result<()> {
        let parliament: Parliament = serde_json::from_value(json!({
            "apiVersion": "parliament.dev/v1alpha1", "kind": "Parliament",
            "metadata": {"name": PARLIAMENT, "namespace": NS},
            // The members in these tests speak plaintext on 127.0.0.1; a spec asking for
            // TLS would make them refuse to start without a mounted certificate Secret.
            "spec": {"selector": {"matchLabels": {"app": "web"}}, "tls": {"mode": "disabled"}},
        }))?;
        self.parliaments()
            .create(&PostParams::default(), &parliament)
            .await
            .context("creating the Parliament")?;
        Ok(())
    }

    /// The operator's share of the status, applied as the operator does.
    pub async fn operator_status(&self, districts: &[(&str, u32)]) -> anyhow::Result<()> {
        let districts: Vec<_> = districts
            .iter()
            .map(|(name, members)| json!({"name": name, "members": members, "readyMembers": members}))
            .collect();
        let body = json!({
            "apiVersion": "parliament.dev/v1alpha1", "kind": "Parliament",
            "metadata": {"name": PARLIAMENT},
            "status": {"observedGeneration": 1, "districts": districts},
        });
        self.parliaments()
            .patch_status(
                PARLIAMENT,
                &PatchParams::apply("parliament-operator").force(),
                &Patch::Apply(&body),
            )
            .await
            .context("applying the operator's status")?;
        Ok(())
    }

    /// A pod with the operator's district label.
    pub async fn pod(&self, name: &str, district: &str) -> anyhow::Result<()> {
        let pod: Pod = serde_json::from_value(json!({
            "apiVersion": "v1", "kind": "Pod",
            "metadata": {"name": name, "namespace": NS, "labels": {"app": "web"}},
            "spec": {"containers": [{"name": "app", "image": "web"}]},
        }))?;
        self.pods().create(&PostParams::default(), &pod).await?;
        let labels = json!({
            "apiVersion": "v1", "kind": "Pod",
            "metadata": {"name": name, "labels": {"parliament.dev/district": district}},
        });
        self.pods()
            .patch(
                name,
                &PatchParams::apply("parliament-operator").force(),
                &Patch::Apply(&labels),
            )
            .await?;
        Ok(())
    }

    /// Writes the roster ConfigMap (creating it the first time), as the operator would.
    pub async fn publish_roster(&self, text: &str) -> anyhow::Result<()> {
        self.publish_roster_data(json!({ROSTER_KEY: text})).await
    }

    /// Writes the roster ConfigMap with `data` as its data.
    pub async fn publish_roster_data(&self, data: serde_json::Value) -> anyhow::Result<()> {
        let name = roster_config_map_name(PARLIAMENT);
        let body = json!({
            "apiVersion": "v1", "kind": "ConfigMap",
            "metadata": {"name": name, "namespace": NS},
            "data": data,
        });
        self.config_maps()
            .patch(
                &name,
                &PatchParams::apply("parliament-operator").force(),
                &Patch::Apply(&body),
            )
            .await
            .context("publishing the roster")?;
        Ok(())
    }

    pub async fn status(&self) -> anyhow::Result<ParliamentStatus> {
        Ok(self
            .parliaments()
            .get(PARLIAMENT)
            .await?
            .status
            .unwrap_or_default())
    }

    pub async fn labels(
        &self,
        pod: &str,
    ) -> anyhow::Result<std::collections::BTreeMap<String, String>> {
        Ok(self
            .pods()
            .get(pod)
            .await?
            .metadata
            .labels
            .unwrap_or_default())
    }
}

/// A roster as the operator would publish it (built as JSON, so that fields added to the
/// roster types later need no change here).
pub fn roster_text(revision: u64, pods: &[(&str, &str)]) -> anyhow::Result<String> {
    let mut districts: Vec<(String, Vec<serde_json::Value>)> = Vec::new();
    for (id, (pod, district)) in pods.iter().enumerate() {
        let member =
            json!({"id": id + 1, "pod": pod, "uid": format!("uid-{pod}"), "district": district});
        match districts.iter_mut().find(|(name, _)| name == district) {
            Some((_, members)) => members.push(member),
            None => districts.push(((*district).to_owned(), vec![member])),
        }
    }
    let districts: Vec<_> = districts
        .into_iter()
        .map(|(name, members)| json!({"name": name, "members": members}))
        .collect();
    let roster: Roster = serde_json::from_value(json!({
        "revision": revision, "generation": 1, "peerPort": 7400, "districts": districts,
    }))?;
    Ok(roster.to_json()?)
}

/// Polls `check` (an API read) until it gives a value, failing after [`DEADLINE`] with
/// what was awaited and the last value seen.
pub async fn eventually<T, F, Fut>(what: &str, mut check: F) -> anyhow::Result<T>
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
            bail!("waited {DEADLINE:?} for {what}, in vain (last: {last})");
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
}

/// Waits on a watch channel (no polling) until `done` holds, failing after [`DEADLINE`]
/// with what was awaited and the last value.
pub async fn until<T: Clone + std::fmt::Debug>(
    what: &str,
    receiver: &mut watch::Receiver<T>,
    mut done: impl FnMut(&T) -> bool,
) -> anyhow::Result<T> {
    let waited = match tokio::time::timeout(DEADLINE, receiver.wait_for(|v| done(v))).await {
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
