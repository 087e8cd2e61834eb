//! The cluster every API-load run starts from: a kube API-server double holding a
//! Parliament and its pods ([`cluster`]), the roster the operator would publish
//! ([`publish_roster`]), one client per pod ([`client`]), and the waits and holder book
//! the Lease runs share.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use anyhow::{Context, bail};
use k8s_openapi::api::core::v1::{ConfigMap, Pod};
use kube::api::{Api, Patch, PatchParams, PostParams};
use kube::{Client, Config};
use parliament_crds::labels::{ROSTER_KEY, roster_config_map_name};
use parliament_crds::{Parliament, Roster};
use parliament_kube_double::{KubeDouble, RequestCounts};
use serde_json::json;
use tokio::task::AbortHandle;
use tokio::time::Instant;

/// The namespace of everything.
pub const NS: &str = "bench";
/// The Parliament's name.
pub const PARLIAMENT: &str = "web";
/// Its districts; pod `i` is in `DISTRICTS[i % 3]`.
pub const DISTRICTS: [&str; 3] = ["east", "west", "north"];
/// Longest wait for a run to settle or a successor to appear.
pub const SETTLE: Duration = Duration::from_secs(120);

/// The windows of a run.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Windows {
    /// Before counting: elections and first syncs settle.
    pub warmup: Duration,
    /// Steady state, counted.
    pub steady: Duration,
    /// From the kill of the Prime Minister's pod, counted.
    pub failover: Duration,
}

/// One run's counts.
#[derive(Clone, Debug)]
pub struct Measured {
    /// Which system.
    pub system: &'static str,
    /// Member pods.
    pub pods: usize,
    /// Requests in the steady window.
    pub steady: RequestCounts,
    /// Requests in the failover window.
    pub failover: RequestCounts,
    /// From the kill to the successor Prime Minister (published, or holding its Lease).
    pub new_leader_after: Duration,
}

/// Pod `i`'s district.
#[must_use]
pub fn district_of(i: usize) -> &'static str {
    DISTRICTS[i % DISTRICTS.len()]
}

/// Pod `i`'s name.
#[must_use]
pub fn pod_name(i: usize) -> String {
    format!("{PARLIAMENT}-{i}")
}

/// A client of its own (its own connections), as each pod has.
///
/// # Errors
/// The double's URL does not parse, or the client cannot be made.
pub fn client(double: &KubeDouble) -> anyhow::Result<Client> {
    let url = double.url();
    let uri = url
        .parse()
        .with_context(|| format!("the double's URL {url}"))?;
    Client::try_from(Config::new(uri)).context("a kube client")
}

/// A double with a Parliament and `pods` pods, and the setup client.
///
/// # Errors
/// The double cannot start or refuses an object.
pub async fn cluster(pods: usize) -> anyhow::Result<(KubeDouble, Client)> {
    let double = KubeDouble::start().await.context("the kube double")?;
    let setup = client(&double)?;
    let parliament: Parliament = serde_json::from_value(json!({
        "apiVersion": "parliament.dev/v1alpha1", "kind": "Parliament",
        "metadata": {"name": PARLIAMENT, "namespace": NS},
        "spec": {"selector": {"matchLabels": {"app": "web"}}},
    }))?;
    Api::<Parliament>::namespaced(setup.clone(), NS)
        .create(&PostParams::default(), &parliament)
        .await
        .context("creating the Parliament")?;
    for i in 0..pods {
        let pod: Pod = serde_json::from_value(json!({
            "apiVersion": "v1", "kind": "Pod",
            "metadata": {"name": pod_name(i), "namespace": NS,
                "labels": {"app": "web", "parliament.dev/district": district_of(i)}},
            "spec": {"containers": [{"name": "app", "image": "web"}]},
        }))?;
        Api::<Pod>::namespaced(setup.clone(), NS)
            .create(&PostParams::default(), &pod)
            .await
            .with_context(|| format!("creating pod {}", pod_name(i)))?;
    }
    Ok((double, setup))
}

/// The roster ConfigMap of `pods` pods, as the operator applies it.
///
/// # Errors
/// The double refuses it.
pub async fn publish_roster(setup: &Client, pods: usize) -> anyhow::Result<()> {
    // Built as JSON, so that fields added to the roster types later need no change here.
    let districts: Vec<_> = DISTRICTS
        .iter()
        .map(|district| {
            let members: Vec<_> = (0..pods)
                .filter(|i| district_of(*i) == *district)
                .map(|i| {
                    json!({"id": i + 1, "pod": pod_name(i), "uid": format!("uid-{i}"),
                        "district": district, "ip": format!("10.0.{}.{}", i / 250, i % 250)})
                })
                .collect();
            json!({"name": district, "members": members})
        })
        .collect();
    let roster: Roster = serde_json::from_value(json!({
        "revision": 1, "generation": 1, "peerPort": 7400, "districts": districts,
    }))?;
    let name = roster_config_map_name(PARLIAMENT);
    let body = json!({
        "apiVersion": "v1", "kind": "ConfigMap",
        "metadata": {"name": name, "namespace": NS},
        "data": {ROSTER_KEY: roster.to_json()?},
    });
    Api::<ConfigMap>::namespaced(setup.clone(), NS)
        .patch(
            &name,
            &PatchParams::apply("parliament-operator").force(),
            &Patch::Apply(&body),
        )
        .await
        .context("applying the roster")?;
    Ok(())
}

/// Who holds which Lease, per pod: (district Lease, Prime Minister's Lease).
pub type Holders = Arc<Mutex<BTreeMap<usize, (bool, bool)>>>;

/// Every task a pod started: aborting them all is killing the pod.
pub type Tasks = Arc<Mutex<Vec<AbortHandle>>>;

/// Changes pod `i`'s entry.
pub fn set_holder(holders: &Holders, i: usize, f: impl FnOnce(&mut (bool, bool))) {
    if let Ok(mut holders) = holders.lock() {
        f(holders.entry(i).or_default());
    }
}

/// Remembers a task of a pod.
pub fn keep(tasks: &Tasks, task: AbortHandle) {
    if let Ok(mut tasks) = tasks.lock() {
        tasks.push(task);
    }
}

/// Aborts every task of a pod.
pub fn kill(tasks: &Tasks) {
    if let Ok(tasks) = tasks.lock() {
        for task in tasks.iter() {
            task.abort();
        }
    }
}

/// Pods that hold the Prime Minister's Lease.
#[must_use]
pub fn prime_ministers(holders: &Holders) -> Vec<usize> {
    holders
        .lock()
        .map(|h| {
            h.iter()
                .filter(|(_, (_, pm))| *pm)
                .map(|(i, _)| *i)
                .collect()
        })
        .unwrap_or_default()
}

/// Polls `done` every 100 ms for up to [`SETTLE`].
///
/// # Errors
/// `done` never held.
pub async fn wait_until(what: &str, mut done: impl FnMut() -> bool) -> anyhow::Result<()> {
    let deadline = Instant::now() + SETTLE;
    while !done() {
        if Instant::now() > deadline {
            bail!("waited {} s for {what}, in vain", SETTLE.as_secs());
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    Ok(())
}

/// The Lease runs' shared script: settle on one Prime Minister, warm up, count steady
/// state, kill the Prime Minister's pod, wait for another, count the failover window.
///
/// # Errors
/// No Prime Minister, before or after the kill.
pub async fn lease_script(
    system: &'static str,
    double: &KubeDouble,
    pods: usize,
    windows: Windows,
    holders: &Holders,
    members: &[Tasks],
) -> anyhow::Result<Measured> {
    wait_until("one Lease-elected Prime Minister", || {
        prime_ministers(holders).len() == 1
    })
    .await?;
    tokio::time::sleep(windows.warmup).await;
    let pm = match prime_ministers(holders).as_slice() {
        [pm] => *pm,
        other => bail!("after the warm-up, the Lease Prime Ministers are pods {other:?}"),
    };

    double.reset_requests();
    tokio::time::sleep(windows.steady).await;
    let steady = double.requests();

    double.reset_requests();
    let killed = Instant::now();
    let Some(tasks) = members.get(pm) else {
        bail!("no pod {pm}");
    };
    kill(tasks);
    set_holder(holders, pm, |h| *h = (false, false));
    wait_until("a new Lease-elected Prime Minister", || {
        prime_ministers(holders).iter().any(|i| *i != pm)
    })
    .await?;
    let new_leader_after = killed.elapsed();
    tokio::time::sleep(windows.failover.saturating_sub(new_leader_after)).await;
    let failover = double.requests();
    for tasks in members {
        kill(tasks);
    }
    Ok(Measured {
        system,
        pods,
        steady,
        failover,
        new_leader_after,
    })
}
